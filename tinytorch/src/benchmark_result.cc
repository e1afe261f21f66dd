// Module 19: a benchmark result (raw values, statistics, Student-t interval, bit-exact JSON) and
// the Pareto frontier.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "benchmarking_internal.h"
#include "perf_framework/error.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/error.h"

namespace tinytorch {

BenchmarkResult BenchmarkResult::FromValues(std::string name, std::string metric, std::string unit,
                                            std::vector<double> values, double confidence) {
  TT_CHECK(!values.empty(), "BenchmarkResult: '", name, "' has no values");
  TT_CHECK(confidence > 0 && confidence < 1, "BenchmarkResult: confidence ", confidence,
           " must be in (0, 1)");
  for (size_t i = 0; i < values.size(); ++i) {
    TT_CHECK(std::isfinite(values[i]), "BenchmarkResult: '", name, "' value ", i, " is ",
             values[i]);
  }
  BenchmarkResult r;
  r.name = std::move(name);
  r.metric = std::move(metric);
  r.unit = std::move(unit);
  r.values = std::move(values);
  const std::span<const double> v(r.values);
  r.count = static_cast<int64_t>(v.size());
  r.mean = perf::Mean(v);
  r.median = perf::Median(v);
  r.min = perf::Percentile(v, 0);
  r.max = perf::Percentile(v, 100);
  r.p5 = perf::Percentile(v, 5);
  r.p25 = perf::Percentile(v, 25);
  r.p75 = perf::Percentile(v, 75);
  r.p90 = perf::Percentile(v, 90);
  r.p95 = perf::Percentile(v, 95);
  r.p99 = perf::Percentile(v, 99);
  r.confidence = confidence;
  r.has_interval = r.count >= 2;
  r.std = r.has_interval ? perf::StdDev(v) : 0.0;
  if (r.has_interval) {
    const perf::Interval ci = perf::StudentTMeanInterval(v, confidence);
    r.ci_low = ci.low;
    r.ci_high = ci.high;
  } else {
    r.ci_low = r.ci_high = std::numeric_limits<double>::quiet_NaN();
  }
  return r;
}

namespace detail {

// NaN (an undefined interval) is written as null.
nlohmann::json Number(double x) {
  if (!std::isfinite(x)) return nullptr;
  return x;
}

}  // namespace detail

using detail::Number;

std::string BenchmarkResult::ToJson() const {
  nlohmann::json j = {{"schema", "tinytorch.benchmark_result/1"},
                      {"name", name},
                      {"metric", metric},
                      {"unit", unit},
                      {"values", values},
                      {"count", count},
                      {"mean", Number(mean)},
                      {"std", Number(std)},
                      {"median", Number(median)},
                      {"min", Number(min)},
                      {"max", Number(max)},
                      {"percentiles",
                       {{"p5", Number(p5)},
                        {"p25", Number(p25)},
                        {"p75", Number(p75)},
                        {"p90", Number(p90)},
                        {"p95", Number(p95)},
                        {"p99", Number(p99)}}},
                      {"confidence", confidence},
                      {"has_interval", has_interval},
                      {"ci_low", Number(ci_low)},
                      {"ci_high", Number(ci_high)}};
  // nlohmann prints each double in the shortest form that reads back as the same double.
  return j.dump(2);
}

BenchmarkResult BenchmarkResult::FromJson(const std::string& text) {
  const char* op = "BenchmarkResult::FromJson";
  nlohmann::json j;
  try {
    j = perf::ParseJson(text, op);
  } catch (const perf::Error& e) {
    throw Error(e.what());
  }
  TT_CHECK(j.is_object(), op, ": expected an object");
  TT_CHECK(j.contains("schema") && j["schema"] == "tinytorch.benchmark_result/1", op,
           ": field 'schema' must be \"tinytorch.benchmark_result/1\"");
  const auto field = [&](const char* key) -> const nlohmann::json& {
    TT_CHECK(j.contains(key), op, ": missing field '", key, "'");
    return j.at(key);
  };
  for (const char* key : {"name", "metric", "unit"}) {
    TT_CHECK(field(key).is_string(), op, ": field '", key, "' must be a string");
  }
  TT_CHECK(field("values").is_array(), op, ": field 'values' must be an array of numbers");
  std::vector<double> values;
  for (const auto& v : field("values")) {
    TT_CHECK(v.is_number(), op, ": field 'values' must be an array of numbers");
    values.push_back(v.get<double>());
  }
  TT_CHECK(field("confidence").is_number(), op, ": field 'confidence' must be a number");
  BenchmarkResult r = FromValues(
      field("name").get<std::string>(), field("metric").get<std::string>(),
      field("unit").get<std::string>(), std::move(values), field("confidence").get<double>());
  // Stored statistics must be the ones the values give: a hand-edited or truncated file is caught.
  const auto check = [&](const nlohmann::json& stored, double expected, const std::string& key) {
    const bool ok = stored.is_null() ? !std::isfinite(expected)
                                     : stored.is_number() && stored.get<double>() == expected;
    TT_CHECK(ok, op, ": field '", key, "' is ", stored.dump(), " but the values give ", expected);
  };
  TT_CHECK(field("count").is_number_integer() && field("count").get<int64_t>() == r.count, op,
           ": field 'count' is ", field("count").dump(), " but there are ", r.count, " values");
  for (const auto& [key, expected] :
       std::vector<std::pair<std::string, double>>{{"mean", r.mean},
                                                   {"std", r.std},
                                                   {"median", r.median},
                                                   {"min", r.min},
                                                   {"max", r.max},
                                                   {"ci_low", r.ci_low},
                                                   {"ci_high", r.ci_high}}) {
    check(field(key.c_str()), expected, key);
  }
  const nlohmann::json& pct = field("percentiles");
  for (const auto& [key, expected] : std::vector<std::pair<std::string, double>>{{"p5", r.p5},
                                                                                 {"p25", r.p25},
                                                                                 {"p75", r.p75},
                                                                                 {"p90", r.p90},
                                                                                 {"p95", r.p95},
                                                                                 {"p99", r.p99}}) {
    TT_CHECK(pct.is_object() && pct.contains(key), op, ": missing field 'percentiles.", key, "'");
    check(pct.at(key), expected, "percentiles." + key);
  }
  return r;
}

namespace detail {

// a dominates b: at least as good in every metric and strictly better in one.
bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives) {
  bool strictly = false;
  for (size_t m = 0; m < objectives.size(); ++m) {
    // Oriented so that larger is better.
    const double sign = objectives[m] == Objective::kMaximize ? 1.0 : -1.0;
    if (sign * a[m] < sign * b[m]) return false;
    strictly = strictly || sign * a[m] > sign * b[m];
  }
  return strictly;
}

}  // namespace detail

using detail::Dominates;

std::vector<size_t> ParetoFrontier(const std::vector<std::vector<double>>& points,
                                   const std::vector<Objective>& objectives) {
  const char* op = "ParetoFrontier";
  TT_CHECK(!objectives.empty(), op, ": no objectives");
  for (size_t i = 0; i < points.size(); ++i) {
    TT_CHECK(points[i].size() == objectives.size(), op, ": point ", i, " has ", points[i].size(),
             " metrics, expected ", objectives.size());
    for (size_t m = 0; m < objectives.size(); ++m) {
      TT_CHECK(std::isfinite(points[i][m]), op, ": point ", i, " metric ", m, " is ", points[i][m]);
    }
  }
  std::vector<size_t> frontier;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      dominated = j != i && Dominates(points[j], points[i], objectives);
    }
    if (!dominated) frontier.push_back(i);
  }
  return frontier;
}

}  // namespace tinytorch
