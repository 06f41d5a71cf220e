/* transport.h: HTTP exchanges on libcurl's multi interface (internal). One
 * share handle per process keeps connections, DNS and TLS sessions; each
 * call runs its transfers on a multi handle, so one request and a batch of
 * many go through the same code. */
#ifndef LLMH_TRANSPORT_H
#define LLMH_TRANSPORT_H

#include "hostapi.h"
#include "util.h"

/* Body bytes of a 2xx answer, as they arrive. Non-zero aborts the transfer
 * (the call then fails with LLMH_E_CANCELLED unless the callback set err). */
typedef int (*llmh_body_cb)(void *ud, const char *data, size_t len);

typedef struct llmh_xfer_opts {
    long connect_timeout_ms; /* 0: 5000 */
    long idle_timeout_ms;    /* longest wait for the next byte; 0: none */
    long total_timeout_ms;   /* whole exchange; 0: none */
    long first_byte_timeout_ms; /* no body byte by then fails it (llm.ttft_timeout); 0: none */
    int tls_verify;          /* 1 unless the user explicitly said otherwise */
    llmh_body_cb on_body;    /* NULL: collect the body into resp.body */
    void *ud;
    size_t max_body;         /* cap on a collected body; 0: 64 MiB */
    const char *what;        /* who we talk to, for messages ("Ollama at http://...") */
} llmh_xfer_opts;

typedef struct llmh_response {
    int status;              /* HTTP status; 0 when none arrived */
    long retry_after_ms;     /* from Retry-After; -1 when absent */
    llmh_buf body;           /* collected body (always for non-2xx, capped at 64 KiB) */
    long long ttfb_ms;       /* time to the first body byte; -1 if none */
    long long total_ms;
    long new_connections;    /* connections opened for this exchange */
    size_t body_bytes;       /* bytes of body received */
    int first_byte_timeout;  /* failed because no body byte came within first_byte_timeout_ms */
} llmh_response;

void llmh_response_init(llmh_response *r);
void llmh_response_clear(llmh_response *r);

/* One exchange, blocking. LLMH_OK when an HTTP answer arrived (any status:
 * the caller classifies it); a transport status (connect, timeout, cut
 * stream, cancelled) with err worded for a person otherwise. */
llmh_status llmh_http_perform(const llmh_http_req *req, const llmh_xfer_opts *o,
                              llmh_response *resp, llmh_error *err);

/* Many exchanges at once, at most max_parallel in flight (0: all). */
typedef struct llmh_xfer_job {
    const llmh_http_req *req;
    llmh_xfer_opts opts;
    llmh_response resp;
    llmh_error err;
    llmh_status status;
} llmh_xfer_job;
void llmh_http_perform_all(llmh_xfer_job *jobs, size_t n, size_t max_parallel);

/* An event loop: transfers on one multi handle (at most max_parallel in
 * flight, 0: no limit; the rest wait in order) and timers. Callbacks run on
 * the loop's thread and may add transfers and timers. */
typedef struct llmh_loop llmh_loop;
typedef void (*llmh_xfer_done_cb)(void *ud, llmh_xfer_job *job);
typedef void (*llmh_timer_cb)(void *ud);
llmh_loop *llmh_loop_new(size_t max_parallel);
void llmh_loop_free(llmh_loop *l);
/* job must stay valid until done is called; done may be NULL. */
void llmh_loop_add(llmh_loop *l, llmh_xfer_job *job, llmh_xfer_done_cb done, void *ud);
void llmh_loop_timer(llmh_loop *l, long delay_ms, llmh_timer_cb fn, void *ud);
/* Run until no transfer, queued transfer or timer is left. */
void llmh_loop_run(llmh_loop *l);
/* The most transfers that were in flight at once. */
size_t llmh_loop_max_in_flight(const llmh_loop *l);

/* Process-wide setup, reference counted by contexts. */
void llmh_transport_ref(void);
void llmh_transport_unref(void);

/* Log the request (-v: method, URL, headers with secrets as ***; -vv: body). */
void llmh_http_log_request(const llmh_http_req *req);

/* Parse a Retry-After value (seconds or an HTTP date) into ms; -1 if invalid. */
long llmh_parse_retry_after(const char *value);

#endif
