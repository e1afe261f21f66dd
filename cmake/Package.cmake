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

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME tinyperf)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "tinyperf: statistically sound comparison, calibration and instruction counts of Google Benchmark runs")
# The shared libraries tinyperf and its count probe link (libc6, libstdc++6, libopenblas0,
# zlib1g, libbenchmark1debian), as dpkg-shlibdeps reads them from the binaries.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# `tinyperf count` runs the benchmark under Valgrind; everything else works without it.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS valgrind)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME tinytorch-dev)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "tinytorch and perf_framework: headers, static libraries, CMake package configs, pkg-config files")
# What the static libraries and the package configs need from the consumer's system: the public
# headers include nlohmann/json; tinytorch links OpenBLAS (found through pkg-config), zlib and
# glibc's libmvec.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "nlohmann-json3-dev (>= 3.10), libopenblas-dev, zlib1g-dev, libc6-dev, pkg-config")

# The results store and server as libraries (perf::store, perf::server), apart from
# tinytorch-dev so that linking the comparator never pulls in three client libraries.
set(CPACK_DEBIAN_RESULTS_PACKAGE_NAME perf-results-dev)
set(CPACK_COMPONENT_RESULTS_DESCRIPTION
    "perf_store and perf_server: the results database (SQLite, PostgreSQL) and the results server and client, as static libraries with CMake and pkg-config files")
set(CPACK_DEBIAN_RESULTS_PACKAGE_DEPENDS
    "tinytorch-dev (= ${PROJECT_VERSION}), libsqlite3-dev, libpq-dev, libssl-dev, libcpp-httplib-dev")
include(CPack)
