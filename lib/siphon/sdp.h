/*
 * siphon/sdp.h -- SDP session descriptions: parse, print, build, and the
 * offer/answer model.
 *
 * RFC 8866 §5 (syntax, line order), §6 (attributes), §9 (grammar);
 * RFC 3264 §5 (offers), §6 (answers), §8 (modifying the session);
 * RFC 3551 §6 (static payload types); RFC 3605 (a=rtcp);
 * RFC 5888 (a=mid, a=group); RFC 4733 (telephone-event).
 *
 * A siphon_sdp owns a copy of the bytes it was parsed from and an arena:
 * every siphon_str it hands out points into one of them and stays valid
 * until siphon_sdp_free(). The parser is tolerant: a line it does not
 * understand is kept verbatim (printed back where it was) and recorded as
 * a finding with its line number; only limits and input that has no SDP
 * line at all are errors. The same object is what the builder edits and
 * what the answerer produces, so the printer is the one way to bytes.
 */
#ifndef SIPHON_SDP_H
#define SIPHON_SDP_H

#include <siphon/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ------------------------------------------------------------ */

typedef struct siphon_sdp_opts {
    size_t max_size;   /* whole body, bytes */
    size_t max_lines;  /* lines, blank ones included */
    size_t max_line;   /* bytes in one line, line end excluded */
    size_t max_media;  /* m= sections */
    bool strict;       /* the first finding is an error (SIPHON_EPARSE) */
} siphon_sdp_opts;

/* Defaults: 64 KiB body, 2048 lines, 4 KiB per line, 64 m= sections,
 * lenient. */
void siphon_sdp_opts_default(siphon_sdp_opts *o);

/* ---- findings ---------------------------------------------------------- */

/* Something the parser tolerated or noticed; never fatal. */
typedef struct siphon_sdp_finding {
    uint32_t line;      /* 1-based line number */
    size_t offset;      /* byte offset of the line in the body */
    const char *rule;   /* stable identifier, e.g. "unknown-line" (static) */
    const char *rfc;    /* clause, e.g. "RFC 8866 §5" (static) */
    const char *text;   /* one sentence for people (static) */
} siphon_sdp_finding;

/* ---- the parts of a session ------------------------------------------- */

/* Direction attributes (RFC 3264 §5.1, RFC 8866 §6.7). NONE: no attribute
 * at this level. */
typedef enum siphon_sdp_dir {
    SIPHON_SDP_DIR_NONE = 0,
    SIPHON_SDP_SENDRECV,
    SIPHON_SDP_SENDONLY,
    SIPHON_SDP_RECVONLY,
    SIPHON_SDP_INACTIVE
} siphon_sdp_dir;

/* "sendrecv", ...; "" for NONE. */
const char *siphon_sdp_dir_name(siphon_sdp_dir d);
/* By name (case-sensitive, as the attribute names are); NONE if unknown. */
siphon_sdp_dir siphon_sdp_dir_lookup(siphon_str name);

/* a=name or a=name:value (RFC 8866 §5.13), in received order. */
typedef struct siphon_sdp_attr {
    siphon_str name;
    siphon_str value;   /* after the first ':'; empty if none */
    bool has_value;
} siphon_sdp_attr;

/* o= (RFC 8866 §5.2). sess-id and sess-version are numeric strings; the
 * version is also kept as a number when it is one (RFC 3264 §8). */
typedef struct siphon_sdp_origin {
    siphon_str username;
    siphon_str sess_id;
    siphon_str sess_version;
    uint64_t version;     /* sess_version as a number, 0 if not one */
    siphon_str nettype;   /* "IN" */
    siphon_str addrtype;  /* "IP4", "IP6" */
    siphon_str address;
} siphon_sdp_origin;

/* c= (RFC 8866 §5.7). address is the whole connection-address, with any
 * "/ttl/count" suffix; host is the part before the first '/'. */
typedef struct siphon_sdp_conn {
    siphon_str nettype;
    siphon_str addrtype;
    siphon_str address;
    siphon_str host;
} siphon_sdp_conn;

/* b=bwtype:bandwidth (RFC 8866 §5.8). */
typedef struct siphon_sdp_bw {
    siphon_str type;
    uint64_t value;
} siphon_sdp_bw;

/* t= with its r= lines (RFC 8866 §5.9, §5.10). */
typedef struct siphon_sdp_time {
    uint64_t start, stop;
    siphon_str *repeats;  /* r= values, verbatim */
    size_t nrepeats;
} siphon_sdp_time;

/* A line kept verbatim: an unknown type, or a known one that did not
 * parse, or one that repeats a line allowed once. Printed back after the
 * known line it followed (anchor: that line's type letter, 0 for "before
 * everything in its section"). */
typedef struct siphon_sdp_line {
    siphon_str text;      /* the whole line, line end excluded */
    char anchor;
    uint32_t line;        /* 1-based source line; 0 when built */
} siphon_sdp_line;

/* An m= section (RFC 8866 §5.14). */
typedef struct siphon_sdp_media {
    bool malformed;       /* the m= value did not parse: raw holds it
                             (printed verbatim), the fields below are
                             empty */
    siphon_str raw;
    siphon_str media;     /* "audio", "video", ... */
    uint32_t port;
    uint32_t nports;      /* the "/count" of the port, 0 when absent */
    siphon_str proto;     /* "RTP/AVP", ... */
    siphon_str *fmts;     /* formats in order (payload types for RTP) */
    size_t nfmts;
    siphon_str info;      /* i= */
    bool has_info;
    siphon_sdp_conn *conns;   /* c= lines (several for layered coding) */
    size_t nconns;
    siphon_sdp_bw *bws;
    size_t nbws;
    siphon_str key;       /* k= (obsolete, kept) */
    bool has_key;
    siphon_sdp_attr *attrs;
    size_t nattrs;
    siphon_sdp_line *extra;
    size_t nextra;
    uint32_t line;        /* source line of m=, 0 when built */
} siphon_sdp_media;

typedef struct siphon_sdp siphon_sdp;

/* The whole session. Fields are read directly; change them only through
 * the functions below, which keep every string inside the object. */
struct siphon_sdp {
    bool has_version;
    uint32_t version;           /* v= (always 0 today) */
    bool has_origin;
    siphon_sdp_origin origin;
    bool has_name;
    siphon_str name;            /* s= */
    bool has_info;
    siphon_str info;            /* i= */
    bool has_uri;
    siphon_str uri;             /* u= */
    siphon_str *emails;         /* e= */
    size_t nemails;
    siphon_str *phones;         /* p= */
    size_t nphones;
    bool has_conn;
    siphon_sdp_conn conn;       /* session-level c= */
    siphon_sdp_bw *bws;
    size_t nbws;
    siphon_sdp_time *times;
    size_t ntimes;
    bool has_zone;
    siphon_str zone;            /* z=, verbatim */
    bool has_key;
    siphon_str key;             /* k= */
    siphon_sdp_attr *attrs;     /* session-level a= */
    size_t nattrs;
    siphon_sdp_line *extra;     /* session-level verbatim lines */
    size_t nextra;
    siphon_sdp_media **media;
    size_t nmedia;
    siphon_sdp_finding *findings;
    size_t nfindings;
    /* private */
    siphon_arena arena_;
    char *bytes_;
    size_t len_;
};

/* ---- parse, print, compare ------------------------------------------- */

/*
 * Parse len bytes of SDP (RFC 8866 §5). The bytes are copied. opts may be
 * NULL for the defaults. Returns 0 with *out owned by the caller (free it
 * with siphon_sdp_free), or SIPHON_ETOOBIG (a limit), SIPHON_EPARSE (no
 * "x=" line at all), SIPHON_ENOMEM; err (may be NULL) says where.
 * Tolerated deviations (LF line ends, missing v=/o=/s=/t=, unknown or
 * malformed lines, order) become findings, not errors, unless
 * opts->strict: then the first one fails the parse (err->rule is the
 * finding's rule, err->offset its line's offset).
 */
int siphon_sdp_parse(const char *buf, size_t len, const siphon_sdp_opts *opts,
                     siphon_sdp **out, siphon_perr *err);

void siphon_sdp_free(siphon_sdp *s);

/*
 * Append the canonical form to out: CRLF line ends, the RFC 8866 §5 order
 * (v o s i u e p c b t r z k a, then each m i c b k a), one SP between
 * fields; verbatim lines after the line they followed. A body already in
 * that form prints back byte for byte.
 */
int siphon_sdp_print(const siphon_sdp *s, siphon_buf *out);

/*
 * Structural equality of everything print writes (findings and source
 * line numbers are not compared). The round-trip invariant is
 * siphon_sdp_equal(parse(x), parse(print(parse(x)))).
 */
bool siphon_sdp_equal(const siphon_sdp *a, const siphon_sdp *b);

/* ---- typed attribute access ------------------------------------------- */

/* First attribute of that name in a list, or NULL. */
const siphon_sdp_attr *siphon_sdp_attr_find(const siphon_sdp_attr *attrs,
                                            size_t n, const char *name);

/* The direction written at this level (media, else session), else
 * SENDRECV (RFC 3264 §5.1 default). m may be NULL for the session. */
siphon_sdp_dir siphon_sdp_media_dir(const siphon_sdp *s,
                                    const siphon_sdp_media *m);

/* One format of an m= line with what a=rtpmap/a=fmtp or the static table
 * of RFC 3551 §6 say about it. */
typedef struct siphon_sdp_codec {
    int pt;               /* payload type 0..127, -1 if not a number */
    siphon_str name;      /* encoding name; empty if unknown */
    uint32_t rate;        /* clock rate; 0 if unknown */
    uint32_t channels;    /* 0 when not written (means 1 for audio) */
    siphon_str fmtp;      /* a=fmtp parameters; empty if none */
    bool has_rtpmap;      /* name/rate came from a=rtpmap */
} siphon_sdp_codec;

/* Codec of format i of m (i < m->nfmts). Always succeeds; fields not
 * known stay empty/0. */
void siphon_sdp_media_codec(const siphon_sdp_media *m, size_t i,
                            siphon_sdp_codec *out);

/* a=rtpmap:pt name/rate[/channels] (RFC 8866 §6.6). 0 or SIPHON_EPARSE. */
int siphon_sdp_parse_rtpmap(siphon_str value, int *pt, siphon_str *name,
                            uint32_t *rate, uint32_t *channels);
/* a=rtcp:port [nettype addrtype address] (RFC 3605 §2.1). */
int siphon_sdp_parse_rtcp(siphon_str value, uint32_t *port,
                          siphon_str *address);
/* a=ptime / a=maxptime value in ms of m, or 0 if absent or malformed. */
uint32_t siphon_sdp_media_ptime(const siphon_sdp_media *m, bool max);
/* The effective connection host of m (its c=, else the session's), or
 * empty. */
siphon_str siphon_sdp_media_host(const siphon_sdp *s,
                                 const siphon_sdp_media *m);

/* Static payload types of RFC 3551 §6: name and rate, false if pt is not
 * one. */
bool siphon_sdp_static_pt(int pt, const char **name, uint32_t *rate,
                          uint32_t *channels);

/* ---- hold and change detection (RFC 3264 §8) ------------------------- */

/* The offerer of s put m on hold: direction sendonly or inactive, or the
 * RFC 2543 convention c=0.0.0.0 (RFC 3264 §8.4). */
bool siphon_sdp_media_on_hold(const siphon_sdp *s, const siphon_sdp_media *m);

enum {
    SIPHON_SDP_CHG_VERSION = 1 << 0,    /* o= sess-version differs */
    SIPHON_SDP_CHG_SESSION = 1 << 1,    /* o= username/sess-id/address:
                                           another session */
    SIPHON_SDP_CHG_CONTENT = 1 << 2,    /* anything but o= differs */
    SIPHON_SDP_CHG_MEDIA = 1 << 3,      /* m= sections added or removed,
                                           or a port went to/from 0 */
    SIPHON_SDP_CHG_ADDRESS = 1 << 4,    /* an effective c= host or port */
    SIPHON_SDP_CHG_FORMATS = 1 << 5,    /* a format list */
    SIPHON_SDP_CHG_DIRECTION = 1 << 6,  /* an effective direction */
    SIPHON_SDP_CHG_HOLD = 1 << 7,       /* a stream went on hold */
    SIPHON_SDP_CHG_RESUME = 1 << 8,     /* a stream came off hold */
    SIPHON_SDP_CHG_NOVERSION = 1 << 9   /* content changed but the version
                                           did not (RFC 3264 §8 violated) */
};

/* What changed from old to new (two SDPs from the same side). */
unsigned siphon_sdp_diff(const siphon_sdp *old_sdp, const siphon_sdp *new_sdp);

/* ---- building --------------------------------------------------------- */

/*
 * A new session with v=0, o=username sess_id version IN IP4/IP6 address,
 * s=name ("-" if empty), c=IN IP4/IP6 address, t=0 0. The address type
 * is IP6 when address contains ':'. Returns NULL on ENOMEM.
 */
siphon_sdp *siphon_sdp_new(siphon_str username, uint64_t sess_id,
                           uint64_t version, siphon_str address,
                           siphon_str name);

/* Deep copy (findings included). NULL on ENOMEM. */
siphon_sdp *siphon_sdp_dup(const siphon_sdp *s);

/* Increment o= sess-version (RFC 3264 §8: each new offer or answer in a
 * session). SIPHON_ESTATE when there is no o= line. */
int siphon_sdp_bump_version(siphon_sdp *s);

/* Set the session or media c= (m NULL: the session's). */
int siphon_sdp_set_conn(siphon_sdp *s, siphon_sdp_media *m,
                        siphon_str address);

/* Add an m= section with no formats; *out (may be NULL) receives it. */
int siphon_sdp_add_media(siphon_sdp *s, siphon_str media, uint32_t port,
                         siphon_str proto, siphon_sdp_media **out);
/* Add a format without attributes (non-RTP formats, or pt alone). */
int siphon_sdp_media_add_fmt(siphon_sdp *s, siphon_sdp_media *m,
                             siphon_str fmt);
/* Add a payload type with a=rtpmap (rate 0: none written, for static
 * types) and a=fmtp when fmtp is not empty. */
int siphon_sdp_media_add_codec(siphon_sdp *s, siphon_sdp_media *m, int pt,
                               siphon_str name, uint32_t rate,
                               uint32_t channels, siphon_str fmtp);
/* Add an attribute (m NULL: session level). value NULL: a=name alone. */
int siphon_sdp_add_attr(siphon_sdp *s, siphon_sdp_media *m, siphon_str name,
                        const siphon_str *value);
/* Remove every attribute of that name (m NULL: session). Returns the
 * count removed. */
int siphon_sdp_remove_attr(siphon_sdp *s, siphon_sdp_media *m,
                           const char *name);
/* Replace any direction attribute at that level by d (NONE: remove). */
int siphon_sdp_set_dir(siphon_sdp *s, siphon_sdp_media *m, siphon_sdp_dir d);

/* ---- offer/answer (RFC 3264 §6) -------------------------------------- */

/* What the answerer can do for one media type. */
typedef struct siphon_sdp_caps_media {
    const char *media;                 /* "audio", "video", ... */
    const siphon_sdp_codec *codecs;    /* supported, in preference order;
                                          name+rate(+channels) match
                                          dynamic types, pt static ones */
    size_t ncodecs;
    siphon_sdp_dir dir;                /* what we want (NONE = sendrecv) */
    uint32_t port;                     /* our port; 0 rejects this type */
    siphon_str address;                /* empty: the session address */
} siphon_sdp_caps_media;

typedef struct siphon_sdp_caps {
    siphon_str username;               /* empty: "-" */
    uint64_t sess_id;
    uint64_t sess_version;
    siphon_str address;                /* o= and session c= */
    const siphon_sdp_caps_media *media;
    size_t nmedia;
    /* Our previous SDP in this session, or NULL: when set, its o= is
     * reused with the version incremented (RFC 3264 §8). */
    const siphon_sdp *previous;
} siphon_sdp_caps;

/*
 * The answer to offer (RFC 3264 §6): one m= per offered m=, in order;
 * formats are the offer's that we support, in the offer's order and with
 * its payload numbers (§6.1); a stream with no common codec (other than
 * telephone-event or CN), of a type we lack, or offered with port 0, is
 * rejected with port 0 and the offered formats; directions answered per
 * §6.1 (sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive;
 * RFC 2543 c=0.0.0.0 hold counts as sendonly); t= copied from the offer;
 * a=mid copied. Returns 0 with *out owned by the caller, SIPHON_EINVAL
 * (offer without m= lines is still answered: no error), SIPHON_ENOMEM.
 */
int siphon_sdp_answer(const siphon_sdp *offer, const siphon_sdp_caps *caps,
                      siphon_sdp **out);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_SDP_H */
