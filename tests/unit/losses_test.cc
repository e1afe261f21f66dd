// Module 04: losses by hand, their behaviour at extreme inputs, their input validation, and
// PyTorch golden cases.
#include "tinytorch/losses.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/tensor_testing.h"
#include "tinytorch/activations.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Tensor T(std::vector<float> v, Shape s) { return Tensor::FromData(std::move(v), s); }
Tensor Labels(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::FromData(std::move(v), {n});
}

TEST(LossesTest, MSEByHand) {
  const Tensor p = T({1, 2, 3}, {3}), t = T({1, 0, 6}, {3});
  EXPECT_FLOAT_EQ(MSELoss()(p, t).item(), (0 + 4 + 9) / 3.f);
  EXPECT_FLOAT_EQ(MSELoss(Reduction::kSum)(p, t).item(), 13.f);
  EXPECT_EQ(MSELoss(Reduction::kNone)(p, t).ToVector(), (std::vector<float>{0, 4, 9}));
  EXPECT_THAT(
      [] {
        MSELoss()(Tensor::Zeros({3}), Tensor::Zeros({3, 1}));
      },
      ThrowsMessage<Error>(
          HasSubstr("MSELoss: prediction shape [3] and target shape [3, 1] differ")));
}

TEST(LossesTest, CrossEntropyByHand) {
  // Uniform logits over C classes cost log C whatever the target.
  EXPECT_FLOAT_EQ(CrossEntropyLoss()(Tensor::Zeros({2, 4}), Labels({0, 3})).item(), std::log(4.f));
  // A confident right answer costs ~0, a confident wrong one ~the logit gap.
  const Tensor logits = T({10, 0, 0, 10}, {2, 2});
  const Tensor per = CrossEntropyLoss(Reduction::kNone)(logits, Labels({0, 0}));
  EXPECT_NEAR(per.at({0}), 4.54e-5, 1e-6);
  EXPECT_NEAR(per.at({1}), 10.0, 1e-4);
}

TEST(LossesTest, CrossEntropyIsFiniteForHugeLogits) {
  const Tensor logits = T({1e4f, -1e4f, 0}, {1, 3});
  EXPECT_FLOAT_EQ(CrossEntropyLoss()(logits, Labels({0})).item(), 0.f);
  EXPECT_FLOAT_EQ(CrossEntropyLoss()(logits, Labels({1})).item(), 2e4f);
}

TEST(LossesTest, CrossEntropyRejectsBadTargets) {
  const Tensor logits = Tensor::Zeros({2, 3});
  EXPECT_THAT(
      [&] {
        CrossEntropyLoss()(logits, Labels({0, 3}));
      },
      ThrowsMessage<Error>(HasSubstr("target 3 at index 1 is out of range for 3 classes")));
  EXPECT_THAT(
      [&] {
        CrossEntropyLoss()(logits, Labels({0, -1}));
      },
      ThrowsMessage<Error>(HasSubstr("target -1 at index 1")));
  EXPECT_THAT([&] { CrossEntropyLoss()(logits, Tensor::Zeros({2})); },
              ThrowsMessage<Error>(HasSubstr("targets must be int64 class indices, got float32")));
  EXPECT_THAT(
      [&] {
        CrossEntropyLoss()(logits, Labels({0, 1, 2}));
      },
      ThrowsMessage<Error>(HasSubstr("expects logits (N, C) and targets (N), got [2, 3] and [3]")));
}

TEST(LossesTest, BinaryCrossEntropyByHand) {
  const Tensor p = T({0.5f, 0.9f}, {2}), t = T({1, 0}, {2});
  EXPECT_FLOAT_EQ(BinaryCrossEntropyLoss(Reduction::kSum)(p, t).item(),
                  -std::log(0.5f) - std::log(0.1f));
  // A certain wrong answer is clamped at 100 (log clamped at -100), not inf.
  EXPECT_FLOAT_EQ(BinaryCrossEntropyLoss()(T({0}, {1}), T({1}, {1})).item(), 100.f);
  EXPECT_THAT(
      [] { BinaryCrossEntropyLoss()(T({1.5f}, {1}), T({1}, {1})); },
      ThrowsMessage<Error>(HasSubstr("probabilities must lie in [0, 1], got range [1.5, 1.5]")));
  EXPECT_THAT([] { BinaryCrossEntropyLoss()(T({0.5f}, {1}), T({NAN}, {1})); },
              ThrowsMessage<Error>(HasSubstr("targets must lie in [0, 1]")));
}

TEST(LossesTest, BinaryCrossEntropyWithLogitsMatchesADoubleReference) {
  Generator gen(5);
  const Tensor z = Tensor::RandN({64}, gen, 0.f, 3.f);
  const Tensor t = Tensor::Rand({64}, gen);
  std::vector<float> expected;
  for (int64_t i = 0; i < 64; ++i) {
    const double zi = z.at({i}), ti = t.at({i});
    const double p = 1 / (1 + std::exp(-zi));
    expected.push_back(static_cast<float>(-(ti * std::log(p) + (1 - ti) * std::log(1 - p))));
  }
  EXPECT_TENSOR_CLOSE(BinaryCrossEntropyWithLogitsLoss(Reduction::kNone)(z, t), T(expected, {64}),
                      1e-5, 1e-6);
  // Where sigmoid saturates to exactly 1 in float, only the logits form keeps the true loss.
  EXPECT_FLOAT_EQ(BinaryCrossEntropyWithLogitsLoss()(T({40}, {1}), T({0}, {1})).item(), 40.f);
}

// As in PyTorch (issue 23): the mean loss over an empty batch is NaN, the sum 0.
TEST(LossesTest, EmptyBatchMeanIsNaNAndSumIsZero) {
  EXPECT_TRUE(std::isnan(MSELoss()(Tensor::Zeros({0}), Tensor::Zeros({0})).item()));
  EXPECT_EQ(MSELoss(Reduction::kSum)(Tensor::Zeros({0}), Tensor::Zeros({0})).item(), 0.f);
  const Tensor no_targets = Tensor::FromData(std::vector<int64_t>{}, {0});
  EXPECT_TRUE(std::isnan(CrossEntropyLoss()(Tensor::Zeros({0, 10}), no_targets).item()));
  EXPECT_EQ(CrossEntropyLoss(Reduction::kNone)(Tensor::Zeros({0, 10}), no_targets).shape(),
            (Shape{0}));
  const Tensor none = Tensor::Zeros({0, 3});
  EXPECT_TRUE(std::isnan(BinaryCrossEntropyLoss()(none, none).item()));
  EXPECT_EQ(BinaryCrossEntropyWithLogitsLoss(Reduction::kSum)(none, none).item(), 0.f);
}

// ---------------------------------------------------------------------------------------------
// PyTorch golden cases (tools/golden/make_golden.py), through the shared op table.

class LossesGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(LossesGoldenTest, MatchesPyTorch) {
  testing::CheckGoldenCase(GetParam(), testing::GoldenOps());
}

INSTANTIATE_TEST_SUITE_P(PyTorch, LossesGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("module_04_losses.json")),
                         testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
