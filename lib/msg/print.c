/*
 * print.c -- printing parsed messages back to bytes, and structural
 * equality.
 *
 * RFC 3261 §7 (message layout), §7.3.1 (header field format and folding),
 * §7.3.3 (compact forms), §18.3 (Content-Length), §25.1 (Request-Line and
 * Status-Line: single SP separators).
 *
 * Two print modes. WIRE hands back the bytes exactly as received, which is
 * what a capture or a faithful replay needs. CANONICAL rebuilds the message
 * in the form a conservative sender would use: single SPs on the start
 * line, full header names, folded values joined onto one line, and one
 * Content-Length computed from the body. A canonical print re-parses to a
 * message that siphon_msg_equiv() judges equal to the original; that is
 * the printer's contract and a fuzz invariant.
 */
#include "msg_internal.h"

#include <stdlib.h>
#include <string.h>

/* Values shorter than this are unfolded on the stack; longer ones (rare,
 * and bounded by max_line) go through malloc. */
#define UNFOLD_STACK 512

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Unfold v into a buffer the caller frees through release_unfolded(). The
 * stack buffer is used when it is large enough. Returns NULL only when
 * malloc fails.
 */
static char *unfold(siphon_str v, char *stack, size_t *len)
{
    char *out = v.len <= UNFOLD_STACK ? stack : malloc(v.len);
    if (!out)
        return NULL;
    *len = v.len ? msg_unfold(v, out) : 0;
    return out;
}

static void release_unfolded(char *p, const char *stack)
{
    if (p != stack)
        free(p);
}

/* The name a canonical print uses: the full form of a known header, and
 * the name as received for unknown ones (RFC 3261 §7.3.3: compact forms
 * are equivalent, so expanding them loses nothing). */
static siphon_str canonical_name(const siphon_hdr *h)
{
    const char *n = h->id != SIPHON_HDR_OTHER ? siphon_hdr_name(h->id) : NULL;
    return n ? siphon_str_c(n) : h->name;
}

static int print_start_line(const siphon_msg *m, siphon_buf *out)
{
    int rc;
    if (m->is_request) {
        /* Request-Line = Method SP Request-URI SP SIP-Version CRLF. The
         * normalised Request-URI is used: a canonical print must not carry
         * the <> or LWS some senders put there (RFC 4475 §3.1.2.5/.6). */
        if ((rc = siphon_buf_append_str(out, m->method)) < 0 ||
            (rc = siphon_buf_append(out, " ", 1)) < 0 ||
            (rc = siphon_buf_append_str(out, m->ruri)) < 0 ||
            (rc = siphon_buf_append(out, " ", 1)) < 0 ||
            (rc = siphon_buf_append_str(out, m->version)) < 0)
            return rc;
    } else {
        /* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF:
         * the second SP stays even when the phrase is empty. */
        if ((rc = siphon_buf_append_str(out, m->version)) < 0 ||
            (rc = siphon_buf_append(out, " ", 1)) < 0 ||
            (rc = siphon_buf_append_uint(out, (uint64_t)m->status, 3)) < 0 ||
            (rc = siphon_buf_append(out, " ", 1)) < 0 ||
            (rc = siphon_buf_append_str(out, m->reason)) < 0)
            return rc;
    }
    return siphon_buf_append(out, "\r\n", 2);
}

/* "Name: value" CRLF with folding removed. An empty value prints as
 * "Name:" so that no line ends in whitespace. */
static int print_field(siphon_buf *out, siphon_str name, siphon_str value)
{
    char stack[UNFOLD_STACK];
    size_t ulen;
    char *u = unfold(value, stack, &ulen);
    if (!u)
        return SIPHON_ENOMEM;
    int rc = siphon_buf_append_str(out, name);
    if (rc == 0)
        rc = siphon_buf_append(out, ulen ? ": " : ":", ulen ? 2 : 1);
    if (rc == 0)
        rc = siphon_buf_append(out, u, ulen);
    if (rc == 0)
        rc = siphon_buf_append(out, "\r\n", 2);
    release_unfolded(u, stack);
    return rc;
}

static int print_canonical(const siphon_msg *m, siphon_buf *out)
{
    int rc = print_start_line(m, out);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < m->nhdrs; i++) {
        const siphon_hdr *h = &m->hdrs[i];
        /* Every Content-Length is dropped and one is written last from
         * the body actually held: the received one may have been wrong,
         * duplicated or absent (RFC 4475 §3.1.2.14, §3.3.4). */
        if (h->id == SIPHON_HDR_CONTENT_LENGTH)
            continue;
        if ((rc = print_field(out, canonical_name(h), h->value)) < 0)
            return rc;
    }
    if ((rc = siphon_buf_append(out, "Content-Length: ", 16)) < 0 ||
        (rc = siphon_buf_append_uint(out, m->body.len, 1)) < 0 ||
        (rc = siphon_buf_append(out, "\r\n\r\n", 4)) < 0)
        return rc;
    return siphon_buf_append_str(out, m->body);
}

/*
 * Append m to out in the given mode. Returns 0, SIPHON_EINVAL (bad
 * arguments or mode), SIPHON_ENOMEM or SIPHON_ETOOBIG (out's ceiling). On
 * error out may hold a partial print; its length before the call is not
 * restored.
 */
int siphon_msg_print(const siphon_msg *m, siphon_print_mode mode,
                     siphon_buf *out)
{
    if (!m || !out)
        return SIPHON_EINVAL;
    switch (mode) {
    case SIPHON_PRINT_WIRE:
        return siphon_buf_append(out, m->bytes, m->len);
    case SIPHON_PRINT_CANONICAL:
        return print_canonical(m, out);
    }
    return SIPHON_EINVAL;
}

/* ---- equivalence ------------------------------------------------------- */

/*
 * The comparable form of a header value: folding collapsed (msg_unfold),
 * then every run of SP/HTAB reduced to one SP. The second step is what
 * makes "SIP  /   2.0" equal to "SIP / 2.0": LWS inside a value is not
 * significant to any header grammar, and re-parsing cannot be expected to
 * keep a run that folding created. Returns NULL when malloc fails.
 */
static char *normalise(siphon_str v, char *stack, size_t *len)
{
    char *u = unfold(v, stack, len);
    if (!u)
        return NULL;
    size_t w = 0;
    for (size_t r = 0; r < *len; r++) {
        if (is_wsp(u[r])) {
            if (w > 0 && u[w - 1] == ' ')
                continue;
            u[w++] = ' ';
        } else {
            u[w++] = u[r];
        }
    }
    *len = w;
    return u;
}

static bool values_equiv(siphon_str a, siphon_str b)
{
    char sa[UNFOLD_STACK], sb[UNFOLD_STACK];
    size_t la = 0, lb = 0;
    char *na = normalise(a, sa, &la);
    char *nb = na ? normalise(b, sb, &lb) : NULL;
    /* Out of memory: fall back to a byte comparison, which can only say
     * "different" wrongly, never "equal" wrongly. */
    bool eq = na && nb ? la == lb && memcmp(na, nb, la) == 0
                       : siphon_str_eq(a, b);
    if (na)
        release_unfolded(na, sa);
    if (nb)
        release_unfolded(nb, sb);
    return eq;
}

static bool names_equiv(const siphon_hdr *a, const siphon_hdr *b)
{
    if (a->id != b->id)
        return false;
    /* Known ids already fold compact forms and case together. */
    return a->id != SIPHON_HDR_OTHER || siphon_str_caseeq(a->name, b->name);
}

/* Index of the next field at or after i that takes part in the
 * comparison (Content-Length is recomputed by the printer, so it never
 * does). */
static size_t next_compared(const siphon_msg *m, size_t i)
{
    while (i < m->nhdrs && m->hdrs[i].id == SIPHON_HDR_CONTENT_LENGTH)
        i++;
    return i;
}

/*
 * True when a and b carry the same message: start line elements (the SIP
 * version case-insensitively, RFC 3261 §7.1), the same header fields in
 * the same order with equivalent names and values, Content-Length aside,
 * and the same body bytes. NULL equals only NULL.
 */
bool siphon_msg_equiv(const siphon_msg *a, const siphon_msg *b)
{
    if (!a || !b)
        return a == b;
    if (a->is_request != b->is_request ||
        !siphon_str_caseeq(a->version, b->version))
        return false;
    if (a->is_request) {
        /* Methods are case-sensitive (RFC 3261 §7.1). */
        if (!siphon_str_eq(a->method, b->method) ||
            !siphon_str_eq(a->ruri, b->ruri))
            return false;
    } else if (a->status != b->status ||
               !siphon_str_eq(a->reason, b->reason)) {
        return false;
    }
    size_t i = next_compared(a, 0), j = next_compared(b, 0);
    while (i < a->nhdrs && j < b->nhdrs) {
        if (!names_equiv(&a->hdrs[i], &b->hdrs[j]) ||
            !values_equiv(a->hdrs[i].value, b->hdrs[j].value))
            return false;
        i = next_compared(a, i + 1);
        j = next_compared(b, j + 1);
    }
    if (i < a->nhdrs || j < b->nhdrs)
        return false;
    return siphon_str_eq(a->body, b->body);
}
