# install.cmake - what `cmake --install BUILD --prefix P` puts under P.
#
#   bin/mvm                        the program
#   lib/libmvm_core.a              the core: src/vm, src/pmap, src/check.
#                                  It calls its host through mvm/port.h,
#                                  which the consumer implements: the
#                                  simulator's port is not in it.
#   include/mvm/*.h                the core's public headers
#   lib/pkgconfig/mvm.pc           pkg-config --cflags --libs mvm
#   lib/cmake/mvm/                 find_package(mvm) -> target mvm::core
#
# tests/consumer builds a small program against such a tree.

install(TARGETS mvm RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS mvm_core EXPORT mvmTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/mvm DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(EXPORT mvmTargets NAMESPACE mvm:: FILE mvmTargets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mvm)

include(CMakePackageConfigHelpers)
configure_package_config_file(cmake/mvmConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mvmConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mvm)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mvmConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mvmConfig.cmake ${PROJECT_BINARY_DIR}/mvmConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mvm)

# The .pc file names paths relative to its own place, so the tree can move.
file(RELATIVE_PATH MVM_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(cmake/mvm.pc.in ${PROJECT_BINARY_DIR}/mvm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mvm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
