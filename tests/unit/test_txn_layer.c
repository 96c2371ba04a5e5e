/*
 * test_txn_layer.c -- the layer's own contract: configuration defaults,
 * names, the TERMINATED lifetime rule and freeing a layer with events
 * still queued (ASan checks that nothing leaks or is freed twice).
 */
#include "unit.h"
#include "txn_support.h"

#include <string.h>

UNIT_TEST(txn_layer_config_and_names)
{
    /* Zero T1/T2/T4 fall back to the RFC 3261 defaults (§17.1.1.1). */
    siphon_txn_config cfg = {0};
    cfg.d_ms = 32000;
    siphon_txn_layer *l = siphon_txn_layer_new(&cfg);
    trec r = {0};
    siphon_msg *inv = tx_request("INVITE", "z9hG4bKcfg", "h.example.com", NULL);
    CHECK_INT(siphon_txn_client_start(l, inv, false, NULL, 0, NULL), 0);
    CHECK_INT(siphon_txn_next_deadline(l), 500);
    trec_drain(l, &r, 0);
    trec_clear(&r);
    siphon_txn_layer_free(l);
    siphon_msg_unref(inv);

    CHECK(strcmp(siphon_txn_kind_name(SIPHON_TXN_NIST), "NIST") == 0);
    CHECK(strcmp(siphon_txn_state_name(SIPHON_TXN_ACCEPTED), "ACCEPTED") == 0);
    CHECK(strcmp(siphon_txn_timer_name(SIPHON_TXN_TIMER_M), "M") == 0);
    CHECK(strcmp(siphon_txn_event_name(SIPHON_TXN_EV_STRAY), "STRAY") == 0);
    CHECK(strcmp(siphon_txn_kind_name((siphon_txn_kind)99), "?") == 0);
    CHECK(strcmp(siphon_txn_state_name((siphon_txn_state)99), "?") == 0);
    CHECK(strcmp(siphon_txn_timer_name((siphon_txn_timer)99), "?") == 0);
    CHECK(strcmp(siphon_txn_event_name((siphon_txn_event_type)99), "?") == 0);
}

UNIT_TEST(txn_layer_terminated_lifetime)
{
    /* The handle stays readable while its TERMINATED event is queued and
     * after poll returns it, until the next poll. */
    siphon_txn_layer *l = siphon_txn_layer_new(NULL);
    siphon_msg *opt = tx_request("OPTIONS", "z9hG4bKlt", "h.example.com", NULL);
    siphon_msg *ok = tx_response(opt, 200, "s");
    siphon_txn *t = NULL;
    CHECK_INT(siphon_txn_receive(l, opt, true, (void *)opt, 0), 0);
    siphon_txn_event ev;
    CHECK(siphon_txn_poll(l, &ev));
    CHECK_INT(ev.type, SIPHON_TXN_EV_REQUEST);
    CHECK(ev.user == (void *)opt);
    t = ev.txn;
    siphon_msg_unref(ev.msg);
    CHECK(siphon_txn_user(t) == (void *)opt);
    CHECK(siphon_txn_request(t) == opt);
    CHECK(siphon_txn_last(t) == NULL);
    CHECK_INT(siphon_txn_respond(l, t, ok, 1), 0); /* J = 0 on TCP */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_TERMINATED);
    CHECK(siphon_txn_last(t) == ok);
    CHECK_INT(siphon_txn_respond(l, t, ok, 1), SIPHON_ESTATE);
    CHECK_INT(siphon_txn_transport_error(l, t, 1), SIPHON_ESTATE);
    /* A response to another request is refused, whatever the state. */
    siphon_msg *inv = tx_request("INVITE", "z9hG4bKlt2", "h.example.com", NULL);
    siphon_msg *r180 = tx_response(inv, 180, "s");
    CHECK_INT(siphon_txn_respond(l, t, r180, 1), SIPHON_EINVAL);
    CHECK(siphon_txn_poll(l, &ev));
    CHECK_INT(ev.type, SIPHON_TXN_EV_SEND);
    CHECK(ev.msg == ok && ev.txn == t);
    siphon_msg_unref(ev.msg);
    CHECK(siphon_txn_poll(l, &ev));
    CHECK_INT(ev.type, SIPHON_TXN_EV_TERMINATED);
    CHECK(ev.msg == NULL && ev.txn == t);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_TERMINATED); /* still valid */
    CHECK(!siphon_txn_poll(l, &ev)); /* and now freed */
    siphon_txn_layer_free(l);
    siphon_msg_unref(opt);
    siphon_msg_unref(ok);
    siphon_msg_unref(inv);
    siphon_msg_unref(r180);
}

UNIT_TEST(txn_layer_free_with_queue)
{
    /* Live transactions, queued events with messages, a queued
     * TERMINATED and a zombie: free releases all of them. */
    siphon_txn_layer *l = siphon_txn_layer_new(NULL);
    siphon_msg *a = tx_request("INVITE", "z9hG4bKfq1", "h.example.com", NULL);
    siphon_msg *b = tx_request("MESSAGE", "z9hG4bKfq2", "h.example.com", NULL);
    siphon_msg *c = tx_request("NOTIFY", "z9hG4bKfq3", "h.example.com", NULL);
    siphon_txn *tc = NULL;
    CHECK_INT(siphon_txn_client_start(l, a, false, NULL, 0, NULL), 0);
    CHECK_INT(siphon_txn_client_start(l, b, true, NULL, 0, NULL), 0);
    CHECK_INT(siphon_txn_client_start(l, c, true, NULL, 0, &tc), 0);
    CHECK_INT(siphon_txn_transport_error(l, tc, 0), 0);
    siphon_txn_event ev;
    /* Consume up to c's TERMINATED so that it becomes the zombie. */
    while (siphon_txn_poll(l, &ev)) {
        siphon_msg_unref(ev.msg);
        if (ev.type == SIPHON_TXN_EV_TERMINATED)
            break;
    }
    CHECK_INT(siphon_txn_tick(l, 40000), 8); /* 6 x A, B, F */
    CHECK_INT(siphon_txn_count(l), 0);
    siphon_txn_layer_free(l); /* the rest stays queued */
    siphon_msg_unref(a);
    siphon_msg_unref(b);
    siphon_msg_unref(c);
}
