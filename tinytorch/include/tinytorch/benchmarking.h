// Module 19: benchmarking. This header holds the pieces every benchmark report is built from: a
// result that keeps its raw values and derives its statistics from them (with a Student-t
// interval that says honestly when one value cannot give one), its lossless JSON form, and a
// real Pareto frontier. The model runner, suites and TinyMLPerf build on these (issue #8).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinytorch {

struct BenchmarkResult {
  std::string name;            // what was measured, e.g. "mlp/latency"
  std::string metric;          // "latency", "accuracy", "memory", ...
  std::string unit;            // "ms", "fraction", "bytes", ...
  std::vector<double> values;  // every measurement, in order

  // Derived from `values` by FromValues. std is the sample standard deviation (n − 1); with one
  // value it is 0 and the interval is undefined: has_interval is false and ci_low/ci_high are
  // NaN (a single measurement says nothing about spread, so none is invented).
  int64_t count = 0;
  double mean = 0, std = 0, median = 0, min = 0, max = 0;
  double p5 = 0, p25 = 0, p75 = 0, p90 = 0, p95 = 0, p99 = 0;  // NumPy's linear percentiles
  double confidence = 0.95;
  bool has_interval = false;
  double ci_low = 0, ci_high = 0;  // Student-t interval of the mean, t at n − 1 degrees of freedom

  // Throws on no values, a non-finite value, or confidence outside (0, 1).
  static BenchmarkResult FromValues(std::string name, std::string metric, std::string unit,
                                    std::vector<double> values, double confidence = 0.95);

  // Doubles are written in the shortest form that parses back to the same double, so
  // FromJson(ToJson()) gives back the same bits. FromJson validates every field and recomputes the
  // statistics from the values; a field that disagrees with its recomputation throws, naming the
  // field.
  std::string ToJson() const;
  static BenchmarkResult FromJson(const std::string& json);
};

enum class Objective : uint8_t { kMinimize, kMaximize };

// Indices (ascending) of the points no other point dominates. a dominates b when a is at least as
// good in every metric and strictly better in at least one, each metric judged by its objective;
// equal points do not dominate each other, so duplicates stay on the frontier together. points[i]
// holds one value per objective. Throws on a ragged or non-finite input.
std::vector<size_t> ParetoFrontier(const std::vector<std::vector<double>>& points,
                                   const std::vector<Objective>& objectives);

}  // namespace tinytorch
