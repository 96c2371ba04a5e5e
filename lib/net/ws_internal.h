/*
 * ws_internal.h -- the WebSocket layer for SIP over WebSocket (RFC 7118
 * over RFC 6455), sans-I/O: bytes read from a TCP (or TLS) connection go
 * in through siphon_ws_feed_(), bytes to write come out through
 * io->write, and whole SIP messages come out through io->message. It
 * makes no system call and reads no clock, so that unit tests and the
 * fuzz harness drive it from memory. The connection pipeline in
 * tcp*.c owns one per WS connection; outside lib/net only
 * tests/unit/test_net_ws.c and fuzz/fuzz_ws.c may use this header.
 *
 * Threading: none; one siphon_ws belongs to one connection. Callbacks
 * run inside siphon_ws_feed_, siphon_ws_send_, siphon_ws_close_ and
 * siphon_ws_client_new_. From inside a callback, siphon_ws_send_ and
 * siphon_ws_close_ may be called (their frames go out when the outer
 * call returns); siphon_ws_feed_ returns SIPHON_ESTATE and
 * siphon_ws_free_ must not be called.
 */
#ifndef SIPHON_WS_INTERNAL_H
#define SIPHON_WS_INTERNAL_H

#include <siphon/base.h>

#include <stdbool.h>
#include <stddef.h>

/* Defaults for the limits in siphon_ws_opts when they are 0. */
#define SIPHON_WS_MAX_MESSAGE 65535
#define SIPHON_WS_MAX_HANDSHAKE 8192

typedef struct siphon_ws siphon_ws;

typedef struct siphon_ws_io {
    /* Write bytes toward the peer (handshake text, frames). Must accept
     * everything (the connection queues); returns 0 or a negative
     * SIPHON_E* code which ws propagates. */
    int (*write)(void *arg, const void *bytes, size_t len);
    /* One whole WebSocket message = one SIP message (RFC 7118 §5).
     * text: the opcode was text. bytes is valid only during the call. */
    void (*message)(void *arg, const char *bytes, size_t len, bool text);
    void *arg;
} siphon_ws_io;

typedef struct siphon_ws_opts {
    size_t max_message;   /* largest reassembled message accepted
                             (SIPHON_WS_MAX_MESSAGE when 0) */
    size_t max_handshake; /* largest HTTP upgrade head, the empty line
                             included (SIPHON_WS_MAX_HANDSHAKE when 0) */
    const char *host;     /* client: Host header value (required) */
    const char *path;     /* client: request-target, default "/" */
    const char *origin;   /* client: optional Origin header */
} siphon_ws_opts;

/*
 * A server side: waits for the client's upgrade request. io is copied
 * (write and message are required); o may be NULL for the defaults.
 * Returns 0 and sets *out (the caller frees it), SIPHON_EINVAL or
 * SIPHON_ENOMEM.
 */
int siphon_ws_server_new_(const siphon_ws_io *io, const siphon_ws_opts *o,
                          siphon_ws **out);

/*
 * A client side: writes the GET upgrade request at once (through
 * io->write) with a fresh random Sec-WebSocket-Key and
 * "Sec-WebSocket-Protocol: sip" (RFC 7118 §4.1). o->host is required;
 * host, path and origin must hold no control characters (no header
 * injection). Returns 0 and sets *out, SIPHON_EINVAL, SIPHON_ENOMEM,
 * SIPHON_EIO (no random bytes) or the write callback's error (then
 * nothing is handed out).
 */
int siphon_ws_client_new_(const siphon_ws_io *io, const siphon_ws_opts *o,
                          siphon_ws **out);

/*
 * Bytes read from the connection. Returns 0 to go on, SIPHON_EPARSE for
 * a bad handshake or a protocol violation (for a bad upgrade request
 * the server first writes an HTTP error response: 400, 426 with
 * "Sec-WebSocket-Version: 13" for a version other than 13, 431 for an
 * oversized head), SIPHON_ETOOBIG for an oversized head or message,
 * SIPHON_ENOMEM, or the write callback's error; after any of them the
 * connection must be closed, and every later call returns the same
 * code. For a frame-level violation a close frame (1002, 1007 or 1009,
 * RFC 6455 §7.4.1) has been written before the return. Bytes that
 * arrive after the peer's close frame are ignored. SIPHON_ESTATE when
 * called from inside a callback.
 */
int siphon_ws_feed_(siphon_ws *ws, const char *bytes, size_t len);

/*
 * Send one SIP message as one WebSocket message: a text frame when it is
 * valid UTF-8, else binary (RFC 7118 §5.1); client frames are masked
 * (RFC 6455 §5.3). The bytes are copied. Before the handshake completes
 * the message is queued and sent right after. Returns 0, SIPHON_ESTATE
 * after a close (ours or the peer's) or an error, SIPHON_ENOMEM,
 * SIPHON_EINVAL, or the write callback's error.
 */
int siphon_ws_send_(siphon_ws *ws, const void *bytes, size_t len);

/* The opening handshake completed (stays true after a close or error). */
bool siphon_ws_is_open_(const siphon_ws *ws);

/*
 * The closing handshake finished (close frames sent and received), or
 * the peer closed and our echo went out, or an error happened: close the
 * TCP connection once queued output is written.
 */
bool siphon_ws_is_done_(const siphon_ws *ws);

/* Start the closing handshake (status 1000, RFC 6455 §7.1.2). The close
 * frame follows the messages already queued (before the handshake
 * completes: right behind the 101 and them). A second call does
 * nothing. */
void siphon_ws_close_(siphon_ws *ws);

/* Text of the last error for log lines, saying what and where
 * ("handshake: missing Sec-WebSocket-Key"); "" when none. Never NULL. */
const char *siphon_ws_error_(const siphon_ws *ws);

/* Free everything (NULL is allowed). Not from inside a callback. */
void siphon_ws_free_(siphon_ws *ws);

/* ---- the HTTP side (ws_handshake.c), pure functions ---------------- */

/*
 * Where a head ends: the offset just past the empty line that ends it in
 * h[0, len) (CRLF or bare LF line ends), or 0 while it has not arrived.
 * *scan (0 at first) remembers how far earlier calls looked, so that a
 * head that arrives byte by byte is scanned once.
 */
size_t siphon_ws_head_end_(const char *h, size_t len, size_t *scan);

/*
 * Check a complete upgrade request head (RFC 6455 §4.2.1, RFC 7118 §4.1).
 * Returns 0 with *status 101 and accept filled in (28 characters and a
 * NUL); else SIPHON_EPARSE with *status the HTTP status to refuse with
 * (400, or 426 for a Sec-WebSocket-Version other than 13), or SIPHON_EIO
 * with 500 (OpenSSL failed). why gets the reason for log lines
 * ("handshake: missing Sec-WebSocket-Key"), cap bytes at most.
 */
int siphon_ws_check_request_(const char *head, size_t len, char accept[29],
                             int *status, char *why, size_t cap);

/*
 * Check a complete response head against the accept value expected
 * (RFC 6455 §4.1 items 1-6, RFC 7118 §4.1). Returns 0, or SIPHON_EPARSE
 * and the reason in why.
 */
int siphon_ws_check_response_(const char *head, size_t len,
                              const char *accept, char *why, size_t cap);

/*
 * Sec-WebSocket-Accept for a Sec-WebSocket-Key value (RFC 6455 §4.2.2
 * step 5.4): base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")),
 * 28 characters and a NUL in out. Returns 0, SIPHON_EINVAL (key too
 * long) or SIPHON_EIO (OpenSSL failed). Tests use it to forge responses.
 */
int siphon_ws_accept_(const char *key, size_t key_len, char out[29]);

/* Whether len bytes are well-formed UTF-8 (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
bool siphon_ws_utf8_valid_(const void *bytes, size_t len);

#endif
