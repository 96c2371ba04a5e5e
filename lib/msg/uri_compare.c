/*
 * uri_compare.c -- URI equivalence for sip:, sips: and tel:.
 *
 * RFC 3261 §19.1.4 (SIP and SIPS URI comparison) and RFC 3966 §4 (tel URI
 * comparison). siphon_uri_equal() in uri.c dispatches here by scheme.
 * Comparison never allocates: escapes are decoded on the fly, two views
 * at a time.
 */
#include <siphon/uri.h>

#include <arpa/inet.h>
#include <string.h>

/* ---- byte helpers -------------------------------------------------------- */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * RFC 2396 "reserved". RFC 3261 §19.1.4: only characters outside this set
 * are equivalent to their %HH form; "%40" is not the same as "@", because
 * escaping a delimiter changes what it means.
 */
static bool is_reserved(unsigned char c)
{
    return c != 0 && strchr(";/?:@&=+$,", c) != NULL;
}

static bool is_visual_sep(unsigned char c)
{
    return c == '-' || c == '.' || c == '(' || c == ')';
}

/* ASCII case-insensitive, no escapes: hosts and tel pnames. */
#define caseeq siphon_str_caseeq
#define caseeq_c siphon_str_caseeq_c

/* ---- escaped views --------------------------------------------------------- */

/* A cursor over a view that yields decoded bytes. Indexes rather than an
 * end pointer, since p may be NULL for an empty view. */
typedef struct esc_iter {
    const char *p;
    size_t i, n;
} esc_iter;

/*
 * Next decoded byte of the view, and whether it came from a %HH escape.
 * A '%' without two hex digits after it stands for itself, as
 * siphon_uri_unescape() treats it. Returns false at the end.
 */
static bool esc_next(esc_iter *it, unsigned char *c, bool *escaped)
{
    if (it->i >= it->n)
        return false;
    const unsigned char *p = (const unsigned char *)it->p + it->i;
    if (p[0] == '%' && it->n - it->i >= 3 && hexval(p[1]) >= 0 &&
        hexval(p[2]) >= 0) {
        *c = (unsigned char)(hexval(p[1]) << 4 | hexval(p[2]));
        *escaped = true;
        it->i += 3;
    } else {
        *c = p[0];
        *escaped = false;
        it->i++;
    }
    return true;
}

/*
 * Compare two escaped views after decoding: "%61lice" equals "alice", but
 * an escaped reserved character never equals the literal one (see
 * is_reserved). icase folds ASCII letters after decoding.
 */
static bool esc_equal(siphon_str a, siphon_str b, bool icase)
{
    esc_iter ia = {a.p, 0, a.len}, ib = {b.p, 0, b.len};
    for (;;) {
        unsigned char ca, cb;
        bool ea, eb;
        bool ha = esc_next(&ia, &ca, &ea), hb = esc_next(&ib, &cb, &eb);
        if (!ha || !hb)
            return ha == hb;
        if (icase) {
            ca = lower(ca);
            cb = lower(cb);
        }
        if (ca != cb)
            return false;
        if (ea != eb && is_reserved(ca))
            return false;
    }
}

/* ---- sip: and sips: (RFC 3261 §19.1.4) ------------------------------------ */

/* An IPv6reference ("[...]") as 16 bytes, so that [::1] equals
 * [0:0:0:0:0:0:0:1]. False when it does not convert. */
static bool ipv6_bytes(siphon_str h, unsigned char out[16])
{
    char buf[64];
    if (h.len < 3 || h.len - 2 >= sizeof buf || h.p[0] != '[' ||
        h.p[h.len - 1] != ']')
        return false;
    memcpy(buf, h.p + 1, h.len - 2);
    buf[h.len - 2] = 0;
    return inet_pton(AF_INET6, buf, out) == 1;
}

/*
 * Hosts compare case-insensitively. A name never equals the address it
 * resolves to (§19.1.4), so there is no lookup; IPv6 references compare as
 * addresses since their text has many spellings.
 */
static bool host_equal(const siphon_uri *a, const siphon_uri *b)
{
    if (a->host_type == SIPHON_HOST_IPV6 && b->host_type == SIPHON_HOST_IPV6) {
        unsigned char x[16], y[16];
        if (ipv6_bytes(a->host, x) && ipv6_bytes(b->host, y))
            return memcmp(x, y, sizeof x) == 0;
    }
    return caseeq(a->host, b->host);
}

/* pname is 1*paramchar and may itself be escaped, so names compare
 * decoded and case-insensitively. */
static const siphon_param *find_nth_param(const siphon_params *ps,
                                          siphon_str name, size_t k)
{
    for (size_t i = 0; i < ps->n; i++)
        if (esc_equal(ps->v[i].name, name, true) && k-- == 0)
            return &ps->v[i];
    return NULL;
}

/* How many parameters before index i share its name. */
static size_t occurrence(const siphon_params *ps, size_t i)
{
    size_t k = 0;
    for (size_t j = 0; j < i; j++)
        if (esc_equal(ps->v[j].name, ps->v[i].name, true))
            k++;
    return k;
}

/*
 * §19.1.4: transport, user, ttl and method (which have defaults) and maddr
 * must appear in both URIs or in neither; "a URI omitting any component
 * with a default value will not match a URI explicitly containing that
 * component with its default value".
 */
static bool must_be_in_both(siphon_str name)
{
    static const char *const names[] = {"transport", "user", "ttl",
                                        "method", "maddr"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (esc_equal(name, siphon_str_make(names[i], strlen(names[i])),
                      true))
            return true;
    return false;
}

/*
 * Every parameter of x is matched against y. A parameter in both must
 * match (values case-insensitive after decoding; ";lr" differs from
 * ";lr=on"); one only in x is ignored unless must_be_in_both(). A repeated
 * name pairs its k-th occurrence with the other URI's k-th, so that every
 * URI equals itself. Called both ways, for symmetry.
 */
static bool params_match(const siphon_params *x, const siphon_params *y)
{
    for (size_t i = 0; i < x->n; i++) {
        const siphon_param *p = &x->v[i];
        const siphon_param *q = find_nth_param(y, p->name, occurrence(x, i));
        if (!q) {
            if (must_be_in_both(p->name))
                return false;
            continue;
        }
        if (p->has_value != q->has_value ||
            !esc_equal(p->value, q->value, true))
            return false;
    }
    return true;
}

/*
 * §19.1.4: "URI header components are never ignored": every header of one
 * URI must be in the other with an equal value. Names are case-insensitive;
 * values compare decoded and case-sensitively (the per-header rules of §20
 * are not applied). A header name may repeat (two Route values, say), so
 * the k-th "route" of x is paired with the k-th "route" of y: order among
 * equal names counts, order between different names does not.
 */
static bool headers_equal(const siphon_params *x, const siphon_params *y)
{
    if (x->n != y->n)
        return false;
    for (size_t i = 0; i < x->n; i++) {
        const siphon_param *h = &x->v[i];
        size_t k = 0;
        for (size_t j = 0; j < i; j++)
            if (esc_equal(x->v[j].name, h->name, true))
                k++;
        const siphon_param *g = NULL;
        for (size_t j = 0; j < y->n; j++) {
            if (!esc_equal(y->v[j].name, h->name, true))
                continue;
            if (k == 0) {
                g = &y->v[j];
                break;
            }
            k--;
        }
        if (!g || !esc_equal(h->value, g->value, false))
            return false;
    }
    return true;
}

bool siphon_uri_equal_sip_(const siphon_uri *a, const siphon_uri *b)
{
    /* A SIP and a SIPS URI are never equivalent. */
    if (a->scheme != b->scheme)
        return false;
    /*
     * userinfo is case-sensitive, telephone-subscriber users included,
     * and a URI without a user (or password) never matches one with it.
     */
    if (a->has_user != b->has_user ||
        (a->has_user && !esc_equal(a->user, b->user, false)))
        return false;
    if (a->has_password != b->has_password ||
        (a->has_password && !esc_equal(a->password, b->password, false)))
        return false;
    if (!host_equal(a, b))
        return false;
    /* sip:host and sip:host:5060 differ: the first may use SRV (§19.1.4). */
    if (a->has_port != b->has_port || (a->has_port && a->port != b->port))
        return false;
    if (!params_match(&a->params, &b->params) ||
        !params_match(&b->params, &a->params))
        return false;
    return headers_equal(&a->headers, &b->headers);
}

/* ---- tel: (RFC 3966 §4) --------------------------------------------------- */

/*
 * Phone numbers are equal when equal after dropping visual separators
 * (§5.1.1); "URI comparisons are case-insensitive", which matters for the
 * hex digits of local numbers.
 */
static bool digits_equal(siphon_str a, siphon_str b)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a.len && is_visual_sep((unsigned char)a.p[i]))
            i++;
        while (j < b.len && is_visual_sep((unsigned char)b.p[j]))
            j++;
        if (i == a.len || j == b.len)
            return i == a.len && j == b.len;
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[j]))
            return false;
        i++;
        j++;
    }
}

/*
 * phone-context is a domain name (compared as a host name) or a
 * global-number-digits (compared digit by digit). One of each never
 * match; without the '+' check "example.com" would equal "examplecom".
 */
static bool context_equal(siphon_str a, siphon_str b)
{
    bool na = a.len > 0 && a.p[0] == '+', nb = b.len > 0 && b.p[0] == '+';
    if (na != nb)
        return false;
    return na ? digits_equal(a, b) : caseeq(a, b);
}

/*
 * Every parameter of x must be in y with an equal value: "If one URI has a
 * parameter name not found in the other, the two URIs are not equal."
 * ext holds phonedigits, so its separators do not count either.
 */
static bool tel_params_match(const siphon_params *x, const siphon_params *y)
{
    for (size_t i = 0; i < x->n; i++) {
        const siphon_param *p = &x->v[i], *q = NULL;
        for (size_t j = 0; j < y->n && !q; j++)
            if (caseeq(y->v[j].name, p->name))
                q = &y->v[j];
        if (!q || p->has_value != q->has_value)
            return false;
        bool same;
        if (caseeq_c(p->name, "phone-context"))
            same = context_equal(p->value, q->value);
        else if (caseeq_c(p->name, "ext"))
            same = digits_equal(p->value, q->value);
        else
            same = esc_equal(p->value, q->value, true);
        if (!same)
            return false;
    }
    return true;
}

bool siphon_uri_equal_tel_(const siphon_uri *a, const siphon_uri *b)
{
    if (a->scheme != SIPHON_URI_TEL || b->scheme != SIPHON_URI_TEL)
        return false;
    /* "Both must be either a 'local-number' or a 'global-number'". */
    if (a->global != b->global)
        return false;
    if (!digits_equal(a->number, b->number))
        return false;
    /* Checked both ways: parameter order does not matter, and one present
     * on a single side makes the URIs differ. */
    return tel_params_match(&a->params, &b->params) &&
           tel_params_match(&b->params, &a->params);
}
