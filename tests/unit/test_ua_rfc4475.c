/*
 * test_ua_rfc4475.c -- the 49 RFC 4475 torture messages sent over UDP to
 * a UAS endpoint that registers users (lib/reg), accepts calls and
 * MESSAGE and has no authentication, each final answer judged by
 * tests/data/rfc4475/EXPECT-UAS.tsv:
 *
 *   a list of codes   the final response must be one of them
 *   !400              processed normally: any final response but 400
 *   none              no answer at all
 *
 * Each request's top Via gets our raw socket's address as sent-by, UDP
 * as transport and ;rport, its parameters (branch and all) kept, so the
 * answer comes back to us (the data file's README asks for this).
 * Responses are sent as they are.
 */
#include "test_net_tcp_support.h"
#include "unit.h"

#include <siphon/reg.h>
#include <siphon/ua.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DATA "tests/data/rfc4475/"

/* An answer of ours to INVITE: the UAS accepts calls. */
static const char sdp_answer[] =
    "v=0\r\no=siphon 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

typedef struct uas {
    siphon_ua *ua;
    siphon_reg *reg;
} uas;

static void answer(siphon_ua *ua, siphon_txn *stx, siphon_msg *req,
                   int status, bool with_sdp)
{
    siphon_msgb *b = siphon_msgb_response_to(req, status, SIPHON_STR_NULL,
                                             siphon_str_c("uas4475"));
    CHECK(b != NULL);
    if (with_sdp)
        siphon_msgb_set_body(b, siphon_str_c("application/sdp"),
                             siphon_str_c(sdp_answer));
    siphon_msg *resp = NULL;
    siphon_perr err;
    if (siphon_msgb_finish(b, &resp, &err) == 0) {
        siphon_ua_respond(ua, stx, resp);
        siphon_msg_unref(resp);
    }
    siphon_msgb_free(b);
}

static void on_request(void *arg, siphon_ua *ua, siphon_txn *stx,
                       siphon_msg *req, const siphon_ua_flow *from)
{
    uas *u = arg;
    (void)from;
    if (!stx)
        return; /* ACK */
    switch (siphon_msg_method_id(req)) {
    case SIPHON_METHOD_REGISTER: {
        siphon_reg_input in = {.now_ms = siphon_loop_now(siphon_ua_loop(ua)),
                               .now_wall = (int64_t)time(NULL),
                               .to_tag = siphon_str_c("reg4475")};
        siphon_reg_result res;
        if (siphon_reg_process(u->reg, req, &in, &res) == 0 && res.response) {
            siphon_ua_respond(ua, stx, res.response);
            siphon_msg_unref(res.response);
        } else {
            answer(ua, stx, req, 400, false);
        }
        break;
    }
    case SIPHON_METHOD_INVITE:
        answer(ua, stx, req, 200, true);
        break;
    default: /* OPTIONS, MESSAGE, BYE, INFO...: the policy let them in */
        answer(ua, stx, req, 200, false);
        break;
    }
}

/* The datagram to send: a request's top Via rewritten to come back to
 * `me` over UDP with ;rport, its parameters kept; a response as is. The
 * Via's place comes from the parser when the message parses, else from
 * the raw line (the first Via or v field), cut at its first ';' or ','. */
static char *prepare(const char *bytes, size_t len, const char *me,
                     size_t *outlen)
{
    siphon_buf b;
    siphon_buf_init(&b, 0);
    bool request = len >= 4 && memcmp(bytes, "SIP/", 4) != 0;
    const char *from = NULL, *to = NULL; /* the span replaced */
    siphon_msg *m = NULL;
    siphon_perr err;
    if (request && siphon_msg_parse(bytes, len, NULL, &m, &err) == 0) {
        const siphon_via *v = siphon_msg_via(m);
        if (v) {
            /* the value up to the parameters: protocol and sent-by */
            siphon_str all = siphon_msg_bytes(m);
            from = bytes + (v->raw.p - all.p);
            const char *pe = v->params.n ? v->params.v[0].name.p
                                         : v->raw.p + v->raw.len;
            while (pe > v->raw.p && pe[-1] != ';' && v->params.n)
                pe--;
            if (v->params.n)
                pe--; /* keep the ';' with the parameters */
            to = bytes + (pe - all.p);
        }
    }
    if (request && !from) {
        for (const char *p = bytes; p < bytes + len;) {
            const char *lf = memchr(p, '\n', (size_t)(bytes + len - p));
            if (!lf)
                break;
            const char *line = lf + 1;
            if (strncasecmp(line, "Via:", 4) == 0 ||
                strncasecmp(line, "v:", 2) == 0) {
                from = memchr(line, ':', 5) + 1;
                to = from;
                while (to < bytes + len && !strchr(";,\r\n", *to))
                    to++;
                break;
            }
            if (line < bytes + len && (*line == '\r' || *line == '\n'))
                break;
            p = line;
        }
    }
    siphon_msg_unref(m);
    if (!from) {
        siphon_buf_append(&b, bytes, len);
        return siphon_buf_take(&b, outlen);
    }
    siphon_buf_append(&b, bytes, (size_t)(from - bytes));
    siphon_buf_printf(&b, " SIP/2.0/UDP %s;rport", me);
    siphon_buf_append(&b, to, (size_t)(bytes + len - to));
    return siphon_buf_take(&b, outlen);
}

/* Is status acceptable under spec ("none" for no answer: status 0)? */
static bool judged_ok(const char *spec, int status)
{
    char copy[64];
    snprintf(copy, sizeof copy, "%s", spec);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "none") == 0 && status == 0)
            return true;
        if (strcmp(t, "!400") == 0 && status >= 200 && status != 400)
            return true;
        if (atoi(t) == status && status != 0)
            return true;
    }
    return false;
}

/* The final status that came back on fd within ~0.3 s, 0 for none. */
static int final_status(siphon_loop *loop, int fd)
{
    char buf[65536];
    int status = 0;
    for (int i = 0; i < 60 && status == 0; i++) {
        siphon_loop_run_once(loop, 5);
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) > 0) {
            buf[n] = '\0';
            int s = 0;
            if (sscanf(buf, "SIP/2.0 %d", &s) == 1 && s >= 200 && !status)
                status = s;
        }
    }
    return status;
}

UNIT_TEST(ua_rfc4475_uas_answers)
{
    size_t tsv_len;
    char *tsv = unit_read_file(DATA "EXPECT-UAS.tsv", &tsv_len);
    if (!tsv) {
        unit_skip("tests/data/rfc4475/EXPECT-UAS.tsv missing");
        return;
    }
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    uas u = {0};
    siphon_reg_config rc = SIPHON_REG_CONFIG_DEFAULT;
    u.reg = siphon_reg_new(&rc);
    CHECK(u.reg != NULL);
    static const char *const methods[] = {"INVITE",  "ACK",     "CANCEL",
                                          "BYE",     "OPTIONS", "MESSAGE",
                                          "REGISTER", "INFO",   NULL};
    siphon_uas_policy pol;
    siphon_uas_policy_default(&pol);
    pol.methods = methods;
    siphon_ua_config cfg;
    siphon_ua_config_default(&cfg);
    cfg.uas = &pol;
    siphon_ua_handlers h = {.request = on_request, .arg = &u};
    CHECK_INT(siphon_ua_new(loop, &cfg, &h, &u.ua), 0);
    struct sockaddr_storage sa;
    CHECK_INT(siphon_ua_listen(u.ua, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               &sa), 0);
    char to[SIPHON_ADDR_STRLEN];
    siphon_addr_format((struct sockaddr *)&sa, to, sizeof to);

    int cases = 0, agree = 0;
    char *save = NULL;
    for (char *line = strtok_r(tsv, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char name[64], spec[64];
        if (sscanf(line, "%63[^\t]\t%63[^\t\n]", name, spec) != 2 ||
            strcmp(name, "name") == 0)
            continue;
        char path[128];
        snprintf(path, sizeof path, DATA "%s.dat", name);
        size_t len;
        char *bytes = unit_read_file(path, &len);
        if (!bytes) {
            unit_fail(__FILE__, __LINE__, "%s: cannot read", path);
            continue;
        }
        /* A socket per message: several messages share a branch
         * (z9hG4bKkdjuw), and one sent-by for all would make them
         * retransmissions of each other (§17.2.3). */
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in me = {.sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        CHECK_INT(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
        socklen_t ml = sizeof me;
        getsockname(fd, (struct sockaddr *)&me, &ml);
        char mine[SIPHON_ADDR_STRLEN];
        siphon_addr_format((struct sockaddr *)&me, mine, sizeof mine);
        size_t outlen;
        char *dgram = prepare(bytes, len, mine, &outlen);
        sendto(fd, dgram, outlen, 0, (struct sockaddr *)&sa,
               siphon_addr_len((struct sockaddr *)&sa));
        int status = final_status(loop, fd);
        cases++;
        if (judged_ok(spec, status))
            agree++;
        else
            unit_fail(__FILE__, __LINE__, "%s: answered %d, expected %s",
                      name, status, spec);
        free(dgram);
        free(bytes);
        close(fd);
    }
    CHECK_INT(cases, 49);
    CHECK_INT(agree, 49);
    siphon_ua_free(u.ua);
    siphon_reg_free(u.reg);
    siphon_loop_free(loop);
    free(tsv);
}
