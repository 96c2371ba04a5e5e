/*
 * test_ua_regclient.c -- the registration client (RFC 3261 §10.2)
 * against the endpoint's digest-authenticating registrar (§10.3, §22),
 * on a virtual loop clock: register through a 401, refresh before expiry
 * with the same Call-ID and a higher CSeq, 423 answered with Min-Expires
 * (§10.2.8), unregister (§10.2.2), a wrong password reported and retried
 * with a backoff, Timer F, and freeing from inside the callback.
 */
#include "unit.h"

#include <siphon/ua.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t vnow;

static uint64_t vclock(void *arg)
{
    (void)arg;
    return vnow;
}

/* The REGISTERs the registrar received. */
#define MAX_SEEN 32
typedef struct seen {
    int n;
    char call_id[MAX_SEEN][80];
    unsigned cseq[MAX_SEEN];
    char contact[MAX_SEEN][160];
} seen;

static void on_capture(void *arg, siphon_ua_dir dir, const siphon_ua_flow *flow,
                       const char *bytes, size_t len, uint64_t ts_us)
{
    seen *s = arg;
    (void)flow;
    (void)ts_us;
    siphon_msg *m = NULL;
    siphon_perr err;
    if (dir != SIPHON_UA_RX || s->n >= MAX_SEEN ||
        siphon_msg_parse(bytes, len, NULL, &m, &err) < 0)
        return;
    if (siphon_msg_is_request(m) &&
        siphon_msg_method_id(m) == SIPHON_METHOD_REGISTER) {
        siphon_str cid = siphon_msg_call_id(m);
        const siphon_cseq *cs = siphon_msg_cseq(m);
        const siphon_nameaddr *ct = siphon_msg_contact(m);
        snprintf(s->call_id[s->n], sizeof s->call_id[0], "%.*s",
                 (int)cid.len, cid.p);
        s->cseq[s->n] = cs ? (unsigned)cs->num : 0;
        snprintf(s->contact[s->n], sizeof s->contact[0], "%.*s",
                 ct ? (int)ct->raw.len : 0, ct ? ct->raw.p : "");
        s->n++;
    }
    siphon_msg_unref(m);
}

/* What the registration's callback heard. */
typedef struct heard {
    int n;
    siphon_ua_reg_event last;
    int statuses[16];
    bool free_in_cb;
    siphon_ua_reg *self;
} heard;

static void on_reg(void *arg, siphon_ua_reg *r, const siphon_ua_reg_event *ev)
{
    heard *h = arg;
    if (h->n < 16)
        h->statuses[h->n] = ev->status;
    h->n++;
    h->last = *ev;
    h->last.resp = NULL; /* borrowed */
    if (h->free_in_cb) {
        siphon_ua_reg_free(r);
        h->self = NULL;
    }
}

typedef struct bench {
    siphon_loop *loop;
    siphon_reg *reg;
    siphon_auth_server *as;
    siphon_auth_users *users;
    siphon_ua *srv, *cli;
    char addr[SIPHON_ADDR_STRLEN];
    seen seen;
} bench;

static void bench_open(bench *b, uint32_t min_expires)
{
    memset(b, 0, sizeof *b);
    CHECK_INT(siphon_loop_new(&b->loop), 0);
    vnow = 5000000;
    siphon_loop_set_clock(b->loop, vclock, NULL);
    siphon_reg_config rc = SIPHON_REG_CONFIG_DEFAULT;
    rc.min_expires = min_expires;
    b->reg = siphon_reg_new(&rc);
    siphon_auth_server_config sc;
    siphon_auth_server_config_default(&sc);
    sc.realm = "siphon.test";
    sc.rng = siphon_auth_rng_openssl;
    int err = 0;
    b->as = siphon_auth_server_new(&sc, &err);
    CHECK(b->as != NULL);
    static const char users_json[] = "{\"alice\": \"wonderland\"}";
    siphon_perr perr;
    CHECK_INT(siphon_auth_users_parse(users_json, sizeof users_json - 1,
                                      "siphon.test", &b->users, &perr), 0);
    struct sockaddr_storage sa;
    CHECK_INT(siphon_ua_new(b->loop, NULL, NULL, &b->srv), 0);
    CHECK_INT(siphon_ua_listen(b->srv, SIPHON_RESOLVE_UDP, "127.0.0.1:0",
                               NULL, &sa), 0);
    siphon_ua_registrar r = {.reg = b->reg, .auth = b->as,
                             .lookup = siphon_auth_users_lookup,
                             .lookup_arg = b->users};
    siphon_ua_set_registrar(b->srv, &r);
    siphon_ua_set_capture(b->srv, on_capture, &b->seen);
    siphon_addr_format((struct sockaddr *)&sa, b->addr, sizeof b->addr);
    CHECK_INT(siphon_ua_new(b->loop, NULL, NULL, &b->cli), 0);
    CHECK_INT(siphon_ua_listen(b->cli, SIPHON_RESOLVE_UDP, "127.0.0.1:0",
                               NULL, NULL), 0);
}

static void bench_close(bench *b)
{
    siphon_ua_free(b->cli);
    siphon_ua_free(b->srv);
    siphon_auth_users_free(b->users);
    siphon_auth_server_free(b->as);
    siphon_reg_free(b->reg);
    siphon_loop_free(b->loop);
}

/* Run the loop (virtual time stands still) until *count reaches want. */
static void run_until(bench *b, const int *count, int want)
{
    for (int i = 0; i < 2000 && *count < want; i++) {
        siphon_loop_run_once(b->loop, 0);
        if (*count < want)
            usleep(500);
    }
}

/* Advance the virtual clock to t in steps of 500 ms (so that timers and
 * retransmissions interleave with real I/O as they would). */
static void advance_to(bench *b, uint64_t t)
{
    while (vnow < t) {
        vnow = vnow + 500 < t ? vnow + 500 : t;
        siphon_loop_run_once(b->loop, 0);
    }
    for (int i = 0; i < 20; i++) {
        siphon_loop_run_once(b->loop, 0);
        usleep(200);
    }
}

static long bindings(bench *b)
{
    const siphon_reg_binding *bs[4];
    return siphon_reg_lookup(b->reg, siphon_str_c("sip:alice@siphon.test"),
                             siphon_loop_now(b->loop), bs, 4);
}

static siphon_ua_reg *new_reg(bench *b, heard *h, const char *password,
                              uint32_t expires)
{
    static siphon_ua_credentials cred;
    cred = (siphon_ua_credentials){.username = "alice",
                                   .password = password};
    siphon_ua_reg_config cfg = {.aor = "sip:alice@siphon.test",
                                .expires = expires,
                                .dest = {.addr = b->addr,
                                         .credentials = &cred},
                                .cb = on_reg, .arg = h};
    siphon_ua_reg *r = NULL;
    CHECK_INT(siphon_ua_reg_new(b->cli, &cfg, &r), 0);
    return r;
}

UNIT_TEST(ua_regclient_register_refresh_unregister)
{
    bench b;
    bench_open(&b, 60);
    heard h = {0};
    siphon_ua_reg *r = new_reg(&b, &h, "wonderland", 600);
    siphon_ua_reg_info info;
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.state, SIPHON_UA_REG_IDLE);
    /* §10.2: the registrar's domain, no user part; our address. */
    CHECK(strcmp(info.registrar, "sip:siphon.test") == 0);
    CHECK(strncmp(info.contact, "sip:alice@127.0.0.1:", 20) == 0);

    uint64_t t0 = vnow;
    CHECK_INT(siphon_ua_reg_start(r), 0);
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.state, SIPHON_UA_REG_REGISTERING);
    run_until(&b, &h.n, 1);
    CHECK_INT(h.n, 1);
    CHECK_INT(h.last.status, 200);
    CHECK_INT(h.last.expires, 600);
    CHECK(!h.last.refresh && !h.last.unregister);
    CHECK_INT(h.last.state, SIPHON_UA_REG_REGISTERED);
    CHECK_INT(bindings(&b), 1);
    /* 401 then 200: two REGISTERs, same Call-ID, CSeq 1 then 2. */
    CHECK_INT(b.seen.n, 2);
    CHECK_INT(b.seen.cseq[0], 1);
    CHECK_INT(b.seen.cseq[1], 2);
    CHECK(strcmp(b.seen.call_id[0], b.seen.call_id[1]) == 0);
    CHECK(strstr(b.seen.contact[0], ";expires=600") != NULL);
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.cseq, 2);
    CHECK_INT(info.granted, 600);
    CHECK_INT(info.expires_at, t0 + 600000);
    /* 90% of 600 s (540 s) is more than 32 s before the end. */
    CHECK_INT(info.refresh_at, t0 + 540000);

    /* Just before the refresh point nothing goes. */
    advance_to(&b, t0 + 539000);
    CHECK_INT(b.seen.n, 2);
    /* At it, the refresh: same Call-ID, CSeq 3 (and 4 after the 401). */
    advance_to(&b, t0 + 540000);
    run_until(&b, &h.n, 2);
    CHECK_INT(h.n, 2);
    CHECK_INT(h.last.status, 200);
    CHECK(h.last.refresh);
    CHECK(b.seen.n >= 3);
    for (int i = 2; i < b.seen.n; i++) {
        CHECK(strcmp(b.seen.call_id[i], b.seen.call_id[0]) == 0);
        CHECK(b.seen.cseq[i] > b.seen.cseq[i - 1]);
    }
    CHECK_INT(b.seen.cseq[2], 3);
    /* Past the first expiry the binding lives on. */
    advance_to(&b, t0 + 601000);
    CHECK_INT(bindings(&b), 1);
    /* A second refresh: an hour of them runs in no time. */
    advance_to(&b, t0 + 540000 + 541000);
    run_until(&b, &h.n, 3);
    CHECK_INT(h.n, 3);
    CHECK_INT(bindings(&b), 1);
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.registrations, 3);

    /* §10.2.2: expires=0 for our Contact removes the binding. */
    int before = b.seen.n;
    CHECK_INT(siphon_ua_reg_unregister(r), 0);
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.state, SIPHON_UA_REG_UNREGISTERING);
    CHECK_INT(siphon_ua_reg_unregister(r), SIPHON_ESTATE);
    run_until(&b, &h.n, 4);
    CHECK_INT(h.n, 4);
    CHECK(h.last.unregister);
    CHECK_INT(h.last.status, 200);
    CHECK_INT(h.last.state, SIPHON_UA_REG_UNREGISTERED);
    CHECK_INT(bindings(&b), 0);
    CHECK(b.seen.n > before);
    CHECK(strstr(b.seen.contact[b.seen.n - 1], ";expires=0") != NULL);
    CHECK(b.seen.cseq[b.seen.n - 1] > b.seen.cseq[before - 1]);
    /* No refresh after that. */
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.refresh_at, 0);
    int n = b.seen.n;
    advance_to(&b, vnow + 4000000);
    CHECK_INT(b.seen.n, n);
    CHECK_INT(h.n, 4);

    siphon_ua_reg_free(r);
    bench_close(&b);
}

UNIT_TEST(ua_regclient_interval_too_brief)
{
    bench b;
    bench_open(&b, 120);
    heard h = {0};
    siphon_ua_reg *r = new_reg(&b, &h, "wonderland", 60);
    uint64_t t0 = vnow;
    CHECK_INT(siphon_ua_reg_start(r), 0);
    run_until(&b, &h.n, 1);
    /* 401, 423 (Min-Expires: 120), 401?, 200: the TU hears only 200. */
    CHECK_INT(h.n, 1);
    CHECK_INT(h.last.status, 200);
    CHECK_INT(h.last.expires, 120);
    siphon_ua_reg_info info;
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.expires, 120);
    /* 120 s: 90% is 108 s, but 32 s before the end comes first. */
    CHECK_INT(info.refresh_at, t0 + 88000);
    CHECK(b.seen.n >= 3);
    CHECK(strstr(b.seen.contact[0], ";expires=60") != NULL);
    CHECK(strstr(b.seen.contact[b.seen.n - 1], ";expires=120") != NULL);
    for (int i = 1; i < b.seen.n; i++)
        CHECK(b.seen.cseq[i] > b.seen.cseq[i - 1]);
    CHECK_INT(bindings(&b), 1);
    /* The refresh asks for 120 at once. */
    int n = b.seen.n;
    advance_to(&b, t0 + 88000);
    run_until(&b, &h.n, 2);
    CHECK_INT(h.last.status, 200);
    CHECK(b.seen.n > n);
    CHECK(strstr(b.seen.contact[n], ";expires=120") != NULL);
    siphon_ua_reg_free(r);
    bench_close(&b);
}

UNIT_TEST(ua_regclient_wrong_password_retries)
{
    bench b;
    bench_open(&b, 60);
    heard h = {0};
    siphon_ua_reg *r = new_reg(&b, &h, "nope", 600);
    uint64_t t0 = vnow;
    CHECK_INT(siphon_ua_reg_start(r), 0);
    run_until(&b, &h.n, 1);
    CHECK_INT(h.n, 1);
    CHECK_INT(h.last.status, 401);
    CHECK_INT(h.last.err, 0);
    CHECK_INT(h.last.state, SIPHON_UA_REG_RETRY_WAIT);
    CHECK_INT(h.last.retry_at, t0 + 30000);
    CHECK_INT(bindings(&b), 0);
    /* The retry, after 30 s; then 60 s (backoff). */
    advance_to(&b, t0 + 30000);
    run_until(&b, &h.n, 2);
    CHECK_INT(h.n, 2);
    CHECK_INT(h.last.status, 401);
    CHECK(h.last.refresh);
    siphon_ua_reg_info info;
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.failures, 2);
    CHECK_INT(info.refresh_at, vnow + 60000);
    /* Same Call-ID throughout, CSeq always up. */
    for (int i = 1; i < b.seen.n; i++) {
        CHECK(strcmp(b.seen.call_id[i], b.seen.call_id[0]) == 0);
        CHECK(b.seen.cseq[i] > b.seen.cseq[i - 1]);
    }
    /* Stopped: nothing more goes, and start works again. */
    siphon_ua_reg_stop(r);
    int n = b.seen.n;
    advance_to(&b, vnow + 120000);
    CHECK_INT(b.seen.n, n);
    CHECK_INT(h.n, 2);
    /* Unregister needs a started registration. */
    CHECK_INT(siphon_ua_reg_unregister(r), SIPHON_ESTATE);
    /* Freed from inside its own callback. */
    h.free_in_cb = true;
    h.self = r;
    CHECK_INT(siphon_ua_reg_start(r), 0);
    run_until(&b, &h.n, 3);
    CHECK_INT(h.n, 3);
    CHECK(h.self == NULL);
    advance_to(&b, vnow + 120000);
    CHECK_INT(h.n, 3);
    bench_close(&b);
}

UNIT_TEST(ua_regclient_timeout_and_stop_in_flight)
{
    bench b;
    bench_open(&b, 60);
    /* A UDP port where nobody answers. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    socklen_t sl = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &sl);
    char silent[SIPHON_ADDR_STRLEN];
    siphon_addr_format((struct sockaddr *)&sin, silent, sizeof silent);
    heard h = {0};
    siphon_ua_reg_config cfg = {.aor = "sip:bob@siphon.test",
                                .registrar = "sip:registrar.siphon.test",
                                .contact = "sip:bob@192.0.2.7:5062",
                                .retry_s = 10,
                                .dest = {.addr = silent},
                                .cb = on_reg, .arg = &h};
    siphon_ua_reg *r = NULL;
    CHECK_INT(siphon_ua_reg_new(b.cli, &cfg, &r), 0);
    uint64_t t0 = vnow;
    CHECK_INT(siphon_ua_reg_start(r), 0);
    CHECK_INT(siphon_ua_reg_start(r), SIPHON_ESTATE);
    advance_to(&b, t0 + 31500);
    CHECK_INT(h.n, 0);
    advance_to(&b, t0 + 32000);           /* Timer F */
    CHECK_INT(h.n, 1);
    CHECK_INT(h.last.err, SIPHON_ETIMEDOUT);
    CHECK_INT(h.last.status, 0);
    CHECK_INT(h.last.retry_at, t0 + 42000);
    /* The retry goes; stopped while it is in flight, nothing is heard. */
    advance_to(&b, t0 + 42000);
    siphon_ua_reg_info info;
    siphon_ua_reg_get_info(r, &info);
    CHECK_INT(info.cseq, 2);
    siphon_ua_reg_stop(r);
    advance_to(&b, t0 + 100000);
    CHECK_INT(h.n, 1);
    /* An unregister asked while a REGISTER is in flight waits for it. */
    CHECK_INT(siphon_ua_reg_start(r), 0);
    CHECK_INT(siphon_ua_reg_unregister(r), 0);
    advance_to(&b, vnow + 32000);
    CHECK_INT(h.n, 2);
    CHECK(!h.last.unregister);
    advance_to(&b, vnow + 32000);
    CHECK_INT(h.n, 3);
    CHECK(h.last.unregister);
    CHECK_INT(h.last.err, SIPHON_ETIMEDOUT);
    CHECK_INT(h.last.state, SIPHON_UA_REG_UNREGISTERED);
    /* What went: the request lines and CSeqs. */
    char buf[4096];
    ssize_t len;
    unsigned last = 0;
    int got = 0;
    while ((len = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
        buf[len] = '\0';
        CHECK(strncmp(buf, "REGISTER sip:registrar.siphon.test SIP/2.0", 42)
              == 0);
        CHECK(strstr(buf, "<sip:bob@192.0.2.7:5062>;expires=") != NULL);
        const char *cs = strstr(buf, "CSeq: ");
        unsigned v = cs ? (unsigned)strtoul(cs + 6, NULL, 10) : 0;
        CHECK(v >= last);
        last = v;
        got++;
    }
    CHECK(got > 10);
    /* Four REGISTERs, CSeq 1, 2, then past the forgotten one's digest
     * room: 11, 12. */
    CHECK_INT(last, 12);
    close(fd);
    siphon_ua_reg_free(r);
    bench_close(&b);
}

UNIT_TEST(ua_regclient_bad_config)
{
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_ua *ua;
    CHECK_INT(siphon_ua_new(loop, NULL, NULL, &ua), 0);
    siphon_ua_reg *r = (siphon_ua_reg *)1;
    siphon_ua_reg_config cfg = {.aor = "sip:alice@siphon.test"};
    /* No listening point: no default Contact. */
    CHECK_INT(siphon_ua_reg_new(ua, &cfg, &r), SIPHON_EINVAL);
    CHECK(r == NULL);
    CHECK_INT(siphon_ua_listen(ua, SIPHON_RESOLVE_TCP, "127.0.0.1:0", NULL,
                               NULL), 0);
    cfg.aor = "tel:+15550100";
    CHECK_INT(siphon_ua_reg_new(ua, &cfg, &r), SIPHON_EINVAL);
    cfg.aor = "sips:alice@siphon.test:5071";
    CHECK_INT(siphon_ua_reg_new(ua, &cfg, &r), SIPHON_EINVAL); /* no TLS */
    cfg.dest.transport = SIPHON_RESOLVE_TCP;
    CHECK_INT(siphon_ua_reg_new(ua, &cfg, &r), 0);
    siphon_ua_reg_info info;
    siphon_ua_reg_get_info(r, &info);
    CHECK(strcmp(info.registrar, "sips:siphon.test:5071") == 0);
    CHECK(strncmp(info.contact, "sip:alice@127.0.0.1:", 20) == 0);
    CHECK(strstr(info.contact, ";transport=tcp") != NULL);
    CHECK(strlen(info.call_id) == 32);
    CHECK_INT(siphon_ua_reg_unregister(r), SIPHON_ESTATE);
    siphon_ua_reg_free(r);
    cfg.dest.addr = "not-an-address";
    CHECK_INT(siphon_ua_reg_new(ua, &cfg, &r), SIPHON_EINVAL);
    cfg.dest.addr = NULL;
    cfg.contact = "<bad";
    CHECK_INT(siphon_ua_reg_new(ua, &cfg, &r), SIPHON_EINVAL);
    CHECK(strcmp(siphon_ua_reg_state_name(SIPHON_UA_REG_RETRY_WAIT),
                 "retry-wait") == 0);
    siphon_ua_reg_free(NULL);
    siphon_ua_free(ua);
    siphon_loop_free(loop);
}
