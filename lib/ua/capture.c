/*
 * capture.c -- every message the endpoint sends or receives, seen by a
 * hook, written to a pcap file, and mirrored as HEPv3 to a collector.
 * Captures carry wall-clock time even under a virtual loop clock: a pcap
 * is read against the real world.
 */
#include "ua_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static siphon_capture_transport capture_kind(siphon_transport t)
{
    switch (t) {
    case SIPHON_RESOLVE_TCP: return SIPHON_CAPTURE_TCP;
    case SIPHON_RESOLVE_TLS: return SIPHON_CAPTURE_TLS;
    case SIPHON_RESOLVE_WS:
    case SIPHON_RESOLVE_WSS: return SIPHON_CAPTURE_WS;
    default: return SIPHON_CAPTURE_UDP;
    }
}

void ua_capture(siphon_ua *ua, siphon_ua_dir dir, const siphon_ua_flow *flow,
                const char *bytes, size_t len)
{
    if (!ua->cap_fn && !ua->pcap && !ua->hep_udp)
        return;
    uint64_t ts = wall_us();
    if (ua->cap_fn)
        ua->cap_fn(ua->cap_arg, dir, flow, bytes, len, ts);
    if (!ua->pcap && !ua->hep_udp)
        return;
    siphon_capture_pkt pkt = {.ts_us = ts,
                              .transport = capture_kind(flow->transport),
                              .payload = bytes,
                              .len = len};
    const struct sockaddr *local = (const struct sockaddr *)&flow->local;
    const struct sockaddr *peer = (const struct sockaddr *)&flow->peer;
    const struct sockaddr *src = dir == SIPHON_UA_TX ? local : peer;
    const struct sockaddr *dst = dir == SIPHON_UA_TX ? peer : local;
    if (siphon_capture_addr_from_sockaddr(src, &pkt.src) < 0 ||
        siphon_capture_addr_from_sockaddr(dst, &pkt.dst) < 0)
        return;
    if (ua->pcap && siphon_pcap_write_sip(ua->pcap, &pkt) < 0)
        siphon_log(SIPHON_LOG_WARN, "ua", "pcap: %s",
                   siphon_pcap_writer_error(ua->pcap));
    if (ua->hep_udp) {
        siphon_buf b;
        siphon_buf_init(&b, 0);
        if (siphon_hep_encode(&pkt, &ua->hep_opts, &b) == 0)
            siphon_udp_send(ua->hep_udp, (struct sockaddr *)&ua->hep_dest,
                            siphon_addr_len((struct sockaddr *)&ua->hep_dest),
                            b.p, b.len);
        siphon_buf_free(&b);
    }
}

void siphon_ua_set_capture(siphon_ua *ua, siphon_ua_capture_fn *fn, void *arg)
{
    ua->cap_fn = fn;
    ua->cap_arg = arg;
}

void siphon_ua_capture_pcap(siphon_ua *ua, siphon_pcap_writer *w)
{
    ua->pcap = w;
}

static void hep_ignore(siphon_udp *udp, const char *bytes, size_t len,
                       const struct sockaddr *src, socklen_t srclen,
                       uint64_t arrival_ms, void *arg)
{
    (void)udp, (void)bytes, (void)len, (void)src, (void)srclen;
    (void)arrival_ms, (void)arg; /* collectors do not answer HEP */
}

int siphon_ua_capture_hep(siphon_ua *ua, const char *collector,
                          const siphon_hep_opts *opts)
{
    siphon_udp_close(ua->hep_udp);
    ua->hep_udp = NULL;
    free(ua->hep_auth_key);
    ua->hep_auth_key = NULL;
    if (!collector)
        return 0;
    struct sockaddr_storage dest;
    int rc = siphon_addr_parse(siphon_str_c(collector), &dest, NULL);
    if (rc < 0)
        return rc;
    if (opts) {
        ua->hep_opts = *opts;
        ua->hep_opts.correlation_id = SIPHON_STR_NULL; /* per message */
        if (opts->auth_key && !(ua->hep_auth_key = strdup(opts->auth_key)))
            return SIPHON_ENOMEM;
        ua->hep_opts.auth_key = ua->hep_auth_key;
    } else {
        memset(&ua->hep_opts, 0, sizeof ua->hep_opts);
        ua->hep_opts.call_id_correlation = true;
    }
    siphon_udp_config cfg;
    siphon_udp_config_default(&cfg);
    cfg.rcvbuf = 0;
    cfg.sndbuf = 0;
    rc = siphon_udp_open(ua->loop,
                         dest.ss_family == AF_INET6 ? "[::]:0" : "0.0.0.0:0",
                         &cfg, hep_ignore, NULL, &ua->hep_udp);
    if (rc < 0)
        return rc;
    ua->hep_dest = dest;
    return 0;
}

void ua_capture_free(siphon_ua *ua)
{
    siphon_udp_close(ua->hep_udp);
    free(ua->hep_auth_key);
}
