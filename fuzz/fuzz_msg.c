/*
 * fuzz_msg.c -- fuzz harness for the SIP message parser (lib/msg).
 *
 * One input is tried three ways:
 *   1. as a datagram (default options);
 *   2. as a stream (opts.stream): siphon_frame_stream() cuts it into
 *      frames and every MESSAGE frame is parsed;
 *   3. as a datagram in strict mode.
 * Every message that parses is exercised as a whole: each header field,
 * each typed header of every id and its fields, findings, the multipart
 * body, the verdict, the builder. Then the print invariants of the design
 * (DESIGN.md "Zero-copy parsing"), RFC 3261 §7 framing being what both
 * printers must preserve:
 *   - WIRE printing gives back siphon_msg_bytes() exactly;
 *   - CANONICAL printing parses again, with the options of the original,
 *     and siphon_msg_equiv(original, reparsed) holds.
 * Contracts that msg.h and base.h state are checked too (see fuzz_fail
 * calls); each failure message names what broke.
 *
 * Set SIPHON_FUZZ_IDEMPOTENT=1 to also require that canonical printing is
 * a fixed point: print(parse(print(m))) == print(m).
 *
 * Built three ways: with libFuzzer (make fuzz), with AFL++ (make afl) and
 * with replay_main.c as a plain regression program (make fuzz-replay-build).
 */
#include "fuzz_common.h"

#include <siphon/msg.h>

#define MAX_FRAMES 4096 /* stream frames parsed per input */

static int idempotent = -1;

/* ---- typed headers ----------------------------------------------------- */

/* The message being checked: name-addr URIs are parsed through it. */
static siphon_msg *cur_msg;

static void touch_nameaddr(const siphon_nameaddr *na)
{
    for (; na; na = na->next) {
        fuzz_touch(na->raw);
        fuzz_touch(na->display);
        fuzz_touch(na->uri_text);
        siphon_perr err;
        memset(&err, 0, sizeof err);
        const siphon_uri *u = siphon_nameaddr_uri(cur_msg, na, &err);
        if (u) {
            if (na->star)
                fuzz_fail("siphon_nameaddr_uri gives a URI for \"*\"");
            fuzz_touch_uri(u);
            fuzz_unescape(u->user);
        } else {
            fuzz_check_perr(&err, SIPHON_EPARSE, "siphon_nameaddr_uri");
        }
        /* parsed once and cached */
        if (siphon_nameaddr_uri(cur_msg, na, NULL) != u)
            fuzz_fail("siphon_nameaddr_uri is not stable");
        fuzz_touch_params(&na->params);
        fuzz_touch(na->tag);
        if (na->has_q && na->q > 1000)
            fuzz_fail("nameaddr q-value %u out of 0..1000", na->q);
        fuzz_sink ^= na->expires ^ na->q ^ (uint32_t)na->bracketed ^
                     (uint32_t)na->has_tag ^ (uint32_t)na->has_expires;
    }
}

static void touch_hval(const siphon_hval *h)
{
    for (; h; h = h->next) {
        fuzz_touch(h->raw);
        fuzz_touch(h->value);
        fuzz_touch(h->subtype);
        fuzz_touch_params(&h->params);
        fuzz_touch(h->comment);
        fuzz_sink ^= (uint32_t)h->num ^ (uint32_t)h->has_num;
    }
}

static void touch_auth(const siphon_auth *a)
{
    for (; a; a = a->next) {
        fuzz_touch(a->raw);
        fuzz_touch(a->scheme);
        fuzz_touch_params(&a->params);
    }
}

/*
 * Read the fields of the typed value of id, whose struct is the one
 * siphon_hdr_value_type() names.
 */
static void touch_typed(siphon_hdr_id id, const void *v)
{
    switch (siphon_hdr_value_type(id)) {
    case SIPHON_VALUE_VIA:
        for (const siphon_via *x = v; x; x = x->next) {
            fuzz_touch(x->raw);
            fuzz_touch(x->protocol);
            fuzz_touch(x->version);
            fuzz_touch(x->transport);
            fuzz_touch(x->host);
            fuzz_touch_params(&x->params);
            fuzz_touch(x->branch);
            fuzz_touch(x->received);
            fuzz_sink ^= x->port ^ x->rport ^ (uint32_t)x->host_type ^
                         (uint32_t)x->has_port ^ (uint32_t)x->has_branch ^
                         (uint32_t)x->has_rport;
        }
        break;
    case SIPHON_VALUE_NAMEADDR:
        touch_nameaddr(v);
        break;
    case SIPHON_VALUE_CSEQ: {
        const siphon_cseq *c = v;
        fuzz_touch(c->method);
        fuzz_sink ^= c->num ^ (uint32_t)c->method_id;
        break;
    }
    case SIPHON_VALUE_RACK: {
        const siphon_rack *r = v;
        fuzz_touch(r->method);
        fuzz_sink ^= r->rseq ^ r->cseq ^ (uint32_t)r->method_id;
        break;
    }
    case SIPHON_VALUE_HVAL:
        touch_hval(v);
        break;
    case SIPHON_VALUE_AUTH:
        touch_auth(v);
        break;
    case SIPHON_VALUE_WARNING:
        for (const siphon_warning *w = v; w; w = w->next) {
            fuzz_touch(w->raw);
            fuzz_touch(w->agent);
            fuzz_touch(w->text);
            fuzz_sink ^= w->code;
        }
        break;
    case SIPHON_VALUE_DATE: {
        const siphon_date *d = v;
        fuzz_touch(d->raw);
        fuzz_sink ^= (uint32_t)d->epoch ^ (uint32_t)d->gmt;
        break;
    }
    case SIPHON_VALUE_TIMESTAMP: {
        const siphon_timestamp *t = v;
        fuzz_touch(t->value);
        fuzz_touch(t->delay);
        break;
    }
    case SIPHON_VALUE_PRODUCT:
        for (const siphon_product *p = v; p; p = p->next) {
            fuzz_touch(p->text);
            fuzz_sink ^= (uint32_t)p->comment;
        }
        break;
    case SIPHON_VALUE_NONE:
    default:
        fuzz_fail("typed value for %s, whose value type is %d",
                  siphon_hdr_name(id), (int)siphon_hdr_value_type(id));
    }
}

/*
 * True when some field with this id has a value beyond separators: the
 * library may call a field that holds only an empty list ("Supported:")
 * absent, but not one with content.
 */
static bool has_content(const siphon_msg *m, siphon_hdr_id id)
{
    for (long i = siphon_msg_hdr_next(m, id, 0); i >= 0;
         i = siphon_msg_hdr_next(m, id, (size_t)i + 1)) {
        siphon_str v = siphon_msg_hdr_at(m, (size_t)i)->value;
        for (size_t j = 0; j < v.len; j++)
            if (!strchr(" \t\r\n,", v.p[j]) || v.p[j] == '\0')
                return true;
    }
    return false;
}

static void walk_typed(siphon_msg *m)
{
    for (int i = 1; i < SIPHON_HDR__COUNT; i++) {
        siphon_hdr_id id = (siphon_hdr_id)i;
        const void *v = NULL;
        siphon_perr err;
        memset(&err, 0, sizeof err);
        int rc = siphon_msg_typed(m, id, &v, &err);
        switch (rc) {
        case 0:
            if (siphon_hdr_value_type(id) == SIPHON_VALUE_NONE)
                fuzz_fail("siphon_msg_typed(%s) gives a value, but its value "
                          "type is NONE", siphon_hdr_name(id));
            if (!v)
                fuzz_fail("siphon_msg_typed(%s) returned 0 and no value",
                          siphon_hdr_name(id));
            touch_typed(id, v);
            break;
        case SIPHON_ENOENT:
            if (has_content(m, id))
                fuzz_fail("siphon_msg_typed(%s) says ENOENT but a field "
                          "with a value is present", siphon_hdr_name(id));
            break;
        case SIPHON_EPARSE:
            fuzz_check_perr(&err, rc, "siphon_msg_typed");
            break;
        case SIPHON_EINVAL:
            if (siphon_hdr_value_type(id) != SIPHON_VALUE_NONE)
                fuzz_fail("siphon_msg_typed(%s) gives EINVAL, but its value "
                          "type is %d", siphon_hdr_name(id),
                          (int)siphon_hdr_value_type(id));
            break;
        case SIPHON_ENOMEM:
            break;
        default:
            fuzz_fail("siphon_msg_typed(%s) returned %d (%s), not a "
                      "documented code", siphon_hdr_name(id), rc,
                      siphon_errname(rc));
        }
        /* The result is cached: asking again gives the same answer. */
        const void *v2 = NULL;
        int rc2 = siphon_msg_typed(m, id, &v2, &err);
        if (rc2 != rc || (rc == 0 && v2 != v))
            fuzz_fail("siphon_msg_typed(%s) is not stable: %d/%p then "
                      "%d/%p", siphon_hdr_name(id), rc, v, rc2, v2);
    }
}

/* ---- the whole message ------------------------------------------------- */

static void walk_headers(siphon_msg *m)
{
    size_t n = siphon_msg_hdr_count(m);
    for (size_t i = 0; i < n; i++) {
        const siphon_hdr *h = siphon_msg_hdr_at(m, i);
        if (!h)
            fuzz_fail("siphon_msg_hdr_at(%zu) is NULL, count %zu", i, n);
        fuzz_touch(h->name);
        fuzz_touch(h->value);
        fuzz_touch(h->line);
        if ((unsigned)h->id >= SIPHON_HDR__COUNT)
            fuzz_fail("header %zu has id %d", i, (int)h->id);
        long at = siphon_msg_hdr_next(m, h->id, i);
        if (at != (long)i)
            fuzz_fail("siphon_msg_hdr_next(id %d, from %zu) = %ld", (int)h->id,
                      i, at);
        at = siphon_msg_hdr_next_name(m, h->name.p, h->name.len, i);
        if (at != (long)i) {
            fuzz_dump("header name", h->name.p, h->name.len);
            fuzz_fail("siphon_msg_hdr_next_name(own name, from %zu) = %ld", i,
                      at);
        }
        /* msg.h: next is 1 + the index of the next field with the same
         * known id, 0 for the last and for every OTHER field. */
        long nx = h->id == SIPHON_HDR_OTHER ? -1
                  : siphon_msg_hdr_next(m, h->id, i + 1);
        if ((long)h->next != nx + 1)
            fuzz_fail("header %zu (id %d): next is %u, the next field with "
                      "that id is %ld", i, (int)h->id, (unsigned)h->next, nx);
        /* Looking a written name up gives the id the parser gave it. */
        siphon_hdr_id id = siphon_hdr_lookup(h->name.p, h->name.len);
        if (id != h->id) {
            fuzz_dump("header name", h->name.p, h->name.len);
            fuzz_fail("siphon_hdr_lookup gives %d, the parser gave %d",
                      (int)id, (int)h->id);
        }
        fuzz_touch_cstr(siphon_hdr_name(h->id));
        fuzz_sink ^= (uint32_t)siphon_hdr_compact(h->id);
    }
}

static void walk_findings(const siphon_msg *m)
{
    for (const siphon_finding *f = siphon_msg_findings(m); f; f = f->next) {
        if (!f->rule)
            fuzz_fail("finding without a rule");
        fuzz_touch_cstr(f->rule);
        fuzz_touch_cstr(f->rfc);
        fuzz_touch_cstr(f->header);
        fuzz_touch_cstr(f->text);
        fuzz_sink ^= (uint32_t)f->offset ^ (uint32_t)f->level;
    }
}

static void walk_parts(siphon_msg *m)
{
    const siphon_part *first = NULL;
    siphon_perr err;
    memset(&err, 0, sizeof err);
    int rc = siphon_msg_parts(m, &first, &err);
    if (rc == SIPHON_EPARSE) {
        fuzz_check_perr(&err, rc, "siphon_msg_parts");
        return;
    }
    if (rc != 0)
        return;
    for (const siphon_part *p = first; p; p = p->next) {
        if (p->nhdrs && !p->hdrs)
            fuzz_fail("body part with %zu headers and hdrs NULL", p->nhdrs);
        for (size_t i = 0; i < p->nhdrs; i++) {
            fuzz_touch(p->hdrs[i].name);
            fuzz_touch(p->hdrs[i].value);
            fuzz_touch(p->hdrs[i].line);
        }
        fuzz_touch(p->content_type);
        fuzz_touch(p->body);
    }
}

static void check_verdict(const siphon_verdict *v, const char *what)
{
    if (v->kind != SIPHON_VERDICT_ACCEPT && v->kind != SIPHON_VERDICT_REJECT &&
        v->kind != SIPHON_VERDICT_DROP)
        fuzz_fail("%s: verdict kind %d", what, (int)v->kind);
    if (v->kind == SIPHON_VERDICT_REJECT && (v->status < 400 || v->status > 699))
        fuzz_fail("%s: reject with status %d", what, v->status);
    if (!fuzz_cstr_ok(v->reason, sizeof v->reason))
        fuzz_fail("%s: verdict reason is not NUL-terminated", what);
    if (!fuzz_cstr_ok(v->where.text, sizeof v->where.text))
        fuzz_fail("%s: verdict where.text is not NUL-terminated", what);
    fuzz_touch_cstr(v->reason);
    fuzz_touch_cstr(v->where.rule);
    fuzz_touch_cstr(v->where.header);
    fuzz_touch_cstr(v->where.text);
    fuzz_touch_cstr(siphon_verdict_name(v->kind));
}

/* Exercise the builder on the message; its results are not judged here. */
static void exercise_builder(siphon_msg *m)
{
    siphon_msgb *b = siphon_msgb_from_msg(m);
    if (b) {
        siphon_buf out;
        siphon_buf_init(&out, 0);
        (void)siphon_msgb_print(b, &out);
        fuzz_touch(siphon_str_make(out.p, out.len));
        siphon_buf_free(&out);
        /* what a proxy does to a request it forwards (RFC 3261 §16.6) */
        (void)siphon_msgb_add_top(b, SIPHON_STR_LIT("Via"),
            SIPHON_STR_LIT("SIP/2.0/UDP fuzz.example.com;branch=z9hG4bKfz1"));
        (void)siphon_msgb_set(b, SIPHON_STR_LIT("Max-Forwards"),
                              SIPHON_STR_LIT("69"));
        (void)siphon_msgb_remove(b, SIPHON_STR_LIT("Route"), true);
        (void)siphon_msgb_remove(b, SIPHON_STR_LIT("X-Absent"), false);
        (void)siphon_msgb_add(b, SIPHON_STR_LIT("X-Fuzz"),
                              SIPHON_STR_LIT("1"));
        (void)siphon_msgb_set_body(b, SIPHON_STR_LIT("text/plain"),
                                   SIPHON_STR_LIT("hello"));
        siphon_msg *r = NULL;
        siphon_perr err;
        memset(&err, 0, sizeof err);
        if (siphon_msgb_finish(b, &r, &err) == 0 && r)
            fuzz_touch(siphon_msg_bytes(r));
        siphon_msg_unref(r);
        siphon_msgb_free(b);
    }
    if (siphon_msg_is_request(m))
        b = siphon_msgb_request(siphon_msg_method(m), siphon_msg_ruri_str(m));
    else
        b = siphon_msgb_response(siphon_msg_status(m), siphon_msg_reason(m));
    if (b) {
        siphon_msg *r = NULL;
        siphon_perr err;
        memset(&err, 0, sizeof err);
        if (siphon_msgb_finish(b, &r, &err) == 0 && r)
            fuzz_touch(siphon_msg_bytes(r));
        siphon_msg_unref(r);
        siphon_msgb_free(b);
    }
    if (siphon_msg_is_request(m) &&
        siphon_msg_method_id(m) != SIPHON_METHOD_ACK) {
        b = siphon_msgb_response_to(m, 200, SIPHON_STR_NULL,
                                    SIPHON_STR_LIT("fuzztag"));
        if (b) {
            siphon_msg *r = NULL;
            siphon_perr err;
            memset(&err, 0, sizeof err);
            if (siphon_msgb_finish(b, &r, &err) == 0 && r)
                fuzz_touch(siphon_msg_bytes(r));
            siphon_msg_unref(r);
            siphon_msgb_free(b);
        }
        /* the one-step response copies raw lines: it must never crash,
         * and what it makes must parse as a response to this request */
        siphon_msg *fast = NULL;
        if (siphon_msg_response(m, 200, SIPHON_STR_NULL, SIPHON_STR_LIT("fuzztag"), &fast) == 0) {
            if (!fast || siphon_msg_is_request(fast) || siphon_msg_status(fast) != 200)
                fuzz_fail("[response-fast] siphon_msg_response gave no 200 response");
            fuzz_touch(siphon_msg_bytes(fast));
        }
        siphon_msg_unref(fast);
    }
}

static void print_or_fail(const siphon_msg *m, siphon_print_mode mode,
                          siphon_buf *out)
{
    siphon_buf_init(out, 0);
    int rc = siphon_msg_print(m, mode, out);
    if (rc != 0) {
        siphon_str b = siphon_msg_bytes(m);
        fuzz_dump("message", b.p, b.len);
        fuzz_fail("siphon_msg_print(%s) failed: %d (%s)",
                  mode == SIPHON_PRINT_WIRE ? "WIRE" : "CANONICAL", rc,
                  siphon_errname(rc));
    }
}

/*
 * The print invariants. WIRE is the identity on the parsed bytes;
 * CANONICAL must parse again and be equivalent to the original.
 */
static void check_round_trip(const siphon_msg *m)
{
    siphon_str bytes = siphon_msg_bytes(m);
    siphon_buf wire;
    print_or_fail(m, SIPHON_PRINT_WIRE, &wire);
    if ((wire.len != bytes.len ||
         (bytes.len && memcmp(wire.p, bytes.p, bytes.len))) &&
        !fuzz_skipped("wire-bytes")) {
        fuzz_dump("siphon_msg_bytes", bytes.p, bytes.len);
        fuzz_dump("print WIRE", wire.p, wire.len);
        fuzz_fail("[wire-bytes] print WIRE differs from siphon_msg_bytes");
    }
    siphon_buf_free(&wire);

    siphon_buf canon;
    print_or_fail(m, SIPHON_PRINT_CANONICAL, &canon);
    const siphon_parse_opts *opts = siphon_msg_opts(m);
    /* CANONICAL may add a Content-Length field and spell compact names in
     * full (msg.h), so it may pass limits the original met: the limits
     * are receive policy, not grammar; the reparse allows that growth */
    siphon_parse_opts grown = *opts;
    grown.max_headers = opts->max_headers + 1;
    grown.max_line = opts->max_line + 32;
    if (canon.len > grown.max_msg_size)
        grown.max_msg_size = canon.len;
    siphon_msg *m2 = NULL;
    siphon_perr err;
    memset(&err, 0, sizeof err);
    int rc = siphon_msg_parse(canon.p, canon.len, &grown, &m2, &err);
    if (rc != 0 || !m2) {
        /* Refused for a limit (max_headers, max_line, max_msg_size) that
         * the original met: tagged apart, the printer grew the message. */
        const char *id = rc == SIPHON_ETOOBIG ? "canon-limits" : "canon-reparse";
        if (fuzz_skipped(id)) {
            siphon_msg_unref(m2);
            siphon_buf_free(&canon);
            return;
        }
        fuzz_dump("original", bytes.p, bytes.len);
        fuzz_dump("print CANONICAL", canon.p, canon.len);
        fuzz_fail("[%s] CANONICAL print does not parse again "
                  "(stream=%d strict=%d):"
                  " %d (%s) at offset %zu, header %s, rule %s: %s", id,
                  opts->stream, opts->strict, rc, siphon_errname(rc),
                  err.offset, err.header ? err.header : "(start line)",
                  err.rule ? err.rule : "?", err.text);
    }
    if ((!siphon_msg_equiv(m, m2) || !siphon_msg_equiv(m2, m)) &&
        !fuzz_skipped("canon-equiv")) {
        fuzz_dump("original", bytes.p, bytes.len);
        fuzz_dump("print CANONICAL", canon.p, canon.len);
        fuzz_fail("[canon-equiv] siphon_msg_equiv(original, reparsed "
                  "CANONICAL) is false"
                  " (stream=%d strict=%d; equiv(m,m2)=%d equiv(m2,m)=%d)",
                  opts->stream, opts->strict, siphon_msg_equiv(m, m2),
                  siphon_msg_equiv(m2, m));
    }
    if (idempotent > 0) {
        siphon_buf canon2;
        print_or_fail(m2, SIPHON_PRINT_CANONICAL, &canon2);
        if (canon2.len != canon.len || memcmp(canon2.p, canon.p, canon.len)) {
            fuzz_dump("print CANONICAL", canon.p, canon.len);
            fuzz_dump("print CANONICAL of that", canon2.p, canon2.len);
            fuzz_fail("[canon-fixpoint] CANONICAL printing is not a fixed "
                      "point");
        }
        siphon_buf_free(&canon2);
    }
    siphon_msg_unref(m2);
    siphon_buf_free(&canon);
}

/*
 * The verdict depends on the message only: what was read from it before
 * (typed headers parsed and cached, errors included) must not change it.
 */
static void same_verdict(const siphon_msg *m, const siphon_verdict *fresh,
                         const siphon_verdict *now, const char *when)
{
    if ((fresh->kind != now->kind || fresh->status != now->status) &&
        !fuzz_skipped("verdict-stable")) {
        siphon_str b = siphon_msg_bytes(m);
        fuzz_dump("message", b.p, b.len);
        fuzz_fail("[verdict-stable] first verdict %s %d (%s), %s %s %d (%s)",
                  siphon_verdict_name(fresh->kind), fresh->status,
                  fresh->reason, when, siphon_verdict_name(now->kind),
                  now->status, now->reason);
    }
}

/*
 * Exercise m and check its invariants. *fresh receives the verdict on
 * the message as parsed, before anything else was read from it.
 */
static void check_msg(siphon_msg *m, siphon_verdict *fresh)
{
    cur_msg = m;
    memset(fresh, 0, sizeof *fresh);
    siphon_msg_verdict(m, fresh);
    check_verdict(fresh, "siphon_msg_verdict");

    siphon_str bytes = siphon_msg_bytes(m);
    fuzz_touch(bytes);
    fuzz_touch(siphon_msg_start_line(m));
    fuzz_touch(siphon_msg_version(m));
    fuzz_touch(siphon_msg_body(m));
    if (siphon_msg_is_request(m)) {
        fuzz_touch(siphon_msg_method(m));
        fuzz_touch_cstr(siphon_method_name(siphon_msg_method_id(m)));
        fuzz_touch(siphon_msg_ruri_str(m));
        siphon_perr err;
        memset(&err, 0, sizeof err);
        const siphon_uri *u = siphon_msg_ruri(m, &err);
        if (u) {
            fuzz_touch_uri(u);
            fuzz_unescape(u->user);
            if (!siphon_uri_equal(u, u) && !fuzz_skipped("uri-reflexive"))
                fuzz_fail("[uri-reflexive] Request-URI is not equal to "
                          "itself");
        }
    } else {
        int st = siphon_msg_status(m);
        if (st < 0 || st > 999) /* Status-Code = 3DIGIT */
            fuzz_fail("response parsed with status %d", st);
        fuzz_touch(siphon_msg_reason(m));
    }
    if (!siphon_msg_equiv(m, m))
        fuzz_fail("siphon_msg_equiv(m, m) is false");

    walk_headers(m);
    walk_findings(m);

    siphon_perr err;
    memset(&err, 0, sizeof err);
    int rc = siphon_msg_parse_all(m, &err);
    if (rc == SIPHON_EPARSE)
        fuzz_check_perr(&err, rc, "siphon_msg_parse_all");
    walk_findings(m);
    /* Parsing is cached, so asking again changes nothing. */
    siphon_perr err2;
    memset(&err2, 0, sizeof err2);
    int rc2 = siphon_msg_parse_all(m, &err2);
    if (rc2 != rc && !fuzz_skipped("parse-all-stable")) {
        fuzz_dump("message", bytes.p, bytes.len);
        fuzz_fail("[parse-all-stable] siphon_msg_parse_all gives %d (%s), "
                  "then %d (%s) on the same message", rc, siphon_errname(rc),
                  rc2, siphon_errname(rc2));
    }

    siphon_verdict v;
    memset(&v, 0, sizeof v);
    siphon_msg_verdict(m, &v);
    check_verdict(&v, "siphon_msg_verdict");
    same_verdict(m, fresh, &v, "after siphon_msg_parse_all");

    walk_parts(m);
    walk_typed(m);

    /* The convenience wrappers agree with what the walk just read. */
    touch_typed(SIPHON_HDR_VIA, siphon_msg_via(m));
    touch_nameaddr(siphon_msg_from(m));
    touch_nameaddr(siphon_msg_to(m));
    touch_nameaddr(siphon_msg_contact(m));
    const siphon_cseq *cs = siphon_msg_cseq(m);
    if (cs)
        touch_typed(SIPHON_HDR_CSEQ, cs);
    fuzz_touch(siphon_msg_call_id(m));

    /* A reference taken and dropped leaves the message intact. */
    siphon_msg_unref(siphon_msg_ref(m));

    check_round_trip(m);
    exercise_builder(m);

    memset(&v, 0, sizeof v);
    siphon_msg_verdict(m, &v);
    same_verdict(m, fresh, &v, "after every typed access");
}

/*
 * Parse buf as one message with opts. Returns the parse result; a message
 * that parses is checked and released.
 */
static int parse_and_check(const char *buf, size_t len,
                           const siphon_parse_opts *opts, siphon_verdict *vout)
{
    siphon_msg *m = NULL;
    siphon_perr err;
    memset(&err, 0, sizeof err);
    int rc = siphon_msg_parse(buf, len, opts, &m, &err);
    if (rc == 0) {
        if (!m)
            fuzz_fail("siphon_msg_parse returned 0 and no message");
        siphon_verdict fresh;
        check_msg(m, &fresh);
        if (vout)
            *vout = fresh;
        siphon_msg_unref(m);
    } else {
        if (rc > 0)
            fuzz_fail("siphon_msg_parse returned %d", rc);
        if (m)
            fuzz_fail("siphon_msg_parse failed (%d) but set *out", rc);
        fuzz_check_perr(&err, rc, "siphon_msg_parse");
    }
    return rc;
}

/* ---- stream framing ---------------------------------------------------- */

/*
 * Feed the framer a growing prefix of buf, step bytes more each call, the
 * way a connection reads. When the whole buffer frames as a MESSAGE of
 * want bytes, the growing buffer must frame as the same message.
 */
static void check_incremental(const char *buf, size_t len,
                              const siphon_parse_opts *opts, size_t want,
                              size_t step)
{
    siphon_framer f;
    siphon_framer_init(&f);
    size_t have = 0;
    if (step < len / 512) /* bound the calls on large inputs */
        step = len / 512;
    for (;;) {
        have = have + step > len ? len : have + step;
        size_t flen = 0;
        siphon_perr err;
        memset(&err, 0, sizeof err);
        int k = siphon_frame_stream(&f, buf, have, opts, &flen, &err);
        if (k == SIPHON_FRAME_NEED_MORE) {
            if (have == len) {
                fuzz_dump("stream", buf, len);
                fuzz_fail("framer fed %zu bytes at a time wants more bytes "
                          "after %zu; whole it gave a %zu-byte message",
                          step, len, want);
            }
            continue;
        }
        /* A prefix of CRLFs may be taken for a keep-alive (RFC 5626
         * §4.4.1) before the request behind it arrives: no fault. */
        if ((k == SIPHON_FRAME_PING || k == SIPHON_FRAME_PONG) &&
            (buf[0] == '\r' || buf[0] == '\n'))
            return;
        if (k != SIPHON_FRAME_MESSAGE || flen != want) {
            fuzz_dump("stream", buf, len);
            fuzz_fail("framer fed %zu bytes at a time gives kind %d, %zu "
                      "bytes after %zu; whole it gave a %zu-byte message",
                      step, k, flen, have, want);
        }
        return;
    }
}

static void check_stream(const uint8_t *data, size_t size)
{
    siphon_parse_opts opts;
    siphon_parse_opts_default(&opts);
    opts.stream = true;
    const char *buf = (const char *)data;
    size_t off = 0;
    for (int frames = 0; off < size && frames < MAX_FRAMES; frames++) {
        siphon_framer f;
        siphon_framer_init(&f);
        size_t flen = 0, left = size - off;
        siphon_perr err;
        memset(&err, 0, sizeof err);
        int k = siphon_frame_stream(&f, buf + off, left, &opts, &flen, &err);
        if (k < 0) {
            fuzz_check_perr(&err, k, "siphon_frame_stream");
            return;
        }
        if (k == SIPHON_FRAME_NEED_MORE)
            return;
        if (flen == 0 || flen > left)
            fuzz_fail("framer returned kind %d with frame_len %zu of %zu "
                      "bytes", k, flen, left);
        if (k == SIPHON_FRAME_PING && flen != 4)
            fuzz_fail("PING frame of %zu bytes", flen);
        /* CRLF, or a stray LF before a start line (RFC 3261 §7.5) */
        if (k == SIPHON_FRAME_PONG && flen != 2 && flen != 1)
            fuzz_fail("PONG frame of %zu bytes", flen);
        if (k == SIPHON_FRAME_MESSAGE) {
            check_incremental(buf + off, left, &opts, flen,
                              1 + (size_t)(data[off] % 97) * ((off & 1) ? 1 : 13));
            parse_and_check(buf + off, flen, &opts, NULL);
        } else if (k != SIPHON_FRAME_PING && k != SIPHON_FRAME_PONG) {
            fuzz_fail("framer returned unknown kind %d", k);
        }
        off += flen;
    }
}

/* ---- entry point ------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (idempotent < 0) {
        const char *e = getenv("SIPHON_FUZZ_IDEMPOTENT");
        idempotent = e && *e && *e != '0';
    }
    const char *buf = (const char *)data;

    /* 1. Datagram, default options. */
    siphon_parse_opts opts;
    siphon_parse_opts_default(&opts);
    siphon_verdict v;
    memset(&v, 0, sizeof v);
    int rc = parse_and_check(buf, size, &opts, &v);

    /* siphon_verdict_bytes is parse + verdict in one go. */
    siphon_verdict vb;
    memset(&vb, 0, sizeof vb);
    siphon_msg *mb = NULL;
    siphon_verdict_bytes(buf, size, &opts, &vb, &mb);
    check_verdict(&vb, "siphon_verdict_bytes");
    if ((rc == 0) != (mb != NULL))
        fuzz_fail("siphon_msg_parse gives %d but siphon_verdict_bytes %s a "
                  "message", rc, mb ? "returns" : "does not return");
    if (rc == 0 && (vb.kind != v.kind || vb.status != v.status) &&
        !fuzz_skipped("verdict-bytes"))
        fuzz_fail("[verdict-bytes] siphon_verdict_bytes says %s %d, "
                  "siphon_msg_verdict %s %d",
                  siphon_verdict_name(vb.kind), vb.status,
                  siphon_verdict_name(v.kind), v.status);
    siphon_msg_unref(mb);

    /* 2. Stream: frame, then parse every message frame. */
    check_stream(data, size);

    /* 3. Strict mode: only turns tolerated deviations into errors, so
     *    what strict parsing accepts, lenient parsing accepts too. */
    opts.strict = true;
    int rcs = parse_and_check(buf, size, &opts, NULL);
    if (rcs == 0 && rc != 0 && !fuzz_skipped("strict-subset"))
        fuzz_fail("[strict-subset] strict parsing accepts what lenient "
                  "parsing refuses (%d)", rc);
    return 0;
}
