/*
 * allocators/thread_lock.h -- the one lock a builtin backend takes when it
 * is made for several threads (al_config.threads > 1), and only then.
 *
 * Made for one thread, the lock is off: take and give test one pointer and
 * do nothing, so a backend's one-thread path is the code it always was.
 * pool takes it around every call (the GIL model of pymalloc); bump only to
 * claim a thread's region.
 */
#ifndef HB_AL_THREAD_LOCK_H
#define HB_AL_THREAD_LOCK_H

#include <pthread.h>
#include <stdlib.h>

#include "allocators/allocator.h"

typedef struct al_thread_lock {
    pthread_mutex_t *m; /* NULL: made for one thread */
} al_thread_lock;

/* On when cfg asks for more than one thread; 0, or -1 (no memory). */
static inline int al_thread_lock_open(al_thread_lock *l, const al_config *cfg)
{
    l->m = NULL;
    if (cfg == NULL || cfg->threads <= 1)
        return 0;
    l->m = malloc(sizeof *l->m);
    if (l->m == NULL || pthread_mutex_init(l->m, NULL) != 0) {
        free(l->m);
        l->m = NULL;
        return -1;
    }
    return 0;
}

static inline void al_thread_lock_close(al_thread_lock *l)
{
    if (l->m) {
        pthread_mutex_destroy(l->m);
        free(l->m);
        l->m = NULL;
    }
}

static inline int al_thread_lock_on(const al_thread_lock *l)
{
    return l->m != NULL;
}

static inline void al_thread_lock_take(al_thread_lock *l)
{
    if (l->m)
        pthread_mutex_lock(l->m);
}

static inline void al_thread_lock_give(al_thread_lock *l)
{
    if (l->m)
        pthread_mutex_unlock(l->m);
}

#endif
