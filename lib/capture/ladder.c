/*
 * ladder.c -- text ladder (sequence) diagrams of SIP message flows, the
 * view SIP engineers know from sngrep's call flow and Wireshark's "VoIP
 * Calls > Flow Sequence": one column per address, one arrow per message.
 *
 *               10.0.0.1:5060           10.0.0.2:5060
 *   +0.000            |------- INVITE ------->|
 *   +0.012            |<---- 100 Trying ------|
 *
 * Labels come from the start line (RFC 3261 §7.1 Request-Line method,
 * §7.2 Status-Line code and reason). Sans-I/O: the diagram is appended to
 * a siphon_buf. The drawing is done in a grid of code points so that the
 * Unicode variant and UTF-8 reason phrases (RFC 3261 §25.1 allows them)
 * keep one cell per character.
 */
#include <siphon/capture.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WIDTH 24u
#define MIN_WIDTH 12u
#define LABEL_MAX 256 /* cells; a label never needs more than a column */

typedef struct glyphs {
    uint32_t col, line;
} glyphs;

static const glyphs ascii_glyphs = {'|', '-'};
static const glyphs box_glyphs = {0x2502, 0x2500}; /* │ ─ */

/* Decode UTF-8 into cells; invalid bytes and controls become '?', so a
 * hostile reason phrase cannot inject escapes or break the grid. */
static size_t utf8_cells(const char *s, size_t len, uint32_t *cells, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        uint32_t c = p[i];
        size_t k = 0;
        if (c >= 0xf0 && c < 0xf5) {
            k = 3;
            c &= 0x07;
        } else if (c >= 0xe0 && c < 0xf0) {
            k = 2;
            c &= 0x0f;
        } else if (c >= 0xc2 && c < 0xe0) {
            k = 1;
            c &= 0x1f;
        } else if (c >= 0x80) {
            c = '?';
        }
        size_t j = 1;
        for (; j <= k; j++) {
            if (i + j >= len || (p[i + j] & 0xc0) != 0x80)
                break;
            c = c << 6 | (p[i + j] & 0x3f);
        }
        if (j <= k) { /* truncated sequence */
            c = '?';
            j = 1;
        }
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
            (c >= 0xd800 && c < 0xe000) || c > 0x10ffff)
            c = '?';
        cells[n++] = c;
        i += j;
    }
    return n;
}

static int put_utf8(siphon_buf *out, uint32_t c)
{
    char b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xc0 | c >> 6);
        b[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xe0 | c >> 12);
        b[1] = (char)(0x80 | (c >> 6 & 0x3f));
        b[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | c >> 18);
        b[1] = (char)(0x80 | (c >> 12 & 0x3f));
        b[2] = (char)(0x80 | (c >> 6 & 0x3f));
        b[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    return siphon_buf_append(out, b, n);
}

/* Emit a grid row without trailing blanks. */
static int flush_row(siphon_buf *out, const uint32_t *row, size_t width)
{
    while (width && row[width - 1] == ' ')
        width--;
    for (size_t i = 0; i < width; i++) {
        int rc = put_utf8(out, row[i]);
        if (rc)
            return rc;
    }
    return siphon_buf_append(out, "\n", 1);
}

/* An offer or answer rides in this message (RFC 3264 over RFC 3261
 * §13.2.1): a non-empty body of type application/sdp. */
static bool has_sdp(const siphon_msg *m)
{
    if (siphon_msg_body(m).len == 0)
        return false;
    long i = siphon_msg_hdr_next(m, SIPHON_HDR_CONTENT_TYPE, 0);
    if (i < 0)
        return false;
    siphon_str v = siphon_msg_hdr_at(m, (size_t)i)->value;
    siphon_str t = SIPHON_STR_LIT("application/sdp");
    if (v.len < t.len || !siphon_str_caseeq(siphon_str_make(v.p, t.len), t))
        return false;
    return v.len == t.len || v.p[t.len] == ';' || v.p[t.len] == ' ' ||
           v.p[t.len] == '\t';
}

/*
 * The label of one entry: method, or "code reason"; "?" when not SIP.
 * At most fit cells (<= LABEL_MAX); the " (SDP)" marker, when asked for,
 * survives truncation of the reason.
 */
static size_t entry_label(const siphon_ladder_entry *e, bool sdp,
                          uint32_t *cells, size_t fit)
{
    const siphon_msg *m = e->msg;
    siphon_msg *parsed = NULL;
    if (!m && e->raw.len) {
        siphon_parse_opts po;
        siphon_parse_opts_default(&po);
        if (siphon_msg_parse(e->raw.p, e->raw.len, &po, &parsed, NULL) == 0)
            m = parsed;
    }
    bool mark = m && sdp && fit > 7 && has_sdp(m);
    size_t max = mark ? fit - 6 : fit;
    size_t n;
    if (!m) {
        cells[0] = '?';
        n = 1;
    } else if (siphon_msg_is_request(m)) {
        siphon_str meth = siphon_msg_method(m);
        n = utf8_cells(meth.p, meth.len, cells, max);
    } else {
        char code[8];
        int cl = snprintf(code, sizeof code, "%d ", siphon_msg_status(m));
        n = utf8_cells(code, (size_t)cl, cells, max);
        siphon_str r = siphon_msg_reason(m);
        n += utf8_cells(r.p, r.len, cells + n, max - n);
        while (n && cells[n - 1] == ' ') /* empty reason: "180" */
            n--;
    }
    if (mark)
        n += utf8_cells(" (SDP)", 6, cells + n, 6);
    if (parsed)
        siphon_msg_unref(parsed);
    return n;
}

static int format_time(char *b, size_t blen, int64_t rel_us)
{
    uint64_t a = rel_us < 0 ? (uint64_t)(-(rel_us + 1)) + 1 : (uint64_t)rel_us;
    return snprintf(b, blen, "%c%llu.%03u", rel_us < 0 ? '-' : '+',
                    (unsigned long long)(a / 1000000u),
                    (unsigned)(a % 1000000u / 1000u));
}

int siphon_ladder_render(const siphon_ladder_entry *entries, size_t n,
                         const siphon_ladder_opts *opts, siphon_buf *out)
{
    if ((n && !entries) || !out)
        return SIPHON_EINVAL;
    if (n == 0)
        return 0;
    const glyphs *g = opts && opts->unicode ? &box_glyphs : &ascii_glyphs;

    /* Columns: distinct addresses in order of first appearance. */
    size_t ncols = 0;
    const siphon_capture_addr **cols = calloc(2 * n, sizeof *cols);
    size_t *from = malloc(n * sizeof *from), *to = malloc(n * sizeof *to);
    char(*names)[SIPHON_CAPTURE_ADDRSTRLEN] =
        malloc(2 * n * sizeof *names);
    uint32_t *row = NULL;
    int rc = SIPHON_ENOMEM;
    if (!cols || !from || !to || !names)
        goto done;
    size_t maxname = 0;
    for (size_t i = 0; i < n; i++) {
        const siphon_capture_addr *ends[2] = {&entries[i].src, &entries[i].dst};
        size_t idx[2];
        for (int k = 0; k < 2; k++) {
            size_t c = 0;
            while (c < ncols && !siphon_capture_addr_eq(cols[c], ends[k]))
                c++;
            if (c == ncols) {
                cols[ncols] = ends[k];
                int len = siphon_capture_addr_format(
                    ends[k], names[ncols], SIPHON_CAPTURE_ADDRSTRLEN);
                size_t l = len < 0 ? 1 : (size_t)len;
                if (l > maxname)
                    maxname = l;
                ncols++;
            }
            idx[k] = c;
        }
        from[i] = idx[0];
        to[i] = idx[1];
    }

    /* Geometry: time column, then columns width apart, each wide enough
     * that the centred addresses never touch. */
    size_t width = opts && opts->col_width ? opts->col_width : DEFAULT_WIDTH;
    if (width < MIN_WIDTH)
        width = MIN_WIDTH;
    if (width < maxname + 2)
        width = maxname + 2;
    char tbuf[32];
    size_t tw = 0;
    for (size_t i = 0; i < n; i++) {
        int l = format_time(tbuf, sizeof tbuf,
                            (int64_t)(entries[i].ts_us - entries[0].ts_us));
        if ((size_t)l > tw)
            tw = (size_t)l;
    }
    size_t x0 = tw + 2 + maxname / 2;
    size_t gridw = x0 + (ncols - 1) * width + width; /* room for self-loops */
    row = malloc(gridw * sizeof *row);
    if (!row)
        goto done;

    /* Header: the addresses centred over their columns. */
    for (size_t i = 0; i < gridw; i++)
        row[i] = ' ';
    for (size_t c = 0; c < ncols; c++) {
        size_t l = strlen(names[c]);
        size_t start = x0 + c * width - l / 2;
        for (size_t k = 0; k < l; k++)
            row[start + k] = (unsigned char)names[c][k];
    }
    if ((rc = flush_row(out, row, gridw)))
        goto done;

    uint32_t label[LABEL_MAX];
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < gridw; k++)
            row[k] = ' ';
        int tl = format_time(tbuf, sizeof tbuf,
                             (int64_t)(entries[i].ts_us - entries[0].ts_us));
        for (int k = 0; k < tl; k++)
            row[k] = (unsigned char)tbuf[k];
        for (size_t c = 0; c < ncols; c++)
            row[x0 + c * width] = g->col;
        size_t xs = x0 + from[i] * width, xd = x0 + to[i] * width;
        /* Self-loops leave "<->" and a blank; arrows keep at least "- "
         * on each side of the label so that they stay readable. */
        size_t fit = xs == xd ? width - 6 : (xs > xd ? xs - xd : xd - xs) - 5;
        if (fit > LABEL_MAX)
            fit = LABEL_MAX;
        size_t ll = entry_label(&entries[i], opts && opts->sdp, label, fit);
        if (xs == xd) {
            /* A message to itself: a short loop with the label beside. */
            row[xs + 1] = '<';
            row[xs + 2] = g->line;
            row[xs + 3] = '>';
            for (size_t k = 0; k < ll; k++)
                row[xs + 5 + k] = label[k];
        } else {
            size_t lo = xs < xd ? xs : xd, hi = xs < xd ? xd : xs;
            size_t span = hi - lo - 1;
            for (size_t k = lo + 1; k < hi; k++)
                row[k] = g->line;
            if (xs < xd)
                row[hi - 1] = '>';
            else
                row[lo + 1] = '<';
            size_t at = lo + 1 + (span - ll) / 2;
            row[at - 1] = ' ';
            row[at + ll] = ' ';
            for (size_t k = 0; k < ll; k++)
                row[at + k] = label[k];
        }
        if ((rc = flush_row(out, row, gridw)))
            goto done;
    }
    rc = 0;
done:
    free(row);
    free(names);
    free(to);
    free(from);
    free(cols);
    return rc;
}
