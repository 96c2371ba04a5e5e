/*
 * test_ua.c -- the endpoint over real loopback sockets: requests through
 * client transactions, server transactions answering, received/rport
 * (RFC 3261 §18.2.1, RFC 3581), response routing (§18.2.2), the 400 for
 * malformed requests, the §18.1.1 switch to TCP, timeouts on a virtual
 * clock, ACK handling and captures.
 */
#include "test_net_tcp_support.h"
#include "unit.h"

#include <siphon/ua.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a test endpoint saw. */
typedef struct side {
    siphon_ua *ua;
    char addr[SIPHON_ADDR_STRLEN];       /* UDP */
    char tcp_addr[SIPHON_ADDR_STRLEN];
    char uri[128];                       /* sip:b@<UDP address> */
    int requests, strays, acks, server_errors;
    siphon_msg *last_req;
    siphon_ua_flow last_flow;
    int answer;                          /* status to answer with, 0: none */
    /* client side */
    int responses, finals, last_status, last_err;
    siphon_msg *last_resp;
} side;

static void on_request(void *arg, siphon_ua *ua, siphon_txn *stx,
                       siphon_msg *req, const siphon_ua_flow *from)
{
    side *s = arg;
    if (!stx) {
        s->acks++;
    } else {
        s->requests++;
    }
    siphon_msg_unref(s->last_req);
    s->last_req = siphon_msg_ref(req);
    s->last_flow = *from;
    if (stx && s->answer) {
        siphon_msg *resp = NULL;
        CHECK_INT(siphon_msg_response(req, s->answer, SIPHON_STR_NULL,
                                      siphon_str_c("srv1"), &resp),
                  0);
        CHECK_INT(siphon_ua_respond(ua, stx, resp), 0);
        siphon_msg_unref(resp);
    }
}

static void on_stray(void *arg, siphon_ua *ua, siphon_msg *m,
                     const siphon_ua_flow *from)
{
    side *s = arg;
    (void)ua;
    (void)m;
    (void)from;
    s->strays++;
}

static void on_server_error(void *arg, siphon_ua *ua, siphon_txn *stx,
                            int err)
{
    side *s = arg;
    (void)ua, (void)stx, (void)err;
    s->server_errors++;
}

static void on_response(void *arg, siphon_ua_client *c, siphon_msg *resp,
                        int err, bool final)
{
    side *s = arg;
    (void)c;
    s->responses++;
    s->last_err = err;
    if (resp) {
        s->last_status = siphon_msg_status(resp);
        siphon_msg_unref(s->last_resp);
        s->last_resp = siphon_msg_ref(resp);
    }
    if (final)
        s->finals++;
}

typedef void request_fn(void *arg, siphon_ua *ua, siphon_txn *stx,
                        siphon_msg *req, const siphon_ua_flow *from);

static void side_open_with(siphon_loop *loop, side *s, bool tcp,
                           request_fn *on_req)
{
    memset(s, 0, sizeof *s);
    siphon_ua_handlers h = {.request = on_req, .stray = on_stray,
                            .server_error = on_server_error, .arg = s};
    CHECK_INT(siphon_ua_new(loop, NULL, &h, &s->ua), 0);
    struct sockaddr_storage a;
    CHECK_INT(siphon_ua_listen(s->ua, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               &a),
              0);
    siphon_addr_format((struct sockaddr *)&a, s->addr, sizeof s->addr);
    snprintf(s->uri, sizeof s->uri, "sip:b@%s", s->addr);
    if (tcp) {
        /* TCP on the same port number, as a SIP server listens (§18). */
        char same[SIPHON_ADDR_STRLEN];
        snprintf(same, sizeof same, "%s", s->addr);
        CHECK_INT(siphon_ua_listen(s->ua, SIPHON_RESOLVE_TCP, same, NULL, &a),
                  0);
        siphon_addr_format((struct sockaddr *)&a, s->tcp_addr,
                           sizeof s->tcp_addr);
    }
}

static void side_open(siphon_loop *loop, side *s, bool tcp)
{
    side_open_with(loop, s, tcp, on_request);
}

static void side_close(side *s)
{
    siphon_msg_unref(s->last_req);
    siphon_msg_unref(s->last_resp);
    siphon_ua_free(s->ua);
}

static void run_until(siphon_loop *loop, const int *count, int want)
{
    for (int i = 0; i < 300 && *count < want; i++)
        siphon_loop_run_once(loop, 10);
}

/* A loop with two endpoints, each on UDP and, when asked, TCP. */
static siphon_loop *pair_open(side *a, bool a_tcp, side *b, bool b_tcp)
{
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    side_open(loop, a, a_tcp);
    if (b)
        side_open(loop, b, b_tcp);
    return loop;
}

static void pair_close(siphon_loop *loop, side *a, side *b)
{
    side_close(a);
    if (b)
        side_close(b);
    siphon_loop_free(loop);
}

static siphon_msg *make_req(const char *method, const char *ruri,
                            size_t pad_body)
{
    char *body = calloc(1, pad_body + 1);
    memset(body, 'x', pad_body);
    char *text = NULL;
    int n = asprintf(&text,
                     "%s %s SIP/2.0\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:a@example.com>;tag=c1\r\n"
                     "To: <%s>\r\n"
                     "Call-ID: ua-test-%p\r\n"
                     "CSeq: 1 %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, ruri, ruri, (void *)body, method, pad_body, body);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK(n > 0);
    CHECK_INT(siphon_msg_parse(text, (size_t)n, NULL, &m, &err), 0);
    free(text);
    free(body);
    return m;
}

/* from sends a request to ruri and the loop runs until it has had
 * want_finals final answers in all. */
static void request_and_wait(siphon_loop *loop, side *from, const char *method,
                             const char *ruri, size_t pad, int want_finals)
{
    siphon_msg *req = make_req(method, ruri, pad);
    CHECK_INT(siphon_ua_request(from->ua, req, NULL, on_response, from, NULL),
              0);
    siphon_msg_unref(req);
    run_until(loop, &from->finals, want_finals);
}

/* A hand-written request from a raw socket: the Via is the caller's. */
static void raw_request(char *buf, size_t cap, const char *to_addr,
                        const char *start_extra, const char *via,
                        const char *call_id, const char *cseq)
{
    snprintf(buf, cap,
             "OPTIONS sip:b@%s SIP/2.0%s\r\nVia: %s\r\n"
             "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\n"
             "Call-ID: %s\r\nCSeq: %s OPTIONS\r\nContent-Length: 0\r\n\r\n",
             to_addr, start_extra, via, call_id, cseq);
}

UNIT_TEST(ua_options_udp_and_tcp)
{
    side a, b;
    siphon_loop *loop = pair_open(&a, true, &b, true);
    b.answer = 200;
    for (int tcp = 0; tcp < 2; tcp++) {
        char ruri[160];
        snprintf(ruri, sizeof ruri, "%s%s", b.uri,
                 tcp ? ";transport=tcp" : "");
        request_and_wait(loop, &a, "OPTIONS", ruri, 0, tcp + 1);
        CHECK_INT(a.finals, tcp + 1);
        CHECK_INT(a.last_status, 200);
        CHECK_INT(b.last_flow.transport,
                  tcp ? SIPHON_RESOLVE_TCP : SIPHON_RESOLVE_UDP);
        /* Our Via went out with the transport and rport (RFC 3581). */
        const siphon_via *v = siphon_msg_via(b.last_req);
        CHECK(v != NULL);
        CHECK_STR(v->transport, tcp ? "TCP" : "UDP");
        CHECK(v->has_rport);
        CHECK_INT(v->rport, siphon_addr_port(
                                (struct sockaddr *)&b.last_flow.peer));
    }
    pair_close(loop, &a, &b);
}

/* A raw UDP socket to play a hand-written peer. */
static int raw_udp(struct sockaddr_storage *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    socklen_t len = sizeof *bound;
    getsockname(fd, (struct sockaddr *)bound, &len);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void raw_send(int fd, const char *to, const char *text)
{
    struct sockaddr_storage sa;
    socklen_t len;
    CHECK_INT(siphon_addr_parse(siphon_str_c(to), &sa, &len), 0);
    CHECK(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&sa, len) > 0);
}

/* Run the loop while waiting for a datagram on fd. */
static ssize_t raw_recv(siphon_loop *loop, int fd, char *buf, size_t cap)
{
    for (int i = 0; i < 200; i++) {
        siphon_loop_run_once(loop, 5);
        ssize_t n = recv(fd, buf, cap - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            return n;
        }
    }
    return -1;
}

UNIT_TEST(ua_received_rport_and_routing)
{
    side b;
    siphon_loop *loop = pair_open(&b, false, NULL, false);
    b.answer = 200;
    struct sockaddr_storage me;
    int fd = raw_udp(&me);
    char req[512];
    /* sent-by names a host and a port nobody listens on: with rport the
     * response must come back to the source port (RFC 3581 §4). */
    raw_request(req, sizeof req, b.addr, "",
                "SIP/2.0/UDP client.invalid:1;branch=z9hG4bKrport1;rport",
                "rport1", "1");
    raw_send(fd, b.addr, req);
    char buf[2048];
    CHECK(raw_recv(loop, fd, buf, sizeof buf) > 0);
    CHECK(strncmp(buf, "SIP/2.0 200", 11) == 0);
    char want[128];
    snprintf(want, sizeof want, ";received=127.0.0.1;rport=%u",
             siphon_addr_port((struct sockaddr *)&me));
    CHECK(strstr(buf, want) != NULL);
    const siphon_via *v = siphon_msg_via(b.last_req);
    CHECK_STR(v->received, "127.0.0.1");
    CHECK_INT(v->rport, siphon_addr_port((struct sockaddr *)&me));

    /* The same request again is a retransmission: absorbed, answered
     * with the same 200, and the TU does not see it twice. */
    raw_send(fd, b.addr, req);
    CHECK(raw_recv(loop, fd, buf, sizeof buf) > 0);
    CHECK(strncmp(buf, "SIP/2.0 200", 11) == 0);
    CHECK_INT(b.requests, 1);

    /* Without rport, sent-by is an IP that is the source: no received,
     * and the response goes to the sent-by port (§18.2.2). */
    char via[128];
    snprintf(via, sizeof via, "SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKnorport",
             siphon_addr_port((struct sockaddr *)&me));
    raw_request(req, sizeof req, b.addr, "", via, "rport2", "1");
    raw_send(fd, b.addr, req);
    CHECK(raw_recv(loop, fd, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "received=") == NULL);
    CHECK_INT(b.requests, 2);
    close(fd);
    pair_close(loop, &b, NULL);
}

UNIT_TEST(ua_malformed_gets_400_or_nothing)
{
    side b;
    siphon_loop *loop = pair_open(&b, false, NULL, false);
    b.answer = 200;
    struct sockaddr_storage me;
    int fd = raw_udp(&me);
    char req[512], buf[2048], via[128];
    snprintf(via, sizeof via, "SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad",
             siphon_addr_port((struct sockaddr *)&me));
    /* A broken CSeq, a readable Via: 400, and the TU never sees it. */
    raw_request(req, sizeof req, b.addr, "", via, "bad1", "one");
    raw_send(fd, b.addr, req);
    CHECK(raw_recv(loop, fd, buf, sizeof buf) > 0);
    CHECK(strncmp(buf, "SIP/2.0 400", 11) == 0);
    CHECK(strstr(buf, "Call-ID: bad1") != NULL);
    CHECK_INT(b.requests, 0);
    /* Garbage in the start line: salvaged from the raw lines. */
    raw_request(req, sizeof req, b.addr, " trailing", via, "bad2", "1");
    raw_send(fd, b.addr, req);
    CHECK(raw_recv(loop, fd, buf, sizeof buf) > 0);
    CHECK(strncmp(buf, "SIP/2.0 400", 11) == 0);
    CHECK(strstr(buf, "Call-ID: bad2") != NULL);
    /* A Via whose parameters are broken (RFC 4475 badinv01): the 400
     * still goes to its sent-by. */
    char broken[160];
    snprintf(broken, sizeof broken, "SIP/2.0/UDP 127.0.0.1:%u;;,;,,",
             siphon_addr_port((struct sockaddr *)&me));
    raw_request(req, sizeof req, b.addr, "", broken, "bad3", "1");
    raw_send(fd, b.addr, req);
    CHECK(raw_recv(loop, fd, buf, sizeof buf) > 0);
    CHECK(strncmp(buf, "SIP/2.0 400", 11) == 0);
    CHECK(strstr(buf, "Call-ID: bad3") != NULL);
    /* No Via at all: dropped without an answer. */
    raw_send(fd, b.addr, "OPTIONS sip:x SIP/2.0\r\nCall-ID: z\r\n\r\n");
    CHECK(raw_recv(loop, fd, buf, sizeof buf) < 0);
    /* A malformed response is never answered. */
    raw_send(fd, b.addr, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n");
    CHECK(raw_recv(loop, fd, buf, sizeof buf) < 0);
    siphon_ua_stats st;
    siphon_ua_get_stats(b.ua, &st);
    CHECK_INT(st.rx_malformed, 5);
    CHECK_INT(st.rejected_400, 3);
    close(fd);
    pair_close(loop, &b, NULL);
}

UNIT_TEST(ua_large_request_switches_to_tcp)
{
    side a, b;
    siphon_loop *loop = pair_open(&a, true, &b, true);
    b.answer = 200;
    const char *ruri = b.uri;
    request_and_wait(loop, &a, "MESSAGE", ruri, 1400, 1);
    CHECK_INT(a.last_status, 200);
    /* §18.1.1: over 1300 bytes it went over TCP, with the Via saying so. */
    CHECK_INT(b.last_flow.transport, SIPHON_RESOLVE_TCP);
    CHECK_STR(siphon_msg_via(b.last_req)->transport, "TCP");
    siphon_ua_stats st;
    siphon_ua_get_stats(a.ua, &st);
    CHECK_INT(st.tcp_switches, 1);
    /* A small one stays on UDP. */
    request_and_wait(loop, &a, "MESSAGE", ruri, 10, 2);
    CHECK_INT(b.last_flow.transport, SIPHON_RESOLVE_UDP);
    pair_close(loop, &a, &b);
}

UNIT_TEST(ua_large_request_falls_back_to_udp)
{
    /* The peer has no TCP: the refused connection sends the request over
     * UDP after all (§18.1.1). */
    side a, b;
    siphon_loop *loop = pair_open(&a, true, &b, false);
    b.answer = 200;
    const char *ruri = b.uri;
    request_and_wait(loop, &a, "MESSAGE", ruri, 1400, 1);
    CHECK_INT(a.last_status, 200);
    CHECK_INT(b.last_flow.transport, SIPHON_RESOLVE_UDP);
    CHECK_STR(siphon_msg_via(b.last_req)->transport, "UDP");
    pair_close(loop, &a, &b);
}

UNIT_TEST(ua_timer_f_and_b_on_virtual_clock)
{
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    tcpt_vnow = 1000000;
    siphon_loop_set_clock(loop, tcpt_vclock, NULL);
    side a;
    side_open(loop, &a, false);
    /* A UDP port where nobody answers (a bound socket that never reads). */
    struct sockaddr_storage silent;
    int fd = raw_udp(&silent);
    char to[SIPHON_ADDR_STRLEN];
    siphon_addr_format((struct sockaddr *)&silent, to, sizeof to);
    siphon_ua_dest d = {.addr = to};
    for (int invite = 0; invite < 2; invite++) {
        siphon_msg *req = make_req(invite ? "INVITE" : "OPTIONS", "sip:x@y", 0);
        CHECK_INT(siphon_ua_request(a.ua, req, &d, on_response, &a, NULL), 0);
        siphon_msg_unref(req);
        uint64_t start = tcpt_vnow;
        siphon_loop_run_once(loop, 0);
        tcpt_vnow = start + 31999;
        siphon_loop_run_once(loop, 0);
        CHECK_INT(a.finals, invite);
        tcpt_vnow = start + 32000; /* Timer B / F: 64*T1 */
        siphon_loop_run_once(loop, 0);
        CHECK_INT(a.finals, invite + 1);
        CHECK_INT(a.last_err, SIPHON_ETIMEDOUT);
    }
    /* The request was retransmitted on the RFC's schedule meanwhile. */
    char buf[2048];
    int got = 0;
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        got++;
    /* OPTIONS: 0, .5, 1.5, 3.5, 7.5, 11.5 ... 31.5 (11); INVITE: 0, .5,
     * 1.5, 3.5, 7.5, 15.5, 31.5 (7). */
    CHECK_INT(got, 11 + 7);
    close(fd);
    pair_close(loop, &a, NULL);
}

UNIT_TEST(ua_invite_ack_and_capture)
{
    side a, b;
    siphon_loop *loop = pair_open(&a, false, &b, false);
    char dir[] = "/tmp/siphon-ua-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/ua.pcap", dir);
    siphon_pcap_writer *w = NULL;
    CHECK_INT(siphon_pcap_writer_open(path, &w, NULL), 0);
    siphon_ua_capture_pcap(a.ua, w);

    const char *ruri = b.uri;
    /* 486: the INVITE client transaction ACKs it itself (§17.1.1.3). */
    b.answer = 486;
    request_and_wait(loop, &a, "INVITE", ruri, 0, 1);
    CHECK_INT(a.last_status, 486);
    tcpt_spin(loop, 20);
    CHECK_INT(b.acks, 0); /* absorbed by the server transaction */
    /* 200: the TU sends the ACK, which reaches the TU on the other side. */
    b.answer = 200;
    request_and_wait(loop, &a, "INVITE", ruri, 0, 2);
    CHECK_INT(a.last_status, 200);
    siphon_msg *ack = make_req("ACK", ruri, 0);
    CHECK_INT(siphon_ua_request(a.ua, ack, NULL, NULL, NULL, NULL), 0);
    siphon_msg_unref(ack);
    run_until(loop, &b.acks, 1);
    CHECK_INT(b.acks, 1);
    CHECK_STR(siphon_msg_method(b.last_req), "ACK");
    /* INVITE 486 ACK INVITE (100?) 200 ACK: at least 6 frames. */
    CHECK(siphon_pcap_writer_frames(w) >= 6);
    siphon_ua_capture_pcap(a.ua, NULL);
    CHECK_INT(siphon_pcap_writer_close(w), 0);
    unlink(path);
    rmdir(dir);
    pair_close(loop, &a, &b);
}

UNIT_TEST(ua_respond_by_message_and_errors)
{
    side a, b;
    siphon_loop *loop = pair_open(&a, false, &b, false);
    const char *ruri = b.uri;
    siphon_msg *req = make_req("OPTIONS", ruri, 0);
    CHECK_INT(siphon_ua_request(a.ua, req, NULL, on_response, &a, NULL), 0);
    siphon_msg_unref(req);
    run_until(loop, &b.requests, 1);
    /* The TU keeps only the message; the endpoint finds the transaction. */
    siphon_msg *resp = NULL;
    CHECK_INT(siphon_msg_response(b.last_req, 202, SIPHON_STR_NULL,
                                  siphon_str_c("t"), &resp),
              0);
    CHECK_INT(siphon_ua_respond(b.ua, NULL, resp), 0);
    run_until(loop, &a.finals, 1);
    CHECK_INT(a.last_status, 202);
    /* A second final response: the transaction refuses it. */
    CHECK_INT(siphon_ua_respond(b.ua, NULL, resp), SIPHON_ESTATE);
    siphon_msg_unref(resp);
    /* A response to nothing: no transaction to send it through. */
    siphon_msg *other = make_req("OPTIONS", ruri, 0);
    CHECK_INT(siphon_msg_response(other, 200, SIPHON_STR_NULL,
                                  siphon_str_c("t"), &resp),
              0);
    CHECK_INT(siphon_ua_respond(b.ua, NULL, resp), SIPHON_ENOENT);
    siphon_msg_unref(resp);
    siphon_msg_unref(other);
    CHECK_INT(siphon_ua_request(a.ua, NULL, NULL, NULL, NULL, NULL),
              SIPHON_EINVAL);
    siphon_ua_dest bad = {.addr = "not-an-address"};
    CHECK(siphon_ua_send_raw(a.ua, &bad, "x", 1) < 0);
    pair_close(loop, &a, &b);
}

/* The UAS side of §9.2: 200 to the CANCEL, 487 to the INVITE. */
static void cancel_uas(void *arg, siphon_ua *ua, siphon_txn *stx,
                       siphon_msg *req, const siphon_ua_flow *from)
{
    side *s = arg;
    (void)from;
    if (!stx)
        return;
    s->requests++;
    siphon_msg *resp = NULL;
    if (siphon_msg_method_id(req) == SIPHON_METHOD_INVITE) {
        CHECK_INT(siphon_msg_response(req, 180, SIPHON_STR_NULL,
                                      siphon_str_c("u"), &resp), 0);
        CHECK_INT(siphon_ua_respond(ua, stx, resp), 0);
        siphon_msg_unref(resp);
        return;
    }
    CHECK_INT(siphon_msg_method_id(req), SIPHON_METHOD_CANCEL);
    siphon_txn *inv = siphon_txn_find_cancelled(siphon_ua_txn_layer(ua), req);
    CHECK(inv != NULL);
    CHECK_INT(siphon_msg_response(req, 200, SIPHON_STR_NULL,
                                  siphon_str_c("u"), &resp), 0);
    CHECK_INT(siphon_ua_respond(ua, stx, resp), 0);
    siphon_msg_unref(resp);
    if (inv) {
        CHECK_INT(siphon_msg_response(siphon_txn_request(inv), 487,
                                      SIPHON_STR_NULL, siphon_str_c("u"),
                                      &resp), 0);
        CHECK_INT(siphon_ua_respond(ua, inv, resp), 0);
        siphon_msg_unref(resp);
    }
}

UNIT_TEST(ua_cancel_invite)
{
    side a, b;
    siphon_loop *loop = pair_open(&a, false, NULL, false);
    side_open_with(loop, &b, false, cancel_uas);
    const char *ruri = b.uri;
    siphon_msg *req = make_req("INVITE", ruri, 0);
    siphon_ua_client *inv = NULL;
    CHECK_INT(siphon_ua_request(a.ua, req, NULL, on_response, &a, &inv), 0);
    siphon_msg_unref(req);
    run_until(loop, &a.responses, 1);
    CHECK_INT(a.last_status, 180);
    side c;
    memset(&c, 0, sizeof c);
    CHECK_INT(siphon_ua_cancel(inv, on_response, &c, NULL), 0);
    run_until(loop, &a.finals, 1);
    run_until(loop, &c.finals, 1);
    CHECK_INT(c.last_status, 200);
    CHECK_INT(a.last_status, 487);
    /* The CANCEL carried the INVITE's branch (§9.1). */
    CHECK_INT(b.requests, 2);
    siphon_msg_unref(c.last_resp);
    CHECK_INT(siphon_ua_cancel(inv, on_response, &c, NULL), SIPHON_ESTATE);
    pair_close(loop, &a, &b);
}

UNIT_TEST(ua_hep_mirror)
{
    side a, b;
    siphon_loop *loop = pair_open(&a, false, &b, false);
    b.answer = 200;
    struct sockaddr_storage coll;
    int fd = raw_udp(&coll);
    char caddr[SIPHON_ADDR_STRLEN];
    siphon_addr_format((struct sockaddr *)&coll, caddr, sizeof caddr);
    siphon_hep_opts ho = {.capture_id = 4242, .auth_key = "secret",
                          .call_id_correlation = true};
    CHECK_INT(siphon_ua_capture_hep(a.ua, caddr, &ho), 0);
    CHECK_INT(siphon_ua_capture_hep(a.ua, "bogus", &ho), SIPHON_EPARSE);
    CHECK_INT(siphon_ua_capture_hep(a.ua, caddr, &ho), 0);
    const char *ruri = b.uri;
    request_and_wait(loop, &a, "OPTIONS", ruri, 0, 1);
    /* Two HEP3 packets: the OPTIONS out and the 200 in, each with the
     * capture id, the key and the Call-ID as correlation. */
    char buf[4096];
    int packets = 0;
    for (int i = 0; i < 50 && packets < 2; i++) {
        ssize_t n = raw_recv(loop, fd, buf, sizeof buf);
        if (n <= 0)
            continue;
        packets++;
        CHECK(memcmp(buf, "HEP3", 4) == 0);
        CHECK_INT(((unsigned char)buf[4] << 8) | (unsigned char)buf[5], n);
        CHECK(memmem(buf, (size_t)n, "secret", 6) != NULL);
        CHECK(memmem(buf, (size_t)n, "Call-ID: ua-test-", 17) != NULL);
    }
    CHECK_INT(packets, 2);
    CHECK_INT(siphon_ua_capture_hep(a.ua, NULL, NULL), 0);
    close(fd);
    pair_close(loop, &a, &b);
}

/* One raw request through a UAS with the §8.2 policy: the status line
 * that comes back ("" when none) goes into out. */
static void uas_try(siphon_loop *loop, int fd, const char *to,
                    const char *text, char *out, size_t cap)
{
    char buf[4096];
    raw_send(fd, to, text);
    out[0] = '\0';
    if (raw_recv(loop, fd, buf, sizeof buf) > 0)
        snprintf(out, cap, "%s", buf);
}

UNIT_TEST(ua_uas_section_8_2_in_order)
{
    side b;
    siphon_loop *loop = pair_open(&b, false, NULL, false);
    siphon_ua_free(b.ua);
    siphon_uas_policy pol;
    siphon_uas_policy_default(&pol);
    static const char *const ext[] = {"100rel", NULL};
    pol.extensions = ext;
    siphon_ua_config cfg;
    siphon_ua_config_default(&cfg);
    cfg.uas = &pol;
    siphon_ua_handlers h = {.request = on_request, .arg = &b};
    CHECK_INT(siphon_ua_new(loop, &cfg, &h, &b.ua), 0);
    CHECK_INT(siphon_ua_listen(b.ua, SIPHON_RESOLVE_UDP, b.addr, NULL, NULL),
              0);
    b.answer = 200;
    struct sockaddr_storage me;
    int fd = raw_udp(&me);
    char via[128], got[4096];
    snprintf(via, sizeof via, "SIP/2.0/UDP 127.0.0.1:%u",
             siphon_addr_port((struct sockaddr *)&me));
    struct {
        const char *start, *extra, *body, *want, *want_hdr;
    } cases[] = {
        /* §8.2.1 */
        {"FOO sip:b@x", "", "", "SIP/2.0 501", NULL},
        {"SUBSCRIBE sip:b@x", "Event: presence\r\n", "", "SIP/2.0 405",
         "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, UPDATE"},
        /* §8.2.2.1 */
        {"OPTIONS im:b@x", "", "", "SIP/2.0 416", NULL},
        /* §8.2.2.3: only the unsupported tag is listed */
        {"OPTIONS sip:b@x", "Require: 100rel, foo\r\n", "", "SIP/2.0 420",
         "Unsupported: foo"},
        /* §8.2.3 */
        {"MESSAGE sip:b@x", "Content-Type: application/foo\r\n", "hi",
         "SIP/2.0 415", "Accept: application/sdp, text/plain, message/sipfrag"},
        {"MESSAGE sip:b@x",
         "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n", "hi",
         "SIP/2.0 415", "Accept-Encoding: identity"},
        {"MESSAGE sip:b@x",
         "Content-Type: text/plain\r\nContent-Language: fr\r\n", "hi",
         "SIP/2.0 415", "Accept-Language: en"},
        /* §21.4.7: the answer would carry SDP, which Accept excludes */
        {"OPTIONS sip:b@x", "Accept: text/nobodyKnowsThis\r\n", "",
         "SIP/2.0 406", NULL},
        {"OPTIONS sip:b@x", "Accept: application/*, text/html\r\n", "",
         "SIP/2.0 200", NULL},
        /* all rules passed: the TU answers */
        {"MESSAGE sip:b@x",
         "Content-Type: text/plain\r\nRequire: 100rel\r\n", "hi",
         "SIP/2.0 200", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char req[1024];
        const char *sp = strchr(cases[i].start, ' ');
        snprintf(req, sizeof req,
                 "%s SIP/2.0\r\nVia: %s;branch=z9hG4bKuas%zu\r\n"
                 "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\n"
                 "To: <sip:b@x>\r\nCall-ID: uas-%zu\r\nCSeq: 1 %.*s\r\n%s"
                 "Content-Length: %zu\r\n\r\n%s",
                 cases[i].start, via, i, i, (int)(sp - cases[i].start),
                 cases[i].start, cases[i].extra, strlen(cases[i].body),
                 cases[i].body);
        uas_try(loop, fd, b.addr, req, got, sizeof got);
        if (strncmp(got, cases[i].want, strlen(cases[i].want)) != 0 ||
            (cases[i].want_hdr && !strstr(got, cases[i].want_hdr)))
            unit_fail(__FILE__, __LINE__, "case %zu (%s): got \"%.60s\"", i,
                      cases[i].start, got);
    }
    CHECK_INT(b.requests, 2); /* only the last two reached the TU */

    /* §8.2.2.2: the same INVITE (From tag, Call-ID, CSeq) arriving again
     * with another branch while the first is pending: 482. */
    b.answer = 0;
    const char *inv =
        "INVITE sip:b@x SIP/2.0\r\nVia: %s;branch=z9hG4bK%s\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=m1\r\nTo: <sip:b@x>\r\n"
        "Call-ID: merged\r\nCSeq: 5 INVITE\r\nContent-Length: 0\r\n\r\n";
    char req[1024];
    snprintf(req, sizeof req, inv, via, "first");
    raw_send(fd, b.addr, req);
    run_until(loop, &b.requests, 3);
    CHECK_INT(b.requests, 3);
    snprintf(req, sizeof req, inv, via, "second");
    uas_try(loop, fd, b.addr, req, got, sizeof got);
    CHECK(strncmp(got, "SIP/2.0 482", 11) == 0);
    CHECK_INT(b.requests, 3);
    /* The first copy's own retransmission is not merged: absorbed. */
    snprintf(req, sizeof req, inv, via, "first");
    raw_send(fd, b.addr, req);
    tcpt_spin(loop, 20);
    CHECK_INT(b.requests, 3);
    close(fd);
    pair_close(loop, &b, NULL);
}
