# mvmrec: the valgrind tool behind `mvm record` (src/record/vgtool).
#
# A valgrind tool is a static program linked with valgrind's core
# (libcoregrind, libvex) at valgrind's load address, built without a C
# library; Debian's valgrind package ships the headers and libraries.  It
# is built with valgrind's own flags, not the project's, into
# build/mvmrec/, beside links to the core's preload library and default
# suppressions: valgrind looks for a tool in the directory VALGRIND_LIB
# names.  Without valgrind's files, mvm builds without the recorder and
# `mvm record` says so.

set(MVMREC_VG_INC /usr/include/valgrind)
set(MVMREC_VG_LIB /usr/lib/x86_64-linux-gnu/valgrind)
set(MVMREC_VG_LIBEXEC /usr/libexec/valgrind)
set(MVMREC_DIR ${PROJECT_BINARY_DIR}/mvmrec)

if(CMAKE_SYSTEM_PROCESSOR STREQUAL "x86_64"
   AND EXISTS ${MVMREC_VG_INC}/pub_tool_basics.h
   AND EXISTS ${MVMREC_VG_LIB}/libcoregrind-amd64-linux.a
   AND EXISTS ${MVMREC_VG_LIBEXEC}/vgpreload_core-amd64-linux.so)
  set(MVMREC_SRC ${PROJECT_SOURCE_DIR}/src/record/vgtool/rec_tool.c
                 ${PROJECT_SOURCE_DIR}/src/record/vgtool/rec_out.c)
  set(MVMREC_HDR ${PROJECT_SOURCE_DIR}/src/record/vgtool/rec_tool.h
                 ${PROJECT_SOURCE_DIR}/src/record/recfmt.h)
  # valgrind's Makefile.tool.am flags for amd64-linux
  set(MVMREC_CFLAGS -m64 -O2 -g -std=gnu11 -Wall -Werror -fno-stack-protector
      -fno-builtin -fno-strict-aliasing -fno-pie
      -DVGA_amd64=1 -DVGO_linux=1 -DVGP_amd64_linux=1 -DVGPV_amd64_linux_vanilla=1
      -I${MVMREC_VG_INC})
  set(MVMREC_OBJS)
  foreach(src ${MVMREC_SRC})
    get_filename_component(name ${src} NAME_WE)
    set(obj ${MVMREC_DIR}/${name}.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${MVMREC_DIR}
      COMMAND ${CMAKE_C_COMPILER} ${MVMREC_CFLAGS} -c ${src} -o ${obj}
      DEPENDS ${src} ${MVMREC_HDR} VERBATIM)
    list(APPEND MVMREC_OBJS ${obj})
  endforeach()
  add_custom_command(OUTPUT ${MVMREC_DIR}/mvmrec-amd64-linux
    COMMAND ${CMAKE_C_COMPILER} -m64 -o ${MVMREC_DIR}/mvmrec-amd64-linux ${MVMREC_OBJS}
            -static -nodefaultlibs -nostartfiles -u _start -Wl,--build-id=none
            -Wl,-Ttext-segment=0x58000000
            ${MVMREC_VG_LIB}/libcoregrind-amd64-linux.a ${MVMREC_VG_LIB}/libvex-amd64-linux.a -lgcc
    COMMAND ${CMAKE_COMMAND} -E create_symlink
            ${MVMREC_VG_LIBEXEC}/vgpreload_core-amd64-linux.so ${MVMREC_DIR}/vgpreload_core-amd64-linux.so
    COMMAND ${CMAKE_COMMAND} -E create_symlink
            ${MVMREC_VG_LIBEXEC}/default.supp ${MVMREC_DIR}/default.supp
    DEPENDS ${MVMREC_OBJS} VERBATIM)
  add_custom_target(mvmrec ALL DEPENDS ${MVMREC_DIR}/mvmrec-amd64-linux)
else()
  message(STATUS "mvm record: valgrind's tool headers or libraries are missing; "
                 "the recorder is not built (scripts/deps installs them)")
endif()
