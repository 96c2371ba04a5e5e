/*
 * test_capture_support.h -- helpers shared by the capture_ unit tests: an
 * independent reader of the frames siphon_pcap_write_sip() synthesises
 * (through libpcap's pcap_open_offline), temporary files and tshark.
 */
#ifndef SIPHON_TEST_CAPTURE_SUPPORT_H
#define SIPHON_TEST_CAPTURE_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siphon/capture.h>

typedef struct cap_frame {
    uint64_t ts_us;
    size_t caplen, wirelen;
    int family;   /* AF_INET / AF_INET6, 0 when not IP */
    int proto;    /* 6 or 17 */
    siphon_capture_addr src, dst;
    uint8_t tcp_flags;
    uint32_t seq, ack;
    bool ip_csum_ok, l4_csum_ok, lengths_ok;
    uint8_t *payload; /* malloc'd copy of the L4 payload */
    size_t len;
} cap_frame;

typedef struct cap_file {
    cap_frame *f;
    size_t n;
} cap_file;

/* Read every frame of a pcap file; returns 0, or -1 with a message
 * printed as a TAP comment. */
int cap_read(const char *path, cap_file *out);
void cap_file_free(cap_file *cf);

/* A fresh empty file from mkstemp(); malloc'd path (caller unlinks). */
char *cap_tmpfile(void);

/* True when tshark is on PATH. */
bool cap_have_tshark(void);
/* Run "tshark -r path ARGS" and return its stdout (malloc'd), or NULL. */
char *cap_tshark(const char *path, const char *args);

/* Wrap a C string as a capture packet. */
siphon_capture_pkt cap_pkt(uint64_t ts_us, siphon_capture_transport t,
                           const char *src, const char *dst, const char *msg);

#endif
