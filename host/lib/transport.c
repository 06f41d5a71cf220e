/* transport.c: HTTP over libcurl's multi interface. Timeouts are ours: a
 * transfer fails when no byte has arrived for idle_timeout_ms, however long
 * the whole answer takes, so a slow but steady stream succeeds and a silent
 * server fails. Secrets never reach a log line. */
#include "transport.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "error.h"
#include "json_write.h"
#include "log.h"
#include "url.h"
#include "version.h"

#define ERROR_BODY_CAP (64 * 1024)
#define DEFAULT_BODY_CAP ((size_t)64 * 1024 * 1024)

/* ---- the process-wide share handle */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_share_locks[CURL_LOCK_DATA_LAST];
static CURLSH *g_share;
static int g_refs;

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a, void *ud)
{
    (void)h;
    (void)a;
    (void)ud;
    pthread_mutex_lock(&g_share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    (void)ud;
    pthread_mutex_unlock(&g_share_locks[data]);
}

void llmh_transport_ref(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_refs++ == 0) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_init(&g_share_locks[i], NULL);
        g_share = curl_share_init();
        curl_share_setopt(g_share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(g_share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    pthread_mutex_unlock(&g_lock);
}

void llmh_transport_unref(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_refs > 0 && --g_refs == 0) {
        curl_share_cleanup(g_share);
        g_share = NULL;
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&g_share_locks[i]);
        curl_global_cleanup();
    }
    pthread_mutex_unlock(&g_lock);
}

/* ---- responses */

void llmh_response_init(llmh_response *r)
{
    memset(r, 0, sizeof *r);
    r->retry_after_ms = -1;
    r->ttfb_ms = -1;
}

void llmh_response_clear(llmh_response *r)
{
    llmh_buf_free(&r->body);
    llmh_response_init(r);
}

long llmh_parse_retry_after(const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (!*v)
        return -1;
    char *end;
    double secs = strtod(v, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (end != v && !*end && secs >= 0)
        return (long)(secs * 1000);
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    time_t now = time(NULL);
    return when > now ? (long)(when - now) * 1000 : 0;
}

/* ---- one transfer */

typedef struct xfer {
    CURL *easy;
    struct curl_slist *headers;
    int headers_shared; /* headers belong to the loop's cache */
    llmh_buf body;  /* a tree body's text, sent from here */
    const llmh_http_req *req;
    const llmh_xfer_opts *o;
    llmh_response *resp;
    llmh_error *err;
    llmh_status *status;
    long long started_ms, last_byte_ms;
    int idle_expired;
    int first_byte_expired;
    int cb_aborted;
    int cut_at_cap;
    int done;
    int active;
} xfer;

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    /* The status line marks progress; the other lines follow it at once. */
    if (len > 5 && (buf[0] == 'H' || buf[0] == 'h') && !strncasecmp(buf, "HTTP/", 5)) {
        x->last_byte_ms = llmh_now_ms();
        /* A new status line (after 100-continue or a redirect) resets what we know. */
        const char *sp = memchr(buf, ' ', len);
        x->resp->status = sp ? atoi(sp + 1) : 0;
        x->resp->retry_after_ms = -1;
        if (llmh_log_get_level() >= LLMH_LOG_INFO)
            llmh_log(LLMH_LOG_INFO, "< %.*s", (int)(len > 2 ? len - 2 : len), buf);
        return len;
    }
    if (len > 12 && (buf[0] == 'R' || buf[0] == 'r') && !strncasecmp(buf, "retry-after:", 12)) {
        char v[128];
        size_t vl = len - 12 < sizeof v - 1 ? len - 12 : sizeof v - 1;
        memcpy(v, buf + 12, vl);
        v[vl] = '\0';
        x->resp->retry_after_ms = llmh_parse_retry_after(v);
    }
    if (llmh_log_get_level() >= LLMH_LOG_INFO && len > 2)
        llmh_log(LLMH_LOG_INFO, "< %.*s", (int)(len - 2), buf);
    return len;
}

static size_t on_write(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    long long now = llmh_now_ms();
    x->last_byte_ms = now;
    if (x->resp->ttfb_ms < 0)
        x->resp->ttfb_ms = now - x->started_ms;
    x->resp->body_bytes += len;
    int ok2xx = x->resp->status >= 200 && x->resp->status < 300;
    if (ok2xx && x->o->on_body) {
        if (x->o->on_body(x->o->ud, buf, len) != 0) {
            x->cb_aborted = 1;
            return 0; /* makes curl stop with CURLE_WRITE_ERROR */
        }
        return len;
    }
    size_t cap = ok2xx ? (x->o->max_body ? x->o->max_body : DEFAULT_BODY_CAP) : ERROR_BODY_CAP;
    if (x->resp->body.len + len > cap) {
        if (!ok2xx)
            return len; /* an error body only needs its start */
        x->cut_at_cap = 1;
        return 0;
    }
    /* One allocation for a typical answer; under 1 KiB, which glibc serves
     * without sorting its free lists first (a larger first request would,
     * once per request). Longer answers grow as they come. */
    if (!x->resp->body.cap)
        llmh_buf_reserve(&x->resp->body, len < 480 ? 480 : len);
    llmh_buf_append(&x->resp->body, buf, len);
    return len;
}

/* Never connect to cloud metadata services, whatever name resolved to them. */
static curl_socket_t on_opensocket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)ud;
    (void)purpose;
    if (a->family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&a->addr;
        uint32_t ip = ntohl(in->sin_addr.s_addr);
        /* 169.254.169.254, 169.254.170.2, 100.100.100.200 */
        if (ip == 0xA9FEA9FEu || ip == 0xA9FEAA02u || ip == 0x646464C8u)
            return CURL_SOCKET_BAD;
    } else if (a->family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->addr;
        static const unsigned char ec2[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                              0,    0,    0,    0,    0, 0, 0x02, 0x54};
        if (memcmp(&in6->sin6_addr, ec2, 16) == 0)
            return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

void llmh_http_log_request(const llmh_http_req *req)
{
    if (llmh_log_get_level() < LLMH_LOG_INFO)
        return;
    char *shown = llmh_url_redact(req->url ? req->url : "");
    llmh_log(LLMH_LOG_INFO, "> %s %s", req->method ? req->method : "GET", shown);
    free(shown);
    for (size_t i = 0; i < req->n_headers; i++)
        llmh_log(LLMH_LOG_INFO, "> %s: %s", req->headers[i].name,
                 req->headers[i].secret ? "***" : req->headers[i].value);
    if (llmh_http_req_has_body(req) && llmh_log_get_level() >= LLMH_LOG_DEBUG) {
        llmh_buf body = {0};
        llmh_http_req_write_body(req, &body);
        llmh_log(LLMH_LOG_DEBUG, "> %s", body.data);
        llmh_buf_free(&body);
    }
}

/* What every transfer sets the same way: set once per easy handle. */
static void setup_constant(CURL *e, int no_proxy)
{
    curl_easy_setopt(e, CURLOPT_SHARE, g_share);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect must not carry our key away */
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    /* HTTP/2 where a TLS server offers it (ALPN); batches then multiplex. */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    /* No proxy variable in the environment: tell curl so, instead of
     * letting it read five variables for every request. */
    if (no_proxy)
        curl_easy_setopt(e, CURLOPT_PROXY, "");
}

/* Is any proxy variable curl would read set? */
static int proxy_in_env(void)
{
    static const char *const vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                       "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return 1;
    }
    return 0;
}

#define UA_LINE "User-Agent: llmhost/" LLMH_VERSION_STRING

typedef struct header_cache {
    struct curl_slist *lists[8];
    size_t n;
} header_cache;

/* Free a header list, wiping it first: it may hold a key. */
static void header_list_free(struct curl_slist *l)
{
    for (struct curl_slist *n = l; n; n = n->next)
        explicit_bzero(n->data, strlen(n->data));
    curl_slist_free_all(l);
}

/* The request's headers as curl takes them. Every header costs curl a
 * formatted copy per request: only what is needed. The user agent goes as a
 * header (cheaper in curl than CURLOPT_USERAGENT), unless the plugin set
 * its own. */
static struct curl_slist *header_list(const llmh_http_req *req)
{
    struct curl_slist *list = NULL;
    if (!llmh_http_req_header(req, "User-Agent"))
        list = curl_slist_append(list, UA_LINE);
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name, *value = req->headers[i].value;
        size_t nl = strlen(name), vl = strlen(value);
        char small[512], *line = nl + vl + 3 <= sizeof small ? small : llmh_xmalloc(nl + vl + 3);
        memcpy(line, name, nl);
        memcpy(line + nl, ": ", 2);
        memcpy(line + nl + 2, value, vl + 1);
        list = curl_slist_append(list, line);
        explicit_bzero(line, nl + vl + 2); /* it may hold a key */
        if (line != small)
            free(line);
    }
    return list;
}

/* Does line read "name: value"? */
static int header_line_is(const char *line, const char *name, const char *value)
{
    size_t nl = strlen(name);
    return strncmp(line, name, nl) == 0 && line[nl] == ':' && line[nl + 1] == ' ' &&
           strcmp(line + nl + 2, value) == 0;
}

/* Is l exactly what header_list(req) would make? */
static int header_list_matches(const struct curl_slist *l, const llmh_http_req *req)
{
    if (!llmh_http_req_header(req, "User-Agent")) {
        if (!l || strcmp(l->data, UA_LINE) != 0)
            return 0;
        l = l->next;
    }
    for (size_t i = 0; i < req->n_headers; i++, l = l->next)
        if (!l || !header_line_is(l->data, req->headers[i].name, req->headers[i].value))
            return 0;
    return l == NULL;
}

/* A shared list for req's headers, made on first use; NULL when the cache
 * is full (the caller makes its own). Lists stay until the loop ends:
 * transfers in flight still point at them. */
static struct curl_slist *loop_headers(header_cache *c, const llmh_http_req *req)
{
    for (size_t i = 0; i < c->n; i++)
        if (header_list_matches(c->lists[i], req))
            return c->lists[i];
    if (c->n == sizeof c->lists / sizeof c->lists[0])
        return NULL;
    struct curl_slist *l = header_list(req);
    if (l)
        c->lists[c->n++] = l;
    return l;
}

/* reuse: an easy handle a finished transfer of the same loop left behind,
 * already holding the constant options, or NULL. Everything that differs
 * between transfers is set here, every time. */
static int setup(xfer *x, CURL *reuse, int no_proxy, header_cache *cache, CURLU *parsed)
{
    const llmh_http_req *req = x->req;
    const llmh_xfer_opts *o = x->o;
    x->easy = reuse ? reuse : curl_easy_init();
    if (!x->easy)
        return -1;
    CURL *e = x->easy;
    if (!reuse)
        setup_constant(e, no_proxy);
    /* A parsed URL wins over the string; a reused handle may hold one. */
    curl_easy_setopt(e, CURLOPT_CURLU, parsed);
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->total_timeout_ms > 0 ? o->total_timeout_ms : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->tls_verify ? 2L : 0L);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    const char *method = req->method ? req->method : "GET";
    const llmh_buf *text = NULL;
    if (llmh_http_req_has_body(req)) {
        /* Text the request already holds goes as it is (it outlives the
         * transfer); a tree is printed into the transfer's own buffer. */
        text = &req->body_text;
        if (!req->has_text) {
            llmh_http_req_write_body(req, &x->body);
            text = &x->body;
        }
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)text->len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, text->data ? text->data : "");
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") ? method : NULL);
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
    }
    /* curl asks a server before sending a body of 1 MiB or more
     * (Expect: 100-continue) and may wait a second for the answer. */
    int big = text && text->len >= 1024 * 1024;
    /* Most requests of a loop send the same headers: their list is made
     * once and shared (see loop_headers). */
    x->headers = cache && !big ? loop_headers(cache, req) : NULL;
    x->headers_shared = x->headers != NULL;
    if (!x->headers_shared) {
        x->headers = header_list(req);
        if (big)
            x->headers = curl_slist_append(x->headers, "Expect:");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    return 0;
}

static const char *what_of(const xfer *x, char *buf, size_t size)
{
    if (x->o->what)
        return x->o->what;
    char *shown = llmh_url_redact(x->req->url ? x->req->url : "");
    snprintf(buf, size, "%s", shown);
    free(shown);
    return buf;
}

/* Word a curl failure for a person, with what to do about it. */
static llmh_status fail_from_curl(xfer *x, CURLcode rc)
{
    char wbuf[512];
    const char *who = what_of(x, wbuf, sizeof wbuf);
    int local = llmh_url_is_local(x->req->url);
    if (x->first_byte_expired) {
        x->resp->first_byte_timeout = 1;
        return llmh_error_set(x->err, LLMH_E_TIMEOUT, x->resp->status,
                              "no first token from %s within %ld ms (llm.ttft_timeout)", who,
                              x->o->first_byte_timeout_ms);
    }
    if (x->idle_expired) {
        long secs = (x->o->idle_timeout_ms + 999) / 1000;
        if (x->resp->body_bytes > 0)
            return llmh_error_set(x->err, LLMH_E_TIMEOUT, x->resp->status,
                                  "%s stopped sending for %ld s mid-answer (raise llm.request_timeout)",
                                  who, secs);
        return llmh_error_set(x->err, LLMH_E_TIMEOUT, 0,
                              "no response from %s within %ld s (raise llm.request_timeout)", who,
                              secs);
    }
    if (x->cb_aborted)
        return x->err->code != LLMH_OK ? x->err->code
                                       : llmh_error_set(x->err, LLMH_E_CANCELLED, x->resp->status,
                                                        "cancelled");
    if (x->cut_at_cap)
        return llmh_error_set(x->err, LLMH_E_PROTOCOL, x->resp->status,
                              "the answer from %s is larger than the limit", who);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        return llmh_error_set(x->err, LLMH_E_CONNECT, 0,
                              local ? "cannot connect to %s: connection refused; is the server "
                                      "running? (inside a container, localhost is the container "
                                      "itself, not the host)"
                                    : "cannot connect to %s: connection refused",
                              who);
    case CURLE_COULDNT_RESOLVE_HOST:
        return llmh_error_set(x->err, LLMH_E_CONNECT, 0, "cannot resolve the host of %s", who);
    case CURLE_OPERATION_TIMEDOUT:
        if (x->resp->status == 0 && x->resp->body_bytes == 0 && x->last_byte_ms == x->started_ms)
            return llmh_error_set(x->err, LLMH_E_TIMEOUT, 0,
                                  "cannot connect to %s: timed out after %ld ms", who,
                                  x->o->connect_timeout_ms > 0 ? x->o->connect_timeout_ms : 5000L);
        return llmh_error_set(x->err, LLMH_E_TIMEOUT, x->resp->status,
                              "%s did not finish within %ld ms", who, x->o->total_timeout_ms);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return llmh_error_set(x->err, LLMH_E_CONNECT, 0, "TLS error talking to %s: %s", who,
                              curl_easy_strerror(rc));
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP2:
        if (x->resp->status == 0)
            return llmh_error_set(x->err, LLMH_E_SERVER, 0,
                                  "%s closed the connection without answering", who);
        return llmh_error_set(x->err, LLMH_E_STREAM_CUT, x->resp->status,
                              "%s closed the connection mid-answer", who);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return llmh_error_set(x->err, LLMH_E_CONFIG, 0, "%s: only http and https are supported",
                              who);
    default:
        return llmh_error_set(x->err, LLMH_E_CONNECT, 0, "talking to %s failed: %s", who,
                              curl_easy_strerror(rc));
    }
}

static void finish(xfer *x, CURLcode rc)
{
    x->done = 1;
    long long now = llmh_now_ms();
    x->resp->total_ms = now - x->started_ms;
    long connects = 0;
    curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
    x->resp->new_connections = connects;
    if (rc == CURLE_OK && !x->idle_expired && !x->first_byte_expired) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        x->resp->status = (int)code;
        *x->status = LLMH_OK;
    } else {
        *x->status = fail_from_curl(x, rc);
    }
}

static void release(xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    if (!x->headers_shared)
        header_list_free(x->headers);
    llmh_buf_free(&x->body);
    x->easy = NULL;
    x->headers = NULL;
}

/* ---- the loop: transfers on one multi handle, plus timers */

typedef struct loop_item {
    xfer x;
    llmh_xfer_job *job;
    llmh_xfer_done_cb done;
    void *ud;
    struct loop_item *next; /* in the waiting queue */
} loop_item;

typedef struct loop_timer {
    long long due_ms;
    llmh_timer_cb fn;
    void *ud;
} loop_timer;

struct llmh_loop {
    CURLM *multi;
    CURL *idle[64];         /* easy handles of finished transfers, for reuse */
    size_t n_idle;
    size_t max_parallel;
    loop_item **active;     /* in flight */
    size_t n_active, cap_active;
    loop_item *queue_head, *queue_tail; /* waiting for a slot */
    loop_timer *timers;
    size_t n_timers, cap_timers;
    size_t max_seen;        /* most transfers in flight at once */
    int no_proxy;           /* no proxy variable was set when the loop began */
    loop_item *spare;       /* finished items, for the next transfers */
    header_cache headers;   /* header lists the transfers share */
    /* URLs that passed the checks, each parsed once for curl: given a
     * parsed URL (CURLOPT_CURLU), curl does not parse it again for every
     * transfer, which costs it more than the rest of a small request. */
    struct {
        char *url;
        CURLU *parsed; /* NULL: curl takes the string */
    } urls[8];
    size_t n_urls;
};

llmh_loop *llmh_loop_new(size_t max_parallel)
{
    llmh_transport_ref();
    llmh_loop *l = llmh_xcalloc(1, sizeof *l);
    l->multi = curl_multi_init();
    curl_multi_setopt(l->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    l->max_parallel = max_parallel;
    l->no_proxy = !proxy_in_env();
    return l;
}

static void item_fail(loop_item *it)
{
    it->x.done = 1;
    if (it->done)
        it->done(it->ud, it->job);
    free(it);
}

void llmh_loop_free(llmh_loop *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_active; i++) {
        curl_multi_remove_handle(l->multi, l->active[i]->x.easy);
        release(&l->active[i]->x);
        free(l->active[i]);
    }
    for (loop_item *it = l->queue_head, *nx; it; it = nx) {
        nx = it->next;
        free(it);
    }
    free(l->active);
    free(l->timers);
    for (size_t i = 0; i < l->n_idle; i++)
        curl_easy_cleanup(l->idle[i]);
    for (size_t i = 0; i < l->n_urls; i++) {
        free(l->urls[i].url);
        curl_url_cleanup(l->urls[i].parsed);
    }
    for (size_t i = 0; i < l->headers.n; i++)
        header_list_free(l->headers.lists[i]);
    for (loop_item *it = l->spare, *nx; it; it = nx) {
        nx = it->next;
        free(it);
    }
    curl_multi_cleanup(l->multi);
    free(l);
    llmh_transport_unref();
}

size_t llmh_loop_max_in_flight(const llmh_loop *l) { return l->max_seen; }

/* Check url (once per loop: a batch sends thousands of requests to one) and
 * find its parsed form for curl (*parsed NULL: curl takes the string).
 * -1 with err set when the URL is refused. */
static int loop_url(llmh_loop *l, const char *url, llmh_error *err, CURLU **parsed)
{
    *parsed = NULL;
    if (!url) {
        llmh_error_set(err, LLMH_E_CONFIG, 0, "no URL to send the request to");
        return -1;
    }
    for (size_t u = 0; u < l->n_urls; u++) {
        if (strcmp(url, l->urls[u].url) == 0) {
            *parsed = l->urls[u].parsed;
            return 0;
        }
    }
    char *checked = NULL;
    llmh_status st = llmh_url_normalize(url, &checked, err);
    free(checked);
    if (st != LLMH_OK)
        return -1;
    /* Kept until the loop ends: curl reads a transfer's parsed URL after it
     * was added. When the table is full, curl gets the string (and the URL
     * is checked again next time). */
    if (l->n_urls == sizeof l->urls / sizeof l->urls[0])
        return 0;
    CURLU *p = curl_url();
    if (p && curl_url_set(p, CURLUPART_URL, url, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) !=
                 CURLUE_OK) {
        curl_url_cleanup(p); /* curl words the problem when it gets the string */
        p = NULL;
    }
    l->urls[l->n_urls].url = llmh_strdup(url);
    l->urls[l->n_urls++].parsed = p;
    *parsed = p;
    return 0;
}

/* Start it now: set up the easy handle and add it to the multi handle. */
static void start_item(llmh_loop *l, loop_item *it)
{
    xfer *x = &it->x;
    llmh_xfer_job *j = it->job;
    memset(x, 0, sizeof *x);
    x->req = j->req;
    x->o = &j->opts;
    x->resp = &j->resp;
    x->err = &j->err;
    x->status = &j->status;
    llmh_response_init(x->resp);
    llmh_error_clear(x->err);
    llmh_http_log_request(x->req);
    x->started_ms = x->last_byte_ms = llmh_now_ms();
    CURLU *parsed = NULL;
    if (loop_url(l, x->req->url, x->err, &parsed) != 0) {
        j->status = x->err->code;
        item_fail(it);
        return;
    }
    if (setup(x, l->n_idle ? l->idle[--l->n_idle] : NULL, l->no_proxy, &l->headers, parsed) !=
        0) {
        j->status = llmh_error_set(x->err, LLMH_E_NOMEM, 0, "cannot set up a transfer");
        release(x);
        item_fail(it);
        return;
    }
    curl_multi_add_handle(l->multi, x->easy);
    x->active = 1;
    if (l->n_active == l->cap_active) {
        l->cap_active = l->cap_active ? l->cap_active * 2 : 8;
        l->active = llmh_xrealloc(l->active, l->cap_active * sizeof *l->active);
    }
    l->active[l->n_active++] = it;
    if (l->n_active > l->max_seen)
        l->max_seen = l->n_active;
}

static void fill_slots(llmh_loop *l)
{
    while (l->queue_head && (!l->max_parallel || l->n_active < l->max_parallel)) {
        loop_item *it = l->queue_head;
        l->queue_head = it->next;
        if (!l->queue_head)
            l->queue_tail = NULL;
        start_item(l, it);
    }
}

void llmh_loop_add(llmh_loop *l, llmh_xfer_job *job, llmh_xfer_done_cb done, void *ud)
{
    loop_item *it = l->spare;
    if (it) {
        l->spare = it->next;
        memset(it, 0, sizeof *it);
    } else {
        it = llmh_xcalloc(1, sizeof *it);
    }
    it->job = job;
    it->done = done;
    it->ud = ud;
    if (l->queue_tail)
        l->queue_tail->next = it;
    else
        l->queue_head = it;
    l->queue_tail = it;
}

void llmh_loop_timer(llmh_loop *l, long delay_ms, llmh_timer_cb fn, void *ud)
{
    if (l->n_timers == l->cap_timers) {
        l->cap_timers = l->cap_timers ? l->cap_timers * 2 : 8;
        l->timers = llmh_xrealloc(l->timers, l->cap_timers * sizeof *l->timers);
    }
    l->timers[l->n_timers++] = (loop_timer){llmh_now_ms() + (delay_ms > 0 ? delay_ms : 0), fn, ud};
}

/* Remove active item i (swap with the last) and report it. */
static void complete(llmh_loop *l, size_t i, CURLcode rc, int idle)
{
    loop_item *it = l->active[i];
    l->active[i] = l->active[--l->n_active];
    it->x.idle_expired = idle;
    curl_multi_remove_handle(l->multi, it->x.easy);
    finish(&it->x, rc);
    /* Keep the handle for the next transfer: creating one costs more than
     * resetting it, and a batch makes thousands. */
    if (it->x.easy && l->n_idle < sizeof l->idle / sizeof l->idle[0]) {
        l->idle[l->n_idle++] = it->x.easy;
        it->x.easy = NULL;
    }
    release(&it->x);
    if (it->done)
        it->done(it->ud, it->job);
    it->next = l->spare;
    l->spare = it;
}

static int run_due_timers(llmh_loop *l, long long now)
{
    int ran = 0;
    for (size_t i = 0; i < l->n_timers;) {
        if (l->timers[i].due_ms <= now) {
            loop_timer t = l->timers[i];
            l->timers[i] = l->timers[--l->n_timers];
            t.fn(t.ud); /* may add transfers or timers */
            ran = 1;
        } else {
            i++;
        }
    }
    return ran;
}

void llmh_loop_run(llmh_loop *l)
{
    for (;;) {
        fill_slots(l);
        long long now = llmh_now_ms();
        if (run_due_timers(l, now))
            continue;
        if (!l->n_active && !l->queue_head && !l->n_timers)
            break;
        int still = 0;
        if (l->n_active)
            curl_multi_perform(l->multi, &still);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(l->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            for (size_t i = 0; i < l->n_active; i++) {
                if (l->active[i]->x.easy == m->easy_handle) {
                    complete(l, i, m->data.result, 0);
                    break;
                }
            }
        }
        /* Idle and first-byte deadlines, and how long we may sleep. */
        now = llmh_now_ms();
        long wait_ms = 1000;
        for (size_t i = 0; i < l->n_active;) {
            xfer *x = &l->active[i]->x;
            long long deadline = -1;
            if (x->o->idle_timeout_ms > 0)
                deadline = x->last_byte_ms + x->o->idle_timeout_ms;
            if (x->o->first_byte_timeout_ms > 0 && x->resp->ttfb_ms < 0) {
                long long fb = x->started_ms + x->o->first_byte_timeout_ms;
                if (deadline < 0 || fb < deadline) {
                    deadline = fb;
                }
            }
            if (deadline >= 0 && now >= deadline) {
                x->first_byte_expired = x->o->first_byte_timeout_ms > 0 && x->resp->ttfb_ms < 0 &&
                                        now >= x->started_ms + x->o->first_byte_timeout_ms;
                complete(l, i, CURLE_OPERATION_TIMEDOUT, 1);
                continue;
            }
            if (deadline >= 0 && deadline - now < wait_ms)
                wait_ms = (long)(deadline - now);
            i++;
        }
        for (size_t i = 0; i < l->n_timers; i++)
            if (l->timers[i].due_ms - now < wait_ms)
                wait_ms = (long)(l->timers[i].due_ms - now);
        if (wait_ms < 0)
            wait_ms = 0;
        /* Completions above may have emptied the loop, queued work, or set
         * a timer that is already due: none of those should wait in poll. */
        if (l->queue_head || (!l->n_active && !l->n_timers) || (l->n_timers && wait_ms == 0))
            continue;
        if (l->n_active)
            curl_multi_poll(l->multi, NULL, 0, (int)(wait_ms ? wait_ms : 1), NULL);
        else
            llmh_sleep_ms(wait_ms); /* only timers are left: sleep until the next one */
    }
}

void llmh_http_perform_all(llmh_xfer_job *jobs, size_t n, size_t max_parallel)
{
    if (!n)
        return;
    llmh_loop *l = llmh_loop_new(max_parallel);
    for (size_t i = 0; i < n; i++)
        llmh_loop_add(l, &jobs[i], NULL, NULL);
    llmh_loop_run(l);
    llmh_loop_free(l);
}

llmh_status llmh_http_perform(const llmh_http_req *req, const llmh_xfer_opts *o,
                              llmh_response *resp, llmh_error *err)
{
    llmh_xfer_job job;
    memset(&job, 0, sizeof job);
    job.req = req;
    job.opts = *o;
    llmh_http_perform_all(&job, 1, 1);
    *resp = job.resp;
    if (err)
        *err = job.err;
    return job.status;
}
