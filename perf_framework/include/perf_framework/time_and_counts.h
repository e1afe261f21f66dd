// Times and instruction counts of the same benchmarks side by side, and what it means when they
// disagree (`tinyperf compare BEFORE AFTER --counts BEFORE_COUNTS AFTER_COUNTS`). A timing answers
// "is it slower on this machine?" through noise (separate runs drift by a median 7% on a shared
// VM); a count answers "does it do more work?" exactly (A/A: no change). Together they say why a
// time moved: more work, or the same work waiting longer (cache misses), or neither (threads,
// frequency, a slow run). The rule is one table (kReadings) and one small function (ReadChange).
#pragma once

#include <cstddef>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "perf_framework/counts.h"
#include "perf_framework/regression.h"
#include "perf_framework/regression_compare.h"
#include "perf_framework/statistics.h"

namespace perf {

// Which way one measure moved, each decided by its own rule: a time by its verdict (regression:
// up, improvement: down, unchanged: flat, inconclusive: unknown), a count by its relative change
// against the count threshold, a counter not measured on both sides: unknown.
enum class Direction { kUp, kDown, kFlat, kUnknown };
inline constexpr Direction kAllDirections[] = {Direction::kUp, Direction::kDown, Direction::kFlat,
                                               Direction::kUnknown};
inline constexpr const char* kDirectionNames[] = {"up", "down", "flat", "unknown"};
static_assert(std::size(kDirectionNames) == std::size(kAllDirections));
constexpr const char* DirectionName(Direction d) {
  return kDirectionNames[static_cast<size_t>(d)];
}

Direction TimeDirection(ChangeVerdict v);
// A CountChange::verdict: "regression" up, "improvement" down, "unchanged"/"identical" flat.
Direction CountDirection(const std::string& count_verdict);

// Whether a change of a cache-miss counter matters: a relative change of a small miss count says
// little (260 to 263 misses is +1.2%, and costs nothing). A miss counter moves only when what its
// change costs, weighted as in KCachegrind's cycle estimate (an L1 miss ~10 cycles, a last-level
// miss ~100, an instruction 1), exceeds threshold_pct of the baseline's estimated cycles.
//   miss_cycles:     10 for l1d_misses, 100 for ll_misses (kL1MissCycles, kLlMissCycles)
//   baseline_cycles: EstimatedCycles of the baseline's counters
inline constexpr double kL1MissCycles = 10, kLlMissCycles = 100, kBranchMispredictCycles = 10;
// instructions + 10 (l1d_misses + branch_mispredicts) + 100 ll_misses, counters absent counting 0;
// NaN without instructions.
double EstimatedCycles(const std::map<std::string, double>& counters);
Direction MissDirection(double baseline_misses, double current_misses, double miss_cycles,
                        double baseline_cycles, double threshold_pct);

// What a benchmark's time and count changes mean together; one row per reading in kReadings.
enum class Reading {
  kNotCounted,      // no instruction count on both sides: the time alone
  kAgree,           // time and work moved the same way (or neither moved)
  kTimingNoise,     // the timing cannot decide, the work did not change
  kCountOnly,       // the work changed, the timing cannot resolve it
  kMemoryBound,     // slower without more instructions; more last-level misses
  kCacheBound,      // slower without more instructions; more L1 data misses
  kSlowerNotWork,   // slower without more instructions or simulated misses
  kFewerMisses,     // faster without fewer instructions; fewer simulated misses
  kFasterNotWork,   // faster without fewer instructions or simulated misses
  kHiddenWork,      // more instructions, not slower
  kSavedWorkIdle,   // fewer instructions, not faster
};
struct ReadingInfo {
  Reading reading;
  const char* name;     // for tables and JSON
  bool disagreement;    // the time and the count tell different stories
  const char* meaning;  // one sentence: what it means and what to do
};
inline constexpr ReadingInfo kReadings[] = {
    {Reading::kNotCounted, "not-counted", false,
     "no instruction count on both sides: the time alone decides"},
    {Reading::kAgree, "agree", false,
     "the time and the instruction count moved the same way (or neither moved): the work "
     "explains the time"},
    {Reading::kTimingNoise, "timing-noise", false,
     "the timing cannot decide (noise on this machine) and the instruction count did not change: "
     "most likely no change at all"},
    {Reading::kCountOnly, "count-only", false,
     "the work changed but the timing cannot resolve it (noise): the count is exact; time it "
     "with more alternating runs to learn what the change costs here"},
    {Reading::kMemoryBound, "memory-bound", true,
     "slower without more instructions, with more last-level cache misses: trips to memory, not "
     "work, cost the time (a working set that no longer fits, or a worse access order)"},
    {Reading::kCacheBound, "cache-bound", true,
     "slower without more instructions, with more L1 data misses: the same work waits on L2/L3 "
     "(a worse access pattern or a larger working set)"},
    {Reading::kSlowerNotWork, "slower-not-work", true,
     "slower without more instructions or simulated cache misses: threads or scheduling (counts "
     "run one thread), clock frequency, the real caches, or a slow run; confirm it "
     "(scripts/confirm.sh)"},
    {Reading::kFewerMisses, "fewer-misses", true,
     "faster without fewer instructions, with fewer simulated cache misses: a better access "
     "pattern, not less work"},
    {Reading::kFasterNotWork, "faster-not-work", true,
     "faster without fewer instructions or simulated cache misses: more parallelism, clock "
     "frequency, or a fast run; confirm it before crediting the change"},
    {Reading::kHiddenWork, "hidden-work", true,
     "more instructions but not slower: the extra work is hidden (latency-bound code leaves issue "
     "slots idle, or it runs in parallel, off the critical path); it may show on a busier or "
     "narrower machine"},
    {Reading::kSavedWorkIdle, "saved-work-idle", true,
     "fewer instructions but not faster: the time goes to waiting (memory, dependency chains), "
     "not to executing; saving work will not help until the waiting is cut"},
};
static_assert(std::size(kReadings) == static_cast<size_t>(Reading::kSavedWorkIdle) + 1);
static_assert([] {
  for (size_t i = 0; i < std::size(kReadings); ++i) {
    if (static_cast<size_t>(kReadings[i].reading) != i) return false;
  }
  return true;
}(), "kReadings is in Reading order");
// The row of kReadings for `r`: its name, whether it is a disagreement, and what it means.
constexpr const ReadingInfo& Explain(Reading r) { return kReadings[static_cast<size_t>(r)]; }

// The rule, a pure function of the four directions:
//   instructions unknown                      not-counted
//   time unknown                              timing-noise (instructions flat) or count-only
//   time == instructions                      agree
//   time up (instructions flat or down)       memory-bound if ll up, else cache-bound if l1d up,
//                                             else slower-not-work
//   time down (instructions flat or up)       fewer-misses if ll or l1d down, else faster-not-work
//   time flat                                 hidden-work (instructions up), saved-work-idle (down)
Reading ReadChange(Direction time, Direction instructions, Direction l1d_misses,
                   Direction ll_misses);

// One benchmark, timed and (when counted on both sides) counted.
struct TimeAndCount {
  BenchmarkChange time;
  std::optional<CountChange> instructions;  // CountChange::others holds the miss counters
  double l1d_change_pct = kNaN, ll_change_pct = kNaN;  // NaN when not counted on both sides
  Direction l1d = Direction::kUnknown, ll = Direction::kUnknown;
  Reading reading = Reading::kNotCounted;
};

struct TimeAndCountComparison {
  ComparisonReport times;
  CountComparison counts;               // of instructions
  std::vector<TimeAndCount> rows;       // the timed benchmarks, in the timing comparison's order
  std::vector<std::string> counted_only;  // counted on both sides but not timed on both
  std::vector<std::string> warnings;    // the timing's, then the counts'
  std::vector<std::string> not_measured;  // the timing's and the counts', sorted, each once
  int regressions = 0;    // benchmarks with a timing regression or an instruction regression
  int disagreements = 0;  // rows whose reading is a disagreement
  std::string ToText() const;
  std::string ToMarkdown() const;
  nlohmann::json ToJson() const;
};

// Joins the two comparisons by benchmark name and reads each row (ReadChange). The counts'
// threshold decides the miss directions too.
TimeAndCountComparison JoinTimesAndCounts(ComparisonReport times, CountComparison counts);

// `tinyperf compare BASELINE CURRENT --counts BASELINE_COUNTS CURRENT_COUNTS`: the timing
// comparison of CompareFiles (Google Benchmark runs only), the instruction counts compared at
// count_threshold_pct and jitter_pct (CompareCounts; each side a count file or a directory,
// ReadCounts), joined. Throws perf::Error naming the file that cannot be read or is a results file.
TimeAndCountComparison CompareTimesAndCounts(const std::string& baseline,
                                             const std::string& current,
                                             const CompareFilesOptions& options,
                                             const std::string& baseline_counts,
                                             const std::string& current_counts,
                                             double count_threshold_pct, double jitter_pct);

}  // namespace perf
