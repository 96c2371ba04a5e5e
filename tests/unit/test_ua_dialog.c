/*
 * test_ua_dialog.c -- dialogs through the endpoint (RFC 3261 §12-§15):
 * a call set up and torn down between two endpoints (ACK and BYE built
 * within the dialog), 481 for a request of no dialog (§12.2.2), and the
 * UAS's 2xx retransmitted until the ACK, then a BYE after 64*T1
 * (§13.3.1.4), on a virtual clock.
 */
#include "test_net_tcp_support.h"
#include "unit.h"

#include <siphon/ua.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct peer {
    siphon_ua *ua;
    char addr[SIPHON_ADDR_STRLEN];
    int invites, acks, byes, created, confirmed, ended, finals, status;
    siphon_dialog_reason last_reason;
    siphon_msg *last_final;
} peer;

static void uas_request(void *arg, siphon_ua *ua, siphon_txn *stx,
                        siphon_msg *req, const siphon_ua_flow *from)
{
    peer *p = arg;
    (void)from;
    siphon_method m = siphon_msg_method_id(req);
    if (!stx) {
        p->acks += m == SIPHON_METHOD_ACK;
        return;
    }
    siphon_msg *resp = NULL;
    if (m == SIPHON_METHOD_INVITE) {
        p->invites++;
        char contact[96];
        snprintf(contact, sizeof contact, "<sip:b@%s>", p->addr);
        siphon_msgb *b = siphon_msgb_response_to(req, 200, SIPHON_STR_NULL,
                                                 siphon_str_c("uas1"));
        siphon_msgb_add(b, siphon_str_c("Contact"), siphon_str_c(contact));
        siphon_perr err;
        CHECK_INT(siphon_msgb_finish(b, &resp, &err), 0);
        siphon_msgb_free(b);
    } else {
        p->byes += m == SIPHON_METHOD_BYE;
        CHECK_INT(siphon_msg_response(req, 200, SIPHON_STR_NULL,
                                      siphon_str_c("uas1"), &resp), 0);
    }
    CHECK_INT(siphon_ua_respond(ua, stx, resp), 0);
    siphon_msg_unref(resp);
}

static void on_dialog(void *arg, siphon_ua *ua, const siphon_dialog_event *ev)
{
    peer *p = arg;
    (void)ua;
    if (ev->type == SIPHON_DIALOG_EV_CREATED)
        p->created++;
    if (ev->type == SIPHON_DIALOG_EV_STATE &&
        ev->state == SIPHON_DIALOG_CONFIRMED)
        p->confirmed++;
    if (ev->type == SIPHON_DIALOG_EV_TERMINATED) {
        p->ended++;
        p->last_reason = ev->reason;
    }
}

static void on_final(void *arg, siphon_ua_client *c, siphon_msg *resp,
                     int err, bool final)
{
    peer *p = arg;
    (void)c, (void)err;
    if (!final)
        return;
    p->finals++;
    p->status = resp ? siphon_msg_status(resp) : 0;
    siphon_msg_unref(p->last_final);
    p->last_final = resp ? siphon_msg_ref(resp) : NULL;
}

static void peer_open(siphon_loop *loop, peer *p)
{
    memset(p, 0, sizeof *p);
    siphon_ua_config cfg;
    siphon_ua_config_default(&cfg);
    cfg.dialogs = true;
    siphon_ua_handlers h = {.request = uas_request, .dialog = on_dialog,
                            .arg = p};
    CHECK_INT(siphon_ua_new(loop, &cfg, &h, &p->ua), 0);
    struct sockaddr_storage a;
    CHECK_INT(siphon_ua_listen(p->ua, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               &a), 0);
    siphon_addr_format((struct sockaddr *)&a, p->addr, sizeof p->addr);
}

static void peer_close(peer *p)
{
    siphon_msg_unref(p->last_final);
    siphon_ua_free(p->ua);
}

static siphon_msg *invite_to(const peer *from, const peer *to, int n)
{
    char text[768];
    int len = snprintf(text, sizeof text,
                       "INVITE sip:b@%s SIP/2.0\r\nMax-Forwards: 70\r\n"
                       "From: <sip:a@x>;tag=uac%d\r\nTo: <sip:b@x>\r\n"
                       "Call-ID: dlg-%d@x\r\nCSeq: 1 INVITE\r\n"
                       "Contact: <sip:a@%s>\r\nContent-Length: 0\r\n\r\n",
                       to->addr, n, n, from->addr);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parse(text, (size_t)len, NULL, &m, &err), 0);
    return m;
}

static void run_until(siphon_loop *loop, const int *v, int want)
{
    for (int i = 0; i < 300 && *v < want; i++)
        siphon_loop_run_once(loop, 10);
}

UNIT_TEST(ua_dialog_call_ack_bye)
{
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    peer a, b;
    peer_open(loop, &a);
    peer_open(loop, &b);
    siphon_msg *inv = invite_to(&a, &b, 1);
    CHECK_INT(siphon_ua_request(a.ua, inv, NULL, on_final, &a, NULL), 0);
    siphon_msg_unref(inv);
    run_until(loop, &a.finals, 1);
    CHECK_INT(a.status, 200);
    CHECK_INT(a.created, 1);
    CHECK_INT(b.created, 1);
    /* The UAC's dialog, by its ID (Call-ID, local = From tag, remote =
     * To tag), and the ACK built within it (§13.2.2.4). */
    const siphon_nameaddr *to = siphon_msg_to(a.last_final);
    siphon_dialog *d = siphon_dialog_find(siphon_ua_dialogs(a.ua),
                                          siphon_str_c("dlg-1@x"),
                                          siphon_str_c("uac1"), to->tag);
    CHECK(d != NULL);
    CHECK_INT(siphon_ua_dialog_request(a.ua, d, siphon_str_c("ACK"),
                                       SIPHON_STR_NULL, SIPHON_STR_NULL,
                                       NULL, NULL, NULL, NULL), 0);
    run_until(loop, &b.acks, 1);
    CHECK_INT(b.acks, 1);
    /* BYE from the UAC: CSeq 2, to the remote target; both ends end. */
    CHECK_INT(siphon_ua_dialog_request(a.ua, d, siphon_str_c("BYE"),
                                       SIPHON_STR_NULL, SIPHON_STR_NULL,
                                       NULL, on_final, &a, NULL), 0);
    run_until(loop, &a.finals, 2);
    CHECK_INT(a.status, 200);
    CHECK_INT(b.byes, 1);
    run_until(loop, &b.ended, 1);
    CHECK_INT(a.ended, 1);
    CHECK_INT(b.ended, 1);
    CHECK_INT(a.last_reason, SIPHON_DIALOG_REASON_BYE_SENT);
    CHECK_INT(b.last_reason, SIPHON_DIALOG_REASON_BYE_RECEIVED);

    /* A BYE for a dialog nobody has: 481 from the endpoint (§12.2.2). */
    char text[512];
    int len = snprintf(text, sizeof text,
                       "BYE sip:b@%s SIP/2.0\r\nMax-Forwards: 70\r\n"
                       "From: <sip:a@x>;tag=zz\r\nTo: <sip:b@x>;tag=nope\r\n"
                       "Call-ID: nodialog@x\r\nCSeq: 9 BYE\r\n"
                       "Content-Length: 0\r\n\r\n", b.addr);
    siphon_msg *bye = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parse(text, (size_t)len, NULL, &bye, &err), 0);
    CHECK_INT(siphon_ua_request(a.ua, bye, NULL, on_final, &a, NULL), 0);
    siphon_msg_unref(bye);
    run_until(loop, &a.finals, 3);
    CHECK_INT(a.status, 481);
    CHECK_INT(b.byes, 1); /* the TU never saw it */
    peer_close(&a);
    peer_close(&b);
    siphon_loop_free(loop);
}

UNIT_TEST(ua_dialog_2xx_until_ack_then_bye)
{
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    tcpt_vnow = 7000000;
    siphon_loop_set_clock(loop, tcpt_vclock, NULL);
    peer b;
    peer_open(loop, &b);
    /* A UAC that never ACKs: a raw socket. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    socklen_t ml = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &ml);
    char text[768];
    int len = snprintf(text, sizeof text,
                       "INVITE sip:b@%s SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKnoack\r\n"
                       "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=n1\r\n"
                       "To: <sip:b@x>\r\nCall-ID: noack@x\r\nCSeq: 1 INVITE\r\n"
                       "Contact: <sip:a@127.0.0.1:%u>\r\n"
                       "Content-Length: 0\r\n\r\n",
                       b.addr, ntohs(me.sin_port), ntohs(me.sin_port));
    struct sockaddr_storage to;
    socklen_t tl;
    CHECK_INT(siphon_addr_parse(siphon_str_c(b.addr), &to, &tl), 0);
    CHECK(sendto(fd, text, (size_t)len, 0, (struct sockaddr *)&to, tl) > 0);
    uint64_t start = tcpt_vnow;
    for (int i = 0; i < 100 && !b.invites; i++)
        siphon_loop_run_once(loop, 5);
    CHECK_INT(b.invites, 1);
    /* Advance through 64*T1 in 250 ms steps, counting the 200s and
     * watching for the BYE (§13.3.1.4). */
    int oks = 0, byes = 0;
    char buf[4096];
    while (tcpt_vnow < start + 33000) {
        tcpt_vnow += 250;
        siphon_loop_run_once(loop, 2);
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
            buf[n] = '\0';
            oks += strncmp(buf, "SIP/2.0 200", 11) == 0;
            byes += strncmp(buf, "BYE ", 4) == 0;
        }
    }
    /* The first 200 and its retransmissions at 0.5, 1.5, 3.5, 7.5, 11.5,
     * 15.5, 19.5, 23.5, 27.5, 31.5 s: 11 in all; then the BYE at 32 s,
     * through a client transaction that retransmits it at 32.5 s (Timer
     * E) as nobody answers. */
    CHECK_INT(oks, 11);
    CHECK_INT(byes, 2);
    CHECK_INT(b.ended, 1);
    CHECK_INT(b.last_reason, SIPHON_DIALOG_REASON_NO_ACK);
    close(fd);
    peer_close(&b);
    siphon_loop_free(loop);
}
