// The TorchPerf Olympics on the results store (schema migration 2): events with a deadline and a
// per-athlete limit, athletes and their tokens (only the SHA-256 stored, revocable), and the
// submissions as a verification queue:
//
//   pending --Claim--> running --Finish--> verified | rejected | error
//                        |  lease expired (a worker died): claimable again, at most
//                        |  kMaxVerifyAttempts times, then error
//
// Claim is atomic on both backends (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite: one
// UPDATE inside BEGIN IMMEDIATE), and Finish takes effect only for the worker that holds the
// claim, so no submission is verified twice even when a lease expires under a slow worker.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "perf_store/store.h"

namespace perf::store {

inline constexpr int kMaxVerifyAttempts = 3;

struct EventInfo {
  std::string name;                 // one of tinytorch's five events ("latency_sprint", ...)
  std::string division = "closed";  // "closed" or "open"
  std::string deadline_utc;         // YYYY-MM-DDTHH:MM:SSZ: later submissions are refused
  int max_submissions = 5;          // per athlete; verification errors do not count
  std::string rules_json = "{}";    // the event's rules when created, for the page
  std::string created_utc;          // filled in by CreateEvent
};

// Why Enqueue refused a submission (the server maps each to its status code).
class SubmissionRefused : public perf::Error {
 public:
  enum class Why { kNoEvent, kNoAthlete, kDeadline, kLimit };
  SubmissionRefused(Why reason, const std::string& message) : perf::Error(message), why(reason) {}
  Why why;
};

struct NewSubmission {
  std::string event, athlete;
  std::string recipe_json;   // what the worker rebuilds (tinytorch::OlympicRecipe)
  std::string claimed_json;  // the submission as sent: the claimed numbers, the environment
  std::string fingerprint;   // of the submitter's machine and build
  // The client's Idempotency-Key, per athlete ("" means "sha256:" + the content's hash, as for
  // runs): a retry with the same key and content is answered with the stored submission.
  std::string idempotency_key;
};

struct EnqueueResult {
  int64_t id = 0;
  bool created = false;  // false: this athlete's key was stored before (id is that submission)
  std::string status;    // the submission's status now ("pending" when created)
};

struct SubmissionInfo {
  int64_t id = 0;
  std::string event, athlete, status;  // status: pending, running, verified, rejected, error
  std::string submitted_utc, finished_utc, claimed_by, lease_expires_utc;
  int attempts = 0;
  std::string recipe_json, claimed_json, fingerprint;
  std::string measured_json;  // the server's numbers ("" until finished)
  std::string reason;         // why rejected or error
  double score = std::nan(""), score_low = std::nan(""), score_high = std::nan("");
};

// A claimed submission, for the worker.
struct Job {
  int64_t id = 0;
  std::string event, athlete, division, recipe_json, claimed_json;
  int attempts = 0;  // including this one
};

struct Outcome {
  std::string status;  // "verified", "rejected" or "error"
  std::string reason;
  std::string measured_json = "{}";
  double score = std::nan(""), score_low = std::nan(""), score_high = std::nan("");
};

struct LeaderboardRow {
  int rank = 0;
  SubmissionInfo best;  // the athlete's best verified submission
  int submissions = 0;  // the athlete's submissions to the event, any status
};

// Ranks for entries ordered best first (by score, descending), each given its score interval
// [low, high]: an entry shares the rank of the entry that opened the current rank when their
// intervals overlap; otherwise it opens a new rank, numbered 1 + the entries before it (so 1, 1,
// 3). Comparing with the opener, not the previous entry, keeps a chain of overlaps from sweeping
// a clearly worse entry into the first rank.
std::vector<int> SharedRanks(const std::vector<std::pair<double, double>>& intervals);

// Athlete names: 1 to 64 bytes of UTF-8 text without control characters (names are shown, so
// they are escaped everywhere, never restricted to identifiers). Throws perf::Error naming `what`.
void CheckAthleteName(const std::string& name, const std::string& what);

class OlympicsStore {
 public:
  // On `store`'s connection (calls are serialised with the Store's own); `store` must outlive it.
  explicit OlympicsStore(Store& store);

  // Creates the event; throws perf::Error for an unknown division, a malformed deadline, a limit
  // outside 1..1000, or a name already taken.
  void CreateEvent(EventInfo event);
  std::vector<EventInfo> ListEvents();
  std::optional<EventInfo> FindEvent(const std::string& name);

  // A new token for `athlete` (created if unknown): 64 hex digits; only its SHA-256 is stored.
  std::string AddAthleteToken(const std::string& athlete);
  // The athlete a live token belongs to; nullopt for an unknown or revoked token.
  std::optional<std::string> AthleteForToken(const std::string& token);
  // Revokes every live token of `athlete`; returns how many.
  int RevokeAthleteTokens(const std::string& athlete);

  // Queues a submission as pending. In one transaction that holds the athlete's row, so
  // concurrent submissions of one athlete cannot both pass the limit. When the athlete's
  // idempotency key names a stored submission of the same content, nothing is written and that
  // one is returned (created false), even past the deadline or at the limit: a retry is not a
  // second submission. UNIQUE (athlete_id, idempotency_key) makes that hold for concurrent
  // retries too. Throws KeyReused when the key names a submission of other content,
  // SubmissionRefused (no such event or athlete, past the deadline, at the limit), perf::Error
  // for a malformed key.
  EnqueueResult Enqueue(const NewSubmission& s);
  // Claims the oldest pending submission (or one whose lease expired) for `worker`, leased for
  // `lease_seconds` (>= 0; 0 expires at once, for tests). Submissions whose leases expired
  // kMaxVerifyAttempts times become error. nullopt when nothing is claimable.
  std::optional<Job> Claim(const std::string& worker, int lease_seconds);
  // Sets the outcome if `worker` still holds the claim; false (nothing written) when the lease
  // expired and another worker claimed it, or the submission is not running.
  bool Finish(int64_t id, const std::string& worker, const Outcome& outcome);

  std::optional<SubmissionInfo> GetSubmission(int64_t id);
  // Oldest first; every athlete's when `athlete` is "". Without the claimed and measured
  // documents (claimed_json and measured_json are empty): GetSubmission has them.
  std::vector<SubmissionInfo> ListSubmissions(const std::string& event,
                                              const std::string& athlete = "");
  // Submissions by status ("pending", ...); every event's when `event` is "".
  std::map<std::string, int64_t> CountByStatus(const std::string& event = "");
  // Each athlete's best verified submission, best first, ranked by SharedRanks (equal scores in
  // athlete-name byte order, so no submission time or other self-reported field decides).
  std::vector<LeaderboardRow> Leaderboard(const std::string& event);

 private:
  Database& db_;
};

}  // namespace perf::store
