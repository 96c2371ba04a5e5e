/*
 * test_proxy_txn.c -- the proxy core on a real transaction layer
 * (siphon/txn.h), glued the way proxy.h describes: REQUEST events go to
 * siphon_proxy_receive(), RESPONSE events to siphon_proxy_response(),
 * TIMEOUT to siphon_proxy_branch_failed(); FORWARD and CANCEL_BRANCH
 * start client transactions, RESPOND goes through the server
 * transaction. RFC 3261 §16 over §17, on a virtual clock.
 */
#include "unit.h"
#include "test_proxy_support.h"
#include "txn_support.h"

#include <siphon/txn.h>

#include <stdlib.h>

typedef struct glue {
    siphon_txn_layer *l;
    siphon_proxy *px;
    siphon_msg *sent[64];   /* every SEND, in order */
    size_t nsent;
    siphon_msg *last_fwd;   /* the last request sent downstream */
    const char *const *targets;
    size_t ntargets;
} glue;

static void g_send(glue *g, siphon_msg *m)
{
    if (g->nsent < 64)
        g->sent[g->nsent++] = siphon_msg_ref(m);
    if (siphon_msg_is_request(m) &&
        siphon_msg_method_id(m) != SIPHON_METHOD_CANCEL) {
        siphon_msg_unref(g->last_fwd);
        g->last_fwd = siphon_msg_ref(m);
    }
}

/* The transaction layer's events, handed on as lib/ua would: requests
 * to the proxy (which forks them to g->targets), responses and strays to
 * it as responses or stateless requests, failures of our client
 * transactions as failed branches. Returns whether there were any. */
static bool pump_txn(glue *g, uint64_t now)
{
    bool any = false;
    siphon_txn_event te;
    while (siphon_txn_poll(g->l, &te)) {
        any = true;
        switch (te.type) {
        case SIPHON_TXN_EV_SEND:
            g_send(g, te.msg);
            break;
        case SIPHON_TXN_EV_REQUEST: {
            siphon_proxy_ctx *c = NULL;
            int rc = siphon_proxy_receive(g->px, te.msg, te.txn, NULL, now,
                                          &c);
            if (rc == SIPHON_PROXY_CONTEXT) {
                for (size_t i = 0; i < g->ntargets; i++)
                    siphon_proxy_add_target(g->px, c, g->targets[i], -1,
                                            NULL);
                CHECK_INT(siphon_proxy_start(g->px, c, now), 0);
            }
            break;
        }
        case SIPHON_TXN_EV_RESPONSE:
        case SIPHON_TXN_EV_STRAY:
            if (!siphon_msg_is_request(te.msg))
                siphon_proxy_response(g->px, te.msg, now);
            else
                siphon_proxy_receive(g->px, te.msg, NULL, NULL, now, NULL);
            break;
        case SIPHON_TXN_EV_TIMEOUT:
        case SIPHON_TXN_EV_TRANSPORT_ERROR:
            if (siphon_txn_kind_of(te.txn) == SIPHON_TXN_ICT ||
                siphon_txn_kind_of(te.txn) == SIPHON_TXN_NICT)
                siphon_proxy_branch_failed(
                    g->px, siphon_txn_request(te.txn),
                    te.type == SIPHON_TXN_EV_TIMEOUT ? SIPHON_ETIMEDOUT
                                                     : SIPHON_EIO,
                    now);
            break;
        default:
            break;
        }
        siphon_msg_unref(te.msg);
    }
    return any;
}

/* The proxy's events: FORWARD and CANCEL_BRANCH start client
 * transactions (stateless ones go straight out), RESPOND goes through
 * the server transaction. Returns whether there were any. */
static bool pump_proxy(glue *g, uint64_t now)
{
    bool any = false;
    siphon_proxy_event pe;
    while (siphon_proxy_poll(g->px, &pe)) {
        any = true;
        switch (pe.type) {
        case SIPHON_PROXY_EV_FORWARD:
        case SIPHON_PROXY_EV_CANCEL_BRANCH:
            if (pe.branch)
                CHECK_INT(siphon_txn_client_start(g->l, pe.msg, false, NULL,
                                                  now, NULL), 0);
            else
                g_send(g, pe.msg);
            break;
        case SIPHON_PROXY_EV_RESPOND:
            if (pe.server)
                CHECK_INT(siphon_txn_respond(g->l, pe.server, pe.msg, now), 0);
            else
                g_send(g, pe.msg);
            break;
        case SIPHON_PROXY_EV_DONE:
            break;
        }
        siphon_msg_unref(pe.msg);
    }
    return any;
}

/* Run both queues dry: each can feed the other. */
static void pump(glue *g, uint64_t now)
{
    for (bool more = true; more;) {
        more = pump_txn(g, now);
        more = pump_proxy(g, now) || more;
    }
}

/* The earlier of the two layers' next deadlines. */
static uint64_t next_due(glue *g)
{
    uint64_t txn_due = siphon_txn_next_deadline(g->l);
    uint64_t px_due = siphon_proxy_next_deadline(g->px);
    return txn_due < px_due ? txn_due : px_due;
}

/* Fire both layers' timers up to until, at their deadlines. */
static void run(glue *g, uint64_t until)
{
    uint64_t d;
    while ((d = next_due(g)) <= until) {
        siphon_txn_tick(g->l, d);
        siphon_proxy_tick(g->px, d);
        pump(g, d);
    }
}

static const char *trace(glue *g)
{
    static char buf[2048];
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < g->nsent && o < sizeof buf - 40; i++) {
        siphon_msg *m = g->sent[i];
        int w = siphon_msg_is_request(m)
                    ? snprintf(buf + o, sizeof buf - o, "%s>%.*s", o ? " " : "",
                               (int)siphon_msg_method(m).len,
                               siphon_msg_method(m).p)
                    : snprintf(buf + o, sizeof buf - o, "%s<%d", o ? " " : "",
                               siphon_msg_status(m));
        if (w > 0)
            o += (size_t)w;
    }
    return buf;
}

static void glue_free(glue *g)
{
    for (size_t i = 0; i < g->nsent; i++)
        siphon_msg_unref(g->sent[i]);
    siphon_msg_unref(g->last_fwd);
    siphon_proxy_free(g->px);
    siphon_txn_layer_free(g->l);
}

static void downstream(glue *g, int status, uint64_t now)
{
    run(g, now);
    CHECK(g->last_fwd != NULL);
    if (!g->last_fwd)
        return;
    siphon_msg *r = px_reply(g->last_fwd, status, "dn", NULL);
    CHECK_INT(siphon_txn_receive(g->l, r, false, NULL, now), 0);
    pump(g, now);
    siphon_msg_unref(r);
}

UNIT_TEST(proxy_txn_invite_180_200_through_transactions)
{
    static const char *const tg[] = {"sip:bob@pc.example.com"};
    glue g = {.l = siphon_txn_layer_new(NULL), .px = px_new(true),
              .targets = tg, .ntargets = 1};
    siphon_msg *inv = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    CHECK_INT(siphon_txn_receive(g.l, inv, false, NULL, 0), 0);
    pump(&g, 0);
    downstream(&g, 180, 100);
    downstream(&g, 200, 300);
    /* ">INVITE" downstream; 180 and 200 up through the IST (the 180
     * came before 200 ms: no 100 of its own), to the client: their top
     * Via is the client's. */
    CHECK_STR(siphon_str_c(trace(&g)), ">INVITE <180 <200");
    if (g.nsent == 3) {
        const siphon_via *v = siphon_msg_via(g.sent[2]);
        CHECK(v && siphon_str_eq(v->branch, SIPHON_STR_LIT("z9hG4bKc1")));
        CHECK_STR(siphon_str_c(px_hdr(g.sent[0], "Record-Route")),
                  "<sip:proxy.example.com;lr>");
    }
    run(&g, 100000);
    CHECK_INT(siphon_proxy_count(g.px), 0);
    CHECK_INT(siphon_txn_count(g.l), 0);
    siphon_msg_unref(inv);
    glue_free(&g);
}

UNIT_TEST(proxy_txn_timer_b_gives_408)
{
    /* Downstream is silent: the ICT's Timer B (64*T1) ends the branch;
     * §16.7 step 6 answers 408 through the IST. */
    glue g = {.l = siphon_txn_layer_new(NULL), .px = px_new(false)};
    siphon_msg *inv = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    CHECK_INT(siphon_txn_receive(g.l, inv, true, NULL, 0), 0);
    pump(&g, 0);
    run(&g, 40000);
    CHECK(strstr(trace(&g), "<100") != NULL);
    CHECK(strstr(trace(&g), "<408") != NULL);
    CHECK_INT(siphon_proxy_count(g.px), 0);
    siphon_msg_unref(inv);
    glue_free(&g);
}
