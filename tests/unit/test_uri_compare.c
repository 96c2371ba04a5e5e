/*
 * test_uri_compare.c -- URI equivalence through siphon_uri_equal().
 *
 * RFC 3261 §19.1.4: both lists of examples (equivalent and not), plus the
 * rules they illustrate. RFC 3966 §4: tel URI comparison.
 */
#include "unit.h"

#include <siphon/uri.h>

/*
 * Parse x and y and compare them both ways (equivalence must be
 * symmetric). Reports a failure at file:line when either does not parse
 * or the verdict is not want.
 */
static void compare(const char *file, int line, const char *x, const char *y,
                    bool want)
{
    siphon_arena a;
    siphon_uri ux, uy;
    siphon_perr err;
    siphon_arena_init(&a, NULL, 0);
    memset(&ux, 0, sizeof ux);
    memset(&uy, 0, sizeof uy);
    if (siphon_uri_parse(&a, x, strlen(x), &ux, &err) != 0) {
        unit_fail(file, line, "\"%s\" does not parse: %s", x, err.text);
    } else if (siphon_uri_parse(&a, y, strlen(y), &uy, &err) != 0) {
        unit_fail(file, line, "\"%s\" does not parse: %s", y, err.text);
    } else {
        bool xy = siphon_uri_equal(&ux, &uy), yx = siphon_uri_equal(&uy, &ux);
        if (xy != want || yx != want)
            unit_fail(file, line, "\"%s\" vs \"%s\": %s/%s, expected %s", x,
                      y, xy ? "equal" : "unequal", yx ? "equal" : "unequal",
                      want ? "equal" : "unequal");
    }
    siphon_arena_free(&a);
}
#define EQUAL(x, y) compare(__FILE__, __LINE__, x, y, true)
#define UNEQUAL(x, y) compare(__FILE__, __LINE__, x, y, false)

/* ---- RFC 3261 §19.1.4 ---------------------------------------------------- */

UNIT_TEST(uri_compare_rfc3261_equivalent)
{
    EQUAL("sip:%61lice@atlanta.com;transport=TCP",
          "sip:alice@AtLanTa.CoM;Transport=tcp");
    EQUAL("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5");
    EQUAL("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
    EQUAL("sip:carol@chicago.com;newparam=5",
          "sip:carol@chicago.com;security=on");
    EQUAL("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
          "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com");
    EQUAL("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
          "sip:alice@atlanta.com?priority=urgent&subject=project%20x");
}

UNIT_TEST(uri_compare_rfc3261_not_equivalent)
{
    /* different usernames */
    UNEQUAL("SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP");
    /* can resolve to different ports */
    UNEQUAL("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060");
    /* can resolve to different transports */
    UNEQUAL("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp");
    /* can resolve to different port and transports */
    UNEQUAL("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp");
    /* different header component */
    UNEQUAL("sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting");
    /* even though that's what phone21.boxesbybob.com resolves to */
    UNEQUAL("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4");
}

/* "Note that equality is not transitive" (§19.1.4). */
UNIT_TEST(uri_compare_not_transitive)
{
    EQUAL("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
    EQUAL("sip:carol@chicago.com", "sip:carol@chicago.com;security=off");
    UNEQUAL("sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;security=off");
}

UNIT_TEST(uri_compare_scheme)
{
    UNEQUAL("sip:alice@atlanta.com", "sips:alice@atlanta.com");
    EQUAL("SIPS:alice@atlanta.com", "sips:alice@atlanta.com");
    UNEQUAL("sip:+12015550123@example.com;user=phone", "tel:+12015550123");
}

UNIT_TEST(uri_compare_userinfo)
{
    EQUAL("sip:alice@atlanta.com", "sip:%61%6C%69%63%65@atlanta.com");
    EQUAL("sip:%6c@atlanta.com", "sip:%6C@atlanta.com");   /* hex case */
    UNEQUAL("sip:alice@atlanta.com", "sip:Alice@atlanta.com");
    UNEQUAL("sip:alice@atlanta.com", "sip:atlanta.com");
    UNEQUAL("sip:alice:secret@atlanta.com", "sip:alice@atlanta.com");
    UNEQUAL("sip:alice:secret@atlanta.com", "sip:alice:Secret@atlanta.com");
    EQUAL("sip:alice:s%65cret@atlanta.com", "sip:alice:secret@atlanta.com");
}

/* §19.1.4: only characters outside the reserved set are equivalent to
 * their escaped form; ';' (RFC 4475 §3.1.1.9) and '+' may appear literally
 * in a user, and escaping them makes a different user. */
UNIT_TEST(uri_compare_reserved_escapes)
{
    UNEQUAL("sip:a%3bb@example.com", "sip:a;b@example.com");
    UNEQUAL("sip:+1-201-555-0123@gw.example.com;user=phone",
            "sip:%2B1-201-555-0123@gw.example.com;user=phone");
    EQUAL("sip:a%3bb@example.com", "sip:a%3Bb@example.com");
    UNEQUAL("sip:example.com?to=sip:bob%40biloxi.com",
            "sip:example.com?to=sip:bob%2540biloxi.com");
}

UNIT_TEST(uri_compare_host_port)
{
    EQUAL("sip:alice@ATLANTA.com", "sip:alice@atlanta.COM");
    UNEQUAL("sip:alice@atlanta.com", "sip:alice@atlanta.com.");
    EQUAL("sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:5060");
    UNEQUAL("sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:5061");
    UNEQUAL("sips:alice@atlanta.com", "sips:alice@atlanta.com:5061");
    EQUAL("sip:192.0.2.4", "sip:192.0.2.4");
    UNEQUAL("sip:192.0.2.4", "sip:192.0.2.5");
    EQUAL("sip:[2001:db8::10]", "sip:[2001:DB8::10]");
    EQUAL("sip:[2001:db8::10]:5070", "sip:[2001:db8:0:0:0:0:0:10]:5070");
    UNEQUAL("sip:[2001:db8::10]", "sip:[2001:db8::11]");
    UNEQUAL("sip:[2001:db8::10]", "sip:[2001:db8::10]:5060");
}

UNIT_TEST(uri_compare_params)
{
    /* parameter names are case-insensitive, and may be escaped */
    EQUAL("sip:a@b.com;Transport=TCP", "sip:a@b.com;transport=tcp");
    EQUAL("sip:a@b.com;%74ransport=tcp", "sip:a@b.com;transport=tcp");
    /* values: case-insensitive, compared after unescaping */
    EQUAL("sip:a@b.com;foo=B%61r", "sip:a@b.com;foo=bAR");
    UNEQUAL("sip:a@b.com;foo=bar", "sip:a@b.com;foo=baz");
    /* order does not matter */
    EQUAL("sip:a@b.com;x=1;y=2;lr", "sip:a@b.com;lr;y=2;x=1");
    /* a flag differs from a valued parameter of the same name */
    UNEQUAL("sip:a@b.com;lr", "sip:a@b.com;lr=on");
    /* transport, user, ttl, method, maddr: in both or in neither */
    UNEQUAL("sip:a@b.com", "sip:a@b.com;user=phone");
    UNEQUAL("sip:a@b.com", "sip:a@b.com;ttl=1");
    UNEQUAL("sip:a@b.com", "sip:a@b.com;method=INVITE");
    UNEQUAL("sip:a@b.com", "sip:a@b.com;maddr=239.255.255.1");
    UNEQUAL("sip:a@b.com", "sip:a@b.com;transport=udp");
    UNEQUAL("sip:a@b.com;transport=udp", "sip:a@b.com;transport=tcp");
    UNEQUAL("sip:a@b.com;ttl=1", "sip:a@b.com;ttl=2");
    EQUAL("sip:a@b.com;maddr=239.255.255.1;ttl=15",
          "sip:a@b.com;TTL=15;MADDR=239.255.255.1");
    /* other parameters present on one side only are ignored */
    EQUAL("sip:a@b.com;lr", "sip:a@b.com");
    EQUAL("sip:a@b.com;transport=tcp;ob", "sip:a@b.com;transport=TCP;x=y");
    UNEQUAL("sip:a@b.com;ob;transport=tcp", "sip:a@b.com;ob");
}

UNIT_TEST(uri_compare_headers)
{
    /* names case-insensitive, values unescaped but case-sensitive */
    EQUAL("sip:a@b.com?Subject=hi%74here", "sip:a@b.com?subject=hithere");
    EQUAL("sip:a@b.com?subject=hi%2dthere", "sip:a@b.com?subject=hi%2Dthere");
    UNEQUAL("sip:a@b.com?subject=Hi", "sip:a@b.com?subject=hi");
    UNEQUAL("sip:a@b.com?subject=hi", "sip:a@b.com?priority=urgent");
    UNEQUAL("sip:a@b.com?subject=hi", "sip:a@b.com?subject=hi&priority=urgent");
    /* headers are never ignored, not even against a bare URI */
    UNEQUAL("sip:a@b.com?priority=urgent", "sip:a@b.com");
    /* a repeated header keeps its order; other names may move */
    EQUAL("sip:a@b.com?route=%3Csip:x%3E&route=%3Csip:y%3E&subject=s",
          "sip:a@b.com?subject=s&Route=%3Csip:x%3E&route=%3Csip:y%3E");
    UNEQUAL("sip:a@b.com?route=%3Csip:x%3E&route=%3Csip:y%3E",
            "sip:a@b.com?route=%3Csip:y%3E&route=%3Csip:x%3E");
}

/* ---- RFC 3966 §4 ---------------------------------------------------------- */

UNIT_TEST(uri_compare_tel_numbers)
{
    /* visual separators do not count */
    EQUAL("tel:+1-201-555-0123", "tel:+12015550123");
    EQUAL("tel:+1(201)555.0123", "tel:+1-201-555-0123");
    UNEQUAL("tel:+1-201-555-0123", "tel:+1-201-555-0124");
    UNEQUAL("tel:+1-201-555-0123", "tel:+1-201-555-01234");
    /* global never equals local, even with the same digits */
    UNEQUAL("tel:+12015550123", "tel:12015550123;phone-context=+1");
    /* comparisons are case-insensitive: hex digits and the scheme */
    EQUAL("tel:7aB;phone-context=example.com",
          "TEL:7-A-b;phone-context=example.com");
    EQUAL("tel:*21#;phone-context=example.com",
          "tel:*-21-#;phone-context=example.com");
}

UNIT_TEST(uri_compare_tel_context)
{
    /* RFC 3966 §3 examples */
    EQUAL("tel:7042;phone-context=example.com",
          "tel:7042;phone-context=EXAMPLE.com");
    EQUAL("tel:863-1234;phone-context=+1-914-555",
          "tel:8631234;phone-context=+1914555");
    EQUAL("tel:863-1234;phone-context=+1-914-555",
          "tel:863.1234;phone-context=+1(914)555");
    UNEQUAL("tel:863-1234;phone-context=+1-914-555",
            "tel:863-1234;phone-context=+1-914-556");
    UNEQUAL("tel:7042;phone-context=example.com",
            "tel:7042;phone-context=example.net");
    /* a name never equals a number, whatever the separators */
    UNEQUAL("tel:7042;phone-context=a.b", "tel:7042;phone-context=+1");
    UNEQUAL("tel:7042;phone-context=a-b.com",
            "tel:7042;phone-context=ab.com");
}

UNIT_TEST(uri_compare_tel_params)
{
    /* by name, regardless of order and case */
    EQUAL("tel:+1-201-555-0123;ext=1234;isub=ab",
          "tel:+1-201-555-0123;ISUB=AB;EXT=1234");
    EQUAL("tel:+1-201-555-0123;ext=12-34", "tel:+12015550123;ext=1234");
    UNEQUAL("tel:+1-201-555-0123;ext=1234", "tel:+1-201-555-0123;ext=1235");
    /* a parameter only on one side makes them differ */
    UNEQUAL("tel:+1-201-555-0123;ext=1234", "tel:+1-201-555-0123");
    UNEQUAL("tel:+1-201-555-0123;npdi", "tel:+1-201-555-0123");
    UNEQUAL("tel:+1-201-555-0123;foo=x", "tel:+1-201-555-0123;bar=x");
    /* other values: case-insensitive, after unescaping */
    EQUAL("tel:+1;tgrp=TG%2d1", "tel:+1;TGRP=tg-1");
    EQUAL("tel:+1;isub=%41b", "tel:+1;isub=aB");
    UNEQUAL("tel:+1;npdi", "tel:+1;npdi=yes");
    UNEQUAL("tel:+1;rn=+1-202", "tel:+1;rn=+1-203");
}
