// Times beside instruction counts (perf_framework/time_and_counts.h): the rule that reads a time
// change and a count change together, the cache-miss materiality test, the join by benchmark and
// its renderings. The command end to end on fixture files is tests/integration/time_counts_cli_test.sh.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

#include "perf_framework/error.h"
#include "perf_framework/time_and_counts.h"

namespace perf {
namespace {

constexpr Direction kUp = Direction::kUp, kDown = Direction::kDown, kFlat = Direction::kFlat,
                    kUnknown = Direction::kUnknown;

TEST(ReadChange, TableOfCases) {
  struct Case {
    Direction time, instructions, l1d, ll;
    Reading expected;
  };
  const Case cases[] = {
      // No count: the time alone.
      {kUp, kUnknown, kUp, kUp, Reading::kNotCounted},
      {kUnknown, kUnknown, kUnknown, kUnknown, Reading::kNotCounted},
      // The timing cannot decide: the count says whether the work changed.
      {kUnknown, kFlat, kUp, kUp, Reading::kTimingNoise},
      {kUnknown, kUp, kFlat, kFlat, Reading::kCountOnly},
      {kUnknown, kDown, kFlat, kFlat, Reading::kCountOnly},
      // Same way: the work explains the time, whatever the misses did.
      {kUp, kUp, kFlat, kFlat, Reading::kAgree},
      {kUp, kUp, kUp, kUp, Reading::kAgree},
      {kDown, kDown, kUp, kFlat, Reading::kAgree},
      {kFlat, kFlat, kUp, kUp, Reading::kAgree},
      // Slower without more work: the last level first, then L1, else neither.
      {kUp, kFlat, kUp, kUp, Reading::kMemoryBound},
      {kUp, kDown, kFlat, kUp, Reading::kMemoryBound},
      {kUp, kFlat, kUp, kFlat, Reading::kCacheBound},
      {kUp, kDown, kUp, kDown, Reading::kCacheBound},
      {kUp, kFlat, kFlat, kFlat, Reading::kSlowerNotWork},
      {kUp, kDown, kDown, kDown, Reading::kSlowerNotWork},
      {kUp, kFlat, kUnknown, kUnknown, Reading::kSlowerNotWork},  // no cache simulation
      // Faster without less work.
      {kDown, kFlat, kDown, kFlat, Reading::kFewerMisses},
      {kDown, kUp, kFlat, kDown, Reading::kFewerMisses},
      {kDown, kFlat, kFlat, kFlat, Reading::kFasterNotWork},
      {kDown, kUp, kUp, kUp, Reading::kFasterNotWork},
      // Work changed, time did not.
      {kFlat, kUp, kFlat, kFlat, Reading::kHiddenWork},
      {kFlat, kUp, kDown, kDown, Reading::kHiddenWork},
      {kFlat, kDown, kFlat, kFlat, Reading::kSavedWorkIdle},
      {kFlat, kDown, kUp, kUp, Reading::kSavedWorkIdle},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReadChange(c.time, c.instructions, c.l1d, c.ll), c.expected)
        << "time " << DirectionName(c.time) << ", instructions " << DirectionName(c.instructions)
        << ", l1d " << DirectionName(c.l1d) << ", ll " << DirectionName(c.ll) << ": got "
        << Explain(ReadChange(c.time, c.instructions, c.l1d, c.ll)).name;
  }
}

TEST(ReadChange, EveryCombinationHasAReadingAndOnlyTheExpectedOnesDisagree) {
  std::set<std::string> names;
  for (const ReadingInfo& r : kReadings) {
    EXPECT_EQ(&Explain(r.reading), &r) << r.name;  // the table is in enum order
    EXPECT_TRUE(names.insert(r.name).second) << r.name;
    EXPECT_GT(std::string(r.meaning).size(), 40u) << r.name;
  }
  for (const Direction t : kAllDirections) {
    for (const Direction i : kAllDirections) {
      for (const Direction l1 : kAllDirections) {
        for (const Direction ll : kAllDirections) {
          const Reading r = ReadChange(t, i, l1, ll);
          // Agreement is exactly "the time moved as the work did"; a known time moving against
          // a known count is always a disagreement.
          const bool known = t != kUnknown && i != kUnknown;
          EXPECT_EQ(Explain(r).disagreement, known && t != i)
              << DirectionName(t) << DirectionName(i) << DirectionName(l1) << DirectionName(ll);
        }
      }
    }
  }
}

TEST(TimeDirection, FromVerdicts) {
  EXPECT_EQ(TimeDirection(ChangeVerdict::kRegression), kUp);
  EXPECT_EQ(TimeDirection(ChangeVerdict::kImprovement), kDown);
  EXPECT_EQ(TimeDirection(ChangeVerdict::kUnchanged), kFlat);
  EXPECT_EQ(TimeDirection(ChangeVerdict::kInconclusive), kUnknown);
  EXPECT_EQ(CountDirection("regression"), kUp);
  EXPECT_EQ(CountDirection("improvement"), kDown);
  EXPECT_EQ(CountDirection("unchanged"), kFlat);
  EXPECT_EQ(CountDirection("identical"), kFlat);
  EXPECT_EQ(CountDirection("what"), kUnknown);
}

TEST(MissDirection, AMissChangeMattersByWhatItCostsNotByItsRelativeSize) {
  // 1000 + 10 (10 + 5) + 100 * 2 = 1350 estimated cycles.
  EXPECT_DOUBLE_EQ(EstimatedCycles({{"instructions", 1000},
                                    {"l1d_misses", 10},
                                    {"ll_misses", 2},
                                    {"branch_mispredicts", 5}}),
                   1350);
  EXPECT_DOUBLE_EQ(EstimatedCycles({{"instructions", 7}}), 7);
  EXPECT_TRUE(std::isnan(EstimatedCycles({{"ll_misses", 7}})));
  // 260 -> 263 last-level misses (+1.2%) on 2 million cycles: 300 cycles, 0.015%: flat.
  EXPECT_EQ(MissDirection(260, 263, kLlMissCycles, 2e6, 1.0), kFlat);
  // The same +3 misses on 20,000 cycles: 1.5%: up. And -3: down.
  EXPECT_EQ(MissDirection(260, 263, kLlMissCycles, 2e4, 1.0), kUp);
  EXPECT_EQ(MissDirection(263, 260, kLlMissCycles, 2e4, 1.0), kDown);
  // At exactly the threshold it is not a change: 2 L1 misses * 10 / 2000 = 1%.
  EXPECT_EQ(MissDirection(0, 2, kL1MissCycles, 2000, 1.0), kFlat);
  EXPECT_EQ(MissDirection(0, 3, kL1MissCycles, 2000, 1.0), kUp);
  // Nothing to weigh against: unknown.
  EXPECT_EQ(MissDirection(1, 2, kL1MissCycles, 0, 1.0), kUnknown);
  EXPECT_EQ(MissDirection(1, kNaN, kL1MissCycles, 100, 1.0), kUnknown);
}

// A timing change as CompareRuns reports it, with the fields the join reads.
BenchmarkChange Timed(const std::string& name, double change_pct, ChangeVerdict v) {
  BenchmarkChange c;
  c.name = name;
  c.baseline_median = 1000;
  c.current_median = 1000 * (1 + change_pct / 100);
  c.change_pct = change_pct;
  c.ci_low_pct = change_pct - 2;
  c.ci_high_pct = change_pct + 2;
  c.verdict = v;
  c.method = "mann-whitney (exact)";
  return c;
}

// Counts (instructions, l1d, ll) before and after, as a file of each side.
nlohmann::json CountEntry(const std::string& name, double instructions, double l1d, double ll) {
  return {{"name", name}, {"run_type", "iteration"}, {"instructions", instructions},
          {"l1d_misses", l1d}, {"ll_misses", ll}, {"branch_mispredicts", 0.0}};
}

TimeAndCountComparison Fixture() {
  ComparisonReport times;
  times.baseline_source = "before.json";
  times.current_source = "after.json";
  times.changes = {Timed("BM_More", 20, ChangeVerdict::kRegression),
                   Timed("BM_Memory", 30, ChangeVerdict::kRegression),
                   Timed("BM_Hidden", 0, ChangeVerdict::kUnchanged),
                   Timed("BM_Noisy", 5, ChangeVerdict::kInconclusive),
                   Timed("BM_TimedOnly", 0, ChangeVerdict::kUnchanged),
                   Timed("BM_|`x`<b>", 0, ChangeVerdict::kUnchanged)};
  const nlohmann::json before = {
      {"benchmarks",
       {CountEntry("BM_More", 1e5, 400, 100), CountEntry("BM_Memory", 5e5, 1000, 200),
        CountEntry("BM_Hidden", 8e4, 300, 50), CountEntry("BM_Noisy", 9e4, 300, 50),
        CountEntry("BM_CountedOnly", 1e4, 10, 5), CountEntry("BM_|`x`<b>", 3e4, 100, 20)}}};
  const nlohmann::json after = {
      {"benchmarks",
       {CountEntry("BM_More", 1.2e5, 480, 100), CountEntry("BM_Memory", 5e5, 4000, 3000),
        CountEntry("BM_Hidden", 8.4e4, 300, 50), CountEntry("BM_Noisy", 9e4, 300, 50),
        CountEntry("BM_CountedOnly", 1.1e4, 10, 5), CountEntry("BM_|`x`<b>", 3e4, 100, 20)}}};
  return JoinTimesAndCounts(times, CompareCounts(ParseCounts(before, "cb.json"),
                                                 ParseCounts(after, "ca.json"), "instructions",
                                                 1.0, 0.0));
}

TEST(JoinTimesAndCounts, ReadsEachBenchmarkAndCountsRegressionsOfEitherKind) {
  const TimeAndCountComparison r = Fixture();
  ASSERT_EQ(r.rows.size(), 6u);
  EXPECT_EQ(r.rows[0].reading, Reading::kAgree);  // +20% time, +20% instructions
  EXPECT_NEAR(r.rows[0].instructions->change_pct, 20, 1e-9);
  EXPECT_EQ(r.rows[1].reading, Reading::kMemoryBound);
  EXPECT_NEAR(r.rows[1].ll_change_pct, 1400, 1e-9);  // 200 -> 3000
  EXPECT_EQ(r.rows[1].ll, kUp);
  EXPECT_EQ(r.rows[1].l1d, kUp);  // 3000 more L1 misses: 30,000 cycles on ~530,000
  EXPECT_EQ(r.rows[2].reading, Reading::kHiddenWork);
  EXPECT_EQ(r.rows[3].reading, Reading::kTimingNoise);
  EXPECT_EQ(r.rows[4].reading, Reading::kNotCounted);
  EXPECT_FALSE(r.rows[4].instructions.has_value());
  EXPECT_TRUE(std::isnan(r.rows[4].l1d_change_pct));
  EXPECT_EQ(r.rows[5].reading, Reading::kAgree);
  EXPECT_EQ(r.counted_only, std::vector<std::string>{"BM_CountedOnly"});
  // BM_More and BM_Memory in time; BM_Hidden (+5%) and BM_CountedOnly (+10%) in instructions.
  EXPECT_EQ(r.regressions, 4);
  EXPECT_EQ(r.disagreements, 2);  // memory-bound, hidden-work
}

TEST(JoinTimesAndCounts, RendersAgreeAndEscapeHostileNames) {
  const TimeAndCountComparison r = Fixture();
  const std::string text = r.ToText();
  EXPECT_NE(text.find("memory-bound (1): slower without more instructions"), std::string::npos)
      << text;
  EXPECT_NE(text.find("hidden-work (1): more instructions but not slower"), std::string::npos);
  EXPECT_NE(text.find("counted, not timed: BM_CountedOnly"), std::string::npos);
  EXPECT_NE(text.find("6 benchmark(s) timed, 5 of them counted: 4 with a regression (time or "
                      "instructions), 2 where time and count disagree"),
            std::string::npos)
      << text;
  const std::string md = r.ToMarkdown();
  EXPECT_EQ(md.find("<b>"), std::string::npos) << md;  // no raw HTML from a name
  EXPECT_NE(md.find("BM\\_\\|\\`x\\`\\<b\\>"), std::string::npos) << md;
  EXPECT_NE(md.find("| **memory-bound** |"), std::string::npos) << md;
  EXPECT_NE(md.find("- **hidden-work** (1): "), std::string::npos) << md;
  // Each table row has the header's 9 cell borders: a name cannot add a cell.
  size_t rows = 0;
  std::istringstream lines(md);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `BM_", 0) != 0 && line.rfind("| BM", 0) != 0) continue;
    ++rows;
    size_t bars = 0;
    for (size_t i = 0; i < line.size(); ++i) bars += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
    EXPECT_EQ(bars, 9u) << line;
  }
  EXPECT_EQ(rows, 6u) << md;
  const nlohmann::json j = r.ToJson();
  EXPECT_EQ(j["regressions"], 4);
  EXPECT_EQ(j["disagreements"], 2);
  ASSERT_EQ(j["comparisons"].size(), 6u);
  EXPECT_EQ(j["comparisons"][1]["reading"], "memory-bound");
  EXPECT_EQ(j["comparisons"][1]["ll_misses"]["direction"], "up");
  EXPECT_EQ(j["comparisons"][1]["ll_misses"]["baseline"], 200.0);
  EXPECT_EQ(j["comparisons"][1]["time"]["verdict"], "regression");
  EXPECT_TRUE(j["comparisons"][4]["instructions"].is_null());
  EXPECT_EQ(j["comparisons"][4]["reading"], "not-counted");
  EXPECT_EQ(j["counted_only"][0], "BM_CountedOnly");
}

TEST(ReadCounts, ADirectoryIsOneSetAndABenchmarkInTwoFilesIsNamed) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("perf_read_counts_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto write = [&dir](const char* file, const nlohmann::json& j) {
    std::ofstream(dir / file) << j.dump();
  };
  write("a_bench.json", {{"benchmarks", {CountEntry("BM_A", 10, 1, 1)}}});
  write("b_bench.json", {{"benchmarks", {CountEntry("BM_B", 20, 1, 1)}}});
  const CountSet set = ReadCounts(dir.string());
  ASSERT_EQ(set.benchmarks.size(), 2u);
  EXPECT_EQ(set.benchmarks[1].first, "BM_B");
  write("c_bench.json", {{"benchmarks", {CountEntry("BM_A", 11, 1, 1)}}});
  try {
    ReadCounts(dir.string());
    ADD_FAILURE() << "a benchmark counted twice was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'BM_A' is counted in both"), std::string::npos) << m;
    EXPECT_NE(m.find("a_bench.json and"), std::string::npos) << m;
    EXPECT_NE(m.find("c_bench.json"), std::string::npos) << m;
  }
  fs::remove_all(dir);
  EXPECT_THROW(ReadCounts(dir.string()), Error);  // gone: not readable, named
}

}  // namespace
}  // namespace perf
