/* transport_reuse.c: one event loop, one transfer at a time, alternating
 * methods and body kinds, so every transfer after the first runs on an easy
 * handle a different kind of request left behind: usage: transport_reuse
 * BASE_URL (the mock's, ending in /v1). Prints one line per request:
 * "STATUS HTTP_STATUS". Exits non-zero when a transfer fails. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include <llmhost/llmhost.h>

#include "hostapi.h"
#include "registry.h"
#include "transport.h"

#define N 6

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const llmh_host *h = llmh_host_table();
    llmh_http_req reqs[N];
    llmh_xfer_job jobs[N];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < N; i++) {
        llmh_http_req *r = &reqs[i];
        llmh_http_req_init(r, argv[1]);
        switch (i % 3) {
        case 0: { /* a body as text */
            h->req_set(r, "POST", "/chat/completions");
            h->req_header(r, "Content-Type", "application/json", 0);
            llmh_buf b = {0};
            llmh_buf_printf(&b, "{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\","
                                "\"content\":\"text %d\"}],\"stream\":false}", i);
            llmh_http_req_set_body_text(r, &b);
            break;
        }
        case 1: { /* no body; a header whose value differs each time */
            h->req_set(r, "GET", "/models");
            char seq[16];
            snprintf(seq, sizeof seq, "%d", i);
            h->req_header(r, "X-Seq", seq, 0);
            break;
        }
        case 2: { /* a body as a tree */
            h->req_set(r, "POST", "/chat/completions");
            h->req_header(r, "Content-Type", "application/json", 0);
            char text[160];
            snprintf(text, sizeof text,
                     "{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\","
                     "\"content\":\"tree %d\"}],\"stream\":false}", i);
            h->req_body(r, (llmh_json *)json_tokener_parse(text));
            break;
        }
        }
        jobs[i].req = r;
        jobs[i].opts.connect_timeout_ms = 2000;
        jobs[i].opts.total_timeout_ms = 5000;
    }
    llmh_http_perform_all(jobs, N, 1);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        printf("%s %d\n", llmh_strerror(jobs[i].status), jobs[i].resp.status);
        if (jobs[i].status != LLMH_OK || jobs[i].resp.status != 200)
            bad = 1;
        llmh_response_clear(&jobs[i].resp);
        llmh_http_req_clear(&reqs[i]);
    }

    /* Then M distinct URLs (query strings) in one loop, four at a time:
     * more than the loop keeps parsed, each sent to its own URL. */
    enum { M = 12 };
    llmh_http_req ureqs[M];
    llmh_xfer_job ujobs[M];
    memset(ujobs, 0, sizeof ujobs);
    for (int i = 0; i < M; i++) {
        llmh_http_req_init(&ureqs[i], argv[1]);
        char path[32];
        snprintf(path, sizeof path, "/models?n=%d", i);
        h->req_set(&ureqs[i], "GET", path);
        ujobs[i].req = &ureqs[i];
        ujobs[i].opts.connect_timeout_ms = 2000;
        ujobs[i].opts.total_timeout_ms = 5000;
    }
    llmh_http_perform_all(ujobs, M, 4);
    for (int i = 0; i < M; i++) {
        if (ujobs[i].status != LLMH_OK || ujobs[i].resp.status != 200) {
            printf("url %d: %s %d\n", i, llmh_strerror(ujobs[i].status), ujobs[i].resp.status);
            bad = 1;
        }
        llmh_response_clear(&ujobs[i].resp);
        llmh_http_req_clear(&ureqs[i]);
    }
    return bad;
}
