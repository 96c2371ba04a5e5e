/*
 * bench/gen_corpus.c -- deterministic SIP corpus for the parser benchmark.
 *
 * Writes N messages (default 20,000) as the length-prefixed corpus.bin
 * described in bench/bench.h, plus corpus.expect: per message, the fields
 * every adapter reads and their checksum contribution. The mix follows
 * ../shared/reference/benchmarks.md ("Parser"): flows weighted
 * call 3 : register 2 : options 2 : notify 1 (each block of 8 flows holds
 * exactly that many of each, in a shuffled order), about 2.5 % of messages
 * with compact header names and about 2.5 % with folded lines (From folded
 * before ;tag, and a list header folded after a comma); about 30 % of the
 * folded ones also use lower-case header names.
 *
 * The random source is a fixed-seed splitmix64, so the output is the same
 * on every machine. The expected values are recorded by the same helpers
 * that print the header fields, so they always agree with the bytes.
 *
 * usage: gen_corpus OUT.bin OUT.expect [--count N] [--seed S]
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ---- PRNG: splitmix64 ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rnd(uint32_t n)
{
    return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi) /* inclusive */
{
    return lo + rnd(hi - lo + 1);
}

static const char *pick(const char *const *v, size_t n)
{
    return v[rnd((uint32_t)n)];
}
#define PICK(arr) pick((arr), sizeof(arr) / sizeof((arr)[0]))

static void rnd_chars(char *out, size_t n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd((uint32_t)k)];
    out[n] = '\0';
}

static const char HEX[] = "0123456789abcdef";
static const char ALNUM[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char DIGITS[] = "0123456789";

/* ---- value generators ---------------------------------------------------- */

static void gen_branch(char *out)
{
    char r[40];
    switch (rnd(4)) {
    case 0: /* hex, as many stacks do */
        rnd_chars(r, rnd_range(8, 24), HEX);
        sprintf(out, "z9hG4bK%s", r);
        break;
    case 1: /* alnum */
        rnd_chars(r, rnd_range(10, 22), ALNUM);
        sprintf(out, "z9hG4bK%s", r);
        break;
    case 2: /* "z9hG4bK-" + digits, with a suffix */
        rnd_chars(r, rnd_range(6, 10), DIGITS);
        sprintf(out, "z9hG4bK-%s-1---%c%c%c%c", r, HEX[rnd(16)], HEX[rnd(16)],
                HEX[rnd(16)], HEX[rnd(16)]);
        break;
    default: /* dotted */
        rnd_chars(r, rnd_range(8, 16), ALNUM);
        sprintf(out, "z9hG4bK.%s", r);
        break;
    }
}

static void gen_tag(char *out)
{
    switch (rnd(3)) {
    case 0:
        rnd_chars(out, 8, HEX);
        break;
    case 1:
        rnd_chars(out, rnd_range(10, 16), ALNUM);
        break;
    default:
        rnd_chars(out, rnd_range(9, 10), DIGITS);
        break;
    }
}

static void gen_ip(char *out)
{
    switch (rnd(5)) {
    case 0:
        sprintf(out, "10.%u.%u.%u", rnd(256), rnd(256), rnd_range(1, 254));
        break;
    case 1:
        sprintf(out, "192.168.%u.%u", rnd(256), rnd_range(1, 254));
        break;
    case 2:
        sprintf(out, "172.%u.%u.%u", rnd_range(16, 31), rnd(256),
                rnd_range(1, 254));
        break;
    case 3:
        sprintf(out, "203.0.113.%u", rnd_range(1, 254));
        break;
    default:
        sprintf(out, "198.51.100.%u", rnd_range(1, 254));
        break;
    }
}

static const char *const DOMAINS[] = {
    "example.com",        "atlanta.example.com", "biloxi.example.com",
    "voip.example.net",   "sip.example.org",     "pbx.example.co.uk",
    "ims.example.net",    "chicago.example.com",
};

static const char *const NAMES[] = {
    "alice", "bob",   "carol", "dave",  "erin",   "frank",
    "grace", "heidi", "ivan",  "judy",  "oscar",  "peggy",
    "trent", "victor", "walter", "sybil",
};

static const char *const DISPLAYS[] = {
    "Alice Liddell", "Bob", "Carol Danvers", "Dave Lister", "Erin",
    "Frank Poole", "Grace Hopper", "Reception", "Sales Desk", "Support",
};

static const char *const AGENTS[] = {
    "Linphone/5.2.0 (belle-sip/5.2.0)",
    "Zoiper rv2.10.19.6",
    "PolycomVVX-VVX_411-UA/6.4.3.5018",
    "Yealink SIP-T46S 66.86.0.15",
    "Grandstream GXP2170 1.0.11.23",
    "MicroSIP/3.21.3",
    "Cisco-CP8865/14.2.1",
    "Bria 6 release 6.5.3 stamp 110930",
};

static const char *const SERVERS[] = {
    "Asterisk PBX 20.5.0",
    "FreeSWITCH-mod_sofia/1.10.10-release~64bit",
    "kamailio (5.6.3 (x86_64/linux))",
    "OpenSIPS (3.4.2 (x86_64/linux))",
    "Cisco-SIPGateway/IOS-15.x",
};

static const char ALLOW[] =
    "INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, "
    "INFO, UPDATE, PRACK";

typedef struct party {
    char user[32];
    char domain[48];
    char display[32]; /* empty: none */
    char ip[16];
    unsigned port;
    const char *agent;
} party;

static void gen_party(party *p)
{
    switch (rnd(3)) {
    case 0:
        sprintf(p->user, "%s", PICK(NAMES));
        break;
    case 1:
        sprintf(p->user, "%u", rnd_range(1000, 8999));
        break;
    default: {
        char d[12];
        rnd_chars(d, 9, DIGITS);
        sprintf(p->user, "+1%u%s", rnd_range(2, 9), d);
        break;
    }
    }
    sprintf(p->domain, "%s", PICK(DOMAINS));
    if (rnd(3) == 0)
        p->display[0] = '\0';
    else
        sprintf(p->display, "%s", PICK(DISPLAYS));
    gen_ip(p->ip);
    p->port = rnd(2) ? 5060 : rnd_range(1024, 65000);
    p->agent = PICK(AGENTS);
}

static void gen_call_id(char *out, const party *p)
{
    char a[40], b[40];
    switch (rnd(4)) {
    case 0:
        rnd_chars(a, 32, HEX);
        sprintf(out, "%s@%s", a, p->ip);
        break;
    case 1: /* uuid */
        rnd_chars(a, 32, HEX);
        sprintf(out, "%.8s-%.4s-%.4s-%.4s-%.12s", a, a + 8, a + 12, a + 16,
                a + 20);
        break;
    case 2:
        rnd_chars(a, rnd_range(12, 24), ALNUM);
        sprintf(out, "%s@%s", a, p->domain);
        break;
    default:
        rnd_chars(a, 10, DIGITS);
        rnd_chars(b, 6, DIGITS);
        sprintf(out, "%s-%s@%s", a, b, p->ip);
        break;
    }
}

/* ---- message builder ----------------------------------------------------- */

enum style { PLAIN, COMPACT, FOLDED, FOLDED_LC };
static const char *const STYLE_NAMES[] = {"plain", "compact", "folded",
                                          "folded-lc"};

enum hdr {
    H_VIA, H_FROM, H_TO, H_CALL_ID, H_CSEQ, H_CONTACT, H_MAX_FORWARDS,
    H_RECORD_ROUTE, H_ROUTE, H_ALLOW, H_SUPPORTED, H_USER_AGENT, H_SERVER,
    H_CONTENT_TYPE, H_CONTENT_LENGTH, H_EXPIRES, H_WWW_AUTHENTICATE,
    H_AUTHORIZATION, H_EVENT, H_SUBSCRIPTION_STATE, H_ACCEPT, H_DATE,
    H_SESSION_EXPIRES, H_MIN_SE, H_P_ASSERTED_IDENTITY, H_ALLOW_EVENTS,
    H_REASON
};

static const struct {
    const char *name;
    char compact;
} HDRS[] = {
    [H_VIA] = {"Via", 'v'},
    [H_FROM] = {"From", 'f'},
    [H_TO] = {"To", 't'},
    [H_CALL_ID] = {"Call-ID", 'i'},
    [H_CSEQ] = {"CSeq", 0},
    [H_CONTACT] = {"Contact", 'm'},
    [H_MAX_FORWARDS] = {"Max-Forwards", 0},
    [H_RECORD_ROUTE] = {"Record-Route", 0},
    [H_ROUTE] = {"Route", 0},
    [H_ALLOW] = {"Allow", 0},
    [H_SUPPORTED] = {"Supported", 'k'},
    [H_USER_AGENT] = {"User-Agent", 0},
    [H_SERVER] = {"Server", 0},
    [H_CONTENT_TYPE] = {"Content-Type", 'c'},
    [H_CONTENT_LENGTH] = {"Content-Length", 'l'},
    [H_EXPIRES] = {"Expires", 0},
    [H_WWW_AUTHENTICATE] = {"WWW-Authenticate", 0},
    [H_AUTHORIZATION] = {"Authorization", 0},
    [H_EVENT] = {"Event", 'o'},
    [H_SUBSCRIPTION_STATE] = {"Subscription-State", 0},
    [H_ACCEPT] = {"Accept", 0},
    [H_DATE] = {"Date", 0},
    [H_SESSION_EXPIRES] = {"Session-Expires", 'x'},
    [H_MIN_SE] = {"Min-SE", 0},
    [H_P_ASSERTED_IDENTITY] = {"P-Asserted-Identity", 0},
    [H_ALLOW_EVENTS] = {"Allow-Events", 'u'},
    [H_REASON] = {"Reason", 0},
};

#define MSG_MAX 4096

typedef struct gmsg {
    enum style style;
    char buf[MSG_MAX];
    size_t len;
    /* what the helpers wrote: the expected fields */
    bool request;
    int status;
    char method[16];
    int nvia;
    char branch[64];
    char from_tag[40];
    char to_tag[40];
    char call_id[96];
    unsigned cseq;
    char cseq_method[16];
    int ncontact;
    char contact_user[40];
    char contact_host[40];
} gmsg;

static void put(gmsg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(gmsg *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->buf + m->len, MSG_MAX - m->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= MSG_MAX - m->len) {
        fprintf(stderr, "gen_corpus: message too long\n");
        exit(2);
    }
    m->len += (size_t)n;
}

static void put_name(gmsg *m, enum hdr h)
{
    const char *name = HDRS[h].name;
    if (m->style == COMPACT && HDRS[h].compact) {
        put(m, "%c: ", HDRS[h].compact);
        return;
    }
    if (m->style == FOLDED_LC) {
        for (const char *s = name; *s; s++)
            put(m, "%c", (*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
        put(m, ": ");
        return;
    }
    put(m, "%s: ", name);
}

static void hdr(gmsg *m, enum hdr h, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void hdr(gmsg *m, enum hdr h, const char *fmt, ...)
{
    put_name(m, h);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->buf + m->len, MSG_MAX - m->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= MSG_MAX - m->len) {
        fprintf(stderr, "gen_corpus: message too long\n");
        exit(2);
    }
    m->len += (size_t)n;
    put(m, "\r\n");
}

static bool folded(const gmsg *m)
{
    return m->style == FOLDED || m->style == FOLDED_LC;
}

/* Folding whitespace: CRLF then one or more SP/HTAB (RFC 3261 §7.3.1). */
static const char *fold_ws(void)
{
    static const char *const ws[] = {"\r\n ", "\r\n\t", "\r\n    "};
    return PICK(ws);
}

static void msg_begin(gmsg *m, enum style st)
{
    memset(m, 0, sizeof *m);
    m->style = st;
}

static void request_line(gmsg *m, const char *method, const char *ruri)
{
    m->request = true;
    snprintf(m->method, sizeof m->method, "%s", method);
    put(m, "%s %s SIP/2.0\r\n", method, ruri);
}

static void status_line(gmsg *m, int status, const char *reason)
{
    m->request = false;
    m->status = status;
    put(m, "SIP/2.0 %d %s\r\n", status, reason);
}

/* A Via field; the first one written is the top Via. */
static void via(gmsg *m, const char *host, unsigned port, const char *branch,
                const char *extra)
{
    if (m->nvia++ == 0)
        snprintf(m->branch, sizeof m->branch, "%s", branch);
    char hp[40];
    if (port == 5060)
        snprintf(hp, sizeof hp, "%s", host);
    else
        snprintf(hp, sizeof hp, "%s:%u", host, port);
    hdr(m, H_VIA, "SIP/2.0/UDP %s%s;branch=%s", hp, extra ? extra : "",
        branch);
}

/* From: always with a tag; folded before ;tag in the folded styles. */
static void from(gmsg *m, const party *p, const char *tag)
{
    snprintf(m->from_tag, sizeof m->from_tag, "%s", tag);
    put_name(m, H_FROM);
    if (p->display[0])
        put(m, "\"%s\" ", p->display);
    put(m, "<sip:%s@%s>", p->user, p->domain);
    put(m, "%s;tag=%s\r\n", folded(m) ? fold_ws() : "", tag);
}

static void to(gmsg *m, const party *p, const char *tag)
{
    put_name(m, H_TO);
    if (p->display[0])
        put(m, "\"%s\" ", p->display);
    put(m, "<sip:%s@%s>", p->user, p->domain);
    if (tag && tag[0]) {
        snprintf(m->to_tag, sizeof m->to_tag, "%s", tag);
        put(m, ";tag=%s", tag);
    }
    put(m, "\r\n");
}

static void call_id(gmsg *m, const char *cid)
{
    snprintf(m->call_id, sizeof m->call_id, "%s", cid);
    hdr(m, H_CALL_ID, "%s", cid);
}

static void cseq(gmsg *m, unsigned num, const char *method)
{
    m->cseq = num;
    snprintf(m->cseq_method, sizeof m->cseq_method, "%s", method);
    hdr(m, H_CSEQ, "%u %s", num, method);
}

/* Contact: <sip:user@ip:port;uri-params>header-params */
static void contact(gmsg *m, const party *p, const char *uri_params,
                    const char *hdr_params)
{
    if (m->ncontact++ == 0) {
        snprintf(m->contact_user, sizeof m->contact_user, "%s", p->user);
        snprintf(m->contact_host, sizeof m->contact_host, "%s", p->ip);
    }
    hdr(m, H_CONTACT, "<sip:%s@%s:%u%s>%s", p->user, p->ip, p->port,
        uri_params ? uri_params : "", hdr_params ? hdr_params : "");
}

/* A comma-separated list header, folded after its second comma when the
 * message is a folded one. */
static void list_hdr(gmsg *m, enum hdr h, const char *list)
{
    const char *c = NULL;
    if (folded(m)) {
        c = strchr(list, ',');
        if (c)
            c = strchr(c + 1, ',');
    }
    if (!c) {
        hdr(m, h, "%s", list);
        return;
    }
    put_name(m, h);
    put(m, "%.*s,%s%s\r\n", (int)(c - list), list, fold_ws(), c + 2);
}

/* Content-Length (and Content-Type when there is a body), blank line, body. */
static void finish(gmsg *m, const char *ctype, const char *body)
{
    size_t blen = body ? strlen(body) : 0;
    if (blen)
        hdr(m, H_CONTENT_TYPE, "%s", ctype);
    hdr(m, H_CONTENT_LENGTH, "%zu", blen);
    put(m, "\r\n");
    if (blen)
        put(m, "%s", body);
}

/* ---- output -------------------------------------------------------------- */

static FILE *out_bin, *out_exp;
static size_t n_written, n_wanted;
static uint64_t total_bytes, total_sum;
static size_t style_count[4];

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void emit(gmsg *m)
{
    if (n_written >= n_wanted)
        return;
    unsigned char l[4];
    put_u32(l, (uint32_t)m->len);
    if (fwrite(l, 1, 4, out_bin) != 4 || fwrite(m->buf, 1, m->len, out_bin) != m->len) {
        perror("gen_corpus: write");
        exit(2);
    }
    uint64_t sum = bench_sum(m->request, m->status, strlen(m->method),
                             strlen(m->branch), strlen(m->from_tag),
                             strlen(m->to_tag), strlen(m->call_id), m->cseq,
                             strlen(m->cseq_method), strlen(m->contact_user),
                             strlen(m->contact_host));
    char start[16];
    if (m->request)
        snprintf(start, sizeof start, "%s", m->method);
    else
        snprintf(start, sizeof start, "%d", m->status);
    fprintf(out_exp, "%zu\t%s\t%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\t%s\t%llu\n",
            n_written, STYLE_NAMES[m->style], start, m->branch, m->from_tag,
            m->to_tag, m->call_id, m->cseq, m->cseq_method, m->contact_user,
            m->contact_host, (unsigned long long)sum);
    style_count[m->style]++;
    total_sum += sum;
    total_bytes += m->len;
    n_written++;
}

/* Per message: ~2.5 % compact, ~2.5 % folded (30 % of those lower-case). */
static enum style pick_style(void)
{
    uint32_t r = rnd(1000);
    if (r < 25)
        return COMPACT;
    if (r < 50)
        return rnd(10) < 3 ? FOLDED_LC : FOLDED;
    return PLAIN;
}

/* ---- SDP ----------------------------------------------------------------- */

static void sdp_offer(char *out, size_t cap, const party *p)
{
    unsigned sess = rnd_range(100000000, 999999999);
    unsigned port = 2 * rnd_range(5000, 16000);
    snprintf(out, cap,
             "v=0\r\n"
             "o=%s %u %u IN IP4 %s\r\n"
             "s=%s\r\n"
             "c=IN IP4 %s\r\n"
             "t=0 0\r\n"
             "m=audio %u RTP/AVP 0 8 9 101\r\n"
             "a=rtpmap:0 PCMU/8000\r\n"
             "a=rtpmap:8 PCMA/8000\r\n"
             "a=rtpmap:9 G722/8000\r\n"
             "a=rtpmap:101 telephone-event/8000\r\n"
             "a=fmtp:101 0-16\r\n"
             "a=ptime:20\r\n"
             "a=sendrecv\r\n",
             rnd(2) ? "-" : p->user, sess, sess, p->ip,
             rnd(2) ? "-" : "SIP Call", p->ip, port);
}

static void sdp_answer(char *out, size_t cap, const party *p)
{
    unsigned sess = rnd_range(100000000, 999999999);
    unsigned port = 2 * rnd_range(5000, 16000);
    snprintf(out, cap,
             "v=0\r\n"
             "o=%s %u %u IN IP4 %s\r\n"
             "s=-\r\n"
             "c=IN IP4 %s\r\n"
             "t=0 0\r\n"
             "m=audio %u RTP/AVP 0 101\r\n"
             "a=rtpmap:0 PCMU/8000\r\n"
             "a=rtpmap:101 telephone-event/8000\r\n"
             "a=fmtp:101 0-16\r\n"
             "a=ptime:20\r\n"
             "a=sendrecv\r\n",
             rnd(2) ? "-" : p->user, sess, sess + 1, p->ip, p->ip, port);
}

/* ---- flows --------------------------------------------------------------- */

static void flow_call(void)
{
    party a, b;
    gen_party(&a);
    gen_party(&b);
    char proxy[16], cid[96], ftag[40], ttag[40];
    char br_p[64], br_a[64], br_ack[64], br_bye[64];
    gen_ip(proxy);
    gen_call_id(cid, &a);
    gen_tag(ftag);
    gen_tag(ttag);
    gen_branch(br_p);
    gen_branch(br_a);
    gen_branch(br_ack);
    gen_branch(br_bye);
    unsigned n = rnd_range(1, 30000);
    unsigned bye_n = rnd_range(1, 30000);
    char ruri[96], rr[40], ext_a[64], body[1024];
    snprintf(ruri, sizeof ruri, "sip:%s@%s", b.user, b.domain);
    snprintf(rr, sizeof rr, "<sip:%s;lr>", proxy);
    snprintf(ext_a, sizeof ext_a, ";received=%s;rport=%u", a.ip, a.port);
    gmsg m;

    /* INVITE with SDP (~990 B) */
    msg_begin(&m, pick_style());
    request_line(&m, "INVITE", ruri);
    via(&m, proxy, 5060, br_p, NULL);
    via(&m, a.ip, a.port, br_a, ext_a);
    hdr(&m, H_RECORD_ROUTE, "%s", rr);
    hdr(&m, H_MAX_FORWARDS, "69");
    from(&m, &a, ftag);
    to(&m, &b, NULL);
    call_id(&m, cid);
    cseq(&m, n, "INVITE");
    contact(&m, &a, ";transport=udp", NULL);
    list_hdr(&m, H_ALLOW, ALLOW);
    list_hdr(&m, H_SUPPORTED, "replaces, timer, 100rel, path");
    hdr(&m, H_USER_AGENT, "%s", a.agent);
    sdp_offer(body, sizeof body, &a);
    finish(&m, "application/sdp", body);
    emit(&m);

    /* 100 Trying */
    msg_begin(&m, pick_style());
    status_line(&m, 100, "Trying");
    via(&m, proxy, 5060, br_p, NULL);
    via(&m, a.ip, a.port, br_a, ext_a);
    from(&m, &a, ftag);
    to(&m, &b, NULL);
    call_id(&m, cid);
    cseq(&m, n, "INVITE");
    hdr(&m, H_SERVER, "%s", b.agent);
    finish(&m, NULL, NULL);
    emit(&m);

    /* 180 Ringing */
    msg_begin(&m, pick_style());
    status_line(&m, 180, "Ringing");
    via(&m, proxy, 5060, br_p, NULL);
    via(&m, a.ip, a.port, br_a, ext_a);
    hdr(&m, H_RECORD_ROUTE, "%s", rr);
    from(&m, &a, ftag);
    to(&m, &b, ttag);
    call_id(&m, cid);
    cseq(&m, n, "INVITE");
    contact(&m, &b, ";transport=udp", NULL);
    hdr(&m, H_ALLOW_EVENTS, "talk, hold, conference");
    hdr(&m, H_SERVER, "%s", b.agent);
    finish(&m, NULL, NULL);
    emit(&m);

    /* 200 OK with SDP */
    msg_begin(&m, pick_style());
    status_line(&m, 200, "OK");
    via(&m, proxy, 5060, br_p, NULL);
    via(&m, a.ip, a.port, br_a, ext_a);
    hdr(&m, H_RECORD_ROUTE, "%s", rr);
    from(&m, &a, ftag);
    to(&m, &b, ttag);
    call_id(&m, cid);
    cseq(&m, n, "INVITE");
    contact(&m, &b, ";transport=udp", NULL);
    list_hdr(&m, H_ALLOW, ALLOW);
    list_hdr(&m, H_SUPPORTED, "replaces, timer, 100rel");
    hdr(&m, H_SESSION_EXPIRES, "1800;refresher=uac");
    hdr(&m, H_SERVER, "%s", b.agent);
    sdp_answer(body, sizeof body, &b);
    finish(&m, "application/sdp", body);
    emit(&m);

    /* ACK (for the 2xx: a new transaction, through the Record-Route) */
    char target[96];
    snprintf(target, sizeof target, "sip:%s@%s:%u;transport=udp", b.user,
             b.ip, b.port);
    msg_begin(&m, pick_style());
    request_line(&m, "ACK", target);
    via(&m, a.ip, a.port, br_ack, ";rport");
    hdr(&m, H_ROUTE, "%s", rr);
    hdr(&m, H_MAX_FORWARDS, "70");
    from(&m, &a, ftag);
    to(&m, &b, ttag);
    call_id(&m, cid);
    cseq(&m, n, "ACK");
    hdr(&m, H_USER_AGENT, "%s", a.agent);
    finish(&m, NULL, NULL);
    emit(&m);

    /* BYE from the callee */
    snprintf(target, sizeof target, "sip:%s@%s:%u;transport=udp", a.user,
             a.ip, a.port);
    msg_begin(&m, pick_style());
    request_line(&m, "BYE", target);
    via(&m, b.ip, b.port, br_bye, ";rport");
    hdr(&m, H_ROUTE, "%s", rr);
    hdr(&m, H_MAX_FORWARDS, "70");
    from(&m, &b, ttag);
    to(&m, &a, ftag);
    call_id(&m, cid);
    cseq(&m, bye_n, "BYE");
    hdr(&m, H_REASON, "Q.850;cause=16;text=\"Normal call clearing\"");
    hdr(&m, H_USER_AGENT, "%s", b.agent);
    finish(&m, NULL, NULL);
    emit(&m);

    /* 200 OK to the BYE */
    msg_begin(&m, pick_style());
    status_line(&m, 200, "OK");
    via(&m, b.ip, b.port, br_bye, ";rport=5060");
    from(&m, &b, ttag);
    to(&m, &a, ftag);
    call_id(&m, cid);
    cseq(&m, bye_n, "BYE");
    hdr(&m, H_SERVER, "%s", a.agent);
    finish(&m, NULL, NULL);
    emit(&m);
}

static void flow_register(void)
{
    party u;
    gen_party(&u);
    char cid[96], ftag[40], ttag[40], br1[64], br2[64], nonce[48],
        cnonce[24], resp[40], opaque[24], inst[40], ruri[64], ext[64];
    gen_call_id(cid, &u);
    gen_tag(ftag);
    gen_tag(ttag);
    gen_branch(br1);
    gen_branch(br2);
    rnd_chars(nonce, rnd_range(24, 40), ALNUM);
    rnd_chars(cnonce, 16, HEX);
    rnd_chars(resp, 32, HEX);
    rnd_chars(opaque, 16, HEX);
    rnd_chars(inst, 36, HEX);
    inst[8] = inst[13] = inst[18] = inst[23] = '-';
    unsigned n = rnd_range(1, 2000);
    unsigned expires = rnd(2) ? 3600 : 600;
    snprintf(ruri, sizeof ruri, "sip:%s", u.domain);
    snprintf(ext, sizeof ext, ";received=%s;rport=%u", u.ip, u.port);
    char cparams[96];
    snprintf(cparams, sizeof cparams,
             ";+sip.instance=\"<urn:uuid:%s>\";expires=%u", inst, expires);
    party to_self = u;
    to_self.display[0] = '\0';
    gmsg m;

    for (int attempt = 0; attempt < 2; attempt++) {
        const char *br = attempt ? br2 : br1;
        msg_begin(&m, pick_style());
        request_line(&m, "REGISTER", ruri);
        via(&m, u.ip, u.port, br, ";rport");
        hdr(&m, H_MAX_FORWARDS, "70");
        from(&m, &u, ftag);
        to(&m, &to_self, NULL);
        call_id(&m, cid);
        cseq(&m, n + (unsigned)attempt, "REGISTER");
        contact(&m, &u, ";transport=udp", cparams);
        if (attempt)
            hdr(&m, H_AUTHORIZATION,
                "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
                "uri=\"%s\", response=\"%s\", algorithm=MD5, "
                "cnonce=\"%s\", opaque=\"%s\", qop=auth, nc=00000001",
                u.user, u.domain, nonce, ruri, resp, cnonce, opaque);
        hdr(&m, H_EXPIRES, "%u", expires);
        list_hdr(&m, H_ALLOW, ALLOW);
        hdr(&m, H_USER_AGENT, "%s", u.agent);
        finish(&m, NULL, NULL);
        emit(&m);

        msg_begin(&m, pick_style());
        if (!attempt) {
            status_line(&m, 401, "Unauthorized");
        } else {
            status_line(&m, 200, "OK");
        }
        via(&m, u.ip, u.port, br, ext);
        from(&m, &u, ftag);
        to(&m, &to_self, ttag);
        call_id(&m, cid);
        cseq(&m, n + (unsigned)attempt, "REGISTER");
        if (!attempt) {
            hdr(&m, H_WWW_AUTHENTICATE,
                "Digest realm=\"%s\", nonce=\"%s\", opaque=\"%s\", "
                "algorithm=MD5, qop=\"auth\"",
                u.domain, nonce, opaque);
        } else {
            contact(&m, &u, ";transport=udp", cparams);
            hdr(&m, H_DATE, "Sat, 21 Nov 2026 %02u:%02u:%02u GMT", rnd(24),
                rnd(60), rnd(60));
        }
        hdr(&m, H_SERVER, "%s", PICK(SERVERS));
        finish(&m, NULL, NULL);
        emit(&m);
    }
}

static void flow_options(void)
{
    party a, b;
    gen_party(&a);
    gen_party(&b);
    char cid[96], ftag[40], ttag[40], br[64], ruri[96];
    gen_call_id(cid, &a);
    gen_tag(ftag);
    gen_tag(ttag);
    gen_branch(br);
    unsigned n = rnd_range(1, 30000);
    snprintf(ruri, sizeof ruri, "sip:%s@%s:%u", b.user, b.ip, b.port);
    bool with_contact = rnd(2);
    gmsg m;

    msg_begin(&m, pick_style());
    request_line(&m, "OPTIONS", ruri);
    via(&m, a.ip, a.port, br, ";rport");
    hdr(&m, H_MAX_FORWARDS, "70");
    from(&m, &a, ftag);
    to(&m, &b, NULL);
    call_id(&m, cid);
    cseq(&m, n, "OPTIONS");
    if (with_contact)
        contact(&m, &a, NULL, NULL);
    hdr(&m, H_ACCEPT, "application/sdp");
    hdr(&m, H_USER_AGENT, "%s", a.agent);
    finish(&m, NULL, NULL);
    emit(&m);

    msg_begin(&m, pick_style());
    status_line(&m, 200, "OK");
    char ext[64];
    snprintf(ext, sizeof ext, ";received=%s;rport=%u", a.ip, a.port);
    via(&m, a.ip, a.port, br, ext);
    from(&m, &a, ftag);
    to(&m, &b, ttag);
    call_id(&m, cid);
    cseq(&m, n, "OPTIONS");
    if (with_contact)
        contact(&m, &b, NULL, NULL);
    list_hdr(&m, H_ALLOW, ALLOW);
    hdr(&m, H_ACCEPT, "application/sdp, application/dtmf-relay");
    list_hdr(&m, H_SUPPORTED, "replaces, timer, path, outbound");
    hdr(&m, H_ALLOW_EVENTS, "presence, dialog, message-summary, refer");
    hdr(&m, H_SERVER, "%s", b.agent);
    finish(&m, NULL, NULL);
    emit(&m);
}

static void flow_notify(void)
{
    party srv, sub;
    gen_party(&srv);
    gen_party(&sub);
    char cid[96], ftag[40], ttag[40], br[64], target[96], body[1024];
    gen_call_id(cid, &sub);
    gen_tag(ftag);
    gen_tag(ttag);
    gen_branch(br);
    unsigned n = rnd_range(1, 30000);
    snprintf(target, sizeof target, "sip:%s@%s:%u", sub.user, sub.ip,
             sub.port);
    const char *event, *ctype;
    if (rnd(2)) {
        event = "message-summary";
        ctype = "application/simple-message-summary";
        unsigned nw = rnd(5), no = rnd(20);
        snprintf(body, sizeof body,
                 "Messages-Waiting: %s\r\n"
                 "Message-Account: sip:%s@%s\r\n"
                 "Voice-Message: %u/%u (0/0)\r\n",
                 nw ? "yes" : "no", sub.user, sub.domain, nw, no);
    } else {
        event = "presence";
        ctype = "application/pidf+xml";
        snprintf(body, sizeof body,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
                 "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
                 "entity=\"sip:%s@%s\">\r\n"
                 "<tuple id=\"t%u\"><status><basic>%s</basic></status>"
                 "</tuple>\r\n"
                 "</presence>\r\n",
                 srv.user, srv.domain, rnd(100000), rnd(2) ? "open" : "closed");
    }
    gmsg m;

    msg_begin(&m, pick_style());
    request_line(&m, "NOTIFY", target);
    via(&m, srv.ip, srv.port, br, ";rport");
    hdr(&m, H_MAX_FORWARDS, "70");
    from(&m, &srv, ftag);
    to(&m, &sub, ttag);
    call_id(&m, cid);
    cseq(&m, n, "NOTIFY");
    contact(&m, &srv, NULL, NULL);
    hdr(&m, H_EVENT, "%s", event);
    hdr(&m, H_SUBSCRIPTION_STATE, "active;expires=%u", rnd_range(60, 3600));
    hdr(&m, H_USER_AGENT, "%s", srv.agent);
    finish(&m, ctype, body);
    emit(&m);

    msg_begin(&m, pick_style());
    status_line(&m, 200, "OK");
    via(&m, srv.ip, srv.port, br, ";rport=5060");
    from(&m, &srv, ftag);
    to(&m, &sub, ttag);
    call_id(&m, cid);
    cseq(&m, n, "NOTIFY");
    hdr(&m, H_USER_AGENT, "%s", sub.agent);
    finish(&m, NULL, NULL);
    emit(&m);
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *bin = NULL, *exp = NULL;
    uint64_t seed = 0x5349504b4e4f4850ULL; /* "SIPHONK"-ish, fixed */
    n_wanted = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            n_wanted = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!bin)
            bin = argv[i];
        else if (!exp)
            exp = argv[i];
        else {
            fprintf(stderr, "usage: gen_corpus OUT.bin OUT.expect [--count N] [--seed S]\n");
            return 2;
        }
    }
    if (!bin || !exp || n_wanted == 0 || n_wanted > UINT32_MAX) {
        fprintf(stderr, "usage: gen_corpus OUT.bin OUT.expect [--count N] [--seed S]\n");
        return 2;
    }
    rng_state = seed;
    out_bin = fopen(bin, "wb");
    out_exp = fopen(exp, "w");
    if (!out_bin || !out_exp) {
        perror("gen_corpus: open");
        return 2;
    }
    unsigned char header[BENCH_HDR_LEN] = {0};
    if (fwrite(header, 1, sizeof header, out_bin) != sizeof header) { /* placeholder */
        perror("gen_corpus: write");
        return 2;
    }
    fprintf(out_exp, "#idx\tform\tstart\tbranch\tfrom_tag\tto_tag\tcall_id\t"
                     "cseq\tcseq_method\tcontact_user\tcontact_host\tsum\n");

    size_t flows[4] = {0};
    while (n_written < n_wanted) {
        /* A block of 8 flows: 3 call, 2 register, 2 options, 1 notify. */
        int block[8] = {0, 0, 0, 1, 1, 2, 2, 3};
        for (int i = 7; i > 0; i--) {
            int j = (int)rnd((uint32_t)i + 1);
            int t = block[i];
            block[i] = block[j];
            block[j] = t;
        }
        for (int i = 0; i < 8 && n_written < n_wanted; i++) {
            flows[block[i]]++;
            switch (block[i]) {
            case 0: flow_call(); break;
            case 1: flow_register(); break;
            case 2: flow_options(); break;
            default: flow_notify(); break;
            }
        }
    }

    memcpy(header, BENCH_MAGIC, 8);
    put_u32(header + 8, (uint32_t)n_written);
    put_u32(header + 12, 0);
    put_u64(header + 16, total_bytes);
    put_u64(header + 24, total_sum);
    if (fseek(out_bin, 0, SEEK_SET) != 0 ||
        fwrite(header, 1, sizeof header, out_bin) != sizeof header ||
        fclose(out_bin) != 0 || fclose(out_exp) != 0) {
        perror("gen_corpus: write");
        return 2;
    }
    printf("gen_corpus: %zu messages, %llu bytes (mean %.1f B), "
           "flows call %zu / register %zu / options %zu / notify %zu, "
           "forms plain %zu / compact %zu / folded %zu / folded-lc %zu, "
           "expected checksum %llu\n",
           n_written, (unsigned long long)total_bytes,
           (double)total_bytes / (double)n_written, flows[0], flows[1],
           flows[2], flows[3], style_count[PLAIN], style_count[COMPACT],
           style_count[FOLDED], style_count[FOLDED_LC],
           (unsigned long long)total_sum);
    return 0;
}
