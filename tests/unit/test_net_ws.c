/*
 * test_net_ws.c -- the sans-I/O WebSocket layer (lib/net/ws.c): RFC 6455
 * handshake and framing as RFC 7118 uses them, in memory. A client and a
 * server are wired through their io callbacks: what one writes is
 * collected and fed to the other, whole or in small pieces. Negative
 * cases hand-craft upgrade heads and raw frames.
 */
#include "unit.h"

#include "net/ws_internal.h"

#include <stdint.h>
#include <stdlib.h>

#define MAX_MSGS 16

typedef struct peer {
    siphon_ws *ws;
    char *out;               /* bytes written toward the other side */
    size_t out_len, out_cap;
    int write_rc;            /* what write returns (a fake failure) */
    char *msg[MAX_MSGS];
    size_t msg_len[MAX_MSGS];
    bool msg_text[MAX_MSGS];
    int nmsg;
    bool echo;               /* send every message back */
    int echo_rc;
} peer;

static int peer_write(void *arg, const void *bytes, size_t len)
{
    peer *p = arg;
    if (p->write_rc)
        return p->write_rc;
    if (p->out_len + len > p->out_cap) {
        size_t cap = p->out_cap ? p->out_cap : 256;
        while (cap < p->out_len + len)
            cap *= 2;
        char *n = realloc(p->out, cap);
        if (!n)
            return SIPHON_ENOMEM;
        p->out = n;
        p->out_cap = cap;
    }
    memcpy(p->out + p->out_len, bytes, len);
    p->out_len += len;
    return 0;
}

static void peer_message(void *arg, const char *bytes, size_t len, bool text)
{
    peer *p = arg;
    if (p->nmsg == MAX_MSGS)
        return;
    p->msg[p->nmsg] = malloc(len + 1);
    memcpy(p->msg[p->nmsg], bytes, len);
    p->msg[p->nmsg][len] = '\0';
    p->msg_len[p->nmsg] = len;
    p->msg_text[p->nmsg] = text;
    p->nmsg++;
    if (p->echo)
        p->echo_rc = siphon_ws_send_(p->ws, bytes, len);
}

static siphon_ws_io peer_io(peer *p)
{
    siphon_ws_io io = {.write = peer_write, .message = peer_message, .arg = p};
    return io;
}

static void peer_free(peer *p)
{
    siphon_ws_free_(p->ws);
    free(p->out);
    for (int i = 0; i < p->nmsg; i++)
        free(p->msg[i]);
    memset(p, 0, sizeof *p);
}

/* The output as a C string (for strstr), without consuming it. */
static const char *out_text(peer *p)
{
    peer_write(p, "", 1);
    p->out_len--;
    return p->out;
}

/* Feed what from wrote to to, in pieces of chunk bytes (0: at once);
 * returns the first non-zero result. */
static int deliver(peer *from, peer *to, size_t chunk)
{
    int rc = 0;
    size_t n = from->out_len;
    char *bytes = from->out;
    from->out = NULL;
    from->out_len = from->out_cap = 0;
    size_t step = chunk ? chunk : (n ? n : 1);
    for (size_t off = 0; off < n && rc == 0; off += step) {
        size_t k = n - off < step ? n - off : step;
        rc = siphon_ws_feed_(to->ws, bytes + off, k);
    }
    free(bytes);
    return rc;
}

static const siphon_ws_opts client_opts = {.host = "sip.example.com",
                                           .path = "/ws"};

/* A connected pair; chunk as for deliver(). */
static void pair_open(peer *c, peer *s, const siphon_ws_opts *so,
                      size_t chunk)
{
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    siphon_ws_io ci = peer_io(c), si = peer_io(s);
    CHECK_INT(siphon_ws_server_new_(&si, so, &s->ws), 0);
    CHECK_INT(siphon_ws_client_new_(&ci, &client_opts, &c->ws), 0);
    CHECK(!siphon_ws_is_open_(c->ws));
    CHECK_INT(deliver(c, s, chunk), 0);
    CHECK(siphon_ws_is_open_(s->ws));
    CHECK_INT(deliver(s, c, chunk), 0);
    CHECK(siphon_ws_is_open_(c->ws));
    CHECK(!siphon_ws_is_done_(c->ws));
    CHECK(!siphon_ws_is_done_(s->ws));
}

/* A raw frame as a peer would send it; masked with a fixed key. */
static size_t mkframe(unsigned char *out, bool fin, unsigned opcode,
                      bool mask, const void *payload, size_t len)
{
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    const unsigned char *p = payload;
    size_t k = 0;
    out[k++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    unsigned char m = mask ? 0x80 : 0;
    if (len < 126) {
        out[k++] = (unsigned char)(m | len);
    } else if (len < 65536) {
        out[k++] = m | 126;
        out[k++] = (unsigned char)(len >> 8);
        out[k++] = (unsigned char)len;
    } else {
        out[k++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[k++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    if (mask) {
        memcpy(out + k, key, 4);
        k += 4;
    }
    for (size_t i = 0; i < len; i++)
        out[k++] = p[i] ^ (mask ? key[i % 4] : 0);
    return k;
}

static const char good_request[] =
    "GET /ws HTTP/1.1\r\n"
    "Host: sip.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: sip\r\n"
    "\r\n";

/* A server that has accepted good_request, with max_message limit. */
static void server_open(peer *s, size_t max_message)
{
    memset(s, 0, sizeof *s);
    siphon_ws_io si = peer_io(s);
    siphon_ws_opts so = {.max_message = max_message};
    CHECK_INT(siphon_ws_server_new_(&si, &so, &s->ws), 0);
    CHECK_INT(siphon_ws_feed_(s->ws, good_request, strlen(good_request)), 0);
    CHECK(siphon_ws_is_open_(s->ws));
    s->out_len = 0;
}

static const char invite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@example.com>\r\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

static const char ok200[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKhjhs8ass877\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

/* ---- handshake and messages --------------------------------------------- */

UNIT_TEST(ws_accept_rfc6455_example)
{
    char acc[29];
    /* RFC 6455 §1.3 */
    CHECK_INT(siphon_ws_accept_("dGhlIHNhbXBsZSBub25jZQ==", 24, acc), 0);
    CHECK(strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
}

UNIT_TEST(ws_server_101_response)
{
    peer s = {0};
    siphon_ws_io si = peer_io(&s);
    CHECK_INT(siphon_ws_server_new_(&si, NULL, &s.ws), 0);
    CHECK_INT(siphon_ws_feed_(s.ws, good_request, strlen(good_request)), 0);
    const char *t = out_text(&s);
    CHECK(strncmp(t, "HTTP/1.1 101 ", 13) == 0);
    CHECK(strstr(t, "\r\nSec-WebSocket-Accept: "
                    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    CHECK(strstr(t, "\r\nSec-WebSocket-Protocol: sip\r\n"));
    CHECK(strstr(t, "\r\nUpgrade: websocket\r\n"));
    CHECK(strcmp(siphon_ws_error_(s.ws), "") == 0);
    peer_free(&s);
}

UNIT_TEST(ws_client_request)
{
    peer c = {0};
    siphon_ws_io ci = peer_io(&c);
    siphon_ws_opts o = {.host = "proxy.example.com:8080", .path = "/sip",
                        .origin = "https://app.example.com"};
    CHECK_INT(siphon_ws_client_new_(&ci, &o, &c.ws), 0);
    const char *t = out_text(&c);
    CHECK(strncmp(t, "GET /sip HTTP/1.1\r\n", 19) == 0);
    CHECK(strstr(t, "\r\nHost: proxy.example.com:8080\r\n"));
    CHECK(strstr(t, "\r\nSec-WebSocket-Protocol: sip\r\n"));
    CHECK(strstr(t, "\r\nSec-WebSocket-Version: 13\r\n"));
    CHECK(strstr(t, "\r\nOrigin: https://app.example.com\r\n"));
    CHECK(strstr(t, "\r\nSec-WebSocket-Key: "));
    CHECK(c.out_len > 4 && memcmp(t + c.out_len - 4, "\r\n\r\n", 4) == 0);
    peer_free(&c);

    /* host is required and must not inject header lines */
    siphon_ws *ws = (siphon_ws *)(uintptr_t)1; /* must be cleared */
    siphon_ws_opts bad = {.host = NULL};
    CHECK_INT(siphon_ws_client_new_(&ci, &bad, &ws), SIPHON_EINVAL);
    CHECK(ws == NULL);
    bad.host = "a.example.com\r\nX-Evil: 1";
    CHECK_INT(siphon_ws_client_new_(&ci, &bad, &ws), SIPHON_EINVAL);
    bad.host = "a.example.com";
    bad.path = "/ws HTTP/1.0";
    CHECK_INT(siphon_ws_client_new_(&ci, &bad, &ws), SIPHON_EINVAL);
    siphon_ws_io noio = {0};
    CHECK_INT(siphon_ws_server_new_(&noio, NULL, &ws), SIPHON_EINVAL);
    /* a failing first write hands nothing out */
    c.write_rc = SIPHON_EIO;
    CHECK_INT(siphon_ws_client_new_(&ci, &client_opts, &ws), SIPHON_EIO);
    CHECK(ws == NULL);
}

UNIT_TEST(ws_message_each_way)
{
    peer c, s;
    pair_open(&c, &s, NULL, 0);
    CHECK_INT(siphon_ws_send_(c.ws, invite, strlen(invite)), 0);
    CHECK(c.out_len > 0 && (unsigned char)c.out[0] == 0x81); /* FIN text */
    CHECK(c.out_len > 1 && (c.out[1] & 0x80));                /* masked */
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(s.nmsg, 1);
    CHECK(s.msg_text[0]);
    CHECK(s.msg_len[0] == strlen(invite) && strcmp(s.msg[0], invite) == 0);

    CHECK_INT(siphon_ws_send_(s.ws, ok200, strlen(ok200)), 0);
    CHECK(s.out_len > 1 && !(s.out[1] & 0x80)); /* server frames unmasked */
    CHECK_INT(deliver(&s, &c, 0), 0);
    CHECK_INT(c.nmsg, 1);
    CHECK(c.msg_len[0] == strlen(ok200) && strcmp(c.msg[0], ok200) == 0);
    peer_free(&c);
    peer_free(&s);
}

UNIT_TEST(ws_one_byte_feeds)
{
    peer c, s;
    pair_open(&c, &s, NULL, 1);
    for (int i = 0; i < 3; i++)
        CHECK_INT(siphon_ws_send_(c.ws, invite, strlen(invite)), 0);
    CHECK_INT(deliver(&c, &s, 1), 0);
    CHECK_INT(s.nmsg, 3);
    for (int i = 0; i < s.nmsg; i++)
        CHECK(strcmp(s.msg[i], invite) == 0);
    /* a long message: the 16-bit length form */
    char big[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    CHECK_INT(siphon_ws_send_(s.ws, big, sizeof big), 0);
    CHECK_INT(deliver(&s, &c, 1), 0);
    CHECK_INT(c.nmsg, 1);
    CHECK(c.msg_len[0] == sizeof big && memcmp(c.msg[0], big, sizeof big) == 0);
    peer_free(&c);
    peer_free(&s);
}

UNIT_TEST(ws_head_and_first_frame_in_one_read)
{
    /* server side: the request and a masked frame in one read */
    peer s = {0};
    siphon_ws_io si = peer_io(&s);
    CHECK_INT(siphon_ws_server_new_(&si, NULL, &s.ws), 0);
    unsigned char buf[2048];
    size_t n = strlen(good_request);
    memcpy(buf, good_request, n);
    n += mkframe(buf + n, true, 0x1, true, invite, strlen(invite));
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), 0);
    CHECK(siphon_ws_is_open_(s.ws));
    CHECK_INT(s.nmsg, 1);
    CHECK(s.nmsg == 1 && strcmp(s.msg[0], invite) == 0);
    peer_free(&s);

    /* client side: a message queued before the handshake goes right
     * behind the 101, and the client reads both from one read */
    peer c = {0};
    memset(&s, 0, sizeof s);
    siphon_ws_io ci = peer_io(&c);
    si = peer_io(&s);
    CHECK_INT(siphon_ws_server_new_(&si, NULL, &s.ws), 0);
    CHECK_INT(siphon_ws_client_new_(&ci, &client_opts, &c.ws), 0);
    CHECK_INT(siphon_ws_send_(s.ws, ok200, strlen(ok200)), 0);
    CHECK_INT(siphon_ws_send_(c.ws, invite, strlen(invite)), 0);
    CHECK(strstr(out_text(&c), "\r\n\r\n") == c.out + c.out_len - 4);
    CHECK_INT(s.out_len, 0); /* nothing before the request */
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(deliver(&s, &c, 0), 0);
    CHECK_INT(c.nmsg, 1);
    CHECK(c.nmsg == 1 && strcmp(c.msg[0], ok200) == 0);
    /* the client's queued INVITE left once the 101 was in */
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(s.nmsg, 1);
    CHECK(s.nmsg == 1 && strcmp(s.msg[0], invite) == 0);
    peer_free(&c);
    peer_free(&s);
}

UNIT_TEST(ws_fragments_reassembled)
{
    peer s;
    server_open(&s, 0);
    unsigned char buf[512];
    size_t n = 0;
    n += mkframe(buf + n, false, 0x1, true, "OPTIONS ", 8);
    n += mkframe(buf + n, true, 0x9, true, "mid", 3); /* ping between */
    n += mkframe(buf + n, false, 0x0, true, "sip:bob", 7);
    n += mkframe(buf + n, true, 0x0, true, " SIP/2.0", 8);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf + i, 1), 0);
    CHECK_INT(s.nmsg, 1);
    CHECK(s.nmsg == 1 && strcmp(s.msg[0], "OPTIONS sip:bob SIP/2.0") == 0);
    /* the ping got its pong, unmasked, with the same payload */
    CHECK(s.out_len == 5 && memcmp(s.out, "\x8a\x03mid", 5) == 0);
    peer_free(&s);
}

UNIT_TEST(ws_ping_answered)
{
    peer c, s;
    pair_open(&c, &s, NULL, 0);
    unsigned char buf[64];
    size_t n = mkframe(buf, true, 0x9, true, "keepalive", 9);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), 0);
    CHECK(s.out_len == 11 && memcmp(s.out, "\x8a\x09keepalive", 11) == 0);
    CHECK_INT(s.nmsg, 0);
    /* the client answers a server's ping with a masked pong */
    n = mkframe(buf, true, 0x9, false, "x", 1);
    CHECK_INT(siphon_ws_feed_(c.ws, (const char *)buf, n), 0);
    CHECK(c.out_len == 7 && (unsigned char)c.out[0] == 0x8a &&
          (unsigned char)c.out[1] == 0x81);
    /* pongs nobody asked for are ignored (RFC 6455 §5.5.3) */
    n = mkframe(buf, true, 0xa, true, "", 0);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), 0);
    CHECK_INT(s.nmsg, 0);
    peer_free(&c);
    peer_free(&s);
}

UNIT_TEST(ws_binary_or_text)
{
    peer c, s;
    pair_open(&c, &s, NULL, 0);
    static const char utf8[] =
        "MESSAGE sip:b SIP/2.0\r\n\r\nh\xc3\xa9llo \xe2\x82\xac";
    static const char bin[] = "MESSAGE sip:b SIP/2.0\r\n\r\n\xff\xfe\x00\x01";
    static const char surrogate[] = "x\xed\xa0\x80";
    static const char overlong[] = "x\xc0\xaf";
    CHECK_INT(siphon_ws_send_(c.ws, utf8, sizeof utf8 - 1), 0);
    CHECK((unsigned char)c.out[0] == 0x81);
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(siphon_ws_send_(c.ws, bin, sizeof bin - 1), 0);
    CHECK((unsigned char)c.out[0] == 0x82);
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(s.nmsg, 2);
    CHECK(s.nmsg == 2 && s.msg_text[0] && !s.msg_text[1]);
    CHECK(s.nmsg == 2 && s.msg_len[1] == sizeof bin - 1 &&
          memcmp(s.msg[1], bin, sizeof bin - 1) == 0);
    CHECK(!siphon_ws_utf8_valid_(surrogate, 4));
    CHECK(!siphon_ws_utf8_valid_(overlong, 3));
    CHECK(!siphon_ws_utf8_valid_("\xf4\x90\x80\x80", 4));
    CHECK(!siphon_ws_utf8_valid_("\xe2\x82", 2));
    CHECK(siphon_ws_utf8_valid_("\xf0\x9f\x98\x80", 4));
    CHECK(siphon_ws_utf8_valid_("", 0));
    peer_free(&c);
    peer_free(&s);
}

UNIT_TEST(ws_echo_from_callback)
{
    peer c, s;
    pair_open(&c, &s, NULL, 0);
    s.echo = true;
    CHECK_INT(siphon_ws_send_(c.ws, invite, strlen(invite)), 0);
    CHECK_INT(siphon_ws_send_(c.ws, ok200, strlen(ok200)), 0);
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(s.echo_rc, 0);
    CHECK_INT(deliver(&s, &c, 0), 0);
    CHECK_INT(c.nmsg, 2);
    CHECK(c.nmsg == 2 && strcmp(c.msg[0], invite) == 0 &&
          strcmp(c.msg[1], ok200) == 0);
    peer_free(&c);
    peer_free(&s);
}

/* ---- closing ------------------------------------------------------------ */

static void close_both_ways(bool client_first)
{
    peer c, s;
    pair_open(&c, &s, NULL, 0);
    peer *a = client_first ? &c : &s, *b = client_first ? &s : &c;
    siphon_ws_close_(a->ws);
    CHECK(a->out_len >= 4 && (unsigned char)a->out[0] == 0x88);
    CHECK(!siphon_ws_is_done_(a->ws));
    CHECK_INT(siphon_ws_send_(a->ws, "x", 1), SIPHON_ESTATE);
    /* the other side still may send before it sees the close */
    CHECK_INT(siphon_ws_send_(b->ws, ok200, strlen(ok200)), 0);
    CHECK_INT(deliver(a, b, 0), 0);
    CHECK(siphon_ws_is_done_(b->ws)); /* received and echoed */
    CHECK_INT(siphon_ws_send_(b->ws, "x", 1), SIPHON_ESTATE);
    CHECK_INT(deliver(b, a, 0), 0);
    CHECK_INT(a->nmsg, 1);
    CHECK(siphon_ws_is_done_(a->ws));
    CHECK(strcmp(siphon_ws_error_(a->ws), "") == 0);
    CHECK(strcmp(siphon_ws_error_(b->ws), "") == 0);
    /* bytes after the close are ignored, not an error */
    CHECK_INT(siphon_ws_feed_(a->ws, "\x81\x01x", 3), 0);
    siphon_ws_close_(a->ws); /* twice: nothing */
    peer_free(&c);
    peer_free(&s);
}

UNIT_TEST(ws_close_client_first)
{
    close_both_ways(true);
}

UNIT_TEST(ws_close_server_first)
{
    close_both_ways(false);
}

UNIT_TEST(ws_close_before_open)
{
    peer c, s;
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    siphon_ws_io ci = peer_io(&c), si = peer_io(&s);
    CHECK_INT(siphon_ws_server_new_(&si, NULL, &s.ws), 0);
    CHECK_INT(siphon_ws_client_new_(&ci, &client_opts, &c.ws), 0);
    CHECK_INT(siphon_ws_send_(c.ws, invite, strlen(invite)), 0);
    siphon_ws_close_(c.ws);
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(deliver(&s, &c, 0), 0); /* 101: INVITE then close go out */
    CHECK_INT(deliver(&c, &s, 0), 0);
    CHECK_INT(s.nmsg, 1);
    CHECK(siphon_ws_is_done_(s.ws));
    CHECK_INT(deliver(&s, &c, 0), 0);
    CHECK(siphon_ws_is_done_(c.ws));
    peer_free(&c);
    peer_free(&s);
}

/* ---- the server refuses ------------------------------------------------- */

/* Feed a request to a fresh server; check the result, the HTTP status
 * line written and a piece of the error text. */
static void server_refuses(const char *req, size_t max_handshake, int rc,
                           const char *status, const char *why)
{
    peer s = {0};
    siphon_ws_io si = peer_io(&s);
    siphon_ws_opts so = {.max_handshake = max_handshake};
    CHECK_INT(siphon_ws_server_new_(&si, &so, &s.ws), 0);
    int got = siphon_ws_feed_(s.ws, req, strlen(req));
    CHECK_INT(got, rc);
    const char *t = out_text(&s);
    if (strncmp(t, status, strlen(status)) != 0)
        unit_fail(__FILE__, __LINE__, "wrote \"%.40s\", expected \"%s\"", t,
                  status);
    if (!strstr(siphon_ws_error_(s.ws), why))
        unit_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"",
                  siphon_ws_error_(s.ws), why);
    CHECK(!siphon_ws_is_open_(s.ws));
    CHECK(siphon_ws_is_done_(s.ws));
    /* the error sticks */
    CHECK_INT(siphon_ws_feed_(s.ws, "GET", 3), rc);
    CHECK_INT(siphon_ws_send_(s.ws, "x", 1), SIPHON_ESTATE);
    peer_free(&s);
}

/* good_request with one line replaced (or removed when repl is ""). */
static char *edit_request(const char *prefix, const char *repl)
{
    static char buf[1024];
    const char *at = strstr(good_request, prefix);
    if (!at)
        return NULL;
    const char *eol = strstr(at, "\r\n") + 2;
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - good_request),
             good_request, repl, eol);
    return buf;
}

UNIT_TEST(ws_server_rejects_missing_key)
{
    server_refuses(edit_request("Sec-WebSocket-Key:", ""), 0, SIPHON_EPARSE,
                   "HTTP/1.1 400 ", "missing Sec-WebSocket-Key");
}

/* good_request with another Sec-WebSocket-Key line (or lines) */
static const char *with_key(const char *lines)
{
    return edit_request("Sec-WebSocket-Key:", lines);
}

UNIT_TEST(ws_server_rejects_bad_key)
{
    /* 5 bytes, 20 bytes, not base64, twice */
    server_refuses(with_key("Sec-WebSocket-Key: c2hvcnQ=\r\n"), 0,
                   SIPHON_EPARSE, "HTTP/1.1 400 ", "16 bytes");
    server_refuses(
        with_key("Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZmdoaWo=\r\n"), 0,
        SIPHON_EPARSE, "HTTP/1.1 400 ", "16 bytes");
    server_refuses(with_key("Sec-WebSocket-Key: dGhlIHNhbXBsZS*ub25jZQ==\r\n"),
                   0, SIPHON_EPARSE, "HTTP/1.1 400 ", "16 bytes");
    server_refuses(with_key("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
                   0, SIPHON_EPARSE, "HTTP/1.1 400 ", "appears 2 times");
}

UNIT_TEST(ws_server_rejects_version_8)
{
    peer s = {0};
    siphon_ws_io si = peer_io(&s);
    CHECK_INT(siphon_ws_server_new_(&si, NULL, &s.ws), 0);
    const char *req = edit_request("Sec-WebSocket-Version:",
                                   "Sec-WebSocket-Version: 8\r\n");
    CHECK_INT(siphon_ws_feed_(s.ws, req, strlen(req)), SIPHON_EPARSE);
    const char *t = out_text(&s);
    CHECK(strncmp(t, "HTTP/1.1 426 ", 13) == 0);
    CHECK(strstr(t, "\r\nSec-WebSocket-Version: 13\r\n"));
    CHECK(strstr(siphon_ws_error_(s.ws), "Sec-WebSocket-Version 8"));
    peer_free(&s);
    server_refuses(edit_request("Sec-WebSocket-Version:", ""), 0,
                   SIPHON_EPARSE, "HTTP/1.1 400 ",
                   "missing Sec-WebSocket-Version");
}

UNIT_TEST(ws_server_rejects_no_upgrade)
{
    server_refuses(edit_request("Upgrade:", ""), 0, SIPHON_EPARSE,
                   "HTTP/1.1 400 ", "missing Upgrade");
    server_refuses(edit_request("Upgrade:", "Upgrade: h2c\r\n"), 0,
                   SIPHON_EPARSE, "HTTP/1.1 400 ", "websocket");
    server_refuses(edit_request("Connection:", "Connection: keep-alive\r\n"),
                   0, SIPHON_EPARSE, "HTTP/1.1 400 ", "Connection");
    server_refuses(edit_request("Host:", ""), 0, SIPHON_EPARSE,
                   "HTTP/1.1 400 ", "missing Host");
}

UNIT_TEST(ws_server_rejects_post)
{
    server_refuses(edit_request("GET ", "POST /ws HTTP/1.1\r\n"), 0,
                   SIPHON_EPARSE, "HTTP/1.1 400 ", "method POST");
    server_refuses(edit_request("GET ", "GET /ws HTTP/1.0\r\n"), 0,
                   SIPHON_EPARSE, "HTTP/1.1 400 ", "HTTP/1.0");
    server_refuses(edit_request("GET ", "GET\r\n"), 0, SIPHON_EPARSE,
                   "HTTP/1.1 400 ", "request line");
    server_refuses("\r\n\r\n", 0, SIPHON_EPARSE, "HTTP/1.1 400 ",
                   "empty start line");
    server_refuses(edit_request("Host:", "Host sip.example.com\r\n"), 0,
                   SIPHON_EPARSE, "HTTP/1.1 400 ", "without ':'");
}

UNIT_TEST(ws_server_rejects_no_sip_subprotocol)
{
    /* RFC 7118 §4.1: see the banner of ws.c */
    server_refuses(edit_request("Sec-WebSocket-Protocol:", ""), 0,
                   SIPHON_EPARSE, "HTTP/1.1 400 ", "sip subprotocol");
    server_refuses(edit_request("Sec-WebSocket-Protocol:",
                                "Sec-WebSocket-Protocol: chat, sipx\r\n"),
                   0, SIPHON_EPARSE, "HTTP/1.1 400 ", "RFC 7118");
}

UNIT_TEST(ws_server_rejects_oversized_head)
{
    char req[600];
    snprintf(req, sizeof req, "%.*sX-Pad: %0300d\r\n\r\n",
             (int)strlen(good_request) - 2, good_request, 0);
    server_refuses(req, 256, SIPHON_ETOOBIG, "HTTP/1.1 431 ", "256 bytes");
    /* exactly at the limit is fine */
    peer s = {0};
    siphon_ws_io si = peer_io(&s);
    siphon_ws_opts so = {.max_handshake = strlen(good_request)};
    CHECK_INT(siphon_ws_server_new_(&si, &so, &s.ws), 0);
    CHECK_INT(siphon_ws_feed_(s.ws, good_request, strlen(good_request)), 0);
    CHECK(siphon_ws_is_open_(s.ws));
    peer_free(&s);
}

UNIT_TEST(ws_server_tolerates_http_variants)
{
    /* header case, blanks, comma lists, repeated fields, obs-fold, LF */
    static const char req[] =
        "GET /ws HTTP/1.1\n"
        "host:sip.example.com\n"
        "UPGRADE :  WebSocket \n"
        "connection: keep-alive,\n"
        " Upgrade\n"
        "sec-websocket-key:\tdGhlIHNhbXBsZSBub25jZQ==\n"
        "Sec-WebSocket-Version: 13\n"
        "Sec-WebSocket-Protocol: chat,, foo\n"
        "Sec-WebSocket-Protocol: SIP\n"
        "Sec-WebSocket-Extensions: permessage-deflate\n"
        "\n";
    peer s = {0};
    siphon_ws_io si = peer_io(&s);
    CHECK_INT(siphon_ws_server_new_(&si, NULL, &s.ws), 0);
    for (size_t i = 0; i < sizeof req - 1; i++)
        CHECK_INT(siphon_ws_feed_(s.ws, req + i, 1), 0);
    CHECK(siphon_ws_is_open_(s.ws));
    const char *t = out_text(&s);
    CHECK(strstr(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    CHECK(!strstr(t, "Extensions")); /* offered, not taken */
    peer_free(&s);
}

/* ---- frame-level errors ------------------------------------------------- */

UNIT_TEST(ws_server_rejects_unmasked_frame)
{
    peer s;
    server_open(&s, 0);
    unsigned char buf[256];
    size_t n = mkframe(buf, true, 0x1, false, invite, 40);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_EPARSE);
    CHECK_INT(s.nmsg, 0);
    /* close 1002 went out first (RFC 6455 §7.4.1) */
    CHECK(s.out_len == 4 && memcmp(s.out, "\x88\x02\x03\xea", 4) == 0);
    CHECK(strstr(siphon_ws_error_(s.ws), "frame: protocol violation"));
    CHECK(siphon_ws_is_done_(s.ws));
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_EPARSE);
    peer_free(&s);
}

UNIT_TEST(ws_frame_errors)
{
    peer s;
    unsigned char buf[256];
    size_t n;
    /* continuation without a start */
    server_open(&s, 0);
    n = mkframe(buf, true, 0x0, true, "x", 1);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_EPARSE);
    peer_free(&s);
    /* reserved opcode */
    server_open(&s, 0);
    n = mkframe(buf, true, 0x3, true, "x", 1);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_EPARSE);
    peer_free(&s);
    /* RSV1 without an extension */
    server_open(&s, 0);
    n = mkframe(buf, true, 0x1, true, "x", 1);
    buf[0] |= 0x40;
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_EPARSE);
    peer_free(&s);
    /* text that is not UTF-8: close 1007 */
    server_open(&s, 0);
    n = mkframe(buf, true, 0x1, true, "ab\xff", 3);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_EPARSE);
    CHECK(s.out_len == 4 && memcmp(s.out, "\x88\x02\x03\xef", 4) == 0);
    CHECK(strstr(siphon_ws_error_(s.ws), "UTF-8"));
    peer_free(&s);
    /* a fragmented ping */
    server_open(&s, 0);
    n = mkframe(buf, false, 0x9, true, "x", 1);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_EPARSE);
    CHECK(siphon_ws_error_(s.ws)[0] != '\0');
    peer_free(&s);
}

UNIT_TEST(ws_server_rejects_oversized_message)
{
    peer s;
    unsigned char buf[256];
    server_open(&s, 16);
    size_t n = mkframe(buf, true, 0x1, true, "0123456789abcdef", 16);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), 0);
    CHECK_INT(s.nmsg, 1); /* the limit itself is fine */
    n = mkframe(buf, true, 0x1, true, "0123456789abcdefg", 17);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_ETOOBIG);
    CHECK_INT(s.nmsg, 1);
    CHECK(s.out_len == 4 && memcmp(s.out, "\x88\x02\x03\xf1", 4) == 0);
    CHECK(strstr(siphon_ws_error_(s.ws), "longer than 16"));
    peer_free(&s);
    /* a ping longer than a small limit is still answered */
    server_open(&s, 16);
    n = mkframe(buf, true, 0x9, true, "0123456789abcdefghij", 20);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), 0);
    CHECK(s.out_len == 22 && (unsigned char)s.out[0] == 0x8a);
    n = mkframe(buf, true, 0x2, true, "0123456789abcdefghij", 20);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_ETOOBIG);
    CHECK_INT(s.nmsg, 0);
    CHECK(s.out_len == 26 && memcmp(s.out + 22, "\x88\x02\x03\xf1", 4) == 0);
    peer_free(&s);
    /* the same across fragments */
    server_open(&s, 16);
    n = mkframe(buf, false, 0x2, true, "0123456789", 10);
    n += mkframe(buf + n, true, 0x0, true, "0123456789", 10);
    CHECK_INT(siphon_ws_feed_(s.ws, (const char *)buf, n), SIPHON_ETOOBIG);
    CHECK_INT(s.nmsg, 0);
    peer_free(&s);
}

UNIT_TEST(ws_write_error_propagates)
{
    peer c, s;
    pair_open(&c, &s, NULL, 0);
    c.write_rc = SIPHON_EIO;
    CHECK_INT(siphon_ws_send_(c.ws, invite, strlen(invite)), SIPHON_EIO);
    CHECK(strstr(siphon_ws_error_(c.ws), "write"));
    CHECK(siphon_ws_is_done_(c.ws));
    CHECK_INT(siphon_ws_feed_(c.ws, "", 0), SIPHON_EIO);
    peer_free(&c);
    peer_free(&s);
}

/* ---- the client refuses ------------------------------------------------- */

/* A client that sent its GET; *accept gets the right accept value. */
static void client_sent(peer *c, char accept[29])
{
    memset(c, 0, sizeof *c);
    siphon_ws_io ci = peer_io(c);
    CHECK_INT(siphon_ws_client_new_(&ci, &client_opts, &c->ws), 0);
    const char *k = strstr(out_text(c), "Sec-WebSocket-Key: ");
    CHECK(k != NULL);
    if (k)
        CHECK_INT(siphon_ws_accept_(k + 19, 24, accept), 0);
    c->out_len = 0;
}

static void client_refuses(const char *fmt, bool right_accept,
                           const char *why)
{
    peer c;
    char acc[29] = "";
    client_sent(&c, acc);
    char resp[512];
    snprintf(resp, sizeof resp, fmt,
             right_accept ? acc : "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK_INT(siphon_ws_feed_(c.ws, resp, strlen(resp)), SIPHON_EPARSE);
    if (!strstr(siphon_ws_error_(c.ws), why))
        unit_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"",
                  siphon_ws_error_(c.ws), why);
    CHECK(!siphon_ws_is_open_(c.ws));
    CHECK_INT(c.out_len, 0);
    peer_free(&c);
}

UNIT_TEST(ws_client_rejects_wrong_accept)
{
    client_refuses("HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n"
                   "Sec-WebSocket-Protocol: sip\r\n\r\n",
                   false, "does not match");
    client_refuses("HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "X-Accept: %s\r\n"
                   "Sec-WebSocket-Protocol: sip\r\n\r\n",
                   true, "missing Sec-WebSocket-Accept");
}

UNIT_TEST(ws_client_rejects_non_101)
{
    client_refuses("HTTP/1.1 403 Forbidden\r\nX-A: %s\r\n"
                   "Content-Length: 0\r\n\r\n",
                   true, "status 403");
    client_refuses("HTTP/1.1 200 OK\r\nX-A: %s\r\n\r\n", true, "status 200");
    client_refuses("SIP/2.0 101 Hi\r\nX-A: %s\r\n\r\n", true, "status line");
    client_refuses("HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: h2c\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n"
                   "Sec-WebSocket-Protocol: sip\r\n\r\n",
                   true, "Upgrade");
}

UNIT_TEST(ws_client_rejects_missing_subprotocol)
{
    client_refuses("HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n\r\n",
                   true, "did not choose the sip subprotocol");
    client_refuses("HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n"
                   "Sec-WebSocket-Protocol: chat\r\n\r\n",
                   true, "chose subprotocol \"chat\"");
    client_refuses("HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n"
                   "Sec-WebSocket-Protocol: sip\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
                   true, "extension");
}

UNIT_TEST(ws_client_rejects_masked_frame)
{
    peer c;
    char acc[29] = "";
    client_sent(&c, acc);
    char resp[512];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n"
                     "Sec-WebSocket-Protocol: sip\r\n\r\n", acc);
    n += (int)mkframe((unsigned char *)resp + n, true, 0x1, true, "x", 1);
    CHECK_INT(siphon_ws_feed_(c.ws, resp, (size_t)n), SIPHON_EPARSE);
    CHECK(siphon_ws_is_open_(c.ws));
    CHECK(strstr(siphon_ws_error_(c.ws), "masked"));
    peer_free(&c);
}

/* ---- the pure HTTP checks (ws_handshake.c) ------------------------------ */

UNIT_TEST(ws_head_end_scan)
{
    size_t scan = 0;
    const char *h = "GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
    size_t len = strlen(h);
    /* arriving byte by byte, the end shows up exactly once */
    size_t found = 0;
    for (size_t i = 1; i <= len && !found; i++)
        found = siphon_ws_head_end_(h, i, &scan);
    CHECK_INT(found, len - 4);
    scan = 0;
    CHECK_INT(siphon_ws_head_end_("a\n\nb", 4, &scan), 3);
    scan = 0;
    CHECK_INT(siphon_ws_head_end_("a\r\nb\r\n", 6, &scan), 0);
    CHECK_INT(scan, 6);
    scan = 0;
    CHECK_INT(siphon_ws_head_end_("\r\n", 2, &scan), 2);
}

UNIT_TEST(ws_check_request_statuses)
{
    char acc[29], why[128];
    int status = 0;
    CHECK_INT(siphon_ws_check_request_(good_request, strlen(good_request),
                                       acc, &status, why, sizeof why), 0);
    CHECK_INT(status, 101);
    CHECK(strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
    const char *v = edit_request("Sec-WebSocket-Version:",
                                 "Sec-WebSocket-Version: 7, 8\r\n");
    CHECK_INT(siphon_ws_check_request_(v, strlen(v), acc, &status, why,
                                       sizeof why), SIPHON_EPARSE);
    CHECK_INT(status, 426);
    /* a version list that includes 13 is fine */
    v = edit_request("Sec-WebSocket-Version:",
                     "Sec-WebSocket-Version: 8, 13\r\n");
    CHECK_INT(siphon_ws_check_request_(v, strlen(v), acc, &status, why,
                                       sizeof why), 0);
    /* the reason is cut to the buffer given */
    char tiny[8];
    v = edit_request("Host:", "");
    CHECK_INT(siphon_ws_check_request_(v, strlen(v), acc, &status, tiny,
                                       sizeof tiny), SIPHON_EPARSE);
    CHECK_INT(status, 400);
    CHECK(strlen(tiny) == sizeof tiny - 1);
}
