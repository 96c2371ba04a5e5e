/*
 * frame.c -- finding message boundaries on stream transports.
 *
 * RFC 3261 §18.3: on a stream the header section ends at the first empty
 * line and Content-Length (mandatory) gives the body size; CRLFs before a
 * start line are ignored (§7.5). RFC 5626 §4.4.1: CRLFCRLF is a keep-alive
 * ping and CRLF its pong. The framer only finds boundaries; the message is
 * then parsed with siphon_msg_parse(opts->stream = true).
 */
#include "msg_internal.h"
#include "scan.h"

#include <string.h>

void siphon_framer_init(siphon_framer *f)
{
    memset(f, 0, sizeof *f);
}

/* Find the Content-Length value in the header section [p, end). */
static int find_content_length(const char *base, const char *p, const char *end,
                               size_t *out, siphon_perr *err)
{
    bool have = false;
    size_t val = 0;
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        const char *le = lf ? lf : end;
        const char *ne = skip_token(p, le);
        siphon_hdr_id id = siphon_hdr_lookup(p, (size_t)(ne - p));
        if (id == SIPHON_HDR_CONTENT_LENGTH) {
            const char *q = ne;
            while (q < le && (*q == ' ' || *q == '\t'))
                q++;
            if (q < le && *q == ':') {
                q = skip_ws(q + 1, le);
                const char *ve = rskip_ws(q, le);
                uint64_t v;
                int rc = siphon_str_to_u64(siphon_str_make(q, (size_t)(ve - q)),
                                           SIZE_MAX > UINT32_MAX ? UINT32_MAX : SIZE_MAX, &v);
                if (rc) {
                    msg_perr(err, (size_t)(q - base), "Content-Length", "Content-Length",
                             "Content-Length is not a decimal number in range");
                    return SIPHON_EPARSE;
                }
                if (have && v != val) {
                    msg_perr(err, (size_t)(p - base), "Content-Length", "Content-Length",
                             "multiple Content-Length values");
                    return SIPHON_EPARSE;
                }
                have = true;
                val = (size_t)v;
            }
        }
        p = lf ? lf + 1 : end;
    }
    if (!have) {
        msg_perr(err, (size_t)(end - base), "Content-Length", "Content-Length",
                 "Content-Length is required on stream transports (RFC 3261 §18.3)");
        return SIPHON_EPARSE;
    }
    *out = val;
    return 0;
}

int siphon_frame_stream(siphon_framer *f, const char *buf, size_t len,
                        const siphon_parse_opts *opts, size_t *frame_len,
                        siphon_perr *err)
{
    siphon_parse_opts defaults;
    if (!opts) {
        siphon_parse_opts_default(&defaults);
        defaults.stream = true;
        opts = &defaults;
    }
    *frame_len = 0;
    if (f->hdr_end == 0) {
        if (len >= 1 && buf[0] == '\r') {
            if (len < 2)
                return SIPHON_FRAME_NEED_MORE;
            if (buf[1] == '\n') {
                if (len >= 4 && buf[2] == '\r' && buf[3] == '\n') {
                    *frame_len = 4;
                    return SIPHON_FRAME_PING;
                }
                if (len == 3 && buf[2] == '\r')
                    return SIPHON_FRAME_NEED_MORE;
                *frame_len = 2;
                return SIPHON_FRAME_PONG;
            }
        } else if (len >= 1 && buf[0] == '\n') {
            *frame_len = 1; /* a stray LF before a start line (§7.5) */
            return SIPHON_FRAME_PONG;
        }
        size_t from = f->scanned > 3 ? f->scanned - 3 : 0;
        const char *p = buf + from, *end = buf + len;
        const char *hdr_end = NULL;
        while (p < end) {
            const char *lf = memchr(p, '\n', (size_t)(end - p));
            if (!lf)
                break;
            /* an empty line: LF followed by CRLF or LF */
            if (lf + 1 < end && lf[1] == '\n') {
                hdr_end = lf + 2;
                break;
            }
            if (lf + 2 < end && lf[1] == '\r' && lf[2] == '\n') {
                hdr_end = lf + 3;
                break;
            }
            if (lf + 2 >= end) {
                p = lf; /* may complete with more bytes */
                break;
            }
            p = lf + 1;
        }
        if (!hdr_end) {
            f->scanned = len;
            size_t hdr_limit = opts->max_line * 4 > opts->max_msg_size
                                   ? opts->max_msg_size : opts->max_line * 4;
            if (hdr_limit < 65536 && opts->max_msg_size >= 65536)
                hdr_limit = 65536;
            if (len > hdr_limit) {
                msg_perr(err, len, NULL, "message-header",
                         "no end of headers within %zu bytes", hdr_limit);
                return SIPHON_ETOOBIG;
            }
            return SIPHON_FRAME_NEED_MORE;
        }
        size_t cl;
        int rc = find_content_length(buf, buf, hdr_end, &cl, err);
        if (rc)
            return rc;
        size_t hl = (size_t)(hdr_end - buf);
        if (cl > opts->max_msg_size || hl + cl > opts->max_msg_size) {
            msg_perr(err, hl, "Content-Length", "Content-Length",
                     "message of %zu bytes would exceed the %zu-byte limit", hl + cl,
                     opts->max_msg_size);
            return SIPHON_ETOOBIG;
        }
        f->hdr_end = hl;
        f->body_len = cl;
    }
    if (len < f->hdr_end + f->body_len)
        return SIPHON_FRAME_NEED_MORE;
    *frame_len = f->hdr_end + f->body_len;
    return SIPHON_FRAME_MESSAGE;
}
