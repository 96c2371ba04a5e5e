/*
 * sdp_answer.c -- the answerer of the offer/answer model (RFC 3264 §6).
 *
 * One m= per offered m=, in order (§6). An accepted RTP stream keeps the
 * offered formats we support, in the offer's order and with the offer's
 * payload numbers (§6.1: the answerer should use the offerer's numbers,
 * and listing in offer order makes the common choice the offerer's
 * preferred one). Static payload types match by number, dynamic ones by
 * encoding name, clock rate and channels, case-insensitively (RFC 8866
 * §6.6, RFC 3551 §6). A stream is rejected with port 0 and the offered
 * formats (§6) when we lack its media type, when it was offered with port
 * 0 (§8.2), or when nothing but telephone-event or CN is common, since
 * those carry no media of their own (RFC 4733 §2.5.1.1).
 */
#include "sdp_internal.h"

#include <stdio.h>

static bool is_aux(siphon_str name)
{
    return sdp_caseeq(name, "telephone-event") || sdp_caseeq(name, "CN");
}

/* A local codec with its static defaults filled in. */
static void local_codec(const siphon_sdp_codec *in, siphon_sdp_codec *out)
{
    *out = *in;
    const char *nm;
    uint32_t rate, ch;
    if (out->name.len == 0 && out->pt >= 0 &&
        siphon_sdp_static_pt(out->pt, &nm, &rate, &ch)) {
        out->name = siphon_str_c(nm);
        out->rate = rate;
    }
}

static bool codec_match(const siphon_sdp_codec *oc, const siphon_sdp_codec *lc)
{
    if (oc->name.len && lc->name.len) {
        if (!siphon_str_caseeq(oc->name, lc->name))
            return false;
        /* A local rate of 0 takes any rate. */
        if (lc->rate && oc->rate && lc->rate != oc->rate)
            return false;
        uint32_t a = oc->channels ? oc->channels : 1;
        uint32_t b = lc->channels ? lc->channels : 1;
        return !lc->channels || a == b;
    }
    /* An unnamed static type (RFC 3551 leaves some unassigned): by
     * number only. */
    return oc->pt >= 0 && oc->pt < 96 && oc->pt == lc->pt;
}

static bool is_rtp(siphon_str proto)
{
    for (size_t i = 0; i + 3 <= proto.len; i++)
        if (siphon_str_caseeq(siphon_str_make(proto.p + i, 3),
                              SIPHON_STR_LIT("RTP")))
            return true;
    return false;
}

/* RFC 3264 §6.1 direction rules. */
static siphon_sdp_dir answer_dir(siphon_sdp_dir offered, siphon_sdp_dir want)
{
    if (want == SIPHON_SDP_DIR_NONE)
        want = SIPHON_SDP_SENDRECV;
    bool can_recv = want == SIPHON_SDP_SENDRECV || want == SIPHON_SDP_RECVONLY;
    bool can_send = want == SIPHON_SDP_SENDRECV || want == SIPHON_SDP_SENDONLY;
    switch (offered) {
    case SIPHON_SDP_SENDONLY:
        return can_recv ? SIPHON_SDP_RECVONLY : SIPHON_SDP_INACTIVE;
    case SIPHON_SDP_RECVONLY:
        return can_send ? SIPHON_SDP_SENDONLY : SIPHON_SDP_INACTIVE;
    case SIPHON_SDP_INACTIVE:
        return SIPHON_SDP_INACTIVE;
    default:
        return want;
    }
}

static const siphon_sdp_caps_media *find_caps(const siphon_sdp_caps *caps,
                                              siphon_str media)
{
    for (size_t i = 0; i < caps->nmedia; i++)
        if (caps->media[i].media &&
            siphon_str_caseeq_c(media, caps->media[i].media))
            return &caps->media[i];
    return NULL;
}

static int copy_mid(siphon_sdp *ans, siphon_sdp_media *am,
                    const siphon_sdp_media *om)
{
    const siphon_sdp_attr *mid = siphon_sdp_attr_find(om->attrs, om->nattrs,
                                                      "mid");
    if (!mid)
        return 0;
    return siphon_sdp_add_attr(ans, am, SIPHON_STR_LIT("mid"), &mid->value);
}

/* The rejected answer to om: port 0, the offered formats (§6). */
static int reject(siphon_sdp *ans, const siphon_sdp_media *om)
{
    siphon_str v = om->raw;
    siphon_str media = om->media, proto = om->proto;
    if (om->malformed) {
        /* A malformed offered m=: answer with what can be read of it. */
        media = sdp_token(&v);
        (void)sdp_token(&v);
        proto = sdp_token(&v);
    }
    if (media.len == 0)
        media = SIPHON_STR_LIT("application");
    if (proto.len == 0)
        proto = SIPHON_STR_LIT("RTP/AVP");
    siphon_sdp_media *am;
    int rc = siphon_sdp_add_media(ans, media, 0, proto, &am);
    size_t nf = 0;
    for (size_t i = 0; rc == 0 && i < om->nfmts; i++, nf++)
        rc = siphon_sdp_media_add_fmt(ans, am, om->fmts[i]);
    for (siphon_str f; rc == 0 && om->malformed && (f = sdp_token(&v)).len;
         nf++)
        rc = siphon_sdp_media_add_fmt(ans, am, f);
    /* §5.14 wants at least one format even on a dead stream. */
    if (rc == 0 && nf == 0)
        rc = siphon_sdp_media_add_fmt(ans, am, SIPHON_STR_LIT("0"));
    if (rc == 0)
        rc = copy_mid(ans, am, om);
    return rc;
}

static int accept_rtp(siphon_sdp *ans, const siphon_sdp *offer,
                      const siphon_sdp_media *om,
                      const siphon_sdp_caps_media *cm)
{
    /* Which offered formats we take, in offer order. */
    size_t nsel = 0, nreal = 0;
    size_t sel[128];
    const siphon_sdp_codec *selc[128];
    siphon_sdp_codec local[64];
    size_t nlocal = cm->ncodecs < 64 ? cm->ncodecs : 64;
    for (size_t k = 0; k < nlocal; k++)
        local_codec(&cm->codecs[k], &local[k]);
    for (size_t i = 0; i < om->nfmts && nsel < 128; i++) {
        siphon_sdp_codec oc;
        siphon_sdp_media_codec(om, i, &oc);
        if (oc.pt < 0)
            continue;
        bool dup = false;
        for (size_t j = 0; j < nsel; j++)
            if (siphon_str_eq(om->fmts[sel[j]], om->fmts[i]))
                dup = true;
        if (dup)
            continue;
        for (size_t k = 0; k < nlocal; k++)
            if (codec_match(&oc, &local[k])) {
                sel[nsel] = i;
                selc[nsel++] = &cm->codecs[k];
                if (!is_aux(oc.name))
                    nreal++;
                break;
            }
    }
    if (nreal == 0)
        return reject(ans, om);
    siphon_sdp_media *am;
    int rc = siphon_sdp_add_media(ans, om->media, cm->port, om->proto, &am);
    if (rc == 0 && cm->address.len &&
        !siphon_str_eq(cm->address, ans->conn.address))
        rc = siphon_sdp_set_conn(ans, am, cm->address);
    for (size_t j = 0; rc == 0 && j < nsel; j++)
        rc = siphon_sdp_media_add_fmt(ans, am, om->fmts[sel[j]]);
    for (size_t j = 0; rc == 0 && j < nsel; j++) {
        siphon_sdp_codec oc;
        siphon_sdp_media_codec(om, sel[j], &oc);
        /* The offer's own a=rtpmap line, so its numbering and spelling
         * come back unchanged. */
        for (size_t k = 0; k < om->nattrs; k++) {
            int pt;
            siphon_str nm;
            uint32_t rate, ch;
            const siphon_sdp_attr *at = &om->attrs[k];
            if (sdp_eq(at->name, "rtpmap") &&
                siphon_sdp_parse_rtpmap(at->value, &pt, &nm, &rate, &ch) ==
                    0 &&
                pt == oc.pt) {
                rc = siphon_sdp_add_attr(ans, am, at->name, &at->value);
                break;
            }
        }
        siphon_str fmtp = selc[j]->fmtp.len ? selc[j]->fmtp : oc.fmtp;
        if (rc == 0 && fmtp.len) {
            char buf[8];
            int n = snprintf(buf, sizeof buf, "%d ", oc.pt);
            siphon_buf b;
            siphon_buf_init(&b, 0);
            rc = siphon_buf_append(&b, buf, (size_t)n);
            if (!rc)
                rc = siphon_buf_append_str(&b, fmtp);
            if (!rc) {
                siphon_str v = siphon_str_make(b.p, b.len);
                rc = siphon_sdp_add_attr(ans, am, SIPHON_STR_LIT("fmtp"), &v);
            }
            siphon_buf_free(&b);
        }
    }
    if (rc == 0) {
        const siphon_sdp_attr *pt = siphon_sdp_attr_find(om->attrs, om->nattrs,
                                                         "ptime");
        if (pt)
            rc = siphon_sdp_add_attr(ans, am, pt->name, &pt->value);
    }
    if (rc == 0)
        rc = copy_mid(ans, am, om);
    if (rc == 0) {
        siphon_sdp_dir offered = siphon_sdp_media_dir(offer, om);
        /* RFC 3264 §8.4: an RFC 2543 peer holds with c=0.0.0.0; it wants
         * nothing sent to it. */
        siphon_str host = siphon_sdp_media_host(offer, om);
        if (offered == SIPHON_SDP_SENDRECV && sdp_eq(host, "0.0.0.0"))
            offered = SIPHON_SDP_SENDONLY;
        siphon_sdp_dir d = answer_dir(offered, cm->dir);
        /* Say sendrecv only when the offer said it (it is the default). */
        bool explicit_dir = false;
        for (size_t k = 0; k < om->nattrs; k++)
            if (siphon_sdp_dir_lookup(om->attrs[k].name) !=
                SIPHON_SDP_DIR_NONE)
                explicit_dir = true;
        if (d != SIPHON_SDP_SENDRECV || explicit_dir)
            rc = siphon_sdp_set_dir(ans, am, d);
    }
    return rc;
}

/* Non-RTP streams (T.38 over UDPTL, MSRP, ...): formats match a local
 * codec name as written. */
static int accept_other(siphon_sdp *ans, const siphon_sdp *offer,
                        const siphon_sdp_media *om,
                        const siphon_sdp_caps_media *cm)
{
    (void)offer;
    size_t sel[128], nsel = 0;
    for (size_t i = 0; i < om->nfmts && nsel < 128; i++)
        for (size_t k = 0; k < cm->ncodecs; k++)
            if (siphon_str_caseeq(om->fmts[i], cm->codecs[k].name)) {
                sel[nsel++] = i;
                break;
            }
    if (nsel == 0)
        return reject(ans, om);
    siphon_sdp_media *am;
    int rc = siphon_sdp_add_media(ans, om->media, cm->port, om->proto, &am);
    for (size_t j = 0; rc == 0 && j < nsel; j++)
        rc = siphon_sdp_media_add_fmt(ans, am, om->fmts[sel[j]]);
    if (rc == 0)
        rc = copy_mid(ans, am, om);
    return rc;
}

/* a=group (RFC 5888 §9.2): keep only the mids of accepted streams. */
static int copy_groups(siphon_sdp *ans, const siphon_sdp *offer)
{
    for (size_t i = 0; i < offer->nattrs; i++) {
        const siphon_sdp_attr *g = &offer->attrs[i];
        if (!sdp_eq(g->name, "group"))
            continue;
        siphon_str v = g->value;
        siphon_str sem = sdp_token(&v);
        if (sem.len == 0)
            continue;
        siphon_buf b;
        siphon_buf_init(&b, 0);
        int rc = siphon_buf_append_str(&b, sem);
        size_t kept = 0;
        for (siphon_str id; rc == 0 && (id = sdp_token(&v)).len;) {
            for (size_t k = 0; k < ans->nmedia; k++) {
                const siphon_sdp_media *am = ans->media[k];
                const siphon_sdp_attr *mid =
                    siphon_sdp_attr_find(am->attrs, am->nattrs, "mid");
                if (am->port && mid && siphon_str_eq(mid->value, id)) {
                    rc = siphon_buf_append_c(&b, " ");
                    if (!rc)
                        rc = siphon_buf_append_str(&b, id);
                    kept++;
                    break;
                }
            }
        }
        if (rc == 0 && kept) {
            siphon_str val = siphon_str_make(b.p, b.len);
            rc = siphon_sdp_add_attr(ans, NULL, g->name, &val);
        }
        siphon_buf_free(&b);
        if (rc)
            return rc;
    }
    return 0;
}

int siphon_sdp_answer(const siphon_sdp *offer, const siphon_sdp_caps *caps,
                      siphon_sdp **out)
{
    if (!offer || !caps || !out || caps->address.len == 0)
        return SIPHON_EINVAL;
    *out = NULL;
    siphon_sdp *ans;
    const siphon_sdp *prev = caps->previous;
    if (prev && prev->has_origin) {
        /* RFC 3264 §8: same origin, version one higher. */
        ans = siphon_sdp_new(prev->origin.username, 0, prev->origin.version,
                             caps->address, SIPHON_STR_NULL);
        if (ans) {
            bool oom = false;
            ans->origin.sess_id =
                sdp_dup(&ans->arena_, prev->origin.sess_id, &oom);
            ans->origin.address =
                sdp_dup(&ans->arena_, prev->origin.address, &oom);
            ans->origin.addrtype =
                sdp_dup(&ans->arena_, prev->origin.addrtype, &oom);
            if (oom || siphon_sdp_bump_version(ans)) {
                siphon_sdp_free(ans);
                return SIPHON_ENOMEM;
            }
        }
    } else {
        ans = siphon_sdp_new(caps->username, caps->sess_id,
                             caps->sess_version, caps->address,
                             SIPHON_STR_NULL);
    }
    if (!ans)
        return SIPHON_ENOMEM;

    int rc = 0;
    /* §6: the t= line of the answer equals the offer's. */
    if (offer->ntimes) {
        bool oom = false;
        ans->ntimes = 0;
        for (size_t i = 0; i < offer->ntimes && !oom; i++) {
            const siphon_sdp_time *ot = &offer->times[i];
            siphon_sdp_time *t = SDP_PUSH(&ans->arena_, ans->times,
                                          ans->ntimes);
            if (!t) {
                oom = true;
                break;
            }
            t->start = ot->start;
            t->stop = ot->stop;
            for (size_t j = 0; j < ot->nrepeats && !oom; j++) {
                siphon_str r = sdp_dup(&ans->arena_, ot->repeats[j], &oom);
                siphon_str *slot = SDP_PUSH(&ans->arena_, t->repeats,
                                            t->nrepeats);
                if (!slot)
                    oom = true;
                else
                    *slot = r;
            }
        }
        if (oom)
            rc = SIPHON_ENOMEM;
    }

    for (size_t i = 0; rc == 0 && i < offer->nmedia; i++) {
        const siphon_sdp_media *om = offer->media[i];
        const siphon_sdp_caps_media *cm =
            om->malformed ? NULL : find_caps(caps, om->media);
        if (!cm || cm->port == 0 || cm->port > 65535 || om->port == 0)
            rc = reject(ans, om);
        else if (is_rtp(om->proto))
            rc = accept_rtp(ans, offer, om, cm);
        else
            rc = accept_other(ans, offer, om, cm);
    }
    if (rc == 0)
        rc = copy_groups(ans, offer);
    if (rc) {
        siphon_sdp_free(ans);
        return rc;
    }
    *out = ans;
    return 0;
}
