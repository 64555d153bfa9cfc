/*
 * harness/micro/micro_gc.h -- micro layer: the collector families of heapbench-micro
 * (harness/micro/micro_gc.c), registered from harness/micro/micro.c's table.
 * Each returns 0, or -1 when registration ran out of memory.
 */
#ifndef HB_MICRO_GC_H
#define HB_MICRO_GC_H

int hb_micro_register_collect_live(void);
int hb_micro_register_collect_garbage(void);
int hb_micro_register_store(void);
int hb_micro_register_replay(void);

#endif
