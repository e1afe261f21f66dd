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
#include "perf_framework/suite.h"
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
  std::string bad_unit = kBenchJson;
  bad_unit.replace(bad_unit.find("\"us\""), 4, "\"ps\"");
  EXPECT_THAT([&] { s.ImportRun(with("bench/matmul_bench.1.json", bad_unit)); },
              ::testing::ThrowsMessage<Error>(
                  HasSubstr("bench/matmul_bench.1.json: benchmarks[0]: field 'time_unit'")));
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

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values(Backend::kSqlite));
// Only where the wrapper started a cluster: without TT_TEST_POSTGRES_URL these cases do not exist
// (the ctest entry PostgresStore runs them through the wrapper, which fails without PostgreSQL).
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest,
                         ::testing::ValuesIn(perf::testing::PostgresIfStarted()));

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
