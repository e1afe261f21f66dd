# Install rules: the libraries, their public headers, CMake package configs and pkg-config files,
# so another project can `find_package(perf_framework CONFIG REQUIRED)` / `find_package(tinytorch
# CONFIG REQUIRED)` against `cmake --install build --prefix P` or the Debian package.
#
# Install components, which are also the Debian packages (cmake/Package.cmake): `runtime` holds
# tinyperf and what it reads at run time; `dev` holds the headers, the static libraries and the
# package configs. A new library joins a package with tt_install_library(); a new package (a
# cmake/<package>Config.cmake.in naming its dependencies and a cmake/<package>.pc.in) is then
# written by tt_install_package().
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Relative, so one build installs to any --prefix and to the Debian package's /usr alike
# (GNUInstallDirs would pick lib/x86_64-linux-gnu only for a /usr prefix known at configure time).
set(TT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake)

# tt_install_library(<target> PACKAGE <package> NAMESPACE <ns> [HEADERS <dir>])
# Installs <target> as <ns>::<EXPORT_NAME> in <package>, and every header under <dir> (the
# library's include/ folder: the public headers, nothing from src/).
function(tt_install_library target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "PACKAGE;NAMESPACE;HEADERS" "")
  install(TARGETS ${target} EXPORT ${arg_PACKAGE}-${arg_NAMESPACE}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  if(arg_HEADERS)
    install(DIRECTORY ${arg_HEADERS}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
            FILES_MATCHING PATTERN "*.h")
  endif()
  set_property(GLOBAL APPEND PROPERTY TT_PACKAGE_NAMESPACES_${arg_PACKAGE} ${arg_NAMESPACE})
endfunction()

# tt_install_package(<package>): the export files of every namespace tt_install_library() put in
# <package>, <package>Config.cmake from cmake/<package>Config.cmake.in (its find_dependency
# lines), a version file (SameMinorVersion: 0.x releases may break the API between minors) and
# <package>.pc from cmake/<package>.pc.in.
function(tt_install_package package)
  set(dest ${TT_INSTALL_CMAKEDIR}/${package})
  get_property(namespaces GLOBAL PROPERTY TT_PACKAGE_NAMESPACES_${package})
  list(REMOVE_DUPLICATES namespaces)
  set(TT_EXPORT_FILES "")
  foreach(ns IN LISTS namespaces)
    install(EXPORT ${package}-${ns} NAMESPACE ${ns}:: FILE ${package}-${ns}-targets.cmake
            DESTINATION ${dest} COMPONENT dev)
    list(APPEND TT_EXPORT_FILES ${package}-${ns}-targets.cmake)
  endforeach()
  set(out ${PROJECT_BINARY_DIR}/install/${package})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/${package}Config.cmake.in
                                ${out}/${package}Config.cmake INSTALL_DESTINATION ${dest})
  write_basic_package_version_file(${out}/${package}ConfigVersion.cmake
                                   VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${package}.pc.in ${out}/${package}.pc @ONLY)
  install(FILES ${out}/${package}Config.cmake ${out}/${package}ConfigVersion.cmake
          DESTINATION ${dest} COMPONENT dev)
  install(FILES ${out}/${package}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endfunction()
