# The kernel host (src/kern): an x86-64 image that qemu boots with
# -kernel (PVH), with the core compiled into it unchanged.
#
#   mvm-user     src/kern/user: the ring-3 program, linked at USER_TEXT,
#                then flattened to user.bin
#   mvm-kernel   src/kern: the kernel, the core's sources compiled again
#                with kernel flags, and user.bin embedded (user_blob.S)
#
# Both are built by the host gcc, freestanding, with their own compile and
# link options: the targets' option lists are replaced, not appended to, so
# that a sanitizer build of the rest leaves the kernel alone.
enable_language(ASM)

set(MVM_KERN_C_FLAGS
  -ffreestanding -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel -mgeneral-regs-only
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer
  -fno-tree-loop-distribute-patterns
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes)
if(MVM_WERROR)
  list(APPEND MVM_KERN_C_FLAGS -Werror)
endif()
set(MVM_KERN_LINK_FLAGS -nostdlib -static -no-pie -Wl,--build-id=none
  -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)

function(mvm_kern_flags target)
  set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS
    "$<$<COMPILE_LANGUAGE:C>:${MVM_KERN_C_FLAGS}>" "$<$<COMPILE_LANGUAGE:ASM>:-fno-pic>")
  set_property(TARGET ${target} PROPERTY LINK_OPTIONS "")
  set_property(TARGET ${target} PROPERTY INTERPROCEDURAL_OPTIMIZATION OFF)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/src/kern)
endfunction()

# The core, for the kernel.
add_library(mvm_kern_core OBJECT ${MVM_CORE_SRC})
mvm_kern_flags(mvm_kern_core)

# The ring-3 program.
file(GLOB MVM_USER_SRC CONFIGURE_DEPENDS src/kern/user/*.c src/kern/user/*.S)
add_executable(mvm-user ${MVM_USER_SRC})
mvm_kern_flags(mvm-user)
target_link_options(mvm-user PRIVATE ${MVM_KERN_LINK_FLAGS}
  -Wl,-T,${PROJECT_SOURCE_DIR}/src/kern/user/user.ld)
set_property(TARGET mvm-user PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/src/kern/user/user.ld)
set(MVM_USER_BIN ${CMAKE_CURRENT_BINARY_DIR}/mvm-user.bin)
add_custom_command(OUTPUT ${MVM_USER_BIN}
  COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:mvm-user> ${MVM_USER_BIN}
  DEPENDS mvm-user VERBATIM)
add_custom_target(mvm-user-bin DEPENDS ${MVM_USER_BIN})

# The kernel.
file(GLOB MVM_KERN_SRC CONFIGURE_DEPENDS src/kern/*.c src/kern/*.S)
add_executable(mvm-kernel ${MVM_KERN_SRC} $<TARGET_OBJECTS:mvm_kern_core>)
mvm_kern_flags(mvm-kernel)
target_compile_definitions(mvm-kernel PRIVATE USER_BLOB="${MVM_USER_BIN}")
set_source_files_properties(src/kern/user_blob.S PROPERTIES OBJECT_DEPENDS ${MVM_USER_BIN})
add_dependencies(mvm-kernel mvm-user-bin)
target_link_options(mvm-kernel PRIVATE ${MVM_KERN_LINK_FLAGS}
  -Wl,-T,${PROJECT_SOURCE_DIR}/src/kern/kernel.ld)
set_property(TARGET mvm-kernel PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/src/kern/kernel.ld)
# `mvm boot` looks for the image beside itself.
add_dependencies(mvm mvm-kernel)
