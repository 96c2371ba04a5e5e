/*
 * ws_handshake.c -- the HTTP side of the WebSocket opening handshake
 * (RFC 6455 §4.1 client, §4.2 server; RFC 7118 §4.1 the "sip"
 * subprotocol) as pure functions over a complete head: finding the end
 * of the head, checking an upgrade request or a 101 response, the
 * Sec-WebSocket-Accept value, and the UTF-8 check that picks text or
 * binary frames. ws.c holds the state machine that calls them.
 *
 * The head is parsed here rather than by an HTTP library: an upgrade head
 * is a start line and a few header fields, and the parser must be
 * bounded and strict where RFC 6455 is (method, version, key) yet
 * tolerant where HTTP is (header name case, optional whitespace,
 * obsolete line folding, bare LF line ends, comma lists spread over
 * several fields; RFC 7230 §3.2, §3.5, §7). SHA-1 and base64 come from
 * OpenSSL.
 *
 * A client that does not offer "sip" is refused with 400. RFC 7118 §4.1
 * says the client MUST offer "sip" and that the server's 101 MUST carry
 * "sip" in Sec-WebSocket-Protocol; RFC 6455 §4.2.2 lets a server select
 * only a value the client offered. Without the offer there is no 101
 * both RFCs allow, and a 101 without a subprotocol would only make a
 * conforming SIP client fail the connection afterwards (RFC 7118 §4.1),
 * so the upgrade is refused up front, as RFC 6455 §4.2.1 allows for a
 * request the server will not serve.
 */
#include "ws_internal.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Header fields kept per head; an upgrade request needs about ten. */
#define WS_MAX_FIELDS 64
/* Longest Sec-WebSocket-Key accepted by siphon_ws_accept_ (a valid one
 * has 24 characters). */
#define WS_MAX_KEY 128

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* Say why a head is refused (and the HTTP status to answer with, when
 * status is not NULL); returns SIPHON_EPARSE. */
static int refuse(int *status, int code, char *why, size_t cap,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int refuse(int *status, int code, char *why, size_t cap,
                  const char *fmt, ...)
{
    if (status)
        *status = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return SIPHON_EPARSE;
}

/* ---- small text helpers ------------------------------------------------- */

/* HTTP optional whitespace, plus CR and LF so that folded values
 * (obs-fold, RFC 7230 §3.2.4) trim and split like unfolded ones. */
static bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **p, size_t *n)
{
    while (*n && is_lws(**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n && is_lws((*p)[*n - 1]))
        (*n)--;
}

static bool eq_nocase(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

static bool eq_exact(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* Clip untrusted text for an error message: printable ASCII, at most 40
 * characters, so that log lines stay one line. */
static const char *clip(const char *p, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap && i < 40; i++)
        buf[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
    if (n > 40 && k + 3 < cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* ---- the HTTP head ------------------------------------------------------ */

typedef struct field {
    const char *name, *val;
    size_t name_len, val_len;
} field;

typedef struct head {
    const char *start; /* the request or status line, without its CRLF */
    size_t start_len;
    field f[WS_MAX_FIELDS];
    size_t n;
} head;

/* Each '\n' looks back at most two bytes, so scanning only the new
 * bytes still finds a CRLF CRLF split across reads. */
size_t siphon_ws_head_end_(const char *h, size_t len, size_t *scan)
{
    for (size_t i = *scan; i < len; i++) {
        if (h[i] != '\n')
            continue;
        if (i == 0 || h[i - 1] == '\n' ||
            (h[i - 1] == '\r' && (i == 1 || h[i - 2] == '\n')))
            return i + 1;
    }
    *scan = len;
    return 0;
}

/* Split a complete head into its start line and fields. Returns NULL, or
 * what is wrong. */
static const char *split_head(const char *p, size_t len, head *hd)
{
    memset(hd, 0, sizeof *hd);
    size_t off = 0;
    bool first = true;
    while (off < len) {
        const char *nl = memchr(p + off, '\n', len - off);
        size_t end = nl ? (size_t)(nl - p) : len;
        const char *line = p + off;
        size_t n = end - off;
        off = end + 1;
        if (n && line[n - 1] == '\r')
            n--;
        if (first) {
            if (n == 0)
                return "empty start line";
            hd->start = line;
            hd->start_len = n;
            first = false;
            continue;
        }
        if (n == 0)
            break; /* the empty line that ends the head */
        if (line[0] == ' ' || line[0] == '\t') {
            /* obs-fold: the value runs on; it is contiguous in p */
            if (hd->n == 0)
                return "continuation line before any header field";
            field *f = &hd->f[hd->n - 1];
            f->val_len = (size_t)(line + n - f->val);
            trim(&f->val, &f->val_len);
            continue;
        }
        const char *colon = memchr(line, ':', n);
        if (!colon)
            return "header line without ':'";
        size_t nl_len = (size_t)(colon - line);
        while (nl_len && (line[nl_len - 1] == ' ' || line[nl_len - 1] == '\t'))
            nl_len--; /* tolerated, though RFC 7230 §3.2.4 forbids it */
        if (nl_len == 0)
            return "header field with an empty name";
        for (size_t i = 0; i < nl_len; i++)
            if ((unsigned char)line[i] <= 0x20 || line[i] == 0x7f)
                return "header name with whitespace or control characters";
        if (hd->n == WS_MAX_FIELDS)
            return "more than 64 header fields";
        field *f = &hd->f[hd->n++];
        f->name = line;
        f->name_len = nl_len;
        f->val = colon + 1;
        f->val_len = (size_t)(line + n - (colon + 1));
        trim(&f->val, &f->val_len);
    }
    if (first)
        return "empty start line";
    return NULL;
}

/* The first field called name (case-insensitively); *count says how many
 * there are. */
static const field *find_field(const head *hd, const char *name,
                               size_t *count)
{
    const field *found = NULL;
    size_t c = 0;
    for (size_t i = 0; i < hd->n; i++) {
        if (!eq_nocase(hd->f[i].name, hd->f[i].name_len, name))
            continue;
        if (!found)
            found = &hd->f[i];
        c++;
    }
    if (count)
        *count = c;
    return found;
}

/* Whether any element of the comma lists in all fields called name is tok
 * (RFC 7230 §7: elements may be empty and fields may repeat). */
static bool list_has(const head *hd, const char *name, const char *tok,
                     bool nocase)
{
    for (size_t i = 0; i < hd->n; i++) {
        const field *f = &hd->f[i];
        if (!eq_nocase(f->name, f->name_len, name))
            continue;
        const char *p = f->val, *end = f->val + f->val_len;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *e = comma ? comma : end;
            const char *t = p;
            size_t n = (size_t)(e - p);
            trim(&t, &n);
            if (nocase ? eq_nocase(t, n, tok) : eq_exact(t, n, tok))
                return true;
            p = e + 1;
        }
    }
    return false;
}

/* Split a start line into three parts at the first two runs of blanks;
 * the third keeps its inner blanks (a reason phrase). */
static bool split3(const char *p, size_t n, const char *part[3],
                   size_t len[3])
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t s = i;
        if (k < 2)
            while (i < n && p[i] != ' ' && p[i] != '\t')
                i++;
        else
            i = n;
        part[k] = p + s;
        len[k] = i - s;
        if (k < 2 && len[k] == 0)
            return false;
    }
    return true;
}

/* "HTTP/1.1" or a later 1.x: RFC 6455 §4.1 needs HTTP/1.1 or higher,
 * and the upgrade mechanism exists only in HTTP/1. */
static bool http11(const char *p, size_t n)
{
    if (n < 8 || memcmp(p, "HTTP/1.", 7) != 0)
        return false;
    for (size_t i = 7; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    for (size_t i = 7; i < n; i++)
        if (p[i] != '0')
            return true; /* minor version >= 1 */
    return false;
}

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* RFC 6455 §4.2.1 item 5: the key must base64-decode to 16 bytes, that
 * is 22 characters and "==". EVP_DecodeBlock ignores padding and returns
 * 18 for those 24 characters (the two pad bytes count as zeros), so the
 * shape is checked here and the decode only confirms it. */
static bool key_valid(const char *k, size_t n)
{
    if (n != 24 || k[22] != '=' || k[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++)
        if (!b64_char(k[i]))
            return false;
    unsigned char raw[18];
    return EVP_DecodeBlock(raw, (const unsigned char *)k, 24) == 18;
}

int siphon_ws_accept_(const char *key, size_t key_len, char out[29])
{
    if (!key || !out || key_len > WS_MAX_KEY)
        return SIPHON_EINVAL;
    char buf[WS_MAX_KEY + sizeof ws_guid];
    memcpy(buf, key, key_len);
    memcpy(buf + key_len, ws_guid, sizeof ws_guid - 1);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(buf, key_len + sizeof ws_guid - 1, md, &md_len,
                   EVP_sha1(), NULL) != 1 || md_len != 20)
        return SIPHON_EIO;
    /* 20 bytes give 28 characters; EVP_EncodeBlock adds the NUL */
    if (EVP_EncodeBlock((unsigned char *)out, md, 20) != 28)
        return SIPHON_EIO;
    return 0;
}

bool siphon_ws_utf8_valid_(const void *bytes, size_t len)
{
    const unsigned char *s = bytes;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t more;
        unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            else if (c == 0xed)
                hi = 0x9f; /* UTF-16 surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            else if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return false;
        }
        if (len - i - 1 < more || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= more; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += more + 1;
    }
    return true;
}


/* ---- the checks --------------------------------------------------------- */

/* RFC 6455 §4.2.1: what a server requires of the request, in an order
 * that answers 426 only to a request that is otherwise an upgrade. */
int siphon_ws_check_request_(const char *p, size_t len, char accept[29],
                             int *status, char *why, size_t cap)
{
    head hd;
    char c1[48];
    const char *bad = split_head(p, len, &hd);
    if (bad)
        return refuse(status, 400, why, cap, "handshake: %s", bad);
    const char *part[3];
    size_t plen[3];
    if (!split3(hd.start, hd.start_len, part, plen) || plen[2] == 0)
        return refuse(status, 400, why, cap,
                      "handshake: request line \"%s\" is not "
                      "method SP target SP version",
                      clip(hd.start, hd.start_len, c1, sizeof c1));
    if (!eq_exact(part[0], plen[0], "GET"))
        return refuse(status, 400, why, cap,
                      "handshake: method %s, expected GET",
                      clip(part[0], plen[0], c1, sizeof c1));
    if (!http11(part[2], plen[2]))
        return refuse(status, 400, why, cap,
                      "handshake: version %s, expected HTTP/1.1",
                      clip(part[2], plen[2], c1, sizeof c1));
    size_t n;
    if (!find_field(&hd, "Host", &n))
        return refuse(status, 400, why, cap,
                      "handshake: missing Host");
    if (n > 1)
        return refuse(status, 400, why, cap,
                      "handshake: Host appears %zu times", n);
    if (!find_field(&hd, "Upgrade", NULL))
        return refuse(status, 400, why, cap,
                      "handshake: missing Upgrade");
    if (!list_has(&hd, "Upgrade", "websocket", true))
        return refuse(status, 400, why, cap,
                      "handshake: Upgrade does not offer websocket");
    if (!list_has(&hd, "Connection", "upgrade", true))
        return refuse(status, 400, why, cap,
                      "handshake: Connection does not contain upgrade");
    const field *v = find_field(&hd, "Sec-WebSocket-Version", NULL);
    if (!v)
        return refuse(status, 400, why, cap,
                      "handshake: missing Sec-WebSocket-Version");
    if (!list_has(&hd, "Sec-WebSocket-Version", "13", false))
        return refuse(status, 426, why, cap,
                      "handshake: Sec-WebSocket-Version %s, only 13 is "
                      "supported", clip(v->val, v->val_len, c1, sizeof c1));
    const field *k = find_field(&hd, "Sec-WebSocket-Key", &n);
    if (!k)
        return refuse(status, 400, why, cap,
                      "handshake: missing Sec-WebSocket-Key");
    if (n > 1)
        return refuse(status, 400, why, cap,
                      "handshake: Sec-WebSocket-Key appears %zu times", n);
    if (!key_valid(k->val, k->val_len))
        return refuse(status, 400, why, cap,
                      "handshake: Sec-WebSocket-Key \"%s\" does not decode "
                      "to 16 bytes", clip(k->val, k->val_len, c1, sizeof c1));
    /* RFC 7118 §4.1; see the banner for why this is a 400 */
    if (!list_has(&hd, "Sec-WebSocket-Protocol", "sip", true))
        return refuse(status, 400, why, cap,
                      "handshake: client does not offer the sip "
                      "subprotocol (RFC 7118 §4.1)");
    int rc = siphon_ws_accept_(k->val, k->val_len, accept);
    if (rc) {
        *status = 500;
        snprintf(why, cap, "handshake: cannot compute the accept value "
                           "(OpenSSL)");
        return rc;
    }
    *status = 101;
    return 0;
}

/* RFC 6455 §4.1, the client's checks of the server's answer (items 1-6). */
int siphon_ws_check_response_(const char *p, size_t len,
                              const char *accept, char *why, size_t cap)
{
    head hd;
    char c1[48];
    const char *bad = split_head(p, len, &hd);
    if (bad)
        return refuse(NULL, 0, why, cap, "handshake: %s", bad);
    const char *part[3];
    size_t plen[3];
    if (!split3(hd.start, hd.start_len, part, plen) ||
        !http11(part[0], plen[0]) || plen[1] != 3 || part[1][0] < '1' ||
        part[1][0] > '5' || part[1][1] < '0' || part[1][1] > '9' ||
        part[1][2] < '0' || part[1][2] > '9')
        return refuse(NULL, 0, why, cap,
                      "handshake: status line \"%s\" is not HTTP/1.1 code "
                      "reason", clip(hd.start, hd.start_len, c1, sizeof c1));
    if (!eq_exact(part[1], plen[1], "101"))
        return refuse(NULL, 0, why, cap,
                      "handshake: status %.3s, expected 101 (\"%s\")", part[1],
                      clip(part[2], plen[2], c1, sizeof c1));
    if (!list_has(&hd, "Upgrade", "websocket", true))
        return refuse(NULL, 0, why, cap,
                      "handshake: response Upgrade is not websocket");
    if (!list_has(&hd, "Connection", "upgrade", true))
        return refuse(NULL, 0, why, cap,
                      "handshake: response Connection does not contain "
                      "upgrade");
    size_t n;
    const field *a = find_field(&hd, "Sec-WebSocket-Accept", &n);
    if (!a)
        return refuse(NULL, 0, why, cap,
                      "handshake: missing Sec-WebSocket-Accept");
    if (n > 1 || !eq_exact(a->val, a->val_len, accept))
        return refuse(NULL, 0, why, cap,
                      "handshake: Sec-WebSocket-Accept \"%s\" does not match "
                      "our key", clip(a->val, a->val_len, c1, sizeof c1));
    const field *e = find_field(&hd, "Sec-WebSocket-Extensions", NULL);
    if (e && e->val_len)
        return refuse(NULL, 0, why, cap,
                      "handshake: server chose extension \"%s\" we did not "
                      "offer", clip(e->val, e->val_len, c1, sizeof c1));
    const field *sp = find_field(&hd, "Sec-WebSocket-Protocol", &n);
    if (!sp)
        return refuse(NULL, 0, why, cap,
                      "handshake: server did not choose the sip subprotocol "
                      "(RFC 7118 §4.1)");
    if (n > 1 || !eq_nocase(sp->val, sp->val_len, "sip"))
        return refuse(NULL, 0, why, cap,
                      "handshake: server chose subprotocol \"%s\", expected "
                      "sip", clip(sp->val, sp->val_len, c1, sizeof c1));
    return 0;
}
