/*
 * test_proxy_support.h -- a virtual-clock harness for the proxy core tests
 * (test_proxy*.c): request and response factories and an event recorder.
 */
#ifndef SIPHON_TEST_PROXY_SUPPORT_H
#define SIPHON_TEST_PROXY_SUPPORT_H

#include <siphon/proxy.h>

typedef struct prec_ev {
    siphon_proxy_event_type type;
    siphon_proxy_ctx *ctx;  /* identity only */
    void *server;
    uint32_t branch;
    siphon_msg *msg;        /* owned by the recorder */
    char hop[256];
    int status;
    uint64_t at;
} prec_ev;

typedef struct prec {
    prec_ev ev[512];
    size_t n;
} prec;

/* Our proxy: proxy.example.com, Record-Route on or off. */
siphon_proxy *px_new(bool record_route);
/* A request from a client at client.example.com. extra: more header lines
 * ("Name: value\n"...) or NULL. */
siphon_msg *px_request(const char *method, const char *ruri, const char *extra);
/* A response to a forwarded request (all its Vias copied), with a To tag
 * and extra header lines (or NULL). */
siphon_msg *px_reply(siphon_msg *fwd, int status, const char *totag,
                     const char *extra);
/* receive + (targets) + start in one go; targets "uri;q" pairs: uris[i],
 * qs[i] (-1: none). Returns the context or NULL. */
siphon_proxy_ctx *px_route(siphon_proxy *px, prec *r, siphon_msg *req,
                           void *server, const char *const *uris,
                           const int *qs, size_t n, uint64_t now);

void prec_drain(siphon_proxy *px, prec *r, uint64_t now);
/* Advance the clock to until, firing timers at their deadlines. */
void prec_run(siphon_proxy *px, prec *r, uint64_t until);
void prec_clear(prec *r);
size_t prec_count(const prec *r, siphon_proxy_event_type t);
/* The nth event of type t, or NULL. */
prec_ev *prec_nth(prec *r, siphon_proxy_event_type t, size_t nth);
/* "FORWARD#1 RESPOND(180) CANCEL_BRANCH#2 DONE(200)@..." */
const char *prec_trace(const prec *r);
/* The value of the first header named name in m, as a C string (static
 * buffer), or "" when absent. */
const char *px_hdr(siphon_msg *m, const char *name);

#endif
