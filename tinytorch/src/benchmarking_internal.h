// What the two model runners of module 19 (Benchmark and RunTinyMLPerf) share: how a model's
// mistakes are reported and how its outputs are checked and scored.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace tinytorch::detail
