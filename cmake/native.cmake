# cmake/native.cmake -- heapbench-native (harness/micro/native.c): one
# malloc/free stream timed natively (the library under LD_PRELOAD) and
# through heapbench's allocator table, for scripts/compare.sh.  Links only
# heapbench_core: no Google Benchmark, so its loop is the program's own.
add_executable(heapbench-native ${CMAKE_SOURCE_DIR}/harness/micro/native.c)
target_link_libraries(heapbench-native PRIVATE heapbench_core)

# heapbench-gcbench (harness/micro/gcbench_native.c): GCBench written in C
# against the collector and allocator tables, beside its replay.
add_executable(heapbench-gcbench ${CMAKE_SOURCE_DIR}/harness/micro/gcbench_native.c)
target_link_libraries(heapbench-gcbench PRIVATE heapbench_core)
