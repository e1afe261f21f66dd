// Instruction counts (perf_framework/counts.h): reading callgrind's dumps, removing the harness,
// reading count files and the deterministic comparison rule. The end-to-end run under Valgrind is
// tests/integration/count_cli_test.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "perf_framework/counts.h"
#include "perf_framework/error.h"

namespace perf {
namespace {

using ::testing::HasSubstr;

// The header of a real callgrind dump (valgrind 3.19, cache and branch simulation on).
constexpr const char* kLoopDump = R"(# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 17470
cmd:  ./bench --benchmark_filter=^BM_X$
part: 4

desc: I1 cache: 32768 B, 64 B, 8-way associative
desc: Timerange: Basic block 508236 - 509243
desc: Trigger: --dump-before=benchmark::State::FinishKeepRunning()

positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim
summary: 5023 255 121 3 10 2 1 4 5 115 9 4 3

fn=(1) main
0 5023 255 121 3 10 2 1 4 5 115 9 4 3
totals: 5023 255 121 3 10 2 1 4 5 115 9 4 3
)";

TEST(CallgrindPart, ReadsTriggerAndTotals) {
  const CallgrindPart p = ParseCallgrindPart(kLoopDump, "b0.callgrind.4");
  EXPECT_EQ(p.trigger, "--dump-before=benchmark::State::FinishKeepRunning()");
  EXPECT_EQ(p.events.at("Ir"), 5023);
  EXPECT_EQ(p.events.at("Bim"), 3);
  const auto c = CountersFromEvents(p.events);
  EXPECT_EQ(c.at("instructions"), 5023);
  EXPECT_EQ(c.at("l1d_misses"), 12);         // D1mr + D1mw
  EXPECT_EQ(c.at("ll_misses"), 10);          // DLmr + DLmw + ILmr
  EXPECT_EQ(c.at("branch_mispredicts"), 12); // Bcm + Bim
}

TEST(CallgrindPart, InstructionsOnlyWithoutSimulationAndTrailingZerosLeftOut) {
  const CallgrindPart p =
      ParseCallgrindPart("events: Ir Bc\nsummary: 77\n", "instructions-only.callgrind");
  EXPECT_EQ(p.events.at("Ir"), 77);
  EXPECT_EQ(p.events.at("Bc"), 0);  // callgrind leaves trailing zero totals out
  const auto c = CountersFromEvents(p.events);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.at("instructions"), 77);
}

TEST(CallgrindPart, MalformedDumpsNameTheFileAndTheProblem) {
  const auto message = [](const char* text) {
    try {
      ParseCallgrindPart(text, "dump.7");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("summary: 1\n").find("dump.7: not a callgrind output file"), std::string::npos);
  EXPECT_NE(message("events: Ir\n").find("dump.7: no `totals:`"), std::string::npos);
  EXPECT_NE(message("events: Ir\nsummary: 1 2\n").find("2 totals for 1 events"),
            std::string::npos);
  EXPECT_NE(message("events: Ir\nsummary: -4\n").find("event Ir is '-4'"), std::string::npos);
  EXPECT_NE(message("events: Ir\nsummary: 1e999\n").find("not a count"), std::string::npos);
  EXPECT_NE(message("events: Ir\nsummary: 12abc\n").find("not a count"), std::string::npos);
}

// The harness model: a loop of k iterations costs fixed + k * (body + per_iteration).
TEST(Harness, RemovedSoEveryIterationCountGivesTheSameFigure) {
  const std::map<std::string, double> probe1 = {{"instructions", 11}};     // 9 + 1 * 2
  const std::map<std::string, double> probe1000 = {{"instructions", 2009}}; // 9 + 1000 * 2
  const HarnessCost h = HarnessFromProbe(probe1, probe1000, 1000);
  EXPECT_DOUBLE_EQ(h.per_iteration.at("instructions"), 2);
  EXPECT_DOUBLE_EQ(h.fixed.at("instructions"), 9);
  const double body = 5000;
  for (int64_t k : {1, 7, 50, 1000}) {
    const std::map<std::string, double> loop = {{"instructions", 9 + k * (body + 2)}};
    EXPECT_DOUBLE_EQ(PerIteration(loop, k, h).at("instructions"), body) << k << " iterations";
  }
  // The empty loop itself counts as nothing.
  EXPECT_DOUBLE_EQ(PerIteration(probe1000, 1000, h).at("instructions"), 0);
  EXPECT_THROW(PerIteration(probe1, 0, h), Error);
  EXPECT_THROW(HarnessFromProbe(probe1, probe1000, 1), Error);
}

TEST(Harness, ACounterBelowTheProbesIsZeroNotNegative) {
  const HarnessCost h = HarnessFromProbe({{"l1d_misses", 3}}, {{"l1d_misses", 3}}, 1000);
  EXPECT_EQ(PerIteration({{"l1d_misses", 1}}, 1, h).at("l1d_misses"), 0);
}

nlohmann::json CountFile(double spin, double matmul, const std::string& simd = "avx2") {
  return {{"context", {{"count", {{"tool", "valgrind-3.19.0 --tool=callgrind"},
                                  {"tt_simd_level", simd},
                                  {"cache_model", "I1 32 KiB"}}}}},
          {"benchmarks",
           {{{"name", "BM_Spin"}, {"run_type", "iteration"}, {"iterations", 1},
             {"instructions", spin}, {"l1d_misses", 0}},
            {{"name", "BM_MatMul/64"}, {"run_type", "iteration"}, {"iterations", 1},
             {"instructions", matmul}, {"l1d_misses", 40}}}}};
}

TEST(CompareCounts, IdenticalCountsAreIdenticalAndNothingElse) {
  const CountSet a = ParseCounts(CountFile(5012, 90000), "a.json");
  const CountComparison c = CompareCounts(a, a, "instructions", 1.0, 0.0);
  ASSERT_EQ(c.changes.size(), 2u);
  for (const CountChange& x : c.changes) EXPECT_EQ(x.verdict, "identical") << x.name;
  EXPECT_EQ(c.regressions, 0);
  EXPECT_TRUE(c.warnings.empty());
}

// A benchmark counted in the baseline and not now (absent, or failed: a side's errors are not
// among its benchmarks) is listed, as the timing comparison lists it.
TEST(CompareCounts, ABaselineBenchmarkNotCountedNowIsListed) {
  const CountSet a = ParseCounts(CountFile(5012, 90000), "a.json");
  CountSet b = a;
  b.benchmarks.pop_back();
  const CountComparison c = CompareCounts(a, b, "instructions", 1.0, 0.0);
  EXPECT_EQ(c.not_measured, (std::vector<std::string>{"BM_MatMul/64"}));
  EXPECT_THAT(c.ToText(), HasSubstr("1 benchmark(s) of the baseline not measured now"));
  EXPECT_TRUE(CompareCounts(b, a, "instructions", 1.0, 0.0).not_measured.empty());
}

TEST(CompareCounts, TwoPercentMoreWorkIsARegressionAndHalfAPercentIsNot) {
  const CountSet base = ParseCounts(CountFile(50012, 90000), "base.json");
  const CountSet cur = ParseCounts(CountFile(51012, 90450), "cur.json");
  const CountComparison c = CompareCounts(base, cur, "instructions", 1.0, 0.0);
  EXPECT_EQ(c.regressions, 1);
  EXPECT_EQ(c.changes[0].verdict, "regression");
  EXPECT_EQ(c.changes[0].severity, "minor");  // under two thresholds
  EXPECT_NEAR(c.changes[0].change_pct, 1.9995, 1e-3);
  EXPECT_EQ(c.changes[1].verdict, "unchanged");  // +0.5%: stated, not a regression
  EXPECT_NEAR(c.changes[1].change_pct, 0.5, 1e-9);
  EXPECT_EQ(c.changes[1].others.at("l1d_misses"), (std::pair<double, double>{40, 40}));
  // The other way round it is an improvement.
  EXPECT_EQ(CompareCounts(cur, base, "instructions", 1.0, 0.0).improvements, 1);
  // Severity grows with the change.
  const CountSet big = ParseCounts(CountFile(80000, 90000), "big.json");
  EXPECT_EQ(CompareCounts(base, big, "instructions", 1.0, 0.0).changes[0].severity, "severe");
}

TEST(CompareCounts, CountsTakenOnDifferentIsaPathsAreFlagged) {
  const CountSet a = ParseCounts(CountFile(5012, 90000, "avx2"), "a.json");
  const CountSet b = ParseCounts(CountFile(5012, 90000, "scalar"), "b.json");
  const CountComparison c = CompareCounts(a, b, "instructions", 1.0, 0.0);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("tt_simd_level: avx2 vs scalar"), std::string::npos);
}

TEST(CompareCounts, HostileOrBrokenFilesAreRejectedWithTheEntry) {
  const auto message = [](nlohmann::json j) {
    try {
      ParseCounts(j, "f.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"x", 1}}).find("f.json: not Google Benchmark JSON"), std::string::npos);
  nlohmann::json j = CountFile(1, 2);
  j["benchmarks"][1]["instructions"] = -3;
  EXPECT_NE(message(j).find("f.json: benchmarks[1] (BM_MatMul/64): 'instructions' is -3"),
            std::string::npos);
  j = CountFile(1, 2);
  j["benchmarks"][0]["instructions"] = "many";
  EXPECT_NE(message(j).find("'instructions' is not a number"), std::string::npos);
  j = CountFile(1, 2);
  j["benchmarks"][1]["name"] = "BM_Spin";
  EXPECT_NE(message(j).find("appears twice"), std::string::npos);
  j = CountFile(1, 2);
  j["benchmarks"][0]["run_type"] = 7;
  EXPECT_NE(message(j).find("f.json: benchmarks[0]: field 'run_type' has the wrong type (number)"),
            std::string::npos)
      << message(j);
  // A benchmark that failed to count is kept as an error, not a zero.
  j = CountFile(1, 2);
  j["benchmarks"][1]["error_occurred"] = true;
  j["benchmarks"][1]["error_message"] = "SIGILL";
  const CountSet s = ParseCounts(j, "f.json");
  EXPECT_EQ(s.benchmarks.size(), 1u);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].second, "SIGILL");
  EXPECT_THROW(CompareCounts(s, s, "real_time", 1.0, 0.0), Error);
  EXPECT_THROW(CompareCounts(s, s, "instructions", 1.0, 2.0), Error);  // jitter above threshold
}

TEST(CompareCounts, MarkdownEscapesHostileNames) {
  nlohmann::json j = CountFile(1, 2);
  j["benchmarks"][0]["name"] = "BM_|evil\n| 1 | forged |";
  const CountSet s = ParseCounts(j, "f.json");
  const std::string md = CompareCounts(s, s, "instructions", 1.0, 0.0).ToMarkdown();
  EXPECT_EQ(md.find("\n| 1 | forged"), std::string::npos) << md;
  EXPECT_NE(md.find("\\|evil"), std::string::npos) << md;
}

TEST(CountBaselineKey, IsWhatDecidesACountAndASafeDirectoryName) {
  const nlohmann::json context = {{"tinytorch_compiler", "gcc-12.2.0"},
                                  {"tinytorch_march", "portable"},
                                  {"host_name", "any machine"},
                                  {"count", {{"tt_simd_level", "avx2"}}}};
  EXPECT_EQ(CountBaselineKey(context), "gcc-12.2.0-portable-avx2");
  EXPECT_EQ(CountBaselineKey({{"tinytorch_compiler", "clang-14.0.6 "}}),
            "clang-14.0.6-unknown-unknown");
  EXPECT_EQ(CountBaselineKey({{"tinytorch_compiler", "../../etc/passwd"}}),
            "..-..-etc-passwd-unknown-unknown");
  EXPECT_EQ(CountBaselineKey(nlohmann::json()), "unknown-unknown-unknown");
}

}  // namespace
}  // namespace perf
