// What the sources of module 19 share: how a model's mistakes are reported and how its outputs are
// checked and scored (Benchmark and RunTinyMLPerf), and the dominance test and JSON and byte
// formatting that results, suites and technique comparisons have in common.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tinytorch/benchmarking.h"
#include "tinytorch/tensor.h"

namespace tinytorch::detail {

// Something the model under test did wrong; the runners turn it into ok = false with the reason.
struct ModelFailure {
  std::string reason;
};

// Throws ModelFailure unless `out` is defined, has the `expected` shape (any when empty) and holds
// only finite values. `what` names the call, e.g. "forward on the query".
void CheckModelOutput(const Tensor& out, const std::string& what, const Shape& expected);

// Scores classifier output `out` (rows, classes) against labels[0, rows): writes 1 or 0 per row
// to correct[0, rows) and returns how many are right. Throws ModelFailure for another shape or
// for a label outside the model's classes (naming `set` and the row, offset by `first_row`).
int64_t ScoreClassifier(const Tensor& out, const int64_t* labels, int64_t first_row, int64_t rows,
                        const std::string& what, const std::string& set, uint8_t* correct);

// x as JSON; NaN (an undefined interval) is written as null. (benchmark_result.cc)
nlohmann::json Number(double x);

// a dominates b: at least as good in every metric and strictly better in one. (benchmark_result.cc)
bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives);

// One model's result as JSON, for ModelBenchmark::ToJson and the suite report.
// (benchmark_runner.cc)
nlohmann::json Json(const ModelBenchmark& r);

// A byte count for a reader: "1.50 MiB", "2.0 KiB", "512 B". (benchmark_suite.cc)
std::string Bytes(int64_t b);

}  // namespace tinytorch::detail
