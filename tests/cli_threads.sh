#!/usr/bin/env bash
# A recorded 4-thread program replays on 4 threads, with its cross-thread
# frees counted, on every allocator that is thread-safe (and is refused with
# a message on one that is not).  The program: 4 pthreads, each allocating
# blocks and handing every other one to the next thread through a locked
# mailbox, which frees it; the main thread is one of the four.
# Usage: tests/cli_threads.sh HEAPBENCH CC
set -euo pipefail
hb=$1 cc=${2:-cc}
dir=$(mktemp -d /tmp/hb_cli_threads.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/four.c" <<'PROG'
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#define T 4
#define N 20000
static void *box[T][64];
static int boxn[T];
static pthread_mutex_t mu[T];
static void *run(void *arg)
{
    int me = (int)(long)arg, next = (me + 1) % T;
    for (int i = 0; i < N; i++) {
        char *p = malloc(16 + (size_t)(i % 200));
        memset(p, i, 16);
        pthread_mutex_lock(&mu[next]);
        if (i % 2 == 0 && boxn[next] < 64) {
            box[next][boxn[next]++] = p; /* handed over: the next thread frees it */
            p = NULL;
        }
        pthread_mutex_unlock(&mu[next]);
        free(p);
        pthread_mutex_lock(&mu[me]);
        while (boxn[me] > 0)
            free(box[me][--boxn[me]]);
        pthread_mutex_unlock(&mu[me]);
    }
    return NULL;
}
int main(void)
{
    pthread_t t[T];
    for (int i = 0; i < T; i++)
        pthread_mutex_init(&mu[i], NULL);
    /* The main thread is thread 0 of the four: a 4-thread program has four
     * threads calling malloc (pthread_create's own blocks included). */
    for (long i = 1; i < T; i++)
        pthread_create(&t[i], NULL, run, (void *)i);
    run((void *)0);
    for (int i = 1; i < T; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < T; i++)
        while (boxn[i] > 0)
            free(box[i][--boxn[i]]);
    return 0;
}
PROG
"$cc" -O1 -pthread -o "$dir/four" "$dir/four.c"
"$hb" record -o "$dir/four.hbt" -- "$dir/four" >/dev/null
fail=0
col() { # the value of column $2 in CSV $1 (header line, then one row)
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } NR == 2 { print $c }' "$1"
}
for a in $("$hb" list 2>/dev/null | awk '/^allocators/ {on = 1; next} /^[a-z]/ {on = 0} on && NF {print $1}'); do
  if "$hb" run --trace "$dir/four.hbt" -a "$a" --format csv >"$dir/$a.csv" 2>"$dir/$a.err"; then
    threads=$(col "$dir/$a.csv" threads) cross=$(col "$dir/$a.csv" cross_thread_frees)
    status=$(col "$dir/$a.csv" status)
    echo "$a: status $status, threads $threads, cross_thread_frees $cross"
    if [[ $status != ok || $threads != 4 || ! $cross -gt 0 ]]; then fail=1; fi
  elif grep -q "not safe under threads\|unavailable\|install" "$dir/$a.err"; then
    echo "$a: refused: $(cat "$dir/$a.err")"
  else
    echo "$a: FAILED: $(cat "$dir/$a.err")"; fail=1
  fi
done
exit $fail
