/* url.h: the one place base URLs are normalized, joined with API paths,
 * classified (local or not) and redacted for display (internal). Pure string
 * work: nothing here resolves or connects. */
#ifndef LLMH_URL_H
#define LLMH_URL_H

#include <stddef.h>

#include <llmhost/types.h>

/* Normalize a user-given base URL: trim white space; without a scheme,
 * "http://" for localhost, 127.0.0.0/8, ::1, 0.0.0.0, private ranges (10/8,
 * 172.16/12, 192.168/16, fc00::/7) and *.local, else "https://"; lower-case
 * scheme and host; only http and https; repeated and trailing slashes in the
 * path removed; fragment dropped; query kept. Cloud metadata hosts
 * (169.254.169.254, 169.254.170.2, 100.100.100.200, fd00:ec2::254 in any
 * IPv4/IPv6 spelling, metadata.google.internal) are refused. Errors are
 * LLMH_E_CONFIG and their messages never contain the URL's userinfo.
 * On success *out is owned by the caller (free()); on error it is NULL. */
llmh_status llmh_url_normalize(const char *in, char **out, llmh_error *err);

/* Join a normalized base and an API path ("/v1/models", "models",
 * "/api/tags"): never "//"; when the base already ends with the path's first
 * segment(s) they are not repeated (".../v1" + "/v1/models" ->
 * ".../v1/models"). The path's query is kept (merged with "&" after any query
 * of the base). Both borrowed; result owned by the caller (free()), NULL on
 * OOM or a NULL base. */
char *llmh_url_join(const char *base, const char *path);

/* base made to end with suffix (e.g. "/v1"), with join's rules. Result owned
 * by the caller (free()), NULL on OOM or a NULL base. */
char *llmh_url_ensure_suffix(const char *base, const char *suffix);

/* Copy for display: userinfo replaced by "***" ("user:pw@host" shows as
 * "***@host"), and the values of query or fragment parameters named key,
 * api_key, apikey, api-key, x-api-key, x-goog-api-key, token, access_token,
 * password or client_secret (case-insensitive, percent-decoded) replaced by
 * "***". To stay safe with an unencoded '/' in a password, the last '@' before
 * the query ends the userinfo, so a path containing '@' is masked too.
 * Result owned by the caller (free()); NULL on OOM or NULL input. */
char *llmh_url_redact(const char *url);

/* 1 when the URL's host is loopback/localhost, unspecified (0.0.0.0, ::),
 * a private range, link-local (169.254/16, fe80::/10) or *.local; 0 otherwise
 * or when the URL cannot be parsed. The scheme is optional. */
int llmh_url_is_local(const char *url);

/* Host part of url (without brackets, port or userinfo, case kept) copied
 * into buf. 0 on success; -1 when there is no host, the URL is malformed or
 * buf is too small. */
int llmh_url_host(const char *url, char *buf, size_t size);

/* url with ":port" after its host when it names no port; a copy otherwise.
 * malloc'd; NULL on OOM. */
char *llmh_url_with_default_port(const char *url, long port);

#endif
