/*
 * test_sdp_oa.c -- the offer/answer model (RFC 3264 §6, §8) on the
 * exchanges of RFC 4317: codec intersection in the offer's order (§2.1),
 * a rejected video stream (§2.2), dynamic payload numbers (§2.4), hold and
 * resume with sendonly/inactive (§3.1), telephone-event (RFC 4733), and
 * the version bump and change detection of RFC 3264 §8.
 */
#include "unit.h"

#include <siphon/sdp.h>

#include <stdlib.h>

/* Parse an offer; every body also goes through the round trip. */
static siphon_sdp *parse(const char *body)
{
    siphon_sdp *s = NULL, *t = NULL;
    if (siphon_sdp_parse(body, strlen(body), NULL, &s, NULL) != 0) {
        unit_fail(__FILE__, __LINE__, "does not parse:\n%s", body);
        return NULL;
    }
    siphon_buf b;
    siphon_buf_init(&b, 0);
    if (siphon_sdp_print(s, &b) != 0 ||
        siphon_sdp_parse(b.p, b.len, NULL, &t, NULL) != 0 ||
        !siphon_sdp_equal(s, t))
        unit_fail(__FILE__, __LINE__, "round trip broken:\n%s", body);
    siphon_sdp_free(t);
    siphon_buf_free(&b);
    return s;
}

/* The answer printed, re-parsed and checked equal; returns the text
 * (malloc'd) or NULL. */
static char *answer_text(const char *file, int line, const siphon_sdp *offer,
                         const siphon_sdp_caps *caps, siphon_sdp **ans_out)
{
    siphon_sdp *ans = NULL, *back = NULL;
    int rc = siphon_sdp_answer(offer, caps, &ans);
    if (rc != 0) {
        unit_fail(file, line, "siphon_sdp_answer: %d", rc);
        return NULL;
    }
    siphon_buf b;
    siphon_buf_init(&b, 0);
    if (siphon_sdp_print(ans, &b) || siphon_buf_append(&b, "", 1))
        unit_fail(file, line, "print failed");
    else if (siphon_sdp_parse(b.p, b.len - 1, NULL, &back, NULL))
        unit_fail(file, line, "answer does not parse back");
    else if (!siphon_sdp_equal(ans, back))
        unit_fail(file, line, "answer does not round-trip");
    else if (back->nfindings)
        unit_fail(file, line, "answer has findings: %s",
                  back->findings[0].rule);
    siphon_sdp_free(back);
    if (ans_out)
        *ans_out = ans;
    else
        siphon_sdp_free(ans);
    size_t n;
    return siphon_buf_take(&b, &n);
}
#define ANSWER(offer, caps, out) answer_text(__FILE__, __LINE__, offer, caps, out)

#define CHECK_TEXT(got, want)                                                  \
    do {                                                                       \
        const char *g_ = (got), *w_ = (want);                                  \
        if (!g_ || strcmp(g_, w_) != 0)                                        \
            unit_fail(__FILE__, __LINE__, "got:\n%s\nwanted:\n%s",             \
                      g_ ? g_ : "(null)", w_);                                 \
    } while (0)

/* Bob of RFC 4317: PCMU and iLBC for audio, MPV for video. */
static const siphon_sdp_codec bob_audio[] = {
    {.pt = 0, .name = SIPHON_STR_LIT("PCMU"), .rate = 8000},
    {.pt = 99, .name = SIPHON_STR_LIT("iLBC"), .rate = 8000},
    {.pt = 101, .name = SIPHON_STR_LIT("telephone-event"), .rate = 8000},
};
static const siphon_sdp_codec bob_video[] = {
    {.pt = 32, .name = SIPHON_STR_LIT("MPV"), .rate = 90000},
};

static void bob_caps(siphon_sdp_caps *c, siphon_sdp_caps_media *m, bool video)
{
    memset(c, 0, sizeof *c);
    memset(m, 0, 2 * sizeof *m);
    c->username = SIPHON_STR_LIT("bob");
    c->sess_id = 2808844564u;
    c->sess_version = 2808844564u;
    c->address = SIPHON_STR_LIT("192.0.2.20");
    m[0].media = "audio";
    m[0].codecs = bob_audio;
    m[0].ncodecs = 3;
    m[0].port = 49174;
    m[1].media = "video";
    m[1].codecs = bob_video;
    m[1].ncodecs = 1;
    m[1].port = 49170;
    c->media = m;
    c->nmedia = video ? 2 : 1;
}

static const char alice_offer[] =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 97\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:97 iLBC/8000\r\n"
    "m=video 51372 RTP/AVP 31 32\r\n"
    "a=rtpmap:31 H261/90000\r\n"
    "a=rtpmap:32 MPV/90000\r\n";

/* RFC 4317 §2.1: both streams accepted, the common codecs only. The
 * offer numbers iLBC 97, Bob 99: the answer uses 97. */
UNIT_TEST(sdp_oa_audio_video_intersection)
{
    siphon_sdp *offer = parse(alice_offer);
    CHECK(offer != NULL);
    if (!offer)
        return;
    siphon_sdp_caps caps;
    siphon_sdp_caps_media cm[2];
    bob_caps(&caps, cm, true);
    char *txt = ANSWER(offer, &caps, NULL);
    CHECK_TEXT(txt, "v=0\r\n"
                    "o=bob 2808844564 2808844564 IN IP4 192.0.2.20\r\n"
                    "s=-\r\n"
                    "c=IN IP4 192.0.2.20\r\n"
                    "t=0 0\r\n"
                    "m=audio 49174 RTP/AVP 0 97\r\n"
                    "a=rtpmap:0 PCMU/8000\r\n"
                    "a=rtpmap:97 iLBC/8000\r\n"
                    "m=video 49170 RTP/AVP 32\r\n"
                    "a=rtpmap:32 MPV/90000\r\n");
    free(txt);
    siphon_sdp_free(offer);
}

/* RFC 4317 §2.2: no video here, so the video stream is rejected with
 * port 0 and the offered formats (RFC 3264 §6). */
UNIT_TEST(sdp_oa_rejected_video)
{
    siphon_sdp *offer = parse(alice_offer);
    if (!offer)
        return;
    siphon_sdp_caps caps;
    siphon_sdp_caps_media cm[2];
    bob_caps(&caps, cm, false);
    siphon_sdp *ans = NULL;
    char *txt = ANSWER(offer, &caps, &ans);
    CHECK(txt && strstr(txt, "m=video 0 RTP/AVP 31 32\r\n") != NULL);
    CHECK(txt && strstr(txt, "m=audio 49174 RTP/AVP 0 97\r\n") != NULL);
    if (ans) {
        CHECK_INT(ans->nmedia, 2);
        CHECK_INT(siphon_sdp_diff(offer, ans) & SIPHON_SDP_CHG_SESSION,
                  SIPHON_SDP_CHG_SESSION);
    }
    free(txt);
    siphon_sdp_free(ans);
    /* Video offered but our video port is 0: rejected the same way. */
    bob_caps(&caps, cm, true);
    cm[1].port = 0;
    txt = ANSWER(offer, &caps, NULL);
    CHECK(txt && strstr(txt, "m=video 0 RTP/AVP 31 32\r\n") != NULL);
    free(txt);
    siphon_sdp_free(offer);
}

/* RFC 4317 §2.4-style: dynamic types match by name/rate/channels, case
 * insensitively, whatever their numbers; the offer's order is kept
 * (RFC 3264 §6.1) even when ours differs. */
UNIT_TEST(sdp_oa_dynamic_payload_mapping)
{
    siphon_sdp *offer = parse(
        "v=0\r\n"
        "o=alice 1 1 IN IP4 192.0.2.10\r\n"
        "s=-\r\n"
        "c=IN IP4 192.0.2.10\r\n"
        "t=0 0\r\n"
        "m=audio 49170 RTP/AVP 98 96 97 0\r\n"
        "a=rtpmap:98 ILBC/8000\r\n"
        "a=fmtp:98 mode=20\r\n"
        "a=rtpmap:96 opus/48000/2\r\n"
        "a=rtpmap:97 L16/16000\r\n"
        "a=ptime:20\r\n");
    if (!offer)
        return;
    const siphon_sdp_codec mine[] = {
        {.pt = 0, .name = SIPHON_STR_LIT("PCMU"), .rate = 8000},
        {.pt = 111, .name = SIPHON_STR_LIT("OPUS"), .rate = 48000,
         .channels = 2},
        {.pt = 120, .name = SIPHON_STR_LIT("L16"), .rate = 8000},
        {.pt = 99, .name = SIPHON_STR_LIT("iLBC"), .rate = 8000},
    };
    siphon_sdp_caps_media cm = {.media = "audio", .codecs = mine,
                                .ncodecs = 4, .port = 5004};
    siphon_sdp_caps caps = {.username = SIPHON_STR_LIT("bob"),
                            .sess_id = 7, .sess_version = 7,
                            .address = SIPHON_STR_LIT("192.0.2.20"),
                            .media = &cm, .nmedia = 1};
    char *txt = ANSWER(offer, &caps, NULL);
    /* L16/16000 is not L16/8000: dropped. */
    CHECK(txt && strstr(txt, "m=audio 5004 RTP/AVP 98 96 0\r\n"
                             "a=rtpmap:98 ILBC/8000\r\n"
                             "a=fmtp:98 mode=20\r\n"
                             "a=rtpmap:96 opus/48000/2\r\n"
                             "a=ptime:20\r\n") != NULL);
    free(txt);
    siphon_sdp_free(offer);
}

/* RFC 4733: telephone-event kept when both support it; a stream whose
 * only common format is telephone-event is rejected. */
UNIT_TEST(sdp_oa_telephone_event)
{
    siphon_sdp *offer = parse("v=0\r\n"
                              "o=alice 1 1 IN IP4 192.0.2.10\r\n"
                              "s=-\r\n"
                              "c=IN IP4 192.0.2.10\r\n"
                              "t=0 0\r\n"
                              "m=audio 49170 RTP/AVP 8 0 100\r\n"
                              "a=rtpmap:100 telephone-event/8000\r\n"
                              "a=fmtp:100 0-15\r\n"
                              "a=sendrecv\r\n");
    if (!offer)
        return;
    siphon_sdp_caps caps;
    siphon_sdp_caps_media cm[2];
    bob_caps(&caps, cm, false);
    char *txt = ANSWER(offer, &caps, NULL);
    CHECK(txt && strstr(txt, "m=audio 49174 RTP/AVP 0 100\r\n"
                             "a=rtpmap:100 telephone-event/8000\r\n"
                             "a=fmtp:100 0-15\r\n"
                             "a=sendrecv\r\n") != NULL);
    free(txt);
    /* Without telephone-event on our side it goes. */
    cm[0].ncodecs = 2;
    txt = ANSWER(offer, &caps, NULL);
    CHECK(txt && strstr(txt, "m=audio 49174 RTP/AVP 0\r\n") != NULL);
    free(txt);
    /* Only telephone-event in common: rejected. */
    const siphon_sdp_codec te_only[] = {
        {.pt = 101, .name = SIPHON_STR_LIT("telephone-event"), .rate = 8000},
        {.pt = 18, .name = SIPHON_STR_LIT("G729"), .rate = 8000},
    };
    cm[0].codecs = te_only;
    cm[0].ncodecs = 2;
    txt = ANSWER(offer, &caps, NULL);
    CHECK(txt && strstr(txt, "m=audio 0 RTP/AVP 8 0 100\r\n") != NULL);
    free(txt);
    siphon_sdp_free(offer);
}

static const char *dir_answer(const char *offer_media_tail,
                              siphon_sdp_dir mine, char *buf, size_t n)
{
    char body[512];
    snprintf(body, sizeof body,
             "v=0\r\no=alice 1 2 IN IP4 192.0.2.10\r\ns=-\r\n"
             "c=IN IP4 %s\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n%s",
             strstr(offer_media_tail, "HOLD2543") ? "0.0.0.0" : "192.0.2.10",
             strstr(offer_media_tail, "HOLD2543") ? "" : offer_media_tail);
    siphon_sdp *offer = parse(body);
    siphon_sdp_caps caps;
    siphon_sdp_caps_media cm[2];
    bob_caps(&caps, cm, false);
    cm[0].dir = mine;
    siphon_sdp *ans = NULL;
    buf[0] = 0;
    if (offer && siphon_sdp_answer(offer, &caps, &ans) == 0 && ans->nmedia)
        snprintf(buf, n, "%s",
                 siphon_sdp_dir_name(siphon_sdp_media_dir(ans,
                                                          ans->media[0])));
    siphon_sdp_free(ans);
    siphon_sdp_free(offer);
    return buf;
}

/* RFC 3264 §6.1 direction rules, RFC 4317 §3.1 hold/resume. */
UNIT_TEST(sdp_oa_directions)
{
    char b[32];
    CHECK(strcmp(dir_answer("a=sendonly\r\n", SIPHON_SDP_DIR_NONE, b, 32),
                 "recvonly") == 0);
    CHECK(strcmp(dir_answer("a=sendonly\r\n", SIPHON_SDP_SENDONLY, b, 32),
                 "inactive") == 0);
    CHECK(strcmp(dir_answer("a=recvonly\r\n", SIPHON_SDP_SENDRECV, b, 32),
                 "sendonly") == 0);
    CHECK(strcmp(dir_answer("a=recvonly\r\n", SIPHON_SDP_RECVONLY, b, 32),
                 "inactive") == 0);
    CHECK(strcmp(dir_answer("a=inactive\r\n", SIPHON_SDP_SENDRECV, b, 32),
                 "inactive") == 0);
    CHECK(strcmp(dir_answer("", SIPHON_SDP_SENDRECV, b, 32), "sendrecv") ==
          0);
    CHECK(strcmp(dir_answer("", SIPHON_SDP_RECVONLY, b, 32), "recvonly") ==
          0);
    /* RFC 2543 hold: c=0.0.0.0 counts as sendonly (RFC 3264 §8.4). */
    CHECK(strcmp(dir_answer("HOLD2543", SIPHON_SDP_SENDRECV, b, 32),
                 "recvonly") == 0);
}

/* RFC 4317 §3.1: hold with sendonly, then resume; the version goes up
 * and siphon_sdp_diff says what happened. */
UNIT_TEST(sdp_oa_hold_resume)
{
    static const char base[] = "v=0\r\n"
                               "o=alice 2890844526 %s IN IP4 192.0.2.10\r\n"
                               "s=-\r\n"
                               "c=IN IP4 %s\r\n"
                               "t=0 0\r\n"
                               "m=audio 49170 RTP/AVP 0 97\r\n"
                               "a=rtpmap:97 iLBC/8000\r\n"
                               "%s";
    char b1[512], b2[512], b3[512], b4[512];
    snprintf(b1, sizeof b1, base, "2890844526", "192.0.2.10", "");
    snprintf(b2, sizeof b2, base, "2890844527", "192.0.2.10", "a=sendonly\r\n");
    snprintf(b3, sizeof b3, base, "2890844528", "192.0.2.10", "a=sendrecv\r\n");
    snprintf(b4, sizeof b4, base, "2890844528", "0.0.0.0", "a=inactive\r\n");
    siphon_sdp *s1 = parse(b1), *s2 = parse(b2), *s3 = parse(b3),
               *s4 = parse(b4);
    CHECK(s1 && s2 && s3 && s4);
    if (!(s1 && s2 && s3 && s4))
        goto out;
    CHECK(!siphon_sdp_media_on_hold(s1, s1->media[0]));
    CHECK(siphon_sdp_media_on_hold(s2, s2->media[0]));
    CHECK(siphon_sdp_media_on_hold(s4, s4->media[0]));
    unsigned d = siphon_sdp_diff(s1, s2);
    CHECK(d & SIPHON_SDP_CHG_HOLD);
    CHECK(d & SIPHON_SDP_CHG_VERSION);
    CHECK(d & SIPHON_SDP_CHG_DIRECTION);
    CHECK(!(d & SIPHON_SDP_CHG_NOVERSION));
    CHECK(!(d & SIPHON_SDP_CHG_SESSION));
    d = siphon_sdp_diff(s2, s3);
    CHECK(d & SIPHON_SDP_CHG_RESUME);
    CHECK(!(d & SIPHON_SDP_CHG_HOLD));
    /* Same version, other content: RFC 3264 §8 broken. */
    d = siphon_sdp_diff(s3, s4);
    CHECK(d & SIPHON_SDP_CHG_NOVERSION);
    CHECK(d & SIPHON_SDP_CHG_HOLD);
    CHECK(d & SIPHON_SDP_CHG_ADDRESS);
    CHECK_INT(siphon_sdp_diff(s3, s3), 0);

    /* Bob answers the hold with recvonly, then the resume with sendrecv,
     * bumping his version each time (RFC 3264 §8). */
    siphon_sdp_caps caps;
    siphon_sdp_caps_media cm[2];
    bob_caps(&caps, cm, false);
    siphon_sdp *a1 = NULL, *a2 = NULL, *a3 = NULL;
    CHECK_INT(siphon_sdp_answer(s1, &caps, &a1), 0);
    caps.previous = a1;
    CHECK_INT(siphon_sdp_answer(s2, &caps, &a2), 0);
    caps.previous = a2;
    CHECK_INT(siphon_sdp_answer(s3, &caps, &a3), 0);
    if (a1 && a2 && a3) {
        CHECK_STR(a2->origin.sess_version, "2808844565");
        CHECK_STR(a3->origin.sess_version, "2808844566");
        CHECK_STR(a3->origin.sess_id, "2808844564");
        CHECK_INT(siphon_sdp_media_dir(a2, a2->media[0]), SIPHON_SDP_RECVONLY);
        CHECK_INT(siphon_sdp_media_dir(a3, a3->media[0]), SIPHON_SDP_SENDRECV);
        CHECK(!(siphon_sdp_diff(a1, a2) & SIPHON_SDP_CHG_NOVERSION));
        CHECK(siphon_sdp_diff(a1, a2) & SIPHON_SDP_CHG_DIRECTION);
        CHECK(!(siphon_sdp_diff(a1, a2) & SIPHON_SDP_CHG_SESSION));
    }
    siphon_sdp_free(a1);
    siphon_sdp_free(a2);
    siphon_sdp_free(a3);
out:
    siphon_sdp_free(s1);
    siphon_sdp_free(s2);
    siphon_sdp_free(s3);
    siphon_sdp_free(s4);
}

/* Streams offered with port 0, unknown media, non-RTP, a=mid/a=group,
 * t= copied, no m= at all. */
UNIT_TEST(sdp_oa_misc_streams)
{
    siphon_sdp *offer = parse("v=0\r\n"
                              "o=alice 1 1 IN IP4 192.0.2.10\r\n"
                              "s=-\r\n"
                              "c=IN IP4 192.0.2.10\r\n"
                              "t=3034423619 3042462419\r\n"
                              "a=group:BUNDLE a v t\r\n"
                              "m=audio 49170 RTP/AVP 0\r\n"
                              "a=mid:a\r\n"
                              "m=video 0 RTP/AVP 32\r\n"
                              "a=mid:v\r\n"
                              "m=image 49172 udptl t38\r\n"
                              "a=mid:t\r\n"
                              "m=message 49174 TCP/MSRP *\r\n"
                              "m=audio port RTP/AVP 0\r\n");
    if (!offer)
        return;
    const siphon_sdp_codec t38[] = {{.pt = -1, .name = SIPHON_STR_LIT("T38")}};
    siphon_sdp_caps caps;
    siphon_sdp_caps_media cm[3];
    bob_caps(&caps, cm, true);
    cm[2] = (siphon_sdp_caps_media){.media = "image", .codecs = t38,
                                    .ncodecs = 1, .port = 6000,
                                    .address = SIPHON_STR_LIT("192.0.2.99")};
    caps.nmedia = 3;
    char *txt = ANSWER(offer, &caps, NULL);
    CHECK_TEXT(txt, "v=0\r\n"
                    "o=bob 2808844564 2808844564 IN IP4 192.0.2.20\r\n"
                    "s=-\r\n"
                    "c=IN IP4 192.0.2.20\r\n"
                    "t=3034423619 3042462419\r\n"
                    "a=group:BUNDLE a t\r\n"
                    "m=audio 49174 RTP/AVP 0\r\n"
                    "a=mid:a\r\n"
                    "m=video 0 RTP/AVP 32\r\n"
                    "a=mid:v\r\n"
                    "m=image 6000 udptl t38\r\n"
                    "a=mid:t\r\n"
                    "m=message 0 TCP/MSRP *\r\n"
                    "m=audio 0 RTP/AVP 0\r\n");
    free(txt);
    siphon_sdp_free(offer);

    /* No m= at all: an answer with none either. */
    offer = parse("v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n");
    if (offer) {
        siphon_sdp *ans = NULL;
        CHECK_INT(siphon_sdp_answer(offer, &caps, &ans), 0);
        CHECK(ans && ans->nmedia == 0);
        siphon_sdp_free(ans);
        caps.address = SIPHON_STR_NULL;
        CHECK_INT(siphon_sdp_answer(offer, &caps, &ans), SIPHON_EINVAL);
        siphon_sdp_free(offer);
    }
}
