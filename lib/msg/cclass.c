/*
 * cclass.c -- the character class table behind scan.h, built at load time
 * from the character sets of RFC 3261 §25.1 so that each set is written
 * once, as the RFC writes it.
 */
#include "scan.h"

uint16_t siphon_cclass_[256];

#define ALPHA "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"
#define ALNUM ALPHA DIGIT
#define MARK "-_.!~*'()"             /* mark */
#define UNRESERVED ALNUM MARK         /* unreserved */

static void add(const char *chars, uint16_t cls)
{
    for (; *chars; chars++)
        siphon_cclass_[(unsigned char)*chars] |= cls;
}

__attribute__((constructor)) static void build_cclass(void)
{
    add(ALNUM "-.!%*_+`'~", CC_TOKEN);                  /* token */
    add(ALNUM, CC_ALNUM);
    add(DIGIT, CC_DIGIT);
    add(DIGIT "ABCDEFabcdef", CC_HEX);
    add(UNRESERVED, CC_UNRESERVED);
    add(" \t\r\n", CC_WS);
    add(ALNUM "-._", CC_HOST);                           /* hostname, plus '_' seen in the wild */
    add(ALNUM "-.!%*_+`'~()<>:\\\"/[]?{}", CC_WORD);    /* word (Call-ID) */
    add(UNRESERVED "&=+$,;?/", CC_USER);                 /* user: user-unreserved */
    add(UNRESERVED "&=+$,", CC_PASSWORD);                /* password */
    add(UNRESERVED "[]/:&+$", CC_PARAMCHAR);             /* paramchar: param-unreserved */
    add(UNRESERVED "[]/?:+$", CC_HNVCHAR);               /* hname/hvalue: hnv-unreserved */
    add(ALNUM "-.!%*_+`'~:[]", CC_GENVALUE);             /* gen-value: token / host */
    add(ALNUM "+-.", CC_SCHEME);                         /* scheme (RFC 3986 §3.1) */
    add(DIGIT ".", CC_DIGITDOT);                         /* IPv4address candidates */
    add(ALNUM "-_", CC_HOSTLABEL);                       /* domainlabel, plus '_' */
}
