/*
 * fuzz_ua.c -- fuzz harness for what the endpoint does to bytes from the
 * network before any transaction sees them (lib/ua/route.c):
 *
 *   - the 400 salvaged from a request that does not parse, built from its
 *     raw Via/From/To/Call-ID/CSeq lines (RFC 3261 §8.2, RFC 4475 §3.1.2);
 *   - received/rport stamped into the top Via of a request that does
 *     (§18.2.1, RFC 3581 §4), for an IPv4 and an IPv6 source;
 *   - where the response to it goes (§18.2.2).
 *
 * Invariants:
 *   - a salvaged answer is a 400 response with a readable top Via;
 *   - a stamped request parses, keeps its method, Call-ID and body, and
 *     its top Via carries received = the source address, and rport = the
 *     source port when the sender asked for rport;
 *   - the response destination of a stamped request's 200 is the source
 *     (address and, with rport, port): what RFC 3581 exists for.
 */
#include "fuzz_common.h"

#include "../lib/ua/ua_internal.h"

#include <arpa/inet.h>

static void check_salvage(const char *data, size_t size)
{
    siphon_msg *r = ua_salvage_400(data, size, "fuzz");
    if (!r)
        return;
    if (siphon_msg_is_request(r) || siphon_msg_status(r) != 400 ||
        !siphon_msg_via(r)) {
        fuzz_dump("input", data, size);
        fuzz_fail("salvaged answer is not a 400 with a Via");
    }
    siphon_msg_unref(r);
}

static void check_stamp(siphon_msg *m, const struct sockaddr *src,
                        const char *ip, const char *data, size_t size)
{
    siphon_msg *s = ua_stamp_via(m, src);
    if (!s || s == m) {
        siphon_msg_unref(s);
        return; /* nothing to add, or the stamped text no longer parses */
    }
    const siphon_via *v = siphon_msg_via(s);
    const siphon_via *orig = siphon_msg_via(m);
    if (!v || !orig) {
        fuzz_dump("input", data, size);
        fuzz_fail("stamped request lost its top Via");
    }
    if (!siphon_str_eq(v->received, siphon_str_c(ip)) ||
        (orig->has_rport && v->rport != siphon_addr_port(src)) ||
        !siphon_str_eq(siphon_msg_call_id(s), siphon_msg_call_id(m)) ||
        !siphon_str_eq(siphon_msg_body(s), siphon_msg_body(m)) ||
        !siphon_str_eq(siphon_msg_method(s), siphon_msg_method(m))) {
        fuzz_dump("input", data, size);
        fuzz_fail("stamped Via says received=%.*s rport=%u, want %s:%u",
                  (int)v->received.len, v->received.p, v->rport, ip,
                  siphon_addr_port(src));
    }
    siphon_msg *resp = NULL;
    if (siphon_msg_response(s, 200, SIPHON_STR_NULL, siphon_str_c("f"),
                            &resp) == 0) {
        siphon_ua_flow flow = {.transport = SIPHON_RESOLVE_UDP};
        memcpy(&flow.peer, src, siphon_addr_len(src));
        struct sockaddr_storage dest;
        const siphon_via *rv = siphon_msg_via(resp);
        bool maddr = rv && siphon_params_find(&rv->params, "maddr");
        if (!maddr && ua_response_dest(resp, &flow, &dest) == 0) {
            struct sockaddr_storage want;
            memcpy(&want, src, siphon_addr_len(src));
            if (!orig->has_rport) {
                uint16_t port = rv->has_port ? rv->port : 5060;
                if (want.ss_family == AF_INET)
                    ((struct sockaddr_in *)&want)->sin_port = htons(port);
                else
                    ((struct sockaddr_in6 *)&want)->sin6_port = htons(port);
            }
            if (siphon_addr_cmp((struct sockaddr *)&dest,
                                (struct sockaddr *)&want) != 0) {
                fuzz_dump("input", data, size);
                fuzz_fail("the response does not go back to the source");
            }
        }
        siphon_msg_unref(resp);
    }
    siphon_msg_unref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    check_salvage(p, size);
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msg_parse(p, size, NULL, &m, &err) < 0)
        return 0;
    if (siphon_msg_is_request(m)) {
        struct sockaddr_in v4 = {.sin_family = AF_INET,
                                 .sin_port = htons(40123)};
        inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
        struct sockaddr_in6 v6 = {.sin6_family = AF_INET6,
                                  .sin6_port = htons(5062)};
        inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr);
        check_stamp(m, (struct sockaddr *)&v4, "192.0.2.7", p, size);
        check_stamp(m, (struct sockaddr *)&v6, "2001:db8::7", p, size);
    }
    siphon_msg_unref(m);
    return 0;
}
