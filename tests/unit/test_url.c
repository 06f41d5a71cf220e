/* test_url.c: URL normalization, joining, redaction and classification.
 * String tests only: nothing is ever resolved or connected to. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "suites.h"

/* Normalize in; 1 when it succeeds with exactly want (and is idempotent). */
static int norm_is(const char *in, const char *want)
{
    char *out = NULL;
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_status st = llmh_url_normalize(in, &out, &err);
    int ok = st == LLMH_OK && out && strcmp(out, want) == 0;
    if (ok) {
        char *again = NULL;
        ok = llmh_url_normalize(out, &again, &err) == LLMH_OK && strcmp(again, out) == 0;
        free(again);
    }
    if (!ok)
        fprintf(stderr, "\nnormalize(\"%s\") = %d \"%s\" (%s), want \"%s\"\n", in, (int)st,
                out ? out : "(null)", err.message, want);
    free(out);
    return ok;
}

/* Normalize in; 1 when it fails with LLMH_E_CONFIG, *out NULL, and the
 * message contains must (if given) and not must_not (if given). */
static int norm_refused(const char *in, const char *must, const char *must_not)
{
    char *out = (char *)"sentinel";
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_status st = llmh_url_normalize(in, &out, &err);
    int ok = st == LLMH_E_CONFIG && out == NULL && err.code == LLMH_E_CONFIG &&
             err.message[0] != '\0' && (!must || strstr(err.message, must)) &&
             (!must_not || !strstr(err.message, must_not));
    if (!ok)
        fprintf(stderr, "\nnormalize(\"%s\") = %d \"%s\" msg \"%s\": expected refusal\n", in,
                (int)st, out && st == LLMH_OK ? out : "(null)", err.message);
    if (st == LLMH_OK)
        free(out);
    return ok;
}

static void test_url_no_scheme_gets_http_for_local_hosts(void)
{
    CU_ASSERT(norm_is("localhost:11434", "http://localhost:11434"));
    CU_ASSERT(norm_is("LocalHost:11434/", "http://localhost:11434"));
    CU_ASSERT(norm_is("127.0.0.5:8080", "http://127.0.0.5:8080"));
    CU_ASSERT(norm_is("127.0.0.1", "http://127.0.0.1"));
    CU_ASSERT(norm_is("10.1.2.3", "http://10.1.2.3"));
    CU_ASSERT(norm_is("172.16.0.1:1234/v1", "http://172.16.0.1:1234/v1"));
    CU_ASSERT(norm_is("172.31.255.255", "http://172.31.255.255"));
    CU_ASSERT(norm_is("192.168.1.10:11434", "http://192.168.1.10:11434"));
    CU_ASSERT(norm_is("[::1]:11434", "http://[::1]:11434"));
    CU_ASSERT(norm_is("[::1]", "http://[::1]"));
    CU_ASSERT(norm_is("::1", "http://[::1]"));
    CU_ASSERT(norm_is("0.0.0.0:8000", "http://0.0.0.0:8000"));
    CU_ASSERT(norm_is("foo.local", "http://foo.local"));
    CU_ASSERT(norm_is("GPU-Box.Local:1234/v1", "http://gpu-box.local:1234/v1"));
    CU_ASSERT(norm_is("[fd12:3456::7]:8000", "http://[fd12:3456::7]:8000"));
}

static void test_url_no_scheme_gets_https_for_public_hosts(void)
{
    CU_ASSERT(norm_is("api.example.com", "https://api.example.com"));
    CU_ASSERT(norm_is("api.example.com/v1", "https://api.example.com/v1"));
    CU_ASSERT(norm_is("172.32.0.1", "https://172.32.0.1"));
    CU_ASSERT(norm_is("172.15.255.1", "https://172.15.255.1"));
    CU_ASSERT(norm_is("192.169.0.1", "https://192.169.0.1"));
    CU_ASSERT(norm_is("11.0.0.1", "https://11.0.0.1"));
    CU_ASSERT(norm_is("localhost.example.com", "https://localhost.example.com"));
    CU_ASSERT(norm_is("notlocal", "https://notlocal"));
    CU_ASSERT(norm_is("example.local.com", "https://example.local.com"));
    CU_ASSERT(norm_is("[2001:db8::1]:443", "https://[2001:db8::1]:443"));
}

static void test_url_given_scheme_is_kept_and_lowercased(void)
{
    CU_ASSERT(norm_is("HTTP://LocalHost:11434/API/", "http://localhost:11434/API"));
    CU_ASSERT(norm_is("HTTPS://Api.OpenAI.com/v1/", "https://api.openai.com/v1"));
    /* An explicit scheme wins over inference, both ways. */
    CU_ASSERT(norm_is("https://localhost:8443", "https://localhost:8443"));
    CU_ASSERT(norm_is("http://api.example.com", "http://api.example.com"));
}

static void test_url_trailing_and_repeated_slashes_removed(void)
{
    CU_ASSERT(norm_is("http://localhost:11434///", "http://localhost:11434"));
    CU_ASSERT(norm_is("https://api.x.ai/v1/", "https://api.x.ai/v1"));
    CU_ASSERT(norm_is("http://h.local//v1//", "http://h.local/v1"));
    CU_ASSERT(norm_is("https://openrouter.ai/api/v1/", "https://openrouter.ai/api/v1"));
}

static void test_url_whitespace_trimmed_and_inner_whitespace_refused(void)
{
    CU_ASSERT(norm_is("  \thttp://localhost:1234/v1 \n", "http://localhost:1234/v1"));
    CU_ASSERT(norm_refused("http://local host:1234", "white space", NULL));
    CU_ASSERT(norm_refused("http://localhost/v1\x01", "control", NULL));
}

static void test_url_query_kept_fragment_dropped_port_normalized(void)
{
    CU_ASSERT(norm_is("https://x.openai.azure.com/openai/?api-version=2024-06-01#frag",
                      "https://x.openai.azure.com/openai?api-version=2024-06-01"));
    CU_ASSERT(norm_is("localhost:011434", "http://localhost:11434"));
    CU_ASSERT(norm_is("localhost:", "http://localhost"));
}

static void test_url_userinfo_kept_in_normalized_url(void)
{
    CU_ASSERT(norm_is("HTTPS://User:PaSs@Proxy.Example.com/v1/",
                      "https://User:PaSs@proxy.example.com/v1"));
}

static void test_url_empty_and_malformed_refused(void)
{
    llmh_error err;
    char *out = (char *)"sentinel";
    CU_ASSERT_EQUAL(llmh_url_normalize(NULL, &out, &err), LLMH_E_CONFIG);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT(norm_refused("", "empty", NULL));
    CU_ASSERT(norm_refused("   \t\n", "empty", NULL));
    CU_ASSERT(norm_refused("ftp://files.example.com", "ftp", NULL));
    CU_ASSERT(norm_refused("file:///etc/passwd", "file", NULL));
    CU_ASSERT(norm_refused("http://", "no host", NULL));
    CU_ASSERT(norm_refused("https://:8080/v1", "no host", NULL));
    CU_ASSERT(norm_refused("localhost:99999", "port", NULL));
    CU_ASSERT(norm_refused("localhost:0", "port", NULL));
    CU_ASSERT(norm_refused("localhost:12ab", "port", NULL));
    CU_ASSERT(norm_refused("http://[::1", "IPv6", NULL));
    CU_ASSERT(norm_refused("http://[::1]x:80", "IPv6", NULL));
    CU_ASSERT(norm_refused("http://[nothex::1]", "IPv6", NULL));
    CU_ASSERT(norm_refused("::%:]", "IPv6", NULL));
    CU_ASSERT(norm_refused("http://[fe80::1%]", "IPv6", NULL));
    CU_ASSERT(norm_is("http://[FE80::1%25eth0]:8080/", "http://[fe80::1%25eth0]:8080"));
    CU_ASSERT(norm_refused("http://bad!host/", "host", NULL));
    CU_ASSERT(norm_refused("http:/localhost:11434", "http://", NULL));
    CU_ASSERT(norm_refused("http//localhost:11434", "http://", NULL));
    CU_ASSERT(norm_refused("HTTPS:api.example.com", NULL, NULL));
}

static void test_url_every_metadata_address_refused(void)
{
    static const struct {
        const char *in;
        const char *named; /* the host the message must name */
    } rows[] = {
        {"169.254.169.254", "169.254.169.254"},
        {"http://169.254.169.254/latest/meta-data/", "169.254.169.254"},
        {"http://169.254.169.254:80", "169.254.169.254"},
        {"https://169.254.169.254:8443/", "169.254.169.254"},
        {"169.254.170.2", "169.254.170.2"},
        {"http://169.254.170.2:80/v2/credentials", "169.254.170.2"},
        {"100.100.100.200", "100.100.100.200"},
        {"http://100.100.100.200:8080", "100.100.100.200"},
        {"fd00:ec2::254", "fd00:ec2::254"},
        {"[fd00:ec2::254]", "fd00:ec2::254"},
        {"http://[fd00:ec2::254]/", "fd00:ec2::254"},
        {"http://[fd00:ec2::254]:80/latest", "fd00:ec2::254"},
        {"http://[FD00:EC2::254]", "fd00:ec2::254"},
        {"http://[fd00:ec2:0:0:0:0:0:254]", "fd00:ec2:0:0:0:0:0:254"},
        /* Other spellings that resolvers accept for the same address. */
        {"http://0xa9fea9fe", "0xa9fea9fe"},
        {"http://2852039166/", "2852039166"},
        {"http://169.254.43518", "169.254.43518"},
        {"http://0251.0376.0251.0376", "0251.0376.0251.0376"},
        {"http://169.254.169.254./", "169.254.169.254."},
        {"http://[::ffff:169.254.169.254]", "::ffff:169.254.169.254"},
        {"http://[::ffff:a9fe:a9fe]:80", "::ffff:a9fe:a9fe"},
        {"http://[64:ff9b::169.254.169.254]", "64:ff9b::169.254.169.254"},
        {"http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal"},
        {"http://user:pw@169.254.169.254/", "169.254.169.254"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CU_ASSERT(norm_refused(rows[i].in, rows[i].named, "pw@"));
    /* Neighbours of the metadata addresses are ordinary hosts. */
    CU_ASSERT(norm_is("169.254.169.253", "https://169.254.169.253"));
    CU_ASSERT(norm_is("http://100.100.100.201", "http://100.100.100.201"));
    CU_ASSERT(norm_is("[fd00:ec2::253]", "http://[fd00:ec2::253]"));
}

static void test_url_error_messages_never_contain_the_password(void)
{
    static const char *const inputs[] = {
        "http://admin:s3cr3tpw@169.254.169.254/",
        "ftp://admin:s3cr3tpw@example.com/",
        "http://admin:s3cr3tpw@localhost:99999/",
        "http://admin:s3cr3tpw@[::1/",
        "http://admin:s3cr3tpw@bad!host/",
        "http://admin:s3cr3tpw@/v1",
        "http://admin:s3cr3tpw @example.com/",
        "admin:s3cr3tpw@metadata.google.internal",
        /* An unencoded '/' in the password: "s3cr" becomes a bad port. */
        "http://admin:s3cr/3tpw@example.com/",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        CU_ASSERT(norm_refused(inputs[i], NULL, "s3cr"));
        CU_ASSERT(norm_refused(inputs[i], NULL, "admin"));
    }
}

static int join_is(const char *base, const char *path, const char *want)
{
    char *got = llmh_url_join(base, path);
    int ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "\njoin(\"%s\", \"%s\") = \"%s\", want \"%s\"\n", base, path,
                got ? got : "(null)", want);
    free(got);
    return ok;
}

static void test_url_join_never_doubles_slash_v1_or_api(void)
{
    static const char *const rows[][3] = {
        {"http://localhost:1234/v1", "/v1/models", "http://localhost:1234/v1/models"},
        {"http://localhost:1234/v1", "/models", "http://localhost:1234/v1/models"},
        {"http://localhost:1234/v1", "models", "http://localhost:1234/v1/models"},
        {"http://localhost:1234/v1", "v1/models", "http://localhost:1234/v1/models"},
        {"http://localhost:1234/v1/", "/v1/models", "http://localhost:1234/v1/models"},
        {"http://localhost:1234/v1/", "//models", "http://localhost:1234/v1/models"},
        {"http://localhost:1234", "/v1/models", "http://localhost:1234/v1/models"},
        {"http://localhost:1234/", "/v1/models", "http://localhost:1234/v1/models"},
        {"http://localhost:11434", "/api/tags", "http://localhost:11434/api/tags"},
        {"http://localhost:11434/api", "/api/tags", "http://localhost:11434/api/tags"},
        {"http://localhost:11434/api/", "api/chat", "http://localhost:11434/api/chat"},
        {"https://openrouter.ai/api/v1", "/models", "https://openrouter.ai/api/v1/models"},
        {"https://openrouter.ai/api/v1", "/v1/models", "https://openrouter.ai/api/v1/models"},
        {"https://openrouter.ai/api/v1", "/api/v1/models", "https://openrouter.ai/api/v1/models"},
        {"https://generativelanguage.googleapis.com/v1beta", "/v1beta/models",
         "https://generativelanguage.googleapis.com/v1beta/models"},
        {"https://generativelanguage.googleapis.com/v1beta/openai", "/chat/completions",
         "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions"},
        {"https://api.anthropic.com", "/v1/messages", "https://api.anthropic.com/v1/messages"},
        {"https://api.anthropic.com/v1", "/v1/messages", "https://api.anthropic.com/v1/messages"},
        {"https://x.example/proxy/v1", "/v1/chat/completions",
         "https://x.example/proxy/v1/chat/completions"},
        /* A version segment that only looks alike is not swallowed. */
        {"https://x.example/v10", "/v1/models", "https://x.example/v10/v1/models"},
        {"https://x.example/xv1", "/v1/models", "https://x.example/xv1/v1/models"},
        {"https://x.example/v1", "/v1x/models", "https://x.example/v1/v1x/models"},
        {"http://[::1]:8080/v1", "/v1/models", "http://[::1]:8080/v1/models"},
        {"http://localhost:1234/v1", "", "http://localhost:1234/v1"},
        {"http://localhost:1234/v1", "/", "http://localhost:1234/v1"},
        {"http://localhost:1234/v1", "/v1", "http://localhost:1234/v1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CU_ASSERT(join_is(rows[i][0], rows[i][1], rows[i][2]));
}

static void test_url_join_keeps_query_strings(void)
{
    CU_ASSERT(join_is("https://g.example/v1beta", "/v1beta/models?pageSize=1000",
                      "https://g.example/v1beta/models?pageSize=1000"));
    CU_ASSERT(join_is("https://x.openai.azure.com/openai?api-version=2024-06-01",
                      "/chat/completions",
                      "https://x.openai.azure.com/openai/chat/completions?api-version=2024-06-01"));
    CU_ASSERT(join_is("https://x.example/v1?a=1", "/models?b=2",
                      "https://x.example/v1/models?a=1&b=2"));
    /* Slashes inside the query are not path slashes. */
    CU_ASSERT(join_is("http://localhost", "/api/x?u=http://a//b", "http://localhost/api/x?u=http://a//b"));
}

static int suffix_is(const char *base, const char *suffix, const char *want)
{
    char *got = llmh_url_ensure_suffix(base, suffix);
    int ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "\nensure_suffix(\"%s\", \"%s\") = \"%s\", want \"%s\"\n", base, suffix,
                got ? got : "(null)", want);
    free(got);
    return ok;
}

static void test_url_ensure_suffix_adds_v1_once(void)
{
    CU_ASSERT(suffix_is("http://localhost:1234", "/v1", "http://localhost:1234/v1"));
    CU_ASSERT(suffix_is("http://localhost:1234/", "/v1", "http://localhost:1234/v1"));
    CU_ASSERT(suffix_is("http://localhost:1234/v1", "/v1", "http://localhost:1234/v1"));
    CU_ASSERT(suffix_is("http://localhost:1234/v1/", "/v1", "http://localhost:1234/v1"));
    CU_ASSERT(suffix_is("http://localhost:1234/v1", "v1", "http://localhost:1234/v1"));
    CU_ASSERT(suffix_is("http://host.local/lmstudio", "/v1", "http://host.local/lmstudio/v1"));
    CU_ASSERT(suffix_is("http://host.local/v10", "/v1", "http://host.local/v10/v1"));
}

static int redact_is(const char *in, const char *want)
{
    char *got = llmh_url_redact(in);
    int ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "\nredact(\"%s\") = \"%s\", want \"%s\"\n", in, got ? got : "(null)",
                want);
    free(got);
    return ok;
}

static void test_url_redact_hides_userinfo_and_key_parameters(void)
{
    CU_ASSERT(redact_is("http://user:pass@host:8080/v1", "http://***@host:8080/v1"));
    CU_ASSERT(redact_is("https://tok@host/", "https://***@host/"));
    CU_ASSERT(redact_is("user:pass@localhost:11434", "***@localhost:11434"));
    CU_ASSERT(redact_is("https://h/v1beta/models?key=AIzaSECRET",
                        "https://h/v1beta/models?key=***"));
    CU_ASSERT(redact_is("https://h/m?pageSize=5&KEY=abc&x=1", "https://h/m?pageSize=5&KEY=***&x=1"));
    CU_ASSERT(redact_is("https://h/?api_key=a&apikey=b&Token=c&access_token=d&other=e",
                        "https://h/?api_key=***&apikey=***&Token=***&access_token=***&other=e"));
    CU_ASSERT(redact_is("https://h/?api%5Fkey=a", "https://h/?api%5Fkey=***"));
    CU_ASSERT(redact_is("https://h/cb#access_token=xyz&state=1",
                        "https://h/cb#access_token=***&state=1"));
    CU_ASSERT(redact_is("http://u:p@h/?key=k#token=t", "http://***@h/?key=***#token=***"));
    CU_ASSERT(redact_is("https://h/?monkey=1&keys=2&key", "https://h/?monkey=1&keys=2&key"));
    /* An unencoded '/' in the password still hides all of it. */
    CU_ASSERT(redact_is("http://admin:pa/ss@host/v1", "http://***@host/v1"));
    CU_ASSERT(redact_is("http://localhost:11434/api/tags", "http://localhost:11434/api/tags"));
    CU_ASSERT(redact_is("", ""));
    CU_ASSERT_PTR_NULL(llmh_url_redact(NULL));
}

static void test_url_is_local_classifies_hosts(void)
{
    static const struct {
        const char *url;
        int local;
    } rows[] = {
        {"http://localhost:11434", 1},
        {"http://LOCALHOST", 1},
        {"http://app.localhost/", 1},
        {"http://127.0.0.5", 1},
        {"http://[::1]:1234", 1},
        {"::1", 1},
        {"http://0.0.0.0:8000", 1},
        {"http://10.0.0.1", 1},
        {"http://172.16.0.1", 1},
        {"http://172.31.0.1", 1},
        {"http://172.32.0.1", 0},
        {"http://192.168.1.10", 1},
        {"http://169.254.1.1", 1},
        {"http://[fe80::1]", 1},
        {"http://[fd12::1]", 1},
        {"http://[::ffff:192.168.1.1]", 1},
        {"http://gpu.local:1234/v1", 1},
        {"gpu.local", 1},
        {"http://user:pw@192.168.0.2/", 1},
        {"https://api.openai.com/v1", 0},
        {"https://8.8.8.8", 0},
        {"https://[2001:db8::1]", 0},
        {"https://local.example.com", 0},
        {"http://localhost.evil.com", 0},
        {"http://evil.com/localhost", 0},
        {"http://localhost@evil.com/", 0},
        {"", 0},
        {NULL, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = llmh_url_is_local(rows[i].url);
        if (got != rows[i].local)
            fprintf(stderr, "\nis_local(\"%s\") = %d\n", rows[i].url ? rows[i].url : "NULL", got);
        CU_ASSERT_EQUAL(got, rows[i].local);
    }
}

static void test_url_default_port_added_only_when_missing(void)
{
    static const char *const cases[][2] = {
        {"http://localhost", "http://localhost:11434"},
        {"http://h/api?x=1", "http://h:11434/api?x=1"},
        {"http://[::1]", "http://[::1]:11434"},
        {"http://u:p@h", "http://u:p@h:11434"},
        {"http://h:8080", "http://h:8080"},
        {"http://[::1]:9/x", "http://[::1]:9/x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = llmh_url_with_default_port(cases[i][0], 11434);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_STRING_EQUAL(r, cases[i][1]);
        free(r);
    }
}

static void test_url_host_extracts_bare_host(void)
{
    static const char *const rows[][2] = {
        {"http://localhost:11434/api", "localhost"},
        {"https://user:pw@Api.Example.com:8443/v1?x=1", "Api.Example.com"},
        {"http://[::1]:8080/v1", "::1"},
        {"[fd00::1]", "fd00::1"},
        {"example.com", "example.com"},
        {"  http://h.local/  ", "h.local"},
        {"https://h?x=1", "h"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memset(buf, 'x', sizeof buf);
        int rc = llmh_url_host(rows[i][0], buf, sizeof buf);
        CU_ASSERT_EQUAL(rc, 0);
        if (rc == 0)
            CU_ASSERT_STRING_EQUAL(buf, rows[i][1]);
    }
    char small[9];
    CU_ASSERT_EQUAL(llmh_url_host("http://localhost/", small, sizeof small), -1);
    char exact[10];
    CU_ASSERT_EQUAL(llmh_url_host("http://localhost/", exact, sizeof exact), 0);
    CU_ASSERT_STRING_EQUAL(exact, "localhost");
    CU_ASSERT_EQUAL(llmh_url_host("http:///v1", buf, sizeof buf), -1);
    CU_ASSERT_EQUAL(llmh_url_host("http://[::1/", buf, sizeof buf), -1);
    CU_ASSERT_EQUAL(llmh_url_host(NULL, buf, sizeof buf), -1);
}

int llmh_test_register_url(void)
{
    static const llmh_test tests[] = {
        {"test_url_no_scheme_gets_http_for_local_hosts",
         test_url_no_scheme_gets_http_for_local_hosts},
        {"test_url_no_scheme_gets_https_for_public_hosts",
         test_url_no_scheme_gets_https_for_public_hosts},
        {"test_url_given_scheme_is_kept_and_lowercased",
         test_url_given_scheme_is_kept_and_lowercased},
        {"test_url_trailing_and_repeated_slashes_removed",
         test_url_trailing_and_repeated_slashes_removed},
        {"test_url_whitespace_trimmed_and_inner_whitespace_refused",
         test_url_whitespace_trimmed_and_inner_whitespace_refused},
        {"test_url_query_kept_fragment_dropped_port_normalized",
         test_url_query_kept_fragment_dropped_port_normalized},
        {"test_url_userinfo_kept_in_normalized_url", test_url_userinfo_kept_in_normalized_url},
        {"test_url_empty_and_malformed_refused", test_url_empty_and_malformed_refused},
        {"test_url_every_metadata_address_refused", test_url_every_metadata_address_refused},
        {"test_url_error_messages_never_contain_the_password",
         test_url_error_messages_never_contain_the_password},
        {"test_url_join_never_doubles_slash_v1_or_api",
         test_url_join_never_doubles_slash_v1_or_api},
        {"test_url_join_keeps_query_strings", test_url_join_keeps_query_strings},
        {"test_url_ensure_suffix_adds_v1_once", test_url_ensure_suffix_adds_v1_once},
        {"test_url_redact_hides_userinfo_and_key_parameters",
         test_url_redact_hides_userinfo_and_key_parameters},
        {"test_url_is_local_classifies_hosts", test_url_is_local_classifies_hosts},
        {"test_url_host_extracts_bare_host", test_url_host_extracts_bare_host},
        {"test_url_default_port_added_only_when_missing",
         test_url_default_port_added_only_when_missing},
    };
    return llmh_test_suite("url", NULL, NULL, tests, sizeof tests / sizeof tests[0]);
}
