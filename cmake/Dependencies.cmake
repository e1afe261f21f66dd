# Every third-party dependency is a Debian package found through its CMake config or pkg-config.
# A missing one stops configure with the apt package to install (scripts/setup-deps.sh does it for you).

function(tt_missing what apt_package)
  message(FATAL_ERROR
    "${what} not found. Install it with:\n"
    "    apt-get install ${apt_package}\n"
    "or run scripts/setup-deps.sh, which installs everything this project needs.")
endfunction()

find_package(Threads REQUIRED)

find_package(GTest CONFIG QUIET)
if(NOT GTest_FOUND OR NOT TARGET GTest::gmock)
  tt_missing("GoogleTest/GoogleMock" "libgtest-dev libgmock-dev")
endif()

find_package(benchmark CONFIG QUIET)
if(NOT benchmark_FOUND)
  tt_missing("Google Benchmark" "libbenchmark-dev")
endif()

find_package(nlohmann_json 3.10 CONFIG QUIET)
if(NOT nlohmann_json_FOUND)
  tt_missing("nlohmann/json" "nlohmann-json3-dev")
endif()

find_package(CLI11 2.1 CONFIG QUIET)
if(NOT CLI11_FOUND)
  tt_missing("CLI11 (command-line parsing for tinyperf)" "libcli11-dev")
endif()

# zlib reads the gzip-compressed IDX files of Debian's dataset-fashion-mnist directly.
find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  tt_missing("zlib" "zlib1g-dev")
endif()

# Boost.Math is header-only; we only need the headers target.
find_package(Boost 1.74 CONFIG QUIET)
if(NOT Boost_FOUND)
  tt_missing("Boost (Boost.Math headers)" "libboost-dev")
endif()

# OpenBLAS's own CMake config on Debian does not export an imported target, and FindBLAS does not
# give the cblas.h include directory, so pkg-config is the one lookup that yields both.
find_package(PkgConfig QUIET)
if(NOT PkgConfig_FOUND)
  tt_missing("pkg-config" "pkg-config")
endif()
pkg_check_modules(OPENBLAS QUIET IMPORTED_TARGET openblas)
if(NOT OPENBLAS_FOUND)
  tt_missing("OpenBLAS" "libopenblas-dev")
endif()

# cpp-httplib (Debian builds it as a shared library with OpenSSL, zlib and Brotli): the results
# server and the submission client. pkg-config, because its compile definitions must match the
# library's build (they change the layout of its classes).
pkg_check_modules(HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
if(NOT HTTPLIB_FOUND)
  tt_missing("cpp-httplib (HTTP server and client for tinyperf serve/submit)" "libcpp-httplib-dev")
endif()

# libtorch (Debian's libtorch-dev, PyTorch 1.13 C++ library) is optional: with it, the
# tinytorch-vs-libtorch targets are built. Nothing else needs it. TT_WITH_LIBTORCH is AUTO by
# default and decided afresh at every configure, so a build configured before libtorch-dev was
# installed gains the comparisons at its next configure instead of silently keeping them off
# (a cached ON/OFF would). ON requires it; OFF leaves it out. Off under the sanitizers (libtorch is
# not built with them).
# Build directories configured when this was a BOOL option hold a stale OFF: back to AUTO.
get_property(tt_libtorch_type CACHE TT_WITH_LIBTORCH PROPERTY TYPE)
if(tt_libtorch_type STREQUAL "BOOL")
  set(TT_WITH_LIBTORCH AUTO CACHE STRING "" FORCE)
endif()
set(TT_WITH_LIBTORCH AUTO CACHE STRING "Build the tinytorch-vs-libtorch comparisons: AUTO, ON or OFF")
set_property(CACHE TT_WITH_LIBTORCH PROPERTY STRINGS AUTO ON OFF)
if(NOT TT_WITH_LIBTORCH STREQUAL "OFF" AND NOT TT_SANITIZE AND NOT TT_SANITIZE_THREAD)
  find_package(Torch CONFIG QUIET)
endif()
if(TT_WITH_LIBTORCH STREQUAL "AUTO")
  if(Torch_FOUND AND NOT TT_SANITIZE AND NOT TT_SANITIZE_THREAD)
    set(TT_LIBTORCH_ENABLED ON)
  else()
    set(TT_LIBTORCH_ENABLED OFF)
  endif()
elseif(TT_WITH_LIBTORCH)
  if(NOT Torch_FOUND)
    tt_missing("libtorch (for TT_WITH_LIBTORCH=ON)" "libtorch-dev")
  endif()
  set(TT_LIBTORCH_ENABLED ON)
else()
  set(TT_LIBTORCH_ENABLED OFF)
endif()
message(STATUS "tinytorch-vs-libtorch comparisons: ${TT_LIBTORCH_ENABLED} (TT_WITH_LIBTORCH=${TT_WITH_LIBTORCH})")

# The results store (perf_store/): SQLite for the embedded default, libpq for a shared PostgreSQL,
# libcrypto for the SHA-256 of documents and machine tokens. Only perf::store and tinyperf link
# them; perf::framework does not, so users of the comparator need none of the three.
find_package(SQLite3 QUIET)
if(NOT SQLite3_FOUND)
  tt_missing("SQLite 3" "libsqlite3-dev")
endif()
pkg_check_modules(LIBPQ QUIET IMPORTED_TARGET libpq)
if(NOT LIBPQ_FOUND)
  tt_missing("libpq (the PostgreSQL client library)" "libpq-dev")
endif()
pkg_check_modules(LIBCRYPTO QUIET IMPORTED_TARGET libcrypto)
if(NOT LIBCRYPTO_FOUND)
  tt_missing("OpenSSL's libcrypto (SHA-256)" "libssl-dev")
endif()
