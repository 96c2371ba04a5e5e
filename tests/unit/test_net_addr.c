/*
 * test_net_addr.c -- numeric address parsing, formatting and ordering.
 */
#include "unit.h"

#include <siphon/net.h>

#include <netinet/in.h>

/* Parse text and format it back; returns the parse code. */
static int roundtrip(const char *text, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    out[0] = 0;
    int rv = siphon_addr_parse(siphon_str_c(text), &ss, &len);
    if (rv < 0)
        return rv;
    CHECK_INT(len, siphon_addr_len((struct sockaddr *)&ss));
    CHECK(siphon_addr_format((struct sockaddr *)&ss, out, cap) > 0);
    return 0;
}

UNIT_TEST(net_addr_parse_good)
{
    static const struct {
        const char *in, *out;
        unsigned port;
    } cases[] = {
        {"127.0.0.1:5060", "127.0.0.1:5060", 5060},
        {"0.0.0.0:0", "0.0.0.0:0", 0},
        {"192.0.2.255:65535", "192.0.2.255:65535", 65535},
        {"[::1]:5060", "[::1]:5060", 5060},
        {"[2001:DB8:0:0::1]:5061", "[2001:db8::1]:5061", 5061},
        {"[::ffff:192.0.2.1]:5060", "[::ffff:192.0.2.1]:5060", 5060},
        {"[fe80::1%7]:5060", "[fe80::1%7]:5060", 5060},
        {"[fe80::1%lo]:5060", "[fe80::1%1]:5060", 5060},
        {"127.0.0.1:05060", "127.0.0.1:5060", 5060},
    };
    char buf[SIPHON_ADDR_STRLEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rv = roundtrip(cases[i].in, buf, sizeof buf);
        if (rv != 0 || strcmp(buf, cases[i].out) != 0)
            unit_fail(__FILE__, __LINE__, "%s -> %d \"%s\", expected \"%s\"",
                      cases[i].in, rv, buf, cases[i].out);
        struct sockaddr_storage ss;
        if (rv == 0 && siphon_addr_parse(siphon_str_c(cases[i].in), &ss,
                                         NULL) == 0)
            CHECK_INT(siphon_addr_port((struct sockaddr *)&ss),
                      cases[i].port);
    }
}

UNIT_TEST(net_addr_parse_bad)
{
    static const struct {
        const char *in;
        int rv;
    } cases[] = {
        {"", SIPHON_EPARSE},
        {"127.0.0.1", SIPHON_EPARSE},
        {"127.0.0.1:", SIPHON_EPARSE},
        {":5060", SIPHON_EPARSE},
        {"127.0.0.1:65536", SIPHON_ERANGE},
        {"127.0.0.1:99999999999999999999999", SIPHON_ERANGE},
        {"127.0.0.1:+5", SIPHON_EPARSE},
        {"127.0.0.1:50 60", SIPHON_EPARSE},
        {"127.0.0.1:5060 ", SIPHON_EPARSE},
        {" 127.0.0.1:5060", SIPHON_EPARSE},
        {"127.1:5060", SIPHON_EPARSE},
        {"256.0.0.1:5060", SIPHON_EPARSE},
        {"1.2.3.4.5:5060", SIPHON_EPARSE},
        {"example.com:5060", SIPHON_EPARSE},
        {"::1:5060", SIPHON_EPARSE},
        {"[::1]", SIPHON_EPARSE},
        {"[::1]:", SIPHON_EPARSE},
        {"[::1]5060", SIPHON_EPARSE},
        {"[::1:5060", SIPHON_EPARSE},
        {"[]:5060", SIPHON_EPARSE},
        {"[1.2.3.4]:5060", SIPHON_EPARSE},
        {"[::g]:5060", SIPHON_EPARSE},
        {"[fe80::1%]:5060", SIPHON_EPARSE},
        {"[fe80::1%nosuchif9]:5060", SIPHON_EPARSE},
        {"[0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]:5060",
         SIPHON_EPARSE},
    };
    char buf[SIPHON_ADDR_STRLEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rv = roundtrip(cases[i].in, buf, sizeof buf);
        if (rv != cases[i].rv)
            unit_fail(__FILE__, __LINE__, "\"%s\" -> %d, expected %d",
                      cases[i].in, rv, cases[i].rv);
    }
    /* An embedded NUL is not the end of the text. */
    struct sockaddr_storage ss;
    CHECK_INT(siphon_addr_parse(siphon_str_make("1.2.3.4\0:5", 10), &ss, NULL),
              SIPHON_EPARSE);
    CHECK_INT(siphon_addr_parse(siphon_str_make("1.2.3.4:5\0", 10), &ss, NULL),
              SIPHON_EPARSE);
}

UNIT_TEST(net_addr_from_host)
{
    struct sockaddr_storage a, b;
    socklen_t len;
    char buf[SIPHON_ADDR_STRLEN];
    CHECK_INT(siphon_addr_from_host(siphon_str_c("[::1]"), 5070, &a, &len), 0);
    CHECK_INT(len, sizeof(struct sockaddr_in6));
    CHECK_INT(siphon_addr_from_host(siphon_str_c("::1"), 5070, &b, NULL), 0);
    CHECK_INT(siphon_addr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b),
              0);
    CHECK_INT(siphon_addr_from_host(siphon_str_c("10.1.2.3"), 9, &a, &len), 0);
    CHECK_INT(len, sizeof(struct sockaddr_in));
    CHECK_INT(siphon_addr_format((struct sockaddr *)&a, buf, sizeof buf), 10);
    CHECK(strcmp(buf, "10.1.2.3:9") == 0);
    CHECK_INT(siphon_addr_format((struct sockaddr *)&a, buf, 5),
              SIPHON_ETOOBIG);
    CHECK_INT(siphon_addr_from_host(siphon_str_c(""), 1, &a, NULL),
              SIPHON_EPARSE);
    CHECK_INT(siphon_addr_from_host(siphon_str_c("[]"), 1, &a, NULL),
              SIPHON_EPARSE);
    CHECK_INT(siphon_addr_from_host(siphon_str_c("sip.example.com"), 1, &a,
                                    NULL), SIPHON_EPARSE);
    struct sockaddr un = {.sa_family = AF_UNIX};
    CHECK_INT(siphon_addr_format(&un, buf, sizeof buf), SIPHON_EINVAL);
    CHECK_INT(siphon_addr_len(&un), 0);
    CHECK_INT(siphon_addr_port(&un), 0);
}

UNIT_TEST(net_addr_compare)
{
    /* Listed in ascending order: family (AF_INET < AF_INET6), then address
     * bytes, then port, then scope. */
    static const char *sorted[] = {
        "9.255.255.255:65535", "10.0.0.1:1", "10.0.0.1:5060",
        "10.0.0.2:0",          "[::1]:5060", "[::1]:5061",
        "[fe80::1]:5060",      "[fe80::1%1]:5060", "[fe80::1%2]:5060",
    };
    enum { N = sizeof sorted / sizeof sorted[0] };
    struct sockaddr_storage ss[N];
    for (int i = 0; i < N; i++)
        CHECK_INT(siphon_addr_parse(siphon_str_c(sorted[i]), &ss[i], NULL),
                  0);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            int c = siphon_addr_cmp((struct sockaddr *)&ss[i],
                                    (struct sockaddr *)&ss[j]);
            int want = (i > j) - (i < j);
            if (c != want)
                unit_fail(__FILE__, __LINE__, "cmp(%s, %s) = %d", sorted[i],
                          sorted[j], c);
        }
    }
    /* The v4-mapped form is not the IPv4 address. */
    struct sockaddr_storage v4, mapped;
    CHECK_INT(siphon_addr_parse(siphon_str_c("192.0.2.1:5060"), &v4, NULL), 0);
    CHECK_INT(siphon_addr_parse(siphon_str_c("[::ffff:192.0.2.1]:5060"),
                                &mapped, NULL), 0);
    CHECK(siphon_addr_cmp((struct sockaddr *)&v4, (struct sockaddr *)&mapped)
          != 0);
}
