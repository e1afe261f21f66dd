// The one table of golden-testable ops: name → how to compute it from a case's inputs and attrs.
// Forward golden tests (one suite per module) and the backward golden test share it.
#pragma once

#include <map>
#include <string>

#include "support/golden.h"

namespace tinytorch::testing {

const std::map<std::string, GoldenOp>& GoldenOps();

// A backward case: runs the op on leaves that require grad as the case says, backpropagates
// sum(out ⊙ upstream), and compares the output and every expected input gradient.
void CheckGoldenBackward(const GoldenCase& c);

}  // namespace tinytorch::testing
