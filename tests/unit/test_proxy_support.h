/*
 * test_proxy_support.h -- a virtual-clock harness for the proxy core tests
 * (test_proxy*.c): request and response factories, an event recorder, and
 * a per-test fixture that owns the proxy, the recorder and the messages.
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

/* The server transaction handle the tests give upstream requests: any
 * non-NULL pointer will do, the proxy only hands it back. */
#define PX_SRV ((void *)0x5e)

/* Our proxy's configuration: proxy.example.com, Record-Route on or off,
 * Proxy-Require "foo" supported, 8 branches. Tests that need other limits
 * start from it. */
siphon_proxy_config px_config(bool record_route);
siphon_proxy *px_new(bool record_route);
/* A request from a client at client.example.com. extra: more header lines
 * ("Name: value\n"...) or NULL. */
siphon_msg *px_request(const char *method, const char *ruri, const char *extra);
/* A response to a forwarded request (all its Vias copied), with a To tag
 * and extra header lines (or NULL). */
siphon_msg *px_reply(siphon_msg *fwd, int status, const char *totag,
                     const char *extra);

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
/* How many headers of type id m has. */
size_t px_hdr_count(siphon_msg *m, siphon_hdr_id id);

/*
 * One test: its proxy, what the proxy emitted, and the messages the test
 * made. Every test sets up and tears down the same way, so that a test
 * only says what is particular to it. Heap-allocated: the recorder is
 * large.
 */
typedef struct pxt {
    siphon_proxy *px;
    prec r;
    siphon_msg *own[16];  /* unreferenced by px_end */
    size_t nown;
} pxt;

/* A test on px (px_new() or one built from px_config()). */
pxt *px_begin(siphon_proxy *px);
/* Free the events, the messages the test owns and the proxy. */
void px_end(pxt *t);
/* Hand m to t, which unreferences it in px_end; returns m. */
siphon_msg *px_own(pxt *t, siphon_msg *m);
/* px_request(), owned by t. */
siphon_msg *px_req(pxt *t, const char *method, const char *ruri,
                   const char *extra);
/* The INVITE to sip:bob@biloxi.example.com most tests route, owned by t. */
siphon_msg *px_invite(pxt *t);
/* One request in from server at now, then the events drained; returns
 * what siphon_proxy_receive() said. */
int px_in(pxt *t, siphon_msg *m, void *server, uint64_t now,
          siphon_proxy_ctx **c);
/* receive (from PX_SRV) + targets + start at 0, then the events drained;
 * targets "uri;q" pairs: uris[i], qs[i] (qs NULL: none). Returns the
 * context or NULL. */
siphon_proxy_ctx *px_route(pxt *t, siphon_msg *req, const char *const *uris,
                           const int *qs, size_t n);
/* Start c at 0 with the targets it has and return the first FORWARD
 * recorded (checked to be there). */
prec_ev *px_start(pxt *t, siphon_proxy_ctx *c);
/* The kth FORWARD, looked up afresh (the recorder's array does not move,
 * but later events can make one appear). */
prec_ev *px_fwd(pxt *t, size_t k);
/* e (a FORWARD or CANCEL_BRANCH) is there, with Request-URI ruri, sent
 * to hop (NULL: that one not checked). */
void px_check_sent(const prec_ev *e, const char *ruri, const char *hop);
/* A response from downstream to the forwarded request f at now: timers
 * up to now fire first, the events are drained after. */
void px_answer(pxt *t, prec_ev *f, int status, const char *totag,
               const char *extra, uint64_t now);

#define CHECK_TRACE(t, want) CHECK_STR(siphon_str_c(prec_trace(&(t)->r)), want)

#endif
