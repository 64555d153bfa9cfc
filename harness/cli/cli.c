/*
 * harness/cli/cli.c -- command layer: what the subcommands share: usage
 * errors, printing an hb_err, name lookups, and the run settings' options.
 */
#include "harness/cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness/core/registry.h"
#include "harness/formats/results.h"
#include "harness/run/run.h"

int hb_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "heapbench %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return HB_EXIT_USAGE;
}

int hb_report_err(const char *cmd, const hb_err *e)
{
    fprintf(stderr, "heapbench %s: %s\n", cmd, e->msg[0] ? e->msg : "failed");
    return e->kind == HB_ERR_USAGE || e->kind == HB_ERR_INPUT ? HB_EXIT_USAGE : HB_EXIT_FAIL;
}

void hb_print_note(void *arg, const hb_row *row, const char *why)
{
    (void)arg;
    fprintf(stderr, "heapbench: %s/%s/%s rep %u: %s: %s\n", row->allocator, row->collector,
            row->workload, (unsigned)row->rep, row->status, why);
}

void hb_print_progress(const hb_progress *p)
{
    if (p->done)
        fprintf(stderr, "\r\033[K");
    else
        fprintf(stderr, "\r%s/%s/%s rep %u: %.1f M ops, %.2f s replayed ", p->alloc, p->coll,
                p->source, (unsigned)p->rep, (double)p->ops / 1e6, p->replayed_s);
}

int hb_resolve(const char *cmd, const hb_registry *r, const char *name, const void **out)
{
    hb_err e;
    return hb_registry_resolve(r, name, out, &e) == 0 ? 0 : hb_report_err(cmd, &e);
}

void hb_setting_options(struct option *opts, size_t *n, size_t cap)
{
    for (int i = 0; i < HB_SETTING_COUNT && *n < cap; i++) {
        const hb_setting_desc *d = &hb_settings[i];
        if (d->option == NULL)
            continue;
        int arg = d->type == HB_SET_ON || d->type == HB_SET_OFF ? no_argument : required_argument;
        opts[(*n)++] = (struct option){d->option, arg, 0, HB_OPT_SETTING + i};
    }
    for (size_t j = 0; j < hb_setting_alias_count && *n < cap; j++)
        opts[(*n)++] = (struct option){hb_setting_aliases[j].option, no_argument, 0,
                                       HB_OPT_SETTING + HB_SETTING_COUNT + (int)j};
}

int hb_setting_option(const char *cmd, hb_run_config *c, int val, const char *arg)
{
    int i = val - HB_OPT_SETTING;
    hb_err e;
    if (i >= HB_SETTING_COUNT) {
        const hb_setting_alias *a = &hb_setting_aliases[i - HB_SETTING_COUNT];
        i = a->index;
        arg = a->value;
    }
    return hb_setting_set(c, i, arg, &e) == 0 ? 0 : hb_report_err(cmd, &e);
}

static void help_line(FILE *out, const char *option, const char *metavar, const char *help)
{
    char left[40];
    snprintf(left, sizeof left, "--%s%s%s", option, metavar ? " " : "", metavar ? metavar : "");
    fprintf(out, "      %-20s %s\n", left, help);
}

void hb_setting_help(FILE *out)
{
    static const char *const metavar[] = {
        [HB_SET_NAME] = "NAME", [HB_SET_F64] = "X", [HB_SET_U64] = "N", [HB_SET_SIZE] = "SIZE",
        [HB_SET_POW2] = "SIZE", [HB_SET_ON] = NULL, [HB_SET_OFF] = NULL, [HB_SET_THRESH] = "A,B,C",
    };
    for (int i = 0; i < HB_SETTING_COUNT; i++) {
        const hb_setting_desc *d = &hb_settings[i];
        if (d->option == NULL)
            continue;
        char help[320], expected[160];
        hb_setting_expected(i, expected, sizeof expected);
        /* no value, or a name whose help lists the choices (trigger's) */
        if (d->type == HB_SET_ON || d->type == HB_SET_OFF || d->type == HB_SET_NAME)
            snprintf(help, sizeof help, "%s", d->help);
        else if (d->def)
            snprintf(help, sizeof help, "%s: %s; default %s", d->help, expected, d->def);
        else
            snprintf(help, sizeof help, "%s: %s", d->help, expected);
        help_line(out, d->option, metavar[d->type], help);
    }
    for (size_t j = 0; j < hb_setting_alias_count; j++)
        help_line(out, hb_setting_aliases[j].option, NULL, hb_setting_aliases[j].help);
}
