// Finite-difference gradient check for any differentiable tinytorch computation.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "tinytorch/tensor.h"

namespace tinytorch::testing {

struct GradCheckOptions {
  double eps = 1e-2;  // central-difference step (float32 inputs: smaller steps drown in rounding)
  double rtol = 2e-2;
  double atol = 2e-3;
  uint64_t seed = 7;  // for the random projection weights
};

// Checks Backward() of `f` at `inputs` against central differences. The scalar differentiated
// is L = Σ w ⊙ f(inputs) with fixed random weights w (so every output element matters), and the
// differences (L(x + ε) − L(x − ε)) / 2ε are accumulated in double. Inputs are copied into fresh
// leaves; inputs that should not be differentiated (e.g. int64 targets) are passed through.
::testing::AssertionResult GradCheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                     const std::vector<Tensor>& inputs,
                                     const GradCheckOptions& options = {});

}  // namespace tinytorch::testing
