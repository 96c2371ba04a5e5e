/*
 * ws.c -- SIP over WebSocket (RFC 7118) on RFC 6455, sans-I/O: the
 * opening handshake (RFC 6455 §4.1 client side, §4.2 server side, and
 * the "sip" subprotocol of RFC 7118 §4.1), framing (RFC 6455 §5:
 * masking §5.3, fragmentation §5.4, ping and pong §5.5.2-3), one SIP
 * message per WebSocket message (RFC 7118 §5) and the closing handshake
 * (RFC 6455 §7).
 *
 * Framing is wslay's event API. wslay wants to pull bytes and push bytes
 * itself, so feed() stages the caller's bytes where the recv callback
 * serves them and then says "would block"; the send callback hands
 * everything to io->write, which queues, so wslay never sees a short
 * write. wslay already answers pings, echoes close frames, checks
 * masking, reserved bits, opcodes, fragment order, UTF-8 of text frames
 * and the message size, and reacts to a violation by queueing a close
 * frame (1002, 1007, 1009) and refusing to read: feed() notices that,
 * lets the close frame go out, and reports the error.
 *
 * The HTTP side of the handshake (parsing and checking heads, the accept
 * value, and why a client without "sip" gets a 400) is in
 * ws_handshake.c; this file holds the state machine around it.
 */
#include "ws_internal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

typedef enum ws_state {
    WS_HANDSHAKE, /* reading the peer's HTTP head */
    WS_OPEN       /* frames flow (also after a close or an error) */
} ws_state;

struct siphon_ws {
    siphon_ws_io io;
    bool server;
    ws_state state;
    size_t max_message, max_handshake;
    wslay_event_context_ptr ctx;
    /* the peer's head while in WS_HANDSHAKE; scan is where the search
     * for its end resumes */
    char *head;
    size_t head_len, head_cap, scan;
    char accept[29];        /* client: the Sec-WebSocket-Accept expected */
    /* bytes staged for wslay's recv callback */
    const uint8_t *in;
    size_t in_len;
    int err;                /* the fatal error, 0 while healthy */
    int io_err;             /* io->write failed inside wslay */
    bool feeding;           /* inside siphon_ws_feed_ */
    bool receiving;         /* inside wslay_event_recv */
    bool sending;           /* inside wslay_event_send */
    bool close_called;
    bool close_pending;     /* our close frame waits behind queued data */
    char errtext[200];
};

/* ---- errors ------------------------------------------------------------- */

/* Record the first fatal error and its text; returns the recorded code. */
static int fail(siphon_ws *ws, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(siphon_ws *ws, int err, const char *fmt, ...)
{
    if (ws->err)
        return ws->err;
    ws->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ws->errtext, sizeof ws->errtext, fmt, ap);
    va_end(ap);
    return err;
}

/* ---- framing (wslay) ---------------------------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                       int flags, void *user)
{
    siphon_ws *ws = user;
    (void)flags;
    if (ws->in_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->in_len ? len : ws->in_len;
    memcpy(buf, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data,
                       size_t len, int flags, void *user)
{
    siphon_ws *ws = user;
    (void)flags;
    if (len == 0)
        return 0;
    int rc = ws->io.write(ws->io.arg, data, len);
    if (rc < 0) {
        ws->io_err = rc;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len; /* the connection queues: never a short write */
}

/* RFC 6455 §5.3: masking keys must be unpredictable. */
static int on_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                      void *user)
{
    (void)user;
    if (len > (size_t)INT32_MAX || RAND_bytes(buf, (int)len) != 1) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return 0;
}

static void on_msg(wslay_event_context_ptr ctx,
                   const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    siphon_ws *ws = user;
    /* control frames are wslay's business (pong, close echo) */
    if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME)
        return;
    if (arg->msg_length > ws->max_message) {
        /* only below 125 bytes, where wslay's own limit stays higher
         * (see ws_new): refuse as wslay would, and stop reading */
        (void)wslay_event_queue_close(ctx, WSLAY_CODE_MESSAGE_TOO_BIG, NULL,
                                      0);
        wslay_event_shutdown_read(ctx);
        return;
    }
    const char *p = arg->msg ? (const char *)arg->msg : "";
    ws->io.message(ws->io.arg, p, arg->msg_length,
                   arg->opcode == WSLAY_TEXT_FRAME);
}

/* Let wslay write what is queued: data, pongs, close frames. Not while
 * wslay is already receiving or sending (a callback sent or closed):
 * the outer call pumps once it is done. */
static int pump(siphon_ws *ws)
{
    if (ws->state != WS_OPEN || ws->sending || ws->receiving)
        return 0;
    ws->sending = true;
    int r = wslay_event_send(ws->ctx);
    if (r == 0 && ws->close_pending) {
        /* wslay sends control frames before queued data; a close queued
         * behind messages must not overtake them, so it is queued only
         * once they are out (the send callback took them all) */
        ws->close_pending = false;
        /* fails only when a close is already queued (the peer's echo) */
        (void)wslay_event_queue_close(ws->ctx, WSLAY_CODE_NORMAL_CLOSURE,
                                      NULL, 0);
        r = wslay_event_send(ws->ctx);
    }
    ws->sending = false;
    if (r == 0)
        return 0;
    if (ws->io_err)
        return fail(ws, ws->io_err, "write: %s", siphon_errname(ws->io_err));
    if (r == WSLAY_ERR_NOMEM)
        return fail(ws, SIPHON_ENOMEM, "frame: out of memory");
    return fail(ws, SIPHON_EIO, "frame: no random bytes for a masking key");
}

/* Frame bytes, once the handshake is done. */
static int frames(siphon_ws *ws, const char *bytes, size_t len)
{
    /* after the peer's close frame (or a violation) nothing is read */
    if (len == 0 || !wslay_event_get_read_enabled(ws->ctx))
        return 0;
    ws->in = (const uint8_t *)bytes;
    ws->in_len = len;
    ws->receiving = true;
    int r = wslay_event_recv(ws->ctx);
    ws->receiving = false;
    ws->in = NULL;
    ws->in_len = 0;
    /* wslay stops reading on a violation it answered with a close frame;
     * a close frame from the peer stops it too, but that is no error */
    bool broke = r == 0 && !wslay_event_get_read_enabled(ws->ctx) &&
                 !wslay_event_get_close_received(ws->ctx);
    int s = pump(ws); /* the close frame goes out before we report */
    if (r == WSLAY_ERR_NOMEM)
        return fail(ws, SIPHON_ENOMEM, "frame: out of memory");
    if (r != 0)
        return fail(ws, SIPHON_EPARSE,
                    "frame: malformed frame header (RFC 6455 §5.2, §5.5)");
    if (s)
        return s;
    if (!broke)
        return 0;
    switch (wslay_event_get_status_code_sent(ws->ctx)) {
    case WSLAY_CODE_MESSAGE_TOO_BIG:
        return fail(ws, SIPHON_ETOOBIG,
                    "frame: message longer than %zu bytes, close 1009 sent",
                    ws->max_message);
    case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
        return fail(ws, SIPHON_EPARSE,
                    "frame: text message is not UTF-8 (RFC 6455 §8.1), "
                    "close 1007 sent");
    default:
        return fail(ws, SIPHON_EPARSE,
                    "frame: protocol violation, close 1002 sent (one of: "
                    "%s frame, reserved bit or opcode, fragment order, "
                    "close code; RFC 6455 §5.1-5.5, §7.4)",
                    ws->server ? "unmasked" : "masked");
    }
}

/* ---- handshake ---------------------------------------------------------- */

static int write_all(siphon_ws *ws, const char *s, size_t n)
{
    int rc = ws->io.write(ws->io.arg, s, n);
    if (rc < 0)
        return fail(ws, rc, "write: %s", siphon_errname(rc));
    return 0;
}

/* The handshake succeeded: frames may flow, and whatever the caller
 * queued meanwhile goes out now. */
static int go_open(siphon_ws *ws)
{
    ws->state = WS_OPEN;
    free(ws->head);
    ws->head = NULL;
    ws->head_len = ws->head_cap = 0;
    return pump(ws);
}

/* Refuse an upgrade request: an HTTP error response, then the error. */
static int reject(siphon_ws *ws, int status, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int reject(siphon_ws *ws, int status, int err, const char *fmt, ...)
{
    char text[sizeof ws->errtext];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    const char *resp;
    switch (status) {
    case 426: /* RFC 6455 §4.2.2: say which version we speak */
        resp = "HTTP/1.1 426 Upgrade Required\r\n"
               "Sec-WebSocket-Version: 13\r\n"
               "Connection: close\r\nContent-Length: 0\r\n\r\n";
        break;
    case 500:
        resp = "HTTP/1.1 500 Internal Server Error\r\n"
               "Connection: close\r\nContent-Length: 0\r\n\r\n";
        break;
    case 431: /* RFC 6585 §5 */
        resp = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
               "Connection: close\r\nContent-Length: 0\r\n\r\n";
        break;
    default:
        resp = "HTTP/1.1 400 Bad Request\r\n"
               "Connection: close\r\nContent-Length: 0\r\n\r\n";
        break;
    }
    /* a write error here loses to the reason we are refusing */
    (void)ws->io.write(ws->io.arg, resp, strlen(resp));
    return fail(ws, err, "%s", text);
}

/* RFC 6455 §4.2.2: answer the upgrade request with 101 or an error. */
static int server_handshake(siphon_ws *ws, const char *p, size_t len)
{
    char acc[29], why[sizeof ws->errtext];
    int status = 0;
    int rc = siphon_ws_check_request_(p, len, acc, &status, why, sizeof why);
    if (rc)
        return reject(ws, status, rc, "%s", why);
    /* no Sec-WebSocket-Extensions: none is offered, so wslay rejects
     * frames with reserved bits set (RFC 6455 §5.2) */
    char resp[256];
    int m = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n"
                     "Sec-WebSocket-Protocol: sip\r\n\r\n", acc);
    if ((rc = write_all(ws, resp, (size_t)m)) != 0)
        return rc;
    return go_open(ws);
}

/* RFC 6455 §4.1: check the server's answer. */
static int client_handshake(siphon_ws *ws, const char *p, size_t len)
{
    char why[sizeof ws->errtext];
    int rc = siphon_ws_check_response_(p, len, ws->accept, why, sizeof why);
    if (rc)
        return fail(ws, rc, "%s", why);
    return go_open(ws);
}

/* Collect the head; *used says how many of the bytes belonged to it. */
static int handshake(siphon_ws *ws, const char *bytes, size_t len,
                     size_t *used)
{
    *used = len;
    size_t room = ws->max_handshake - ws->head_len;
    size_t take = len < room ? len : room;
    if (ws->head_len + take > ws->head_cap) {
        size_t cap = ws->head_cap ? ws->head_cap : 512;
        while (cap < ws->head_len + take)
            cap *= 2;
        if (cap > ws->max_handshake)
            cap = ws->max_handshake;
        char *h = realloc(ws->head, cap);
        if (!h)
            return fail(ws, SIPHON_ENOMEM, "handshake: out of memory");
        ws->head = h;
        ws->head_cap = cap;
    }
    size_t old = ws->head_len;
    if (take)
        memcpy(ws->head + old, bytes, take);
    ws->head_len += take;
    size_t end = siphon_ws_head_end_(ws->head, ws->head_len, &ws->scan);
    if (end == 0) {
        if (ws->head_len < ws->max_handshake)
            return 0;
        if (ws->server)
            return reject(ws, 431, SIPHON_ETOOBIG,
                          "handshake: request head longer than %zu bytes",
                          ws->max_handshake);
        return fail(ws, SIPHON_ETOOBIG,
                    "handshake: response head longer than %zu bytes",
                    ws->max_handshake);
    }
    /* the rest of this read is frames (RFC 6455 §4.1: the server may
     * send them right behind its 101) */
    *used = end - old;
    ws->head_len = end;
    return ws->server ? server_handshake(ws, ws->head, end)
                      : client_handshake(ws, ws->head, end);
}

/* ---- the interface ------------------------------------------------------ */

static int ws_new(const siphon_ws_io *io, const siphon_ws_opts *o,
                  bool server, siphon_ws **out)
{
    if (!out)
        return SIPHON_EINVAL;
    *out = NULL;
    if (!io || !io->write || !io->message)
        return SIPHON_EINVAL;
    siphon_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return SIPHON_ENOMEM;
    ws->io = *io;
    ws->server = server;
    ws->state = WS_HANDSHAKE;
    ws->max_message = o && o->max_message ? o->max_message
                                          : SIPHON_WS_MAX_MESSAGE;
    ws->max_handshake = o && o->max_handshake ? o->max_handshake
                                              : SIPHON_WS_MAX_HANDSHAKE;
    struct wslay_event_callbacks cb = {
        .recv_callback = on_recv,
        .send_callback = on_send,
        .genmask_callback = on_genmask,
        .on_msg_recv_callback = on_msg,
    };
    int r = server ? wslay_event_context_server_init(&ws->ctx, &cb, ws)
                   : wslay_event_context_client_init(&ws->ctx, &cb, ws);
    if (r != 0) {
        free(ws);
        return SIPHON_ENOMEM;
    }
    /* wslay applies its limit to control frames too: a limit below the
     * largest control payload (125, RFC 6455 §5.5) would refuse a
     * legitimate ping, so small limits are checked in on_msg instead */
    wslay_event_config_set_max_recv_msg_length(
        ws->ctx, ws->max_message < 125 ? 125 : ws->max_message);
    *out = ws;
    return 0;
}

int siphon_ws_server_new_(const siphon_ws_io *io, const siphon_ws_opts *o,
                          siphon_ws **out)
{
    return ws_new(io, o, true, out);
}

/* A value we put in a header line: no control characters (they would
 * end the line early: header injection), and no blanks unless allowed. */
static bool header_safe(const char *s, bool blanks)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || (!blanks && c == ' '))
            return false;
    }
    return true;
}

int siphon_ws_client_new_(const siphon_ws_io *io, const siphon_ws_opts *o,
                          siphon_ws **out)
{
    if (out)
        *out = NULL;
    if (!o || !o->host || !*o->host || !header_safe(o->host, false))
        return SIPHON_EINVAL;
    const char *path = o->path && *o->path ? o->path : "/";
    if (!header_safe(path, false) ||
        (o->origin && !header_safe(o->origin, true)))
        return SIPHON_EINVAL;
    siphon_ws *ws;
    int rc = ws_new(io, o, false, &ws);
    if (rc)
        return rc;
    /* RFC 6455 §4.1 item 7: a fresh random 16-byte nonce per connection */
    unsigned char nonce[16];
    char key[25];
    if (RAND_bytes(nonce, sizeof nonce) != 1 ||
        EVP_EncodeBlock((unsigned char *)key, nonce, sizeof nonce) != 24 ||
        siphon_ws_accept_(key, 24, ws->accept) != 0) {
        siphon_ws_free_(ws);
        return SIPHON_EIO;
    }
    static const char fmt[] = "GET %s HTTP/1.1\r\n"
                              "Host: %s\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: %s\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Protocol: sip\r\n"
                              "%s%s%s"
                              "\r\n";
    const char *o1 = o->origin ? "Origin: " : "";
    const char *o2 = o->origin ? o->origin : "";
    const char *o3 = o->origin ? "\r\n" : "";
    int n = snprintf(NULL, 0, fmt, path, o->host, key, o1, o2, o3);
    char *req = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!req) {
        siphon_ws_free_(ws);
        return SIPHON_ENOMEM;
    }
    snprintf(req, (size_t)n + 1, fmt, path, o->host, key, o1, o2, o3);
    rc = ws->io.write(ws->io.arg, req, (size_t)n);
    free(req);
    if (rc < 0) {
        siphon_ws_free_(ws);
        return rc;
    }
    *out = ws;
    return 0;
}

int siphon_ws_feed_(siphon_ws *ws, const char *bytes, size_t len)
{
    if (!ws || (!bytes && len))
        return SIPHON_EINVAL;
    if (ws->err)
        return ws->err;
    if (ws->feeding || ws->receiving || ws->sending)
        return SIPHON_ESTATE;
    ws->feeding = true;
    int rc = 0;
    if (ws->state == WS_HANDSHAKE) {
        size_t used;
        rc = handshake(ws, bytes, len, &used);
        bytes += used;
        len -= used;
    }
    if (rc == 0 && ws->state == WS_OPEN)
        rc = frames(ws, bytes, len);
    ws->feeding = false;
    return rc;
}

int siphon_ws_send_(siphon_ws *ws, const void *bytes, size_t len)
{
    if (!ws || (!bytes && len))
        return SIPHON_EINVAL;
    if (ws->err || ws->close_called ||
        wslay_event_get_close_received(ws->ctx) ||
        !wslay_event_get_write_enabled(ws->ctx))
        return SIPHON_ESTATE;
    /* RFC 7118 §5.1: text when the message is UTF-8, binary otherwise */
    struct wslay_event_msg m = {
        .opcode = siphon_ws_utf8_valid_(bytes, len) ? WSLAY_TEXT_FRAME
                                                    : WSLAY_BINARY_FRAME,
        .msg = len ? bytes : (const uint8_t *)"",
        .msg_length = len,
    };
    int r = wslay_event_queue_msg(ws->ctx, &m);
    if (r == WSLAY_ERR_NOMEM)
        return SIPHON_ENOMEM;
    if (r == WSLAY_ERR_NO_MORE_MSG)
        return SIPHON_ESTATE;
    if (r != 0)
        return SIPHON_EINVAL;
    return pump(ws);
}

bool siphon_ws_is_open_(const siphon_ws *ws)
{
    return ws && ws->state == WS_OPEN;
}

bool siphon_ws_is_done_(const siphon_ws *ws)
{
    if (!ws || ws->err)
        return true;
    return wslay_event_get_close_received(ws->ctx) &&
           wslay_event_get_close_sent(ws->ctx);
}

void siphon_ws_close_(siphon_ws *ws)
{
    if (!ws || ws->err || ws->close_called)
        return;
    ws->close_called = true;
    ws->close_pending = true;
    (void)pump(ws);
}

const char *siphon_ws_error_(const siphon_ws *ws)
{
    return ws ? ws->errtext : "";
}

void siphon_ws_free_(siphon_ws *ws)
{
    if (!ws)
        return;
    wslay_event_context_free(ws->ctx);
    free(ws->head);
    free(ws);
}
