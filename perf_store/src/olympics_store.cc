// The Olympics' tables and the verification queue (olympics_store.h): the same SQL on SQLite and
// PostgreSQL except {skip_locked}, every value a statement parameter.
#include "perf_store/olympics_store.h"

#include <algorithm>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "database.h"
#include "idempotency.h"
#include "perf_framework/environment.h"
#include "sha256.h"

namespace perf::store {

namespace {

constexpr size_t kMaxAthleteBytes = 64;
constexpr int kMaxLimit = 1000;
// A submission's columns, in ToSubmission's order. A list leaves out the claimed and measured
// documents (up to 256 KiB each): a course's leaderboard page would read hundreds of MB of them.
std::string SubmissionColumns(bool with_documents) {
  return std::string(
             "s.id, e.name, a.name, s.status, s.submitted_utc, s.finished_utc, s.claimed_by, "
             "s.lease_expires_utc, s.attempts, s.recipe, ") +
         (with_documents ? "s.claimed" : "''") + ", s.fingerprint, " +
         (with_documents ? "s.measured" : "''") +
         ", s.reason, s.score, s.score_low, s.score_high FROM olympic_submissions s JOIN "
         "olympic_events e ON e.id = s.event_id JOIN athletes a ON a.id = s.athlete_id";
}

Param Nullable(double d) { return std::isnan(d) ? Param(nullptr) : Param(d); }

// UtcNow's format, `seconds` from now.
std::string UtcAfter(int seconds) {
  const std::time_t t = std::time(nullptr) + seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

SubmissionInfo ToSubmission(const Row& r) {
  SubmissionInfo s;
  s.id = AsInt(r[0]);
  s.event = AsText(r[1]);
  s.athlete = AsText(r[2]);
  s.status = AsText(r[3]);
  s.submitted_utc = AsText(r[4]);
  s.finished_utc = AsText(r[5]);
  s.claimed_by = AsText(r[6]);
  s.lease_expires_utc = AsText(r[7]);
  s.attempts = static_cast<int>(AsInt(r[8]));
  s.recipe_json = AsText(r[9]);
  s.claimed_json = AsText(r[10]);
  s.fingerprint = AsText(r[11]);
  s.measured_json = AsText(r[12]);
  s.reason = AsText(r[13]);
  s.score = AsDouble(r[14]);
  s.score_low = AsDouble(r[15]);
  s.score_high = AsDouble(r[16]);
  return s;
}

EventInfo ToEvent(const Row& r) {
  return {AsText(r[0]), AsText(r[1]), AsText(r[2]), static_cast<int>(AsInt(r[3])),
          AsText(r[4]), AsText(r[5])};
}

// What a retry must resend unchanged: the event and everything the submission stores.
std::string ContentHash(const NewSubmission& s) {
  return Sha256Hex(nlohmann::json::array({s.event, s.recipe_json, s.claimed_json, s.fingerprint})
                       .dump());
}

// The athlete's submission stored under `key`; KeyReused when its content is not `hash`.
std::optional<EnqueueResult> Existing(Database& db, int64_t athlete_id, const std::string& athlete,
                                      const std::string& key, const std::string& hash) {
  const auto rows = db.Query(
      "SELECT id, status, content_sha256 FROM olympic_submissions WHERE athlete_id = $1 AND "
      "idempotency_key = $2",
      {athlete_id, key});
  if (rows.empty()) return std::nullopt;
  const int64_t id = AsInt(rows[0][0]);
  if (AsText(rows[0][2]) != hash) {
    throw KeyReused("idempotency key '" + key + "' of athlete '" + athlete +
                    "' names submission " + std::to_string(id) +
                    ", whose content differs from this one's");
  }
  return EnqueueResult{id, false, AsText(rows[0][1])};
}

int64_t AthleteId(Database& db, const std::string& name, const std::string& now) {
  db.Query("INSERT INTO athletes (name, created_utc) VALUES ($1, $2) ON CONFLICT DO NOTHING",
           {name, now});
  return AsInt(db.Query("SELECT id FROM athletes WHERE name = $1", {name}).at(0).at(0));
}

}  // namespace

std::vector<int> SharedRanks(const std::vector<std::pair<double, double>>& intervals) {
  std::vector<int> ranks(intervals.size());
  size_t opener = 0;
  for (size_t i = 0; i < intervals.size(); ++i) {
    const auto& [low, high] = intervals[i];
    const bool overlaps =
        i > 0 && high >= intervals[opener].first && low <= intervals[opener].second;
    if (!overlaps) opener = i;
    ranks[i] = static_cast<int>(opener) + 1;
  }
  return ranks;
}

void CheckAthleteName(const std::string& name, const std::string& what) {
  PERF_CHECK(!name.empty() && name.size() <= kMaxAthleteBytes, what,
             ": an athlete name must be 1 to ", kMaxAthleteBytes, " bytes, got ", name.size());
  for (const unsigned char c : name) {
    PERF_CHECK(c >= 0x20 && c != 0x7f, what, ": control character in the athlete name");
  }
  try {
    (void)nlohmann::json(name).dump();  // throws on invalid UTF-8
  } catch (const nlohmann::json::exception&) {
    detail::Throw(what, ": the athlete name is not valid UTF-8");
  }
}

OlympicsStore::OlympicsStore(Store& store) : db_(*store.db_) {}

void OlympicsStore::CreateEvent(EventInfo e) {
  PERF_CHECK(e.division == "closed" || e.division == "open", "event '", e.name.substr(0, 64),
             "': division must be closed or open");
  PERF_CHECK(IsUtcTimestamp(e.deadline_utc), "event '", e.name.substr(0, 64), "': deadline '",
             e.deadline_utc.substr(0, 40), "' is not YYYY-MM-DDTHH:MM:SSZ");
  PERF_CHECK(e.max_submissions >= 1 && e.max_submissions <= kMaxLimit, "event '",
             e.name.substr(0, 64), "': the per-athlete limit must be 1 to ", kMaxLimit);
  CheckName(e.name, "event");
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  e.created_utc = UtcNow();
  const auto rows = db_.Query(
      "INSERT INTO olympic_events (name, division, deadline_utc, max_submissions, rules, "
      "created_utc) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
      {e.name, e.division, e.deadline_utc, int64_t{e.max_submissions}, e.rules_json,
       e.created_utc});
  PERF_CHECK(!rows.empty(), "event '", e.name, "' already exists");
}

std::vector<EventInfo> OlympicsStore::ListEvents() {
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  std::vector<EventInfo> out;
  for (const Row& r : db_.Query("SELECT name, division, deadline_utc, max_submissions, rules, "
                                "created_utc FROM olympic_events ORDER BY id",
                                {})) {
    out.push_back(ToEvent(r));
  }
  return out;
}

std::optional<EventInfo> OlympicsStore::FindEvent(const std::string& name) {
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  const auto rows = db_.Query(
      "SELECT name, division, deadline_utc, max_submissions, rules, created_utc FROM "
      "olympic_events WHERE name = $1",
      {name});
  if (rows.empty()) return std::nullopt;
  return ToEvent(rows[0]);
}

std::string OlympicsStore::AddAthleteToken(const std::string& athlete) {
  CheckAthleteName(athlete, "athlete");
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  const std::string token = RandomHex(32);
  Transaction t(db_);
  const std::string now = UtcNow();
  const int64_t id = AthleteId(db_, athlete, now);
  db_.Query(
      "INSERT INTO athlete_tokens (athlete_id, token_sha256, created_utc) VALUES ($1, $2, $3)",
      {id, Sha256Hex(token), now});
  t.Commit();
  return token;
}

std::optional<std::string> OlympicsStore::AthleteForToken(const std::string& token) {
  if (!IsIssuedToken(token)) return std::nullopt;
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  const auto rows = db_.Query(
      "SELECT a.name FROM athlete_tokens t JOIN athletes a ON a.id = t.athlete_id WHERE "
      "t.token_sha256 = $1 AND t.revoked_utc IS NULL",
      {Sha256Hex(token)});
  if (rows.empty()) return std::nullopt;
  return AsText(rows[0][0]);
}

int OlympicsStore::RevokeAthleteTokens(const std::string& athlete) {
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  return static_cast<int>(
      db_.Query("UPDATE athlete_tokens SET revoked_utc = $1 WHERE revoked_utc IS NULL AND "
                "athlete_id IN (SELECT id FROM athletes WHERE name = $2) RETURNING id",
                {UtcNow(), athlete})
          .size());
}

EnqueueResult OlympicsStore::Enqueue(const NewSubmission& s) {
  using Why = SubmissionRefused::Why;
  const std::string hash = ContentHash(s);
  const std::string key = IdempotencyKeyOr(s.idempotency_key, hash);
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  Transaction t(db_);
  const std::string now = UtcNow();
  const auto event = db_.Query(
      "SELECT id, deadline_utc, max_submissions FROM olympic_events WHERE name = $1", {s.event});
  if (event.empty()) throw SubmissionRefused(Why::kNoEvent, "no event '" + s.event + "'");
  const int64_t event_id = AsInt(event[0][0]);
  const std::string deadline = AsText(event[0][1]);
  const int64_t limit = AsInt(event[0][2]);
  // The UPDATE locks the athlete's row until the commit (PostgreSQL; SQLite's write transaction
  // excludes every other writer anyway): a second submission of this athlete waits here and then
  // counts this one, or finds it under its key.
  const auto athlete = db_.Query(
      "UPDATE athletes SET last_submitted_utc = $1 WHERE name = $2 RETURNING id", {now, s.athlete});
  if (athlete.empty()) throw SubmissionRefused(Why::kNoAthlete, "no athlete '" + s.athlete + "'");
  const int64_t athlete_id = AsInt(athlete[0][0]);
  // Before the deadline and the limit: a retry of a submission accepted in time, or the one that
  // reached the limit, is answered with it.
  if (auto stored = Existing(db_, athlete_id, s.athlete, key, hash)) {
    t.Commit();
    return *stored;
  }
  if (now > deadline) {
    throw SubmissionRefused(Why::kDeadline, "event '" + s.event + "' closed at " + deadline);
  }
  const int64_t used = AsInt(
      db_.Query("SELECT COUNT(*) FROM olympic_submissions WHERE event_id = $1 AND athlete_id = $2 "
                "AND status <> 'error'",
                {event_id, athlete_id})
          .at(0)
          .at(0));
  if (used >= limit) {
    throw SubmissionRefused(Why::kLimit, "athlete '" + s.athlete + "' has used all " +
                                             std::to_string(limit) + " submissions to event '" +
                                             s.event + "'");
  }
  const auto rows = db_.Query(
      "INSERT INTO olympic_submissions (event_id, athlete_id, submitted_utc, status, recipe, "
      "claimed, fingerprint, idempotency_key, content_sha256) VALUES ($1, $2, $3, 'pending', $4, "
      "$5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
      {event_id, athlete_id, now, s.recipe_json, s.claimed_json, s.fingerprint, key, hash});
  if (rows.empty()) {
    // Only a concurrent insert of this key, which the athlete's row lock makes impossible; the
    // constraint is the backstop, and the winner's row is the answer.
    if (auto stored = Existing(db_, athlete_id, s.athlete, key, hash)) {
      t.Commit();
      return *stored;
    }
    throw StoreError("store: submission key '" + key + "' conflicted but is not visible");
  }
  t.Commit();
  return {AsInt(rows.at(0).at(0)), true, "pending"};
}

std::optional<Job> OlympicsStore::Claim(const std::string& worker, int lease_seconds) {
  PERF_CHECK(!worker.empty() && lease_seconds >= 0, "Claim: a worker name and a lease >= 0 s");
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  Transaction t(db_);
  const std::string now = UtcNow();
  // A lease that expired kMaxVerifyAttempts times: the verification itself kills its workers.
  db_.Query(
      "UPDATE olympic_submissions SET status = 'error', finished_utc = $1, reason = $2 WHERE "
      "status = 'running' AND lease_expires_utc <= $1 AND attempts >= $3",
      {now,
       "verification did not finish in " + std::to_string(kMaxVerifyAttempts) +
           " attempts (each worker died or overran its lease)",
       int64_t{kMaxVerifyAttempts}});
  const auto claimed =
      db_.Query(db_.dialect().Expand(
                    "UPDATE olympic_submissions SET status = 'running', claimed_by = $1, "
                    "lease_expires_utc = $2, attempts = attempts + 1 WHERE id = (SELECT id FROM "
                    "olympic_submissions WHERE status = 'pending' OR (status = 'running' AND "
                    "lease_expires_utc <= $3) ORDER BY id LIMIT 1{skip_locked}) RETURNING id"),
                {worker, UtcAfter(lease_seconds), now});
  if (claimed.empty()) {
    t.Commit();
    return std::nullopt;
  }
  const int64_t id = AsInt(claimed[0][0]);
  const auto rows = db_.Query(
      "SELECT s.id, e.name, a.name, e.division, s.recipe, s.claimed, s.attempts FROM "
      "olympic_submissions s JOIN olympic_events e ON e.id = s.event_id JOIN athletes a ON a.id = "
      "s.athlete_id WHERE s.id = $1",
      {id});
  t.Commit();
  const Row& r = rows.at(0);
  return Job{AsInt(r[0]),
             AsText(r[1]),
             AsText(r[2]),
             AsText(r[3]),
             AsText(r[4]),
             AsText(r[5]),
             static_cast<int>(AsInt(r[6]))};
}

bool OlympicsStore::Finish(int64_t id, const std::string& worker, const Outcome& o) {
  PERF_CHECK(o.status == "verified" || o.status == "rejected" || o.status == "error",
             "Finish: status '", o.status.substr(0, 32), "' must be verified, rejected or error");
  PERF_CHECK(o.status != "verified" || std::isfinite(o.score),
             "Finish: a verified submission needs a finite score");
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  return !db_.Query(
                 "UPDATE olympic_submissions SET status = $1, reason = $2, measured = $3, score = "
                 "$4, score_low = $5, score_high = $6, finished_utc = $7, lease_expires_utc = "
                 "NULL WHERE id = $8 AND status = 'running' AND claimed_by = $9 RETURNING id",
                 {o.status, o.reason, o.measured_json, Nullable(o.score), Nullable(o.score_low),
                  Nullable(o.score_high), UtcNow(), id, worker})
              .empty();
}

std::optional<SubmissionInfo> OlympicsStore::GetSubmission(int64_t id) {
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  const auto rows =
      db_.Query("SELECT " + SubmissionColumns(/*with_documents=*/true) + " WHERE s.id = $1", {id});
  if (rows.empty()) return std::nullopt;
  return ToSubmission(rows[0]);
}

std::vector<SubmissionInfo> OlympicsStore::ListSubmissions(const std::string& event,
                                                           const std::string& athlete) {
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  std::vector<SubmissionInfo> out;
  for (const Row& r : db_.Query("SELECT " + SubmissionColumns(/*with_documents=*/false) +
                                    " WHERE e.name = $1 AND ($2 = '' OR a.name = $2) ORDER BY s.id",
                                {event, athlete})) {
    out.push_back(ToSubmission(r));
  }
  return out;
}

std::map<std::string, int64_t> OlympicsStore::CountByStatus(const std::string& event) {
  std::lock_guard lock(db_.mutex);
  RequireCurrent(db_);
  std::map<std::string, int64_t> out;
  for (const char* status : {"pending", "running", "verified", "rejected", "error"})
    out[status] = 0;
  for (const Row& r : db_.Query(
           "SELECT s.status, COUNT(*) FROM olympic_submissions s JOIN olympic_events e ON e.id = "
           "s.event_id WHERE ($1 = '' OR e.name = $1) GROUP BY s.status",
           {event})) {
    out[AsText(r[0])] = AsInt(r[1]);
  }
  return out;
}

std::vector<LeaderboardRow> OlympicsStore::Leaderboard(const std::string& event) {
  const std::vector<SubmissionInfo> all = ListSubmissions(event);
  std::map<std::string, int> counts;
  std::vector<const SubmissionInfo*> verified;
  for (const SubmissionInfo& s : all) {
    ++counts[s.athlete];
    if (s.status == "verified") verified.push_back(&s);
  }
  // Best first; ties by athlete name in byte order (whatever the database's collation), then the
  // earlier submission.
  std::stable_sort(verified.begin(), verified.end(),
                   [](const SubmissionInfo* a, const SubmissionInfo* b) {
                     if (a->score != b->score) return a->score > b->score;
                     return a->athlete < b->athlete;
                   });
  std::vector<LeaderboardRow> rows;
  std::set<std::string> seen;
  std::vector<std::pair<double, double>> intervals;
  for (const SubmissionInfo* s : verified) {
    if (!seen.insert(s->athlete).second) continue;
    rows.push_back({0, *s, counts[s->athlete]});
    intervals.emplace_back(s->score_low, s->score_high);
  }
  const std::vector<int> ranks = SharedRanks(intervals);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].rank = ranks[i];
  return rows;
}

}  // namespace perf::store
