/*
 * sdp_print.c -- the canonical printer and structural equality.
 *
 * RFC 8866 §5: lines end with CRLF and come in a fixed order, session
 * first (v o s i u e p c b t r z k a) and then each m= section (m i c b k
 * a). Verbatim lines go back after the known line they followed. The
 * printer is the inverse of the parser: parse -> print -> parse gives an
 * equal session, and a canonical body prints back byte for byte.
 */
#include "sdp_internal.h"

typedef struct out {
    siphon_buf *b;
    int rc;
} out;

static void put(out *o, const char *p, size_t n)
{
    if (o->rc == 0 && n)
        o->rc = siphon_buf_append(o->b, p, n);
}

static void puts_(out *o, const char *c)
{
    put(o, c, strlen(c));
}

static void putstr(out *o, siphon_str s)
{
    put(o, s.p, s.len);
}

static void putnum(out *o, uint64_t v)
{
    if (o->rc == 0)
        o->rc = siphon_buf_append_uint(o->b, v, 1);
}

static void line(out *o, const char *type, siphon_str v)
{
    puts_(o, type);
    putstr(o, v);
    puts_(o, "\r\n");
}

static void extras(out *o, const siphon_sdp_line *v, size_t n, char anchor)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].anchor == anchor) {
            putstr(o, v[i].text);
            puts_(o, "\r\n");
        }
}

static void conn(out *o, const siphon_sdp_conn *c)
{
    puts_(o, "c=");
    putstr(o, c->nettype);
    puts_(o, " ");
    putstr(o, c->addrtype);
    puts_(o, " ");
    putstr(o, c->address);
    puts_(o, "\r\n");
}

static void bws(out *o, const siphon_sdp_bw *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        puts_(o, "b=");
        putstr(o, v[i].type);
        puts_(o, ":");
        putnum(o, v[i].value);
        puts_(o, "\r\n");
    }
}

static void attrs(out *o, const siphon_sdp_attr *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        puts_(o, "a=");
        putstr(o, v[i].name);
        if (v[i].has_value) {
            puts_(o, ":");
            putstr(o, v[i].value);
        }
        puts_(o, "\r\n");
    }
}

static void media(out *o, const siphon_sdp_media *m)
{
    puts_(o, "m=");
    if (m->malformed) {
        putstr(o, m->raw);
    } else {
        putstr(o, m->media);
        puts_(o, " ");
        putnum(o, m->port);
        if (m->nports) {
            puts_(o, "/");
            putnum(o, m->nports);
        }
        puts_(o, " ");
        putstr(o, m->proto);
        for (size_t i = 0; i < m->nfmts; i++) {
            puts_(o, " ");
            putstr(o, m->fmts[i]);
        }
    }
    puts_(o, "\r\n");
    extras(o, m->extra, m->nextra, 0);
    extras(o, m->extra, m->nextra, 'm');
    if (m->has_info)
        line(o, "i=", m->info);
    extras(o, m->extra, m->nextra, 'i');
    for (size_t i = 0; i < m->nconns; i++)
        conn(o, &m->conns[i]);
    extras(o, m->extra, m->nextra, 'c');
    bws(o, m->bws, m->nbws);
    extras(o, m->extra, m->nextra, 'b');
    if (m->has_key)
        line(o, "k=", m->key);
    extras(o, m->extra, m->nextra, 'k');
    attrs(o, m->attrs, m->nattrs);
    extras(o, m->extra, m->nextra, 'a');
}

int siphon_sdp_print(const siphon_sdp *s, siphon_buf *b)
{
    if (!s || !b)
        return SIPHON_EINVAL;
    out o = {b, 0};
    const siphon_sdp_line *x = s->extra;
    size_t nx = s->nextra;
    extras(&o, x, nx, 0);
    if (s->has_version) {
        puts_(&o, "v=");
        putnum(&o, s->version);
        puts_(&o, "\r\n");
    }
    extras(&o, x, nx, 'v');
    if (s->has_origin) {
        const siphon_sdp_origin *g = &s->origin;
        puts_(&o, "o=");
        putstr(&o, g->username);
        puts_(&o, " ");
        putstr(&o, g->sess_id);
        puts_(&o, " ");
        putstr(&o, g->sess_version);
        puts_(&o, " ");
        putstr(&o, g->nettype);
        puts_(&o, " ");
        putstr(&o, g->addrtype);
        puts_(&o, " ");
        putstr(&o, g->address);
        puts_(&o, "\r\n");
    }
    extras(&o, x, nx, 'o');
    if (s->has_name)
        line(&o, "s=", s->name);
    extras(&o, x, nx, 's');
    if (s->has_info)
        line(&o, "i=", s->info);
    extras(&o, x, nx, 'i');
    if (s->has_uri)
        line(&o, "u=", s->uri);
    extras(&o, x, nx, 'u');
    for (size_t i = 0; i < s->nemails; i++)
        line(&o, "e=", s->emails[i]);
    extras(&o, x, nx, 'e');
    for (size_t i = 0; i < s->nphones; i++)
        line(&o, "p=", s->phones[i]);
    extras(&o, x, nx, 'p');
    if (s->has_conn)
        conn(&o, &s->conn);
    extras(&o, x, nx, 'c');
    bws(&o, s->bws, s->nbws);
    extras(&o, x, nx, 'b');
    for (size_t i = 0; i < s->ntimes; i++) {
        puts_(&o, "t=");
        putnum(&o, s->times[i].start);
        puts_(&o, " ");
        putnum(&o, s->times[i].stop);
        puts_(&o, "\r\n");
        for (size_t j = 0; j < s->times[i].nrepeats; j++)
            line(&o, "r=", s->times[i].repeats[j]);
    }
    extras(&o, x, nx, 't');
    if (s->has_zone)
        line(&o, "z=", s->zone);
    extras(&o, x, nx, 'z');
    if (s->has_key)
        line(&o, "k=", s->key);
    extras(&o, x, nx, 'k');
    attrs(&o, s->attrs, s->nattrs);
    extras(&o, x, nx, 'a');
    for (size_t i = 0; i < s->nmedia; i++)
        media(&o, s->media[i]);
    return o.rc;
}

/* ---- equality ---------------------------------------------------------- */

static bool streq(siphon_str a, siphon_str b)
{
    return siphon_str_eq(a, b);
}

static bool strs_eq(const siphon_str *a, size_t na, const siphon_str *b,
                    size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!streq(a[i], b[i]))
            return false;
    return true;
}

static bool conn_eq(const siphon_sdp_conn *a, const siphon_sdp_conn *b)
{
    return streq(a->nettype, b->nettype) && streq(a->addrtype, b->addrtype) &&
           streq(a->address, b->address);
}

static bool bws_eq(const siphon_sdp_bw *a, size_t na, const siphon_sdp_bw *b,
                   size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!streq(a[i].type, b[i].type) || a[i].value != b[i].value)
            return false;
    return true;
}

static bool attrs_eq(const siphon_sdp_attr *a, size_t na,
                     const siphon_sdp_attr *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!streq(a[i].name, b[i].name) || a[i].has_value != b[i].has_value ||
            !streq(a[i].value, b[i].value))
            return false;
    return true;
}

static bool lines_eq(const siphon_sdp_line *a, size_t na,
                     const siphon_sdp_line *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!streq(a[i].text, b[i].text) || a[i].anchor != b[i].anchor)
            return false;
    return true;
}

static bool media_eq(const siphon_sdp_media *a, const siphon_sdp_media *b)
{
    if (a->malformed != b->malformed || !streq(a->raw, b->raw) || !streq(a->media, b->media) ||
        a->port != b->port || a->nports != b->nports ||
        !streq(a->proto, b->proto) ||
        !strs_eq(a->fmts, a->nfmts, b->fmts, b->nfmts) ||
        a->has_info != b->has_info || !streq(a->info, b->info) ||
        a->nconns != b->nconns ||
        !bws_eq(a->bws, a->nbws, b->bws, b->nbws) ||
        a->has_key != b->has_key || !streq(a->key, b->key) ||
        !attrs_eq(a->attrs, a->nattrs, b->attrs, b->nattrs) ||
        !lines_eq(a->extra, a->nextra, b->extra, b->nextra))
        return false;
    for (size_t i = 0; i < a->nconns; i++)
        if (!conn_eq(&a->conns[i], &b->conns[i]))
            return false;
    return true;
}

bool siphon_sdp_equal(const siphon_sdp *a, const siphon_sdp *b)
{
    if (a->has_version != b->has_version || a->version != b->version)
        return false;
    if (a->has_origin != b->has_origin)
        return false;
    if (a->has_origin) {
        const siphon_sdp_origin *x = &a->origin, *y = &b->origin;
        if (!streq(x->username, y->username) ||
            !streq(x->sess_id, y->sess_id) ||
            !streq(x->sess_version, y->sess_version) ||
            !streq(x->nettype, y->nettype) ||
            !streq(x->addrtype, y->addrtype) ||
            !streq(x->address, y->address))
            return false;
    }
    if (a->has_name != b->has_name || !streq(a->name, b->name) ||
        a->has_info != b->has_info || !streq(a->info, b->info) ||
        a->has_uri != b->has_uri || !streq(a->uri, b->uri) ||
        !strs_eq(a->emails, a->nemails, b->emails, b->nemails) ||
        !strs_eq(a->phones, a->nphones, b->phones, b->nphones) ||
        a->has_conn != b->has_conn ||
        (a->has_conn && !conn_eq(&a->conn, &b->conn)) ||
        !bws_eq(a->bws, a->nbws, b->bws, b->nbws) ||
        a->ntimes != b->ntimes || a->has_zone != b->has_zone ||
        !streq(a->zone, b->zone) || a->has_key != b->has_key ||
        !streq(a->key, b->key) ||
        !attrs_eq(a->attrs, a->nattrs, b->attrs, b->nattrs) ||
        !lines_eq(a->extra, a->nextra, b->extra, b->nextra) ||
        a->nmedia != b->nmedia)
        return false;
    for (size_t i = 0; i < a->ntimes; i++) {
        const siphon_sdp_time *x = &a->times[i], *y = &b->times[i];
        if (x->start != y->start || x->stop != y->stop ||
            !strs_eq(x->repeats, x->nrepeats, y->repeats, y->nrepeats))
            return false;
    }
    for (size_t i = 0; i < a->nmedia; i++)
        if (!media_eq(a->media[i], b->media[i]))
            return false;
    return true;
}
