// The results store's schema. Every table is the same on SQLite and PostgreSQL except for the
// three words Dialect::Expand fills in. Times are ISO 8601 UTC text (sorts as time on both).
#include "schema.h"

#include <iterator>
#include <string>

#include "database.h"

namespace perf::store {

namespace {

constexpr Migration kMigrations[] = {
    {1,
     "machines, commits, benchmarks, claims, metrics, runs, documents, verdicts, samples, "
     "changes, tokens",
     R"sql(
CREATE TABLE machines (
  id {id},
  name TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL,
  environment TEXT NOT NULL,
  first_seen_utc TEXT NOT NULL,
  last_seen_utc TEXT NOT NULL
);
CREATE TABLE commits (id {id}, sha TEXT NOT NULL UNIQUE);
CREATE TABLE benchmarks (id {id}, name TEXT NOT NULL UNIQUE);
CREATE TABLE claims (id {id}, module TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (module, name));
CREATE TABLE metrics (id {id}, name TEXT NOT NULL UNIQUE, unit TEXT NOT NULL);
CREATE TABLE runs (
  id {id},
  machine_id BIGINT NOT NULL REFERENCES machines (id),
  commit_id BIGINT REFERENCES commits (id),
  name TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  content_sha256 TEXT NOT NULL UNIQUE,
  started_utc TEXT NOT NULL,
  imported_utc TEXT NOT NULL,
  environment TEXT NOT NULL,
  UNIQUE (machine_id, idempotency_key)
);
CREATE INDEX runs_by_machine ON runs (machine_id, started_utc);
CREATE TABLE run_documents (
  run_id BIGINT NOT NULL REFERENCES runs (id),
  name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  content {blob} NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE verdicts (
  run_id BIGINT NOT NULL REFERENCES runs (id),
  claim_id BIGINT NOT NULL REFERENCES claims (id),
  kind TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('PASS', 'PARTIAL', 'FAIL', 'ERROR')),
  value {real},
  low {real},
  high {real},
  unit TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (run_id, claim_id)
);
CREATE TABLE samples (
  id {id},
  run_id BIGINT NOT NULL REFERENCES runs (id),
  benchmark_id BIGINT NOT NULL REFERENCES benchmarks (id),
  metric_id BIGINT NOT NULL REFERENCES metrics (id),
  document TEXT NOT NULL,
  repetition BIGINT NOT NULL,
  value {real} NOT NULL
);
CREATE INDEX samples_by_series ON samples (benchmark_id, metric_id, run_id);
CREATE INDEX samples_by_run ON samples (run_id);
CREATE TABLE changes (
  id {id},
  machine_id BIGINT NOT NULL REFERENCES machines (id),
  benchmark_id BIGINT NOT NULL REFERENCES benchmarks (id),
  metric_id BIGINT NOT NULL REFERENCES metrics (id),
  run_id BIGINT NOT NULL REFERENCES runs (id),
  detected_utc TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('regression', 'improvement')),
  ratio {real} NOT NULL,
  low {real},
  high {real},
  details TEXT NOT NULL
);
CREATE TABLE tokens (
  id {id},
  machine_id BIGINT NOT NULL REFERENCES machines (id),
  token_sha256 TEXT NOT NULL UNIQUE,
  created_utc TEXT NOT NULL,
  revoked_utc TEXT
)
)sql"},
};

// Versions are 1, 2, 3, ... in order: a gap or a repeat would make Init skip or rerun one.
consteval bool Consecutive() {
  for (size_t i = 0; i < std::size(kMigrations); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(Consecutive(), "kMigrations must be numbered 1, 2, 3, ... in order");

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

std::string Dialect::Expand(const std::string& ddl) const {
  std::string out;
  for (size_t i = 0; i < ddl.size();) {
    bool replaced = false;
    for (const auto& [word, with] : {std::pair{"{id}", id}, {"{blob}", blob}, {"{real}", real}}) {
      const std::string_view w = word;
      if (ddl.compare(i, w.size(), w) == 0) {
        out += with;
        i += w.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += ddl[i++];
  }
  return out;
}

}  // namespace perf::store
