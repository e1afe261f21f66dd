// Tensor assertions with tolerances, shared by every test suite.
#pragma once

#include <gtest/gtest.h>

#include "tinytorch/tensor.h"

namespace tinytorch::testing {

// Shapes and dtypes equal; float elements satisfy |a - e| <= atol + rtol·|e| (NaN matches NaN,
// equal infinities match); integer elements equal exactly. On failure names the worst element.
::testing::AssertionResult TensorsClose(const Tensor& actual, const Tensor& expected, double rtol,
                                        double atol);

}  // namespace tinytorch::testing

#define EXPECT_TENSOR_CLOSE(actual, expected, rtol, atol) \
  EXPECT_TRUE(::tinytorch::testing::TensorsClose(actual, expected, rtol, atol))
#define ASSERT_TENSOR_CLOSE(actual, expected, rtol, atol) \
  ASSERT_TRUE(::tinytorch::testing::TensorsClose(actual, expected, rtol, atol))
