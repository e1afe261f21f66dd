# Install rules: the libraries, their public headers, CMake package configs and pkg-config files,
# so another project can `find_package(perf_framework CONFIG REQUIRED)` / `find_package(tinytorch
# CONFIG REQUIRED)` against `cmake --install build --prefix P` or the Debian package.
#
# Install components, which are also the Debian packages (cmake/Package.cmake): `runtime` holds
# tinyperf and what it reads at run time; `dev` holds the headers, the static libraries and the
# package configs of tinytorch and perf_framework; `results` those of the results store and
# server (perf_store, perf_server), apart because they bring three database and HTTP clients that
# a user of the comparator does not need. A new library joins a package with tt_install_library(); a new package (a
# cmake/<package>Config.cmake.in naming its dependencies and a cmake/<package>.pc.in) is then
# written by tt_install_package().
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Relative, so one build installs to any --prefix and to the Debian package's /usr alike
# (GNUInstallDirs would pick lib/x86_64-linux-gnu only for a /usr prefix known at configure time).
set(TT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake)

# One target namespace per package, the same in the build tree and installed: a library's ALIAS
# is <namespace>::<EXPORT_NAME> (tinytorch::tinytorch; perf::framework, perf::fileio, ...), and
# tt_install_package() fails the configure when it is not, so a consumer writes the same name
# against the build tree (add_subdirectory) and against the installed package (find_package).

# tt_install_library(<target> PACKAGE <package> [HEADERS <dir>] [COMPONENT <component>])
# Installs <target> into <package>'s export set, and every header under <dir> (the library's
# include/ folder: the public headers, nothing from src/), as part of <component> (dev unless
# told; one component per package).
function(tt_install_library target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "PACKAGE;HEADERS;COMPONENT" "")
  if(NOT arg_COMPONENT)
    set(arg_COMPONENT dev)
  endif()
  install(TARGETS ${target} EXPORT ${arg_PACKAGE}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${arg_COMPONENT}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT ${arg_COMPONENT}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  if(arg_HEADERS)
    install(DIRECTORY ${arg_HEADERS}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
            COMPONENT ${arg_COMPONENT} FILES_MATCHING PATTERN "*.h")
  endif()
  set_property(GLOBAL APPEND PROPERTY TT_PACKAGE_TARGETS_${arg_PACKAGE} ${target})
  set_property(GLOBAL PROPERTY TT_PACKAGE_COMPONENT_${arg_PACKAGE} ${arg_COMPONENT})
endfunction()

# tt_install_package(<package> NAMESPACE <ns>): the export file of the libraries
# tt_install_library() put in <package> (<package>-targets.cmake, each as <ns>::<EXPORT_NAME>),
# <package>Config.cmake from cmake/<package>Config.cmake.in (its find_dependency lines), a
# version file (SameMinorVersion: 0.x releases may break the API between minors) and
# <package>.pc from cmake/<package>.pc.in.
function(tt_install_package package)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "NAMESPACE" "")
  get_property(targets GLOBAL PROPERTY TT_PACKAGE_TARGETS_${package})
  foreach(target IN LISTS targets)
    get_target_property(name ${target} EXPORT_NAME)
    if(NOT name)
      set(name ${target})
    endif()
    if(NOT TARGET ${arg_NAMESPACE}::${name})
      message(FATAL_ERROR "${target} is installed as ${arg_NAMESPACE}::${name} (package ${package}): "
                          "add_library(${arg_NAMESPACE}::${name} ALIAS ${target}) so the build tree "
                          "uses the same name")
    endif()
  endforeach()
  get_property(component GLOBAL PROPERTY TT_PACKAGE_COMPONENT_${package})
  set(dest ${TT_INSTALL_CMAKEDIR}/${package})
  install(EXPORT ${package}-targets NAMESPACE ${arg_NAMESPACE}:: FILE ${package}-targets.cmake
          DESTINATION ${dest} COMPONENT ${component})
  set(out ${PROJECT_BINARY_DIR}/install/${package})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/${package}Config.cmake.in
                                ${out}/${package}Config.cmake INSTALL_DESTINATION ${dest})
  write_basic_package_version_file(${out}/${package}ConfigVersion.cmake
                                   VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${package}.pc.in ${out}/${package}.pc @ONLY)
  install(FILES ${out}/${package}Config.cmake ${out}/${package}ConfigVersion.cmake
          DESTINATION ${dest} COMPONENT ${component})
  install(FILES ${out}/${package}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
          COMPONENT ${component})
endfunction()
