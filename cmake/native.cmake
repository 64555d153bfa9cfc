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

# Their tests: every backend in the table, heap and heapbench modes (each ends with its
# books at zero, or fails), the refusal
# of a native run whose library is not preloaded, a preloaded native run,
# and GCBench building the same number of objects natively as its replay.
enable_testing()
set(HB_NATIVE_LIBDIR /usr/lib/x86_64-linux-gnu)
add_test(NAME native_every_backend_and_mode COMMAND sh -c "
  set -e
  for f in churn pair16; do
    for b in malloc jemalloc mimalloc tcmalloc pool bump; do
      for m in table heap cursor heapbench; do
        line=$($<TARGET_FILE:heapbench-native> --family $f --backend $b --mode $m --ops 20000)
        set -- $line
        [ \"$1 $2 $3 $5\" = \"$f $b $m 20000\" ] || { echo \"bad line: $line\"; exit 1; }
      done
      # the replay itself, its blocks written whole and so its table lane's;
      # the program fails if the replay's books are not back at 0 at the end
      out=$($<TARGET_FILE:heapbench-native> --family $f --backend $b --mode table,replay --write block --ops 20000)
      [ \"$(echo \"$out\" | cut -d' ' -f1-3,5 | tr '\\n' ' ')\" = \"$f $b table 20000 $f $b replay 20000 \" ] ||
        { echo \"bad lines: $out\"; exit 1; }
    done
  done")
# The replay writes every block whole: it needs --write block, and --write
# takes word or block.
add_test(NAME native_replay_writes_blocks COMMAND sh -c "
  $<TARGET_FILE:heapbench-native> --family churn --backend pool --mode replay 2>err.txt
  [ $? -eq 2 ] && grep -q 'it takes --write block' err.txt || exit 1
  $<TARGET_FILE:heapbench-native> --family churn --backend pool --mode table --write all 2>err.txt
  [ $? -eq 2 ] && grep -q \"bad value 'all' for --write, expected word or block\" err.txt || exit 1
  $<TARGET_FILE:heapbench-native> --family larson --backend pool --mode replay --write block 2>err.txt
  [ $? -eq 2 ] && grep -q 'replay are one thread' err.txt")
# Several modes in one process: a line each, in the order given, every one
# the same op count; a mode named twice is a usage error.
add_test(NAME native_lanes_in_one_process COMMAND sh -c "
  set -e
  out=$($<TARGET_FILE:heapbench-native> --family churn --backend pool --mode heapbench,table,cursor --ops 40000)
  [ \"$(echo \"$out\" | cut -d' ' -f1-3,5 | tr '\\n' ' ')\" = 'churn pool heapbench 40000 churn pool table 40000 churn pool cursor 40000 ' ] ||
    { echo \"bad lines: $out\"; exit 1; }
  set +e
  $<TARGET_FILE:heapbench-native> --family pair16 --backend pool --mode table,table 2>err.txt
  [ $? -eq 2 ] && grep -q \"names 'table' twice\" err.txt")
add_test(NAME native_refuses_without_preload COMMAND sh -c "
  $<TARGET_FILE:heapbench-native> --family pair16 --backend jemalloc --mode native 2>err.txt
  [ $? -eq 2 ] && grep -q 'needs libjemalloc.so under LD_PRELOAD' err.txt")
# Not under ASan: its runtime must come first, so no allocator can be preloaded.
if(NOT HB_SANITIZE)
  add_test(NAME native_preloaded COMMAND sh -c "
    [ -e ${HB_NATIVE_LIBDIR}/libmimalloc.so.2 ] || { echo 'libmimalloc.so.2 missing'; exit 0; }
    out=$(LD_PRELOAD=${HB_NATIVE_LIBDIR}/libmimalloc.so.2 $<TARGET_FILE:heapbench-native> --family churn --backend mimalloc --mode native,heapbench --ops 20000)
    echo \"$out\" | grep -q '^churn mimalloc native ' && echo \"$out\" | grep -q '^churn mimalloc heapbench '")
endif()
add_test(NAME gcbench_native_builds_what_the_replay_builds COMMAND sh -c "
  set -e
  for c in rc rc-cycle mark-sweep incremental gen-copy boehm boehm-incremental; do
    n=$($<TARGET_FILE:heapbench-gcbench> --collector $c --mode native --scale 0.01 | cut -d' ' -f5)
    r=$($<TARGET_FILE:heapbench-gcbench> --collector $c --mode replay --scale 0.01 | cut -d' ' -f5)
    [ -n \"$n\" ] && [ \"$n\" = \"$r\" ] || { echo \"$c: native $n objects, replay $r\"; exit 1; }
  done")
