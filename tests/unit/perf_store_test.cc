// The results store on both backends: the same cases run on SQLite (a file per test) and, when
// tests/integration/postgres_store_test.sh has started a throwaway cluster and set
// TT_TEST_POSTGRES_URL, on PostgreSQL (a fresh schema per test). Migrations, the lossless round
// trip, idempotent and concurrent imports, hashed tokens, hostile input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "fileio/fileio.h"
#include "perf_framework/environment.h"
#include "perf_framework/noise_profile.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"
#include "perf_store/fleet.h"
#include "perf_store/store.h"
#include "support/store_backend.h"

namespace perf::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- A run folder with every kind of document, written with deliberately odd bytes (no final
// newline, tabs, non-ASCII) so that a re-serialisation could not pass the round trip. ----

std::string ResultsJson(const std::string& commit, const std::string& verdict = "PASS") {
  SuiteResults r;
  r.suite = "validation";
  r.started_utc = "2026-12-01T03:00:00Z";
  r.elapsed_seconds = 12.5;
  r.environment.cpu_model = "Test CPU";
  r.environment.logical_cores = 2;
  r.environment.governor = "unavailable";
  r.environment.compiler = "g++ 12.2.0";
  r.environment.build_type = "Release";
  r.environment.git_commit = commit;
  r.environment.utc_time = r.started_utc;
  for (int i = 0; i < 3; ++i) {
    ClaimResult c;
    c.module = "module_17_acceleration";
    c.id = "claim_" + std::to_string(i);
    c.statement = "statement ü " + std::to_string(i);
    c.metric = "speedup";
    c.threshold = 1.2;
    c.outcome.verdict = i == 2 ? ClaimVerdict::kFail : ClaimVerdict::kPass;
    c.outcome.reason = "reason";
    c.outcome.evidence.value = 1.0 + i;
    c.outcome.evidence.unit = "x";
    r.claims.push_back(c);
  }
  nlohmann::json j = r.ToJson();
  if (verdict != "PASS") j["claims"][0]["verdict"] = verdict;
  return j.dump(2);  // no final newline
}

constexpr const char* kBenchJson = R"({
  "context": {"host_name": "vm", "library_build_type": "release"},
  "benchmarks": [
    {"name": "BM_A/n:64", "run_name": "BM_A/n:64", "run_type": "iteration", "repetitions": 2,
     "repetition_index": 0, "threads": 1, "iterations": 10, "real_time": 1.5, "cpu_time": 1.25,
     "time_unit": "us", "FLOPS": 3e9, "label": "avx2"},
    {"name": "BM_A/n:64", "run_name": "BM_A/n:64", "run_type": "iteration", "repetitions": 2,
     "repetition_index": 1, "threads": 1, "iterations": 10, "real_time": 2.5, "cpu_time": 2.0,
     "time_unit": "us", "FLOPS": 2e9},
    {"name": "BM_A/n:64_median", "run_name": "BM_A/n:64", "run_type": "aggregate",
     "aggregate_name": "median", "real_time": 2.0, "cpu_time": 1.6, "time_unit": "us"}
  ]
}
)";

constexpr const char* kCountJson =
    "{\"context\": {\"count\": {}},\n\t\"benchmarks\": [{\"name\": \"BM_A/n:64\", \"run_type\": "
    "\"iteration\", \"iterations\": 1, \"instructions\": 2154160.0, \"l1d_misses\": 613}]}";

std::map<std::string, std::string> RunFiles(const std::string& commit) {
  return {{"results.json", ResultsJson(commit)},
          {"matmul_bench.json", kBenchJson},
          {"bench/matmul_bench.1.json", kBenchJson},
          {"counts/matmul_bench.json", kCountJson},
          {"claims/module_17_acceleration.claim_0.json", "{\"x\":\t1}\n\n"},
          {"report.md", "# Report – ü\r\nno final newline"}};
}

void WriteFiles(const std::string& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [name, content] : files) {
    fs::create_directories(fs::path(dir / fs::path(name)).parent_path());
    fileio::WriteAtomically(dir + "/" + name, content);
  }
}

RunBundle Bundle(const std::string& machine, const std::string& run, const std::string& commit) {
  RunBundle b{machine, run, {}};
  for (const auto& [name, content] : RunFiles(commit)) b.documents.push_back({name, content});
  return b;
}

std::string Commit(int i) { return std::string(39, 'a') + static_cast<char>('0' + i % 10); }

// ---- A machine's nightly series: one run a day of one benchmark, its time and its count ----

struct Night {
  int day;              // the run's date: day 1 is 2026-12-01, day 32 2027-01-01
  double real_ns;       // BM_S's time (its 3 repetitions spread ±1% around it)
  double instructions;  // BM_S's instruction count, 0 for none
  std::string commit = "";
};

std::string EnvironmentJson(const std::string& cpu, const std::vector<std::string>& flags,
                            const std::string& kernel, const std::string& commit,
                            const std::string& utc) {
  Environment e;
  e.cpu_model = cpu;
  e.cpu_flags = flags;
  e.logical_cores = 2;
  e.governor = "unavailable";
  e.compiler = "g++ 12.2.0";
  e.build_type = "Release";
  e.git_commit = commit.empty() ? "unknown" : commit;
  e.utc_time = utc;
  e.blas.library = "OpenBLAS";
  e.blas.kernel = kernel;
  return e.ToJson().dump();
}

RunBundle NightBundle(const std::string& machine, const Night& n,
                      const std::string& cpu = "Test CPU",
                      const std::vector<std::string>& flags = {"avx2", "fma"},
                      const std::string& kernel = "Haswell") {
  const int month = n.day <= 31 ? 12 : 1, day = n.day <= 31 ? n.day : n.day - 31;
  const int year = month == 12 ? 2026 : 2027;
  char run[32];
  std::snprintf(run, sizeof run, "%04d%02d%02dT030000Z", year, month, day);
  char utc[32];
  std::snprintf(utc, sizeof utc, "%04d-%02d-%02dT03:00:00Z", year, month, day);
  std::string rows;
  for (int rep = 0; rep < 3; ++rep) {
    rows += std::string(rep ? ",\n" : "") + R"({"name": "BM_S", "run_name": "BM_S", )" +
            R"("run_type": "iteration", "repetition_index": )" + std::to_string(rep) +
            R"(, "iterations": 10, "time_unit": "ns", "real_time": )" +
            std::to_string(n.real_ns * (0.99 + 0.01 * rep)) + R"(, "cpu_time": 1})";
  }
  RunBundle b{machine, run, {}};
  b.documents.push_back({"bench/s_bench.1.json", "{\"benchmarks\": [" + rows + "]}"});
  if (n.instructions > 0) {
    b.documents.push_back(
        {"counts/s_bench.json", R"({"benchmarks": [{"name": "BM_S", "run_type": "iteration", )"
                                R"("iterations": 1, "instructions": )" +
                                    std::to_string(n.instructions) + "}]}"});
  }
  b.documents.push_back({"environment.json", EnvironmentJson(cpu, flags, kernel, n.commit, utc)});
  std::sort(b.documents.begin(), b.documents.end(),
            [](const RunDocument& x, const RunDocument& y) { return x.name < y.name; });
  return b;
}

// 12 nights: the time steps up 30% from night 7 on, the count 5% from night 9 on.
std::vector<Night> SteppedNights() {
  std::vector<Night> nights;
  for (int day = 1; day <= 12; ++day) {
    nights.push_back(
        {day, day >= 7 ? 1300.0 + day : 1000.0 + day, day >= 9 ? 2.1e6 : 2.0e6, Commit(day)});
  }
  return nights;
}

// ---- The backends ----

// Statements the store API does not offer (faking a newer schema, reading the tokens table).
int64_t RawCount(const std::string& url, const std::string& sql);
void RawExec(const std::string& url, const std::string& sql);

using Backend = perf::testing::StoreBackend;

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(perf::testing::UseStoreBackend(
        GetParam(), "perf_store_test", "tests/integration/postgres_store_test.sh", dir_, url_));
    if (GetParam() == Backend::kPostgres) {
      RawExec(url_, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      dir_ = fs::temp_directory_path() / ("perf_store_pg_test_" + std::to_string(::getpid()));
      fs::remove_all(dir_);
      fs::create_directories(dir_);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  Store Open() { return Store::Open(url_); }
  Store OpenInit() {
    Store s = Open();
    s.Init();
    return s;
  }

  fs::path dir_;
  std::string url_;
};

int64_t RawCount(const std::string& url, const std::string& sql) {
  if (url.starts_with("sqlite:")) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(url.substr(7).c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(c);
  const int64_t n = PQntuples(r) ? std::atoll(PQgetvalue(r, 0, 0)) : -1;
  PQclear(r);
  PQfinish(c);
  return n;
}

void RawExec(const std::string& url, const std::string& sql) {
  if (url.starts_with("sqlite:")) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(url.substr(7).c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    sqlite3_close(db);
    return;
  }
  PGconn* c = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
}

// ---- Migrations ----

TEST_P(StoreTest, InitMigratesAnEmptyDatabaseToTheCurrentSchema) {
  Store s = Open();
  EXPECT_EQ(s.Version(), 0);
  EXPECT_THAT([&] { s.ListRuns(); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("tinyperf db init")));
  EXPECT_EQ(s.Init(), SchemaVersion());
  EXPECT_EQ(s.Version(), SchemaVersion());
  EXPECT_TRUE(s.ListRuns().empty());
  EXPECT_TRUE(s.ListMachines().empty());
}

TEST_P(StoreTest, InitAgainChangesNothing) {
  Store s = OpenInit();
  s.ImportRun(Bundle("m1", "r1", Commit(1)));
  EXPECT_EQ(s.Init(), SchemaVersion());
  EXPECT_EQ(Open().Init(), SchemaVersion());
  EXPECT_EQ(RawCount(url_, "SELECT COUNT(*) FROM schema_migrations"), SchemaVersion());
  EXPECT_EQ(s.ListRuns().size(), 1u);
}

TEST_P(StoreTest, ANewerSchemaIsRefusedWithAClearMessage) {
  OpenInit();
  RawExec(url_,
          "INSERT INTO schema_migrations (version, name, applied_utc) VALUES "
          "(99, 'from the future', '2030-01-01T00:00:00Z')");
  EXPECT_THAT([&] { Open(); }, ::testing::ThrowsMessage<StoreError>(
                                   HasSubstr("schema version 99 is newer than this tinyperf's")));
}

// ---- Import and export ----

TEST_P(StoreTest, ImportExportRoundTripIsByteIdentical) {
  const std::string in = (dir_ / "20261201T030000Z").string(), out = (dir_ / "exported").string();
  const auto files = RunFiles(Commit(7));
  WriteFiles(in, files);
  fileio::WriteAtomically(in + "/ctest_module_01.log", "logs are not documents");
  Store s = OpenInit();
  const RunBundle read = ReadRunFolder(in, "m1");
  EXPECT_EQ(read.run, "20261201T030000Z");
  fs::create_directory_symlink("20261201T030000Z", dir_ / "latest");
  EXPECT_EQ(ReadRunFolder((dir_ / "latest").string() + "/", "m1").run, "20261201T030000Z");
  const ImportResult r = s.ImportRun(read);
  ASSERT_TRUE(r.created);
  WriteRunFolder(s.ExportRun(r.run_id), out);
  size_t exported = 0;
  for (const auto& e : fs::recursive_directory_iterator(out)) exported += e.is_regular_file();
  EXPECT_EQ(exported, files.size());
  for (const auto& [name, content] : files) {
    EXPECT_EQ(fileio::ReadAll(out + "/" + name), content) << name;
  }
  // Exporting again into the same folder is harmless; into a folder with other content, refused.
  WriteRunFolder(s.ExportRun(r.run_id), out);
  fileio::WriteAtomically(out + "/report.md", "edited");
  EXPECT_THROW(WriteRunFolder(s.ExportRun(r.run_id), out), Error);
}

TEST_P(StoreTest, ImportNormalisesVerdictsSamplesAndCounts) {
  Store s = OpenInit();
  const ImportResult r = s.ImportRun(Bundle("m1", "20261201T030000Z", Commit(3)));
  const std::vector<RunInfo> runs = s.ListRuns();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, r.run_id);
  EXPECT_EQ(runs[0].commit, Commit(3));
  EXPECT_EQ(runs[0].started_utc, "2026-12-01T03:00:00Z");
  EXPECT_EQ(runs[0].pass, 2);
  EXPECT_EQ(runs[0].fail, 1);
  // Two files x two repetitions x (real, cpu, FLOPS), plus the count file's two counters.
  EXPECT_EQ(runs[0].samples, 2 * 2 * 3 + 2);
  const auto real = s.Series("BM_A/n:64", "m1", "real_time");
  ASSERT_EQ(real.size(), 4u);  // every repetition, not the median
  EXPECT_EQ(real[0].document, "bench/matmul_bench.1.json");
  EXPECT_DOUBLE_EQ(real[0].value, 1500.0);  // us -> ns
  EXPECT_EQ(real[1].repetition, 1);
  EXPECT_DOUBLE_EQ(real[1].value, 2500.0);
  EXPECT_EQ(real[0].commit, Commit(3));
  const auto instructions = s.Series("BM_A/n:64", "m1", "instructions");
  ASSERT_EQ(instructions.size(), 1u);
  EXPECT_DOUBLE_EQ(instructions[0].value, 2154160.0);
  const std::vector<VerdictInfo> verdicts = s.ListVerdicts(r.run_id);
  ASSERT_EQ(verdicts.size(), 3u);
  EXPECT_EQ(verdicts[2].claim, "claim_2");
  EXPECT_EQ(verdicts[2].verdict, "FAIL");
  EXPECT_EQ(verdicts[2].kind, "contract");
  EXPECT_DOUBLE_EQ(verdicts[2].value, 3.0);
  EXPECT_TRUE(std::isnan(verdicts[2].low));
  EXPECT_TRUE(s.ListVerdicts(r.run_id + 1).empty());
  EXPECT_EQ(s.ListBenchmarks("m1"), std::vector<std::string>{"BM_A/n:64"});
  EXPECT_TRUE(s.ListBenchmarks("nobody").empty());
  const auto machines = s.ListMachines();
  ASSERT_EQ(machines.size(), 1u);
  EXPECT_EQ(machines[0].name, "m1");
  EXPECT_THAT(machines[0].fingerprint, HasSubstr("test-cpu"));
  EXPECT_THAT(machines[0].environment_json, HasSubstr("Test CPU"));
  EXPECT_EQ(machines[0].runs, 1);
}

TEST_P(StoreTest, ARunIsStoredOncePerKeyAndPerContent) {
  Store s = OpenInit();
  const RunBundle b = Bundle("m1", "r1", Commit(1));
  const ImportResult first = s.ImportRun(b, "key-1");
  EXPECT_TRUE(first.created);
  const ImportResult again = s.ImportRun(b, "key-1");
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.run_id, first.run_id);
  EXPECT_FALSE(s.ImportRun(b, "key-2").created);  // same content under another key
  EXPECT_FALSE(s.ImportRun(b).created);           // and under its content hash
  RunBundle other = Bundle("m1", "r2", Commit(2));
  // The key names the first run: other content under it is refused, not answered with that run.
  EXPECT_THROW(s.ImportRun(other, "key-1"), perf::store::KeyReused);
  EXPECT_TRUE(s.ImportRun(other, "key-3").created);
  // Keys are per machine: another machine's run under key-1 is its own.
  EXPECT_TRUE(s.ImportRun(Bundle("m2", "r1", Commit(1)), "key-1").created);
  EXPECT_EQ(s.ListRuns().size(), 3u);
  EXPECT_EQ(RawCount(url_, "SELECT COUNT(*) FROM samples"), 3 * (2 * 2 * 3 + 2));
}

// 8 threads, each with its own connection, import 8 runs in different orders under keys that
// overlap: every run is stored exactly once and exactly one import of each reports created.
TEST_P(StoreTest, ConcurrentImportsStoreEachRunExactlyOnce) {
  OpenInit();
  constexpr int kThreads = 8, kRuns = 8;
  std::vector<RunBundle> bundles;
  for (int i = 0; i < kRuns; ++i) {
    bundles.push_back(Bundle("m" + std::to_string(i % 3), "r" + std::to_string(i), Commit(i)));
  }
  std::atomic<int> created{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        Store s = Open();
        for (int k = 0; k < kRuns; ++k) {
          const int i = (k * 3 + t) % kRuns;
          created += s.ImportRun(bundles[i], "key-" + std::to_string(i)).created;
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(created.load(), kRuns);
  Store s = Open();
  EXPECT_EQ(s.ListRuns().size(), static_cast<size_t>(kRuns));
  EXPECT_EQ(RawCount(url_, "SELECT COUNT(*) FROM samples"), kRuns * (2 * 2 * 3 + 2));
  EXPECT_EQ(RawCount(url_, "SELECT COUNT(*) FROM benchmarks"), 1);
  EXPECT_EQ(s.ListMachines().size(), 3u);
}

TEST_P(StoreTest, OneStoreIsSafeToShareBetweenThreads) {
  Store s = OpenInit();
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        const int run = (i + t) % 4;
        created += s.ImportRun(Bundle("m", "r" + std::to_string(run), Commit(run))).created;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(created.load(), 4);
  EXPECT_EQ(s.ListRuns().size(), 4u);
}

TEST_P(StoreTest, TokensAreStoredOnlyAsTheirHash) {
  Store s = OpenInit();
  const std::string token = s.AddToken("runner-1");
  EXPECT_THAT(token, ::testing::MatchesRegex("[0-9a-f]{64}"));
  EXPECT_NE(s.AddToken("runner-1"), token);
  EXPECT_EQ(s.MachineForToken(token), "runner-1");
  EXPECT_EQ(s.MachineForToken(std::string(64, '0')), std::nullopt);
  EXPECT_EQ(s.MachineForToken("not a token"), std::nullopt);
  EXPECT_EQ(s.MachineForToken(token + "0"), std::nullopt);
  EXPECT_EQ(RawCount(url_, "SELECT COUNT(*) FROM tokens WHERE token_sha256 = '" + token + "'"), 0);
  if (GetParam() == Backend::kSqlite) {
    std::string bytes;
    for (const char* suffix : {"", "-wal"}) {
      const std::string path = url_.substr(7) + suffix;
      if (fs::exists(path)) bytes += fileio::ReadAll(path);
    }
    EXPECT_THAT(bytes, Not(HasSubstr(token)));
  }
  EXPECT_EQ(s.RevokeTokens("runner-1"), 2);
  EXPECT_EQ(s.MachineForToken(token), std::nullopt);
  EXPECT_THROW(s.AddToken("../etc"), Error);
}

TEST_P(StoreTest, MalformedDocumentsNameTheFileAndTheFieldAndStoreNothing) {
  Store s = OpenInit();
  RunBundle b = Bundle("m1", "r1", Commit(1));
  const auto with = [&](const std::string& name, const std::string& content) {
    RunBundle x = b;
    for (RunDocument& d : x.documents) {
      if (d.name == name) d.content = content;
    }
    return x;
  };
  EXPECT_THAT(
      [&] { s.ImportRun(with("results.json", ResultsJson(Commit(1), "MAYBE"))); },
      ::testing::ThrowsMessage<Error>(AllOf(HasSubstr("results.json"), HasSubstr("verdict"))));
  std::string bad_time = kBenchJson;
  bad_time.replace(bad_time.find("\"real_time\": 1.5"), 16, "\"real_time\": \"x\"");
  EXPECT_THAT([&] { s.ImportRun(with("matmul_bench.json", bad_time)); },
              ::testing::ThrowsMessage<Error>(HasSubstr(
                  "matmul_bench.json: benchmarks[0]: field 'real_time' must be a number")));
  EXPECT_THAT(
      [&] { s.ImportRun(with("counts/matmul_bench.json", "{\"benchmarks\": [")); },
      ::testing::ThrowsMessage<Error>(HasSubstr("counts/matmul_bench.json: not valid JSON")));
  std::string control = kBenchJson;  // the server's queries could never name it
  control.replace(control.find("\"run_name\": \""), 13, "\"run_name\": \"\\u0007");
  EXPECT_THAT([&] { s.ImportRun(with("matmul_bench.json", control)); },
              ::testing::ThrowsMessage<Error>(HasSubstr(
                  "matmul_bench.json: benchmarks[0].run_name holds a control character (byte 7)")));
  std::string bad_unit = kBenchJson;
  bad_unit.replace(bad_unit.find("\"us\""), 4, "\"ps\"");
  EXPECT_THAT([&] { s.ImportRun(with("bench/matmul_bench.1.json", bad_unit)); },
              ::testing::ThrowsMessage<Error>(
                  HasSubstr("bench/matmul_bench.1.json: benchmarks[0]: field 'time_unit'")));
  // The start time orders runs, series and changes: it must be a time, not text that sorts first
  // (results.json's is checked where it is read; a run without one takes environment.json's).
  RunBundle no_results{"m1", "r1", {}};
  no_results.documents.push_back(
      {"environment.json",
       EnvironmentJson("Test CPU", {}, "6.1", Commit(1), "zzzz-zz-zzTzz:zz:zzZ")});
  EXPECT_THAT([&] { s.ImportRun(no_results); },
              ::testing::ThrowsMessage<Error>(
                  HasSubstr("environment.json.utc_time 'zzzz-zz-zzTzz:zz:zzZ' is not a UTC time")));
  EXPECT_THAT([&] { s.ImportRun(with("report.md", "\xff\xfe")); },
              ::testing::ThrowsMessage<Error>(HasSubstr("report.md): content is not valid UTF-8")));
  EXPECT_TRUE(s.ListRuns().empty());
  EXPECT_TRUE(s.ListMachines().empty());
}

TEST_P(StoreTest, ChangesAreRecordedAndListed) {
  Store s = OpenInit();
  const ImportResult r = s.ImportRun(Bundle("m1", "r1", Commit(4)));
  Change c;
  c.machine = "m1";
  c.benchmark = "BM_A/n:64";
  c.metric = "real_time";
  c.run_id = r.run_id;
  c.ratio = 1.25;
  c.low = 1.1;
  c.high = 1.4;
  c.direction = "regression";
  const int64_t id = s.RecordChange(c);
  const auto changes = s.ListChanges("m1");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].id, id);
  EXPECT_EQ(changes[0].commit, Commit(4));
  EXPECT_DOUBLE_EQ(changes[0].ratio, 1.25);
  EXPECT_TRUE(s.ListChanges("other").empty());
  c.benchmark = "BM_Unknown";
  EXPECT_THAT([&] { s.RecordChange(c); }, ::testing::ThrowsMessage<Error>(HasSubstr("BM_Unknown")));
}

TEST_P(StoreTest, ImportDetectsEachChangeOnceAsTheHistoryDoes) {
  Store s = OpenInit();
  std::map<int, int64_t> run_of_day;
  int recorded = 0;
  for (const Night& n : SteppedNights()) {
    const ImportResult r = s.ImportRun(NightBundle("m1", n));
    run_of_day[n.day] = r.run_id;
    recorded += r.detected.recorded;
    EXPECT_EQ(r.detected.series, n.instructions > 0 ? 2 : 1) << n.day;
  }
  // A flat machine beside it: nothing.
  for (Night n : SteppedNights()) {
    n.real_ns = 1000 + n.day % 3;
    n.instructions = 2e6;
    s.ImportRun(NightBundle("m2", n));
  }
  EXPECT_EQ(recorded, 2);
  const std::vector<Change> changes = s.ListChanges();
  ASSERT_EQ(changes.size(), 2u);
  std::map<std::string, Change> by_metric;
  for (const Change& c : changes) by_metric[c.metric] = c;
  const Change& time = by_metric.at("real_time");
  EXPECT_EQ(time.machine, "m1");
  EXPECT_EQ(time.benchmark, "BM_S");
  EXPECT_EQ(time.run_id, run_of_day.at(7));  // the first run after the shift
  EXPECT_EQ(time.commit, Commit(7));
  EXPECT_EQ(time.direction, "regression");
  // As first found, at night 10 (6 runs before, 4 after: Mann-Whitney p = 2/210 < 0.01): the
  // medians of the per-run medians (each the middle repetition, the night's own value), nights
  // 1-6 against 7-10.
  EXPECT_DOUBLE_EQ(time.ratio, 1308.5 / 1003.5);
  EXPECT_TRUE(std::isnan(time.low));
  EXPECT_THAT(time.details_json, HasSubstr("Mann-Whitney"));
  const Change& count = by_metric.at("instructions");
  EXPECT_EQ(count.run_id, run_of_day.at(9));
  EXPECT_DOUBLE_EQ(count.ratio, 2.1e6 / 2.0e6);
  EXPECT_DOUBLE_EQ(count.low, count.ratio);  // exact: no interval to speak of
  // Importing every run again, and rescanning, records nothing new.
  for (const Night& n : SteppedNights()) {
    const ImportResult again = s.ImportRun(NightBundle("m1", n));
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.detected.recorded, 0);
  }
  const DetectResult rescan = s.DetectChanges();
  EXPECT_EQ(rescan.series, 4);  // 2 machines x (time, count)
  EXPECT_EQ(rescan.found, 2);
  EXPECT_EQ(rescan.recorded, 0);
  EXPECT_EQ(s.ListChanges().size(), 2u);
}

TEST_P(StoreTest, ARescanFindsTheChangesOfRunsImportedWithoutDetection) {
  Store s = OpenInit();
  for (const Night& n : SteppedNights()) {
    EXPECT_EQ(s.ImportRun(NightBundle("m1", n), "", /*detect=*/false).detected.series, 0);
  }
  EXPECT_TRUE(s.ListChanges().empty());
  EXPECT_EQ(s.DetectChanges("other").series, 0);
  const DetectResult r = s.DetectChanges("m1");
  EXPECT_EQ(r.series, 2);
  EXPECT_EQ(r.recorded, 2);
  EXPECT_EQ(s.DetectChanges("m1").recorded, 0);
  EXPECT_EQ(RawCount(url_, "SELECT COUNT(*) FROM changes"), 2);
}

// Two connections importing one machine's nights at once (in the same order, as two retries of
// one outbox would): each change still recorded once, however the detections interleave.
TEST_P(StoreTest, ConcurrentImportsOfOneMachineRecordEachChangeOnce) {
  OpenInit();
  const std::vector<Night> nights = SteppedNights();
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      try {
        Store s = Open();
        for (size_t i = 0; i < nights.size(); ++i) {
          s.ImportRun(NightBundle("m1", nights[i]));
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(RawCount(url_, "SELECT COUNT(*) FROM changes"), 2);
}

// Four AVX-512 machines whose time steps up 30% at night 21 of 40, three AVX2 machines flat, one
// of which has an instruction count step of its own: the step is seen on 4 of 4 machines of its
// class and on none of the other (hardware-specific), the lone count step on 1 of 3 (unconfirmed).
TEST_P(StoreTest, FleetVerdictsCountMachinesOfTheClassAgainstTheirFalseAlarmRates) {
  Store s = OpenInit();
  const std::vector<std::string> avx512 = {"avx512f", "avx2", "fma"}, avx2 = {"avx2", "fma"};
  for (int day = 1; day <= 40; ++day) {
    for (int m = 0; m < 4; ++m) {
      const Night n{day, (day >= 21 ? 1300.0 : 1000.0) + (day + m) % 3, 2e6, Commit(day)};
      s.ImportRun(NightBundle("a" + std::to_string(m), n, "Xeon A", avx512, "SkylakeX"), "", false);
    }
    for (int m = 0; m < 3; ++m) {
      const Night n{day, 1000.0 + (day + m) % 3, m == 0 && day >= 30 ? 2.1e6 : 2e6, Commit(day)};
      s.ImportRun(NightBundle("b" + std::to_string(m), n, "Epyc B", avx2, "Haswell"), "", false);
    }
  }
  EXPECT_EQ(s.DetectChanges().recorded, 5);
  const std::vector<FleetChange> fleet = FleetChanges(s);
  ASSERT_EQ(fleet.size(), 5u);
  int hardware_specific = 0;
  for (const FleetChange& f : fleet) {
    SCOPED_TRACE(f.change.machine + " " + f.change.metric);
    // No noise profile: 1 change in 39 searched runs of 1 series, Wilson's upper 95% bound.
    EXPECT_EQ(f.false_alarm.source, FalseAlarmSource::kHistory);
    EXPECT_EQ(f.false_alarm.alarms, 1);
    EXPECT_EQ(f.false_alarm.tested, 39);
    EXPECT_NEAR(f.false_alarm.rate, 0.13180990169850076, 1e-12);
    if (f.change.metric == "real_time") {
      EXPECT_EQ(f.hardware_class, "Xeon A | avx512 | SkylakeX");
      EXPECT_EQ(f.change.commit, Commit(21));
      EXPECT_EQ(f.own.k, 4);
      EXPECT_EQ(f.own.n, 4);
      // The other three all flagged, each at its rate: 0.1318...^3.
      EXPECT_NEAR(f.own.p_value, 0.0022900454851106167, 1e-12);
      ASSERT_EQ(f.other_classes.size(), 1u);
      EXPECT_EQ(f.other_classes[0].hardware_class, "Epyc B | avx2 | Haswell");
      EXPECT_EQ(f.other_classes[0].n, 3);
      EXPECT_EQ(f.other_classes[0].k, 0);
      hardware_specific += f.status == FleetStatus::kHardwareSpecific;
    } else {
      EXPECT_EQ(f.change.machine, "b0");
      EXPECT_EQ(f.own.k, 1);
      EXPECT_EQ(f.own.n, 3);
      EXPECT_DOUBLE_EQ(f.own.p_value, 1.0);
      EXPECT_EQ(f.status, FleetStatus::kUnconfirmed);
    }
  }
  EXPECT_EQ(hardware_specific, 4);
  EXPECT_EQ(FleetChanges(s, "b0").size(), 1u);
}

// A noise profile as `tinyperf calibrate` writes it: `false_alarms` regressions in `benchmarks`
// A/A comparisons, measured on the machine of fingerprint `fingerprint`.
std::string NoiseJson(const std::string& fingerprint, int false_alarms, int benchmarks) {
  NoiseProfile p;
  p.fingerprint = fingerprint;
  p.rounds = 3;
  p.repetitions = 3;
  p.threshold_pct = 10;
  p.benchmarks = benchmarks;
  p.false_alarms = false_alarms;
  p.families = {{"BM_S", benchmarks, 1.0, 4.0, kNaN}};
  return p.ToJson().dump(2);
}

// The fingerprint of the machine NightBundle describes with `cpu`.
std::string FingerprintOf(const std::string& cpu, const std::vector<std::string>& flags,
                          const std::string& kernel) {
  return MachineFingerprint(
      Environment::FromJson(nlohmann::json::parse(EnvironmentJson(cpu, flags, kernel, "", ""))));
}

// The fleet of the test above, some of whose runs carry noise profiles (noise.json): a0..a2's
// newest says 30 false alarms in 100 A/A comparisons (a2's older one 0 in 100: the newest
// counts), a3's was measured on other hardware (not its fingerprint: its history counts), and
// b0's says 0 in 100, which holds for its times but not for its instruction counts. The step
// seen on all four AVX-512 machines, hardware-specific when judged by their histories, is now
// judged against the profiles' far higher rates and stays unconfirmed.
TEST_P(StoreTest, FleetVerdictsTakeTheMachinesRatesFromTheirNoiseProfiles) {
  Store s = OpenInit();
  const std::vector<std::string> avx512 = {"avx512f", "avx2", "fma"}, avx2 = {"avx2", "fma"};
  const std::string a_fp = FingerprintOf("Xeon A", avx512, "SkylakeX"),
                    b_fp = FingerprintOf("Epyc B", avx2, "Haswell");
  const auto with_profile = [](RunBundle b, const std::string& profile) {
    b.documents.push_back({"noise.json", profile});
    std::sort(b.documents.begin(), b.documents.end(),
              [](const RunDocument& x, const RunDocument& y) { return x.name < y.name; });
    return b;
  };
  for (int day = 1; day <= 40; ++day) {
    for (int m = 0; m < 4; ++m) {
      const Night n{day, (day >= 21 ? 1300.0 : 1000.0) + (day + m) % 3, 2e6, Commit(day)};
      RunBundle b = NightBundle("a" + std::to_string(m), n, "Xeon A", avx512, "SkylakeX");
      if (day == 40 && m < 3) b = with_profile(b, NoiseJson(a_fp, 30, 100));
      if (day == 40 && m == 3) b = with_profile(b, NoiseJson(b_fp, 30, 100));
      if (day == 10 && m == 2) b = with_profile(b, NoiseJson(a_fp, 0, 100));
      s.ImportRun(b, "", false);
    }
    for (int m = 0; m < 3; ++m) {
      const Night n{day, 1000.0 + (day + m) % 3, m == 0 && day >= 30 ? 2.1e6 : 2e6, Commit(day)};
      RunBundle b = NightBundle("b" + std::to_string(m), n, "Epyc B", avx2, "Haswell");
      if (day == 35 && m == 0) b = with_profile(b, NoiseJson(b_fp, 0, 100));
      s.ImportRun(b, "", false);
    }
  }
  // Every run stays one document richer and its samples unchanged: the profile is no benchmark.
  EXPECT_EQ(s.ExportRun(*s.FindRun("a0", "20270109T030000Z")).Find("noise.json")->content,
            NoiseJson(a_fp, 30, 100));
  EXPECT_EQ(s.DetectChanges().recorded, 5);
  const std::vector<StoredNoiseProfile> stored = s.LatestNoiseProfiles();
  ASSERT_EQ(stored.size(), 5u);  // a0..a3 and b0, each its newest
  EXPECT_EQ(stored[2].machine, "a2");
  EXPECT_EQ(stored[2].run, "20270109T030000Z");

  const double noisy = FalseAlarmBound(30, 100), history = FalseAlarmBound(1, 39);
  for (const FleetChange& f : FleetChanges(s)) {
    SCOPED_TRACE(f.change.machine + " " + f.change.metric);
    if (f.change.metric == "instructions") {
      EXPECT_EQ(f.change.machine, "b0");
      EXPECT_EQ(f.false_alarm.source, FalseAlarmSource::kHistory);
      EXPECT_EQ(f.false_alarm.profile_run, "");
      EXPECT_NEAR(f.false_alarm.rate, history, 1e-12);
      continue;
    }
    const bool a3 = f.change.machine == "a3";
    EXPECT_EQ(f.false_alarm.source,
              a3 ? FalseAlarmSource::kHistory : FalseAlarmSource::kNoiseProfile);
    EXPECT_EQ(f.false_alarm.alarms, a3 ? 1 : 30);
    EXPECT_EQ(f.false_alarm.tested, a3 ? 39 : 100);
    EXPECT_EQ(f.false_alarm.profile_run, a3 ? "" : "20270109T030000Z");
    EXPECT_NEAR(f.false_alarm.rate, a3 ? history : noisy, 1e-12);
    EXPECT_EQ(f.own.k, 4);
    EXPECT_EQ(f.own.n, 4);
    // The other three flagged too, each at its own rate.
    EXPECT_NEAR(f.own.p_value, a3 ? noisy * noisy * noisy : noisy * noisy * history, 1e-12);
    EXPECT_EQ(f.status, FleetStatus::kUnconfirmed);
  }
}

TEST_P(StoreTest, ANoiseProfileDocumentMustBeAProfile) {
  Store s = OpenInit();
  const auto with = [&](const std::string& content) {
    RunBundle b = Bundle("m1", "r1", Commit(1));
    b.documents.push_back({"noise.json", content});
    std::sort(b.documents.begin(), b.documents.end(),
              [](const RunDocument& x, const RunDocument& y) { return x.name < y.name; });
    return b;
  };
  EXPECT_THAT([&] { s.ImportRun(with("{\"benchmarks\": []}")); },
              ::testing::ThrowsMessage<Error>(HasSubstr("noise.json: not a noise profile")));
  EXPECT_THAT([&] { s.ImportRun(with(NoiseJson("fp", 5, 4))); },
              ::testing::ThrowsMessage<Error>(HasSubstr(
                  "noise.json: field 'false_alarms' is 5, must be 0 to 'benchmarks' (4)")));
  EXPECT_TRUE(s.ListRuns().empty());
  EXPECT_TRUE(s.LatestNoiseProfiles().empty());
  EXPECT_TRUE(s.ImportRun(with(NoiseJson("fp", 0, 4))).created);
  ASSERT_EQ(s.LatestNoiseProfiles().size(), 1u);
  EXPECT_EQ(s.LatestNoiseProfiles()[0].content, NoiseJson("fp", 0, 4));
}

TEST_P(StoreTest, LatestValuesAndRunValuesAreOneValuePerRun) {
  Store s = OpenInit();
  std::map<int, int64_t> run_of_day;
  for (const Night& n : SteppedNights())
    run_of_day[n.day] = s.ImportRun(NightBundle("m1", n)).run_id;
  // A newer run of m2 with a time but no count.
  Night other = SteppedNights().back();
  other.instructions = 0;
  s.ImportRun(NightBundle("m2", other));
  const std::vector<LatestValue> times = s.LatestValues("real_time");
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[0].machine, "m1");
  EXPECT_EQ(times[0].benchmark, "BM_S");
  EXPECT_EQ(times[0].run_id, run_of_day.at(12));
  EXPECT_EQ(times[0].commit, Commit(12));
  EXPECT_DOUBLE_EQ(times[0].value, 1312.0);  // the median of 0.99, 1.00 and 1.01 x 1312
  EXPECT_EQ(times[0].repetitions, 3);
  EXPECT_EQ(times[1].machine, "m2");
  const std::vector<LatestValue> counts = s.LatestValues("instructions");
  ASSERT_EQ(counts.size(), 1u);  // m2's run has no count
  EXPECT_DOUBLE_EQ(counts[0].value, 2.1e6);
  EXPECT_TRUE(s.LatestValues("no_such_metric").empty());
  const std::vector<RunValue> values = s.RunValues("BM_S", "m1", "real_time");
  ASSERT_EQ(values.size(), 12u);
  EXPECT_DOUBLE_EQ(values[0].value, 1001.0);
  EXPECT_EQ(values[6].run_id, run_of_day.at(7));
  EXPECT_EQ(values[6].commit, Commit(7));
  EXPECT_EQ(s.ListRunCommits().size(), 13u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values(Backend::kSqlite));
// Only where the wrapper started a cluster: without TT_TEST_POSTGRES_URL these cases do not exist
// (the ctest entry PostgresStore runs them through the wrapper, which fails without PostgreSQL).
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest,
                         ::testing::ValuesIn(perf::testing::PostgresIfStarted()));

// ---- Fleet statistics, pure ----

TEST(FleetTest, HardwareClassIsCpuModelIsaLevelAndBlasKernel) {
  struct Row {
    std::string cpu;
    std::vector<std::string> flags;
    std::string library, kernel, expected;
  };
  const Row rows[] = {
      {"Intel Xeon Gold 6338",
       {"sse4_2", "avx2", "fma", "avx512f"},
       "OpenBLAS",
       "SkylakeX",
       "Intel Xeon Gold 6338 | avx512 | SkylakeX"},
      {"AMD EPYC 7B13", {"sse4_2", "avx2", "fma"}, "OpenBLAS", "Zen", "AMD EPYC 7B13 | avx2 | Zen"},
      {"Old", {"sse4_2", "avx2"}, "OpenBLAS", "Sandybridge", "Old | sse4.2 | Sandybridge"},
      {"Older", {}, "none", "", "Older | baseline | none"},
      {"", {"avx2", "fma"}, "OpenBLAS", "Haswell", "unknown"},
  };
  for (const Row& r : rows) {
    Environment e;
    e.cpu_model = r.cpu;
    e.cpu_flags = r.flags;
    e.blas.library = r.library;
    e.blas.kernel = r.kernel;
    EXPECT_EQ(HardwareClass(e), r.expected) << r.cpu;
  }
}

TEST(FleetTest, PoissonBinomialTailMatchesExactValues) {
  // Exact rational arithmetic (Python's fractions) over the events' outcomes:
  // P(>= 2 of {0.1, 0.2, 0.3}) = 0.092 + 0.006.
  const std::vector<double> p = {0.1, 0.2, 0.3};
  EXPECT_NEAR(PoissonBinomialTail(p, 2), 0.098, 1e-15);
  EXPECT_NEAR(PoissonBinomialTail(p, 1), 1 - 0.9 * 0.8 * 0.7, 1e-15);
  EXPECT_NEAR(PoissonBinomialTail(p, 3), 0.006, 1e-15);
  EXPECT_EQ(PoissonBinomialTail(p, 0), 1.0);
  EXPECT_EQ(PoissonBinomialTail(p, 4), 0.0);
  EXPECT_EQ(PoissonBinomialTail({}, 0), 1.0);
  // Equal rates are the binomial: scipy.stats.binom.sf(2, 20, 0.01) = 0.0010035761681001169.
  const std::vector<double> equal(20, 0.01);
  EXPECT_NEAR(PoissonBinomialTail(equal, 3), 0.0010035761681001169, 1e-15);
  EXPECT_NEAR(PoissonBinomialTail(equal, 3), 1 - BinomialCdf(2, 20, 0.01), 1e-12);
  EXPECT_THROW(PoissonBinomialTail(std::vector<double>{1.5}, 1), Error);
}

TEST(FleetTest, FalseAlarmBoundIsWilsonsUpperEnd) {
  // z²/(n + z²) for no alarm in 100, z = 1.959963984540054.
  EXPECT_NEAR(FalseAlarmBound(0, 100), 0.03699349820698568, 1e-12);
  EXPECT_NEAR(FalseAlarmBound(1, 39), 0.13180990169850076, 1e-12);
  EXPECT_EQ(FalseAlarmBound(0, 0), 1.0);
}

TEST(FleetTest, JudgeChangeConfirmsOnlyAgreementBeyondNoise) {
  ClassEvidence own;
  std::vector<ClassEvidence> others;
  // Alone in its class: nothing can agree.
  EXPECT_EQ(JudgeChange({"A", {}, 0}, {}, own, others), FleetStatus::kUnconfirmed);
  EXPECT_EQ(own.n, 1);
  EXPECT_EQ(own.k, 1);
  // 2 of the 3 others flag at 1% each: P = 3 * 0.01² * 0.99 + 0.01³ = 2.98e-4 < 0.01.
  const ClassRates agree{"A", {0.01, 0.01, 0.01}, 2};
  EXPECT_EQ(JudgeChange(agree, {}, own, others), FleetStatus::kConfirmed);
  EXPECT_EQ(own.k, 3);
  EXPECT_EQ(own.n, 4);
  EXPECT_NEAR(own.p_value, 2.98e-4, 1e-15);
  // Another class measured it and stayed flat: hardware-specific.
  EXPECT_EQ(JudgeChange(agree, {{"B", {0.01, 0.01}, 0}}, own, others),
            FleetStatus::kHardwareSpecific);
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0].n, 2);
  EXPECT_EQ(others[0].p_value, 1.0);
  // ... or flagged it too, beyond its noise: fleet-wide, confirmed.
  EXPECT_EQ(JudgeChange(agree, {{"B", {0.01, 0.01}, 2}}, own, others), FleetStatus::kConfirmed);
  // One other class member of two flags, at noisy 20% rates: P = 1 - 0.8² = 0.36, noise.
  EXPECT_EQ(JudgeChange({"A", {0.2, 0.2}, 1}, {}, own, others), FleetStatus::kUnconfirmed);
  EXPECT_NEAR(own.p_value, 0.36, 1e-15);
}

// ---- Input checked before any database is touched ----

TEST(StoreUrlTest, AnUnknownUrlIsRefusedWithoutEchoingItsSecrets) {
  for (const std::string url : {"mysql://user:secret@host/db", "", "sqlite:", "postgresq://x",
                                "validation_results/perf.db"}) {
    try {
      Store::Open(url);
      ADD_FAILURE() << url << " was accepted";
    } catch (const StoreError& e) {
      ADD_FAILURE() << url
                    << ": a bad URL is the user's input, not a database failure: " << e.what();
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("sqlite:PATH")) << url;
      EXPECT_THAT(e.what(), Not(HasSubstr("secret")));
    }
  }
  EXPECT_THROW(Store::Open("sqlite:/nonexistent-dir/x/perf.db"), StoreError);
}

TEST(RunBundleTest, JsonRoundTripAndHostileNames) {
  const RunBundle b = Bundle("m1", "r1", Commit(1));
  const RunBundle back = RunBundle::FromJson(nlohmann::json::parse(b.ToJson().dump()), "bundle");
  ASSERT_EQ(back.documents.size(), b.documents.size());
  EXPECT_EQ(back.ContentHash(), b.ContentHash());
  for (const char* name : {"../x.json", "bench/../../x.json", "/etc/x.json", "other/x.json",
                           ".hidden.json", "bench/.json", "x.txt", "bench/sub/x.json"}) {
    nlohmann::json j = b.ToJson();
    j["documents"][0]["name"] = name;
    EXPECT_THAT([&] { RunBundle::FromJson(j, "bundle"); },
                ::testing::ThrowsMessage<Error>(HasSubstr("documents[0].name")))
        << name;
  }
  nlohmann::json unsorted = b.ToJson();
  std::swap(unsorted["documents"][0], unsorted["documents"][1]);
  EXPECT_THAT([&] { RunBundle::FromJson(unsorted, "bundle"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("sorted")));
  nlohmann::json newer = b.ToJson();
  newer["schema_version"] = 2;
  EXPECT_THAT([&] { RunBundle::FromJson(newer, "bundle"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("schema_version 2")));
  nlohmann::json machine = b.ToJson();
  machine["machine"] = 7;
  EXPECT_THAT([&] { RunBundle::FromJson(machine, "bundle"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("field 'machine' must be a string")));
  RunBundle changed = b;
  changed.documents[0].content += " ";
  EXPECT_NE(changed.ContentHash(), b.ContentHash());
}

}  // namespace
}  // namespace perf::store
