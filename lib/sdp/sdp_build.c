/*
 * sdp_build.c -- making and changing session descriptions: a new offer,
 * copies, m= sections with codecs, attributes, directions, and the o=
 * version bump of RFC 3264 §8. Also the small helpers the other files of
 * lib/sdp share (arrays in the arena, tokens).
 *
 * Every string a builder function receives is copied into the session's
 * arena, so that the caller's buffers may go away at once and print never
 * sees a dangling view.
 */
#include "sdp_internal.h"

#include <stdio.h>
#include <stdlib.h>

void *sdp_grow(siphon_arena *a, void *arr, size_t n, size_t size)
{
    size_t cap;
    if (n == 0)
        cap = 4;
    else if (n >= 4 && (n & (n - 1)) == 0)
        cap = n * 2;
    else
        return arr; /* room left: capacity is the next power of two */
    if (cap > SIZE_MAX / size)
        return NULL;
    void *na = siphon_arena_alloc(a, cap * size);
    if (na && n)
        memcpy(na, arr, n * size);
    return na;
}

siphon_str sdp_dup(siphon_arena *a, siphon_str s, bool *oom)
{
    if (s.len == 0)
        return siphon_str_make("", 0);
    char *p = siphon_arena_dup(a, s.p, s.len);
    if (!p) {
        *oom = true;
        return siphon_str_make("", 0);
    }
    return siphon_str_make(p, s.len);
}

int sdp_rank_session(char type)
{
    const char *order = "vosiuepcbtrzka";
    const char *p = type ? strchr(order, type) : NULL;
    if (!p)
        return -1;
    /* r= belongs to the t= before it. */
    return type == 'r' ? (int)(strchr(order, 't') - order) : (int)(p - order);
}

int sdp_rank_media(char type)
{
    const char *order = "micbka";
    const char *p = type ? strchr(order, type) : NULL;
    return p ? (int)(p - order) : -1;
}

siphon_str sdp_token(siphon_str *s)
{
    size_t i = 0;
    while (i < s->len && s->p[i] == ' ')
        i++;
    size_t start = i;
    while (i < s->len && s->p[i] != ' ')
        i++;
    siphon_str t = siphon_str_make(s->p + start, i - start);
    s->p += i;
    s->len -= i;
    return t;
}

bool sdp_caseeq(siphon_str a, const char *c)
{
    return siphon_str_caseeq_c(a, c);
}

bool sdp_eq(siphon_str a, const char *c)
{
    size_t n = strlen(c);
    return a.len == n && (n == 0 || memcmp(a.p, c, n) == 0);
}

/* ---- new, dup, free ---------------------------------------------------- */

static siphon_sdp *sdp_alloc(void)
{
    siphon_sdp *s = calloc(1, sizeof *s);
    if (s)
        siphon_arena_init(&s->arena_, NULL, 0);
    return s;
}

void siphon_sdp_free(siphon_sdp *s)
{
    if (!s)
        return;
    siphon_arena_free(&s->arena_);
    free(s);
}

static siphon_str addrtype_of(siphon_str address)
{
    return memchr(address.p ? address.p : "", ':', address.len)
               ? SIPHON_STR_LIT("IP6")
               : SIPHON_STR_LIT("IP4");
}

static siphon_str num_str(siphon_arena *a, uint64_t v, bool *oom)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return sdp_dup(a, siphon_str_make(buf, (size_t)n), oom);
}

siphon_sdp *siphon_sdp_new(siphon_str username, uint64_t sess_id,
                           uint64_t version, siphon_str address,
                           siphon_str name)
{
    siphon_sdp *s = sdp_alloc();
    if (!s)
        return NULL;
    siphon_arena *a = &s->arena_;
    bool oom = false;
    s->has_version = true;
    s->has_origin = true;
    s->origin.username =
        sdp_dup(a, username.len ? username : SIPHON_STR_LIT("-"), &oom);
    s->origin.sess_id = num_str(a, sess_id, &oom);
    s->origin.sess_version = num_str(a, version, &oom);
    s->origin.version = version;
    s->origin.nettype = SIPHON_STR_LIT("IN");
    s->origin.addrtype = addrtype_of(address);
    s->origin.address = sdp_dup(a, address, &oom);
    s->has_name = true;
    /* RFC 8866 §5.3: s= must not be empty; "-" is the usual filler. */
    s->name = sdp_dup(a, name.len ? name : SIPHON_STR_LIT("-"), &oom);
    siphon_sdp_time *t = SDP_PUSH(a, s->times, s->ntimes);
    if (!t)
        oom = true;
    if (oom || (address.len && siphon_sdp_set_conn(s, NULL, address) != 0)) {
        siphon_sdp_free(s);
        return NULL;
    }
    return s;
}

/* Copy an array of n elements of size bytes with sdp_grow's capacity. */
static void *dup_array(siphon_arena *a, const void *src, size_t n, size_t size,
                       bool *oom)
{
    if (n == 0)
        return NULL;
    size_t cap = 4;
    while (cap < n)
        cap *= 2;
    void *d = siphon_arena_alloc(a, cap * size);
    if (!d) {
        *oom = true;
        return NULL;
    }
    memcpy(d, src, n * size);
    return d;
}

static void dup_strs(siphon_arena *a, siphon_str *v, size_t n, bool *oom)
{
    for (size_t i = 0; i < n; i++)
        v[i] = sdp_dup(a, v[i], oom);
}

static void dup_conn(siphon_arena *a, siphon_sdp_conn *c, bool *oom)
{
    c->nettype = sdp_dup(a, c->nettype, oom);
    c->addrtype = sdp_dup(a, c->addrtype, oom);
    /* host is a prefix of address: keep it one. */
    size_t hl = c->host.len;
    c->address = sdp_dup(a, c->address, oom);
    c->host = siphon_str_make(c->address.p, hl <= c->address.len ? hl : 0);
}

static void dup_attrs(siphon_arena *a, siphon_sdp_attr *v, size_t n,
                      bool *oom)
{
    for (size_t i = 0; i < n; i++) {
        v[i].name = sdp_dup(a, v[i].name, oom);
        v[i].value = sdp_dup(a, v[i].value, oom);
    }
}

static void dup_lines(siphon_arena *a, siphon_sdp_line *v, size_t n,
                      bool *oom)
{
    for (size_t i = 0; i < n; i++)
        v[i].text = sdp_dup(a, v[i].text, oom);
}

static void dup_bws(siphon_arena *a, siphon_sdp_bw *v, size_t n, bool *oom)
{
    for (size_t i = 0; i < n; i++)
        v[i].type = sdp_dup(a, v[i].type, oom);
}

#define DUP_ARRAY(a, field, n, oom)                                            \
    ((field) = dup_array((a), (field), (n), sizeof *(field), (oom)))

siphon_sdp *siphon_sdp_dup(const siphon_sdp *src)
{
    siphon_sdp *s = sdp_alloc();
    if (!s)
        return NULL;
    siphon_arena keep = s->arena_;
    *s = *src;
    s->arena_ = keep;
    s->bytes_ = NULL;
    s->len_ = 0;
    siphon_arena *a = &s->arena_;
    bool oom = false;

    siphon_sdp_origin *o = &s->origin;
    o->username = sdp_dup(a, o->username, &oom);
    o->sess_id = sdp_dup(a, o->sess_id, &oom);
    o->sess_version = sdp_dup(a, o->sess_version, &oom);
    o->nettype = sdp_dup(a, o->nettype, &oom);
    o->addrtype = sdp_dup(a, o->addrtype, &oom);
    o->address = sdp_dup(a, o->address, &oom);
    s->name = sdp_dup(a, s->name, &oom);
    s->info = sdp_dup(a, s->info, &oom);
    s->uri = sdp_dup(a, s->uri, &oom);
    DUP_ARRAY(a, s->emails, s->nemails, &oom);
    dup_strs(a, s->emails, oom ? 0 : s->nemails, &oom);
    DUP_ARRAY(a, s->phones, s->nphones, &oom);
    dup_strs(a, s->phones, oom ? 0 : s->nphones, &oom);
    dup_conn(a, &s->conn, &oom);
    DUP_ARRAY(a, s->bws, s->nbws, &oom);
    dup_bws(a, s->bws, oom ? 0 : s->nbws, &oom);
    DUP_ARRAY(a, s->times, s->ntimes, &oom);
    for (size_t i = 0; !oom && i < s->ntimes; i++) {
        siphon_sdp_time *t = &s->times[i];
        DUP_ARRAY(a, t->repeats, t->nrepeats, &oom);
        dup_strs(a, t->repeats, oom ? 0 : t->nrepeats, &oom);
    }
    s->zone = sdp_dup(a, s->zone, &oom);
    s->key = sdp_dup(a, s->key, &oom);
    DUP_ARRAY(a, s->attrs, s->nattrs, &oom);
    dup_attrs(a, s->attrs, oom ? 0 : s->nattrs, &oom);
    DUP_ARRAY(a, s->extra, s->nextra, &oom);
    dup_lines(a, s->extra, oom ? 0 : s->nextra, &oom);
    DUP_ARRAY(a, s->findings, s->nfindings, &oom);
    DUP_ARRAY(a, s->media, s->nmedia, &oom);
    for (size_t i = 0; !oom && i < s->nmedia; i++) {
        siphon_sdp_media *m = siphon_arena_alloc(a, sizeof *m);
        if (!m) {
            oom = true;
            break;
        }
        *m = *s->media[i];
        s->media[i] = m;
        m->media = sdp_dup(a, m->media, &oom);
        m->proto = sdp_dup(a, m->proto, &oom);
        m->raw = sdp_dup(a, m->raw, &oom);
        DUP_ARRAY(a, m->fmts, m->nfmts, &oom);
        dup_strs(a, m->fmts, oom ? 0 : m->nfmts, &oom);
        m->info = sdp_dup(a, m->info, &oom);
        DUP_ARRAY(a, m->conns, m->nconns, &oom);
        for (size_t j = 0; !oom && j < m->nconns; j++)
            dup_conn(a, &m->conns[j], &oom);
        DUP_ARRAY(a, m->bws, m->nbws, &oom);
        dup_bws(a, m->bws, oom ? 0 : m->nbws, &oom);
        m->key = sdp_dup(a, m->key, &oom);
        DUP_ARRAY(a, m->attrs, m->nattrs, &oom);
        dup_attrs(a, m->attrs, oom ? 0 : m->nattrs, &oom);
        DUP_ARRAY(a, m->extra, m->nextra, &oom);
        dup_lines(a, m->extra, oom ? 0 : m->nextra, &oom);
    }
    if (oom) {
        /* Partially copied arrays may still point into src: drop them
         * all before freeing. */
        siphon_arena_free(&s->arena_);
        free(s);
        return NULL;
    }
    return s;
}

/* ---- edits ------------------------------------------------------------- */

int siphon_sdp_bump_version(siphon_sdp *s)
{
    if (!s || !s->has_origin)
        return SIPHON_ESTATE;
    bool oom = false;
    s->origin.version++;
    s->origin.sess_version = num_str(&s->arena_, s->origin.version, &oom);
    return oom ? SIPHON_ENOMEM : 0;
}

int siphon_sdp_set_conn(siphon_sdp *s, siphon_sdp_media *m,
                        siphon_str address)
{
    if (!s || address.len == 0)
        return SIPHON_EINVAL;
    bool oom = false;
    siphon_sdp_conn c;
    c.nettype = SIPHON_STR_LIT("IN");
    c.addrtype = addrtype_of(address);
    c.address = sdp_dup(&s->arena_, address, &oom);
    const char *slash = memchr(c.address.p, '/', c.address.len);
    c.host = siphon_str_make(c.address.p, slash ? (size_t)(slash - c.address.p)
                                                : c.address.len);
    if (oom)
        return SIPHON_ENOMEM;
    if (!m) {
        s->conn = c;
        s->has_conn = true;
        return 0;
    }
    m->nconns = 0;
    siphon_sdp_conn *slot = SDP_PUSH(&s->arena_, m->conns, m->nconns);
    if (!slot)
        return SIPHON_ENOMEM;
    *slot = c;
    return 0;
}

int siphon_sdp_add_media(siphon_sdp *s, siphon_str media, uint32_t port,
                         siphon_str proto, siphon_sdp_media **out)
{
    if (!s || media.len == 0 || proto.len == 0 || port > 65535)
        return SIPHON_EINVAL;
    bool oom = false;
    siphon_sdp_media *m = siphon_arena_alloc(&s->arena_, sizeof *m);
    if (!m)
        return SIPHON_ENOMEM;
    m->media = sdp_dup(&s->arena_, media, &oom);
    m->port = port;
    m->proto = sdp_dup(&s->arena_, proto, &oom);
    siphon_sdp_media **slot = SDP_PUSH(&s->arena_, s->media, s->nmedia);
    if (oom || !slot)
        return SIPHON_ENOMEM;
    *slot = m;
    if (out)
        *out = m;
    return 0;
}

int siphon_sdp_media_add_fmt(siphon_sdp *s, siphon_sdp_media *m,
                             siphon_str fmt)
{
    if (!s || !m || fmt.len == 0 || memchr(fmt.p, ' ', fmt.len))
        return SIPHON_EINVAL;
    bool oom = false;
    siphon_str f = sdp_dup(&s->arena_, fmt, &oom);
    siphon_str *slot = SDP_PUSH(&s->arena_, m->fmts, m->nfmts);
    if (oom || !slot)
        return SIPHON_ENOMEM;
    *slot = f;
    return 0;
}

int siphon_sdp_media_add_codec(siphon_sdp *s, siphon_sdp_media *m, int pt,
                               siphon_str name, uint32_t rate,
                               uint32_t channels, siphon_str fmtp)
{
    if (!s || !m || pt < 0 || pt > 127)
        return SIPHON_EINVAL;
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%d", pt);
    int rc = siphon_sdp_media_add_fmt(s, m, siphon_str_make(buf, (size_t)n));
    if (rc)
        return rc;
    if (rate && name.len) {
        if (name.len > 256)
            return SIPHON_EINVAL;
        if (channels)
            n = snprintf(buf, sizeof buf, "%d %.*s/%u/%u", pt, (int)name.len,
                         name.p, rate, channels);
        else
            n = snprintf(buf, sizeof buf, "%d %.*s/%u", pt, (int)name.len,
                         name.p, rate);
        siphon_str v = siphon_str_make(buf, (size_t)n);
        rc = siphon_sdp_add_attr(s, m, SIPHON_STR_LIT("rtpmap"), &v);
        if (rc)
            return rc;
    }
    if (fmtp.len) {
        siphon_buf b;
        siphon_buf_init(&b, 0);
        rc = siphon_buf_printf(&b, "%d ", pt);
        if (!rc)
            rc = siphon_buf_append_str(&b, fmtp);
        if (!rc) {
            siphon_str v = siphon_str_make(b.p, b.len);
            rc = siphon_sdp_add_attr(s, m, SIPHON_STR_LIT("fmtp"), &v);
        }
        siphon_buf_free(&b);
    }
    return rc;
}

int siphon_sdp_add_attr(siphon_sdp *s, siphon_sdp_media *m, siphon_str name,
                        const siphon_str *value)
{
    if (!s || name.len == 0 || memchr(name.p, ':', name.len) ||
        memchr(name.p, '\n', name.len) ||
        (value && memchr(value->p ? value->p : "", '\n', value->len)))
        return SIPHON_EINVAL;
    bool oom = false;
    siphon_sdp_attr at;
    at.name = sdp_dup(&s->arena_, name, &oom);
    at.has_value = value != NULL;
    at.value = value ? sdp_dup(&s->arena_, *value, &oom)
                     : siphon_str_make("", 0);
    siphon_sdp_attr *slot = m ? SDP_PUSH(&s->arena_, m->attrs, m->nattrs)
                              : SDP_PUSH(&s->arena_, s->attrs, s->nattrs);
    if (oom || !slot)
        return SIPHON_ENOMEM;
    *slot = at;
    return 0;
}

int siphon_sdp_remove_attr(siphon_sdp *s, siphon_sdp_media *m,
                           const char *name)
{
    if (!s || !name)
        return SIPHON_EINVAL;
    siphon_sdp_attr *v = m ? m->attrs : s->attrs;
    size_t *n = m ? &m->nattrs : &s->nattrs;
    size_t j = 0;
    int removed = 0;
    for (size_t i = 0; i < *n; i++) {
        if (sdp_eq(v[i].name, name))
            removed++;
        else
            v[j++] = v[i];
    }
    *n = j;
    return removed;
}

int siphon_sdp_set_dir(siphon_sdp *s, siphon_sdp_media *m, siphon_sdp_dir d)
{
    if (!s)
        return SIPHON_EINVAL;
    for (int k = SIPHON_SDP_SENDRECV; k <= SIPHON_SDP_INACTIVE; k++)
        siphon_sdp_remove_attr(s, m, siphon_sdp_dir_name((siphon_sdp_dir)k));
    if (d == SIPHON_SDP_DIR_NONE)
        return 0;
    return siphon_sdp_add_attr(s, m, siphon_str_c(siphon_sdp_dir_name(d)),
                               NULL);
}
