/*
 * fuzz_ws.c -- fuzz harness for the WebSocket layer (lib/net/ws.c): the
 * RFC 6455 §4 opening handshake as RFC 7118 §4.1 profiles it, on both
 * sides, and RFC 6455 §5 framing through wslay.
 *
 * Input layout:
 *   byte 0   flags:  bit 0    role: 0 server, 1 client
 *                    bits 1-2 max_message: default (65535), 16, 200, 4096
 *                    bits 3-4 max_handshake: default (8192), 64, 512, 2048
 *                    bit 5    every write after the first fails (EIO)
 *                    bit 6    the message callback sends each message back
 *   then a script of steps, each starting with one byte c:
 *     c < 0xf0   feed the next c + 1 bytes (fewer at the end)
 *     0xf0       feed everything that is left, at once
 *     0xf1       siphon_ws_close_()
 *     0xf2 n     siphon_ws_send_() of the next n bytes
 *     0xf3..0xff feed the next (c - 0xf2) * 256 bytes
 * For the client role, every "@SEC-WEBSOCKET-ACCEPT-VALUE@" in the input
 * (after byte 0) is first replaced by the Sec-WebSocket-Accept that
 * matches the random key the client just sent, so that seeds (and the
 * fuzzer) get past the handshake to the frames. The marker has the
 * accept value's length (28), so step lengths stay right.
 *
 * Invariants:
 *   - no message is longer than max_message; a text message is UTF-8;
 *   - feed returns 0 or a documented code, and after an error it keeps
 *     returning that error, is_done holds and the error text is set;
 *   - the client's first bytes are a GET; a server that opened wrote a
 *     101 first, one that refused wrote an HTTP 4xx;
 *   - siphon_ws_free_ releases everything (LeakSanitizer).
 *
 * FUZZ_WS_TRACE=1 in the environment prints where each input ended
 * (open, done, error and its text): "fuzz_ws_replay -v corpus/fuzz_ws".
 */
#include "fuzz_common.h"

#include "net/ws_internal.h"

typedef struct harness {
    siphon_ws *ws;
    size_t max_message;
    bool fail_writes, echo;
    size_t writes;
    char first[16]; /* the first bytes ever written */
    size_t first_len;
    char key[25];   /* client: the Sec-WebSocket-Key sent */
} harness;

static int h_write(void *arg, const void *bytes, size_t len)
{
    harness *h = arg;
    if (h->fail_writes && h->writes > 0)
        return SIPHON_EIO;
    if (h->writes == 0) {
        h->first_len = len < sizeof h->first ? len : sizeof h->first;
        memcpy(h->first, bytes, h->first_len);
        /* the client's GET: remember the key to forge the accept */
        const char *k = memmem(bytes, len, "Sec-WebSocket-Key: ", 19);
        if (k && (size_t)((const char *)bytes + len - k) >= 19 + 24) {
            memcpy(h->key, k + 19, 24);
            h->key[24] = '\0';
        }
    }
    h->writes++;
    fuzz_touch(siphon_str_make(bytes, len));
    return 0;
}

static void h_message(void *arg, const char *bytes, size_t len, bool text)
{
    harness *h = arg;
    if (len > h->max_message)
        fuzz_fail("message of %zu bytes, limit %zu", len, h->max_message);
    if (text && !siphon_ws_utf8_valid_(bytes, len))
        fuzz_fail("text message that is not UTF-8");
    fuzz_touch(siphon_str_make(bytes, len));
    if (h->echo) {
        int rc = siphon_ws_send_(h->ws, bytes, len);
        if (rc != 0 && rc != SIPHON_ESTATE && rc != SIPHON_EIO)
            fuzz_fail("send from the message callback returned %d (%s)", rc,
                      siphon_errname(rc));
    }
}

/* The marker for the accept value; as long as the value itself. */
static const char accept_marker[] = "@SEC-WEBSOCKET-ACCEPT-VALUE@";

/* Replace each marker in p[0, n) by acc, in place. */
static void fill_accept(char *p, size_t n, const char *acc)
{
    size_t ml = sizeof accept_marker - 1;
    for (size_t i = 0; i + ml <= n; i++) {
        if (memcmp(p + i, accept_marker, ml) == 0) {
            memcpy(p + i, acc, ml);
            i += ml - 1;
        }
    }
}

static void check_error(harness *h, int rc, int *sticky)
{
    if (rc == 0)
        return;
    if (rc != SIPHON_EPARSE && rc != SIPHON_ETOOBIG && rc != SIPHON_ENOMEM &&
        rc != SIPHON_EIO)
        fuzz_fail("siphon_ws_feed_ returned %d (%s)", rc, siphon_errname(rc));
    if (*sticky && rc != *sticky)
        fuzz_fail("error changed from %d to %d", *sticky, rc);
    *sticky = rc;
    if (!siphon_ws_is_done_(h->ws))
        fuzz_fail("error %d but not done", rc);
    const char *t = siphon_ws_error_(h->ws);
    if (!t || !*t)
        fuzz_fail("error %d without text", rc);
    fuzz_touch_cstr(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const size_t msg_limits[4] = {0, 16, 200, 4096};
    static const size_t head_limits[4] = {0, 64, 512, 2048};
    uint8_t flags = data[0];
    bool client = flags & 1;
    harness h;
    memset(&h, 0, sizeof h);
    h.fail_writes = flags & 0x20;
    h.echo = flags & 0x40;
    siphon_ws_opts o = {
        .max_message = msg_limits[(flags >> 1) & 3],
        .max_handshake = head_limits[(flags >> 3) & 3],
        .host = "sip.example.com",
        .path = "/ws",
    };
    h.max_message = o.max_message ? o.max_message : SIPHON_WS_MAX_MESSAGE;
    siphon_ws_io io = {.write = h_write, .message = h_message, .arg = &h};
    int rc = client ? siphon_ws_client_new_(&io, &o, &h.ws)
                    : siphon_ws_server_new_(&io, &o, &h.ws);
    if (rc != 0) {
        if (h.ws)
            fuzz_fail("constructor failed with %d but handed out an object",
                      rc);
        return 0;
    }
    if (client && (h.first_len < 4 || memcmp(h.first, "GET ", 4) != 0))
        fuzz_fail("the client did not start with a GET");

    /* the script, with the accept filled in for the client */
    char acc[29] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    if (client && siphon_ws_accept_(h.key, strlen(h.key), acc) != 0)
        fuzz_fail("no accept value for the client's key");
    _Static_assert(sizeof accept_marker == sizeof acc, "marker length");
    size_t n = size - 1;
    char *s = malloc(n ? n : 1);
    if (!s)
        abort();
    memcpy(s, data + 1, n);
    if (client)
        fill_accept(s, n, acc);

    int sticky = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t c = (uint8_t)s[i++];
        size_t len;
        if (c == 0xf1) {
            siphon_ws_close_(h.ws);
            continue;
        }
        if (c == 0xf2) {
            len = i < n ? (uint8_t)s[i++] : 0;
            if (len > n - i)
                len = n - i;
            /* an exact-size copy, so ASan sees reads past the end */
            char *m = malloc(len ? len : 1);
            if (!m)
                abort();
            memcpy(m, s + i, len);
            i += len;
            rc = siphon_ws_send_(h.ws, m, len);
            free(m);
            if (rc != 0 && rc != SIPHON_ESTATE && rc != SIPHON_EIO)
                fuzz_fail("siphon_ws_send_ returned %d (%s)", rc,
                          siphon_errname(rc));
            if (rc == SIPHON_EIO)
                check_error(&h, rc, &sticky);
            continue;
        }
        if (c < 0xf0)
            len = (size_t)c + 1;
        else if (c == 0xf0)
            len = n - i;
        else
            len = (size_t)(c - 0xf2) * 256;
        if (len > n - i)
            len = n - i;
        char *chunk = malloc(len ? len : 1);
        if (!chunk)
            abort();
        memcpy(chunk, s + i, len);
        i += len;
        rc = siphon_ws_feed_(h.ws, chunk, len);
        free(chunk);
        if (sticky && rc != sticky)
            fuzz_fail("feed after error %d returned %d", sticky, rc);
        check_error(&h, rc, &sticky);
    }
    free(s);

    if (sticky)
        check_error(&h, siphon_ws_feed_(h.ws, "x", 1), &sticky);
    if (!client && h.writes > 0 && !h.fail_writes) {
        bool ok101 = h.first_len >= 13 &&
                     memcmp(h.first, "HTTP/1.1 101 ", 13) == 0;
        bool ok4xx = h.first_len >= 10 &&
                     memcmp(h.first, "HTTP/1.1 4", 10) == 0;
        if (siphon_ws_is_open_(h.ws) ? !ok101 : !ok4xx)
            fuzz_fail("server (open %d) first wrote \"%.*s\"",
                      siphon_ws_is_open_(h.ws), (int)h.first_len, h.first);
    }
    /* FUZZ_WS_TRACE=1: one line per input, to see where seeds end up */
    if (getenv("FUZZ_WS_TRACE"))
        fprintf(stderr, "fuzz_ws: %s open %d done %d error %d \"%s\"\n",
                client ? "client" : "server", siphon_ws_is_open_(h.ws),
                siphon_ws_is_done_(h.ws), sticky, siphon_ws_error_(h.ws));
    fuzz_sink ^= (uint32_t)siphon_ws_is_open_(h.ws) ^
                 (uint32_t)siphon_ws_is_done_(h.ws);
    siphon_ws_free_(h.ws);
    return 0;
}
