// The results store's tests run each case on SQLite (a fresh file in a directory of its own) and,
// where a wrapper script started a throwaway cluster, on PostgreSQL (TT_TEST_POSTGRES_URL): the
// fixture setup perf_store_test and olympics_store_test share.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace perf::testing {

enum class StoreBackend { kSqlite, kPostgres };

// Sets `url` for the current test on `backend`. SQLite: a new directory <tmp>/<prefix>_<pid>_<test
// name> in `dir` (emptied first; the caller removes it) holding perf.db. PostgreSQL: the
// wrapper's TT_TEST_POSTGRES_URL, a fatal failure naming `wrapper` when it is not set. Call as
// ASSERT_NO_FATAL_FAILURE(UseStoreBackend(...)).
inline void UseStoreBackend(StoreBackend backend, const std::string& prefix,
                            const std::string& wrapper, std::filesystem::path& dir,
                            std::string& url) {
  namespace fs = std::filesystem;
  if (backend == StoreBackend::kSqlite) {
    dir = fs::temp_directory_path() /
          (prefix + "_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    url = "sqlite:" + (dir / "perf.db").string();
    return;
  }
  const char* env = std::getenv("TT_TEST_POSTGRES_URL");
  ASSERT_NE(env, nullptr) << "TT_TEST_POSTGRES_URL is not set: run the PostgreSQL cases through "
                          << wrapper;
  url = env;
}

// The backends to instantiate PostgreSQL cases on: none unless the wrapper started a cluster (so
// a plain ctest run lists no PostgreSQL cases rather than failing them).
inline std::vector<StoreBackend> PostgresIfStarted() {
  return std::getenv("TT_TEST_POSTGRES_URL") ? std::vector<StoreBackend>{StoreBackend::kPostgres}
                                              : std::vector<StoreBackend>{};
}

}  // namespace perf::testing
