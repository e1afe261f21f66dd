// Capstone: the TorchPerf Olympics. Events with enforced qualification rules, scores normalized
// against the event baseline, submissions as versioned JSON with plausibility checks, and
// deterministic leaderboards.
//
// Submission schema "tinyperf.olympics.submission/1" (every field required unless marked):
//   {
//     "schema": "tinyperf.olympics.submission/1",
//     "division": "closed" | "open",   // closed: no gain in accuracy beyond 1 point is credible
//     "event": "latency_sprint" | "memory_challenge" | "accuracy_contest" | "all_around" |
//              "extreme_push",
//     "athlete": "<non-empty name>",
//     "baseline":  <metrics>,  "optimized": <metrics>,
//     "techniques": ["int8", "prune=0.5", ...],   // what was applied to the baseline
//     "environment": { ... },                      // perf::Environment JSON of the machine
//     "timestamp": "2026-11-24T10:00:00Z",         // UTC, ISO 8601
//     "epochs": n, "seed": n                       // optional: the recipe's baseline training
//   }
//   <metrics> = {
//     "model": "<name>",
//     "accuracy":   {"value": f, "low": f, "high": f, "evaluated": n (optional)},  // fractions
//     "latency_ms": {"value": f, "low": f, "high": f},  // median per query and its interval
//     "size_bytes": n                                   // parameters and buffers as stored
//   }
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tinytorch {

enum class OlympicEvent : uint8_t {
  kLatencySprint,    // fastest; accuracy >= 0.85
  kMemoryChallenge,  // smallest; accuracy >= 0.85
  kAccuracyContest,  // most accurate; latency < 100 ms and size < 10 MiB
  kAllAround,        // best efficiency score; no floor
  kExtremePush,      // speedup × compression; accuracy >= 0.80
};
inline constexpr OlympicEvent kAllOlympicEvents[] = {
    OlympicEvent::kLatencySprint, OlympicEvent::kMemoryChallenge, OlympicEvent::kAccuracyContest,
    OlympicEvent::kAllAround, OlympicEvent::kExtremePush};
const char* EventName(OlympicEvent event);                // "latency_sprint", ...
OlympicEvent ParseOlympicEvent(const std::string& name);  // throws naming the valid events

struct EventRules {
  double min_accuracy = 0;     // fraction; 0: no floor
  double max_latency_ms = 0;   // strict upper bound on the median; 0: none
  int64_t max_size_bytes = 0;  // strict upper bound; 0: none
  const char* scored_by = "";  // what the leaderboard ranks by
};
EventRules RulesFor(OlympicEvent event);
// {"event", "min_accuracy", "max_latency_ms", "max_size_bytes", "scored_by"} (0: no bound), as
// the results server stores an event's rules when the instructor creates it.
std::string RulesJson(OlympicEvent event);

struct MeasuredValue {
  double value = 0, low = 0, high = 0;  // estimate and its interval
};

struct OlympicMetrics {
  std::string model;
  MeasuredValue accuracy;    // fraction in [0, 1]
  MeasuredValue latency_ms;  // median ms per query, > 0
  int64_t size_bytes = 0;    // > 0
  int64_t evaluated = 0;     // examples the accuracy came from; 0: not stated
};

struct Qualification {
  bool qualifies = false;
  std::vector<std::string> failures;  // each rule missed, with the numbers
};
// Enforces the event's rules on the optimized model's metrics. Throws tinytorch::Error for metrics
// that are not measurements (non-finite, accuracy outside [0, 1], latency or size not positive,
// an interval that does not contain its estimate).
Qualification QualifiesEvent(OlympicEvent event, const OlympicMetrics& metrics);

// Normalized against the baseline:
//   speedup           = baseline latency / optimized latency (medians)
//   compression_ratio = baseline size / optimized size
//   accuracy_delta    = optimized accuracy − baseline accuracy (fraction; × 100 for points)
//   efficiency        = √(speedup × compression_ratio) × optimized / baseline accuracy
//                       (the geometric mean of the two gains, discounted by accuracy retention)
// The event score is what the event ranks by, higher is better: latency_sprint speedup,
// memory_challenge compression ratio, accuracy_contest optimized accuracy, all_around
// efficiency, extreme_push speedup × compression ratio.
struct OlympicScores {
  double speedup = 0, compression_ratio = 0, accuracy_delta = 0, efficiency = 0;
  double speedup_low = 0, speedup_high = 0;  // from the latency intervals (conservative)
  double event_score = 0;
};
OlympicScores ScoreSubmission(OlympicEvent event, const OlympicMetrics& baseline,
                              const OlympicMetrics& optimized);
// The event score with a conservative interval from the measurements' intervals: latency_sprint
// [speedup_low, speedup_high]; memory_challenge the exact compression ratio; accuracy_contest the
// optimized accuracy's interval; all_around √(speedup bound × compression) × optimized accuracy
// bound / baseline accuracy's opposite bound; extreme_push the speedup bounds × compression.
MeasuredValue EventScoreInterval(OlympicEvent event, const OlympicMetrics& baseline,
                                 const OlympicMetrics& optimized);

// One entry of a submission's "techniques", in the grammar `tinyperf olympics submit` applies:
// int8, sparse, prune=<fraction> or structured=<fraction>, the fraction in [0, 1).
struct OlympicTechnique {
  std::string name;     // "int8", "sparse", "prune" or "structured"
  double fraction = 0;  // prune and structured
};
// Throws Error naming `text` and listing the known techniques.
OlympicTechnique ParseOlympicTechnique(const std::string& text);

struct Submission {
  std::string division = "closed";
  OlympicEvent event = OlympicEvent::kAllAround;
  std::string athlete;
  OlympicMetrics baseline, optimized;
  std::vector<std::string> techniques;
  std::string environment_json = "{}";
  std::string timestamp;  // ISO 8601 UTC
  int epochs = 0;         // the baseline's training epochs (the recipe); 0: not stated
  int64_t seed = -1;      // the baseline's seed (the recipe); -1: not stated

  std::string ToJson() const;
  // Parses and checks the schema (required fields and their types); throws tinytorch::Error
  // naming the field. Plausibility is ValidateSubmission's job.
  static Submission FromJson(const std::string& json);
};

struct SubmissionCheck {
  std::vector<std::string> errors;    // any error makes the submission invalid
  std::vector<std::string> warnings;  // worth a look, not disqualifying
  bool valid() const { return errors.empty(); }
};
// Never throws. Errors: malformed JSON or schema (a key given twice included), metrics that are
// not measurements, an unknown technique (ParseOlympicTechnique), an event the
// optimized model does not qualify for, speedup > 50× or compression > 32× (not plausible for the
// techniques of this course on one machine), an accuracy gain of more than 1 point in the closed
// division, no techniques. Warnings: a speedup whose interval includes 1, a latency interval wider
// than ±25% of its median, an accuracy gain of more than 1 point in the open division, a
// timestamp in the future.
SubmissionCheck ValidateSubmission(const std::string& json);

struct LeaderboardEntry {
  int rank = 0;
  std::string source;  // where the submission came from (a file name)
  Submission submission;
  OlympicScores scores;
};

struct Leaderboard {
  OlympicEvent event = OlympicEvent::kAllAround;
  std::string division;
  std::vector<LeaderboardEntry> entries;                      // in rank order
  std::vector<std::pair<std::string, std::string>> rejected;  // (source, first error)
  int skipped_other = 0;  // valid submissions for another event or division
  int superseded = 0;     // valid submissions of an athlete already on the board with a better one
  std::string ToMarkdown() const;
  std::string ToJson() const;
};
// Ranks the valid submissions for `event` in `division` (each submission is one entry) by event
// score, higher first. Scores are compared at the 4 significant digits the board prints, and
// equal scores share a rank (1, 1, 3). Within a tie the print order is athlete name, then source:
// deterministic, and never decided by a self-reported field such as the timestamp. One athlete
// (the exact name) appears once: their best-scoring submission (of equal ones, the first source);
// the others are counted as superseded.
// `submissions` holds (source, JSON text) pairs.
Leaderboard BuildLeaderboard(OlympicEvent event, const std::string& division,
                             const std::vector<std::pair<std::string, std::string>>& submissions);

}  // namespace tinytorch
