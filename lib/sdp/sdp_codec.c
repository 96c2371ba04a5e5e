/*
 * sdp_codec.c -- typed attributes and what they mean: directions
 * (RFC 3264 §5.1, RFC 8866 §6.7), a=rtpmap/a=fmtp (RFC 8866 §6.6, §6.15),
 * the static payload types of RFC 3551 §6, a=rtcp (RFC 3605), a=ptime,
 * hold (RFC 3264 §8.4) and the comparison of two versions of a session
 * (RFC 3264 §8).
 */
#include "sdp_internal.h"

#include <stdio.h>

static const char *const dir_names[] = {"", "sendrecv", "sendonly",
                                        "recvonly", "inactive"};

const char *siphon_sdp_dir_name(siphon_sdp_dir d)
{
    return (unsigned)d < 5 ? dir_names[d] : "";
}

siphon_sdp_dir siphon_sdp_dir_lookup(siphon_str name)
{
    for (int i = 1; i < 5; i++)
        if (sdp_eq(name, dir_names[i]))
            return (siphon_sdp_dir)i;
    return SIPHON_SDP_DIR_NONE;
}

const siphon_sdp_attr *siphon_sdp_attr_find(const siphon_sdp_attr *attrs,
                                            size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (sdp_eq(attrs[i].name, name))
            return &attrs[i];
    return NULL;
}

static siphon_sdp_dir dir_of(const siphon_sdp_attr *v, size_t n)
{
    /* The first one wins when several are written (a finding says so). */
    for (size_t i = 0; i < n; i++) {
        siphon_sdp_dir d = siphon_sdp_dir_lookup(v[i].name);
        if (d != SIPHON_SDP_DIR_NONE)
            return d;
    }
    return SIPHON_SDP_DIR_NONE;
}

siphon_sdp_dir siphon_sdp_media_dir(const siphon_sdp *s,
                                    const siphon_sdp_media *m)
{
    siphon_sdp_dir d = m ? dir_of(m->attrs, m->nattrs) : SIPHON_SDP_DIR_NONE;
    if (d == SIPHON_SDP_DIR_NONE && s)
        d = dir_of(s->attrs, s->nattrs);
    return d == SIPHON_SDP_DIR_NONE ? SIPHON_SDP_SENDRECV : d;
}

/* ---- payload types ----------------------------------------------------- */

typedef struct static_pt {
    int pt;
    const char *name;
    uint32_t rate;
    uint32_t channels;
} static_pt;

/* RFC 3551 §6, Tables 4 and 5 (audio and video payload types). */
static const static_pt static_pts[] = {
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},     {4, "G723", 8000, 1},
    {5, "DVI4", 8000, 1},   {6, "DVI4", 16000, 1},   {7, "LPC", 8000, 1},
    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},    {10, "L16", 44100, 2},
    {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1},  {13, "CN", 8000, 1},
    {14, "MPA", 90000, 0},  {15, "G728", 8000, 1},   {16, "DVI4", 11025, 1},
    {17, "DVI4", 22050, 1}, {18, "G729", 8000, 1},   {25, "CelB", 90000, 0},
    {26, "JPEG", 90000, 0}, {28, "nv", 90000, 0},    {31, "H261", 90000, 0},
    {32, "MPV", 90000, 0},  {33, "MP2T", 90000, 0},  {34, "H263", 90000, 0},
};

bool siphon_sdp_static_pt(int pt, const char **name, uint32_t *rate,
                          uint32_t *channels)
{
    for (size_t i = 0; i < sizeof static_pts / sizeof static_pts[0]; i++)
        if (static_pts[i].pt == pt) {
            if (name)
                *name = static_pts[i].name;
            if (rate)
                *rate = static_pts[i].rate;
            if (channels)
                *channels = static_pts[i].channels;
            return true;
        }
    return false;
}

static bool parse_u32(siphon_str s, uint32_t *out)
{
    uint64_t v;
    if (siphon_str_to_u64(s, 0xffffffffu, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_pt(siphon_str s, int *pt)
{
    uint64_t v;
    if (siphon_str_to_u64(s, 127, &v))
        return false;
    *pt = (int)v;
    return true;
}

int siphon_sdp_parse_rtpmap(siphon_str value, int *pt, siphon_str *name,
                            uint32_t *rate, uint32_t *channels)
{
    siphon_str v = value;
    siphon_str p = sdp_token(&v), enc = sdp_token(&v), rest = sdp_token(&v);
    if (rest.len || !parse_pt(p, pt) || enc.len == 0)
        return SIPHON_EPARSE;
    const char *s1 = memchr(enc.p, '/', enc.len);
    if (!s1 || s1 == enc.p)
        return SIPHON_EPARSE;
    *name = siphon_str_make(enc.p, (size_t)(s1 - enc.p));
    siphon_str tail = siphon_str_make(s1 + 1, enc.len - name->len - 1);
    const char *s2 = memchr(tail.p, '/', tail.len);
    siphon_str r = siphon_str_make(tail.p, s2 ? (size_t)(s2 - tail.p)
                                              : tail.len);
    if (!parse_u32(r, rate))
        return SIPHON_EPARSE;
    *channels = 0;
    if (s2) {
        siphon_str c = siphon_str_make(s2 + 1, tail.len - r.len - 1);
        if (!parse_u32(c, channels))
            return SIPHON_EPARSE;
    }
    return 0;
}

int siphon_sdp_parse_rtcp(siphon_str value, uint32_t *port,
                          siphon_str *address)
{
    siphon_str v = value;
    siphon_str p = sdp_token(&v), nt = sdp_token(&v), at = sdp_token(&v),
               addr = sdp_token(&v), rest = sdp_token(&v);
    uint32_t n;
    if (!parse_u32(p, &n) || n > 65535 || rest.len ||
        (nt.len && addr.len == 0))
        return SIPHON_EPARSE;
    (void)at;
    *port = n;
    *address = addr;
    return 0;
}

void siphon_sdp_media_codec(const siphon_sdp_media *m, size_t i,
                            siphon_sdp_codec *out)
{
    memset(out, 0, sizeof *out);
    out->pt = -1;
    if (i >= m->nfmts)
        return;
    int pt;
    if (!parse_pt(m->fmts[i], &pt))
        return;
    out->pt = pt;
    const char *sname;
    uint32_t srate, sch;
    if (siphon_sdp_static_pt(pt, &sname, &srate, &sch)) {
        out->name = siphon_str_c(sname);
        out->rate = srate;
        out->channels = sch > 1 ? sch : 0;
    }
    bool rtpmap = false, fmtp = false;
    for (size_t j = 0; j < m->nattrs && !(rtpmap && fmtp); j++) {
        const siphon_sdp_attr *at = &m->attrs[j];
        if (!rtpmap && sdp_eq(at->name, "rtpmap")) {
            int p2;
            siphon_str nm;
            uint32_t rate, ch;
            if (siphon_sdp_parse_rtpmap(at->value, &p2, &nm, &rate, &ch) ==
                    0 &&
                p2 == pt) {
                out->name = nm;
                out->rate = rate;
                out->channels = ch;
                out->has_rtpmap = true;
                rtpmap = true;
            }
        } else if (!fmtp && sdp_eq(at->name, "fmtp")) {
            siphon_str v = at->value;
            siphon_str p = sdp_token(&v);
            int p2;
            if (parse_pt(p, &p2) && p2 == pt) {
                /* The parameters are everything after the one SP. */
                while (v.len && v.p[0] == ' ') {
                    v.p++;
                    v.len--;
                }
                out->fmtp = v;
                fmtp = true;
            }
        }
    }
}

uint32_t siphon_sdp_media_ptime(const siphon_sdp_media *m, bool max)
{
    const siphon_sdp_attr *at =
        siphon_sdp_attr_find(m->attrs, m->nattrs, max ? "maxptime" : "ptime");
    uint32_t v;
    if (!at)
        return 0;
    /* RFC 8866 §6.4 allows a decimal fraction; keep the whole ms. */
    siphon_str s = at->value;
    const char *dot = memchr(s.p ? s.p : "", '.', s.len);
    if (dot)
        s.len = (size_t)(dot - s.p);
    return parse_u32(s, &v) ? v : 0;
}

siphon_str siphon_sdp_media_host(const siphon_sdp *s,
                                 const siphon_sdp_media *m)
{
    if (m && m->nconns)
        return m->conns[0].host;
    if (s && s->has_conn)
        return s->conn.host;
    return siphon_str_make("", 0);
}

/* ---- hold and changes -------------------------------------------------- */

static bool is_zero_addr(siphon_str h)
{
    return sdp_eq(h, "0.0.0.0") || sdp_eq(h, "::");
}

bool siphon_sdp_media_on_hold(const siphon_sdp *s, const siphon_sdp_media *m)
{
    siphon_sdp_dir d = siphon_sdp_media_dir(s, m);
    return d == SIPHON_SDP_SENDONLY || d == SIPHON_SDP_INACTIVE ||
           is_zero_addr(siphon_sdp_media_host(s, m));
}

/* Equal once o= is left out. */
static bool equal_but_origin(const siphon_sdp *a, const siphon_sdp *b)
{
    siphon_sdp x = *a;
    x.has_origin = b->has_origin;
    x.origin = b->origin;
    return siphon_sdp_equal(&x, b);
}

unsigned siphon_sdp_diff(const siphon_sdp *o, const siphon_sdp *n)
{
    unsigned f = 0;
    if (o->has_origin != n->has_origin ||
        !siphon_str_eq(o->origin.sess_version, n->origin.sess_version))
        f |= SIPHON_SDP_CHG_VERSION;
    if (o->has_origin != n->has_origin ||
        !siphon_str_eq(o->origin.username, n->origin.username) ||
        !siphon_str_eq(o->origin.sess_id, n->origin.sess_id) ||
        !siphon_str_eq(o->origin.address, n->origin.address))
        f |= SIPHON_SDP_CHG_SESSION;
    if (!equal_but_origin(o, n)) {
        f |= SIPHON_SDP_CHG_CONTENT;
        if (!(f & SIPHON_SDP_CHG_VERSION))
            f |= SIPHON_SDP_CHG_NOVERSION;
    }
    if (o->nmedia != n->nmedia)
        f |= SIPHON_SDP_CHG_MEDIA;
    size_t k = o->nmedia < n->nmedia ? o->nmedia : n->nmedia;
    for (size_t i = 0; i < k; i++) {
        const siphon_sdp_media *a = o->media[i], *b = n->media[i];
        if ((a->port == 0) != (b->port == 0) ||
            !siphon_str_eq(a->media, b->media))
            f |= SIPHON_SDP_CHG_MEDIA;
        if (a->port != b->port ||
            !siphon_str_eq(siphon_sdp_media_host(o, a),
                           siphon_sdp_media_host(n, b)))
            f |= SIPHON_SDP_CHG_ADDRESS;
        bool same_fmts = a->nfmts == b->nfmts;
        for (size_t j = 0; same_fmts && j < a->nfmts; j++)
            same_fmts = siphon_str_eq(a->fmts[j], b->fmts[j]);
        if (!same_fmts)
            f |= SIPHON_SDP_CHG_FORMATS;
        if (siphon_sdp_media_dir(o, a) != siphon_sdp_media_dir(n, b))
            f |= SIPHON_SDP_CHG_DIRECTION;
        /* Disabled streams (port 0) are neither held nor resumed. */
        if (a->port == 0 || b->port == 0)
            continue;
        bool ha = siphon_sdp_media_on_hold(o, a),
             hb = siphon_sdp_media_on_hold(n, b);
        if (!ha && hb)
            f |= SIPHON_SDP_CHG_HOLD;
        if (ha && !hb)
            f |= SIPHON_SDP_CHG_RESUME;
    }
    return f;
}
