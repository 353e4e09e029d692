# cmake --install: the tools, the runtime with its headers, a CMake package
# (find_package(lathe): lathe::runtime, lathe::lathe and lathe_add_model)
# and a pkg-config file for the runtime.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The installed tools find the runtime beside them and LLVM/MLIR where
# they were linked from.
set_target_properties(lathe lathe-opt lathe-run-runtime lathe-bench-runtime PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}"
  INSTALL_RPATH_USE_LINK_PATH TRUE)

set_target_properties(lathe PROPERTIES EXPORT_NAME lathe)
install(TARGETS lathe lathe-opt lathe-run-runtime lathe-bench-runtime
        EXPORT latheTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set_target_properties(lathe_runtime PROPERTIES EXPORT_NAME runtime)
install(TARGETS lathe_runtime EXPORT latheTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES runtime/include/lathe/lathe.h runtime/include/lathe/artifact_format.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lathe)

set(LATHE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lathe)
install(EXPORT latheTargets NAMESPACE lathe:: DESTINATION ${LATHE_CMAKE_DIR})
configure_package_config_file(cmake/latheConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/latheConfig.cmake INSTALL_DESTINATION ${LATHE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/latheConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/latheConfig.cmake
              ${PROJECT_BINARY_DIR}/package/latheConfigVersion.cmake
              cmake/LatheAddModel.cmake
        DESTINATION ${LATHE_CMAKE_DIR})

configure_file(cmake/lathe.pc.in ${PROJECT_BINARY_DIR}/package/lathe.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/lathe.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
