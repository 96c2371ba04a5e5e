/*
 * dnsmasq_support.h -- a real DNS server for the RFC 3263 tests: dnsmasq
 * on a free loopback port with the records a test gives, started with
 * fork/exec and stopped by its pid. Tests skip (unit_skip) when dnsmasq
 * is not installed.
 */
#ifndef SIPHON_TEST_DNSMASQ_SUPPORT_H
#define SIPHON_TEST_DNSMASQ_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct dm {
    pid_t pid;
    int port;
} dm;

/* A loopback UDP port that was free a moment ago. */
int free_port(void);
/* Start dnsmasq serving records (dnsmasq options such as
 * "--srv-host=...") with --local-ttl=ttl, authoritative for *.test.
 * Returns false after a skip (not installed) or a failure. */
bool dm_start(dm *d, int ttl, const char *const *records, size_t n);
void dm_stop(dm *d);

#endif
