// Regression detection between two Google Benchmark runs: parsing (repetitions, units,
// aggregates, errors, malformed files), the verdict rule, Holm's correction, severities, and the
// p-values against SciPy's mannwhitneyu (values below computed with scipy 1.10,
// mannwhitneyu(baseline, current, alternative="two-sided", method="auto")).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "perf_framework/error.h"
#include "perf_framework/regression.h"
#include "support/report_testing.h"

namespace perf {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ThrowsMessage;
using tinytorch::testing::LinesStartingWith;
using tinytorch::testing::TableCellBorders;

nlohmann::json Repetitions(const std::string& name, const std::vector<double>& times,
                           const std::string& unit = "ns") {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < times.size(); ++i) {
    list.push_back({{"name", name},
                    {"run_name", name},
                    {"run_type", "iteration"},
                    {"repetitions", times.size()},
                    {"repetition_index", i},
                    {"iterations", 1000},
                    {"real_time", times[i]},
                    {"cpu_time", 2 * times[i]},
                    {"time_unit", unit}});
  }
  return list;
}

BenchmarkRun MakeRun(const std::vector<std::pair<std::string, std::vector<double>>>& benchmarks,
                     const std::string& host = "box") {
  nlohmann::json j = {{"context", {{"host_name", host}, {"num_cpus", 2}}},
                      {"benchmarks", nlohmann::json::array()}};
  for (const auto& [name, times] : benchmarks) {
    for (const auto& b : Repetitions(name, times)) j["benchmarks"].push_back(b);
  }
  return ParseGoogleBenchmark(j, host + ".json");
}

std::vector<double> Scaled(const std::vector<double>& x, double f) {
  std::vector<double> y;
  for (const double v : x) y.push_back(v * f);
  return y;
}

const std::vector<double> kBase = {100, 101, 99, 102, 98, 100.5, 99.5, 101.5, 98.5, 100.2};

TEST(PerfRegressionTest, ParsesRepetitionsUnitsAggregatesAndErrors) {
  nlohmann::json j = {{"context", {{"host_name", "a"}}}, {"benchmarks", nlohmann::json::array()}};
  for (const auto& b : Repetitions("BM_X/8", {1.5, 2.5, 2.0}, "us")) j["benchmarks"].push_back(b);
  j["benchmarks"].push_back({{"name", "BM_X/8_median"},
                             {"run_name", "BM_X/8"},
                             {"run_type", "aggregate"},
                             {"aggregate_name", "median"},
                             {"real_time", 2.0},
                             {"cpu_time", 4.0},
                             {"time_unit", "us"}});
  // --benchmark_report_aggregates_only: no repetitions, only mean and median.
  for (const char* agg : {"mean", "median"}) {
    j["benchmarks"].push_back({{"name", std::string("BM_Y_") + agg},
                               {"run_name", "BM_Y"},
                               {"run_type", "aggregate"},
                               {"aggregate_name", agg},
                               {"real_time", agg == std::string("mean") ? 7.0 : 5.0},
                               {"cpu_time", 5.0},
                               {"time_unit", "ms"}});
  }
  j["benchmarks"].push_back({{"name", "BM_Broken"},
                             {"run_type", "iteration"},
                             {"error_occurred", true},
                             {"error_message", "no GPU"}});
  const BenchmarkRun run = ParseGoogleBenchmark(j, "a.json");
  ASSERT_EQ(run.benchmarks.size(), 3u);
  EXPECT_EQ(run.benchmarks[0].name, "BM_X/8");
  EXPECT_EQ(run.benchmarks[0].samples, (std::vector<double>{1500, 2500, 2000}));
  EXPECT_FALSE(run.benchmarks[0].aggregate_only);
  EXPECT_EQ(run.benchmarks[1].samples, (std::vector<double>{5e6}));  // the median, in ns
  EXPECT_TRUE(run.benchmarks[1].aggregate_only);
  EXPECT_EQ(run.benchmarks[2].error, "no GPU");
  EXPECT_EQ(ParseGoogleBenchmark(j, "a.json", "cpu_time").benchmarks[0].samples,
            (std::vector<double>{3000, 5000, 4000}));
  EXPECT_EQ(run.context["host_name"], "a");
}

// A gate must not pass what it no longer measures: a benchmark of the baseline absent now, or
// failing now, is listed and warned about; one that failed in the baseline already is not.
TEST(PerfRegressionTest, BaselineBenchmarksNotMeasuredNowAreListed) {
  const auto broken = [](nlohmann::json j, const std::string& name) {
    j["benchmarks"].push_back({{"name", name},
                               {"run_type", "iteration"},
                               {"error_occurred", true},
                               {"error_message", "no GPU"}});
    return j;
  };
  nlohmann::json base = {{"context", {{"host_name", "box"}}},
                         {"benchmarks", nlohmann::json::array()}};
  nlohmann::json cur = base;
  for (const char* name : {"BM_Kept", "BM_Gone", "BM_FailsNow"}) {
    for (const auto& b : Repetitions(name, kBase)) base["benchmarks"].push_back(b);
  }
  for (const auto& b : Repetitions("BM_Kept", kBase)) cur["benchmarks"].push_back(b);
  base = broken(base, "BM_AlwaysBroken");
  cur = broken(broken(cur, "BM_FailsNow"), "BM_AlwaysBroken");
  const ComparisonReport r =
      CompareRuns(ParseGoogleBenchmark(base, "base.json"), ParseGoogleBenchmark(cur, "cur.json"));
  EXPECT_EQ(r.regressions, 0);
  EXPECT_EQ(r.not_measured, (std::vector<std::string>{"BM_FailsNow", "BM_Gone"}));
  EXPECT_THAT(r.ToText(), HasSubstr("2 benchmark(s) of the baseline not measured now (absent, or "
                                    "an error): BM_FailsNow, BM_Gone"));
  EXPECT_EQ(r.ToJson()["not_measured"].size(), 2u);
  EXPECT_TRUE(
      CompareRuns(ParseGoogleBenchmark(base, "b.json"), ParseGoogleBenchmark(base, "b.json"))
          .not_measured.empty());
}

TEST(PerfRegressionTest, MalformedFilesNameTheFileAndTheProblem) {
  EXPECT_THAT(
      [] {
        ParseGoogleBenchmark({{"foo", 1}}, "x.json");
      },
      ThrowsMessage<Error>(HasSubstr("x.json: not Google Benchmark JSON")));
  nlohmann::json j = {{"benchmarks", Repetitions("BM_A", {1, 2})}};
  j["benchmarks"][1].erase("real_time");
  EXPECT_THAT(
      [&] { ParseGoogleBenchmark(j, "y.json"); },
      ThrowsMessage<Error>(HasSubstr("y.json: benchmarks[1] (BM_A): no numeric 'real_time'")));
  j = {{"benchmarks", Repetitions("BM_A", {1, 2}, "fortnights")}};
  EXPECT_THAT(
      [&] { ParseGoogleBenchmark(j, "z.json"); },
      ThrowsMessage<Error>(HasSubstr("z.json: benchmarks[0]: unknown time_unit 'fortnights'")));
  EXPECT_THAT([&] { ParseGoogleBenchmark(j, "z.json", "wall"); },
              ThrowsMessage<Error>(HasSubstr("metric 'wall' must be real_time or cpu_time")));
  const std::string path = ::testing::TempDir() + "truncated_bench.json";
  std::ofstream(path) << R"({"benchmarks": [{"name": "BM_A", "real_ti)";
  EXPECT_THAT([&] { ReadGoogleBenchmark(path); },
              ThrowsMessage<Error>(HasSubstr("truncated_bench.json: not valid JSON")));
  EXPECT_THAT([] { ReadGoogleBenchmark("/nonexistent/bench.json"); },
              ThrowsMessage<Error>(HasSubstr("/nonexistent/bench.json")));
}

// No clock measures a time of 0, a negative or a subnormal one: such a time of the compared
// metric is bad input, named by file, entry and field, in a repetition and in an aggregate alike;
// the other metric is not read.
TEST(PerfRegressionTest, TimesThatNoClockMeasuresAreRejected) {
  for (const double bad : {0.0, -0.0, -1.0, 1e-310, 4.9e-324}) {
    nlohmann::json j = {{"benchmarks", Repetitions("BM_A/8", {1, 2})}};
    j["benchmarks"][1]["real_time"] = bad;
    EXPECT_THAT([&] { ParseGoogleBenchmark(j, "t.json"); },
                ThrowsMessage<Error>(HasSubstr("t.json: benchmarks[1] (BM_A/8): 'real_time' is ")))
        << bad;
    EXPECT_NO_THROW(ParseGoogleBenchmark(j, "t.json", "cpu_time")) << bad;
  }
  nlohmann::json j = {{"benchmarks", Repetitions("BM_A", {1, 2})}};
  j["benchmarks"][0]["real_time"] = 0;
  EXPECT_THAT([&] { ParseGoogleBenchmark(j, "z.json"); },
              ThrowsMessage<Error>(HasSubstr(
                  "z.json: benchmarks[0] (BM_A): 'real_time' is 0 ns, not a time: a measured "
                  "time is positive, finite and not subnormal")));
  // A normal time that overflows once in ns.
  j["benchmarks"][0]["real_time"] = 1e300;
  j["benchmarks"][0]["time_unit"] = "s";
  EXPECT_THAT([&] { ParseGoogleBenchmark(j, "o.json"); },
              ThrowsMessage<Error>(HasSubstr("o.json: benchmarks[0] (BM_A): 'real_time' is ")));
  const nlohmann::json median = nlohmann::json::parse(
      R"({"benchmarks": [{"name": "BM_B_median", "run_name": "BM_B", "run_type": "aggregate",
                          "aggregate_name": "median", "real_time": 0, "cpu_time": 1}]})");
  EXPECT_THAT([&] { ParseGoogleBenchmark(median, "m.json"); },
              ThrowsMessage<Error>(HasSubstr("m.json: benchmarks[0] (BM_B): 'real_time' is 0")));
  // The smallest normal double and a tenth of a nanosecond are still times.
  j["benchmarks"][0]["real_time"] = 2.2250738585072014e-308;
  j["benchmarks"][0]["time_unit"] = "ns";
  EXPECT_EQ(ParseGoogleBenchmark(j, "n.json").benchmarks[0].samples[0], 2.2250738585072014e-308);
  j["benchmarks"][0]["real_time"] = 0.1;
  EXPECT_EQ(ParseGoogleBenchmark(j, "n.json").benchmarks[0].samples[0], 0.1);
}

TEST(PerfRegressionTest, ThirtyPercentSlowerIsAModerateRegressionWithScipysPValue) {
  const ComparisonReport r =
      CompareRuns(MakeRun({{"BM_A", kBase}}), MakeRun({{"BM_A", Scaled(kBase, 1.3)}}));
  ASSERT_EQ(r.changes.size(), 1u);
  const BenchmarkChange& c = r.changes[0];
  EXPECT_EQ(c.verdict, ChangeVerdict::kRegression) << c.reason;
  EXPECT_EQ(c.severity, "moderate");
  EXPECT_NEAR(c.change_pct, 30, 1e-9);  // every pairwise log ratio is log 1.3 or near it
  EXPECT_LE(c.ci_low_pct, 30);
  EXPECT_GE(c.ci_high_pct, 30);
  EXPECT_NEAR(c.p_value, 0.00018267179110955002, 1e-12);  // scipy: asymptotic, n = 10 each
  EXPECT_EQ(c.p_value_adjusted, c.p_value);               // one test: Holm changes nothing
  EXPECT_EQ(c.method, "mann-whitney (asymptotic)");
  EXPECT_EQ(r.regressions, 1);
  EXPECT_EQ(c.n_baseline, 10);
  EXPECT_DOUBLE_EQ(c.baseline_median, 100.1);
}

TEST(PerfRegressionTest, TiesUseTheCorrectedNormalApproximation) {
  const std::vector<double> b = {10, 10, 11, 12, 12, 13, 10, 11, 12, 11};
  const std::vector<double> c = {12, 13, 13, 14, 12, 15, 13, 14, 14, 13};
  const ComparisonReport r = CompareRuns(MakeRun({{"BM_T", b}}), MakeRun({{"BM_T", c}}));
  EXPECT_NEAR(r.changes[0].p_value, 0.001047654538717042, 1e-12);
  EXPECT_NEAR(r.changes[0].change_pct, 18.18181818181817, 1e-9);  // numpy: median pairwise ratio
  EXPECT_EQ(r.changes[0].verdict, ChangeVerdict::kRegression);
  EXPECT_EQ(r.changes[0].severity, "minor");
}

TEST(PerfRegressionTest, VerdictsAcrossTheRule) {
  const ComparisonReport r = CompareRuns(MakeRun({{"BM_Same", kBase},
                                                  {"BM_Faster", kBase},
                                                  {"BM_Severe", kBase},
                                                  {"BM_Small", kBase},
                                                  {"BM_Noisy", {100, 60, 150}},
                                                  {"BM_Gone", kBase}}),
                                         MakeRun({{"BM_Same", Scaled(kBase, 1.002)},
                                                  {"BM_Faster", Scaled(kBase, 0.7)},
                                                  {"BM_Severe", Scaled(kBase, 1.8)},
                                                  {"BM_Small", Scaled(kBase, 1.04)},
                                                  {"BM_Noisy", {90, 170, 120}},
                                                  {"BM_New", kBase}}));
  ASSERT_EQ(r.changes.size(), 5u);
  const auto verdict = [&](size_t i) { return r.changes[i].verdict; };
  EXPECT_EQ(verdict(0), ChangeVerdict::kUnchanged) << r.changes[0].reason;
  EXPECT_EQ(verdict(1), ChangeVerdict::kImprovement) << r.changes[1].reason;
  EXPECT_EQ(verdict(2), ChangeVerdict::kRegression);
  EXPECT_EQ(r.changes[2].severity, "severe");
  // Significant but below the 10% threshold: not a regression, and shown equivalent.
  EXPECT_EQ(verdict(3), ChangeVerdict::kUnchanged) << r.changes[3].reason;
  EXPECT_EQ(verdict(4), ChangeVerdict::kInconclusive) << r.changes[4].reason;
  EXPECT_GT(r.changes[4].repetitions_to_settle, 3);
  EXPECT_THAT(r.changes[4].reason, HasSubstr("repetitions per side would settle it"));
  EXPECT_EQ(r.regressions, 1);
  EXPECT_EQ(r.only_in_baseline, (std::vector<std::string>{"BM_Gone"}));
  EXPECT_EQ(r.only_in_current, (std::vector<std::string>{"BM_New"}));
  // Holm: adjusted p-values are at least the raw ones, and the smallest is multiplied by 5.
  double smallest = 1, smallest_adjusted = 1;
  for (const BenchmarkChange& c : r.changes) {
    EXPECT_GE(c.p_value_adjusted, c.p_value);
    if (c.p_value < smallest) smallest = c.p_value, smallest_adjusted = c.p_value_adjusted;
  }
  EXPECT_NEAR(smallest_adjusted, std::min(1.0, 5 * smallest), 1e-15);
}

// What scripts/confirm.sh reruns: each regressed family once, sorted; an improvement's family is
// not one of them.
TEST(PerfRegressionTest, RegressedFamiliesAreTheFamiliesOfRegressionsOnce) {
  EXPECT_EQ(BenchmarkFamily("BM_MatMul/n:256/real_time"), "BM_MatMul");
  EXPECT_EQ(BenchmarkFamily("BM_Plain"), "BM_Plain");
  const ComparisonReport r = CompareRuns(MakeRun({{"BM_Z/1", kBase},
                                                  {"BM_Z/2", kBase},
                                                  {"BM_A/1", kBase},
                                                  {"BM_Fast/1", kBase},
                                                  {"BM_Same", kBase}}),
                                         MakeRun({{"BM_Z/1", Scaled(kBase, 1.5)},
                                                  {"BM_Z/2", Scaled(kBase, 1.5)},
                                                  {"BM_A/1", Scaled(kBase, 1.5)},
                                                  {"BM_Fast/1", Scaled(kBase, 0.5)},
                                                  {"BM_Same", kBase}}));
  ASSERT_EQ(r.regressions, 3);
  EXPECT_EQ(r.RegressedFamilies(), (std::vector<std::string>{"BM_A", "BM_Z"}));
  EXPECT_TRUE(CompareRuns(MakeRun({{"BM_A", kBase}}), MakeRun({{"BM_A", kBase}}))
                  .RegressedFamilies()
                  .empty());
}

TEST(PerfRegressionTest, AggregatesOnlyGetALabelledThresholdComparison) {
  nlohmann::json a = {{"benchmarks",
                       {{{"name", "BM_A_median"},
                         {"run_name", "BM_A"},
                         {"run_type", "aggregate"},
                         {"aggregate_name", "median"},
                         {"real_time", 100},
                         {"time_unit", "ns"}}}}};
  nlohmann::json b = a;
  b["benchmarks"][0]["real_time"] = 125;
  const ComparisonReport r =
      CompareRuns(ParseGoogleBenchmark(a, "a"), ParseGoogleBenchmark(b, "b"));
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].method, "threshold only");
  EXPECT_EQ(r.changes[0].verdict, ChangeVerdict::kRegression);
  EXPECT_TRUE(std::isnan(r.changes[0].p_value));
  EXPECT_THAT(r.changes[0].reason, HasSubstr("no significance test"));
  EXPECT_THAT(r.ToMarkdown(), HasSubstr("threshold only"));
}

TEST(PerfRegressionTest, DifferentMachinesAndErrorsWarnLoudly) {
  const ComparisonReport r =
      CompareRuns(MakeRun({{"BM_A", kBase}}, "laptop"), MakeRun({{"BM_A", kBase}}, "server"));
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_THAT(r.warnings[0], HasSubstr("DIFFERENT MACHINES"));
  EXPECT_THAT(r.ToText(), HasSubstr("WARNING: DIFFERENT MACHINES"));
  nlohmann::json broken = {
      {"benchmarks", {{{"name", "BM_A"}, {"error_occurred", true}, {"error_message", "oom"}}}}};
  const ComparisonReport e =
      CompareRuns(MakeRun({{"BM_A", kBase}}), ParseGoogleBenchmark(broken, "c"));
  EXPECT_TRUE(e.changes.empty());
  EXPECT_THAT(e.ToText(), HasSubstr("BM_A: not compared, the benchmark reported an error (oom)"));
  EXPECT_EQ(e.not_measured, std::vector<std::string>{"BM_A"});
}

// A benchmark's name is data: a pipe and a line break cannot forge a row of the Markdown table, an
// escape sequence cannot reach the terminal, and a long name is shortened visibly (…) instead of
// being cut by a line buffer and glued to the next row.
TEST(PerfRegressionTest, HostileNamesStayInTheirRowAndOutOfTheTerminal) {
  const std::string forged = "BM_A/1\n| BM_Forged | 1 ns | 1 ns | +0.0% | 1 | 10/10 | unchanged |";
  const std::string red = "BM_\x1b[31mRed/2";
  const std::string huge = "BM_Long/" + std::string(500, 'x');
  const auto run = [&](double f) {
    return MakeRun({{forged, Scaled(kBase, f)},
                    {red, Scaled(kBase, f)},
                    {huge, Scaled(kBase, f)},
                    {"BM_Next/3", Scaled(kBase, f)}});
  };
  ComparisonReport r = CompareRuns(run(1), run(1.3));
  r.warnings.push_back(red + ": a warning naming it\n| forged | row |");
  r.only_in_current.push_back(red);

  const std::string md = r.ToMarkdown();
  const std::vector<std::string> rows = LinesStartingWith(md, "|");
  ASSERT_EQ(rows.size(), 2u + 4u) << md;  // header, separator, one row per benchmark
  for (const std::string& row : rows) EXPECT_EQ(TableCellBorders(row), 8) << row;
  EXPECT_THAT(md, Not(HasSubstr("\x1b")));
  EXPECT_THAT(md, HasSubstr("x…"));

  const std::string text = r.ToText();
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  const std::vector<std::string> lines = LinesStartingWith(text, "BM_");
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_THAT(lines[0], HasSubstr("BM_A/1\\n| BM_Forged"));
  EXPECT_THAT(lines[1], HasSubstr("BM_\\x1b[31mRed/2"));
  EXPECT_THAT(lines[2], HasSubstr("x… "));
  EXPECT_LT(lines[2].size(), 200u);
  for (const std::string& line : lines) EXPECT_THAT(line, EndsWith("regression (moderate)"));
  EXPECT_THAT(text, HasSubstr("WARNING: BM_\\x1b[31mRed/2: a warning naming it\\n| forged"));
  EXPECT_THAT(text, HasSubstr("only in the current run: BM_\\x1b[31mRed/2\n"));
}

TEST(PerfRegressionTest, JsonHasTheDocumentedFields) {
  const nlohmann::json j =
      CompareRuns(MakeRun({{"BM_A", kBase}}), MakeRun({{"BM_A", Scaled(kBase, 1.3)}})).ToJson();
  EXPECT_EQ(j["regressions"], 1);
  const nlohmann::json& c = j["comparisons"][0];
  for (const char* field : {"name", "baseline_median", "current_median", "unit", "change_pct",
                            "ci_low_pct", "ci_high_pct", "p_value", "p_value_adjusted",
                            "n_baseline", "n_current", "verdict", "severity"}) {
    EXPECT_TRUE(c.contains(field)) << field;
  }
  EXPECT_EQ(c["verdict"], "regression");
  EXPECT_EQ(c["severity"], "moderate");
  EXPECT_EQ(c["unit"], "ns");
}

TEST(PerfRegressionTest, MergedRunsPoolTheirSamples) {
  const BenchmarkRun merged = MergeRuns(
      {MakeRun({{"BM_A", {1, 2}}, {"BM_B", {5}}}), MakeRun({{"BM_A", {3}}, {"BM_C", {7, 8}}})},
      "dir");
  ASSERT_EQ(merged.benchmarks.size(), 3u);
  EXPECT_EQ(merged.source, "dir");
  EXPECT_EQ(merged.benchmarks[0].samples, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(merged.benchmarks[2].name, "BM_C");
  EXPECT_EQ(merged.benchmarks[0].runs, (std::vector<size_t>{2, 1}));  // BM_A came from both
  EXPECT_EQ(merged.benchmarks[1].processes(), 1);
  nlohmann::json agg = {{"benchmarks",
                         {{{"name", "BM_A_median"},
                           {"run_name", "BM_A"},
                           {"run_type", "aggregate"},
                           {"aggregate_name", "median"},
                           {"real_time", 1},
                           {"time_unit", "ns"}}}}};
  EXPECT_THAT(
      [&] {
        MergeRuns({MakeRun({{"BM_A", {1, 2}}}), ParseGoogleBenchmark(agg, "x")}, "d");
      },
      ThrowsMessage<Error>(HasSubstr("d: BM_A has repetitions in one file and only aggregates")));
}

// A/A comparisons: every change is noise. The profile keeps each family's widest interval
// half-width as its resolution and counts the regressions as false alarms.
TEST(PerfRegressionTest, NoiseProfileFromAAComparisons) {
  const ComparisonReport quiet =
      CompareRuns(MakeRun({{"BM_A/1", kBase}, {"BM_A/2", kBase}}),
                  MakeRun({{"BM_A/1", Scaled(kBase, 1.01)}, {"BM_A/2", Scaled(kBase, 0.99)}}));
  const ComparisonReport noisy =
      CompareRuns(MakeRun({{"BM_B", kBase}}), MakeRun({{"BM_B", Scaled(kBase, 1.3)}}));
  const NoiseProfile p = ProfileFromAA({quiet, noisy}, "box", 4, 5);
  EXPECT_EQ(p.benchmarks, 3);
  EXPECT_EQ(p.false_alarms, 1);
  EXPECT_NEAR(p.false_alarm_rate, 1.0 / 3, 1e-12);
  EXPECT_NEAR(p.expected_false_alarms, 1.0, 1e-12);
  ASSERT_EQ(p.families.size(), 2u);
  EXPECT_EQ(p.families[0].family, "BM_A");
  EXPECT_EQ(p.families[0].benchmarks, 2);
  EXPECT_NEAR(p.families[0].median_abs_change_pct, 1.0, 0.01);
  EXPECT_NEAR(p.ResolutionFor("BM_A/77"), p.families[0].resolution_pct, 0);
  EXPECT_TRUE(std::isnan(p.ResolutionFor("BM_Z")));
  EXPECT_THAT(p.ToText(), HasSubstr("False alarms: 1 of 3"));

  const NoiseProfile back = NoiseProfile::FromJson(p.ToJson(), "noise.json");
  EXPECT_EQ(back.ToJson(), p.ToJson());
  nlohmann::json bad = p.ToJson();
  bad["families"][0].erase("resolution_pct");
  EXPECT_THAT([&] { NoiseProfile::FromJson(bad, "n.json"); },
              ThrowsMessage<Error>(HasSubstr("n.json: malformed noise profile")));
  EXPECT_THAT(
      [] {
        NoiseProfile::FromJson({{"schema", "x"}}, "m.json");
      },
      ThrowsMessage<Error>(HasSubstr("m.json: not a noise profile")));
  EXPECT_THAT([] { ProfileFromAA({}, "box", 1, 1); },
              ThrowsMessage<Error>(HasSubstr("compared no benchmark")));
}

// Runs as groups: kBase's spread inside every run, each run shifted by its own factor. The
// ANOVA estimate recovers the shifts' spread (the SD of log 0.95, 1, 1.05, 1.1 is 6.4%) and
// gives about 0 when the runs only differ by their repetitions.
TEST(PerfRegressionTest, ProcessDriftSeparatesRunsFromRepetitions) {
  std::vector<BenchmarkRun> shifted, steady;
  for (const double f : {0.95, 1.0, 1.05, 1.1}) {
    shifted.push_back(MakeRun({{"BM_A/1", Scaled(kBase, f)}}));
    steady.push_back(MakeRun({{"BM_A/1", kBase}}));
  }
  const std::vector<BenchmarkDrift> d = ProcessDrift(shifted);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].name, "BM_A/1");
  EXPECT_EQ(d[0].runs, 4);
  const double logs[] = {std::log(0.95), 0, std::log(1.05), std::log(1.1)};
  double mean = 0, var = 0;
  for (const double l : logs) mean += l / 4;
  for (const double l : logs) var += (l - mean) * (l - mean) / 3;
  // The shifts' variance minus what kBase's own spread (about 1.2%, over 10 repetitions) adds.
  EXPECT_NEAR(d[0].process_drift_pct, 100 * std::sqrt(var), 0.1);
  EXPECT_LT(ProcessDrift(steady)[0].process_drift_pct, 1e-9);
  EXPECT_THAT(
      [&] {
        ProcessDrift({shifted[0], shifted[1]});
      },
      ThrowsMessage<Error>(HasSubstr("BM_A/1 ran in 2 run(s)")));
  EXPECT_THAT(
      [&] {
        ProcessDrift({MakeRun({{"BM_A", {1}}})});
      },
      ThrowsMessage<Error>(HasSubstr("needs repetitions")));
}

// Two single runs 12% apart with tight repetitions: alone, the rank test calls it a regression.
// With the 6% drift between runs that calibration measured, the same data is inconclusive and
// says how many runs would settle it; a 60% slowdown is still a severe regression.
TEST(PerfRegressionTest, ProcessDriftWidensSingleRunComparisons) {
  const BenchmarkRun a = MakeRun({{"BM_A", kBase}, {"BM_B", kBase}});
  const BenchmarkRun b = MakeRun({{"BM_A", Scaled(kBase, 1.12)}, {"BM_B", Scaled(kBase, 1.6)}});
  const ComparisonReport plain = CompareRuns(a, b);
  EXPECT_EQ(plain.changes[0].verdict, ChangeVerdict::kRegression);
  EXPECT_TRUE(std::isnan(plain.changes[0].process_drift_pct));

  const ComparisonReport drift =
      CompareRuns(a, b, {.process_drift = [](const std::string&) { return 0.06; }});
  const BenchmarkChange& c = drift.changes[0];
  EXPECT_EQ(c.verdict, ChangeVerdict::kInconclusive) << c.reason << " " << c.method;
  EXPECT_NEAR(c.change_pct, plain.changes[0].change_pct, 1e-9);  // the estimate is unchanged
  EXPECT_LT(c.ci_low_pct, plain.changes[0].ci_low_pct);
  EXPECT_GT(c.ci_high_pct, plain.changes[0].ci_high_pct);
  EXPECT_GT(c.p_value, plain.changes[0].p_value);
  EXPECT_NEAR(c.process_drift_pct, 6, 1e-12);
  EXPECT_THAT(c.method, HasSubstr("process drift"));
  EXPECT_GT(c.runs_to_settle, 1);
  EXPECT_EQ(c.repetitions_to_settle, 0);
  EXPECT_THAT(c.reason, HasSubstr("more repetitions of one run cannot settle it"));
  EXPECT_EQ(drift.changes[1].verdict, ChangeVerdict::kRegression);
  EXPECT_EQ(drift.changes[1].severity, "severe");
  // Merged runs divide the drift's share: 4 runs a side of the same data narrow the interval.
  const ComparisonReport merged =
      CompareRuns(MergeRuns({a, a, a, a}, "a"), MergeRuns({b, b, b, b}, "b"),
                  {.process_drift = [](const std::string&) { return 0.06; }});
  EXPECT_EQ(merged.changes[0].runs_baseline, 4);
  EXPECT_LT(merged.changes[0].ci_high_pct - merged.changes[0].ci_low_pct,
            c.ci_high_pct - c.ci_low_pct);
  EXPECT_EQ(drift.ToJson()["comparisons"][0]["process_drift_pct"], 6.0);

  // Several runs a side show their own drift, profile or not: current runs at 1, 1.3 and 1.6
  // times the baseline's pool to a 30% slowdown that the rank test alone calls a regression,
  // but runs that far apart cannot show it (the drift they show is ~17%).
  const BenchmarkRun spread =
      MergeRuns({MakeRun({{"BM_A", kBase}}), MakeRun({{"BM_A", Scaled(kBase, 1.3)}}),
                 MakeRun({{"BM_A", Scaled(kBase, 1.6)}})},
                "spread");
  const ComparisonReport own = CompareRuns(MergeRuns({a, a, a}, "a"), spread);
  EXPECT_EQ(own.changes[0].verdict, ChangeVerdict::kInconclusive) << own.changes[0].reason;
  EXPECT_NEAR(own.changes[0].process_drift_pct, 16.6, 0.5);
  EXPECT_EQ(own.changes[0].runs_current, 3);
  EXPECT_EQ(CompareRuns(MergeRuns({a, a, a}, "a"), MergeRuns({b, b, b}, "b")).changes[0].verdict,
            ChangeVerdict::kRegression);  // steady runs: no drift to add
}

// Version 2 profiles carry each benchmark's drift: a benchmark gets its own, raised to its
// family's median; an unknown one its family's, else the median of all. Version 1 still reads.
TEST(PerfRegressionTest, NoiseProfileDriftLookupAndVersions) {
  const ComparisonReport aa =
      CompareRuns(MakeRun({{"BM_A/1", kBase}, {"BM_A/2", kBase}, {"BM_B", kBase}}),
                  MakeRun({{"BM_A/1", kBase}, {"BM_A/2", kBase}, {"BM_B", kBase}}));
  const NoiseProfile p =
      ProfileFromAA({aa}, "box", 3, 10, {{"BM_A/1", 6, 2.0}, {"BM_A/2", 6, 8.0}, {"BM_B", 6, 4.0}});
  EXPECT_NEAR(p.DriftFor("BM_A/2"), 0.08, 1e-12);
  EXPECT_NEAR(p.DriftFor("BM_A/1"), 0.05, 1e-12);  // raised to the family's median, 5%
  EXPECT_NEAR(p.DriftFor("BM_A/9"), 0.05, 1e-12);
  EXPECT_NEAR(p.DriftFor("BM_Z"), 0.04, 1e-12);  // the median of all three
  EXPECT_NEAR(p.families[0].process_drift_pct, 5, 1e-12);
  // Median drift 4%, 3 benchmarks: (z_{1-0.05/6} + z_{0.8})² · 2 · 0.04² / log(1.1)² = 3.7.
  EXPECT_EQ(p.recommended_runs, 4);
  EXPECT_THAT(p.ToText(), HasSubstr("Runs per side for a 10% change to be significant 4 times in "
                                    "5 at the median drift (Holm over 3 benchmarks): 4"));
  // 4 runs: se = 0.04 · √(2/4) = 0.0283; exp(log 1.1 + 0.8416 · 0.0283) − 1 = 12.65%.
  EXPECT_THAT(p.ToText(), HasSubstr("flagged 4 times in 5 from 12.65%"));
  const NoiseProfile back = NoiseProfile::FromJson(p.ToJson(), "noise.json");
  EXPECT_EQ(back.ToJson(), p.ToJson());

  nlohmann::json v1 = p.ToJson();
  v1["schema_version"] = 1;
  v1.erase("drift");
  v1.erase("recommended_runs");
  for (auto& f : v1["families"]) f.erase("process_drift_pct");
  const NoiseProfile old = NoiseProfile::FromJson(v1, "old.json");
  EXPECT_TRUE(old.drift.empty());
  EXPECT_TRUE(std::isnan(old.DriftFor("BM_A/1")));
  nlohmann::json bad = p.ToJson();
  bad["drift"][0]["process_drift_pct"] = -1;
  EXPECT_THAT([&] { NoiseProfile::FromJson(bad, "n.json"); },
              ThrowsMessage<Error>(HasSubstr("n.json: drift of BM_A/1 is not a percentage")));
}

// Three repetitions a side can never reach p < 0.05 (the floor is 2 / C(6, 3) = 0.1), however
// large the change: the report says so and how many repetitions would do. With 5 a side over 95
// benchmarks (the nightly's first setting) Holm's first step needs p < 0.00053 and the floor is
// 0.0079.
TEST(PerfRegressionTest, WarnsWhenTooFewRepetitionsCanReachSignificance) {
  const ComparisonReport r =
      CompareRuns(MakeRun({{"BM_A", {100, 101, 102}}}), MakeRun({{"BM_A", {200, 201, 202}}}));
  EXPECT_EQ(r.changes[0].verdict, ChangeVerdict::kInconclusive);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("1 of 1 benchmarks can never be called a regression"));
  EXPECT_THAT(r.warnings[0], HasSubstr("cannot go below p = 0.1"));
  EXPECT_THAT(r.warnings[0], HasSubstr("Run at least 4 repetitions per side"));

  std::vector<std::pair<std::string, std::vector<double>>> many_a, many_b;
  for (int i = 0; i < 95; ++i) {
    many_a.push_back({"BM_" + std::to_string(i), {100, 101, 102, 103, 104}});
    many_b.push_back({"BM_" + std::to_string(i), {200, 201, 202, 203, 204}});
  }
  const ComparisonReport m = CompareRuns(MakeRun(many_a), MakeRun(many_b));
  EXPECT_EQ(m.regressions, 0);
  ASSERT_FALSE(m.warnings.empty());
  EXPECT_THAT(m.warnings.back(), HasSubstr("Run at least 8 repetitions per side"));
  // Above 8 a side the test is the normal approximation, whose floor is higher than the exact
  // 2 / C(18, 9) = 4.1e-5: 4.1e-4 at 9 a side, which Holm's 0.05 / 150 = 3.3e-4 does not admit.
  many_a.clear();
  many_b.clear();
  for (int i = 0; i < 150; ++i) {
    many_a.push_back({"BM_" + std::to_string(i), {100, 101, 102, 103, 104, 105, 106, 107, 108}});
    many_b.push_back({"BM_" + std::to_string(i), {200, 201, 202, 203, 204, 205, 206, 207, 208}});
  }
  const ComparisonReport nine = CompareRuns(MakeRun(many_a), MakeRun(many_b));
  EXPECT_EQ(nine.regressions, 0);
  ASSERT_FALSE(nine.warnings.empty());
  EXPECT_THAT(nine.warnings.back(), HasSubstr("150 of 150 benchmarks can never be called"));
  EXPECT_THAT(nine.warnings.back(), HasSubstr("Run at least 10 repetitions per side"));
  EXPECT_TRUE(CompareRuns(MakeRun({{"BM_A", kBase}}), MakeRun({{"BM_A", kBase}})).warnings.empty());
}

// ---------------------------------------------------------------------------------------------
// What tinyperf compare and calibrate call: the noise-warning policy, the held-out A/A protocol
// and the comparison of two paths.

NoiseProfile ProfileWith(std::vector<FamilyNoise> families, std::vector<BenchmarkDrift> drift) {
  NoiseProfile p;
  p.threshold_pct = 10;
  p.families = std::move(families);
  p.drift = std::move(drift);
  p.recommended_runs = p.drift.empty() ? 0 : 4;
  p.benchmarks = 40;
  p.false_alarms = 2;
  p.expected_false_alarms = 0.5;
  return p;
}

// A profile without drift (version 1) says significance is overstated and names each benchmark
// whose family resolves worse than the threshold; one with drift says it joined the intervals.
TEST(PerfRegressionTest, NoiseWarningsFollowTheProfilesVersion) {
  const ComparisonReport r =
      CompareRuns(MakeRun({{"BM_A/1", kBase}, {"BM_B/1", kBase}, {"BM_C", kBase}}),
                  MakeRun({{"BM_A/1", kBase}, {"BM_B/1", kBase}, {"BM_C", kBase}}));
  const std::string false_alarms =
      "noise profile n.json: 2 false alarm(s) in 40 A/A benchmarks; expect about 0.5 false "
      "regression(s) per whole-suite comparison";
  const NoiseProfile v1 = ProfileWith({{"BM_A", 3, 1, 12, kNaN}, {"BM_B", 3, 1, 5, kNaN}}, {});
  const std::vector<std::string> old = NoiseWarnings(v1, "n.json", r, 10);
  ASSERT_EQ(old.size(), 3u);
  EXPECT_THAT(old[0], HasSubstr("n.json has no drift between runs (version 1)"));
  EXPECT_EQ(old[1],
            "BM_A/1: this machine's A/A resolution for its family is 12% (n.json), above the "
            "threshold: a regression that size can hide in the noise");
  EXPECT_EQ(old[2], false_alarms);
  EXPECT_EQ(NoiseWarnings(v1, "n.json", r, 12).size(), 2u);  // 12% resolves a 12% threshold

  const NoiseProfile v2 =
      ProfileWith({{"BM_A", 3, 1, 12, 2.0}, {"BM_B", 3, 1, 5, 2.0}}, {{"BM_A/1", 6, 2.0}});
  const std::vector<std::string> now = NoiseWarnings(v2, "n.json", r, 10);
  ASSERT_EQ(now.size(), 2u);
  EXPECT_EQ(now[0],
            "drift between runs from n.json is part of every interval and p-value; 4 run(s) per "
            "side make a change of 10% significant 4 times in 5 for the median benchmark");
  EXPECT_EQ(now[1], false_alarms);
}

// Round 0's second run is 30% slower, every other run steady. Held out of its own pair, the drift
// of the other runs is 0, so pair 0 is compared without it and called a regression: the false
// alarm calibrate must count. The other pairs see round 0 among their others and carry drift.
TEST(PerfRegressionTest, AAPairsHoldTheirOwnRunsOutOfTheDrift) {
  std::vector<BenchmarkRun> runs;
  for (int k = 0; k < 6; ++k) runs.push_back(MakeRun({{"BM_A", Scaled(kBase, k == 1 ? 1.3 : 1)}}));
  const AAComparison aa = CompareAAPairs(runs, 0.10);
  ASSERT_EQ(aa.drift.size(), 1u);
  EXPECT_EQ(aa.drift[0].runs, 6);
  EXPECT_GT(aa.drift[0].process_drift_pct, 5);
  ASSERT_EQ(aa.pairs.changes.size(), 3u);
  EXPECT_EQ(aa.pairs.changes[0].verdict, ChangeVerdict::kRegression);
  EXPECT_THAT(aa.pairs.changes[0].method, Not(HasSubstr("process drift")));
  for (const int k : {1, 2}) {
    EXPECT_THAT(aa.pairs.changes[k].method, HasSubstr("+ process drift"));
    EXPECT_NE(aa.pairs.changes[k].verdict, ChangeVerdict::kRegression);
  }
  EXPECT_EQ(ProfileFromAA({aa.pairs}, "box", 3, 10, aa.drift).false_alarms, 1);
  EXPECT_THAT(
      [&] {
        CompareAAPairs({runs.begin(), runs.begin() + 4}, 0.10);
      },
      ThrowsMessage<Error>(HasSubstr("CompareAAPairs: 4 runs are not 3 or more pairs")));
}

std::string WriteJson(const std::string& name, const nlohmann::json& j) {
  const std::string path = ::testing::TempDir() + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << j.dump();
  return path;
}

nlohmann::json BenchJson(const std::string& name, const std::vector<double>& times) {
  return {{"context", {{"host_name", "box"}}}, {"benchmarks", Repetitions(name, times)}};
}

// Files or directories of runs, told apart by content; the errors name the file.
TEST(PerfRegressionTest, CompareFilesReadsFilesAndDirectoriesOfRuns) {
  const std::string dir = ::testing::TempDir() + "compare_files/";
  std::filesystem::remove_all(dir);
  const std::string a = WriteJson("compare_files/a.json", BenchJson("BM_A", kBase));
  const std::string b = WriteJson("compare_files/b.json", BenchJson("BM_A", Scaled(kBase, 1.3)));
  const FileComparison single = CompareFiles(a, b);
  ASSERT_TRUE(single.benchmarks.has_value());
  EXPECT_FALSE(single.claims.has_value());
  EXPECT_EQ(single.benchmarks->regressions, 1);
  EXPECT_EQ(single.benchmarks->options.threshold, 0.10);

  for (int k = 0; k < 3; ++k) {
    WriteJson("compare_files/runs_a/" + std::to_string(k) + ".json", BenchJson("BM_A", kBase));
    WriteJson("compare_files/runs_b/" + std::to_string(k) + ".json",
              BenchJson("BM_A", Scaled(kBase, 1.02)));
  }
  CompareFilesOptions cpu;
  cpu.threshold_pct = 5;
  cpu.metric = "cpu_time";
  const FileComparison merged = CompareFiles(dir + "runs_a", dir + "runs_b", cpu);
  ASSERT_TRUE(merged.benchmarks.has_value());
  const BenchmarkChange& c = merged.benchmarks->changes.at(0);
  EXPECT_EQ(c.runs_baseline, 3);
  EXPECT_EQ(c.n_current, 30);
  EXPECT_NEAR(c.baseline_median, 2 * Median(kBase), 1e-9);  // cpu_time is twice real_time here
  EXPECT_EQ(merged.benchmarks->options.threshold, 0.05);

  const std::string other = WriteJson("compare_files/other.json", {{"something", 1}});
  EXPECT_THAT([&] { CompareFiles(a, other); },
              ThrowsMessage<Error>(HasSubstr("other.json: neither Google Benchmark JSON")));
  const std::string results = WriteJson("compare_files/results.json", {{"schema", "x"}});
  EXPECT_THAT([&] { CompareFiles(a, results); },
              ThrowsMessage<Error>(HasSubstr("are different kinds of file")));
  EXPECT_THAT([&] { CompareFiles(dir + "runs_a", results); },
              ThrowsMessage<Error>(HasSubstr("results.json: not Google Benchmark JSON")));
  std::filesystem::create_directories(dir + "empty");
  EXPECT_THAT([&] { CompareFiles(dir + "runs_a", dir + "empty"); },
              ThrowsMessage<Error>(HasSubstr("empty: no *.json files in the directory")));
  // The profile is read first: a bad one is reported whatever the inputs.
  CompareFilesOptions not_a_profile;
  not_a_profile.noise_profile = a;
  EXPECT_THAT([&] { CompareFiles(a, other, not_a_profile); },
              ThrowsMessage<Error>(HasSubstr("a.json: not a noise profile")));
}

// With a profile, its drift joins the interval and its warnings join the report's.
TEST(PerfRegressionTest, CompareFilesAppliesTheNoiseProfile) {
  const std::string a = WriteJson("compare_noise/a.json", BenchJson("BM_A/1", kBase));
  const std::string b = WriteJson("compare_noise/b.json", BenchJson("BM_A/1", Scaled(kBase, 1.3)));
  const NoiseProfile p = ProfileWith({{"BM_A", 3, 1, 12, 2.0}}, {{"BM_A/1", 6, 2.0}});
  const std::string profile = WriteJson("compare_noise/noise.json", p.ToJson());
  CompareFilesOptions o;
  o.noise_profile = profile;
  const FileComparison r = CompareFiles(a, b, o);
  ASSERT_TRUE(r.benchmarks.has_value());
  EXPECT_THAT(r.benchmarks->changes.at(0).method, HasSubstr("+ process drift"));
  EXPECT_NEAR(r.benchmarks->changes.at(0).process_drift_pct, 2.0, 1e-12);
  EXPECT_EQ(r.benchmarks->warnings, NoiseWarnings(p, profile, *r.benchmarks, 10));
}

// One vocabulary, two readings: the comparator's and regression detection's names.
TEST(PerfRegressionTest, VerdictNamesComeFromOneTable) {
  EXPECT_EQ(ChangeVerdict::kRegression, Verdict::kSlower);
  EXPECT_STREQ(ChangeVerdictName(ChangeVerdict::kRegression), "regression");
  EXPECT_STREQ(ChangeVerdictName(ChangeVerdict::kImprovement), "improvement");
  EXPECT_STREQ(ChangeVerdictName(ChangeVerdict::kUnchanged), "unchanged");
  EXPECT_STREQ(VerdictName(Verdict::kEquivalent), "equivalent");
  EXPECT_STREQ(VerdictName(Verdict::kError), "error");
  EXPECT_EQ(BenchmarkMetricNames(), "real_time or cpu_time");
  EXPECT_STREQ(FindBenchmarkMetric("cpu_time").unit, "ns");
}

// Inputs tests/fuzz/{gbench_json,noise_profile}_fuzzer's harnesses confirmed: an optional field
// of the wrong type escaped as nlohmann::type_error, and a float count was converted to int
// (undefined behaviour). Each now names the file and the field.
TEST(PerfRegressionTest, FuzzFoundInputsNameTheFileAndTheField) {
  EXPECT_THAT(
      [] {
        ParseGoogleBenchmark(
            nlohmann::json::parse(R"({"benchmarks": [{"name": "a", "error_occurred": "yes"}]})"),
            "g.json");
      },
      ThrowsMessage<Error>(
          HasSubstr("g.json: benchmarks[0]: field 'error_occurred' has the wrong type (string)")));
  nlohmann::json j = {{"benchmarks", Repetitions("BM_A", {1, 2})}};
  j["benchmarks"][1]["time_unit"] = 5;
  EXPECT_THAT([&] { ParseGoogleBenchmark(j, "u.json"); },
              ThrowsMessage<Error>(HasSubstr("u.json: benchmarks[1]: field 'time_unit'")));
  EXPECT_THAT(
      [] {
        NoiseProfile::FromJson({{"schema", 1}}, "n.json");
      },
      ThrowsMessage<Error>(HasSubstr("n.json: not a noise profile")));
  const ComparisonReport aa =
      CompareRuns(MakeRun({{"BM_A/1", kBase}}), MakeRun({{"BM_A/1", kBase}}));
  nlohmann::json p = ProfileFromAA({aa}, "box", 3, 10).ToJson();
  p["rounds"] = 1e10;
  EXPECT_THAT([&] { NoiseProfile::FromJson(p, "n.json"); },
              ThrowsMessage<Error>(HasSubstr("n.json: rounds must be an integer")));
}

}  // namespace
}  // namespace perf
