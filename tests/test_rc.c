/*
 * tests/test_rc.c -- the `rc` strategy (collectors/rc.c), driven through its
 * table with a small register file as the roots.
 *
 * The heap is a test-local allocator that keeps every live block on a list
 * with its size, so the test can check the collector without trusting it:
 * each count against the references found by walking every live block, no
 * register or slot naming a freed block, sizes given back to free equal to
 * those allocated, and nothing left after destroy.  The 10-million chain
 * uses a bump arena instead (a list entry per block would double its
 * memory) and frees inside a thread with a 64 KiB stack, so a recursive
 * release would crash the test (100,000 when HB_TEST_QUICK is set).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/mman.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/clock.h"
#include "harness/core/rng.h"
#include "tests/rc_harness.h"

extern const gc_strategy gc_rc;

/* The test heaps and the harness (th_*): tests/test_heaps.h, tests/rc_harness.h. */

static void th_open(th *t, const al_backend *b)
{
    th_begin(t, b);
    th_start(t, &gc_rc);
}

static uint64_t th_rc(th *t, const hb_obj *o)
{
    return t->gs->refcount(t->gc, o);
}

/* ---- tests ---- */

static void test_table(void **state)
{
    (void)state;
    assert_string_equal(gc_rc.name, "rc");
    assert_int_equal(gc_rc.header_bytes, 8);
    assert_null(gc_rc.safepoint);
    assert_non_null(gc_rc.refcount);
    assert_null(gc_rc.create(NULL));
}

/* Random NEW/SET/GET/MOV/DROP: after each batch every count equals the
 * references that point at the object, and nothing referenced was freed. */
static void test_counts_after_random_stores(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    /* SET two draws in six, NULL one store in five; no finalizers, no arrays */
    static const th_mix mix = {.stores = 2, .null_one_in = 5};
    hb_rng rng;
    hb_rng_seed(&rng, 42);
    for (int batch = 0; batch < 40; batch++) {
        for (int k = 0; k < 200; k++)
            th_random_op(&t, &rng, &mix);
        th_check(&t);
    }
    gc_stats s = th_stats(&t);
    assert_true(s.objects_freed > 1000); /* the stream did free things */
    th_close(&t);
}

/* Storing a value into the slot or register that already holds it, or
 * replacing an object by its own child, frees nothing that is still named. */
static void test_self_stores(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
    th_new(&t, 1, HB_LEAF, 0, 0, 8);
    th_set(&t, 0, 0, 1);
    th_set(&t, 0, 0, 1);
    th_mov(&t, 1, 1);
    th_check(&t);
    hb_obj *leaf = t.regs[1];
    th_mov(&t, 1, -1);
    /* r0 := r0.refs[0]: the container dies, its child survives in r0 */
    t.gs->reg_write(t.gc, &t.regs[0], t.regs[0]->refs[0]);
    assert_ptr_equal(t.regs[0], leaf);
    assert_int_equal(th_rc(&t, leaf), 1);
    th_check(&t);
    assert_int_equal(th_stats(&t).objects_live, 1);
    th_close(&t);
}

/* Out-of-range slot indices and NULL owners are ignored, not crashes. */
static void test_bad_field_store(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    th_new(&t, 0, HB_CONTAINER, 0, 2, 0);
    th_new(&t, 1, HB_LEAF, 0, 0, 0);
    t.gs->field_store(t.gc, t.regs[0], 2, t.regs[1]);
    t.gs->field_store(t.gc, NULL, 0, t.regs[1]);
    assert_int_equal(th_rc(&t, t.regs[1]), 1);
    th_check(&t);
    th_close(&t);
}

/* Cycles are never freed by rc: a 2-cycle and a 100-ring stay live after
 * their registers are dropped and after collect(); destroy frees them. */
static void test_cycles_leak(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
    th_new(&t, 1, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 0, 0, 1);
    th_set(&t, 1, 0, 0);
    th_build_ring(&t, 4, 100, 0);
    th_check(&t);
    th_mov(&t, 0, -1);
    th_mov(&t, 1, -1);
    th_mov(&t, 4, -1);
    gc_stats before = th_stats(&t);
    assert_int_equal(before.objects_live, 102);
    assert_int_equal(before.objects_freed, 0);
    t.gs->collect(t.gc);
    gc_stats after = th_stats(&t);
    assert_memory_equal(&before, &after, sizeof before); /* collect counts nothing */
    assert_int_equal(t.pauses, 0);
    th_check(&t);
    th_close(&t); /* asserts the allocator got every block back */
}

/* A release that frees one object is not a pause; one that frees more is
 * exactly one pause, timed inside the call. */
static void test_pauses(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    th_new(&t, 0, HB_LEAF, 0, 0, 8);
    th_mov(&t, 0, -1); /* one free */
    th_new(&t, 1, HB_LEAF, 0, 0, 8);
    th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 0, 0, 1);
    th_mov(&t, 0, -1); /* frees the container only: r1 still holds the leaf */
    assert_int_equal(th_stats(&t).objects_freed, 2);
    assert_int_equal(t.pauses, 0);

    /* a three-level tree held by r0 */
    th_new(&t, 0, HB_CONTAINER, 0, 2, 0);
    th_new(&t, 2, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 2, 0, 1);
    th_set(&t, 0, 0, 2);
    th_set(&t, 0, 1, 1);
    th_mov(&t, 1, -1);
    th_mov(&t, 2, -1);
    uint64_t before = hb_now_ns();
    th_mov(&t, 0, -1);
    uint64_t after = hb_now_ns();
    assert_int_equal(th_stats(&t).objects_freed, 5);
    assert_int_equal(t.pauses, 1);
    assert_true(before <= t.last_start);
    assert_true(t.last_start <= t.last_end);
    assert_true(t.last_end <= after);

    /* new_obj releasing the register's old value cascades too */
    th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
    th_new(&t, 1, HB_LEAF, 0, 0, 0);
    th_set(&t, 0, 0, 1);
    th_mov(&t, 1, -1);
    th_new(&t, 0, HB_LEAF, 0, 0, 0);
    assert_int_equal(t.pauses, 2);
    assert_int_equal(th_stats(&t).objects_freed, 7);
    th_check(&t);
    th_close(&t);
}

/* Finalizers run once when the count reaches zero, on a whole object (its
 * slots not yet released), in cascades too, and never from destroy. */
static void test_finalizers(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    th_new(&t, 0, HB_CONTAINER, HB_F_FINALIZER, 2, 0);
    th_new(&t, 1, HB_LEAF, HB_F_FINALIZER, 0, 0);
    th_set(&t, 0, 0, 1);
    th_new(&t, 1, HB_CONTAINER, HB_F_FINALIZER, 1, 0);
    th_set(&t, 0, 1, 1);
    th_new(&t, 2, HB_LEAF, 0, 0, 0);
    th_set(&t, 1, 0, 2);
    th_mov(&t, 1, -1);
    th_mov(&t, 2, -1);
    assert_int_equal(t.finalized, 0);
    th_mov(&t, 0, -1);
    assert_int_equal(t.finalized, 3);
    assert_int_equal(t.finalized_twice, 0);
    assert_int_equal(t.finalized_broken, 0);
    assert_int_equal(th_stats(&t).finalizers_run, 3);
    assert_int_equal(th_stats(&t).objects_live, 0);

    /* a finalizer object in a leaked cycle is never finalized */
    th_new(&t, 0, HB_CONTAINER, HB_F_FINALIZER, 1, 0);
    th_set(&t, 0, 0, 0);
    th_mov(&t, 0, -1);
    t.gs->collect(t.gc);
    assert_int_equal(t.finalized, 3);
    /* flags other than FINALIZER are not taken from the caller */
    hb_obj *o = th_new(&t, 3, HB_LEAF, HB_F_FINALIZER | HB_F_FINALIZED, 0, 0);
    assert_int_equal(o->flags, HB_F_FINALIZER);
    th_close(&t);
    assert_int_equal(t.finalized, 3); /* destroy runs none */
}

/* Reachable objects keep their contents while others churn around them. */
static void test_reachable_intact(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    th_new(&t, 0, HB_CONTAINER, 0, 8, 32);
    for (uint32_t i = 0; i < 8; i++) {
        hb_obj *c = th_new(&t, 1, HB_ARRAY, 0, 0, 64);
        memset(hb_obj_payload(c), (int)(0x10 + i), 64);
        th_set(&t, 0, i, 1);
    }
    memset(hb_obj_payload(t.regs[0]), 0x77, 32);
    hb_rng rng;
    hb_rng_seed(&rng, 7);
    for (int k = 0; k < 5000; k++) {
        uint32_t r = (uint32_t)hb_rng_range(&rng, 1, NREGS - 1);
        th_new(&t, r, HB_CONTAINER, 0, 2, 16);
        th_set(&t, r, 0, (int)hb_rng_range(&rng, 1, NREGS - 1));
        th_set(&t, r, 1, (int)hb_rng_range(&rng, 1, NREGS - 1));
        if (k % 1000 == 0)
            t.gs->collect(t.gc);
    }
    hb_obj *root = t.regs[0];
    for (uint32_t i = 0; i < 32; i++)
        assert_int_equal(hb_obj_payload(root)[i], 0x77);
    for (uint32_t i = 0; i < 8; i++) {
        hb_obj *c = root->refs[i];
        assert_int_equal(c->payload, 64);
        for (uint32_t j = 0; j < 64; j++)
            assert_int_equal(hb_obj_payload(c)[j], 0x10 + i);
    }
    th_check(&t);
    th_close(&t);
}

/* A refused allocation returns NULL, leaves the register and the counts
 * alone (rc has nothing to collect first). */
static void test_out_of_memory(void **state)
{
    (void)state;
    th t;
    th_open(&t, &test_alloc);
    th_new(&t, 0, HB_LEAF, 0, 0, 8);
    hb_obj *keep = t.regs[0];
    al_heap_set_limit(&t.heap, t.heap.live_bytes + 8 + 16 + 8); /* one more 8-byte leaf */
    th_new(&t, 1, HB_LEAF, 0, 0, 8);
    gc_stats before = th_stats(&t);
    assert_null(t.gs->new_obj(t.gc, &t.regs[0], HB_LEAF, 0, 0, 8));
    assert_ptr_equal(t.regs[0], keep);
    gc_stats after = th_stats(&t);
    assert_memory_equal(&before, &after, sizeof before);
    th_check(&t);
    th_close(&t);
}

/* ---- the 10-million chain ---- */

/* HB_TEST_QUICK set (and not "0"): the valgrind pass of scripts/test.sh,
 * where ten million objects would take minutes. */
static int quick(void)
{
    const char *q = getenv("HB_TEST_QUICK");
    return q != NULL && *q != '\0' && strcmp(q, "0") != 0;
}

/* Ten million; 100,000 when quick, still far too deep for a recursive
 * release on a 64 KiB stack. */
static uint32_t chain_length(void)
{
    return quick() ? 100000u : 10000000u;
}

/* r0 -> o(n-1) -> ... -> o(0): dropping r0 frees all ten million as one
 * pause, on a 64 KiB thread stack. */
static void test_chain_no_stack_growth(void **state)
{
    (void)state;
    const uint32_t chain = chain_length();
    th t;
    th_open(&t, &arena_alloc);
    th_build_long_chain(&t, chain);
    assert_int_equal(th_stats(&t).objects_live, chain);
    th_release_on_small_stack(&t);
    gc_stats s = th_stats(&t);
    assert_int_equal(s.objects_live, 0);
    assert_int_equal(s.objects_freed, chain);
    assert_int_equal(((arena *)t.heap.ctx)->live, 0);
    assert_int_equal(t.pauses, 1);
    th_close(&t);
}

/* A chain of n objects held by r0, built as container -> container -> ... */
static void build_chain(th *t, uint32_t n)
{
    th_new(t, 0, HB_CONTAINER, 0, 1, 0);
    th_mov(t, 1, 0);
    for (uint32_t i = 1; i < n; i++) {
        th_new(t, 2, HB_CONTAINER, 0, 1, 0);
        th_set(t, 1, 0, 2);
        th_mov(t, 1, 2);
    }
    th_mov(t, 1, -1);
    th_mov(t, 2, -1);
}

/* A strategy over the test heap with the shipped pause rule, except that
 * the time bound is `ns` (0: the default), each finalizer writing `work`
 * bytes (--finalizer-work). */
static void th_open_default_rule(th *t, uint64_t ns, size_t work)
{
    th_begin(t, &test_alloc);
    t->cfg.rc_pause_min = 0;
    t->cfg.rc_pause_bytes = 0;
    t->cfg.rc_pause_ns = ns;
    t->cfg.finalizer_work = work;
    th_start(t, &gc_rc);
}

/* The default rule, by bytes (the time bound an hour, so that a preempted
 * free cannot make a pause): a chain of 33 small objects frees far less
 * than 1 MiB and is mutator time; one object of 1 MiB released alone is a
 * pause whatever its free took. */
static void test_default_rule_bytes(void **state)
{
    (void)state;
    th t;
    th_open_default_rule(&t, 3600ull * 1000000000u, 0);
    build_chain(&t, 33);
    th_mov(&t, 0, -1);
    assert_int_equal(th_stats(&t).objects_freed, 33);
    assert_int_equal(t.pauses, 0);
    th_new(&t, 0, HB_ARRAY, 0, 0, (1u << 20) - 100); /* 1 MiB less the header */
    th_mov(&t, 0, -1);
    assert_int_equal(t.pauses, 0); /* 100 bytes short */
    th_new(&t, 0, HB_ARRAY, 0, 0, 1u << 20);
    uint64_t before = hb_now_ns();
    th_mov(&t, 0, -1);
    uint64_t after = hb_now_ns();
    assert_int_equal(t.pauses, 1);
    assert_true(before <= t.last_start && t.last_start <= t.last_end && t.last_end <= after);
    /* a tree whose leaves add up to 1 MiB: one pause for the whole cascade */
    th_new(&t, 0, HB_CONTAINER, 0, 16, 0);
    for (uint32_t i = 0; i < 16; i++) {
        th_new(&t, 1, HB_ARRAY, 0, 0, 64u << 10);
        th_set(&t, 0, i, 1);
    }
    th_mov(&t, 1, -1);
    th_mov(&t, 0, -1);
    assert_int_equal(t.pauses, 2);
    assert_int_equal(th_stats(&t).objects_live, 0);
    th_close(&t);
}

/* The default rule, by time: a cascade of 20,000 objects takes well over
 * 10 us (about 10 ns a free at the very least) and frees under 1 MiB
 * (20,000 x 32 bytes = 640 KiB), so only its time makes it a pause; the
 * pause starts at the 32nd object and ends after the last. */
static void test_default_rule_time(void **state)
{
    (void)state;
    th t;
    th_open_default_rule(&t, 0, 0);
    build_chain(&t, 20000);
    assert_true(th_stats(&t).bytes_live < (1u << 20));
    uint64_t before = hb_now_ns();
    th_mov(&t, 0, -1);
    uint64_t after = hb_now_ns();
    assert_int_equal(th_stats(&t).objects_live, 0);
    assert_int_equal(t.pauses, 1);
    assert_true(t.last_end - t.last_start >= 10000);
    assert_true(before <= t.last_start && t.last_start <= t.last_end && t.last_end <= after);
    th_close(&t);
}

/* A cascade is timed only from its bounds on: with every timed cascade a
 * pause (1 byte), the default clock bound makes a chain of 31 small
 * objects mutator time and one of 32 a pause; a single object reaching
 * 64 KiB is timed, one just below is not. */
static void test_clock_bounds(void **state)
{
    (void)state;
    th t;
    th_begin(&t, &test_alloc);
    t.cfg.rc_pause_min = 0;
    t.cfg.rc_pause_bytes = 1;
    th_start(&t, &gc_rc);
    build_chain(&t, 31);
    th_mov(&t, 0, -1);
    assert_int_equal(t.pauses, 0);
    build_chain(&t, 32);
    th_mov(&t, 0, -1);
    assert_int_equal(t.pauses, 1);
    uint32_t body = (uint32_t)hb_obj_body_bytes(0, 0) + (uint32_t)gc_rc.header_bytes;
    th_new(&t, 0, HB_ARRAY, 0, 0, (64u << 10) - body - 1);
    th_mov(&t, 0, -1);
    assert_int_equal(t.pauses, 1);
    th_new(&t, 0, HB_ARRAY, 0, 0, (64u << 10) - body);
    th_mov(&t, 0, -1);
    assert_int_equal(t.pauses, 2);
    assert_int_equal(th_stats(&t).objects_live, 0);
    th_close(&t);
}

/* The default rule counts the finalizers' work: one small object whose
 * finalizer writes 16 MiB (far more than 10 us of writes) is one cascade of
 * one object and a few bytes, timed from before its finalizer and a pause
 * by time; a cascade of four objects whose three finalizers write 1 KiB each
 * stays under both clock bounds and is mutator time. */
static void test_default_rule_finalizer_work(void **state)
{
    (void)state;
    th t;
    th_open_default_rule(&t, 0, (size_t)16 << 20);
    th_new(&t, 0, HB_LEAF, HB_F_FINALIZER, 0, 8);
    uint64_t before = hb_now_ns();
    th_mov(&t, 0, -1);
    uint64_t after = hb_now_ns();
    assert_int_equal(t.finalized, 1);
    assert_int_equal(t.pauses, 1);
    assert_true(t.last_end - t.last_start >= 10000);
    assert_true(before <= t.last_start && t.last_start <= t.last_end && t.last_end <= after);
    th_close(&t);

    th_open_default_rule(&t, 0, 1024);
    th_new(&t, 0, HB_CONTAINER, 0, 3, 0);
    for (uint32_t i = 0; i < 3; i++) {
        th_new(&t, 1, HB_LEAF, HB_F_FINALIZER, 0, 8);
        th_set(&t, 0, i, 1);
    }
    th_mov(&t, 1, -1);
    th_mov(&t, 0, -1);
    assert_int_equal(t.finalized, 3);
    assert_int_equal(th_stats(&t).objects_live, 0);
    assert_int_equal(t.pauses, 0);
    th_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_counts_after_random_stores),
        cmocka_unit_test(test_self_stores),
        cmocka_unit_test(test_bad_field_store),
        cmocka_unit_test(test_cycles_leak),
        cmocka_unit_test(test_pauses),
        cmocka_unit_test(test_default_rule_bytes),
        cmocka_unit_test(test_default_rule_time),
        cmocka_unit_test(test_clock_bounds),
        cmocka_unit_test(test_default_rule_finalizer_work),
        cmocka_unit_test(test_finalizers),
        cmocka_unit_test(test_reachable_intact),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_chain_no_stack_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
