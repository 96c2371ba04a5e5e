/*
 * siphon/capture.h -- the writing side of capture/: pcap files with
 * synthesised Ethernet/IP/UDP/TCP framing, HEPv3 encoding and text ladder
 * diagrams.
 *
 * Formats: pcap savefiles through libpcap (LINKTYPE_ETHERNET); IPv4
 * (RFC 791, checksum RFC 1071), IPv6 (RFC 8200), UDP (RFC 768, RFC 8200
 * §8.1 for the mandatory IPv6 checksum), TCP (RFC 9293); HEPv3 per the
 * "HEP3 Network Protocol Specification" (sipcapture.org,
 * github.com/sipcapture/HEP, docs/HEP3_Network_Protocol_Specification_REV_37).
 *
 * The pcap writer does file I/O; the HEP encoder and the ladder renderer
 * are sans-I/O (they append to a siphon_buf).
 */
#ifndef SIPHON_CAPTURE_H
#define SIPHON_CAPTURE_H

#include <siphon/base.h>
#include <siphon/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;

/* ---- addresses and packets --------------------------------------------- */

/*
 * An IP address and port. family is AF_INET or AF_INET6 (from
 * <sys/socket.h>); ip holds the address in network byte order (the first
 * 4 bytes for IPv4); port is in host byte order.
 */
typedef struct siphon_capture_addr {
    int family;
    uint8_t ip[16];
    uint16_t port;
} siphon_capture_addr;

/* Longest text siphon_capture_addr_format() writes, with the NUL. */
#define SIPHON_CAPTURE_ADDRSTRLEN 56

/*
 * Parse "192.0.2.1:5060" or "[2001:db8::1]:5060" (the port is mandatory).
 * Returns 0 or SIPHON_EPARSE (*out untouched).
 */
int siphon_capture_addr_parse(const char *text, siphon_capture_addr *out);
/*
 * Write the address in the form siphon_capture_addr_parse() reads into out
 * (at least SIPHON_CAPTURE_ADDRSTRLEN bytes). Returns the length written,
 * or SIPHON_EINVAL for an unknown family (out then holds "?").
 */
int siphon_capture_addr_format(const siphon_capture_addr *a, char *out,
                               size_t outlen);
/* Convert a struct sockaddr_in/sockaddr_in6. Returns 0 or SIPHON_EINVAL. */
int siphon_capture_addr_from_sockaddr(const struct sockaddr *sa,
                                      siphon_capture_addr *out);
/* Same family, address and port. */
bool siphon_capture_addr_eq(const siphon_capture_addr *a,
                            const siphon_capture_addr *b);

/*
 * How the message travelled. TLS and WS(S) are recorded as their plaintext
 * carried over TCP: the capture shows what the stack sent, not ciphertext.
 */
typedef enum siphon_capture_transport {
    SIPHON_CAPTURE_UDP = 0,
    SIPHON_CAPTURE_TCP,
    SIPHON_CAPTURE_TLS,
    SIPHON_CAPTURE_WS
} siphon_capture_transport;

/* One SIP message as it crossed the wire. Nothing here is owned. */
typedef struct siphon_capture_pkt {
    uint64_t ts_us;                     /* Unix time, microseconds */
    siphon_capture_transport transport;
    siphon_capture_addr src, dst;       /* same family for both */
    const void *payload;
    size_t len;
} siphon_capture_pkt;

/* Largest UDP payload that fits one unfragmented IPv4 datagram (65535 -
 * 20 - 8); IPv6 allows 65527 (65535 - 8, no jumbograms). */
#define SIPHON_PCAP_UDP4_MAX 65507u
#define SIPHON_PCAP_UDP6_MAX 65527u

/* ---- pcap writer ------------------------------------------------------- */

typedef struct siphon_pcap_writer siphon_pcap_writer;

/* Room for an error sentence, with the NUL. */
#define SIPHON_CAPTURE_ERRLEN 256

/*
 * Create (truncate) a pcap file at path, link type Ethernet, snapshot
 * length 262144 so that the largest UDP frame is stored whole. On success
 * *out is a writer the caller closes with siphon_pcap_writer_close().
 * Returns 0, SIPHON_EIO (file cannot be created; err says why),
 * SIPHON_ENOMEM or SIPHON_EINVAL. err may be NULL, else it receives
 * SIPHON_CAPTURE_ERRLEN bytes at most.
 */
int siphon_pcap_writer_open(const char *path, siphon_pcap_writer **out,
                            char *err);

/*
 * Append one SIP message as a synthesised frame: Ethernet (addresses
 * derived from the IPs), IPv4 or IPv6, then UDP or TCP. TCP, TLS and WS
 * messages belong to a flow keyed by the address pair: the first message
 * of a flow is preceded by a SYN / SYN-ACK / ACK handshake, and sequence
 * and acknowledgement numbers run on across both directions so that
 * Wireshark reassembles the stream. TCP payloads longer than one segment
 * (65495 bytes) are split.
 * Returns 0, SIPHON_EINVAL (NULL payload with len, family not AF_INET /
 * AF_INET6, families differ), SIPHON_ETOOBIG (a UDP payload over
 * SIPHON_PCAP_UDP4_MAX / SIPHON_PCAP_UDP6_MAX), SIPHON_ENOMEM or
 * SIPHON_EIO. siphon_pcap_writer_error() says why. Argument errors
 * (EINVAL, ETOOBIG) write nothing; after EIO the file may hold part of a
 * flow's frames. A writer is not thread-safe: callers that share one
 * serialise their calls.
 */
int siphon_pcap_write_sip(siphon_pcap_writer *w, const siphon_capture_pkt *pkt);

/* Push buffered frames to the file. Returns 0 or SIPHON_EIO. */
int siphon_pcap_writer_flush(siphon_pcap_writer *w);

/* The sentence for the last error of w ("" when none). Owned by w. */
const char *siphon_pcap_writer_error(const siphon_pcap_writer *w);

/* Frames written so far (handshake frames included). */
uint64_t siphon_pcap_writer_frames(const siphon_pcap_writer *w);

/*
 * Flush and close the file and free w (NULL is a no-op). Returns 0 or
 * SIPHON_EIO when the final flush failed (w is freed either way).
 */
int siphon_pcap_writer_close(siphon_pcap_writer *w);

/* ---- HEPv3 ------------------------------------------------------------- */

/* Generic chunk types (vendor 0x0000) of the HEP3 specification. */
enum {
    SIPHON_HEP_IP_FAMILY = 0x0001,   /* u8: 2 AF_INET, 10 AF_INET6 */
    SIPHON_HEP_IP_PROTO = 0x0002,    /* u8: 17 UDP, 6 TCP */
    SIPHON_HEP_IPV4_SRC = 0x0003,
    SIPHON_HEP_IPV4_DST = 0x0004,
    SIPHON_HEP_IPV6_SRC = 0x0005,
    SIPHON_HEP_IPV6_DST = 0x0006,
    SIPHON_HEP_SRC_PORT = 0x0007,    /* u16 */
    SIPHON_HEP_DST_PORT = 0x0008,    /* u16 */
    SIPHON_HEP_TS_SEC = 0x0009,      /* u32 */
    SIPHON_HEP_TS_USEC = 0x000a,     /* u32 */
    SIPHON_HEP_PROTO_TYPE = 0x000b,  /* u8: 1 SIP */
    SIPHON_HEP_CAPTURE_ID = 0x000c,  /* u32 */
    SIPHON_HEP_AUTH_KEY = 0x000e,    /* octets */
    SIPHON_HEP_PAYLOAD = 0x000f,     /* octets */
    SIPHON_HEP_CORRELATION_ID = 0x0011 /* octets */
};

typedef struct siphon_hep_opts {
    uint32_t capture_id;       /* chunk 0x000c */
    uint8_t proto_type;        /* chunk 0x000b; 0 means 1 (SIP) */
    const char *auth_key;      /* chunk 0x000e when not NULL */
    siphon_str correlation_id; /* chunk 0x0011 when len > 0 */
    /* With no correlation_id: parse the payload as SIP and use its
     * Call-ID (nothing is added when it does not parse). */
    bool call_id_correlation;
} siphon_hep_opts;

/*
 * Append one HEP3 packet describing pkt to out (the payload is copied into
 * chunk 0x000f; TLS and WS count as TCP in the ip-protocol chunk). opts
 * may be NULL (capture id 0, SIP, no auth key, no correlation id). When
 * opts->call_id_correlation parses the payload, the message is released
 * before returning. Chunk order: family, protocol, addresses, ports,
 * timestamp, protocol type, capture id, auth key, correlation id, payload.
 * Returns 0, SIPHON_EINVAL (family not AF_INET/AF_INET6 or mixed),
 * SIPHON_ETOOBIG (the packet would pass the 65535-byte length field, or
 * out's ceiling) or SIPHON_ENOMEM; out is unchanged on error.
 */
int siphon_hep_encode(const siphon_capture_pkt *pkt, const siphon_hep_opts *opts,
                      siphon_buf *out);

/* ---- ladder diagrams --------------------------------------------------- */

/*
 * One message of a ladder. msg, when not NULL, supplies the label; else
 * raw is parsed (and a line of "?" drawn when it is not SIP).
 */
typedef struct siphon_ladder_entry {
    uint64_t ts_us;
    siphon_capture_addr src, dst;
    const siphon_msg *msg;
    siphon_str raw;
} siphon_ladder_entry;

typedef struct siphon_ladder_opts {
    unsigned col_width; /* distance between columns; 0 means 24, min 12;
                           widened to fit the longest address */
    bool unicode;       /* box-drawing characters (UTF-8) instead of ASCII */
    bool sdp;           /* add " (SDP)" to labels of messages whose body is
                           application/sdp, as sngrep does */
} siphon_ladder_opts;

/*
 * Render entries (in the order given) as a ladder: a header row with one
 * column per distinct address in order of first appearance, then one row
 * per message: the time relative to the first entry ("+1.250", seconds
 * with milliseconds), and an arrow from the source column to the
 * destination column labelled with the method or "status reason" (the
 * reason truncated to fit). Every line ends in "\n", without trailing
 * spaces. opts may be NULL. Returns 0, SIPHON_EINVAL (n > 0 with entries
 * NULL) or the siphon_buf error; out may hold part of the diagram then.
 */
int siphon_ladder_render(const siphon_ladder_entry *entries, size_t n,
                         const siphon_ladder_opts *opts, siphon_buf *out);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_CAPTURE_H */
