/*
 * fuzz_sdp.c -- fuzz harness for the SDP parser, printer and answerer
 * (lib/sdp).
 *
 * RFC 8866 §5 (syntax), RFC 3264 §6 (answers), §8 (changes).
 *
 * The whole input is one SDP body, copied into a buffer of its exact size
 * so that AddressSanitizer sees a parser that reads past the end.
 *
 * Invariants (sdp.h):
 *   - the parser never fails on a body within the limits that has one
 *     "x=" line, and a failure carries a rule and an offset in the body;
 *   - [sdp-roundtrip] parse(print(parse(x))) equals parse(x), and printing
 *     that again gives the same bytes;
 *   - [sdp-dup] a copy equals its original and prints the same;
 *   - [sdp-answer] the answer has one m= per offered m=, in order, with
 *     the offered media types, and round-trips itself without findings
 *     beyond those its offer caused (no check on them);
 *   - every view handed out can be read.
 */
#include "fuzz_common.h"

#include <siphon/sdp.h>

static void touch_attrs(const siphon_sdp_attr *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fuzz_touch(v[i].name);
        fuzz_touch(v[i].value);
    }
}

static void touch_lines(const siphon_sdp_line *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fuzz_touch(v[i].text);
}

static void touch_conn(const siphon_sdp_conn *c)
{
    fuzz_touch(c->nettype);
    fuzz_touch(c->addrtype);
    fuzz_touch(c->address);
    fuzz_touch(c->host);
}

static void touch(const siphon_sdp *s)
{
    fuzz_touch(s->origin.username);
    fuzz_touch(s->origin.sess_id);
    fuzz_touch(s->origin.sess_version);
    fuzz_touch(s->origin.address);
    fuzz_touch(s->name);
    fuzz_touch(s->info);
    fuzz_touch(s->uri);
    for (size_t i = 0; i < s->nemails; i++)
        fuzz_touch(s->emails[i]);
    for (size_t i = 0; i < s->nphones; i++)
        fuzz_touch(s->phones[i]);
    touch_conn(&s->conn);
    for (size_t i = 0; i < s->ntimes; i++)
        for (size_t j = 0; j < s->times[i].nrepeats; j++)
            fuzz_touch(s->times[i].repeats[j]);
    fuzz_touch(s->zone);
    fuzz_touch(s->key);
    touch_attrs(s->attrs, s->nattrs);
    touch_lines(s->extra, s->nextra);
    for (size_t i = 0; i < s->nfindings; i++) {
        fuzz_touch_cstr(s->findings[i].rule);
        fuzz_touch_cstr(s->findings[i].rfc);
        fuzz_touch_cstr(s->findings[i].text);
    }
    fuzz_sink ^= (uint32_t)siphon_sdp_media_dir(s, NULL);
    for (size_t i = 0; i < s->nmedia; i++) {
        const siphon_sdp_media *m = s->media[i];
        fuzz_touch(m->raw);
        fuzz_touch(m->media);
        fuzz_touch(m->proto);
        for (size_t j = 0; j < m->nfmts; j++) {
            fuzz_touch(m->fmts[j]);
            siphon_sdp_codec c;
            siphon_sdp_media_codec(m, j, &c);
            fuzz_touch(c.name);
            fuzz_touch(c.fmtp);
            if (c.pt < -1 || c.pt > 127)
                fuzz_fail("codec payload type %d out of range", c.pt);
        }
        for (size_t j = 0; j < m->nconns; j++)
            touch_conn(&m->conns[j]);
        touch_attrs(m->attrs, m->nattrs);
        touch_lines(m->extra, m->nextra);
        fuzz_touch(siphon_sdp_media_host(s, m));
        fuzz_sink ^= (uint32_t)siphon_sdp_media_dir(s, m) ^
                     siphon_sdp_media_ptime(m, false) ^
                     (uint32_t)siphon_sdp_media_on_hold(s, m);
        const siphon_sdp_attr *r = siphon_sdp_attr_find(m->attrs, m->nattrs,
                                                        "rtcp");
        uint32_t port;
        siphon_str addr;
        if (r && siphon_sdp_parse_rtcp(r->value, &port, &addr) == 0)
            fuzz_touch(addr);
    }
}

/* Print s; abort on failure. The caller frees the buffer. */
static void print(const siphon_sdp *s, siphon_buf *b, const char *what)
{
    siphon_buf_init(b, 0);
    int rc = siphon_sdp_print(s, b);
    if (rc)
        fuzz_fail("siphon_sdp_print(%s) failed: %s", what,
                  siphon_errname(rc));
}

/* Parse printed bytes back: their limits were met by the input, except
 * that CRLF may add a byte per line. */
static siphon_sdp *reparse(const siphon_buf *b, const char *what)
{
    siphon_sdp_opts o;
    siphon_sdp_opts_default(&o);
    o.max_size = o.max_size * 2 + 16;
    o.max_line = o.max_line * 2 + 16;
    o.max_lines = o.max_lines * 2 + 16;
    o.max_media *= 2;
    siphon_sdp *s = NULL;
    siphon_perr err;
    int rc = siphon_sdp_parse(b->p, b->len, &o, &s, &err);
    if (rc) {
        fuzz_dump(what, b->p, b->len);
        fuzz_fail("printed %s does not parse back: %s (%s)", what,
                  siphon_errname(rc), err.text);
    }
    return s;
}

static void same_bytes(const siphon_buf *a, const siphon_buf *b,
                       const char *id)
{
    if ((a->len != b->len || memcmp(a->p, b->p, a->len)) &&
        !fuzz_skipped(id)) {
        fuzz_dump("first print", a->p, a->len);
        fuzz_dump("second print", b->p, b->len);
        fuzz_fail("[%s] printing is not stable", id);
    }
}

static const siphon_sdp_codec audio_codecs[] = {
    {.pt = 0, .name = SIPHON_STR_LIT("PCMU"), .rate = 8000},
    {.pt = 8},
    {.pt = 96, .name = SIPHON_STR_LIT("opus"), .rate = 48000, .channels = 2,
     .fmtp = SIPHON_STR_LIT("useinbandfec=1")},
    {.pt = 101, .name = SIPHON_STR_LIT("telephone-event"), .rate = 8000},
};
static const siphon_sdp_codec video_codecs[] = {
    {.pt = 97, .name = SIPHON_STR_LIT("H264"), .rate = 90000},
    {.pt = 34},
};
static const siphon_sdp_codec image_codecs[] = {
    {.pt = -1, .name = SIPHON_STR_LIT("t38")},
};

static void answer(const siphon_sdp *offer, const uint8_t *data, size_t size)
{
    siphon_sdp_caps_media cm[3] = {
        {.media = "audio", .codecs = audio_codecs, .ncodecs = 4,
         .port = 4000},
        {.media = "video", .codecs = video_codecs, .ncodecs = 2,
         .port = 4002, .address = SIPHON_STR_LIT("2001:db8::5")},
        {.media = "image", .codecs = image_codecs, .ncodecs = 1,
         .port = 4004},
    };
    /* The last byte picks our direction, so every §6.1 rule runs. */
    cm[0].dir = (siphon_sdp_dir)(size ? data[size - 1] % 5 : 0);
    siphon_sdp_caps caps = {.username = SIPHON_STR_LIT("fuzz"),
                            .sess_id = 1, .sess_version = 1,
                            .address = SIPHON_STR_LIT("192.0.2.1"),
                            .media = cm, .nmedia = 3};
    siphon_sdp *ans = NULL;
    int rc = siphon_sdp_answer(offer, &caps, &ans);
    if (rc == SIPHON_ENOMEM)
        return;
    if (rc)
        fuzz_fail("siphon_sdp_answer failed: %s", siphon_errname(rc));
    if (ans->nmedia != offer->nmedia && !fuzz_skipped("sdp-answer"))
        fuzz_fail("[sdp-answer] %zu m= answered for %zu offered",
                  ans->nmedia, offer->nmedia);
    for (size_t i = 0; i < ans->nmedia; i++) {
        const siphon_sdp_media *o = offer->media[i], *a = ans->media[i];
        if (!o->malformed && !siphon_str_eq(o->media, a->media) &&
            o->media.len && !fuzz_skipped("sdp-answer"))
            fuzz_fail("[sdp-answer] m= %zu answered with another media type",
                      i);
        if (o->port == 0 && a->port != 0 && !fuzz_skipped("sdp-answer"))
            fuzz_fail("[sdp-answer] m= %zu offered with port 0 accepted", i);
    }
    touch(ans);
    siphon_buf b1, b2;
    print(ans, &b1, "answer");
    siphon_sdp *back = reparse(&b1, "answer");
    if (!siphon_sdp_equal(ans, back) && !fuzz_skipped("sdp-answer")) {
        fuzz_dump("answer", b1.p, b1.len);
        fuzz_fail("[sdp-answer] the answer does not round-trip");
    }
    print(back, &b2, "answer again");
    same_bytes(&b1, &b2, "sdp-answer");
    fuzz_sink ^= siphon_sdp_diff(offer, ans);
    /* A second answer in the same session bumps the version. */
    caps.previous = ans;
    siphon_sdp *ans2 = NULL;
    if (siphon_sdp_answer(offer, &caps, &ans2) == 0) {
        if (ans2->origin.version != ans->origin.version + 1 &&
            !fuzz_skipped("sdp-answer"))
            fuzz_fail("[sdp-answer] version not bumped");
        siphon_sdp_free(ans2);
    }
    siphon_sdp_free(back);
    siphon_buf_free(&b1);
    siphon_buf_free(&b2);
    siphon_sdp_free(ans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    siphon_sdp *s = NULL;
    siphon_perr err;
    memset(&err, 0, sizeof err);
    int rc = siphon_sdp_parse(buf, size, NULL, &s, &err);
    /* The body is copied: the caller's buffer may go at once. */
    free(buf);
    if (rc) {
        if (rc > 0 || s)
            fuzz_fail("siphon_sdp_parse returned %d with a session", rc);
        fuzz_check_perr(&err, rc, "siphon_sdp_parse");
        if (err.offset > size)
            fuzz_fail("error offset %zu past the %zu-byte body", err.offset,
                      size);
        return 0;
    }
    touch(s);

    siphon_buf p1, p2;
    print(s, &p1, "session");
    siphon_sdp *t = reparse(&p1, "session");
    if (!siphon_sdp_equal(s, t) && !fuzz_skipped("sdp-roundtrip")) {
        fuzz_dump("input", data, size);
        fuzz_dump("printed", p1.p, p1.len);
        fuzz_fail("[sdp-roundtrip] parse(print(parse(x))) != parse(x)");
    }
    print(t, &p2, "session again");
    same_bytes(&p1, &p2, "sdp-roundtrip");
    siphon_buf_free(&p2);

    siphon_sdp *d = siphon_sdp_dup(s);
    if (d) {
        if (!siphon_sdp_equal(s, d) && !fuzz_skipped("sdp-dup"))
            fuzz_fail("[sdp-dup] a copy differs from its original");
        siphon_sdp_free(s);
        s = NULL;
        print(d, &p2, "copy");
        same_bytes(&p1, &p2, "sdp-dup");
        siphon_buf_free(&p2);
        /* Edits on the copy must not disturb it. */
        if (d->nmedia) {
            siphon_sdp_set_dir(d, d->media[0], SIPHON_SDP_INACTIVE);
            siphon_sdp_bump_version(d);
        }
        answer(d, data, size);
        siphon_sdp_free(d);
    } else {
        answer(s, data, size);
    }
    siphon_sdp_free(s);
    siphon_sdp_free(t);
    siphon_buf_free(&p1);
    return 0;
}
