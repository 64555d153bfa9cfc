# Command-line tests: executables that run the built heapbench binary as a
# child process (its path comes in as HB_BIN).  Included from
# tests/CMakeLists.txt after cmocka is found:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/cli_tests.cmake)
foreach(name cli_signals)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  target_include_directories(${name} PRIVATE ${CMOCKA_INCLUDE})
  target_link_libraries(${name} PRIVATE heapbench_core ${CMOCKA_LIB})
  target_compile_definitions(${name} PRIVATE HB_BIN="$<TARGET_FILE:heapbench>")
  add_dependencies(${name} heapbench heapbench-record)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600
                       ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")
endforeach()

# `heapbench minheap` against `run --heap-limit`, for every collector.
add_test(NAME cli_minheap
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_minheap.sh $<TARGET_FILE:heapbench>)
set_tests_properties(cli_minheap PROPERTIES TIMEOUT 600
                     ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")

# The figure pipeline (matrix -> report -> plot), when gnuplot is there.
find_program(GNUPLOT gnuplot)
if(GNUPLOT AND TARGET heapbench-micro)
  add_test(NAME cli_figures
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_figures.sh $<TARGET_FILE:heapbench>
                   $<TARGET_FILE:heapbench-micro>)
  set_tests_properties(cli_figures PROPERTIES TIMEOUT 600
                       ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")
endif()

# `cmake --install` into a fresh prefix: the installed heapbench plot and record
# find their scripts and library (tests/cli_install.sh).
if(GNUPLOT)
  add_test(NAME cli_install COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_install.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(cli_install PROPERTIES TIMEOUT 600
                       ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")
endif()

# README.md's figures section against the committed results folder it names.
add_test(NAME readme_figures
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/readme_figures.sh $<TARGET_FILE:heapbench> ${CMAKE_SOURCE_DIR})

# README.md's claims block against the committed claims run it names.
add_test(NAME readme_claims COMMAND ${CMAKE_CURRENT_LIST_DIR}/readme_claims.sh ${CMAKE_SOURCE_DIR})

# `heapbench claims --quick` at a tiny scale: a section, an answer and the
# figures per claim; resume; bad input (tests/cli_claims.sh).
if(GNUPLOT)
  add_test(NAME cli_claims COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_claims.sh $<TARGET_FILE:heapbench>)
  set_tests_properties(cli_claims PROPERTIES TIMEOUT 900
                       ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")
endif()

# `heapbench matrix --heap-factors`: rows per factor for every collector, each
# cell at factor x its minimum heap, minheap.csv read or searched, resume.
add_test(NAME cli_sweep
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_sweep.sh $<TARGET_FILE:heapbench>)
set_tests_properties(cli_sweep PROPERTIES TIMEOUT 600
                     ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")

# A recorded 4-thread program replayed on 4 threads on every allocator.
find_program(HB_CC NAMES cc gcc clang)
if(HB_CC)
  add_test(NAME cli_threads
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_threads.sh $<TARGET_FILE:heapbench> ${HB_CC})
  set_tests_properties(cli_threads PROPERTIES TIMEOUT 600
                       ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")
endif()

# matrix --threads, the report's cells per thread count, the scalability figure.
add_test(NAME cli_threads_matrix
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_threads_matrix.sh $<TARGET_FILE:heapbench>)
set_tests_properties(cli_threads_matrix PROPERTIES TIMEOUT 600
                     ENVIRONMENT "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384")

# The GIL model's mutators from the command line.
add_test(NAME cli_threads_gil
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_threads_gil.sh $<TARGET_FILE:heapbench>)
set_tests_properties(cli_threads_gil PROPERTIES TIMEOUT 600)

# scripts/compare.sh part f at a tiny scale: a sample per cell, a table row with
# numbers per (family, backend, threads).  compare.sh needs every program it
# checks for; not under a sanitizer (native runs preload the peers).
if(Python3_Interpreter_FOUND AND TARGET heapbench-micro AND TARGET heapbench-native AND
   TARGET heapbench-gcbench AND NOT HB_SANITIZE AND NOT CMAKE_C_FLAGS MATCHES "sanitize")
  add_test(NAME cli_compare_threads
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/cli_compare_threads.sh ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR})
  set_tests_properties(cli_compare_threads PROPERTIES TIMEOUT 600)
endif()

# scripts/compare_tables.py part d: differences and ratios paired by round.
if(Python3_Interpreter_FOUND)
  add_test(NAME compare_tables_paired
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/compare_tables_paired.sh ${CMAKE_SOURCE_DIR})
endif()

# Another allocator preloaded: the malloc backend refuses (its rows would be
# that allocator's under malloc's name), and a peer refuses a different build
# of itself loaded first (gperftools' full tcmalloc beside the minimal one the
# backend opens: their calls would cross).  Not under a sanitizer (its
# runtime must come first).
if(NOT HB_SANITIZE AND NOT CMAKE_C_FLAGS MATCHES "sanitize")
  set(HB_LIBDIR /usr/lib/x86_64-linux-gnu)
  add_test(NAME cli_refuses_foreign_preload COMMAND sh -c "
    hb=$<TARGET_FILE:heapbench>
    if [ -e ${HB_LIBDIR}/libmimalloc.so.2 ]; then
      LD_PRELOAD=${HB_LIBDIR}/libmimalloc.so.2 $hb run -w small-objects -a malloc -c rc --scale 0.01 --reps 1 >out.txt 2>err.txt
      [ $? -eq 2 ] && grep -q 'libmimalloc.so.2.s (LD_PRELOAD?), not the C library' err.txt || { cat err.txt; exit 1; }
      LD_PRELOAD=${HB_LIBDIR}/libmimalloc.so.2 $hb run -w small-objects -a mimalloc -c rc --scale 0.01 --reps 1 --format csv >out.txt 2>err.txt || { cat err.txt; exit 1; }
      grep -q '^mimalloc,rc,small-objects,.*,ok,' out.txt || { cat out.txt; exit 1; }
    fi
    if [ -e ${HB_LIBDIR}/libtcmalloc.so.4 ] && [ -e ${HB_LIBDIR}/libtcmalloc_minimal.so.4 ]; then
      LD_PRELOAD=${HB_LIBDIR}/libtcmalloc.so.4 $hb run -w small-objects -a tcmalloc -c rc --scale 0.01 --reps 1 >out.txt 2>err.txt
      [ $? -eq 2 ] && grep -q 'cannot be used beside .*libtcmalloc.so.4' err.txt || { cat err.txt; exit 1; }
    fi
    $hb run -w small-objects -a malloc -c rc --scale 0.01 --reps 1 --format csv | grep -q '^malloc,rc,small-objects,.*,ok,'")
endif()
