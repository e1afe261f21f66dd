# Debian packages, from the install rules (cmake/Install.cmake): `scripts/package.sh` builds them
# from the `package` preset (portable: a package built with -march=native would die with SIGILL
# on an older CPU).
#
# Three packages, because they serve different users: `tinyperf` (the command line, for anyone
# with a Google Benchmark binary: a few MB, runtime libraries only), `tinytorch-dev` (headers,
# static libraries, CMake and pkg-config files, for linking the comparator into one's own tests;
# it pulls in the -dev packages the static libraries need at link time) and `perf-results-dev`
# (the results store and server as libraries, with their database and HTTP client -dev
# packages). One package would make every tinyperf user install nlohmann-json3-dev,
# libopenblas-dev and zlib1g-dev.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tinytorch)
set(CPACK_PACKAGE_VENDOR "TinyTorch C++")
set(CPACK_PACKAGE_CONTACT "TinyTorch C++ maintainers <tinytorch@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev results)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Executables without debugging symbols, as Debian ships them (CMake never strips a static
# library: it would lose the symbol table that linking needs).
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME tinyperf)
# A description's first line is the package's synopsis (under 80 characters, not starting with
# the package's name), the rest its extended description: lintian checks both.
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "statistically sound comparison of Google Benchmark runs
tinyperf compares Google Benchmark results before and after a change with
statistics that account for noise (is it faster, by how much, how sure),
calibrates a benchmark binary's run-to-run noise, and counts instructions
under Valgrind for a deterministic CI gate. It records the machine it ran on
and the reference BLAS with it.")
# The shared libraries tinyperf and its count probe link (libc6, libstdc++6, libopenblas0,
# zlib1g, libbenchmark1debian), as dpkg-shlibdeps reads them from the binaries.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# `tinyperf count` runs the benchmark under Valgrind; everything else works without it.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS valgrind)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME tinytorch-dev)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "tinytorch and the perf_framework comparator for C++ projects
Headers, static libraries, CMake package configurations and pkg-config files
of tinytorch (tensors, layers and models in C++) and perf_framework (the
performance comparator tinyperf is built on), for linking the comparator
into one's own tests with find_package(perf_framework).")
# What the static libraries and the package configs need from the consumer's system: the public
# headers include nlohmann/json; tinytorch links OpenBLAS (found through pkg-config), zlib and
# glibc's libmvec.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "nlohmann-json3-dev (>= 3.10), libopenblas-dev, zlib1g-dev, libc6-dev, pkg-config")

# The results store and server as libraries (perf::store, perf::server), apart from
# tinytorch-dev so that linking the comparator never pulls in three client libraries.
set(CPACK_DEBIAN_RESULTS_PACKAGE_NAME perf-results-dev)
set(CPACK_COMPONENT_RESULTS_DESCRIPTION
    "results store and server libraries of the TinyTorch performance tools
perf_store and perf_server: the results database (SQLite, PostgreSQL), the
results server and its client, as static libraries with CMake and pkg-config
files.")
set(CPACK_DEBIAN_RESULTS_PACKAGE_DEPENDS
    "tinytorch-dev (= ${PROJECT_VERSION}), libsqlite3-dev, libpq-dev, libssl-dev, libcpp-httplib-dev")

# Each package's /usr/share/doc/<package>/copyright (machine-readable, DEP-5) and changelog.gz, as
# Debian policy asks of every package. The copyright says what is true today: the code is the
# TinyTorch C++ authors' and no license has been granted yet (the owners have not chosen one);
# tinyperf's adds the digits data it installs, with its source and licence (data/digits/SOURCE.md).
set(TT_DEBIAN_SOURCE_DIR ${PROJECT_SOURCE_DIR}/cmake/debian)
set(TT_DEBIAN_DOC_DIR ${PROJECT_BINARY_DIR}/debian-doc)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${TT_DEBIAN_SOURCE_DIR}/copyright
             ${TT_DEBIAN_SOURCE_DIR}/copyright-digits ${TT_DEBIAN_SOURCE_DIR}/changelog)
file(READ ${TT_DEBIAN_SOURCE_DIR}/copyright tt_copyright)
file(READ ${TT_DEBIAN_SOURCE_DIR}/copyright-digits tt_copyright_digits)
file(WRITE ${TT_DEBIAN_DOC_DIR}/with-data/copyright "${tt_copyright}${tt_copyright_digits}")
file(WRITE ${TT_DEBIAN_DOC_DIR}/code-only/copyright "${tt_copyright}")
# The changelog's newest entry must be this version: a package whose changelog names another
# version misleads whoever reads it.
file(STRINGS ${TT_DEBIAN_SOURCE_DIR}/changelog tt_changelog_top LIMIT_COUNT 1)
if(NOT tt_changelog_top MATCHES "^tinytorch \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "cmake/debian/changelog: its newest entry, '${tt_changelog_top}', is not "
                      "version ${PROJECT_VERSION}: add an entry for it")
endif()
# gzip -9n: maximal compression and no timestamp inside, so the package is reproducible.
execute_process(COMMAND gzip -9n -c ${TT_DEBIAN_SOURCE_DIR}/changelog
                OUTPUT_FILE ${TT_DEBIAN_DOC_DIR}/changelog.gz COMMAND_ERROR_IS_FATAL ANY)
foreach(tt_package IN ITEMS "runtime;tinyperf;with-data" "dev;tinytorch-dev;code-only"
                            "results;perf-results-dev;code-only")
  list(GET tt_package 0 tt_component)
  list(GET tt_package 1 tt_name)
  list(GET tt_package 2 tt_copyright_kind)
  install(FILES ${TT_DEBIAN_DOC_DIR}/${tt_copyright_kind}/copyright
                ${TT_DEBIAN_DOC_DIR}/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${tt_name} COMPONENT ${tt_component})
endforeach()

# lintian on the three packages (Debian 12, lintian 2.116) reports what is not ours to fix here:
#   bogus-mail-host (Maintainer and changelog): tinytorch@localhost stands in until the owners
#     name a real contact address (CPACK_PACKAGE_CONTACT, cmake/debian/changelog);
#   no-manual-page (tinyperf, tinyperf-count-probe): no man pages yet; the count probe is an
#     internal helper that would rather live in /usr/libexec, which `tinyperf count` would then
#     have to look for there;
#   pkg-config-unavailable-for-cross-compilation (the .pc files): the libraries and .pc files go to
#     lib/, not the multiarch lib/x86_64-linux-gnu/, so that one build installs to any prefix
#     (cmake/Install.cmake).

include(CPack)
