/*
 * typed.c -- typed header values, parsed on first access and cached.
 *
 * Dispatches each known header to its grammar (RFC 3261 §20 and §25.1,
 * RFC 3262 §7 RSeq/RAck, RFC 3265/6665 Event and Subscription-State,
 * RFC 3891 Replaces, RFC 4028 Session-Expires/Min-SE, RFC 3326 Reason,
 * RFC 3515 Refer-To, RFC 3892 Referred-By, RFC 3327 Path, RFC 3608
 * Service-Route) and chains the values of every field with that name.
 * name-addr and Via values are in typed_addr.c, dates and products in
 * typed_misc.c.
 */
#include "typed_internal.h"
#include "typed_misc.h"

#include <string.h>

typedef enum tkind {
    K_NONE = 0,
    K_VIA,
    K_ADDR_ONE,    /* a single name-addr: From, To, Refer-To, … */
    K_ADDR_LIST,   /* Route, Record-Route, Path, … */
    K_CONTACT,
    K_CSEQ,
    K_RACK,
    K_CALLID,
    K_NUM,         /* 1*DIGIT */
    K_NUM_PARAMS,  /* delta-seconds *(SEMI param): Session-Expires, Min-SE */
    K_RETRY_AFTER,
    K_TOKEN_PARAMS,      /* token *(SEMI param): Event, Subscription-State */
    K_TOKEN_PARAMS_LIST, /* Reason */
    K_TOKEN_LIST,        /* Require, Supported, Allow, … (may be empty) */
    K_TOKEN_LIST_NONEMPTY,
    K_MEDIA,             /* Content-Type */
    K_MEDIA_LIST,        /* Accept (may be empty) */
    K_REPLACES,
    K_AUTH,
    K_AUTH_INFO,
    K_WARNING,
    K_DATE,
    K_TIMESTAMP,
    K_PRODUCTS
} tkind;

static tkind kind_of_slow(siphon_hdr_id id, uint64_t *max)
{
    *max = UINT32_MAX;
    switch (id) {
    case SIPHON_HDR_VIA: return K_VIA;
    case SIPHON_HDR_FROM:
    case SIPHON_HDR_TO:
    case SIPHON_HDR_REFER_TO:
    case SIPHON_HDR_REFERRED_BY:
    case SIPHON_HDR_REPLY_TO: return K_ADDR_ONE;
    case SIPHON_HDR_ROUTE:
    case SIPHON_HDR_RECORD_ROUTE:
    case SIPHON_HDR_PATH:
    case SIPHON_HDR_SERVICE_ROUTE:
    case SIPHON_HDR_P_ASSERTED_IDENTITY: return K_ADDR_LIST;
    case SIPHON_HDR_CONTACT: return K_CONTACT;
    case SIPHON_HDR_CSEQ: return K_CSEQ;
    case SIPHON_HDR_RACK: return K_RACK;
    case SIPHON_HDR_CALL_ID: return K_CALLID;
    case SIPHON_HDR_MAX_FORWARDS: *max = 255; return K_NUM;
    case SIPHON_HDR_RSEQ: *max = 0x7fffffff; return K_NUM;
    case SIPHON_HDR_CONTENT_LENGTH:
    case SIPHON_HDR_EXPIRES:
    case SIPHON_HDR_MIN_EXPIRES: return K_NUM;
    case SIPHON_HDR_SESSION_EXPIRES:
    case SIPHON_HDR_MIN_SE: return K_NUM_PARAMS;
    case SIPHON_HDR_RETRY_AFTER: return K_RETRY_AFTER;
    case SIPHON_HDR_EVENT:
    case SIPHON_HDR_SUBSCRIPTION_STATE:
    case SIPHON_HDR_CONTENT_DISPOSITION: return K_TOKEN_PARAMS;
    case SIPHON_HDR_REASON: return K_TOKEN_PARAMS_LIST;
    case SIPHON_HDR_SUPPORTED:
    case SIPHON_HDR_ALLOW:
    case SIPHON_HDR_ALLOW_EVENTS:
    case SIPHON_HDR_UNSUPPORTED: return K_TOKEN_LIST;
    case SIPHON_HDR_REQUIRE:
    case SIPHON_HDR_PROXY_REQUIRE:
    case SIPHON_HDR_CONTENT_ENCODING: return K_TOKEN_LIST_NONEMPTY;
    case SIPHON_HDR_CONTENT_TYPE: return K_MEDIA;
    case SIPHON_HDR_ACCEPT: return K_MEDIA_LIST;
    case SIPHON_HDR_REPLACES: return K_REPLACES;
    case SIPHON_HDR_WWW_AUTHENTICATE:
    case SIPHON_HDR_AUTHORIZATION:
    case SIPHON_HDR_PROXY_AUTHENTICATE:
    case SIPHON_HDR_PROXY_AUTHORIZATION: return K_AUTH;
    case SIPHON_HDR_AUTHENTICATION_INFO: return K_AUTH_INFO;
    case SIPHON_HDR_WARNING: return K_WARNING;
    case SIPHON_HDR_DATE: return K_DATE;
    case SIPHON_HDR_TIMESTAMP: return K_TIMESTAMP;
    case SIPHON_HDR_USER_AGENT:
    case SIPHON_HDR_SERVER: return K_PRODUCTS;
    default: return K_NONE;
    }
}

siphon_value_type siphon_hdr_value_type(siphon_hdr_id id)
{
    uint64_t max;
    switch (kind_of_slow(id, &max)) {
    case K_NONE: return SIPHON_VALUE_NONE;
    case K_VIA: return SIPHON_VALUE_VIA;
    case K_ADDR_ONE:
    case K_ADDR_LIST:
    case K_CONTACT: return SIPHON_VALUE_NAMEADDR;
    case K_CSEQ: return SIPHON_VALUE_CSEQ;
    case K_RACK: return SIPHON_VALUE_RACK;
    case K_AUTH:
    case K_AUTH_INFO: return SIPHON_VALUE_AUTH;
    case K_WARNING: return SIPHON_VALUE_WARNING;
    case K_DATE: return SIPHON_VALUE_DATE;
    case K_TIMESTAMP: return SIPHON_VALUE_TIMESTAMP;
    case K_PRODUCTS: return SIPHON_VALUE_PRODUCT;
    default: return SIPHON_VALUE_HVAL;
    }
}

/* kind_of_slow() as a table, filled once at load time */
static uint8_t kind_table[SIPHON_HDR__COUNT];
static uint32_t max_table[SIPHON_HDR__COUNT];

__attribute__((constructor)) static void build_kind_table(void)
{
    for (int id = 0; id < SIPHON_HDR__COUNT; id++) {
        uint64_t max;
        kind_table[id] = (uint8_t)kind_of_slow((siphon_hdr_id)id, &max);
        max_table[id] = (uint32_t)max;
    }
}

static inline tkind kind_of(siphon_hdr_id id, uint64_t *max)
{
    *max = max_table[id];
    return (tkind)kind_table[id];
}

/* ---- simple shapes ------------------------------------------------------ */

/* A number that must fill [s,e); over max is an error or a clamped
 * finding depending on the header (RFC 4475 §3.1.2.4 lets Max-Forwards and
 * Expires be tolerated, never CSeq). */
static int parse_number(tctx *t, const char *s, const char *e, uint64_t max,
                        uint64_t *out)
{
    const char *p = s;
    while (p < e && cc((unsigned char)*p, CC_DIGIT))
        p++;
    if (p == s || p != e)
        return terr(t, p, "1*DIGIT", "%s is not a decimal number", tname(t));
    int rc = siphon_str_to_u64(siphon_str_make(s, (size_t)(e - s)), max, out);
    if (rc == SIPHON_ERANGE) {
        if (tfinding(t, SIPHON_FINDING_TOLERATED, s, "number-overlarge",
                     "RFC 3261 §25.1; RFC 4475 §3.1.2.4",
                     "value above the header's maximum clamped"))
            return terr(t, s, "1*DIGIT", "%s value above %llu", tname(t),
                        (unsigned long long)max);
        *out = max;
    }
    return 0;
}

static int parse_hval(tctx *t, tkind k, uint64_t max, const char *s,
                      const char *e, siphon_hval *v)
{
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    *v = (siphon_hval){.raw = siphon_str_make(p, (size_t)(e - p))};
    int rc;
    switch (k) {
    case K_CALLID: {
        /* callid = word [ "@" word ] */
        const char *q = p;
        q = scan_class(q, e, CC_WORD);
        if (q == p)
            return terr(t, p, "callid", "empty Call-ID");
        if (q < e && *q == '@') {
            const char *w = ++q;
            q = scan_class(q, e, CC_WORD);
            if (q == w)
                return terr(t, q, "callid", "empty word after '@' in Call-ID");
        }
        if (q != e)
            return terr(t, q, "callid", "invalid character in Call-ID");
        v->value = v->raw;
        return 0;
    }
    case K_NUM:
        v->value = v->raw;
        v->has_num = true;
        return parse_number(t, p, e, max, &v->num);
    case K_NUM_PARAMS:
    case K_RETRY_AFTER: {
        const char *q = p;
        while (q < e && cc((unsigned char)*q, CC_DIGIT))
            q++;
        v->value = siphon_str_make(p, (size_t)(q - p));
        v->has_num = true;
        if ((rc = parse_number(t, p, q, max, &v->num)) != 0)
            return rc;
        q = skip_ws(q, e);
        if (k == K_RETRY_AFTER && q < e && *q == '(') {
            const char *ce = skip_comment(q, e);
            if (!ce)
                return terr(t, q, "comment", "unterminated comment");
            v->comment = siphon_str_make(q + 1, (size_t)(ce - q - 2));
            q = ce;
        }
        if ((rc = parse_params(t, &q, e, &v->params)) != 0)
            return rc;
        return q == e ? 0 : terr(t, q, "generic-param", "unexpected text after the value");
    }
    case K_TOKEN_PARAMS:
    case K_TOKEN_PARAMS_LIST:
    case K_TOKEN_LIST:
    case K_TOKEN_LIST_NONEMPTY:
    case K_REPLACES: {
        const char *q = p;
        if (k == K_REPLACES)
            /* callid = word [ "@" word ] (RFC 3891 §6.1) */
            while (q < e && (cc((unsigned char)*q, CC_WORD) || *q == '@'))
                q++;
        else
            q = skip_token(p, e);
        if (q == p)
            return terr(t, p, "token", "%s value is not a token", tname(t));
        v->value = siphon_str_make(p, (size_t)(q - p));
        if (k == K_TOKEN_LIST || k == K_TOKEN_LIST_NONEMPTY)
            return q == e ? 0 : terr(t, q, "token", "invalid character in %s", tname(t));
        if ((rc = parse_params(t, &q, e, &v->params)) != 0)
            return rc;
        return q == e ? 0 : terr(t, q, "generic-param", "unexpected text after the value");
    }
    case K_MEDIA:
    case K_MEDIA_LIST: {
        const char *q = skip_token(p, e);
        if (q == p)
            return terr(t, p, "m-type", "media type is not a token");
        v->value = siphon_str_make(p, (size_t)(q - p));
        q = skip_ws(q, e);
        if (q == e || *q != '/')
            return terr(t, q, "media-type", "media type needs type/subtype");
        q = skip_ws(q + 1, e);
        const char *ss = q;
        q = skip_token(q, e);
        if (q == ss)
            return terr(t, ss, "m-subtype", "media subtype is not a token");
        v->subtype = siphon_str_make(ss, (size_t)(q - ss));
        if ((rc = parse_params(t, &q, e, &v->params)) != 0)
            return rc;
        return q == e ? 0 : terr(t, q, "m-parameter", "unexpected text after the media type");
    }
    default:
        return SIPHON_EINVAL;
    }
}

/* CSeq = 1*DIGIT LWS Method; RAck = response-num LWS CSeq-num LWS Method */
static int parse_cseq_like(tctx *t, const char *s, const char *e, int nums,
                           uint32_t *n1, uint32_t *n2, siphon_str *method,
                           siphon_method *mid)
{
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    for (int i = 0; i < nums; i++) {
        const char *d = p;
        uint64_t v = 0;
        unsigned dv;
        /* saturate just above 2^32-1, so any number of digits (leading
         * zeros included) is judged by value without overflow */
        while (p < e && (dv = (unsigned)(*p - '0')) < 10) {
            v = v * 10 + dv;
            if (v > UINT32_MAX)
                v = (uint64_t)UINT32_MAX + 1;
            p++;
        }
        if (p == d)
            return terr(t, d, "CSeq", "%s does not start with a sequence number", tname(t));
        if (v > UINT32_MAX)
            return terr(t, d, "CSeq", "%s number exceeds 2^32-1", tname(t));
        /* RFC 3261 §8.1.1.5: less than 2^31 */
        if (v > 0x7fffffffu &&
            tfinding(t, SIPHON_FINDING_TOLERATED, d, "cseq-over-2^31",
                     "RFC 3261 §8.1.1.5", "sequence number is 2^31 or more"))
            return terr(t, d, "CSeq", "%s number is 2^31 or more", tname(t));
        *(i == nums - 1 ? n2 : n1) = (uint32_t)v;
        const char *w = p;
        p = skip_ws(p, e);
        if (p == w)
            return terr(t, p, "CSeq", "%s needs whitespace after the number", tname(t));
    }
    const char *ms = p;
    p = skip_token(p, e);
    if (p == ms || p != e)
        return terr(t, p, "Method", "%s method is not a token", tname(t));
    *method = siphon_str_make(ms, (size_t)(p - ms));
    *mid = siphon_method_lookup(ms, (size_t)(p - ms));
    return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

/* Per kind: the size of its value struct, whether a field holds a comma
 * list, and whether the element parser initialises every field of its
 * output (so the arena need not clear it first). */
typedef struct kind_info {
    uint16_t size;
    bool list;
    bool clears;
} kind_info;

#define HV sizeof(siphon_hval)
static const kind_info kinds[] = {
    [K_NONE] = {0, false, false},
    [K_VIA] = {sizeof(siphon_via), true, true},
    [K_ADDR_ONE] = {sizeof(siphon_nameaddr), false, true},
    [K_ADDR_LIST] = {sizeof(siphon_nameaddr), true, true},
    [K_CONTACT] = {sizeof(siphon_nameaddr), true, true},
    [K_CSEQ] = {sizeof(siphon_cseq), false, false},
    [K_RACK] = {sizeof(siphon_rack), false, false},
    [K_CALLID] = {HV, false, true},
    [K_NUM] = {HV, false, true},
    [K_NUM_PARAMS] = {HV, false, true},
    [K_RETRY_AFTER] = {HV, false, true},
    [K_TOKEN_PARAMS] = {HV, false, true},
    [K_TOKEN_PARAMS_LIST] = {HV, true, true},
    [K_TOKEN_LIST] = {HV, true, true},
    [K_TOKEN_LIST_NONEMPTY] = {HV, true, true},
    [K_MEDIA] = {HV, false, true},
    [K_MEDIA_LIST] = {HV, true, true},
    [K_REPLACES] = {HV, false, true},
    [K_AUTH] = {sizeof(siphon_auth), false, true},
    [K_AUTH_INFO] = {sizeof(siphon_auth), false, true},
    [K_WARNING] = {sizeof(siphon_warning), true, false},
    [K_DATE] = {sizeof(siphon_date), false, false},
    [K_TIMESTAMP] = {sizeof(siphon_timestamp), false, false},
    [K_PRODUCTS] = {sizeof(siphon_product), false, false},
};
#undef HV

static inline size_t elem_size(tkind k) { return kinds[k].size; }
static inline bool is_list(tkind k) { return kinds[k].list; }
static inline bool clears_output(tkind k) { return kinds[k].clears; }

/* Parse one element into a freshly allocated value. */
static int parse_element(tctx *t, tkind k, uint64_t max, const char *s,
                         const char *e, void *v)
{
    switch (k) {
    case K_VIA:
        return parse_via(t, s, e, v);
    case K_ADDR_ONE:
    case K_ADDR_LIST:
        return parse_nameaddr(t, s, e, false, v);
    case K_CONTACT:
        return parse_nameaddr(t, s, e, true, v);
    case K_CSEQ: {
        siphon_cseq *c = v;
        uint32_t unused;
        return parse_cseq_like(t, s, e, 1, &unused, &c->num, &c->method, &c->method_id);
    }
    case K_RACK: {
        siphon_rack *r = v;
        return parse_cseq_like(t, s, e, 2, &r->rseq, &r->cseq, &r->method, &r->method_id);
    }
    case K_AUTH:
    case K_AUTH_INFO:
        return parse_auth(t, s, e, k == K_AUTH, v);
    case K_WARNING:
        return parse_warning(t, s, e, v);
    case K_DATE:
        return parse_date(t, s, e, v);
    case K_TIMESTAMP:
        return parse_timestamp(t, s, e, v);
    default:
        return parse_hval(t, k, max, s, e, v);
    }
}

/* The next pointer is the first member of every chained value type. */
typedef struct chain {
    struct chain *next;
} chain;

static int parse_field(tctx *t, tkind k, uint64_t max, chain ***tail)
{
    const char *p = t->h->value.p, *e = p + t->h->value.len;
    if (p == e && (k == K_TOKEN_LIST || k == K_MEDIA_LIST))
        return 0; /* "Supported:" and "Accept:" may be empty (§20.1, §20.37) */
    if (k == K_PRODUCTS) {
        /* one field yields a chain of products */
        chain *first = NULL;
        int rc = parse_products_chain(t, p, e, (siphon_product **)&first);
        if (rc)
            return rc;
        **tail = first;
        while (**tail)
            *tail = &(**tail)->next;
        return 0;
    }
    for (;;) {
        const char *ee = is_list(k) ? element_end(p, e) : e;
        if (!ee) {
            const char *dq = memchr(p, '"', (size_t)(e - p));
            return terr(t, p, "quoted-string",
                        dq && quoted_has_control(dq, e)
                            ? "control octet in a quoted string"
                            : "unterminated quoted string");
        }
        if (skip_ws(p, ee) == ee)
            return terr(t, p, "COMMA", "empty element in the %s list", tname(t));
        chain *v = clears_output(k) ? siphon_arena_alloc_raw(&t->m->arena, elem_size(k))
                                    : siphon_arena_alloc(&t->m->arena, elem_size(k));
        if (!v)
            return SIPHON_ENOMEM;
        int rc = parse_element(t, k, max, p, ee, v);
        if (rc)
            return rc;
        **tail = v;
        *tail = &v->next;
        if (ee == e)
            return 0;
        p = ee + 1;
    }
}

int siphon_msg_typed(siphon_msg *m, siphon_hdr_id id, const void **out,
                     siphon_perr *err)
{
    *out = NULL;
    if ((unsigned)id >= SIPHON_HDR__COUNT || id == SIPHON_HDR_OTHER)
        return SIPHON_EINVAL;
    uint64_t max;
    tkind k = kind_of(id, &max);
    if (k == K_NONE)
        return SIPHON_EINVAL;
    switch (m->typed_state[id]) {
    case TYPED_OK:
        *out = m->typed[id];
        return 0;
    case TYPED_ABSENT:
        return SIPHON_ENOENT;
    case TYPED_ERROR:
        if (err)
            *err = *(const siphon_perr *)m->typed[id];
        return SIPHON_EPARSE;
    default:
        break;
    }
    if (!m->first[id]) {
        m->typed_state[id] = TYPED_ABSENT;
        return SIPHON_ENOENT;
    }
    siphon_perr local;
    tctx t = {m, NULL, id, &local};
    chain *first = NULL, **tail = &first;
    int rc = 0;
    if (!is_list(k) && k != K_PRODUCTS) {
        /* single-valued: the first field is the value; repeats are judged
         * by the verdict (RFC 4475 §3.3.8) */
        t.h = &m->hdrs[m->first[id] - 1];
        const char *p = t.h->value.p, *e = p + t.h->value.len;
        /* each element parser reports an empty value in its own terms */
        first = kinds[k].clears ? siphon_arena_alloc_raw(&m->arena, kinds[k].size)
                                : siphon_arena_alloc(&m->arena, kinds[k].size);
        /* (not every single-valued struct has a next field: the parsers
         * leave it zero where there is one) */
        rc = first ? parse_element(&t, k, max, p, e, first) : SIPHON_ENOMEM;
    }
    else for (size_t i = m->first[id]; i; i = m->hdrs[i - 1].next) {
        t.h = &m->hdrs[i - 1];
        rc = parse_field(&t, k, max, &tail);
        /* single-valued headers: the first field is the value; repeats are
         * judged by the verdict (RFC 4475 §3.3.8) */
        if (rc || !is_list(k))
            break;
    }
    if (rc == SIPHON_ENOMEM) {
        if (err)
            msg_perr(err, 0, tname(&t), "SIP-message", "out of memory");
        return rc;
    }
    if (rc) {
        siphon_perr *saved = siphon_arena_alloc(&m->arena, sizeof *saved);
        if (saved) {
            *saved = local;
            m->typed[id] = saved;
            m->typed_state[id] = TYPED_ERROR;
        }
        if (err)
            *err = local;
        return SIPHON_EPARSE;
    }
    if (!first) {
        /* only empty fields (an empty Supported:) */
        m->typed_state[id] = TYPED_ABSENT;
        return SIPHON_ENOENT;
    }
    m->typed[id] = first;
    m->typed_state[id] = TYPED_OK;
    *out = first;
    return 0;
}

int siphon_msg_parse_all(siphon_msg *m, siphon_perr *err)
{
    int first_rc = 0;
    if (m->is_request && !siphon_msg_ruri(m, err))
        first_rc = SIPHON_EPARSE;
    for (size_t i = 0; i < m->nhdrs; i++) {
        siphon_hdr_id id = m->hdrs[i].id;
        /* parse what is unparsed; a cached failure is reported again */
        if (id == SIPHON_HDR_OTHER || m->typed_state[id] == TYPED_OK ||
            m->typed_state[id] == TYPED_ABSENT)
            continue;
        const void *v;
        siphon_perr e;
        int rc = siphon_msg_typed(m, id, &v, &e);
        if (rc == SIPHON_EPARSE && !first_rc) {
            first_rc = rc;
            if (err)
                *err = e;
        } else if (rc == SIPHON_ENOMEM) {
            return rc;
        }
    }
    /* the URIs inside name-addr values are parsed on demand: all of them
     * now, for their errors and findings */
    for (int id = 1; id < SIPHON_HDR__COUNT; id++) {
        if (m->typed_state[id] != TYPED_OK ||
            siphon_hdr_value_type((siphon_hdr_id)id) != SIPHON_VALUE_NAMEADDR)
            continue;
        for (const siphon_nameaddr *na = m->typed[id]; na; na = na->next) {
            siphon_perr e;
            if (!na->star && !siphon_nameaddr_uri(m, na, &e) && !first_rc) {
                first_rc = SIPHON_EPARSE;
                if (err)
                    *err = e;
            }
        }
    }
    /* a multipart body's findings count too; its own errors are for the
     * application (RFC 4475 §3.1.1.11), not a reason to refuse the message */
    const siphon_part *parts;
    siphon_perr perr;
    if (siphon_msg_parts(m, &parts, &perr) == SIPHON_ENOMEM)
        return SIPHON_ENOMEM;
    return first_rc;
}

const siphon_uri *siphon_msg_ruri(siphon_msg *m, siphon_perr *err)
{
    if (!m->is_request)
        return NULL;
    if (m->ruri_state == TYPED_UNPARSED) {
        siphon_perr uerr;
        int rc = siphon_uri_parse(&m->arena, m->ruri.p, m->ruri.len, &m->ruri_parsed, &uerr);
        if (rc) {
            /* offsets are relative to the URI as it appears on the line */
            msg_perr(&m->ruri_err, (size_t)(m->ruri_wire.p - m->bytes) + uerr.offset,
                     NULL, uerr.rule, "bad Request-URI: %s", uerr.text);
            m->ruri_state = TYPED_ERROR;
        } else {
            m->ruri_state = TYPED_OK;
            /* RFC 3261 §19.1.1 table: headers are not allowed in a
             * Request-URI; RFC 4475 §3.1.2.11 lets a liberal element
             * drop them */
            if (m->ruri_parsed.headers.n &&
                msg_finding(m, SIPHON_FINDING_TOLERATED, "request-uri-headers",
                            "RFC 3261 §19.1.1; RFC 4475 §3.1.2.11", NULL,
                            (size_t)(m->ruri_wire.p - m->bytes),
                            "Request-URI carries URI headers (?…), which it must not")) {
                msg_perr(&m->ruri_err, (size_t)(m->ruri_wire.p - m->bytes), NULL,
                         "Request-URI", "URI headers are not allowed in a Request-URI");
                m->ruri_state = TYPED_ERROR;
            }
        }
    }
    if (m->ruri_state == TYPED_ERROR) {
        if (err)
            *err = m->ruri_err;
        return NULL;
    }
    return &m->ruri_parsed;
}

/* ---- convenience wrappers ----------------------------------------------- */

static const void *typed_or_null(siphon_msg *m, siphon_hdr_id id)
{
    const void *v;
    return siphon_msg_typed(m, id, &v, NULL) == 0 ? v : NULL;
}

/*
 * The first value of a list header, parsed alone (the common question is
 * "the top Via" or "the first Contact", and parsing the rest would be
 * wasted). The value returned always has next == NULL.
 */
static const void *first_value(siphon_msg *m, siphon_hdr_id id, uint8_t *state,
                               const void **cache)
{
    if (*state == TYPED_OK)
        return *cache;
    if (*state != TYPED_UNPARSED || !m->first[id])
        return NULL;
    uint64_t max;
    tkind k = kind_of(id, &max);
    siphon_perr local;
    tctx t = {m, &m->hdrs[m->first[id] - 1], id, &local};
    const char *p = t.h->value.p, *e = p + t.h->value.len;
    const char *ee = element_end(p, e);
    chain *v = NULL;
    if (ee && skip_ws(p, ee) != ee)
        v = siphon_arena_alloc_raw(&m->arena, elem_size(k));
    if (!v || parse_element(&t, k, max, p, ee, v) != 0) {
        *state = TYPED_ERROR;
        return NULL;
    }
    v->next = NULL;
    *state = TYPED_OK;
    *cache = v;
    return v;
}

const siphon_via *siphon_msg_via(siphon_msg *m)
{
    return first_value(m, SIPHON_HDR_VIA, &m->top_via_state, (const void **)&m->top_via);
}
const siphon_nameaddr *siphon_msg_from(siphon_msg *m) { return typed_or_null(m, SIPHON_HDR_FROM); }
const siphon_nameaddr *siphon_msg_to(siphon_msg *m) { return typed_or_null(m, SIPHON_HDR_TO); }
const siphon_nameaddr *siphon_msg_contact(siphon_msg *m)
{
    return first_value(m, SIPHON_HDR_CONTACT, &m->top_contact_state,
                       (const void **)&m->top_contact);
}
const siphon_cseq *siphon_msg_cseq(siphon_msg *m) { return typed_or_null(m, SIPHON_HDR_CSEQ); }

siphon_str siphon_msg_call_id(siphon_msg *m)
{
    const siphon_hval *v = typed_or_null(m, SIPHON_HDR_CALL_ID);
    return v ? v->value : SIPHON_STR_NULL;
}
