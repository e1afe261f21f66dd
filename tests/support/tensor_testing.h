// Tensor assertions with tolerances, shared by every test suite.
#pragma once

#include <gtest/gtest.h>

#include <cstring>

#include "tinytorch/tensor.h"

namespace tinytorch::testing {

// Shapes and dtypes equal; float elements satisfy |a - e| <= atol + rtol·|e| (NaN matches NaN,
// equal infinities match); integer elements equal exactly. On failure names the worst element.
::testing::AssertionResult TensorsClose(const Tensor& actual, const Tensor& expected, double rtol,
                                        double atol);

// memcmp of two float tensors of the same shape: "the same bits", -0 against +0 and NaN payloads
// included.
inline bool SameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data<float>(), b.data<float>(),
                     static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

}  // namespace tinytorch::testing

#define EXPECT_TENSOR_CLOSE(actual, expected, rtol, atol) \
  EXPECT_TRUE(::tinytorch::testing::TensorsClose(actual, expected, rtol, atol))
#define ASSERT_TENSOR_CLOSE(actual, expected, rtol, atol) \
  ASSERT_TRUE(::tinytorch::testing::TensorsClose(actual, expected, rtol, atol))
