// The results store: every run of every machine in one database, SQLite (one machine, the
// default validation_results/perf.db) or PostgreSQL (a fleet behind `tinyperf serve`), with one
// schema and the same queries on both. The schema and its migrations live in src/schema.cc; the
// two backends differ only in how a statement reaches the database (src/sqlite_database.cc,
// src/postgres_database.cc).
//
// Tables: schema_migrations; machines (name, fingerprint, latest full environment JSON);
// commits; benchmarks; claims; metrics; runs (machine, commit, idempotency key, content hash,
// environment); run_documents (each imported file verbatim); verdicts (PASS/PARTIAL/FAIL/ERROR
// per claim and run); samples (append-only: one row per repetition and metric, never updated);
// changes (detected changes); tokens (SHA-256 of each machine token, never the token).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "perf_framework/error.h"
#include "perf_store/run_bundle.h"

namespace perf::store {

// The database failed: unreachable, down, busy beyond the timeout, a disk error, or a schema this
// build cannot use. Not the caller's input: worth retrying later (the server answers 503).
// Invalid input (a malformed bundle, an unknown run) is perf::Error.
class StoreError : public perf::Error {
 public:
  using perf::Error::Error;
};

// ImportRun's idempotency key already names another run of this machine with other content: a
// retry must resend the same bundle, and answering with the earlier run would silently drop this
// one. Nothing is stored (the server answers 409).
class KeyReused : public perf::Error {
 public:
  using perf::Error::Error;
};

// The newest schema version this build knows (the number of migrations).
int SchemaVersion();

// What a change detection did (Store::DetectChanges, and ImportRun's).
struct DetectResult {
  int series = 0;    // (machine, benchmark, metric) series searched
  int found = 0;     // change points found in them
  int recorded = 0;  // of those, the ones not recorded before: recorded now
};

struct ImportResult {
  int64_t run_id = 0;
  bool created = false;   // false: this key or this content was stored before (run_id is that run)
  DetectResult detected;  // the detection over the run's series (all zero without detection)
};

struct MachineInfo {
  std::string name;
  std::string fingerprint;       // perf::MachineFingerprint of its latest environment; "" if none
  std::string environment_json;  // the most recently imported run's environment; "{}" before one
  std::string first_seen_utc, last_seen_utc;
  int64_t runs = 0;
};

struct RunInfo {
  int64_t id = 0;
  std::string machine;
  std::string run;     // the run folder's name
  std::string commit;  // 40-hex git commit, "" when unknown
  std::string started_utc, imported_utc;
  std::string idempotency_key, content_sha256;
  int pass = 0, partial = 0, fail = 0, error = 0;  // claim verdicts
  int64_t samples = 0;
};

struct RunQuery {
  std::string machine;  // "" for every machine
  int limit = 100;      // newest first
};

// One claim's verdict in one run (results.json's claims, normalised).
struct VerdictInfo {
  std::string module, claim;  // the claim's key: "module_17_acceleration", "blocked_over_reordered"
  std::string kind;           // "contract", "published_claim", "target"
  std::string verdict;        // "PASS", "PARTIAL", "FAIL", "ERROR"
  double value = 0, low = 0, high = 0;  // NaN when not measured / no interval
  std::string unit, reason;
};

// One repetition of one benchmark's metric in one run.
struct SeriesPoint {
  int64_t run_id = 0;
  std::string run, commit, started_utc;
  std::string document;  // the file it came from: "bench/matmul_bench.2.json"
  int repetition = 0;    // Google Benchmark's repetition_index
  double value = 0;      // real_time/cpu_time in ns; counters in their own unit
};

// A detected change of one benchmark's metric on one machine, first seen in run `run_id`.
struct Change {
  int64_t id = 0;  // assigned by RecordChange
  std::string machine, benchmark, metric;
  int64_t run_id = 0;
  std::string commit;        // of that run ("" unknown); filled in by ListChanges
  std::string detected_utc;  // filled in by RecordChange when empty
  double ratio = 0;          // current / before (> 1: slower for times)
  double low = 0, high = 0;  // its interval
  std::string direction;     // "regression" or "improvement"
  std::string details_json = "{}";
};

// One machine's latest value of one benchmark's metric: the median of the repetitions (of its
// bench/ documents when it has any) in the machine's newest run that measured the metric.
struct LatestValue {
  std::string machine, benchmark;
  int64_t run_id = 0;
  std::string run, commit, started_utc;
  double value = 0;
  int repetitions = 0;  // the samples the median is of
};

// One run's value of one benchmark's metric on one machine, as change detection sees it: the
// median of its repetitions (of its bench/ documents when it has any).
struct RunValue {
  int64_t run_id = 0;
  std::string run, commit, started_utc;
  double value = 0;
};

// A run's machine and commit ("" unknown), oldest first per machine.
struct RunCommit {
  std::string machine;
  int64_t run_id = 0;
  std::string commit;
};

// The noise profile a machine's newest run carrying one holds (its noise.json document, checked
// as a profile when it was imported).
struct StoredNoiseProfile {
  std::string machine;
  int64_t run_id = 0;
  std::string run;
  std::string content;  // the document, verbatim
};

class Database;  // one backend's connection (src/database.h)

class Store {
 public:
  // url: "sqlite:PATH" (the file is created on first use; WAL mode, 10 s busy timeout) or
  // "postgresql://..." / "postgres://..." (a libpq connection URI). Throws perf::Error on a URL of
  // any other form ("--db 'mysql://x': expected sqlite:PATH or postgresql://..."), StoreError when
  // the database cannot be opened or its schema is newer than this build's.
  static Store Open(const std::string& url);
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  // Applies every migration not yet applied, each in its own transaction; a no-op on a current
  // schema. Returns the schema version afterwards. Every other call throws StoreError ("run
  // tinyperf db init") until the schema is current.
  int Init();
  int Version();  // the applied schema version, 0 for an empty database

  // Stores `bundle` once: in one transaction, the run, its documents verbatim and the normalised
  // rows. When a run of bundle.machine with this idempotency key, or a run with this content hash,
  // is already stored, nothing is written and created is false (keys are per machine: 1 to 200
  // printable ASCII characters). An empty key means "sha256:" + ContentHash(). Safe to call
  // concurrently from threads or processes holding their own Store (and from threads sharing one:
  // calls on one Store are serialised). Throws perf::Error naming the document and field on
  // malformed documents (nothing is stored then), StoreError on a database failure.
  // With `detect`, the run's machine's series of every benchmark the run measured are then
  // searched for changes (DetectChanges, in a transaction of its own after the run's: a detection
  // that fails leaves the run stored, and a retry of the import detects again).
  ImportResult ImportRun(const RunBundle& bundle, const std::string& idempotency_key = "",
                         bool detect = true);
  // The run as imported (documents byte-identical). Throws perf::Error for an unknown id.
  RunBundle ExportRun(int64_t run_id);
  // The newest run of `machine` (any machine when "") whose folder name is `run`.
  std::optional<int64_t> FindRun(const std::string& machine, const std::string& run);

  // A new token for `machine` (created if unknown): 64 hex digits from the kernel's random pool.
  // Only its SHA-256 is stored; the token itself is returned once and never again.
  std::string AddToken(const std::string& machine);
  // The machine a live (not revoked) token belongs to; nullopt for an unknown or revoked token.
  std::optional<std::string> MachineForToken(const std::string& token);
  // Revokes every token of `machine`; returns how many were live.
  int RevokeTokens(const std::string& machine);

  std::vector<MachineInfo> ListMachines();
  std::vector<RunInfo> ListRuns(const RunQuery& query = {});
  // Every repetition of `benchmark` (Google Benchmark run_name) and `metric` ("real_time",
  // "cpu_time", "instructions", ...) on `machine`, oldest run first.
  std::vector<SeriesPoint> Series(const std::string& benchmark, const std::string& machine,
                                  const std::string& metric);
  // The same series as one value per run, oldest first (what DetectChanges searches).
  std::vector<RunValue> RunValues(const std::string& benchmark, const std::string& machine,
                                  const std::string& metric);
  // Every claim's verdict in run `run_id`, by module and claim (empty for an unknown run).
  std::vector<VerdictInfo> ListVerdicts(int64_t run_id);
  // The benchmark names with samples on `machine` (every machine when ""), sorted.
  std::vector<std::string> ListBenchmarks(const std::string& machine = "");
  // For every machine, the values of `metric` in its newest run that has any: the dashboard's
  // matrix in one query (index lookups per machine, then that run's samples), by machine then
  // benchmark. A benchmark its newest run did not measure is absent.
  std::vector<LatestValue> LatestValues(const std::string& metric);
  // Every run's machine and commit: which commits each machine measured.
  std::vector<RunCommit> ListRunCommits();
  // For every machine whose runs carry a noise profile, its newest run's (by start time), by
  // machine. One document per machine is read, however many runs carry one.
  std::vector<StoredNoiseProfile> LatestNoiseProfiles();
  int64_t RecordChange(const Change& change);
  // The per-machine change detection of `tinyperf history` over the stored series of `machine`
  // (every machine when ""): per run the median of its repetitions (its bench/ documents' when it
  // has any), then for real_time FindChangePoints (a shift of more than 10% that holds,
  // Mann-Whitney p < 0.01) and for instructions CountSteps (every step beyond 1%: counts are
  // exact). Each change found is recorded once, keyed by (machine, benchmark, metric, run): a
  // change recorded before is not recorded again, and one recorded stays recorded even when more
  // runs later move or dissolve it (the table says what was reported, and when). Safe to run
  // concurrently with imports and other detections: a machine's detections take turns.
  DetectResult DetectChanges(const std::string& machine = "");
  std::vector<Change> ListChanges(const std::string& machine = "");

 private:
  friend class OlympicsStore;  // the Olympics' tables (olympics_store.h), on this connection
  explicit Store(std::unique_ptr<Database> db);
  std::unique_ptr<Database> db_;
};

}  // namespace perf::store
