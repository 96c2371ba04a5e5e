/*
 * tcp_ws.c -- SIP over WebSocket (RFC 7118) on the stream pipeline: the
 * glue between a connection and the sans-I/O WebSocket layer (ws.c).
 *
 * Bytes read from the connection (plain for ws, decrypted for wss) go to
 * siphon_ws_feed_() instead of the SIP framer: RFC 7118 §5.2 carries one
 * SIP message per WebSocket message, so no Content-Length framing
 * happens here and the message is handed up whole. Frames the WS layer
 * writes (the upgrade request or 101 reply, frames, pongs, close) land
 * in the connection's output queue and go out through the byte layer.
 *
 * Roles follow the connection: an accepted connection is the WS server
 * (it waits for the GET upgrade with "Sec-WebSocket-Protocol: sip",
 * RFC 7118 §4.1), one we connected is the client (its GET is queued when
 * the connection is made, so it leaves right after the connect or TLS
 * handshake). The upgrade counts against first_msg_timeout for accepted
 * connections and connect_timeout for ours (tcp_conn.c). When the WS
 * layer says the closing handshake is over, the connection closes once
 * its output is flushed.
 */
#include "tcp_internal.h"

#include <stdio.h>
#include <string.h>

static int ws_write(void *arg, const void *bytes, size_t len)
{
    siphon_tcp_conn *c = arg;
    /* The WS layer cannot take bytes back, so the queue ceiling was
     * checked before the message was handed to it (conn_send_). */
    return siphon_tcp_conn_queue_(c, bytes, len);
}

static void ws_message(void *arg, const char *bytes, size_t len, bool text)
{
    siphon_tcp_conn *c = arg;
    siphon_tcp *tcp = c->tcp;
    (void)text; /* RFC 7118 §5.1: SIP may come in text or binary frames */
    /* A callback earlier in this feed may have closed the connection or
     * the transport; the WS layer still holds what followed. */
    if (c->state == CONN_DEAD || tcp->closed)
        return;
    c->got_message = true;
    c->active_ms = c->ws_now;
    tcp->stats.rx_messages++;
    tcp->cb(tcp, c, bytes, len, (const struct sockaddr *)&c->peer,
            (const struct sockaddr *)&c->local, c->ws_now, tcp->arg);
}

int siphon_tcp_ws_init_(siphon_tcp_conn *c)
{
    const siphon_tcp_config *cfg = &c->tcp->cfg;
    siphon_ws_io io = {.write = ws_write, .message = ws_message, .arg = c};
    siphon_ws_opts o = {
        .max_message = cfg->parse.max_msg_size,
        .max_handshake = cfg->ws_max_handshake,
        .path = cfg->ws_path,
        .origin = cfg->ws_origin,
    };
    if (c->inbound)
        return siphon_ws_server_new_(&io, &o, &c->ws);
    /* Host (RFC 6455 §4.1 item 4): the server's name when the caller
     * gave one, else the address we connect to. */
    char host[SIPHON_ADDR_STRLEN];
    if (c->server_name)
        snprintf(host, sizeof host, "%s", c->server_name);
    else
        siphon_tcp_peer_text_(c, host, sizeof host);
    o.host = host;
    return siphon_ws_client_new_(&io, &o, &c->ws);
}

/* Count the upgrade once it completes (either role). */
static void note_open(siphon_tcp_conn *c)
{
    if (!c->ws_counted && siphon_ws_is_open_(c->ws)) {
        c->ws_counted = true;
        c->tcp->stats.ws_upgrades++;
    }
}

bool siphon_tcp_ws_input_(siphon_tcp_conn *c, const char *bytes, size_t len,
                          uint64_t now)
{
    siphon_tcp *tcp = c->tcp;
    if (c->close_when_flushed)
        return true; /* closing: what the peer still sends is moot */
    c->ws_now = now;
    c->active_ms = now;
    int rv = siphon_ws_feed_(c->ws, bytes, len);
    if (c->state == CONN_DEAD || tcp->closed)
        return false;
    note_open(c);
    if (rv < 0) {
        char who[SIPHON_ADDR_STRLEN];
        const char *why = siphon_ws_error_(c->ws);
        siphon_log(SIPHON_LOG_WARN, "net",
                   "ws %s: %s, closing connection: %s",
                   siphon_tcp_peer_text_(c, who, sizeof who),
                   siphon_ws_is_open_(c->ws) ? "protocol error"
                                             : "upgrade failed",
                   *why ? why : siphon_errname(rv));
        if (!c->ws_failed) {
            c->ws_failed = true;
            tcp->stats.ws_failures++;
        }
        tcp->stats.framing_errors++;
        /* The WS layer may have queued an HTTP error reply (400, 426)
         * or a close frame (1002, 1009): it goes out first, then the
         * connection closes with the error (tcp_conn.c, conn_after_io).
         * A peer that never reads is cut off by the connection's
         * deadline. */
        c->close_err = rv == SIPHON_ETOOBIG || rv == SIPHON_ENOMEM
                           ? rv
                           : SIPHON_EPARSE;
        c->close_when_flushed = true;
        return true;
    }
    if (siphon_ws_is_done_(c->ws))
        c->close_when_flushed = true;
    return true;
}

int siphon_tcp_ws_send_(siphon_tcp_conn *c, const void *bytes, size_t len)
{
    int rv = siphon_ws_send_(c->ws, bytes, len);
    if (siphon_ws_is_done_(c->ws))
        c->close_when_flushed = true;
    return rv;
}
