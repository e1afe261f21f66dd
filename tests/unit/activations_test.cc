// Module 02: activation values by hand, their numerical stability at extreme inputs, and PyTorch
// golden cases.
#include "tinytorch/activations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/tensor_testing.h"
#include "tinytorch/acceleration.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Tensor T(std::vector<float> v, Shape s) { return Tensor::FromData(std::move(v), s); }

TEST(ActivationsTest, ValuesByHand) {
  EXPECT_EQ(Relu(T({-1, 0, 2}, {3})).ToVector(), (std::vector<float>{0, 0, 2}));
  EXPECT_FLOAT_EQ(Sigmoid(T({0}, {1})).item(), 0.5f);
  EXPECT_FLOAT_EQ(Tanh(T({0}, {1})).item(), 0.f);
  EXPECT_FLOAT_EQ(Gelu(T({1}, {1})).item(), 0.8413447f);  // Φ(1) = 0.8413447
  EXPECT_NEAR(Gelu(T({1}, {1}), GeluApproximation::kTanh).item(), 0.8411920f, 1e-6);
  const Tensor s = Softmax(T({0, std::log(2.f)}, {2}));
  EXPECT_FLOAT_EQ(s.at({0}), 1.f / 3);
  EXPECT_FLOAT_EQ(s.at({1}), 2.f / 3);
}

TEST(ActivationsTest, StableForExtremeInputs) {
  const Tensor x = T({-1000, 1000}, {2});
  EXPECT_EQ(Sigmoid(x).ToVector(), (std::vector<float>{0, 1}));
  EXPECT_EQ(Tanh(x).ToVector(), (std::vector<float>{-1, 1}));
  EXPECT_EQ(Softmax(T({1000, 1000}, {2})).ToVector(), (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(LogSoftmax(T({1000, 0}, {2})).ToVector(), (std::vector<float>{0, -1000}));
  // A masked (-inf) entry gets probability 0, not NaN.
  EXPECT_EQ(Softmax(T({-INFINITY, 0}, {2})).ToVector(), (std::vector<float>{0, 1}));
}

TEST(ActivationsTest, SoftmaxSumsToOneAlongTheChosenDim) {
  Generator gen(3);
  const Tensor x = Tensor::RandN({4, 5, 6}, gen, 0.f, 10.f);
  for (int64_t dim : {0, 1, 2}) {
    const Tensor total = Softmax(x, dim).Sum(dim);
    EXPECT_TENSOR_CLOSE(total, Tensor::Ones(total.shape()), 1e-5, 1e-6) << "dim " << dim;
    EXPECT_TENSOR_CLOSE(Exp(LogSoftmax(x, dim)), Softmax(x, dim), 1e-5, 1e-7) << "dim " << dim;
  }
}

TEST(ActivationsTest, BadInputGivesClearErrors) {
  EXPECT_THAT(
      [] {
        Softmax(Tensor::Zeros({2, 3}), 2);
      },
      ThrowsMessage<Error>(HasSubstr("Softmax: dim 2 is out of range for a tensor with 2 dims")));
  EXPECT_THAT([] { Relu(Tensor::FromData(std::vector<int64_t>{1}, {1})); },
              ThrowsMessage<Error>(HasSubstr("Relu: expects float32, got int64")));
}

// GELU splits a large packed input over threads: the same bits, forward and backward, as on one
// thread (and as a strided view of the same values, which stays serial).
TEST(ActivationsTest, ThreadedGeluEqualsOneThread) {
  Generator gen(3);
  for (const GeluApproximation a : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    const auto run = [&](int threads, const Tensor& x) {
      const int previous = SetNumThreads(threads);
      Tensor leaf = x.Detach();
      leaf.set_requires_grad(true);
      const Tensor y = Gelu(leaf, a);
      (y * y).Sum().Backward();
      SetNumThreads(previous);
      return std::pair{y.Detach(), leaf.grad()};
    };
    const Tensor x = Tensor::RandN({300, 200}, gen, 0.f, 3.f);
    const auto [y2, g2] = run(2, x);
    const auto [y1, g1] = run(1, x);
    const auto [yt, gt] = run(2, x.Transpose(0, 1).Contiguous().Transpose(0, 1));
    EXPECT_TENSOR_CLOSE(y2, y1, 0, 0);
    EXPECT_TENSOR_CLOSE(g2, g1, 0, 0);
    EXPECT_TENSOR_CLOSE(yt, y1, 0, 0);
    EXPECT_TENSOR_CLOSE(gt, g1, 0, 0);
  }
}

// The exact GELU runs on glibc's vector erf (kernels/erf.cc) at the active SIMD level: on every
// level it stays within a few float ulps of the double-precision formula, its derivative too, and
// an element gets the same bits wherever it stands (alone, in a ragged tail, mid-vector), which the
// lazy pass's bit-equality with the eager op relies on.
TEST(ActivationsTest, ExactGeluIsAccurateAndPositionIndependentOnEveryLevel) {
  std::vector<float> values;
  for (float v = -9.f; v <= 9.f; v += 0.0371f) values.push_back(v);
  values.insert(values.end(), {0.f, -0.f, 1e-30f, -1e-30f, 3.9f, -3.9f, 1e20f, -1e20f});
  const auto n = static_cast<int64_t>(values.size());
  const SimdLevel original = ActiveSimdLevel();
  for (const SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (static_cast<int>(level) > static_cast<int>(DetectedSimdLevel())) continue;
    SetSimdLevel(level);
    SCOPED_TRACE(SimdLevelName(level));
    Tensor x = Tensor::FromData(values, {n});
    x.set_requires_grad(true);
    const Tensor y = Gelu(x);
    y.Sum().Backward();
    for (int64_t i = 0; i < n; ++i) {
      const double v = values[i];
      const double cdf = 0.5 * (1 + std::erf(v / std::sqrt(2.0)));
      const double want = v * cdf, dwant = cdf + v * std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI);
      const float got = y.ToVector()[i], dgot = x.grad().ToVector()[i];
      // 1 + erf(v/√2) cancels for v < 0: an erf a few ulps from -1 is off by up to 0.5·|v|·ulps in
      // the GELU, whatever its implementation (PyTorch's formula too). libmvec's AVX-512 erff
      // returns -1 for erf(-3.68) = -1 + 1.8e-7 (3 ulps of 6e-8): allowed here, 5 ulps.
      EXPECT_NEAR(got, want, 1e-7 + 1.5e-7 * std::abs(v) + 4e-7 * std::abs(want))
          << "gelu(" << v << ")";
      EXPECT_NEAR(dgot, dwant, 1e-6 + 4e-7 * std::abs(dwant)) << "gelu'(" << v << ")";
      EXPECT_EQ(Gelu(Tensor::FromData(std::vector<float>{values[i]}, {1})).item(), got)
          << "alone: " << v;
    }
  }
  SetSimdLevel(original);
}

TEST(ActivationsTest, NaNPropagates) {
  const Tensor x = T({NAN}, {1});
  EXPECT_TRUE(std::isnan(Relu(x).item()));
  EXPECT_TRUE(std::isnan(Sigmoid(x).item()));
  EXPECT_TRUE(std::isnan(Gelu(x).item()));
}

// ---------------------------------------------------------------------------------------------
// PyTorch golden cases (tools/golden/make_golden.py), through the shared op table.

class ActivationsGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(ActivationsGoldenTest, MatchesPyTorch) {
  testing::CheckGoldenCase(GetParam(), testing::GoldenOps());
}

INSTANTIATE_TEST_SUITE_P(
    PyTorch, ActivationsGoldenTest,
    ::testing::ValuesIn(testing::LoadGoldenCases("module_02_activations.json")),
    testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
