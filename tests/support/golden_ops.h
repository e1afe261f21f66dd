// The one table of golden-testable ops: name → how to compute it from a case's inputs and attrs.
// Forward golden tests (one suite per module) and the backward golden test share it.
#pragma once

#include <map>
#include <string>

#include "support/golden.h"

namespace tinytorch::testing {

const std::map<std::string, GoldenOp>& GoldenOps();

}  // namespace tinytorch::testing
