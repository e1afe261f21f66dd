// The one table of golden-testable ops: name → how to compute it from a case's inputs and attrs.
// Forward golden tests (one suite per module) and the backward golden test share it.
#pragma once

#include <map>
#include <string>

#include "support/golden.h"
#include "tinytorch/layers.h"

namespace tinytorch::testing {

const std::map<std::string, GoldenOp>& GoldenOps();

// A backward case: runs the op on leaves that require grad as the case says, backpropagates
// sum(out ⊙ upstream), and compares the output and every expected input gradient.
void CheckGoldenBackward(const GoldenCase& c);

// A module case: inputs[0] is the module's input, inputs[1..] its parameters under the names in
// attrs["params"]. Loads them into `module`, backpropagates sum(out ⊙ upstream), and compares the
// output, the input's gradient (when expected) and every parameter's gradient.
void CheckGoldenModule(const GoldenCase& c, Module& module);

}  // namespace tinytorch::testing
