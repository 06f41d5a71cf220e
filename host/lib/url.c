/* url.c: base URL normalization, joining, classification and redaction.
 * URLs are split by hand as scheme://[userinfo@]host[:port][/path][?query]
 * [#fragment]; IP literals are decoded to numbers before they are compared,
 * so "0xa9fea9fe" or "[::ffff:169.254.169.254]" cannot dodge the metadata
 * refusal. */
#include "url.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Longest host name (RFC 1035) plus room for an IPv6 zone. */
#define HOST_MAX 255

struct span {
    const char *p;
    size_t n;
};

struct url_parts {
    struct span scheme; /* n == 0: none given */
    struct span userinfo;
    int has_userinfo;
    struct span host; /* without brackets */
    int ipv6;         /* bracketed, or bare with two or more colons */
    unsigned port;    /* 0: none */
    struct span path;
    struct span query;
    int has_query;
};

enum { SPLIT_OK = 0, SPLIT_BAD_HOST = -1, SPLIT_BAD_PORT = -2 };

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int span_ieq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (to_lower(s.p[i]) != lit[i])
            return 0;
    return 1;
}

static int span_iends(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n < n)
        return 0;
    struct span tail = {s.p + s.n - n, n};
    return span_ieq(tail, lit);
}

/* Length of "scheme" when s starts with "scheme://", else 0. */
static size_t scheme_len(const char *s, size_t n)
{
    if (n == 0 || !is_alpha(s[0]))
        return 0;
    size_t i = 1;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' ||
                     s[i] == '.'))
        i++;
    if (i + 3 <= n && s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
        return i;
    return 0;
}

static size_t find_any(const char *s, size_t from, size_t n, const char *set)
{
    for (size_t i = from; i < n; i++)
        if (s[i] && strchr(set, s[i]))
            return i;
    return n;
}

static int parse_port(const char *s, size_t n, unsigned *port)
{
    unsigned long v = 0;
    if (n == 0) {
        *port = 0; /* "host:" means no port */
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (unsigned)v;
    return 0;
}

/* RFC 3986 split: the authority ends at the first '/', '?' or '#', and its
 * userinfo at the last '@' inside it. */
static int url_split(const char *s, size_t n, struct url_parts *u)
{
    memset(u, 0, sizeof *u);
    size_t i = scheme_len(s, n);
    if (i) {
        u->scheme.p = s;
        u->scheme.n = i;
        i += 3;
    }
    size_t a = i;
    size_t ae = find_any(s, a, n, "/?#");

    size_t h = a;
    for (size_t k = ae; k > a; k--) {
        if (s[k - 1] == '@') {
            u->has_userinfo = 1;
            u->userinfo.p = s + a;
            u->userinfo.n = k - 1 - a;
            h = k;
            break;
        }
    }

    if (h < ae && s[h] == '[') {
        const char *rb = memchr(s + h, ']', ae - h);
        if (!rb)
            return SPLIT_BAD_HOST;
        u->host.p = s + h + 1;
        u->host.n = (size_t)(rb - (s + h + 1));
        u->ipv6 = 1;
        size_t k = (size_t)(rb - s) + 1;
        if (k < ae) {
            if (s[k] != ':')
                return SPLIT_BAD_HOST;
            if (parse_port(s + k + 1, ae - k - 1, &u->port))
                return SPLIT_BAD_PORT;
        }
    } else {
        size_t colons = 0, last = 0;
        for (size_t k = h; k < ae; k++)
            if (s[k] == ':') {
                colons++;
                last = k;
            }
        u->host.p = s + h;
        if (colons >= 2) {
            /* A bare IPv6 literal such as "::1": it cannot carry a port. */
            u->host.n = ae - h;
            u->ipv6 = 1;
        } else if (colons == 1) {
            u->host.n = last - h;
            if (parse_port(s + last + 1, ae - last - 1, &u->port))
                return SPLIT_BAD_PORT;
        } else {
            u->host.n = ae - h;
        }
    }

    size_t pe = find_any(s, ae, n, "?#");
    u->path.p = s + ae;
    u->path.n = pe - ae;
    if (pe < n && s[pe] == '?') {
        size_t qe = find_any(s, pe + 1, n, "#");
        u->has_query = 1;
        u->query.p = s + pe + 1;
        u->query.n = qe - pe - 1;
    }
    return SPLIT_OK;
}

/* inet_aton() rules (what resolvers accept): 1 to 4 parts, each decimal,
 * octal (leading 0) or hex (0x); the last part fills the remaining bytes. */
static int parse_ipv4(const char *s, size_t n, uint32_t *out)
{
    uint32_t parts[4];
    int np = 0;
    size_t i = 0;
    if (n == 0)
        return -1;
    for (;;) {
        if (np == 4 || i >= n || s[i] == '.')
            return -1;
        unsigned base = 10;
        if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
            base = 16;
            i += 2;
            if (i >= n || s[i] == '.')
                return -1;
        } else if (s[i] == '0') {
            base = 8;
        }
        uint64_t v = 0;
        while (i < n && s[i] != '.') {
            char c = to_lower(s[i]);
            unsigned d;
            if (is_digit(c))
                d = (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = (unsigned)(c - 'a' + 10);
            else
                return -1;
            if (d >= base)
                return -1;
            v = v * base + d;
            if (v > 0xffffffffu)
                return -1;
            i++;
        }
        parts[np++] = (uint32_t)v;
        if (i == n)
            break;
        i++;
        if (i == n)
            return -1;
    }
    uint32_t a;
    switch (np) {
    case 1:
        a = parts[0];
        break;
    case 2:
        if (parts[0] > 255 || parts[1] > 0xffffff)
            return -1;
        a = parts[0] << 24 | parts[1];
        break;
    case 3:
        if (parts[0] > 255 || parts[1] > 255 || parts[2] > 0xffff)
            return -1;
        a = parts[0] << 24 | parts[1] << 16 | parts[2];
        break;
    default:
        for (int k = 0; k < 4; k++)
            if (parts[k] > 255)
                return -1;
        a = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
        break;
    }
    *out = a;
    return 0;
}

/* IPv6 literal into 16 bytes; a zone ("%25eth0", RFC 6874) is checked for
 * harmless characters and otherwise ignored. */
static int parse_ipv6(struct span h, unsigned char out[16])
{
    char tmp[64];
    size_t n = h.n;
    const char *pct = memchr(h.p, '%', h.n);
    if (pct) {
        n = (size_t)(pct - h.p);
        if (pct + 1 == h.p + h.n)
            return -1;
        for (const char *z = pct + 1; z < h.p + h.n; z++)
            if (!(is_alpha(*z) || is_digit(*z) || (*z && strchr("-._~%", *z))))
                return -1;
    }
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, h.p, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

struct host_info {
    int local;      /* loopback, unspecified, private or *.local: plain http */
    int link_local; /* 169.254/16, fe80::/10 */
    int metadata;   /* a cloud metadata service */
};

static void classify_v4(uint32_t a, struct host_info *hi)
{
    if ((a >> 24) == 127 || a == 0 || (a >> 24) == 10 || (a & 0xfff00000u) == 0xac100000u ||
        (a & 0xffff0000u) == 0xc0a80000u)
        hi->local = 1;
    if ((a & 0xffff0000u) == 0xa9fe0000u)
        hi->link_local = 1;
    if (a == 0xa9fea9feu      /* 169.254.169.254 */
        || a == 0xa9feaa02u   /* 169.254.170.2 */
        || a == 0x646464c8u)  /* 100.100.100.200 */
        hi->metadata = 1;
}

static void classify_host(struct span host, int ipv6, struct host_info *hi)
{
    memset(hi, 0, sizeof *hi);
    if (ipv6) {
        unsigned char b[16];
        static const unsigned char zero12[12] = {0};
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
        static const unsigned char aws[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0,
                                              0,    0, 0,    0,    0, 0, 0x02, 0x54};
        if (parse_ipv6(host, b))
            return;
        uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        if (memcmp(b, zero12, 12) == 0 && v4 <= 1) {
            hi->local = 1; /* :: and ::1 */
        } else if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero12, 12) == 0) {
            classify_v4(v4, hi);
        } else if (memcmp(b, nat64, 12) == 0) {
            struct host_info tmp;
            memset(&tmp, 0, sizeof tmp);
            classify_v4(v4, &tmp);
            hi->metadata = tmp.metadata; /* translated to the IPv4 host, not local */
        } else {
            if ((b[0] & 0xfe) == 0xfc)
                hi->local = 1;
            if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
                hi->link_local = 1;
            if (memcmp(b, aws, 16) == 0)
                hi->metadata = 1;
        }
        return;
    }
    /* "localhost." and "localhost" name the same host. */
    if (host.n > 1 && host.p[host.n - 1] == '.')
        host.n--;
    uint32_t a;
    if (parse_ipv4(host.p, host.n, &a) == 0) {
        classify_v4(a, hi);
        return;
    }
    if (span_ieq(host, "localhost") || span_iends(host, ".localhost") ||
        span_iends(host, ".local"))
        hi->local = 1;
    if (span_ieq(host, "metadata.google.internal"))
        hi->metadata = 1;
}

static int host_chars_ok(struct span h)
{
    for (size_t i = 0; i < h.n; i++) {
        unsigned char c = (unsigned char)h.p[i];
        if (!(is_alpha((char)c) || is_digit((char)c) || c == '-' || c == '.' || c == '_' ||
              c >= 0x80))
            return 0;
    }
    return 1;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

/* Copy a path with runs of '/' collapsed; returns the length written. */
static size_t copy_path(char *dst, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '/' && o && dst[o - 1] == '/')
            continue;
        dst[o++] = src[i];
    }
    return o;
}

llmh_status llmh_url_normalize(const char *in, char **out, llmh_error *err)
{
    if (!out)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "llmh_url_normalize: out is NULL");
    *out = NULL;
    const char *s = in ? in : "";
    size_t n = strlen(s);
    trim(&s, &n);
    if (n == 0)
        return llmh_error_set(err, LLMH_E_CONFIG, 0, "URL is empty");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return llmh_error_set(err, LLMH_E_CONFIG, 0,
                                  "URL contains white space or control characters");

    /* Messages below name the scheme or the host only, never the userinfo. */
    struct url_parts u;
    int rc = url_split(s, n, &u);
    if (rc == SPLIT_BAD_PORT)
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "URL has an invalid port (expected a number from 1 to 65535)");
    if (rc != SPLIT_OK)
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "URL has a malformed IPv6 address (expected [address]:port)");
    if (u.scheme.n && !span_ieq(u.scheme, "http") && !span_ieq(u.scheme, "https"))
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "unsupported URL scheme '%.*s': only http and https are accepted",
                              (int)(u.scheme.n > 32 ? 32 : u.scheme.n), u.scheme.p);
    if (u.host.n == 0)
        return llmh_error_set(err, LLMH_E_CONFIG, 0, "URL has no host");
    /* "http:/h", "http//h" or "https:h" would otherwise become a host named http. */
    if (!u.scheme.n && (span_ieq(u.host, "http") || span_ieq(u.host, "https")))
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "URL scheme is malformed: expected http:// or https://");
    if (u.host.n > HOST_MAX)
        return llmh_error_set(err, LLMH_E_CONFIG, 0, "URL host name is too long");
    if (u.ipv6) {
        unsigned char b[16];
        if (parse_ipv6(u.host, b))
            return llmh_error_set(err, LLMH_E_CONFIG, 0, "URL has a malformed IPv6 address");
    } else if (!host_chars_ok(u.host)) {
        return llmh_error_set(err, LLMH_E_CONFIG, 0, "URL has an invalid host name");
    }

    char host[HOST_MAX + 1];
    const char *pct = u.ipv6 ? memchr(u.host.p, '%', u.host.n) : NULL;
    size_t lower_to = pct ? (size_t)(pct - u.host.p) : u.host.n;
    for (size_t i = 0; i < u.host.n; i++)
        host[i] = i < lower_to ? to_lower(u.host.p[i]) : u.host.p[i];
    host[u.host.n] = '\0';

    struct host_info hi;
    classify_host(u.host, u.ipv6, &hi);
    if (hi.metadata)
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "refusing URL host %s: cloud metadata addresses are never contacted",
                              host);

    const char *scheme;
    if (u.scheme.n)
        scheme = span_ieq(u.scheme, "http") ? "http" : "https";
    else
        scheme = hi.local ? "http" : "https";

    /* scheme :// userinfo @ [ host ] :65535 path ? query */
    size_t cap = strlen(scheme) + 3 + u.userinfo.n + 1 + u.host.n + 2 + 6 + u.path.n + 1 +
                 u.query.n + 1;
    char *r = malloc(cap);
    if (!r)
        return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory");
    size_t o = (size_t)sprintf(r, "%s://", scheme);
    if (u.has_userinfo && u.userinfo.n) {
        memcpy(r + o, u.userinfo.p, u.userinfo.n);
        o += u.userinfo.n;
        r[o++] = '@';
    }
    o += (size_t)sprintf(r + o, u.ipv6 ? "[%s]" : "%s", host);
    if (u.port)
        o += (size_t)sprintf(r + o, ":%u", u.port);
    size_t po = o;
    o += copy_path(r + o, u.path.p, u.path.n);
    while (o > po && r[o - 1] == '/')
        o--;
    if (u.has_query && u.query.n) {
        r[o++] = '?';
        memcpy(r + o, u.query.p, u.query.n);
        o += u.query.n;
    }
    r[o] = '\0';
    *out = r;
    llmh_error_clear(err);
    return LLMH_OK;
}

char *llmh_url_join(const char *base, const char *path)
{
    if (!base)
        return NULL;
    if (!path)
        path = "";
    size_t bn = strlen(base), pn = strlen(path);
    size_t a = scheme_len(base, bn);
    if (a)
        a += 3;
    size_t ae = find_any(base, a, bn, "/?#");
    size_t bpe = find_any(base, ae, bn, "?#");
    struct span bq = {NULL, 0};
    if (bpe < bn && base[bpe] == '?') {
        bq.p = base + bpe + 1;
        bq.n = find_any(base, bpe + 1, bn, "#") - bpe - 1;
    }
    size_t ppe = find_any(path, 0, pn, "?");
    struct span pq = {NULL, 0};
    if (ppe < pn) {
        pq.p = path + ppe + 1;
        pq.n = pn - ppe - 1;
    }

    char *r = malloc(ae + (bpe - ae) + 1 + ppe + 1 + bq.n + 1 + pq.n + 1);
    if (!r)
        return NULL;
    memcpy(r, base, ae);
    size_t o = ae;
    /* Base path: slashes collapsed, trailing ones dropped. */
    size_t bstart = o;
    o += copy_path(r + o, base + ae, bpe - ae);
    while (o > bstart && r[o - 1] == '/')
        o--;
    size_t blen = o - bstart;

    /* API path, normalized in place after the base: leading '/', no '//'. */
    char *pp = r + o;
    size_t plen = 0;
    if (ppe) {
        pp[0] = '/';
        plen = 1;
        for (size_t i = 0; i < ppe; i++) {
            if (path[i] == '/' && pp[plen - 1] == '/')
                continue;
            pp[plen++] = path[i];
        }
        if (plen == 1)
            plen = 0; /* the path was only slashes */
    }

    /* Longest run of leading path segments that the base already ends with. */
    size_t skip = 0;
    for (size_t j = 1; j <= plen && j <= blen; j++) {
        if ((j == plen || pp[j] == '/') &&
            memcmp(r + bstart + blen - j, pp, j) == 0)
            skip = j;
    }
    memmove(pp, pp + skip, plen - skip);
    o += plen - skip;

    if (bq.n || pq.n) {
        r[o++] = '?';
        if (bq.n) {
            memcpy(r + o, bq.p, bq.n);
            o += bq.n;
        }
        if (bq.n && pq.n)
            r[o++] = '&';
        if (pq.n) {
            memcpy(r + o, pq.p, pq.n);
            o += pq.n;
        }
    }
    r[o] = '\0';
    return r;
}

char *llmh_url_ensure_suffix(const char *base, const char *suffix)
{
    return llmh_url_join(base, suffix);
}

static int hexval(char c)
{
    c = to_lower(c);
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int secret_param(const char *name, size_t n)
{
    static const char *const names[] = {"key",      "api_key",        "apikey",
                                        "api-key",  "x-api-key",      "x-goog-api-key",
                                        "token",    "access_token",   "password",
                                        "client_secret"};
    char dec[32];
    size_t d = 0;
    /* Compare the percent-decoded name: "api%5Fkey" is api_key to a server. */
    for (size_t i = 0; i < n; i++) {
        if (d + 1 >= sizeof dec)
            return 0;
        char c = name[i];
        if (c == '%' && i + 2 < n && hexval(name[i + 1]) >= 0 && hexval(name[i + 2]) >= 0) {
            c = (char)(hexval(name[i + 1]) * 16 + hexval(name[i + 2]));
            i += 2;
        }
        dec[d++] = to_lower(c);
    }
    struct span s = {dec, d};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (span_ieq(s, names[k]))
            return 1;
    return 0;
}

char *llmh_url_redact(const char *url)
{
    if (!url)
        return NULL;
    size_t n = strlen(url);
    size_t eqs = 0;
    for (size_t i = 0; i < n; i++)
        if (url[i] == '=')
            eqs++;
    /* "***" may replace an empty userinfo or value: at most 3 bytes more each. */
    char *r = malloc(n + 3 + 3 * eqs + 1);
    if (!r)
        return NULL;
    size_t o = 0, i = scheme_len(url, n);
    if (i)
        i += 3;
    memcpy(r, url, i);
    o = i;

    size_t qs = find_any(url, i, n, "?#");
    size_t at = 0;
    int has_at = 0;
    for (size_t k = qs; k > i; k--)
        if (url[k - 1] == '@') {
            at = k - 1;
            has_at = 1;
            break;
        }
    if (has_at) {
        memcpy(r + o, "***@", 4);
        o += 4;
        i = at + 1;
    }
    memcpy(r + o, url + i, qs - i);
    o += qs - i;
    i = qs;

    /* Parameters after '?' and '#', separated by '&'. */
    while (i < n) {
        r[o++] = url[i++]; /* '?', '#' or '&' */
        size_t e = i;
        while (e < n && url[e] != '&' && url[e] != '#' && url[e] != '=')
            e++;
        memcpy(r + o, url + i, e - i);
        o += e - i;
        if (e < n && url[e] == '=' && secret_param(url + i, e - i)) {
            memcpy(r + o, "=***", 4);
            o += 4;
            e++;
            while (e < n && url[e] != '&' && url[e] != '#')
                e++;
        } else if (e < n && url[e] == '=') {
            r[o++] = '=';
            e++;
            size_t ve = e;
            while (ve < n && url[ve] != '&' && url[ve] != '#')
                ve++;
            memcpy(r + o, url + e, ve - e);
            o += ve - e;
            e = ve;
        }
        i = e;
    }
    r[o] = '\0';
    return r;
}

/* Split a URL given by a caller, tolerating surrounding white space. */
static int split_loose(const char *url, struct url_parts *u)
{
    if (!url)
        return -1;
    const char *s = url;
    size_t n = strlen(s);
    trim(&s, &n);
    if (url_split(s, n, u) != SPLIT_OK || u->host.n == 0)
        return -1;
    return 0;
}

int llmh_url_is_local(const char *url)
{
    struct url_parts u;
    if (split_loose(url, &u))
        return 0;
    struct host_info hi;
    classify_host(u.host, u.ipv6, &hi);
    return hi.local || hi.link_local;
}

int llmh_url_host(const char *url, char *buf, size_t size)
{
    struct url_parts u;
    if (!buf || split_loose(url, &u) || u.host.n + 1 > size)
        return -1;
    memcpy(buf, u.host.p, u.host.n);
    buf[u.host.n] = '\0';
    return 0;
}

char *llmh_url_with_default_port(const char *url, long port)
{
    struct url_parts u;
    if (split_loose(url, &u) || u.port || port <= 0)
        return strdup(url);
    /* The authority ends where the host does (a closing bracket for IPv6). */
    const char *end = u.host.p + u.host.n + (u.ipv6 && u.host.p > url && u.host.p[-1] == '[');
    size_t head = (size_t)(end - url);
    size_t tail = strlen(end);
    char *r = malloc(head + 24 + tail + 1);
    if (!r)
        return NULL;
    int n = snprintf(r, head + 24, "%.*s:%ld", (int)head, url, port);
    memcpy(r + n, end, tail + 1);
    return r;
}
