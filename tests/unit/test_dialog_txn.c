/*
 * test_dialog_txn.c -- the dialog layer above the transaction layer, on
 * one virtual clock, as lib/ua is meant to glue them: the UAS 2xx goes
 * out through the INVITE server transaction (RFC 6026 ACCEPTED), its
 * retransmissions come from the dialog (RFC 3261 §13.3.1.4) and go back
 * through the transaction, the ACK (a new branch) comes up as STRAY; on the UAC side the 2xx retransmissions come up as RESPONSE
 * while the ICT is ACCEPTED and as STRAY after Timer M, and each gets
 * the dialog's stored ACK (§13.2.2.4).
 */
#include "unit.h"
#include "txn_support.h"

#include <siphon/dialog.h>

typedef struct glue {
    siphon_txn_layer *l;
    siphon_dialog_set *s;
    uint64_t now;
    char trace[4096];
    size_t o;
    /* what the test looks at */
    siphon_txn *ist, *ict;
    siphon_msg *request;  /* the last REQUEST/ACK the txn layer passed up */
    unsigned acks_sent;   /* ACKs the dialog set sent again */
    bool ict_ended;
    siphon_msg *invite;   /* the UAC's INVITE */
} glue;

static void note(glue *g, const char *who, const char *what, siphon_msg *m)
{
    char buf[64] = "";
    if (m && siphon_msg_is_request(m)) {
        siphon_str me = siphon_msg_method(m);
        snprintf(buf, sizeof buf, "(%.*s)", (int)me.len, me.p);
    } else if (m) {
        snprintf(buf, sizeof buf, "(%d)", siphon_msg_status(m));
    }
    if (g->o < sizeof g->trace - 80)
        g->o += (size_t)snprintf(g->trace + g->o, sizeof g->trace - g->o,
                                 "%s%s:%s%s@%llu", g->o ? " " : "", who, what,
                                 buf, (unsigned long long)g->now);
}

/* Drain both queues, acting as lib/ua would. */
static void pump(glue *g)
{
    bool more = true;
    while (more) {
        more = false;
        siphon_txn_event te;
        while (siphon_txn_poll(g->l, &te)) {
            more = true;
            note(g, "T", siphon_txn_event_name(te.type), te.msg);
            /* An ACK for a 2xx has its own branch (§17.1.1.3), so it
             * usually matches no transaction and comes up as STRAY. */
            if (te.type == SIPHON_TXN_EV_REQUEST ||
                te.type == SIPHON_TXN_EV_ACK ||
                (te.type == SIPHON_TXN_EV_STRAY && te.msg &&
                 siphon_msg_is_request(te.msg))) {
                siphon_msg_unref(g->request);
                g->request = siphon_msg_ref(te.msg);
                if (te.type == SIPHON_TXN_EV_REQUEST)
                    g->ist = te.txn;
                /* Every request goes to the dialog set (§12.2.2). */
                siphon_dialog_receive_request(g->s, te.msg, g->now, NULL,
                                              NULL);
            } else if (te.type == SIPHON_TXN_EV_RESPONSE ||
                       (te.type == SIPHON_TXN_EV_STRAY && te.msg &&
                        !siphon_msg_is_request(te.msg))) {
                siphon_dialog_receive_response(
                    g->s, te.txn ? siphon_txn_request(te.txn) : NULL, te.msg,
                    g->now, NULL);
            } else if (te.type == SIPHON_TXN_EV_TERMINATED &&
                       te.txn == g->ict) {
                g->ict = NULL;
                g->ict_ended = true;
                siphon_dialog_uac_invite_ended(g->s, g->invite, g->now);
            } else if (te.type == SIPHON_TXN_EV_TERMINATED &&
                       te.txn == g->ist) {
                g->ist = NULL;
            }
            siphon_msg_unref(te.msg);
        }
        siphon_dialog_event de;
        while (siphon_dialog_poll(g->s, &de)) {
            more = true;
            note(g, "D", siphon_dialog_event_name(de.type), de.msg);
            if (de.type == SIPHON_DIALOG_EV_SEND && de.msg &&
                !siphon_msg_is_request(de.msg)) {
                /* A 2xx again: through the IST while it is ACCEPTED
                 * (RFC 6026: "sent as given"), else to the transport. */
                if (g->ist)
                    CHECK_INT(siphon_txn_respond(g->l, g->ist, de.msg, g->now),
                              0);
            } else if (de.type == SIPHON_DIALOG_EV_SEND) {
                g->acks_sent++;
            }
            siphon_msg_unref(de.msg);
        }
    }
}

static void run_to(glue *g, uint64_t until)
{
    for (;;) {
        uint64_t a = siphon_txn_next_deadline(g->l);
        uint64_t b = siphon_dialog_next_deadline(g->s);
        uint64_t t = a < b ? a : b;
        if (t > until)
            break;
        g->now = t;
        siphon_txn_tick(g->l, t);
        siphon_dialog_tick(g->s, t);
        pump(g);
    }
    g->now = until;
}

static void glue_init(glue *g)
{
    memset(g, 0, sizeof *g);
    g->l = siphon_txn_layer_new(NULL);
    g->s = siphon_dialog_set_new(NULL);
}

static void glue_free(glue *g)
{
    siphon_msg_unref(g->request);
    siphon_msg_unref(g->invite);
    siphon_txn_layer_free(g->l);
    siphon_dialog_set_free(g->s);
}

static siphon_msg *with_contact(siphon_msg *req, int status, const char *tag)
{
    siphon_msgb *b = siphon_msgb_response_to(req, status, SIPHON_STR_NULL,
                                             siphon_str_c(tag));
    siphon_msg *m = NULL;
    siphon_perr err;
    siphon_msgb_add(b, SIPHON_STR_LIT("Contact"),
                    SIPHON_STR_LIT("<sip:bob@192.0.2.4>"));
    if (siphon_msgb_finish(b, &m, &err) < 0)
        unit_fail(__FILE__, __LINE__, "%s", err.text);
    siphon_msgb_free(b);
    return m;
}

UNIT_TEST(dialog_txn_uas_2xx_until_ack)
{
    glue g;
    glue_init(&g);
    siphon_msg *inv = tx_request("INVITE", "z9hG4bKdlg1", SENTBY, NULL);
    siphon_msg *ack = NULL, *r200 = NULL;
    CHECK_INT(siphon_txn_receive(g.l, inv, false, NULL, 0), 0);
    pump(&g);
    CHECK(g.ist != NULL);
    if (!g.ist)
        goto out;
    r200 = with_contact(inv, 200, "bt");
    g.now = 10;
    CHECK_INT(siphon_txn_respond(g.l, g.ist, r200, 10), 0);
    CHECK_INT(siphon_dialog_uas_respond(g.s, inv, r200, 10, NULL),
              SIPHON_DIALOG_MATCHED);
    pump(&g);
    run_to(&g, 2000);
    /* The ACK for the 2xx: same Call-ID and tags, its own branch. */
    char text[1024];
    snprintf(text, sizeof text,
             "ACK sip:bob@192.0.2.4 SIP/2.0\n"
             "Via: SIP/2.0/UDP " SENTBY ";branch=z9hG4bKack1\n"
             "Max-Forwards: 70\n"
             "From: %.*s\n"
             "To: %.*s\n"
             "Call-ID: %.*s\n"
             "CSeq: 314159 ACK\n"
             "Content-Length: 0\n\n",
             (int)siphon_msg_from(inv)->raw.len, siphon_msg_from(inv)->raw.p,
             (int)siphon_msg_to(r200)->raw.len, siphon_msg_to(r200)->raw.p,
             (int)siphon_msg_call_id(inv).len, siphon_msg_call_id(inv).p);
    ack = tx_parse(text);
    CHECK_INT(siphon_txn_receive(g.l, ack, false, NULL, 2000), 0);
    pump(&g);
    run_to(&g, 100000);
    CHECK_STR(siphon_str_c(g.trace),
              "T:REQUEST(INVITE)@0 T:SEND(200)@10 D:CREATED@10 "
              "D:SEND(200)@510 T:SEND(200)@510 D:SEND(200)@1510 "
              "T:SEND(200)@1510 T:STRAY(ACK)@2000 T:TERMINATED@32010");
    CHECK_INT(siphon_dialog_count(g.s), 1);
out:
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    siphon_msg_unref(ack);
    glue_free(&g);
}

UNIT_TEST(dialog_txn_uac_reack)
{
    glue g;
    glue_init(&g);
    siphon_msg *inv = tx_request("INVITE", "z9hG4bKdlg2", SENTBY, NULL);
    siphon_msg *r200 = inv ? with_contact(inv, 200, "bt") : NULL;
    siphon_msg *ack = NULL;
    siphon_dialog *d = NULL;
    if (!r200)
        goto out;
    g.invite = siphon_msg_ref(inv);
    CHECK_INT(siphon_txn_client_start(g.l, inv, false, NULL, 0, &g.ict), 0);
    pump(&g);
    g.now = 100;
    CHECK_INT(siphon_txn_receive(g.l, r200, false, NULL, 100), 0);
    pump(&g);
    d = siphon_dialog_find(g.s, siphon_msg_call_id(inv),
                           siphon_msg_from(inv)->tag, SIPHON_STR_LIT("bt"));
    CHECK(d != NULL);
    if (!d)
        goto out;
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_CONFIRMED);
    /* The TU ACKs (lib/ua would add the Via and send it). */
    CHECK_INT(siphon_dialog_request(g.s, d, SIPHON_STR_LIT("ACK"),
                                    SIPHON_STR_NULL, SIPHON_STR_NULL, 100, &ack,
                                    NULL),
              0);
    /* The 2xx again while the ICT is ACCEPTED (RESPONSE), and after
     * Timer M (STRAY): the same ACK each time. */
    g.now = 600;
    CHECK_INT(siphon_txn_receive(g.l, r200, false, NULL, 600), 0);
    pump(&g);
    run_to(&g, 40000);
    CHECK(g.ict_ended);
    CHECK_INT(siphon_txn_receive(g.l, r200, false, NULL, 40000), 0);
    pump(&g);
    CHECK_INT(g.acks_sent, 2);
    CHECK_INT(siphon_dialog_count(g.s), 1);
    CHECK_STR(siphon_str_c(g.trace),
              "T:SEND(INVITE)@0 T:RESPONSE(200)@100 D:CREATED@100 "
              "T:RESPONSE(200)@600 D:SEND(ACK)@600 T:TERMINATED@32100 "
              "T:STRAY(200)@40000 D:SEND(ACK)@40000");
out:
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    siphon_msg_unref(ack);
    glue_free(&g);
}

UNIT_TEST(dialog_timers_many)
{
    /* 64 UAS dialogs whose 2xx went out 37 ms apart: each retransmits on
     * its own schedule (start + 0.5, 1.5, 3.5, 7.5, 11.5 ... s) until the
     * TU ends the odd ones at 10 s, and the even ones give up at 32 s
     * with a BYE -- the timer heap keeps them apart. */
    enum { ND = 64 };
    siphon_dialog_set *s = siphon_dialog_set_new(NULL);
    siphon_msg *inv = tx_request("INVITE", "z9hG4bKmany", SENTBY, NULL);
    siphon_dialog *d[ND] = {0};
    unsigned sends[ND] = {0}, byes[ND] = {0}, bad = 0;
    uint64_t start[ND];
    for (int i = 0; i < ND && inv; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "m%d", i);
        siphon_msg *r = with_contact(inv, 200, tag);
        start[i] = (uint64_t)i * 37;
        CHECK_INT(siphon_dialog_uas_respond(s, inv, r, start[i], &d[i]), 1);
        if (d[i])
            siphon_dialog_set_user(d[i], &start[i]);
        siphon_msg_unref(r);
    }
    bool ended = false;
    for (;;) {
        uint64_t t = siphon_dialog_next_deadline(s);
        if (!ended && t > 10000) {
            for (int i = 1; i < ND; i += 2)
                if (d[i])
                    CHECK_INT(siphon_dialog_terminate(
                                  s, d[i], SIPHON_DIALOG_REASON_LOCAL, 10000),
                              0);
            ended = true;
            continue;
        }
        if (t == UINT64_MAX)
            break;
        CHECK(siphon_dialog_tick(s, t) >= 1);
        siphon_dialog_event ev;
        while (siphon_dialog_poll(s, &ev)) {
            if (ev.type == SIPHON_DIALOG_EV_SEND) {
                int i = (int)((uint64_t *)ev.user - start);
                if (siphon_msg_is_request(ev.msg)) {
                    byes[i]++;
                    if (t != start[i] + 32000)
                        bad++;
                } else {
                    /* the k-th resend is due at start + sum of T1*2^j,
                     * capped at T2 */
                    uint64_t at = start[i], iv = 500;
                    for (unsigned k = 0; k <= sends[i]; k++) {
                        at += iv;
                        iv = iv * 2 < 4000 ? iv * 2 : 4000;
                    }
                    if (t != at)
                        bad++;
                    sends[i]++;
                }
            }
            siphon_msg_unref(ev.msg);
        }
    }
    CHECK_INT(bad, 0);
    for (int i = 0; i < ND; i++) {
        CHECK_INT(sends[i], i % 2 ? 4 : 10);
        CHECK_INT(byes[i], i % 2 ? 0 : 1);
    }
    CHECK_INT(siphon_dialog_count(s), 0);
    siphon_msg_unref(inv);
    siphon_dialog_set_free(s);
}
