/*
 * register.c -- processing a REGISTER request: RFC 3261 §10.3 steps 1-8.
 *
 * Also RFC 3327 §5.3 (Path at the registrar), RFC 3608 §6 (Service-Route),
 * RFC 5626 §6 (outbound: bindings keyed by +sip.instance and reg-id) and
 * RFC 3261 §8.2.2.3 (Require -> 420 with Unsupported).
 *
 * The request is checked and every Contact is resolved against a working
 * copy of the AOR's bindings (one "slot" per existing binding and per new
 * Contact) before anything changes: §10.3 says binding updates are
 * committed if and only if all of them succeed. The new binding objects
 * and the 200 are made before the commit too, so that running out of
 * memory leaves the store as it was.
 */
#include "reg_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One binding as this request leaves it. */
typedef struct slot {
    rbind *old;            /* the stored binding, NULL for a new one */
    siphon_uri uri;        /* for §19.1.4 matching */
    bool uri_ok;
    siphon_str instance;   /* RFC 5626 key, quotes stripped */
    uint32_t reg_id;
    bool has_reg_id;
    bool touched;          /* a Contact of this request names it */
    bool remove;           /* expires 0, or Contact: * */
    bind_spec spec;        /* touched && !remove: the new state */
    rbind *nb;             /* made from spec before the commit */
} slot;

/* What an error response carries besides its status. */
typedef struct fault {
    int status;
    const char *reason;    /* static: the reason phrase, naming the fault */
    char warn[160];        /* Warning text (RFC 3261 §20.43) */
    const char *hname;     /* one extra field (Unsupported, Min-Expires) */
    char hvalue[512];
} fault;

/* The state of one siphon_reg_process() call. */
typedef struct ctx {
    siphon_reg *r;
    siphon_msg *req;
    const siphon_reg_input *in;
    siphon_arena arena;    /* URIs of the stored bindings */
    char arena_mem[2048];
    siphon_buf key;
    siphon_str call_id;
    uint32_t cseq;
    const siphon_nameaddr *contacts;
    size_t ncontacts;
    bool star;
    bool has_expires_hdr;
    uint64_t expires_hdr;
    siphon_str path[64];   /* RFC 3327 Path values, in order */
    size_t npath;
    bool path_ob;          /* the first Path URI has "ob" (RFC 5626 §5.1) */
    bool first_hop;        /* one Via: the UA is our direct peer */
    bool ua_path;          /* Supported: path */
    bool ua_outbound;      /* Supported: outbound */
    bool used_reg_id;      /* Require: outbound in the 200 (RFC 5626 §6) */
    raor *aor;
    slot *slots;
    size_t nslots;
    fault f;
} ctx;

static int set_fault(ctx *c, int status, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int set_fault(ctx *c, int status, const char *reason, const char *fmt, ...)
{
    c->f.status = status;
    c->f.reason = reason;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->f.warn, sizeof c->f.warn, fmt, ap);
    va_end(ap);
    /* a quoted-string: the texts here never hold '"' or '\', but be sure */
    for (char *p = c->f.warn; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < ' ')
            *p = '\'';
    return status;
}

/* ---- small helpers ------------------------------------------------------- */

/* Append message text unfolded (§7.3.1: CRLF WSP is equivalent to SP). */
static int put_unfolded(siphon_buf *b, siphon_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.p[i];
        if (ch == '\r' || ch == '\n')
            continue;
        int rc = siphon_buf_append(b, &ch, 1);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * Control characters other than folding (CR, LF, HTAB) are not allowed
 * anywhere in a header (RFC 3261 §25.1: qdtext and token exclude them).
 * The parser lets some through inside quoted strings; a registrar would
 * store them and then send them back in every 200, so it refuses them.
 */
static bool has_ctl(siphon_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f)
            return true;
    }
    return false;
}

static bool nameaddr_has_ctl(const siphon_nameaddr *na, siphon_str uri)
{
    if (has_ctl(na->display) || has_ctl(uri))
        return true;
    for (size_t i = 0; i < na->params.n; i++)
        if (has_ctl(na->params.v[i].name) || has_ctl(na->params.v[i].value))
            return true;
    return false;
}

static siphon_str unquote(siphon_str s)
{
    if (s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"')
        return siphon_str_make(s.p + 1, s.len - 2);
    return s;
}

/* Does the token list header id contain tag? Malformed lists count as
 * absent: Supported is advisory. */
static bool has_option(siphon_msg *m, siphon_hdr_id id, const char *tag)
{
    const void *v = NULL;
    if (siphon_msg_typed(m, id, &v, NULL) != 0)
        return false;
    for (const siphon_hval *h = v; h; h = h->next)
        if (siphon_str_caseeq_c(h->value, tag))
            return true;
    return false;
}

static bool option_supported(const siphon_reg *r, siphon_str tag)
{
    if (r->cfg.path && siphon_str_caseeq_c(tag, "path"))
        return true;
    if (r->cfg.outbound && siphon_str_caseeq_c(tag, "outbound"))
        return true;
    for (size_t i = 0; i < r->cfg.nextensions; i++)
        if (siphon_str_caseeq_c(tag, r->cfg.extensions[i]))
            return true;
    return false;
}

/* RFC 1123 date in GMT as §20.17 requires ("Sat, 13 Nov 2010 23:29:00
 * GMT"), computed here rather than with strftime, whose names follow the
 * locale. */
static void rfc1123(int64_t t, char out[32])
{
    static const char wk[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char mo[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int wday = (int)(((days % 7) + 7) % 7);
    /* civil_from_days (H. Hinnant), proleptic Gregorian */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", wk[wday], (int)d,
             mo[m - 1], (int)(y % 10000), (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60));
}

/* ---- responses ------------------------------------------------------------ */

static int add_field(siphon_msgb *b, const char *name, siphon_str value)
{
    return siphon_msgb_add(b, siphon_str_c(name), value);
}

static int finish(ctx *c, siphon_msgb *b, int rc, siphon_reg_result *res)
{
    siphon_msg *m = NULL;
    if (rc == 0)
        rc = siphon_msgb_finish(b, &m, NULL);
    siphon_msgb_free(b);
    if (rc)
        /* fields of the request that do not survive being copied into a
         * response: the request was never sound (siphon_msg_verdict) */
        return rc == SIPHON_EINVAL || rc == SIPHON_EPARSE ? SIPHON_EPARSE : rc;
    res->response = m;
    res->status = siphon_msg_status(m);
    return 0;
}

/* An error response naming its fault in the reason phrase and a Warning. */
static int respond_fault(ctx *c, siphon_reg_result *res)
{
    siphon_msgb *b = siphon_msgb_response_to(c->req, c->f.status,
                                              siphon_str_c(c->f.reason),
                                              c->in->to_tag);
    if (!b)
        return SIPHON_EPARSE; /* see finish() */
    int rc = 0;
    if (c->f.hname)
        rc = add_field(b, c->f.hname, siphon_str_c(c->f.hvalue));
    if (rc == 0 && c->f.warn[0]) {
        char w[256];
        snprintf(w, sizeof w, "399 %s \"%s\"", c->r->cfg.warn_agent, c->f.warn);
        rc = add_field(b, "Warning", siphon_str_c(w));
    }
    res->fault = c->f.reason;
    return finish(c, b, rc, res);
}

/* One Contact value of a 200: §10.3 step 8 wants every binding with the
 * expires the registrar chose, as of now. */
static int put_contact(siphon_buf *v, const siphon_reg_binding *bd, uint64_t now)
{
    int rc = 0;
    if (bd->display.len && !memchr(bd->display.p, '\r', bd->display.len) &&
        !memchr(bd->display.p, '\n', bd->display.len)) {
        rc = put_unfolded(v, bd->display);
        if (rc == 0)
            rc = siphon_buf_append(v, " ", 1);
    }
    if (rc == 0)
        rc = siphon_buf_append(v, "<", 1);
    if (rc == 0)
        rc = put_unfolded(v, bd->contact);
    if (rc == 0)
        rc = siphon_buf_append(v, ">", 1);
    for (size_t i = 0; rc == 0 && i < bd->params.n; i++) {
        const siphon_param *p = &bd->params.v[i];
        rc = siphon_buf_append(v, ";", 1);
        if (rc == 0)
            rc = put_unfolded(v, p->name);
        if (rc == 0 && p->has_value) {
            rc = siphon_buf_append(v, "=", 1);
            if (rc == 0)
                rc = put_unfolded(v, p->value);
        }
    }
    uint64_t left = bd->expires_at > now ? (bd->expires_at - now + 999) / 1000 : 0;
    if (rc == 0)
        rc = siphon_buf_printf(v, ";expires=%llu", (unsigned long long)left);
    return rc;
}

/* §10.3 step 8: the 200 with the bindings v[0..n) (already sorted). */
static int respond_ok(ctx *c, const siphon_reg_binding **v, size_t n,
                      siphon_reg_result *res)
{
    const siphon_reg_config *cfg = &c->r->cfg;
    siphon_msgb *b = siphon_msgb_response_to(c->req, 200, SIPHON_STR_NULL,
                                              c->in->to_tag);
    if (!b)
        return SIPHON_EPARSE; /* see finish() */
    int rc = 0;
    siphon_buf val;
    siphon_buf_init(&val, 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        val.len = 0;
        rc = put_contact(&val, v[i], c->in->now_ms);
        if (rc == 0)
            rc = add_field(b, "Contact", siphon_str_make(val.p, val.len));
    }
    /* RFC 5626 §6: only when a reg-id was honoured */
    if (rc == 0 && c->used_reg_id)
        rc = add_field(b, "Require", SIPHON_STR_LIT("outbound"));
    if (rc == 0 && (cfg->path || cfg->outbound))
        rc = add_field(b, "Supported",
                       cfg->path && cfg->outbound ? SIPHON_STR_LIT("path, outbound")
                       : cfg->path                ? SIPHON_STR_LIT("path")
                                                  : SIPHON_STR_LIT("outbound"));
    /* RFC 3327 §5.3: the Path stored is returned, to a UA that said it
     * understands it */
    for (size_t i = 0; rc == 0 && cfg->path && c->ua_path && i < c->npath; i++) {
        val.len = 0;
        rc = put_unfolded(&val, c->path[i]);
        if (rc == 0)
            rc = add_field(b, "Path", siphon_str_make(val.p, val.len));
    }
    /* RFC 3608 §6 */
    for (size_t i = 0; rc == 0 && i < cfg->nservice_route; i++)
        rc = add_field(b, "Service-Route", siphon_str_c(cfg->service_route[i]));
    if (rc == 0 && c->in->now_wall >= 0) {
        char date[32];
        rfc1123(c->in->now_wall, date);
        rc = add_field(b, "Date", siphon_str_c(date));
    }
    siphon_buf_free(&val);
    return finish(c, b, rc, res);
}

/* ---- the steps ------------------------------------------------------------ */

/* §10.3 step 1: the Request-URI names the domain. 0, 1 (not ours) or a
 * status. */
static int step1_domain(ctx *c)
{
    siphon_perr e;
    const siphon_uri *u = siphon_msg_ruri(c->req, &e);
    if (!u)
        return set_fault(c, 400, "Malformed Request-URI", "the Request-URI does not parse");
    if (u->scheme != SIPHON_URI_SIP && u->scheme != SIPHON_URI_SIPS)
        return set_fault(c, 416, "Unsupported URI Scheme",
                         "a REGISTER Request-URI is a SIP or SIPS URI (RFC 3261 10.2)");
    if (!c->r->cfg.ndomains)
        return 0;
    for (size_t i = 0; i < c->r->cfg.ndomains; i++)
        if (siphon_str_caseeq_c(u->host, c->r->cfg.domains[i]))
            return 0;
    return 1;
}

/* The fields every REGISTER needs (§8.1.1, §10.2). */
static int check_basics(ctx *c)
{
    c->call_id = siphon_msg_call_id(c->req);
    if (!c->call_id.len)
        return set_fault(c, 400, "Missing or Malformed Call-ID", "no usable Call-ID");
    const siphon_cseq *cs = siphon_msg_cseq(c->req);
    if (!cs)
        return set_fault(c, 400, "Missing or Malformed CSeq", "no usable CSeq");
    if (cs->method_id != SIPHON_METHOD_REGISTER)
        return set_fault(c, 400, "CSeq Method Is Not REGISTER",
                         "the CSeq method must be the request method (RFC 3261 8.1.1.5)");
    c->cseq = cs->num;
    const void *v = NULL;
    int rc = siphon_msg_typed(c->req, SIPHON_HDR_VIA, &v, NULL);
    if (rc)
        return set_fault(c, 400, "Missing or Malformed Via", "no usable Via");
    c->first_hop = ((const siphon_via *)v)->next == NULL;
    return 0;
}

/* §10.3 step 2 and §8.2.2.3: every option in Require must be ours. */
static int step2_require(ctx *c)
{
    const void *v = NULL;
    int rc = siphon_msg_typed(c->req, SIPHON_HDR_REQUIRE, &v, NULL);
    if (rc == SIPHON_ENOENT)
        return 0;
    if (rc)
        return set_fault(c, 400, "Malformed Require", "Require is not a list of option tags");
    size_t n = 0;
    for (const siphon_hval *h = v; h; h = h->next) {
        if (option_supported(c->r, h->value))
            continue;
        /* keep the list whole or not at all: a cut tag would lie */
        size_t need = h->value.len + (n ? 2 : 0);
        if (n + need + 1 > sizeof c->f.hvalue)
            break;
        if (n) {
            memcpy(c->f.hvalue + n, ", ", 2);
            n += 2;
        }
        memcpy(c->f.hvalue + n, h->value.p, h->value.len);
        n += h->value.len;
    }
    if (!n)
        return 0;
    c->f.hvalue[n] = 0;
    c->f.hname = "Unsupported";
    return set_fault(c, 420, "Bad Extension", "an option tag in Require is not supported");
}

/* §10.3 steps 4-5: the AOR from To, canonical, and the caller's check. */
static int step5_aor(ctx *c)
{
    const siphon_nameaddr *to = siphon_msg_to(c->req);
    if (!to)
        return set_fault(c, 400, "Missing or Malformed To", "no usable To");
    siphon_perr e;
    const siphon_uri *u = siphon_nameaddr_uri(c->req, to, &e);
    if (!u)
        return set_fault(c, 400, "Malformed To URI", "the To URI does not parse");
    int rc = reg_key_of(u, &c->key);
    if (rc == SIPHON_EINVAL)
        return set_fault(c, 400, "To Is Not a SIP or SIPS URI",
                         "the address-of-record must be a SIP or SIPS URI (RFC 3261 10.2)");
    if (rc)
        return rc;
    /* "If the address-of-record is not valid for the domain in the
     * Request-URI, the registrar MUST send a 404" (step 5): with a domain
     * list, an AOR outside it is not ours to bind */
    if (c->r->cfg.ndomains) {
        bool ours = false;
        for (size_t i = 0; i < c->r->cfg.ndomains && !ours; i++)
            ours = siphon_str_caseeq_c(u->host, c->r->cfg.domains[i]);
        if (!ours)
            return set_fault(c, 404, "Not Found",
                             "the address-of-record is not in a domain of this registrar "
                             "(RFC 3261 10.3 step 5)");
    }
    if (c->r->cfg.check) {
        int st = c->r->cfg.check(c->r->cfg.check_arg, c->req,
                                 siphon_str_make(c->key.p, c->key.len));
        if (st == 403)
            return set_fault(c, 403, "Forbidden",
                             "not authorized for this address-of-record (RFC 3261 10.3 step 4)");
        if (st == 404)
            return set_fault(c, 404, "Not Found",
                             "no such address-of-record here (RFC 3261 10.3 step 5)");
        if (st >= 300 && st <= 699)
            return set_fault(c, st, "Refused by Local Policy",
                             "the registrar policy refused this address-of-record");
        if (st)
            return set_fault(c, 500, "Registrar Policy Error", "the policy check failed");
    }
    return 0;
}

/* Contact, Expires and Path as the later steps use them. */
static int read_fields(ctx *c)
{
    const void *v = NULL;
    int rc = siphon_msg_typed(c->req, SIPHON_HDR_EXPIRES, &v, NULL);
    if (rc && rc != SIPHON_ENOENT)
        return set_fault(c, 400, "Malformed Expires", "Expires is not delta-seconds");
    if (rc == 0) {
        c->has_expires_hdr = true;
        c->expires_hdr = ((const siphon_hval *)v)->num;
    }
    rc = siphon_msg_typed(c->req, SIPHON_HDR_CONTACT, &v, NULL);
    if (rc && rc != SIPHON_ENOENT)
        return set_fault(c, 400, "Malformed Contact", "a Contact value does not parse");
    c->contacts = rc == 0 ? v : NULL;
    /* counted before anything else is done with them, so that a REGISTER
     * with thousands of Contacts costs one pass */
    for (const siphon_nameaddr *na = c->contacts; na; na = na->next) {
        if (++c->ncontacts > c->r->cfg.max_contacts)
            return set_fault(c, 403, "Too Many Contacts",
                             "more than %zu Contacts in one REGISTER",
                             c->r->cfg.max_contacts);
        if (na->star)
            c->star = true;
    }
    c->ua_path = has_option(c->req, SIPHON_HDR_SUPPORTED, "path");
    c->ua_outbound = has_option(c->req, SIPHON_HDR_SUPPORTED, "outbound");
    if (!c->r->cfg.path && !c->r->cfg.outbound)
        return 0;
    rc = siphon_msg_typed(c->req, SIPHON_HDR_PATH, &v, NULL);
    if (rc && rc != SIPHON_ENOENT)
        return set_fault(c, 400, "Malformed Path", "a Path value does not parse");
    for (const siphon_nameaddr *na = rc == 0 ? v : NULL; na; na = na->next) {
        if (c->npath == sizeof c->path / sizeof c->path[0])
            return set_fault(c, 403, "Too Many Path Values",
                             "more than %zu Path values",
                             sizeof c->path / sizeof c->path[0]);
        if (c->npath == 0) {
            siphon_perr e;
            const siphon_uri *u = siphon_nameaddr_uri(c->req, na, &e);
            if (!u)
                return set_fault(c, 400, "Malformed Path", "a Path URI does not parse");
            c->path_ob = siphon_params_find(&u->params, "ob") != NULL;
        }
        if (has_ctl(na->raw))
            return set_fault(c, 400, "Malformed Path",
                             "a control character in a Path value");
        c->path[c->npath++] = na->raw;
    }
    return 0;
}

/* The working copy: one slot per stored binding, room for the Contacts. */
static int load_slots(ctx *c)
{
    c->aor = reg_aor_find(c->r, siphon_str_make(c->key.p, c->key.len));
    size_t nold = c->aor ? c->aor->n : 0;
    c->slots = calloc(nold + c->ncontacts + 1, sizeof *c->slots);
    if (!c->slots)
        return SIPHON_ENOMEM;
    for (size_t i = 0; i < nold; i++) {
        slot *s = &c->slots[c->nslots++];
        s->old = c->aor->b[i];
        const siphon_reg_binding *p = &s->old->pub;
        int rc = siphon_uri_parse(&c->arena, p->contact.p, p->contact.len, &s->uri, NULL);
        if (rc == SIPHON_ENOMEM)
            return rc;
        s->uri_ok = rc == 0;
        s->instance = unquote(p->instance);
        s->reg_id = p->reg_id;
        s->has_reg_id = p->has_reg_id;
    }
    return 0;
}

/* §10.3 step 7: may this request change the stored binding s? */
static int check_order(ctx *c, const slot *s)
{
    if (!s->old || s->touched)
        return 0;
    const siphon_reg_binding *p = &s->old->pub;
    if (siphon_str_eq(p->call_id, c->call_id) && c->cseq <= p->cseq)
        return set_fault(c, 400, "Stale CSeq",
                         "CSeq %u is not above %u, stored for this Call-ID (RFC 3261 10.3 step 7)",
                         c->cseq, p->cseq);
    return 0;
}

/* §10.3 step 6: "Contact: *" with "Expires: 0" removes every binding. */
static int step6_star(ctx *c)
{
    if (c->ncontacts != 1)
        return set_fault(c, 400, "Invalid Contact *",
                         "Contact * must be the only Contact (RFC 3261 10.3 step 6)");
    if (!c->has_expires_hdr || c->expires_hdr != 0)
        return set_fault(c, 400, "Invalid Contact *",
                         "Contact * needs Expires: 0 (RFC 3261 10.3 step 6)");
    for (size_t i = 0; i < c->nslots; i++) {
        int st = check_order(c, &c->slots[i]);
        if (st)
            return st;
        c->slots[i].touched = c->slots[i].remove = true;
    }
    return 0;
}

/* RFC 5626 §6: the +sip.instance and reg-id of one Contact. */
static int outbound_key(ctx *c, const siphon_nameaddr *na, slot *key)
{
    const siphon_param *inst = siphon_params_find(&na->params, "+sip.instance");
    const siphon_param *rid = siphon_params_find(&na->params, "reg-id");
    key->instance = inst && inst->has_value ? unquote(inst->value) : SIPHON_STR_NULL;
    if (!rid || !c->r->cfg.outbound)
        return 0;
    uint64_t n;
    if (!rid->has_value || siphon_str_to_u64(rid->value, 0x7fffffff, &n) || n == 0)
        return set_fault(c, 400, "Malformed reg-id",
                         "reg-id must be a number from 1 to 2^31-1 (RFC 5626 4.2)");
    if (!key->instance.len)
        return set_fault(c, 400, "reg-id Without +sip.instance",
                         "a Contact with reg-id needs +sip.instance (RFC 5626 6)");
    /* a proxy between us and the UA that does not do outbound ("ob" in
     * its Path) makes the flow useless */
    if (!c->first_hop && !c->path_ob) {
        if (c->ua_outbound)
            return set_fault(c, 439, "First Hop Lacks Outbound Support",
                             "the first hop added no Path with ob (RFC 5626 6)");
        return 0; /* reg-id ignored */
    }
    key->reg_id = (uint32_t)n;
    key->has_reg_id = true;
    return 0;
}

/* The +sip.instance value as written, quotes kept, for storage. */
static siphon_str inst_as_written(const siphon_nameaddr *na)
{
    const siphon_param *p = siphon_params_find(&na->params, "+sip.instance");
    return p && p->has_value ? p->value : SIPHON_STR_NULL;
}

static bool same_binding(const slot *s, const slot *k)
{
    /* RFC 5626 §6: instance and reg-id stand in for the Contact URI */
    if (k->has_reg_id)
        return s->has_reg_id && s->reg_id == k->reg_id &&
               siphon_str_eq(s->instance, k->instance);
    return s->uri_ok && siphon_uri_equal(&s->uri, &k->uri);
}

/* §10.3 step 7 for one Contact value. */
static int step7_contact(ctx *c, const siphon_nameaddr *na)
{
    const siphon_reg_config *cfg = &c->r->cfg;
    siphon_perr e;
    const siphon_uri *u = siphon_nameaddr_uri(c->req, na, &e);
    if (!u)
        return set_fault(c, 400, "Malformed Contact URI", "a Contact URI does not parse");
    if (nameaddr_has_ctl(na, u->raw))
        return set_fault(c, 400, "Malformed Contact",
                         "a control character in a Contact value (RFC 3261 25.1)");
    /* the expires param, else Expires, else the local default */
    uint64_t exp = na->has_expires  ? na->expires
                   : c->has_expires_hdr ? c->expires_hdr
                                        : cfg->default_expires;
    /* "greater than zero AND smaller than one hour AND less than a
     * registrar-configured minimum" (§10.3 step 7) */
    if (exp > 0 && exp < 3600 && exp < cfg->min_expires) {
        c->f.hname = "Min-Expires";
        snprintf(c->f.hvalue, sizeof c->f.hvalue, "%u", cfg->min_expires);
        return set_fault(c, 423, "Interval Too Brief",
                         "expires %llu is below the minimum %u (RFC 3261 10.3 step 7)",
                         (unsigned long long)exp, cfg->min_expires);
    }
    if (exp > cfg->max_expires)
        exp = cfg->max_expires; /* "the registrar MAY shorten" */
    slot k = {.uri = *u, .uri_ok = true};
    int st = outbound_key(c, na, &k);
    if (st)
        return st;
    if (k.has_reg_id)
        c->used_reg_id = true;
    slot *s = NULL;
    for (size_t i = 0; i < c->nslots && !s; i++)
        if (same_binding(&c->slots[i], &k))
            s = &c->slots[i];
    if (s && (st = check_order(c, s)) != 0)
        return st;
    if (!s) {
        if (exp == 0)
            return 0; /* removing what is not there */
        s = &c->slots[c->nslots++];
        *s = k;
    }
    /* a later Contact of the same request for the same binding wins */
    s->uri = k.uri;
    s->uri_ok = true;
    s->instance = k.instance;
    s->reg_id = k.reg_id;
    s->has_reg_id = k.has_reg_id;
    s->touched = true;
    s->remove = exp == 0;
    if (s->remove)
        return 0;
    uint64_t now = c->in->now_ms;
    s->spec = (bind_spec){
        .aor = siphon_str_make(c->key.p, c->key.len),
        .contact = u->raw,
        .display = na->display,
        .call_id = c->call_id,
        .instance = inst_as_written(na),
        .source = c->in->source,
        .params = &na->params,
        .path = cfg->path ? c->path : NULL,
        .npath = cfg->path ? c->npath : 0,
        .q = na->q,
        .has_q = na->has_q,
        .expires_s = (uint32_t)exp,
        .expires_at = now > UINT64_MAX - exp * 1000 ? UINT64_MAX : now + exp * 1000,
        .updated_at = now,
        .cseq = c->cseq,
        .reg_id = k.reg_id,
        .has_reg_id = k.has_reg_id,
    };
    return 0;
}

/* Limits, checked on the state the request would leave (§10.3 gives no
 * status for them: 403 for what this AOR may hold, 503 for the server). */
static int check_limits(ctx *c, size_t *live_out)
{
    size_t live = 0, added = 0, removed = 0;
    for (size_t i = 0; i < c->nslots; i++) {
        const slot *s = &c->slots[i];
        if (s->remove) {
            removed += s->old != NULL;
            continue;
        }
        live++;
        added += s->old == NULL;
    }
    *live_out = live;
    if (!added)
        return 0; /* refreshing and removing are always allowed */
    if (live > c->r->cfg.max_per_aor)
        return set_fault(c, 403, "Too Many Bindings for This AOR",
                         "at most %zu bindings per address-of-record",
                         c->r->cfg.max_per_aor);
    if (c->r->nheap - removed + added > c->r->cfg.max_total)
        return set_fault(c, 503, "Registrar Full",
                         "at most %zu bindings in this registrar",
                         c->r->cfg.max_total);
    return 0;
}

/* Make the new binding objects and room for them: after this the commit
 * cannot fail. */
static int prepare(ctx *c)
{
    size_t added = 0;
    for (size_t i = 0; i < c->nslots; i++) {
        slot *s = &c->slots[i];
        if (!s->touched || s->remove)
            continue;
        s->nb = reg_bind_new(c->r, &s->spec);
        if (!s->nb)
            return SIPHON_ENOMEM;
        added += s->old == NULL;
    }
    if (added && !c->aor) {
        c->aor = reg_aor_get(c->r, siphon_str_make(c->key.p, c->key.len));
        if (!c->aor)
            return SIPHON_ENOMEM;
    }
    return added ? reg_reserve(c->r, c->aor, added) : 0;
}

static void commit(ctx *c, siphon_reg_result *res)
{
    siphon_reg *r = c->r;
    for (size_t i = 0; i < c->nslots; i++) {
        slot *s = &c->slots[i];
        if (!s->touched)
            continue;
        if (s->remove) {
            if (!s->old)
                continue;
            reg_event(r, SIPHON_REG_EV_REMOVED, s->old);
            reg_unlink(r, s->old);
            reg_bind_free(s->old);
            res->removed++;
        } else if (s->old) {
            reg_replace(r, s->old, s->nb);
            reg_event(r, SIPHON_REG_EV_REFRESHED, s->nb);
            res->refreshed++;
        } else {
            reg_insert(r, c->aor, s->nb);
            reg_event(r, SIPHON_REG_EV_ADDED, s->nb);
            res->added++;
        }
        s->old = NULL;
        s->nb = NULL;
    }
    reg_aor_release(r, c->aor);
    c->aor = NULL;
}

/* Steps 6-8 once the request is known to be sound. */
static int update(ctx *c, siphon_reg_result *res)
{
    int rc = load_slots(c);
    if (rc)
        return rc;
    if (c->star) {
        rc = step6_star(c);
    } else {
        for (const siphon_nameaddr *na = c->contacts; rc == 0 && na; na = na->next)
            rc = step7_contact(c, na);
    }
    size_t live = 0;
    if (rc == 0)
        rc = check_limits(c, &live);
    if (rc > 0)
        return respond_fault(c, res);
    if (rc == 0)
        rc = prepare(c);
    if (rc)
        return rc;
    /* the 200 lists the bindings as they will be, so that it exists
     * before anything is committed */
    const siphon_reg_binding **v = calloc(live + 1, sizeof *v);
    if (!v)
        return SIPHON_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < c->nslots; i++) {
        const slot *s = &c->slots[i];
        if (!s->remove)
            v[n++] = s->nb ? &s->nb->pub : &s->old->pub;
    }
    reg_sort(v, n);
    rc = respond_ok(c, v, n, res);
    free(v);
    if (rc == 0)
        commit(c, res);
    return rc;
}

static void ctx_free(ctx *c)
{
    for (size_t i = 0; c->slots && i < c->nslots; i++)
        reg_bind_free(c->slots[i].nb);
    free(c->slots);
    if (c->aor)
        reg_aor_release(c->r, c->aor); /* made by prepare() for nothing */
    siphon_arena_free(&c->arena);
    siphon_buf_free(&c->key);
}

static bool is_token_text(siphon_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || (ch && strchr("-.!%*_+`'~", ch))))
            return false;
    }
    return true;
}

int siphon_reg_process(siphon_reg *r, siphon_msg *req,
                       const siphon_reg_input *in, siphon_reg_result *res)
{
    if (res)
        memset(res, 0, sizeof *res);
    if (!r || !req || !in || !res || !siphon_msg_is_request(req) ||
        siphon_msg_method_id(req) != SIPHON_METHOD_REGISTER ||
        !is_token_text(in->to_tag) || (in->source.len && !in->source.p))
        return SIPHON_EINVAL;
    /* bindings past their deadline are gone before the request is looked
     * at, so that it neither sees nor refreshes them */
    siphon_reg_tick(r, in->now_ms);
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return SIPHON_ENOMEM;
    c->r = r;
    c->req = req;
    c->in = in;
    siphon_arena_init(&c->arena, c->arena_mem, sizeof c->arena_mem);
    siphon_buf_init(&c->key, 0);
    int rc = step1_domain(c);
    if (rc == 1) {
        res->action = SIPHON_REG_FORWARD;
        rc = 0;
        goto out;
    }
    if (rc == 0)
        rc = check_basics(c);
    if (rc == 0)
        rc = step2_require(c);
    /* step 3, authentication, was done by the caller */
    if (rc == 0)
        rc = step5_aor(c);
    if (rc == 0)
        rc = read_fields(c);
    if (rc > 0) {
        rc = respond_fault(c, res);
    } else if (rc == 0 && !c->ncontacts) {
        /* §10.3 step 6 ... a REGISTER without Contact only asks: "the
         * registrar returns the current bindings" (§10.2.3) */
        const siphon_reg_binding *v[REG_MAX_PER_AOR_CAP];
        raor *a = reg_aor_find(r, siphon_str_make(c->key.p, c->key.len));
        size_t n = 0;
        for (size_t i = 0; a && i < a->n && n < REG_MAX_PER_AOR_CAP; i++)
            v[n++] = &a->b[i]->pub;
        reg_sort(v, n);
        rc = respond_ok(c, v, n, res);
    } else if (rc == 0) {
        rc = update(c, res);
    }
out:
    ctx_free(c);
    free(c);
    if (rc < 0) {
        siphon_msg_unref(res->response);
        memset(res, 0, sizeof *res);
    }
    return rc;
}
