/*
 * uri_tel.c -- the tel: URI parser.
 *
 * RFC 3966 §3 (syntax, with erratum 4376: phonedigit = DIGIT /
 * visual-separator), §5.1 (global and local numbers, phone-context),
 * §5.2 (isub) and §5.3 (ext). siphon_uri_parse() in uri.c recognises the
 * scheme and calls siphon_uri_parse_tel_(); everything stays a view into
 * the caller's string, only the parameter array comes from the arena.
 */
#include <siphon/uri.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * A tel URI carries a handful of parameters. The duplicate check below is
 * quadratic, so a hostile URI made of thousands of ";a" must not reach it:
 * past this many parameters the URI is refused.
 */
#define TEL_MAX_PARAMS 64

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c)
{
    return is_digit(c) || is_alpha(c);
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* visual-separator: readability only, never significant (§5.1.1). */
static bool is_visual_sep(unsigned char c)
{
    return c == '-' || c == '.' || c == '(' || c == ')';
}

/* unreserved = alphanum / mark */
static bool is_unreserved(unsigned char c)
{
    return is_alnum(c) || (c != 0 && strchr("-_.!~*'()", c) != NULL);
}

static bool is_param_unreserved(unsigned char c)
{
    return c != 0 && strchr("[]/:&+$", c) != NULL;
}

/* reserved as RFC 3966 §3 (from RFC 2396) defines it for uric. */
static bool is_reserved(unsigned char c)
{
    return c != 0 && strchr(";/?:@&=+$,", c) != NULL;
}

static bool caseeq_c(const char *p, size_t n, const char *c)
{
    size_t cl = strlen(c);
    if (n != cl)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)p[i], y = (unsigned char)c[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

static bool caseeq(siphon_str a, siphon_str b)
{
    /* pnames are alphanum / "-" only, so a byte-wise fold is exact */
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

static int fail(siphon_perr *err, size_t offset, const char *rule,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(siphon_perr *err, size_t offset, const char *rule,
                const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->offset = offset;
        err->header = NULL;
        err->rule = rule;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return SIPHON_EPARSE;
}

/* A character for an error message: printable as is, else as \xHH. */
static const char *show(unsigned char c, char buf[8])
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 8, "%c", c);
    else
        snprintf(buf, 8, "\\x%02X", c);
    return buf;
}

/* Length of a valid pct-encoded triplet at s[i], or 0. */
static size_t pct_len(const char *s, size_t i, size_t end)
{
    if (s[i] == '%' && end - i >= 3 && is_hex((unsigned char)s[i + 1]) &&
        is_hex((unsigned char)s[i + 2]))
        return 3;
    return 0;
}

/*
 * global-number-digits = "+" *phonedigit DIGIT *phonedigit, on s[b, e).
 * Also the form of a numeric phone-context, hence the rule argument.
 */
static int check_global(const char *s, size_t b, size_t e, const char *rule,
                        siphon_perr *err)
{
    char cb[8];
    bool digit = false;
    if (b == e || s[b] != '+')
        return fail(err, b, rule, "a global number starts with '+' "
                                  "(RFC 3966 §5.1.4)");
    for (size_t i = b + 1; i < e; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_digit(c))
            digit = true;
        else if (!is_visual_sep(c))
            return fail(err, i, rule,
                        "'%s' is not allowed in a global number: only digits "
                        "and the separators - . ( ) (RFC 3966 §3)",
                        show(c, cb));
    }
    if (!digit)
        return fail(err, b, rule,
                    "the global number \"%.*s\" has no digit after '+' "
                    "(RFC 3966 §3)",
                    (int)(e - b > 60 ? 60 : e - b), s + b);
    return 0;
}

/* local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex */
static int check_local(const char *s, size_t b, size_t e, siphon_perr *err)
{
    char cb[8];
    bool digit = false;
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_hex(c) || c == '*' || c == '#')
            digit = true;
        else if (!is_visual_sep(c))
            return fail(err, i, "local-number-digits",
                        "'%s' is not allowed in a local number: only hex "
                        "digits, '*', '#' and the separators - . ( ) "
                        "(RFC 3966 §3)",
                        show(c, cb));
    }
    if (!digit)
        return fail(err, b, "local-number-digits",
                    "the local number has only visual separators "
                    "(RFC 3966 §3)");
    return 0;
}

/*
 * domainname = *( domainlabel "." ) toplabel [ "." ]
 * domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
 * toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum
 */
static bool is_domainname(const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '.')
        n--;
    if (n == 0)
        return false;
    size_t lb = 0;
    while (lb < n) {
        size_t le = lb;
        while (le < n && p[le] != '.')
            le++;
        if (le == lb)
            return false; /* empty label: ".." or a leading dot */
        if (!is_alnum((unsigned char)p[lb]) ||
            !is_alnum((unsigned char)p[le - 1]))
            return false;
        for (size_t i = lb; i < le; i++)
            if (!is_alnum((unsigned char)p[i]) && p[i] != '-')
                return false;
        if (le == n && !is_alpha((unsigned char)p[lb]))
            return false; /* the toplabel tells names from numbers */
        lb = le + 1;
    }
    return true;
}

/* The value of ;phone-context= (RFC 3966 §5.1.5): descriptor. */
static int check_context(const char *s, size_t b, size_t e, siphon_perr *err)
{
    if (b < e && s[b] == '+')
        return check_global(s, b, e, "phone-context", err);
    if (!is_domainname(s + b, e - b))
        return fail(err, b, "phone-context",
                    "phone-context \"%.*s\" is neither a domain name nor a "
                    "global number such as +1-914-555 (RFC 3966 §5.1.5)",
                    (int)(e - b > 60 ? 60 : e - b), s + b);
    return 0;
}

/* extension = ";ext=" 1*phonedigit (RFC 3966 §5.3) */
static int check_ext(const char *s, size_t b, size_t e, siphon_perr *err)
{
    char cb[8];
    if (b == e)
        return fail(err, b, "extension",
                    "ext= needs a value (RFC 3966 §3)");
    for (size_t i = b; i < e; i++)
        if (!is_digit((unsigned char)s[i]) &&
            !is_visual_sep((unsigned char)s[i]))
            return fail(err, i, "extension",
                        "'%s' is not allowed in ext=: only digits and the "
                        "separators - . ( ) (RFC 3966 §3)",
                        show((unsigned char)s[i], cb));
    return 0;
}

/*
 * isdn-subaddress = ";isub=" 1*uric (RFC 3966 §5.2). uric includes ';',
 * but a literal ';' always ends the parameter here: the subaddress must
 * escape it, as every reader splits parameters on ';'.
 */
static int check_isub(const char *s, size_t b, size_t e, siphon_perr *err)
{
    char cb[8];
    if (b == e)
        return fail(err, b, "isdn-subaddress",
                    "isub= needs a value (RFC 3966 §3)");
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (!pct_len(s, i, e))
                return fail(err, i, "isdn-subaddress",
                            "'%%' in isub= is not followed by two hex digits "
                            "(RFC 3966 §3)");
            i += 2;
        } else if (!is_reserved(c) && !is_unreserved(c)) {
            return fail(err, i, "isdn-subaddress",
                        "'%s' must be %%-escaped in isub= (RFC 3966 §3)",
                        show(c, cb));
        }
    }
    return 0;
}

/* pvalue = 1*paramchar; paramchar = param-unreserved / unreserved /
 * pct-encoded */
static int check_pvalue(const char *s, size_t b, size_t e, siphon_perr *err)
{
    char cb[8];
    if (b == e)
        return fail(err, b, "pvalue",
                    "a parameter with '=' needs a value (RFC 3966 §3)");
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (!pct_len(s, i, e))
                return fail(err, i, "pvalue",
                            "'%%' in a parameter value is not followed by "
                            "two hex digits (RFC 3966 §3)");
            i += 2;
        } else if (!is_param_unreserved(c) && !is_unreserved(c)) {
            return fail(err, i, "pvalue",
                        "'%s' must be %%-escaped in a parameter value "
                        "(RFC 3966 §3)",
                        show(c, cb));
        }
    }
    return 0;
}

/*
 * One parameter on s[b, e) (the ';' before it excluded): pname ["=" value].
 * The names RFC 3966 defines (matched case-insensitively, as ABNF quoted
 * strings are) must have the syntax it gives them; any other name is a
 * generic parameter.
 */
static int parse_par(const char *s, size_t b, size_t e, siphon_param *p,
                     siphon_perr *err)
{
    char cb[8];
    size_t ne = b;
    while (ne < e && s[ne] != '=')
        ne++;
    if (ne == b)
        return fail(err, b, "par",
                    b == e ? "empty parameter after ';' (RFC 3966 §3)"
                           : "parameter without a name (RFC 3966 §3)");
    for (size_t i = b; i < ne; i++)
        if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
            return fail(err, i, "pname",
                        "'%s' is not allowed in a parameter name: only "
                        "letters, digits and '-' (RFC 3966 §3)",
                        show((unsigned char)s[i], cb));
    p->name = siphon_str_make(s + b, ne - b);
    p->has_value = ne < e;
    size_t vb = p->has_value ? ne + 1 : e;
    p->value = siphon_str_make(s + vb, e - vb);

    const char *n = s + b;
    size_t nl = ne - b;
    if (caseeq_c(n, nl, "phone-context")) {
        if (!p->has_value)
            return fail(err, b, "phone-context",
                        "phone-context needs a value (RFC 3966 §3)");
        return check_context(s, vb, e, err);
    }
    if (caseeq_c(n, nl, "ext")) {
        if (!p->has_value)
            return fail(err, b, "extension",
                        "ext needs a value (RFC 3966 §3)");
        return check_ext(s, vb, e, err);
    }
    if (caseeq_c(n, nl, "isub")) {
        if (!p->has_value)
            return fail(err, b, "isdn-subaddress",
                        "isub needs a value (RFC 3966 §3)");
        return check_isub(s, vb, e, err);
    }
    return p->has_value ? check_pvalue(s, vb, e, err) : 0;
}

int siphon_uri_parse_tel_(siphon_arena *a, const char *s, size_t len,
                          siphon_uri *out, siphon_perr *err)
{
    /* The caller has checked the scheme; check again rather than trust
     * an offset, since everything below is relative to the ':'. */
    if (len < 4 || !caseeq_c(s, 3, "tel") || s[3] != ':')
        return fail(err, 0, "telephone-uri",
                    "a tel URI starts with \"tel:\" (RFC 3966 §3)");

    size_t nb = 4, ne = nb;
    while (ne < len && s[ne] != ';')
        ne++;
    if (ne == nb)
        return fail(err, nb, "telephone-subscriber",
                    "the telephone number is empty (RFC 3966 §3)");
    bool global = s[nb] == '+';
    int rc = global ? check_global(s, nb, ne, "global-number-digits", err)
                    : check_local(s, nb, ne, err);
    if (rc)
        return rc;

    size_t n = 0;
    for (size_t i = ne; i < len; i++)
        if (s[i] == ';')
            n++;
    if (n > TEL_MAX_PARAMS)
        return fail(err, ne, "par",
                    "%zu parameters; a tel URI may have at most %d here",
                    n, TEL_MAX_PARAMS);
    siphon_param *v = NULL;
    if (n) {
        v = siphon_arena_alloc(a, n * sizeof *v);
        if (!v)
            return SIPHON_ENOMEM;
    }

    size_t k = 0;
    bool have_ctx = false;
    for (size_t i = ne; i < len;) {
        size_t pb = i + 1, pe = pb; /* s[i] is ';' */
        while (pe < len && s[pe] != ';')
            pe++;
        rc = parse_par(s, pb, pe, &v[k], err);
        if (rc)
            return rc;
        /* §3: a parameter name, ext, isub and the context MUST NOT
         * appear more than once. */
        for (size_t j = 0; j < k; j++)
            if (caseeq(v[j].name, v[k].name))
                return fail(err, pb, "par",
                            "parameter \"%.*s\" appears twice "
                            "(RFC 3966 §3)",
                            (int)(v[k].name.len > 60 ? 60 : v[k].name.len),
                            v[k].name.p);
        if (caseeq_c(v[k].name.p, v[k].name.len, "phone-context"))
            have_ctx = true;
        k++;
        i = pe;
    }

    /*
     * A local number means nothing without its context (§5.1.5). The
     * order §3 asks for (isub/ext, then context, then the rest sorted) is
     * only there to ease textual comparison, so any order is accepted.
     */
    if (!global && !have_ctx)
        return fail(err, nb, "local-number",
                    "the local number \"%.*s\" needs a ;phone-context= "
                    "parameter (RFC 3966 §5.1.5)",
                    (int)(ne - nb > 60 ? 60 : ne - nb), s + nb);

    out->number = siphon_str_make(s + nb, ne - nb);
    out->global = global;
    out->params.v = v;
    out->params.n = k;
    return 0;
}
