/*
 * lint.c -- "sipcheck lint": judge raw SIP message files as a receiving
 * element would (RFC 3261 §8.2, §16.3, §18.3; RFC 4475) and list what the
 * parser tolerated or noted.
 *
 * Output is one verdict line per file, then one indented line per
 * finding, in the file:offset: form of compiler diagnostics so that grep,
 * editors and awk work on it:
 *
 *   invite.sip: valid
 *     invite.sip:18: tolerated request-line-extra-sp (RFC 4475 §3.1.2.9) ...
 *   bad.sip: invalid 400 Bad To
 *     bad.sip:41: error quoted-string in To: unterminated quoted string ...
 *   resp.sip: drop Bad Status-Code
 *     resp.sip:8: error Status-Code: status code is not three digits
 *
 * With --json, one JSON object per file per line (JSON Lines).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <siphon/msg.h>

#include "sipcheck.h"

enum { EXIT_VALID = 0, EXIT_INVALID = 1, EXIT_USAGE = 2 };

typedef struct lint_opts {
    siphon_parse_opts parse;
    int json;
} lint_opts;

/*
 * Prototypes for functions referenced only in this file:
 */
static void usage(FILE *out);
static int read_file(const char *path, char **buf, size_t *len);
static int lint_one(const lint_opts *o, const char *name, const char *buf,
                    size_t len);
static const char *verdict_word(siphon_verdict_kind k);
static void print_text(const char *name, const siphon_verdict *v,
                       const siphon_finding *findings);
static void print_json(const char *name, const siphon_verdict *v,
                       const siphon_finding *findings);
static json_t *json_text(const char *s);

static void
usage(FILE *out)
{
    fputs("usage: sipcheck lint [--strict] [--stream] [--json] FILE...\n"
          "  --strict  refuse what a liberal parser tolerates\n"
          "  --stream  messages came over a stream (Content-Length required)\n"
          "  --json    one JSON object per file per line\n"
          "  FILE      a raw message, read as bytes; - reads standard input\n"
          "exit status: 0 all valid, 1 some invalid or dropped, "
          "2 usage error or unreadable file\n", out);
}

int
sipcheck_lint(int argc, char **argv)
{
    lint_opts o;
    int i, status = EXIT_VALID, nfiles = 0, opts_done = 0;

    memset(&o, 0, sizeof(o));
    siphon_parse_opts_default(&o.parse);

    /* Options first, then files; "--" ends the options. */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
            nfiles++;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            opts_done = 1;
        } else if (strcmp(a, "--strict") == 0) {
            o.parse.strict = true;
        } else if (strcmp(a, "--stream") == 0) {
            o.parse.stream = true;
        } else if (strcmp(a, "--json") == 0) {
            o.json = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return EXIT_VALID;
        } else {
            fprintf(stderr, "sipcheck lint: unknown option '%s'\n", a);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (nfiles == 0) {
        fputs("sipcheck lint: no files\n", stderr);
        usage(stderr);
        return EXIT_USAGE;
    }

    opts_done = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *buf = NULL;
        size_t len = 0;
        int rc;

        if (!opts_done && a[0] == '-' && strcmp(a, "-") != 0) {
            opts_done = strcmp(a, "--") == 0;
            continue;
        }
        if (read_file(a, &buf, &len) != 0) {
            fprintf(stderr, "sipcheck: %s: %s\n", a, strerror(errno));
            status = EXIT_USAGE;
            continue;
        }
        rc = lint_one(&o, strcmp(a, "-") == 0 ? "<stdin>" : a, buf, len);
        free(buf);
        if (rc != EXIT_VALID && status == EXIT_VALID) {
            status = rc;
        }
        fflush(stdout);
    }
    return status;
}

/*
 * read_file --
 *	Reads a whole file (or standard input for "-") as bytes. Returns 0,
 *	or -1 with errno set. *buf is malloc'd (never NULL on success).
 */
static int
read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *p;
    int err = 0;

    if (f == NULL) {
        return -1;
    }
    p = malloc(cap);
    errno = 0;
    while (p != NULL) {
        size_t got;

        if (n == cap) {
            char *q = realloc(p, cap * 2);

            if (q == NULL) {
                break;
            }
            p = q;
            cap *= 2;
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (p == NULL || ferror(f)) {
        err = p == NULL ? ENOMEM : (errno ? errno : EIO);
    }
    if (f != stdin) {
        fclose(f);
    }
    if (err != 0) {
        free(p);
        errno = err;
        return -1;
    }
    *buf = p;
    *len = n;
    return 0;
}

/*
 * lint_one --
 *	Judges one message and prints its report. Returns EXIT_VALID or
 *	EXIT_INVALID.
 */
static int
lint_one(const lint_opts *o, const char *name, const char *buf, size_t len)
{
    siphon_verdict v;
    siphon_msg *m = NULL;
    const siphon_finding *findings = NULL;

    memset(&v, 0, sizeof(v));
    siphon_verdict_bytes(buf, len, &o->parse, &v, &m);
    if (m != NULL) {
        siphon_perr err;

        /* The verdict already parsed every typed header; this makes sure
         * every finding is known even if that changes. */
        (void) siphon_msg_parse_all(m, &err);
        findings = siphon_msg_findings(m);
    }
    if (o->json) {
        print_json(name, &v, findings);
    } else {
        print_text(name, &v, findings);
    }
    siphon_msg_unref(m);
    return v.kind == SIPHON_VERDICT_ACCEPT ? EXIT_VALID : EXIT_INVALID;
}

/* "valid" reads better than "accept" in a lint report; "invalid" covers
 * every reject status (400, 505, ...). */
static const char *
verdict_word(siphon_verdict_kind k)
{
    switch (k) {
    case SIPHON_VERDICT_ACCEPT: return "valid";
    case SIPHON_VERDICT_REJECT: return "invalid";
    default: return "drop";
    }
}

static void
print_text(const char *name, const siphon_verdict *v,
           const siphon_finding *findings)
{
    const siphon_finding *f;

    printf("%s: %s", name, verdict_word(v->kind));
    if (v->kind != SIPHON_VERDICT_ACCEPT) {
        if (v->status > 0) {
            printf(" %d", v->status);
        }
        if (v->reason[0] != '\0') {
            printf(" %s", v->reason);
        }
    }
    putchar('\n');
    for (f = findings; f != NULL; f = f->next) {
        printf("  %s:%zu: %s %s", name, f->offset,
               f->level == SIPHON_FINDING_TOLERATED ? "tolerated" : "note",
               f->rule ? f->rule : "-");
        if (f->rfc != NULL) {
            printf(" (%s)", f->rfc);
        }
        if (f->text != NULL) {
            printf(" %s", f->text);
        }
        putchar('\n');
    }
    if (v->kind != SIPHON_VERDICT_ACCEPT) {
        printf("  %s:%zu: error %s", name, v->where.offset,
               v->where.rule ? v->where.rule : "-");
        if (v->where.header != NULL) {
            printf(" in %s", v->where.header);
        }
        if (v->where.text[0] != '\0') {
            printf(": %s", v->where.text);
        }
        putchar('\n');
    }
}

/*
 * json_text --
 *	A JSON string from library text or a file name. JSON must be UTF-8;
 *	bytes that are not (wire bytes quoted in a message, odd file names)
 *	are taken as ISO 8859-1 so that nothing is lost or refused. NULL
 *	gives JSON null.
 */
static json_t *
json_text(const char *s)
{
    json_t *j;
    size_t i, n;
    char *u, *q;

    if (s == NULL) {
        return json_null();
    }
    n = strlen(s);
    j = json_stringn(s, n);
    if (j != NULL) {
        return j;
    }
    u = q = malloc(2 * n + 1);
    if (u == NULL) {
        return json_null();
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];

        if (c < 0x80) {
            *q++ = (char) c;
        } else {
            *q++ = (char) (0xC0 | (c >> 6));
            *q++ = (char) (0x80 | (c & 0x3F));
        }
    }
    j = json_stringn(u, (size_t) (q - u));
    free(u);
    return j != NULL ? j : json_null();
}

/* {"file","verdict","status","reason","offset","header","rule","text",
 *  "findings":[{"rule","rfc","offset","level","header","text"}]}: every
 * key always present, null where it does not apply (valid messages have
 * no status or fault; a drop sends no status). */
static void
print_json(const char *name, const siphon_verdict *v,
           const siphon_finding *findings)
{
    json_t *o = json_object(), *list = json_array();
    const siphon_finding *f;
    int bad = v->kind != SIPHON_VERDICT_ACCEPT;
    char *s;

    json_object_set_new(o, "file", json_text(name));
    json_object_set_new(o, "verdict", json_string(verdict_word(v->kind)));
    json_object_set_new(o, "status", bad && v->status > 0
                        ? json_integer(v->status) : json_null());
    json_object_set_new(o, "reason", bad ? json_text(v->reason)
                                         : json_null());
    json_object_set_new(o, "offset", bad
                        ? json_integer((json_int_t) v->where.offset)
                        : json_null());
    json_object_set_new(o, "header", bad ? json_text(v->where.header)
                                         : json_null());
    json_object_set_new(o, "rule", bad ? json_text(v->where.rule)
                                       : json_null());
    json_object_set_new(o, "text", bad && v->where.text[0]
                        ? json_text(v->where.text) : json_null());
    for (f = findings; f != NULL; f = f->next) {
        json_t *jf = json_object();

        json_object_set_new(jf, "rule", json_text(f->rule));
        json_object_set_new(jf, "rfc", json_text(f->rfc));
        json_object_set_new(jf, "offset", json_integer((json_int_t) f->offset));
        json_object_set_new(jf, "level", json_string(
                f->level == SIPHON_FINDING_TOLERATED ? "tolerated" : "note"));
        json_object_set_new(jf, "header", json_text(f->header));
        json_object_set_new(jf, "text", json_text(f->text));
        json_array_append_new(list, jf);
    }
    json_object_set_new(o, "findings", list);

    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s != NULL) {
        puts(s);
        free(s);
    }
    json_decref(o);
}
