# cmake/peers.cmake -- the real peers (jemalloc, mimalloc, tcmalloc, libgc).
#
# Nothing is linked: allocators/peer_loader.c opens each library at run time
# with dlopen(RTLD_NOW | RTLD_LOCAL), so that none of them replaces malloc for
# the process and the binary builds and runs where they are not installed.
# The core library needs only libdl (CMAKE_DL_LIBS, already linked).  At
# configure time we say which peers this machine has, for the log.
function(hb_link_peers target)
  target_link_libraries(${target} PUBLIC ${CMAKE_DL_LIBS})
  foreach(pair "jemalloc;libjemalloc.so.2;libjemalloc2"
               "mimalloc;libmimalloc.so.2;libmimalloc2.0"
               "tcmalloc;libtcmalloc_minimal.so.4;libtcmalloc-minimal4"
               "boehm;libgc.so.1;libgc1")
    list(GET pair 0 name)
    list(GET pair 1 soname)
    list(GET pair 2 package)
    find_file(HB_PEER_${name} ${soname}
              PATHS /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib /usr/local/lib
              NO_DEFAULT_PATH)
    if(HB_PEER_${name})
      message(STATUS "heapbench peer ${name}: ${HB_PEER_${name}} (loaded at run time)")
    else()
      message(STATUS "heapbench peer ${name}: ${soname} not found; it will be listed as "
                     "unavailable (apt-get install ${package})")
    endif()
  endforeach()
endfunction()
