/*
 * test_corpus.c -- every message of the public corpora in
 * ../shared/corpus-ref/messages/ parses or is refused with an error that
 * names a rule and an offset inside the input; nothing crashes or leaks
 * (the runner is built with ASan). Skips when the folder is absent.
 */
#include "unit.h"

#include <siphon/msg.h>

#include <dirent.h>
#include <stdlib.h>

#define REF "../shared/corpus-ref/messages/"

static int checked, refused;

static void check_file(const char *path)
{
    size_t len;
    char *buf = unit_read_file(path, &len);
    if (!buf)
        return;
    for (int mode = 0; mode < 3; mode++) {
        siphon_parse_opts o;
        siphon_parse_opts_default(&o);
        o.strict = mode == 1;
        o.stream = mode == 2;
        siphon_msg *m = NULL;
        siphon_perr err;
        memset(&err, 0, sizeof err);
        int rc = siphon_msg_parse(buf, len, &o, &m, &err);
        if (rc == 0) {
            siphon_verdict v;
            siphon_msg_verdict(m, &v);
            if (v.kind != SIPHON_VERDICT_ACCEPT && (!v.where.rule || !v.reason[0]))
                unit_fail(__FILE__, __LINE__, "%s: verdict without rule/reason", path);
            siphon_msg_unref(m);
        } else {
            if (mode == 0)
                refused++;
            if (!err.rule || !err.text[0] || err.offset > len)
                unit_fail(__FILE__, __LINE__, "%s: error %d without rule/text/offset", path, rc);
        }
    }
    checked++;
    free(buf);
}

static int walk(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char path[1024];
        const char *name = list[i]->d_name;
        if (name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (list[i]->d_type == DT_DIR)
                walk(path);
            else if (!strstr(name, ".tsv") && !strstr(name, ".xml") && !strstr(name, ".dtd") &&
                     !strstr(name, ".md"))
                check_file(path);
        }
        free(list[i]);
    }
    free(list);
    return 0;
}

UNIT_TEST(corpus_ref_messages_parse_or_refuse)
{
    checked = refused = 0;
    if (walk(REF) < 0) {
        unit_skip("../shared/corpus-ref/messages is absent");
        return;
    }
    CHECK(checked > 400);
    printf("# %d corpus files, %d refused in lenient datagram mode\n", checked, refused);
}
