// Module 19: benchmark results by numbers one can check on paper (and the t quantile from SciPy),
// the deliberate n = 1 case, a bit-exact JSON round trip with field-level errors, and the Pareto
// frontier against a brute-force definition.
#include "tinytorch/benchmarking.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "tinytorch/error.h"
#include "tinytorch/tensor.h"

namespace tinytorch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(BenchmarkingTest, StatisticsByHand) {
  const BenchmarkResult r =
      BenchmarkResult::FromValues("x", "latency", "ms", {2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(r.count, 8);
  EXPECT_DOUBLE_EQ(r.mean, 5.0);
  EXPECT_DOUBLE_EQ(r.std, std::sqrt(32.0 / 7.0));  // Σ(x − 5)² = 32, n − 1 = 7
  EXPECT_DOUBLE_EQ(r.median, 4.5);
  EXPECT_DOUBLE_EQ(r.min, 2);
  EXPECT_DOUBLE_EQ(r.max, 9);
  EXPECT_DOUBLE_EQ(r.p25, 4.0);  // h = 7 · 0.25 = 1.75 → x[1] + 0.75·(x[2] − x[1])
  EXPECT_DOUBLE_EQ(r.p90, 7.6);  // h = 6.3 → 7 + 0.3 · 2
  EXPECT_TRUE(r.has_interval);
  // t_{0.975, 7} = 2.3646242510102993 (scipy.stats.t.ppf).
  const double half = 2.3646242510102993 * std::sqrt(32.0 / 7.0) / std::sqrt(8.0);
  EXPECT_NEAR(r.ci_low, 5.0 - half, 1e-9);
  EXPECT_NEAR(r.ci_high, 5.0 + half, 1e-9);
}

TEST(BenchmarkingTest, OneValueHasNoInterval) {
  const BenchmarkResult r = BenchmarkResult::FromValues("once", "accuracy", "fraction", {0.75});
  EXPECT_EQ(r.count, 1);
  EXPECT_EQ(r.mean, 0.75);
  EXPECT_EQ(r.std, 0.0);
  EXPECT_FALSE(r.has_interval);
  EXPECT_TRUE(std::isnan(r.ci_low));
  EXPECT_TRUE(std::isnan(r.ci_high));
  EXPECT_THAT([] { BenchmarkResult::FromValues("none", "m", "u", {}); },
              ThrowsMessage<Error>(HasSubstr("BenchmarkResult: 'none' has no values")));
  EXPECT_THAT(
      [] {
        BenchmarkResult::FromValues("bad", "m", "u", {1, std::numeric_limits<double>::infinity()});
      },
      ThrowsMessage<Error>(HasSubstr("'bad' value 1 is inf")));
  EXPECT_THAT(
      [] {
        BenchmarkResult::FromValues("c", "m", "u", {1, 2}, 1.0);
      },
      ThrowsMessage<Error>(HasSubstr("confidence 1 must be in (0, 1)")));
}

TEST(BenchmarkingTest, JsonRoundTripIsBitExact) {
  Generator gen(1);
  std::vector<double> values;
  for (int i = 0; i < 50; ++i) values.push_back(gen.Uniform() * 1e-3 + 1.0 / 3.0);
  for (const std::vector<double>& v : {values, std::vector<double>{0.1}}) {
    const BenchmarkResult r = BenchmarkResult::FromValues("gpt/latency", "latency", "ms", v, 0.99);
    const BenchmarkResult back = BenchmarkResult::FromJson(r.ToJson());
    ASSERT_EQ(back.values.size(), r.values.size());
    EXPECT_EQ(std::memcmp(back.values.data(), r.values.data(), v.size() * sizeof(double)), 0);
    EXPECT_EQ(back.name, r.name);
    EXPECT_EQ(back.confidence, 0.99);
    EXPECT_EQ(back.has_interval, r.has_interval);
    EXPECT_EQ(back.ToJson(), r.ToJson());
  }
}

TEST(BenchmarkingTest, DamagedJsonNamesTheField) {
  const std::string good = BenchmarkResult::FromValues("m", "latency", "ms", {1, 2, 3}).ToJson();
  EXPECT_THAT([&] { BenchmarkResult::FromJson(good.substr(0, good.size() / 2)); },
              ThrowsMessage<Error>(HasSubstr("not valid JSON")));
  std::string edited = good;
  edited.replace(edited.find("\"mean\": 2.0"), 11, "\"mean\": 2.5");
  EXPECT_THAT([&] { BenchmarkResult::FromJson(edited); },
              ThrowsMessage<Error>(HasSubstr("field 'mean' is 2.5 but the values give 2")));
  std::string no_unit = good;
  no_unit.replace(no_unit.find("\"unit\""), 6, "\"unix\"");
  EXPECT_THAT([&] { BenchmarkResult::FromJson(no_unit); },
              ThrowsMessage<Error>(HasSubstr("missing field 'unit'")));
  EXPECT_THAT([] { BenchmarkResult::FromJson("{\"schema\": \"other/2\"}"); },
              ThrowsMessage<Error>(HasSubstr("field 'schema' must be")));
}

TEST(BenchmarkingTest, ParetoFrontierKeepsExactlyTheNonDominated) {
  // (latency ms ↓, accuracy ↑): B (8, .96) dominates A, A's duplicate E and D; C is the fast
  // extreme and F the accurate one.
  const std::vector<std::vector<double>> pts = {{10, 0.95}, {8, 0.96},  {2, 0.80},
                                                {9, 0.90},  {10, 0.95}, {12, 0.97}};
  const std::vector<Objective> obj = {Objective::kMinimize, Objective::kMaximize};
  EXPECT_THAT(ParetoFrontier(pts, obj), ElementsAre(1, 2, 5));
  // Equal points do not dominate each other: duplicates on the frontier stay together.
  EXPECT_THAT(ParetoFrontier({{1, 0.5}, {1, 0.5}, {2, 0.4}}, obj), ElementsAre(0, 1));
  // Brute force on random clouds: a point is on the frontier iff nothing dominates it.
  Generator gen(2);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::vector<double>> cloud;
    for (int i = 0; i < 40; ++i) {
      cloud.push_back(
          {std::floor(gen.Uniform() * 8), std::floor(gen.Uniform() * 8), gen.Uniform()});
    }
    const std::vector<Objective> three = {Objective::kMinimize, Objective::kMaximize,
                                          Objective::kMaximize};
    const std::vector<size_t> frontier = ParetoFrontier(cloud, three);
    for (size_t i = 0; i < cloud.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < cloud.size(); ++j) {
        const bool no_worse =
            cloud[j][0] <= cloud[i][0] && cloud[j][1] >= cloud[i][1] && cloud[j][2] >= cloud[i][2];
        const bool better =
            cloud[j][0] < cloud[i][0] || cloud[j][1] > cloud[i][1] || cloud[j][2] > cloud[i][2];
        dominated = dominated || (no_worse && better);
      }
      EXPECT_EQ(std::count(frontier.begin(), frontier.end(), i) == 1, !dominated)
          << trial << " " << i;
    }
  }
  EXPECT_THAT(
      [&] {
        ParetoFrontier({{1, 2}, {3}}, obj);
      },
      ThrowsMessage<Error>(HasSubstr("ParetoFrontier: point 1 has 1 metrics, expected 2")));
  EXPECT_THAT(
      [&] {
        ParetoFrontier({{1, std::nan("")}}, obj);
      },
      ThrowsMessage<Error>(HasSubstr("point 0 metric 1 is nan")));
  EXPECT_TRUE(ParetoFrontier({}, obj).empty());
}

// Inputs tests/fuzz/benchmark_result_fuzzer found or its harness confirmed: nlohmann exceptions
// (a number beyond double's range, a schema that is not a string) escaped the reader.
TEST(BenchmarkingTest, FuzzFoundResultsAreErrors) {
  EXPECT_THAT([] { BenchmarkResult::FromJson(R"({"ci_low": 0.2e3635293320805})"); },
              ThrowsMessage<Error>(HasSubstr("BenchmarkResult::FromJson: not valid JSON")));
  EXPECT_THAT([] { BenchmarkResult::FromJson(R"({"schema": 1})"); },
              ThrowsMessage<Error>(HasSubstr("field 'schema' must be")));
}

}  // namespace
}  // namespace tinytorch
