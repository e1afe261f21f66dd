// Trends over validation runs: change points are persistent shifts, not single noisy runs; run
// directories are read from what run_all and the nightly write; the report names the shift.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include "perf_framework/error.h"
#include "perf_framework/history.h"
#include "support/report_testing.h"

namespace perf {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;
using tinytorch::testing::Occurrences;
using tinytorch::testing::SvgAttributesThatAreNotNumbers;

TEST(PerfHistoryTest, AStepIsAChangePointAndASpikeIsNot) {
  const std::vector<double> step = {100, 102, 99, 101, 100, 98, 130, 131, 129, 132, 130, 128};
  const std::vector<ChangePoint> c = FindChangePoints(step);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].index, 6u);
  EXPECT_NEAR(c[0].change_pct, 30, 0.5);
  EXPECT_LT(c[0].p_value, 0.01);

  const std::vector<double> spike = {100, 102, 99, 101, 180, 100, 101, 99, 102, 100};
  EXPECT_TRUE(FindChangePoints(spike).empty()) << "one noisy run is not a shift";
  const std::vector<double> small = {100, 101, 99, 100, 101, 105, 106, 104, 105, 106};
  EXPECT_TRUE(FindChangePoints(small).empty()) << "5% is below the 10% minimum";
  EXPECT_TRUE(FindChangePoints({1, 2, 3}).empty()) << "too short for two segments of 3";
  EXPECT_TRUE(FindChangePoints({-1, -1, -1, 5, 5, 5, 5}).empty()) << "non-positive values";

  // Two steps. At p < 0.01 a stretch needs about 6 runs (5 against 5 with a tie reaches only
  // p = 0.012), so the steps are 6 runs apart.
  std::vector<double> two;
  for (const double level : {100.0, 130.0, 170.0}) {
    for (int i = 0; i < 6; ++i) two.push_back(level + (i % 3));
  }
  const std::vector<ChangePoint> both = FindChangePoints(two);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].index, 6u);
  EXPECT_EQ(both[1].index, 12u);
}

// Run directories as run_all (results.json, *_bench.json) and the nightly (bench/*.json) write
// them; a directory with neither is reported, not fatal.
TEST(PerfHistoryTest, ReadsRunDirectoriesIntoSeries) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) / "perf_history";
  fs::remove_all(root);
  for (int i = 0; i < 12; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "20261124T%02d0000Z", i);
    const fs::path dir = root / name;
    fs::create_directories(dir / "bench");
    const double ns = i < 6 ? 1000 + i : 1500 + i;  // a 50% slowdown from run 6 on
    nlohmann::json b = {{"benchmarks", nlohmann::json::array()}};
    for (int r = 0; r < 3; ++r) {
      b["benchmarks"].push_back({{"name", "BM_A/8"},
                                 {"run_name", "BM_A/8"},
                                 {"run_type", "iteration"},
                                 {"real_time", ns + r},
                                 {"cpu_time", ns},
                                 {"time_unit", "ns"}});
    }
    std::ofstream(dir / "bench" / "a_bench.json") << b.dump();
  }
  fs::create_directories(root / "20261124T230000Z");  // an interrupted run: nothing inside
  fs::create_directories(root / "not-a-run");
  const History h = BuildHistory(root.string());
  EXPECT_EQ(h.runs.size(), 12u);
  ASSERT_EQ(h.warnings.size(), 1u);
  EXPECT_THAT(h.warnings[0], HasSubstr("20261124T230000Z: no results.json or benchmark JSON"));
  ASSERT_EQ(h.series.size(), 1u);
  EXPECT_EQ(h.series[0].metric, "bench BM_A/8");
  EXPECT_EQ(h.series[0].values.size(), 12u);
  EXPECT_EQ(h.series[0].values[0], 1001);  // the median of the repetitions
  ASSERT_EQ(h.series[0].change_points.size(), 1u);
  EXPECT_EQ(h.runs[h.series[0].runs[h.series[0].change_points[0].index]], "20261124T060000Z");
  EXPECT_THAT(h.ToMarkdown(), HasSubstr("| `bench BM_A/8` | 12 | 20261124T060000Z |"));
  const std::string html = h.ToHtml();
  EXPECT_THAT(html, HasSubstr("class=\"change-point\""));
  EXPECT_THAT(html, HasSubstr("<polyline"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script")));

  fs::remove_all(root / "not-a-run");
  // /tmp is shared with other checkouts' test runs: start from an empty directory of our own.
  const fs::path empty =
      fs::path(::testing::TempDir()) / ("perf_history_empty_" + std::to_string(::getpid()));
  fs::remove_all(empty);
  fs::create_directories(empty);
  EXPECT_THAT([&] { BuildHistory(empty.string()); },
              ThrowsMessage<Error>(HasSubstr("no run directories")));
  // Issue 23: run directories of which none can be read were an empty, successful history.
  fs::create_directories(empty / "20261124T000000Z");
  std::ofstream(empty / "20261124T000000Z" / "results.json") << "{\"claims\": [";
  EXPECT_THAT([&] { BuildHistory(empty.string()); },
              ThrowsMessage<Error>(HasSubstr("none of the 1 run directories in '" + empty.string() +
                                             "' could be read (20261124T000000Z: results.json "
                                             "skipped: ")));
  fs::remove_all(empty);
}

// A count does not drift: a step beyond 1% between two runs is a change point at once, with no
// test behind it (p NaN); a step within 1% is none, and so is a step from zero (no ratio).
TEST(PerfHistoryTest, ACountStepIsAChangePointAtOnce) {
  const std::vector<ChangePoint> c = CountSteps({1000, 1000, 1020, 1020, 1025, 0, 900});
  ASSERT_EQ(c.size(), 2u);  // 1000 -> 1020 (+2%) and 1025 -> 0; not +0.5%, not from 0
  EXPECT_EQ(c[0].index, 2u);
  EXPECT_DOUBLE_EQ(c[0].change_pct, 2);
  EXPECT_TRUE(std::isnan(c[0].p_value));
  EXPECT_EQ(c[1].index, 5u);
  EXPECT_DOUBLE_EQ(c[1].change_pct, -100);
  EXPECT_EQ(CountSteps({100, 98.9}).size(), 1u);  // down too
  EXPECT_THAT(CountSteps({}), IsEmpty());
  EXPECT_THAT(CountSteps({5}), IsEmpty());
}

// A run folder with counts/ gives an instruction series beside the time series; history.html
// draws the two side by side and history.md marks the count step as exact.
TEST(PerfHistoryTest, InstructionSeriesStandBesideTheirTimes) {
  namespace fs = std::filesystem;
  const fs::path root =
      fs::path(::testing::TempDir()) / ("perf_history_counts_" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (int i = 0; i < 3; ++i) {
    const fs::path dir = root / ("2026112" + std::to_string(i) + "T000000Z");
    fs::create_directories(dir / "counts");
    const nlohmann::json times = {{"benchmarks",
                                   {{{"name", "BM_A/8"},
                                     {"run_type", "iteration"},
                                     {"real_time", 100.0},
                                     {"cpu_time", 100.0},
                                     {"time_unit", "ns"}}}}};
    std::ofstream(dir / "a_bench.json") << times.dump();
    const nlohmann::json counts = {
        {"benchmarks", {{{"name", "BM_A/8"}, {"instructions", i < 2 ? 5000.0 : 5500.0}}}}};
    std::ofstream(dir / "counts" / "a_bench.json") << counts.dump();
  }
  std::ofstream(root / "20261122T000000Z" / "counts" / "broken.json") << "{";
  const History h = BuildHistory(root.string());
  ASSERT_EQ(h.series.size(), 2u);
  EXPECT_EQ(h.series[0].metric, "bench BM_A/8");
  EXPECT_EQ(h.series[1].metric, "instructions BM_A/8");
  EXPECT_EQ(h.series[1].values, (std::vector<double>{5000, 5000, 5500}));
  ASSERT_EQ(h.series[1].change_points.size(), 1u);
  ASSERT_EQ(h.warnings.size(), 1u);
  EXPECT_THAT(h.warnings[0], HasSubstr("20261122T000000Z: counts/broken.json skipped"));
  EXPECT_THAT(h.ToMarkdown(), HasSubstr("| `instructions BM_A/8` | 3 | 20261122T000000Z | 5000 "
                                        "per iteration | 5500 per iteration | +10.0% | exact "
                                        "(count) |"));
  const std::string html = h.ToHtml();
  EXPECT_EQ(Occurrences(html, "class=\"time-and-count\""), 1u);
  EXPECT_EQ(Occurrences(html, "class=\"chart trend-chart\""), 2u);  // each series drawn once
  EXPECT_THAT(html, HasSubstr("exact count"));
  // The y axis labels end far enough right to hold 11 characters of 12 px text.
  const size_t label = html.find("text-anchor=\"end\">", html.find("class=\"chart trend-chart\""));
  ASSERT_NE(label, std::string::npos);
  const size_t x_at = html.rfind("x=\"", label) + 3;
  EXPECT_GE(std::stod(html.substr(x_at, html.find('"', x_at) - x_at)), 11 * 7.0);
  // The pair sits inside one flex row: the time chart first, its count next.
  const size_t pair = html.find("class=\"time-and-count\"");
  EXPECT_LT(pair, html.find("aria-label=\"bench BM_A/8\""));
  EXPECT_LT(html.find("aria-label=\"bench BM_A/8\""), html.find("aria-label=\"instructions BM_A/8\""));
  fs::remove_all(root);
}

// A metric, unit or run name with terminal escapes reaches history.html as visible text.
TEST(PerfHistoryTest, HtmlShowsControlCharactersInNames) {
  History h;
  h.runs = {"20261124T000000Z\x1b[1m", "20261124T010000Z"};
  h.series = {HistorySeries{"bench BM_\x1b[31mred", "n\x08s", {0, 1}, {1, 2}, {}}};
  h.warnings = {"run\x1b[2J skipped"};
  const std::string html = h.ToHtml();
  EXPECT_EQ(html.find_first_of("\x1b\x08"), std::string::npos);
  EXPECT_THAT(html, HasSubstr("bench BM_\\x1b[31mred"));
  EXPECT_THAT(html, HasSubstr("n\\x08s"));
  EXPECT_THAT(html, HasSubstr("20261124T000000Z\\x1b[1m"));
  EXPECT_THAT(html, HasSubstr("run\\x1b[2J skipped"));
}

// Trend charts get what a results file can hold: NaN and infinite values are left out and
// counted, values near ±DBL_MAX (whose range overflowed to inf) and subnormal ones, one run, a
// flat series, a series with nothing to draw and a change point at no boundary still give finite
// coordinates.
TEST(PerfHistoryTest, TrendChartsSurviveHostileValues) {
  History h;
  h.runs = {"20261124T000000Z", "20261124T010000Z", "20261124T020000Z", "20261124T030000Z"};
  const auto series = [](const std::string& metric, const std::vector<double>& values) {
    HistorySeries s{metric, "ns", {}, values, {}};
    for (size_t i = 0; i < values.size(); ++i) s.runs.push_back(i);
    return s;
  };
  h.series = {series("not_finite", {1, NAN, INFINITY, 2}),
              series("extremes", {-1.7e308, 1.7e308, 0, 1}),
              series("subnormal", {1e-310, 5e-324, 0, 1e-310}),
              series("flat", {5, 5, 5, 5}),
              series("one_run", {3}),
              series("nothing", {NAN, -INFINITY}),
              series("empty", {})};
  h.series[3].change_points = {ChangePoint{0}, ChangePoint{99}};
  const std::string html = h.ToHtml();
  EXPECT_LT(html.size(), 200'000u);
  EXPECT_THAT(SvgAttributesThatAreNotNumbers(html), IsEmpty());
  EXPECT_THAT(html, HasSubstr("2 value(s) left out: not finite"));
  EXPECT_THAT(html, HasSubstr("nothing: no finite value to draw (2 left out)"));
  EXPECT_THAT(html, HasSubstr("empty: no finite value to draw (0 left out)"));
  EXPECT_EQ(Occurrences(html, "class=\"chart trend-chart\""), 5u);
  EXPECT_EQ(Occurrences(html, "class=\"change-point\""), 0u);
}

}  // namespace
}  // namespace perf
