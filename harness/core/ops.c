/*
 * harness/core/ops.c -- base layer: op names, validation, and the sink's flush.
 */
#include "harness/core/ops.h"

#include "harness/core/object.h"

static const char *const op_names[HB_OP_COUNT] = {
    [HB_OP_NEW] = "NEW",         [HB_OP_SET] = "SET",       [HB_OP_GET] = "GET",
    [HB_OP_MOV] = "MOV",         [HB_OP_DROP] = "DROP",     [HB_OP_TOUCH] = "TOUCH",
    [HB_OP_COLLECT] = "COLLECT", [HB_OP_PHASE] = "PHASE",   [HB_OP_MALLOC] = "MALLOC",
    [HB_OP_FREE] = "FREE",       [HB_OP_REALLOC] = "REALLOC", [HB_OP_RESIZE] = "RESIZE",
};

const char *hb_op_name(uint8_t code)
{
    return code < HB_OP_COUNT ? op_names[code] : NULL;
}

int hb_sink_flush(hb_sink *s)
{
    if (s->len > 0 && !s->stopped) {
        if (s->flush(s) != 0)
            s->stopped = 1;
    }
    s->len = 0;
    return s->stopped;
}

/* Which of a, b, c name registers, per op. */
enum { RA = 1, RB = 2, RC = 4 };

static unsigned op_regs(const hb_op *op)
{
    switch (op->code) {
    case HB_OP_NEW: case HB_OP_DROP: case HB_OP_TOUCH:
    case HB_OP_MALLOC: case HB_OP_FREE: case HB_OP_REALLOC: case HB_OP_RESIZE:
        return RA;
    case HB_OP_SET:
        return op->c == HB_NIL ? RA : RA | RC;
    case HB_OP_GET: case HB_OP_MOV:
        return RA | RB;
    default:
        return 0;
    }
}

static const char *op_problem(const hb_op *op, uint32_t nregs)
{
    if (op->code == 0 || op->code >= HB_OP_COUNT)
        return "unknown op code";
    if (op->thread != 0 && !(op->code >= HB_OP_MALLOC && op->code <= HB_OP_REALLOC) &&
        op->code != HB_OP_TOUCH)
        return "nonzero thread on an op-stream op (op streams run on one thread)";
    unsigned regs = op_regs(op);
    if (((regs & RA) && op->a >= nregs) || ((regs & RB) && op->b >= nregs) ||
        ((regs & RC) && op->c >= nregs))
        return "register index past the register file";
    if (op->code == HB_OP_NEW) {
        if (op->kind >= HB_KIND_COUNT)
            return "unknown object kind";
        if (op->kind == HB_LEAF && op->b != 0)
            return "leaf object with reference slots";
        if (op->flags & ~(unsigned)HB_F_FINALIZER)
            return "unknown object flags";
        if (op->b > (1u << 28) || op->c > (1u << 30))
            return "object larger than 3 GiB";
    }
    if (op->code == HB_OP_RESIZE && op->c > (1u << 28))
        return "object larger than 3 GiB";
    return NULL;
}

size_t hb_ops_validate(const hb_op *ops, size_t n, uint32_t nregs, const char **why)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = op_problem(&ops[i], nregs);
        if (p) {
            if (why)
                *why = p;
            return i;
        }
    }
    if (why)
        *why = NULL;
    return n;
}
