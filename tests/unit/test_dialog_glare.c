/*
 * test_dialog_glare.c -- RFC 3261 §14: re-INVITEs that cross. A UAS
 * dialog gets a re-INVITE while its own re-INVITE is in progress (491),
 * and a second re-INVITE before it answered the first (500 with a
 * Retry-After of 0 to 10 seconds); once each INVITE has its final
 * response, re-INVITEs are taken again.
 */
#include "unit.h"

#include <siphon/dialog.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static siphon_msg *msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static siphon_msg *msg(const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parse(text, (size_t)n, NULL, &m, &err), 0);
    return m;
}

/* A re-INVITE from the peer (From tag "a", To tag our "b"). */
static siphon_msg *reinvite(unsigned cseq)
{
    return msg("INVITE sip:b@192.0.2.2 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKre%u\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=a\r\n"
               "To: <sip:b@x>;tag=b\r\nCall-ID: glare\r\nCSeq: %u INVITE\r\n"
               "Contact: <sip:a@192.0.2.1>\r\nContent-Length: 0\r\n\r\n",
               cseq, cseq);
}

static int receive(siphon_dialog_set *s, siphon_msg *req, int *status,
                   char *retry, size_t cap)
{
    siphon_dialog *d = NULL;
    siphon_msg *resp = NULL;
    int m = siphon_dialog_receive_request(s, req, 0, &d, &resp);
    *status = resp ? siphon_msg_status(resp) : 0;
    retry[0] = '\0';
    if (resp) {
        long i = siphon_msg_hdr_next_name(resp, "Retry-After", 11, 0);
        if (i >= 0) {
            siphon_str v = siphon_msg_hdr_at(resp, (size_t)i)->value;
            snprintf(retry, cap, "%.*s", (int)v.len, v.p);
        }
    }
    siphon_msg_unref(resp);
    siphon_msg_unref(req);
    return m;
}

UNIT_TEST(dialog_14_2_glare_491_and_500_retry_after)
{
    siphon_dialog_set *s = siphon_dialog_set_new(NULL);
    /* The dialog: the peer's INVITE, our 200 (To tag b), its ACK. */
    siphon_msg *inv = msg("INVITE sip:b@192.0.2.2 SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKi1\r\n"
                          "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=a\r\n"
                          "To: <sip:b@x>\r\nCall-ID: glare\r\nCSeq: 1 INVITE\r\n"
                          "Contact: <sip:a@192.0.2.1>\r\n"
                          "Content-Length: 0\r\n\r\n");
    siphon_msg *ok = msg("SIP/2.0 200 OK\r\n"
                         "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKi1\r\n"
                         "From: <sip:a@x>;tag=a\r\nTo: <sip:b@x>;tag=b\r\n"
                         "Call-ID: glare\r\nCSeq: 1 INVITE\r\n"
                         "Contact: <sip:b@192.0.2.2>\r\nContent-Length: 0\r\n\r\n");
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_uas_respond(s, inv, ok, 0, &d),
              SIPHON_DIALOG_MATCHED);
    siphon_msg_unref(inv);
    siphon_msg_unref(ok);
    int status;
    char retry[16];
    CHECK_INT(receive(s, msg("ACK sip:b@192.0.2.2 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKack\r\n"
                             "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=a\r\n"
                             "To: <sip:b@x>;tag=b\r\nCall-ID: glare\r\n"
                             "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"),
                      &status, retry, sizeof retry),
              SIPHON_DIALOG_MATCHED);

    /* Ours first: our re-INVITE (CSeq from the RNG) is in progress. */
    siphon_msg *mine = NULL;
    CHECK_INT(siphon_dialog_request(s, d, siphon_str_c("INVITE"),
                                    SIPHON_STR_NULL, SIPHON_STR_NULL, 0,
                                    &mine, NULL), 0);
    CHECK_INT(receive(s, reinvite(2), &status, retry, sizeof retry),
              SIPHON_DIALOG_REJECT);
    CHECK_INT(status, 491);
    /* Its final response clears the way. */
    const siphon_cseq *mc = siphon_msg_cseq(mine);
    siphon_msg *fin = msg("SIP/2.0 200 OK\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKmine\r\n"
                          "From: <sip:b@x>;tag=b\r\nTo: <sip:a@x>;tag=a\r\n"
                          "Call-ID: glare\r\nCSeq: %u INVITE\r\n"
                          "Contact: <sip:a@192.0.2.1>\r\nContent-Length: 0\r\n\r\n",
                          (unsigned)mc->num);
    CHECK_INT(siphon_dialog_receive_response(s, mine, fin, 0, NULL),
              SIPHON_DIALOG_MATCHED);
    siphon_msg_unref(fin);
    siphon_msg_unref(mine);

    /* The peer's re-INVITE is taken; a second one before our final
     * response to it gets 500 with Retry-After 0-10. */
    CHECK_INT(receive(s, reinvite(3), &status, retry, sizeof retry),
              SIPHON_DIALOG_MATCHED);
    CHECK_INT(receive(s, reinvite(4), &status, retry, sizeof retry),
              SIPHON_DIALOG_REJECT);
    CHECK_INT(status, 500);
    CHECK(retry[0] != '\0');
    CHECK(atoi(retry) >= 0 && atoi(retry) <= 10);
    /* Our final response to CSeq 3 ends that; CSeq 5 is taken. */
    siphon_msg *r3 = reinvite(3);
    siphon_msg *ok3 = msg("SIP/2.0 200 OK\r\n"
                          "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKre3\r\n"
                          "From: <sip:a@x>;tag=a\r\nTo: <sip:b@x>;tag=b\r\n"
                          "Call-ID: glare\r\nCSeq: 3 INVITE\r\n"
                          "Contact: <sip:b@192.0.2.2>\r\nContent-Length: 0\r\n\r\n");
    CHECK_INT(siphon_dialog_uas_respond(s, r3, ok3, 0, NULL),
              SIPHON_DIALOG_MATCHED);
    siphon_msg_unref(r3);
    siphon_msg_unref(ok3);
    CHECK_INT(receive(s, reinvite(5), &status, retry, sizeof retry),
              SIPHON_DIALOG_MATCHED);
    siphon_dialog_set_free(s);
}
