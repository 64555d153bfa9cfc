/*
 * tests/test_support.h -- small things several test files need: whether
 * AddressSanitizer is on, and a scratch folder per test file (made by the
 * group setup, removed with everything in it by the group teardown).
 * Header-only; everything is static inline.
 */
#ifndef HB_TEST_SUPPORT_H
#define HB_TEST_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* The scratch folder's path (empty until test_dir_make). */
static inline char *test_dir(void)
{
    static char path[64];
    return path;
}

/* Makes /tmp/PREFIX_XXXXXX; 0, or -1 when it cannot. */
static inline int test_dir_make(const char *prefix)
{
    snprintf(test_dir(), 64, "/tmp/%s_XXXXXX", prefix);
    return mkdtemp(test_dir()) ? 0 : -1;
}

/* Removes the folder and what is in it; 0, or -1 when that failed. */
static inline int test_dir_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir());
    return system(cmd) == 0 ? 0 : -1;
}

/* out := the folder's path joined with name. */
static inline void test_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", test_dir(), name);
}

#endif
