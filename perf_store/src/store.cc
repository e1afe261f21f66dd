// The store's operations, written once over Database: the same SQL runs on SQLite and
// PostgreSQL. Every value is a statement parameter; only table and column names from this file
// are ever part of a statement's text.
#include "perf_store/store.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "change_detection.h"
#include "database.h"
#include "idempotency.h"
#include "normalise.h"
#include "perf_framework/environment.h"
#include "perf_framework/statistics.h"
#include "schema.h"
#include "sha256.h"

namespace perf::store {

// ---- Value access (database.h) ----

int64_t AsInt(const Value& v) {
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  throw StoreError("store: expected an integer column");
}

double AsDouble(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return std::nan("");
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  throw StoreError("store: expected a number column");
}

std::string AsText(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return "";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  throw StoreError("store: expected a text column");
}

std::optional<int64_t> AsOptionalInt(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return std::nullopt;
  return AsInt(v);
}

void Database::Rollback() noexcept {
  try {
    Exec("ROLLBACK");
  } catch (const std::exception&) {
    // The connection is gone or the transaction was already over; nothing to undo then.
  }
}

namespace {

constexpr int kMaxImportAttempts = 5;
constexpr size_t kBatchRows = 500;

Param Nullable(double d) { return std::isnan(d) ? Param(nullptr) : Param(d); }

struct Column {
  const char* name;
  Param value;
};

// The id of the row of `table` whose `key` columns hold these values, inserted (with `extra`)
// if missing. Concurrent inserters of one row: the loser's INSERT does nothing (PostgreSQL: after
// waiting for the winner to commit) and its SELECT finds the winner's row.
int64_t IdOf(Database& db, const std::string& table, const std::vector<Column>& key,
             const std::vector<Column>& extra = {}) {
  std::string columns, placeholders, where;
  std::vector<Param> params, key_params;
  for (const auto* part : {&key, &extra}) {
    for (const Column& c : *part) {
      params.push_back(c.value);
      const std::string p = "$" + std::to_string(params.size());
      columns += (columns.empty() ? "" : ", ") + std::string(c.name);
      placeholders += (placeholders.empty() ? "" : ", ") + p;
      if (part == &key) {
        where += (where.empty() ? "" : " AND ") + std::string(c.name) + " = " + p;
        key_params.push_back(c.value);
      }
    }
  }
  db.Query("INSERT INTO " + table + " (" + columns + ") VALUES (" + placeholders +
               ") ON CONFLICT DO NOTHING",
           params);
  const auto rows = db.Query("SELECT id FROM " + table + " WHERE " + where, key_params);
  if (rows.empty()) throw StoreError("store: a " + table + " row vanished after its insertion");
  return AsInt(rows[0][0]);
}

int64_t MachineId(Database& db, const std::string& name, const std::string& now) {
  return IdOf(db, "machines", {{"name", name}},
              {{"fingerprint", std::string()},
               {"environment", std::string("{}")},
               {"first_seen_utc", now},
               {"last_seen_utc", now}});
}

}  // namespace

// Every call but Init and Version needs the schema this build knows; checked once per Store.
void RequireCurrent(Database& db) {
  db.EnsureConnected();
  if (db.schema_current) return;
  const int version =
      db.HasTable("schema_migrations")
          ? static_cast<int>(
                AsOptionalInt(
                    db.Query("SELECT MAX(version) FROM schema_migrations", {}).at(0).at(0))
                    .value_or(0))
          : 0;
  if (version < SchemaVersion()) {
    throw StoreError("database schema version " + std::to_string(version) +
                     ", this tinyperf needs " + std::to_string(SchemaVersion()) +
                     ": run `tinyperf db init --db URL` first");
  }
  if (version > SchemaVersion()) {
    throw StoreError("database schema version " + std::to_string(version) +
                     " is newer than this tinyperf's " + std::to_string(SchemaVersion()));
  }
  db.schema_current = true;
}

namespace {

// INSERT INTO <head> VALUES (...), (...) for `flat` (rows of `width` values each), in
// statements of at most kBatchRows rows: one round trip per batch, not per sample.
void InsertRows(Database& db, const std::string& head, size_t width, std::vector<Param> flat) {
  const size_t rows = flat.size() / width;
  for (size_t first = 0; first < rows; first += kBatchRows) {
    const size_t n = std::min(kBatchRows, rows - first);
    std::string sql = "INSERT INTO " + head + " VALUES ";
    int p = 1;
    for (size_t r = 0; r < n; ++r) {
      sql += r ? ", (" : "(";
      for (size_t c = 0; c < width; ++c) sql += (c ? ", $" : "$") + std::to_string(p++);
      sql += ")";
    }
    db.Query(sql, std::vector<Param>(std::make_move_iterator(flat.begin() + first * width),
                                     std::make_move_iterator(flat.begin() + (first + n) * width)));
  }
}

// Keys are per machine (one machine's client cannot claim another's key); the content hash
// covers the machine name, so it is unique across all of them. Throws KeyReused when the key
// names a run of other content.
std::optional<int64_t> ExistingRun(Database& db, const std::string& machine, const std::string& key,
                                   const std::string& hash) {
  const auto rows = db.Query(
      "SELECT r.id, r.content_sha256, m.name, r.idempotency_key FROM runs r JOIN machines m ON "
      "m.id = r.machine_id WHERE (m.name = $1 AND r.idempotency_key = $2) OR r.content_sha256 = "
      "$3 ORDER BY r.id",
      {machine, key, hash});
  for (const Row& r : rows) {
    if (AsText(r[2]) == machine && AsText(r[3]) == key && AsText(r[1]) != hash) {
      throw KeyReused("idempotency key '" + key + "' of machine '" + machine + "' names run " +
                      std::to_string(AsInt(r[0])) + ", whose content differs from this bundle's");
    }
  }
  if (rows.empty()) return std::nullopt;
  return AsInt(rows[0][0]);
}

// One read statement under the Store's lock, on the current schema.
std::vector<Row> LockedQuery(Database& db, const std::string& sql,
                             const std::vector<Param>& params) {
  std::lock_guard lock(db.mutex);
  RequireCurrent(db);
  return db.Query(sql, params);
}

// One attempt at ImportRun's transaction. Dimension rows are inserted table by table, each in
// sorted order, so two concurrent imports lock rows in the same order and cannot deadlock.
ImportResult ImportOnce(Database& db, const RunBundle& bundle, const NormalisedRun& n,
                        const std::string& key, const std::string& hash) {
  Transaction t(db);
  if (const auto id = ExistingRun(db, bundle.machine, key, hash)) return {*id, false, {}};
  const std::string now = UtcNow();
  const int64_t machine = MachineId(db, bundle.machine, now);
  if (n.environment_json != "{}") {
    db.Query(
        "UPDATE machines SET fingerprint = $1, environment = $2, last_seen_utc = $3 WHERE id = $4",
        {n.fingerprint, n.environment_json, now, machine});
  } else {
    db.Query("UPDATE machines SET last_seen_utc = $1 WHERE id = $2", {now, machine});
  }
  const Param commit =
      n.commit.empty() ? Param(nullptr) : Param(IdOf(db, "commits", {{"sha", n.commit}}));
  const auto inserted = db.Query(
      "INSERT INTO runs (machine_id, commit_id, name, idempotency_key, content_sha256, "
      "started_utc, imported_utc, environment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT DO NOTHING RETURNING id",
      {machine, commit, bundle.run, key, hash, n.started_utc.empty() ? now : n.started_utc, now,
       n.environment_json});
  if (inserted.empty()) {
    // A concurrent import of this key or content committed first; READ COMMITTED lets this
    // statement see it.
    if (const auto id = ExistingRun(db, bundle.machine, key, hash)) return {*id, false, {}};
    throw RetryableError("store: run conflicted but is not visible yet");
  }
  const int64_t run = AsInt(inserted[0][0]);
  for (const RunDocument& d : bundle.documents) {
    db.Query("INSERT INTO run_documents (run_id, name, sha256, content) VALUES ($1, $2, $3, $4)",
             {run, d.name, Sha256Hex(d.content), Blob{d.content}});
  }

  std::set<std::pair<std::string, std::string>> claim_keys;
  for (const NormalisedVerdict& v : n.verdicts) claim_keys.emplace(v.module, v.claim);
  std::map<std::pair<std::string, std::string>, int64_t> claims;
  for (const auto& [module, name] : claim_keys) {
    claims[{module, name}] = IdOf(db, "claims", {{"module", module}, {"name", name}});
  }
  std::vector<Param> verdicts;
  for (const NormalisedVerdict& v : n.verdicts) {
    for (Param p :
         {Param(run), Param(claims.at({v.module, v.claim})), Param(v.kind), Param(v.verdict),
          Nullable(v.value), Nullable(v.low), Nullable(v.high), Param(v.unit), Param(v.reason)}) {
      verdicts.push_back(std::move(p));
    }
  }
  InsertRows(db, "verdicts (run_id, claim_id, kind, verdict, value, low, high, unit, reason)", 9,
             std::move(verdicts));

  std::set<std::string> benchmark_names;
  std::map<std::string, std::string> metric_units;
  for (const NormalisedSample& s : n.samples) {
    benchmark_names.insert(s.benchmark);
    metric_units.emplace(s.metric, s.unit);
  }
  std::map<std::string, int64_t> benchmarks, metrics;
  for (const std::string& b : benchmark_names)
    benchmarks[b] = IdOf(db, "benchmarks", {{"name", b}});
  for (const auto& [m, unit] : metric_units) {
    metrics[m] = IdOf(db, "metrics", {{"name", m}}, {{"unit", unit}});
  }
  std::vector<Param> samples;
  samples.reserve(n.samples.size() * 6);
  for (const NormalisedSample& s : n.samples) {
    for (Param p : {Param(run), Param(benchmarks.at(s.benchmark)), Param(metrics.at(s.metric)),
                    Param(s.document), Param(s.repetition), Param(s.value)}) {
      samples.push_back(std::move(p));
    }
  }
  InsertRows(db, "samples (run_id, benchmark_id, metric_id, document, repetition, value)", 6,
             std::move(samples));
  t.Commit();
  return {run, true, {}};
}

int64_t InsertChange(Database& db, int64_t machine, int64_t benchmark, int64_t metric,
                     const Change& c) {
  const auto rows = db.Query(
      "INSERT INTO changes (machine_id, benchmark_id, metric_id, run_id, detected_utc, direction, "
      "ratio, low, high, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
      {machine, benchmark, metric, c.run_id, c.detected_utc.empty() ? UtcNow() : c.detected_utc,
       c.direction, c.ratio, Nullable(c.low), Nullable(c.high), c.details_json});
  return AsInt(rows.at(0).at(0));
}

// A detected change as the changes table holds it: after / before, "regression" when it grew
// (times and instruction counts are better smaller); an exact count's interval is the ratio
// itself, a time's is left empty (the test is Mann-Whitney's, whose p the details keep).
Change ToChange(const DetectedChange& d, bool exact) {
  const ChangePoint& p = d.point;
  Change c;
  c.run_id = d.run_id;
  c.ratio = p.after_median / p.before_median;
  c.low = exact ? c.ratio : kNaN;
  c.high = exact ? c.ratio : kNaN;
  c.direction = c.ratio > 1 ? "regression" : "improvement";
  nlohmann::json details = {
      {"rule", exact ? "count step beyond 1%" : "median shift beyond 10%, Mann-Whitney p < 0.01"},
      {"before", p.before_median},
      {"after", p.after_median},
      {"change_pct", p.change_pct},
      {"p_value", std::isfinite(p.p_value) ? nlohmann::json(p.p_value) : nlohmann::json()},
      {"runs", d.runs}};
  c.details_json = details.dump();
  return c;
}

// One machine's series of one metric searched in one transaction (of the benchmarks run `only_run`
// measured, when given). The machine's row is locked first by an UPDATE that changes nothing, so
// two detections of one machine on PostgreSQL take turns, and the second (READ COMMITTED) sees the
// changes the first recorded; SQLite's BEGIN IMMEDIATE makes every writer take turns anyway.
DetectResult DetectOnce(Database& db, int64_t machine, const DetectedMetric& metric,
                        std::optional<int64_t> only_run) {
  DetectResult result;
  Transaction t(db);
  db.Query("UPDATE machines SET last_seen_utc = last_seen_utc WHERE id = $1", {machine});
  const auto metric_rows =
      db.Query("SELECT id FROM metrics WHERE name = $1", {std::string(metric.name)});
  if (metric_rows.empty()) return result;  // nothing of this metric stored yet
  const int64_t metric_id = AsInt(metric_rows[0][0]);
  std::string sql =
      "SELECT s.benchmark_id, s.run_id, s.document, s.value FROM samples s JOIN runs r ON r.id = "
      "s.run_id WHERE r.machine_id = $1 AND s.metric_id = $2";
  std::vector<Param> params = {machine, metric_id};
  if (only_run) {
    sql +=
        " AND s.benchmark_id IN (SELECT benchmark_id FROM samples WHERE run_id = $3 AND "
        "metric_id = $2)";
    params.push_back(*only_run);
  }
  sql += " ORDER BY s.benchmark_id, r.started_utc, r.id, s.document, s.repetition";
  const auto rows = db.Query(sql, params);
  std::set<std::pair<int64_t, int64_t>> recorded;  // (benchmark, run)
  for (const Row& r :
       db.Query("SELECT benchmark_id, run_id FROM changes WHERE machine_id = $1 AND metric_id = $2",
                {machine, metric_id})) {
    recorded.emplace(AsInt(r[0]), AsInt(r[1]));
  }
  for (size_t first = 0; first < rows.size();) {
    const int64_t benchmark = AsInt(rows[first][0]);
    std::vector<RunSample> series;
    size_t end = first;
    for (; end < rows.size() && AsInt(rows[end][0]) == benchmark; ++end) {
      series.push_back({AsInt(rows[end][1]), AsText(rows[end][2]), AsDouble(rows[end][3])});
    }
    first = end;
    ++result.series;
    for (const DetectedChange& d : DetectInSeries(series, metric.exact)) {
      ++result.found;
      if (!recorded.emplace(benchmark, d.run_id).second) continue;
      InsertChange(db, machine, benchmark, metric_id, ToChange(d, metric.exact));
      ++result.recorded;
    }
  }
  t.Commit();
  return result;
}

// DetectOnce for every detected metric of the machines named (all when ""), under the caller's
// lock on a current schema.
DetectResult Detect(Database& db, const std::string& machine, std::optional<int64_t> only_run) {
  DetectResult total;
  for (const Row& m :
       db.Query("SELECT id FROM machines WHERE ($1 = '' OR name = $1) ORDER BY id", {machine})) {
    for (const DetectedMetric& metric : kDetectedMetrics) {
      for (int attempt = 1;; ++attempt) {
        try {
          const DetectResult r = DetectOnce(db, AsInt(m[0]), metric, only_run);
          total.series += r.series;
          total.found += r.found;
          total.recorded += r.recorded;
          break;
        } catch (const RetryableError&) {
          if (attempt == kMaxImportAttempts) throw;
        }
      }
    }
  }
  return total;
}

}  // namespace

int SchemaVersion() { return static_cast<int>(Migrations().size()); }

Store::Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::Open(const std::string& url) {
  std::unique_ptr<Database> db;
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    PERF_CHECK(!path.empty(), "database URL 'sqlite:' names no file: expected sqlite:PATH");
    db = OpenSqlite(path);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    db = OpenPostgres(url);
  } else {
    // Only the scheme is echoed: the rest of a URL may hold a password.
    detail::Throw("database URL '", url.substr(0, std::min<size_t>(url.find(':'), 32)),
                  url.find(':') != std::string::npos ? ":...'" : "'",
                  ": expected sqlite:PATH or postgresql://[USER@]HOST[:PORT]/DATABASE");
  }
  Store store(std::move(db));
  const int version = store.Version();
  if (version > SchemaVersion()) {
    throw StoreError("database schema version " + std::to_string(version) +
                     " is newer than this tinyperf's " + std::to_string(SchemaVersion()) +
                     ": a newer tinyperf migrated it; use that one (this one would misread it)");
  }
  return store;
}

int Store::Version() {
  std::lock_guard lock(db_->mutex);
  db_->EnsureConnected();
  if (!db_->HasTable("schema_migrations")) return 0;
  const auto rows = db_->Query("SELECT MAX(version) FROM schema_migrations", {});
  return static_cast<int>(AsOptionalInt(rows.at(0).at(0)).value_or(0));
}

int Store::Init() {
  {
    std::lock_guard lock(db_->mutex);
    db_->EnsureConnected();
    for (const Migration& m : Migrations()) {
      Transaction t(*db_);
      db_->LockForMigration();
      db_->Exec(kMigrationsTable);
      const auto rows = db_->Query("SELECT MAX(version) FROM schema_migrations", {});
      const int64_t applied = AsOptionalInt(rows.at(0).at(0)).value_or(0);
      if (applied > SchemaVersion()) {
        throw StoreError("database schema version " + std::to_string(applied) +
                         " is newer than this tinyperf's " + std::to_string(SchemaVersion()) +
                         ": not migrating it");
      }
      if (applied >= m.version) continue;
      db_->Exec(db_->dialect().Expand(m.ddl));
      db_->Query("INSERT INTO schema_migrations (version, name, applied_utc) VALUES ($1, $2, $3)",
                 {int64_t{m.version}, std::string(m.name), UtcNow()});
      t.Commit();
    }
  }
  return Version();
}

ImportResult Store::ImportRun(const RunBundle& bundle, const std::string& idempotency_key,
                              bool detect) {
  CheckBundle(bundle, "run bundle");
  const NormalisedRun normalised = Normalise(bundle);  // before any write: bad input stores nothing
  const std::string hash = bundle.ContentHash();
  const std::string key = IdempotencyKeyOr(idempotency_key, hash);
  std::lock_guard lock(db_->mutex);
  RequireCurrent(*db_);
  ImportResult result;
  for (int attempt = 1;; ++attempt) {
    try {
      result = ImportOnce(*db_, bundle, normalised, key, hash);
      break;
    } catch (const RetryableError&) {
      if (attempt == kMaxImportAttempts) throw;
    }
  }
  // Also when the run was stored before: a retry after a detection that failed detects again.
  if (detect) result.detected = Detect(*db_, bundle.machine, result.run_id);
  return result;
}

DetectResult Store::DetectChanges(const std::string& machine) {
  std::lock_guard lock(db_->mutex);
  RequireCurrent(*db_);
  return Detect(*db_, machine, std::nullopt);
}

RunBundle Store::ExportRun(int64_t run_id) {
  std::lock_guard lock(db_->mutex);
  RequireCurrent(*db_);
  const auto run = db_->Query(
      "SELECT m.name, r.name FROM runs r JOIN machines m ON m.id = r.machine_id WHERE r.id = $1",
      {run_id});
  PERF_CHECK(!run.empty(), "no run with id ", run_id, " in the store");
  RunBundle b{AsText(run[0][0]), AsText(run[0][1]), {}};
  for (const Row& d : db_->Query(
           "SELECT name, content FROM run_documents WHERE run_id = $1 ORDER BY name", {run_id})) {
    b.documents.push_back({AsText(d[0]), AsText(d[1])});
  }
  // Byte order, as CheckBundle wants it (a database collation may sort otherwise).
  std::sort(b.documents.begin(), b.documents.end(),
            [](const RunDocument& x, const RunDocument& y) { return x.name < y.name; });
  return b;
}

std::optional<int64_t> Store::FindRun(const std::string& machine, const std::string& run) {
  const auto rows = LockedQuery(*db_,
                                "SELECT r.id FROM runs r JOIN machines m ON m.id = r.machine_id "
                                "WHERE r.name = $1 AND ($2 = '' OR m.name = $2) ORDER BY "
                                "r.imported_utc DESC, r.id DESC LIMIT 1",
                                {run, machine});
  if (rows.empty()) return std::nullopt;
  return AsInt(rows[0][0]);
}

std::string Store::AddToken(const std::string& machine) {
  CheckName(machine, "machine");
  std::lock_guard lock(db_->mutex);
  RequireCurrent(*db_);
  const std::string token = RandomHex(32);
  Transaction t(*db_);
  const std::string now = UtcNow();
  const int64_t id = MachineId(*db_, machine, now);
  db_->Query("INSERT INTO tokens (machine_id, token_sha256, created_utc) VALUES ($1, $2, $3)",
             {id, Sha256Hex(token), now});
  t.Commit();
  return token;
}

std::optional<std::string> Store::MachineForToken(const std::string& token) {
  if (!IsIssuedToken(token)) return std::nullopt;  // not one of ours: no need to ask the database
  const auto rows =
      LockedQuery(*db_,
                  "SELECT m.name FROM tokens t JOIN machines m ON m.id = t.machine_id "
                  "WHERE t.token_sha256 = $1 AND t.revoked_utc IS NULL",
                  {Sha256Hex(token)});
  if (rows.empty()) return std::nullopt;
  return AsText(rows[0][0]);
}

int Store::RevokeTokens(const std::string& machine) {
  return static_cast<int>(
      LockedQuery(*db_,
                  "UPDATE tokens SET revoked_utc = $1 WHERE revoked_utc IS NULL AND machine_id IN "
                  "(SELECT id FROM machines WHERE name = $2) RETURNING id",
                  {UtcNow(), machine})
          .size());
}

std::vector<MachineInfo> Store::ListMachines() {
  std::vector<MachineInfo> out;
  for (const Row& r : LockedQuery(
           *db_,
           "SELECT m.name, m.fingerprint, m.environment, m.first_seen_utc, m.last_seen_utc, "
           "(SELECT COUNT(*) FROM runs r WHERE r.machine_id = m.id) FROM machines m ORDER BY "
           "m.name",
           {})) {
    out.push_back(
        {AsText(r[0]), AsText(r[1]), AsText(r[2]), AsText(r[3]), AsText(r[4]), AsInt(r[5])});
  }
  return out;
}

std::vector<RunInfo> Store::ListRuns(const RunQuery& query) {
  std::vector<RunInfo> out;
  for (const Row& r : LockedQuery(
           *db_,
           "SELECT r.id, m.name, r.name, c.sha, r.started_utc, r.imported_utc, r.idempotency_key, "
           "r.content_sha256, "
           "(SELECT COUNT(*) FROM verdicts v WHERE v.run_id = r.id AND v.verdict = 'PASS'), "
           "(SELECT COUNT(*) FROM verdicts v WHERE v.run_id = r.id AND v.verdict = 'PARTIAL'), "
           "(SELECT COUNT(*) FROM verdicts v WHERE v.run_id = r.id AND v.verdict = 'FAIL'), "
           "(SELECT COUNT(*) FROM verdicts v WHERE v.run_id = r.id AND v.verdict = 'ERROR'), "
           "(SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id) "
           "FROM runs r JOIN machines m ON m.id = r.machine_id "
           "LEFT JOIN commits c ON c.id = r.commit_id WHERE ($1 = '' OR m.name = $1) "
           "ORDER BY r.started_utc DESC, r.id DESC LIMIT $2",
           {query.machine, int64_t{std::max(query.limit, 0)}})) {
    out.push_back({AsInt(r[0]), AsText(r[1]), AsText(r[2]), AsText(r[3]), AsText(r[4]),
                   AsText(r[5]), AsText(r[6]), AsText(r[7]), static_cast<int>(AsInt(r[8])),
                   static_cast<int>(AsInt(r[9])), static_cast<int>(AsInt(r[10])),
                   static_cast<int>(AsInt(r[11])), AsInt(r[12])});
  }
  return out;
}

std::vector<SeriesPoint> Store::Series(const std::string& benchmark, const std::string& machine,
                                       const std::string& metric) {
  std::vector<SeriesPoint> out;
  for (const Row& r : LockedQuery(
           *db_,
           "SELECT r.id, r.name, c.sha, r.started_utc, s.document, s.repetition, s.value "
           "FROM samples s JOIN runs r ON r.id = s.run_id JOIN machines m ON m.id = r.machine_id "
           "LEFT JOIN commits c ON c.id = r.commit_id "
           "WHERE s.benchmark_id = (SELECT id FROM benchmarks WHERE name = $1) "
           "AND s.metric_id = (SELECT id FROM metrics WHERE name = $2) AND m.name = $3 "
           "ORDER BY r.started_utc, r.id, s.document, s.repetition",
           {benchmark, metric, machine})) {
    out.push_back({AsInt(r[0]), AsText(r[1]), AsText(r[2]), AsText(r[3]), AsText(r[4]),
                   static_cast<int>(AsInt(r[5])), AsDouble(r[6])});
  }
  return out;
}

std::vector<RunValue> Store::RunValues(const std::string& benchmark, const std::string& machine,
                                       const std::string& metric) {
  const std::vector<SeriesPoint> points = Series(benchmark, machine, metric);
  std::vector<RunSample> samples;
  for (const SeriesPoint& p : points) samples.push_back({p.run_id, p.document, p.value});
  const PerRun values = PerRunValues(samples);
  std::vector<RunValue> out;
  size_t at = 0;  // the points are in run order too: each run's first point names it
  for (size_t i = 0; i < values.run_ids.size(); ++i) {
    while (points[at].run_id != values.run_ids[i]) ++at;
    out.push_back({points[at].run_id, points[at].run, points[at].commit, points[at].started_utc,
                   values.values[i]});
  }
  return out;
}

std::vector<VerdictInfo> Store::ListVerdicts(int64_t run_id) {
  std::vector<VerdictInfo> out;
  for (const Row& r : LockedQuery(*db_,
                                  "SELECT c.module, c.name, v.kind, v.verdict, v.value, v.low, "
                                  "v.high, v.unit, v.reason FROM verdicts v JOIN claims c ON "
                                  "c.id = v.claim_id WHERE v.run_id = $1 ORDER BY c.module, c.name",
                                  {run_id})) {
    out.push_back({AsText(r[0]), AsText(r[1]), AsText(r[2]), AsText(r[3]), AsDouble(r[4]),
                   AsDouble(r[5]), AsDouble(r[6]), AsText(r[7]), AsText(r[8])});
  }
  return out;
}

std::vector<std::string> Store::ListBenchmarks(const std::string& machine) {
  std::vector<std::string> out;
  for (const Row& r :
       LockedQuery(*db_,
                   "SELECT b.name FROM benchmarks b WHERE EXISTS (SELECT 1 FROM samples s JOIN "
                   "runs r ON r.id = s.run_id JOIN machines m ON m.id = r.machine_id WHERE "
                   "s.benchmark_id = b.id AND ($1 = '' OR m.name = $1)) ORDER BY b.name",
                   {machine})) {
    out.push_back(AsText(r[0]));
  }
  std::sort(out.begin(), out.end());  // byte order, whatever the database's collation
  return out;
}

std::vector<LatestValue> Store::LatestValues(const std::string& metric) {
  // The newest run per machine with a sample of the metric: runs_by_machine walked newest first,
  // each run asked through samples_by_run; then that run's samples of the metric.
  const auto rows = LockedQuery(
      *db_,
      "WITH t AS (SELECT id FROM metrics WHERE name = $1), latest AS (SELECT m.id AS machine_id, "
      "(SELECT r.id FROM runs r WHERE r.machine_id = m.id AND EXISTS (SELECT 1 FROM samples x, t "
      "WHERE x.run_id = r.id AND x.metric_id = t.id) ORDER BY r.started_utc DESC, r.id DESC "
      "LIMIT 1) AS run_id FROM machines m) "
      "SELECT m.name, b.name, r.id, r.name, c.sha, r.started_utc, s.document, s.value "
      "FROM latest l JOIN runs r ON r.id = l.run_id JOIN machines m ON m.id = l.machine_id "
      "JOIN samples s ON s.run_id = r.id JOIN t ON s.metric_id = t.id "
      "JOIN benchmarks b ON b.id = s.benchmark_id LEFT JOIN commits c ON c.id = r.commit_id "
      "ORDER BY m.name, b.name, s.document, s.repetition",
      {metric});
  std::vector<LatestValue> out;
  for (size_t first = 0; first < rows.size();) {
    const std::string machine = AsText(rows[first][0]), benchmark = AsText(rows[first][1]);
    std::vector<RunSample> samples;
    size_t end = first;
    for (;
         end < rows.size() && AsText(rows[end][0]) == machine && AsText(rows[end][1]) == benchmark;
         ++end) {
      samples.push_back({AsInt(rows[end][2]), AsText(rows[end][6]), AsDouble(rows[end][7])});
    }
    const Row& r = rows[first];
    out.push_back({machine, benchmark, AsInt(r[2]), AsText(r[3]), AsText(r[4]), AsText(r[5]),
                   PerRunValues(samples).values.at(0), static_cast<int>(end - first)});
    first = end;
  }
  // Byte order, whatever the database's collation.
  std::sort(out.begin(), out.end(), [](const LatestValue& a, const LatestValue& b) {
    return std::tie(a.machine, a.benchmark) < std::tie(b.machine, b.benchmark);
  });
  return out;
}

std::vector<RunCommit> Store::ListRunCommits() {
  std::vector<RunCommit> out;
  for (const Row& r : LockedQuery(*db_,
                                  "SELECT m.name, r.id, c.sha FROM runs r JOIN machines m ON m.id "
                                  "= r.machine_id LEFT JOIN commits c ON c.id = r.commit_id "
                                  "ORDER BY m.name, r.started_utc, r.id",
                                  {})) {
    out.push_back({AsText(r[0]), AsInt(r[1]), AsText(r[2])});
  }
  return out;
}

std::vector<StoredNoiseProfile> Store::LatestNoiseProfiles() {
  std::vector<StoredNoiseProfile> out;
  // Per machine, runs_by_machine walked newest first, each run's document looked up by its key.
  for (const Row& r : LockedQuery(
           *db_,
           "SELECT m.name, r.id, r.name, d.content FROM machines m JOIN runs r ON r.id = (SELECT "
           "x.id FROM runs x WHERE x.machine_id = m.id AND EXISTS (SELECT 1 FROM run_documents y "
           "WHERE y.run_id = x.id AND y.name = $1) ORDER BY x.started_utc DESC, x.id DESC LIMIT "
           "1) JOIN run_documents d ON d.run_id = r.id AND d.name = $1 ORDER BY m.name",
           {std::string(kNoiseProfileDocument)})) {
    out.push_back({AsText(r[0]), AsInt(r[1]), AsText(r[2]), AsText(r[3])});
  }
  // Byte order, whatever the database's collation.
  std::sort(out.begin(), out.end(), [](const StoredNoiseProfile& a, const StoredNoiseProfile& b) {
    return a.machine < b.machine;
  });
  return out;
}

int64_t Store::RecordChange(const Change& c) {
  PERF_CHECK(c.direction == "regression" || c.direction == "improvement", "change direction '",
             c.direction.substr(0, 32), "' must be regression or improvement");
  PERF_CHECK(std::isfinite(c.ratio), "change ratio must be a finite number");
  std::lock_guard lock(db_->mutex);
  RequireCurrent(*db_);
  const auto id_of = [&](const char* table, const std::string& name) {
    const auto rows =
        db_->Query(std::string("SELECT id FROM ") + table + " WHERE name = $1", {name});
    PERF_CHECK(!rows.empty(), "change: no ", table, " row named '", name.substr(0, 128), "'");
    return AsInt(rows[0][0]);
  };
  const int64_t machine = id_of("machines", c.machine),
                benchmark = id_of("benchmarks", c.benchmark), metric = id_of("metrics", c.metric);
  PERF_CHECK(
      !db_->Query("SELECT id FROM runs WHERE id = $1 AND machine_id = $2", {c.run_id, machine})
           .empty(),
      "change: run ", c.run_id, " is not a run of machine '", c.machine, "'");
  return InsertChange(*db_, machine, benchmark, metric, c);
}

std::vector<Change> Store::ListChanges(const std::string& machine) {
  std::vector<Change> out;
  for (const Row& r : LockedQuery(
           *db_,
           "SELECT x.id, m.name, b.name, t.name, x.run_id, c.sha, x.detected_utc, x.ratio, x.low, "
           "x.high, x.direction, x.details FROM changes x JOIN machines m ON m.id = x.machine_id "
           "JOIN benchmarks b ON b.id = x.benchmark_id JOIN metrics t ON t.id = x.metric_id "
           "JOIN runs r ON r.id = x.run_id LEFT JOIN commits c ON c.id = r.commit_id "
           "WHERE ($1 = '' OR m.name = $1) ORDER BY x.detected_utc DESC, x.id DESC",
           {machine})) {
    out.push_back({AsInt(r[0]), AsText(r[1]), AsText(r[2]), AsText(r[3]), AsInt(r[4]), AsText(r[5]),
                   AsText(r[6]), AsDouble(r[7]), AsDouble(r[8]), AsDouble(r[9]), AsText(r[10]),
                   AsText(r[11])});
  }
  return out;
}

}  // namespace perf::store
