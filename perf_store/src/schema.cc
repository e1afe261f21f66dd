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
    {2,
     "olympics: events, athletes, athlete_tokens, olympic_submissions (the verification queue)",
     R"sql(
CREATE TABLE olympic_events (
  id {id},
  name TEXT NOT NULL UNIQUE,
  division TEXT NOT NULL CHECK (division IN ('closed', 'open')),
  deadline_utc TEXT NOT NULL,
  max_submissions BIGINT NOT NULL CHECK (max_submissions > 0),
  rules TEXT NOT NULL,
  created_utc TEXT NOT NULL
);
CREATE TABLE athletes (
  id {id},
  name TEXT NOT NULL UNIQUE,
  created_utc TEXT NOT NULL,
  last_submitted_utc TEXT
);
CREATE TABLE athlete_tokens (
  id {id},
  athlete_id BIGINT NOT NULL REFERENCES athletes (id),
  token_sha256 TEXT NOT NULL UNIQUE,
  created_utc TEXT NOT NULL,
  revoked_utc TEXT
);
CREATE TABLE olympic_submissions (
  id {id},
  event_id BIGINT NOT NULL REFERENCES olympic_events (id),
  athlete_id BIGINT NOT NULL REFERENCES athletes (id),
  submitted_utc TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'running', 'verified', 'rejected', 'error')),
  claimed_by TEXT,
  lease_expires_utc TEXT,
  attempts BIGINT NOT NULL DEFAULT 0,
  recipe TEXT NOT NULL,
  claimed TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  measured TEXT,
  score {real},
  score_low {real},
  score_high {real},
  reason TEXT NOT NULL DEFAULT '',
  finished_utc TEXT,
  idempotency_key TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  UNIQUE (athlete_id, idempotency_key)
);
CREATE INDEX olympic_submissions_queue ON olympic_submissions (status, id);
CREATE INDEX olympic_submissions_by_athlete ON olympic_submissions (event_id, athlete_id)
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
    for (const auto& [word, with] : {std::pair{"{id}", id}, {"{blob}", blob}, {"{real}", real},
                                       {"{skip_locked}", skip_locked}}) {
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
