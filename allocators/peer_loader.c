/*
 * allocators/peer_loader.c -- opens a peer library in isolation and resolves
 * its entry points; re-executes the program once when jemalloc would need
 * more static TLS than glibc keeps for dlopen.
 *
 * Isolation: dlopen(RTLD_NOW | RTLD_LOCAL).  RTLD_LOCAL keeps the library's
 * malloc/free out of the global symbol scope, so every other call to malloc
 * in the process still binds to the C library's (tests/test_peers.c checks
 * this with dladdr and mallinfo2).  RTLD_NOW makes a broken library fail
 * here, with a message, instead of at its first call inside a timed run.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocators/peers.h"

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym results are stored into function pointers");

#define REEXEC_MARKER "HB_PEER_REEXECED"

/* Why dlopen failed, in words a user can act on. */
static void explain_open_failure(al_peer_lib *lib, const char *file, const char *err)
{
    if (err && strstr(err, "static TLS"))
        snprintf(lib->reason, sizeof lib->reason,
                 "%s needs static TLS that dlopen cannot give: start the program with "
                 "GLIBC_TUNABLES=%s (heapbench re-executes itself with it unless "
                 "HB_PEER_NO_REEXEC is set)",
                 file, AL_PEER_TLS_TUNABLE);
    else
        snprintf(lib->reason, sizeof lib->reason,
                 "cannot open %s (%s): install the Debian package %s", file,
                 err ? err : "unknown error", lib->package);
}

static int resolve_symbols(al_peer_lib *lib, const char *file)
{
    for (const al_peer_sym *s = lib->syms; s->name; s++) {
        void *p = dlsym(lib->handle, s->name);
        if (p == NULL && !s->optional) {
            snprintf(lib->reason, sizeof lib->reason,
                     "%s lacks the entry point %s: install the Debian package %s "
                     "(a newer version)",
                     file, s->name, lib->package);
            return -1;
        }
        memcpy(s->dst, &p, sizeof p);
    }
    return 0;
}

const char *al_malloc_home(void)
{
    Dl_info info;
    void *(*fn)(size_t) = malloc;
    void *addr;
    memcpy(&addr, &fn, sizeof addr);
    if (dladdr(addr, &info) == 0 || info.dli_fname == NULL)
        return "unknown";
    return info.dli_fname;
}

/*
 * Another build of the same library already in the global scope -- a
 * preloaded libtcmalloc.so.4 beside our libtcmalloc_minimal.so.4 -- exports
 * the same names, and this copy's calls to its own exported functions bind
 * to that one (RTLD_LOCAL hides our symbols from others, not theirs from
 * us): blocks cross between the two and the process aborts.  Seen by the
 * library's first entry point that is not a C allocation function: the
 * global one, if any, must be ours.  The same file preloaded is the same
 * object, and fine.
 */
static int clashes(al_peer_lib *lib, const char *file)
{
    for (const al_peer_sym *s = lib->syms; s->name; s++) {
        if (strcmp(s->name, "malloc") == 0 || strcmp(s->name, "free") == 0)
            continue;
        void *ours, *global = dlsym(RTLD_DEFAULT, s->name);
        memcpy(&ours, s->dst, sizeof ours);
        if (global == NULL || ours == NULL || global == ours)
            return 0;
        Dl_info info;
        const char *where =
            dladdr(global, &info) && info.dli_fname ? info.dli_fname : "another library";
        snprintf(lib->reason, sizeof lib->reason,
                 "%s cannot be used beside %s, loaded first (LD_PRELOAD?): both export %s, "
                 "so its own calls would go to the other; unset LD_PRELOAD or preload %s itself",
                 file, where, s->name, file);
        return 1;
    }
    return 0;
}

const char *al_peer_load(al_peer_lib *lib)
{
    if (lib->state != 0)
        return lib->state > 0 ? NULL : lib->reason;
    const char *file = lib->soname;
    const char *over = lib->env ? getenv(lib->env) : NULL;
    if (over && *over)
        file = over;
    lib->handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == NULL) {
        explain_open_failure(lib, file, dlerror());
        lib->state = -1;
        return lib->reason;
    }
    if (resolve_symbols(lib, file) != 0 || clashes(lib, file)) {
        /* The handle stays open: closing a half-initialised allocator is
         * riskier than the few pages it holds. */
        lib->state = -1;
        return lib->reason;
    }
    lib->state = 1;
    return NULL;
}

/* ---- static TLS for jemalloc ---- */

static int has_tls_tunable(const char *tunables)
{
    return tunables && strstr(tunables, "glibc.rtld.optional_static_tls=") != NULL;
}

int al_peer_reexec_for_tls(char **argv, hb_err *e)
{
    const char *old = getenv("GLIBC_TUNABLES");
    if (has_tls_tunable(old) || getenv(REEXEC_MARKER) || getenv("HB_PEER_NO_REEXEC"))
        return 0;
    if (argv == NULL || argv[0] == NULL)
        return hb_fail(e, HB_ERR_USAGE, "re-executing for jemalloc's TLS needs argv");
    char buf[1024];
    int n = old && *old ? snprintf(buf, sizeof buf, "%s:%s", old, AL_PEER_TLS_TUNABLE)
                        : snprintf(buf, sizeof buf, "%s", AL_PEER_TLS_TUNABLE);
    if (n < 0 || (size_t)n >= sizeof buf)
        return hb_fail(e, HB_ERR_USAGE, "GLIBC_TUNABLES is too long to extend (%zu bytes, "
                       "expected under %zu)", strlen(old), sizeof buf - sizeof AL_PEER_TLS_TUNABLE);
    if (setenv("GLIBC_TUNABLES", buf, 1) != 0 || setenv(REEXEC_MARKER, "1", 1) != 0)
        return hb_fail(e, HB_ERR_SYSTEM, "cannot set GLIBC_TUNABLES: %s", strerror(errno));
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* Still here: leave the environment as it was and carry on. */
    int why = errno;
    if (old)
        setenv("GLIBC_TUNABLES", old, 1);
    else
        unsetenv("GLIBC_TUNABLES");
    return hb_fail(e, HB_ERR_SYSTEM, "re-executing with GLIBC_TUNABLES=%s failed (%s); "
                   "jemalloc will be unavailable", buf, strerror(why));
}
