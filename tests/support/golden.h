// Loads the PyTorch golden cases written by tools/golden/make_golden.py (format in that script).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "tinytorch/tensor.h"

namespace tinytorch::testing {

struct GoldenCase {
  std::string name;
  std::string op;
  nlohmann::json attrs;
  std::vector<Tensor> inputs;  // with the stored transpose/slice views applied
  Tensor expected;
  // Backward cases (module_06_autograd.json) also carry:
  std::vector<bool> requires_grad;     // per input
  Tensor upstream;                     // the gradient flowing into the output
  std::vector<Tensor> expected_grads;  // per input; undefined where none is expected
  double rtol = 0, atol = 0;
  std::string load_error;  // set when the file could not be read; the test then fails with it
};

// Loads tests/data/golden/<file>. Never throws (it runs during test registration): a broken file
// becomes one case whose load_error makes its test fail with the reason.
std::vector<GoldenCase> LoadGoldenCases(const std::string& file);

// Parses one tensor object {"dtype", "shape", "data", optional view}. Throws on malformed input.
Tensor GoldenTensor(const nlohmann::json& j);

// An op under test: computes the output from the case's inputs and attrs.
using GoldenOp = std::function<Tensor(const std::vector<Tensor>&, const nlohmann::json&)>;

// Runs one case against the table: fails on load errors, unknown ops, exceptions and mismatches.
void CheckGoldenCase(const GoldenCase& c, const std::map<std::string, GoldenOp>& ops);

// Records a double as a test property (in the XML output). gtest's own RecordProperty template
// converts arithmetic values to int64_t, which would turn 2.4e-7 into 0.
void RecordDouble(const std::string& key, double value);
// Records the largest |got - expected| as the test property "max_abs_error".
void RecordMaxError(const Tensor& got, const Tensor& expected);

// gtest parameter name: the case name with non-alphanumerics replaced by '_'.
std::string GoldenCaseName(const ::testing::TestParamInfo<GoldenCase>& info);
inline void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

}  // namespace tinytorch::testing
