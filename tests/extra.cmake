# libFuzzer targets (clang, the `fuzz` preset), each smoke-run as a ctest test
# labelled `fuzz`: a bounded number of runs from a small seed corpus.  libFuzzer
# writes the inputs it finds into the first corpus folder it is given, so that
# is one in the build tree; the seed corpus in the source tree comes second and
# is only read.
if(HB_FUZZ)
  file(GLOB HB_FUZZ_SRC CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_*.c)
  foreach(src ${HB_FUZZ_SRC})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE heapbench_core)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz_found/${name})
    add_test(NAME ${name}_smoke
             COMMAND ${name} -runs=30000 -max_total_time=60 -rss_limit_mb=4096
                     -seed=1 ${CMAKE_CURRENT_BINARY_DIR}/fuzz_found/${name}
                     ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name})
    set_tests_properties(${name}_smoke PROPERTIES LABELS fuzz TIMEOUT 300)
  endforeach()
endif()
