// Module 16: exact magnitude pruning, structured pruning into smaller dense layers that compute
// the same function when the removed units are dead, CSR storage that equals the dense layer and
// shrinks with sparsity, the distillation loss by hand, distillation on digits, and SVD
// factorisation — plus the digits accuracy/size trade-off recorded as test properties.
#include "tinytorch/compression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/digits_models.h"
#include "support/tensor_testing.h"
#include "tinytorch/autograd.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/losses.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

int64_t Zeros(const Tensor& t) {
  int64_t z = 0;
  for (float v : t.ToVector()) z += v == 0.f;
  return z;
}

TEST(CompressionTest, PerLayerPruningHitsTheExactSparsityOnTheSmallestWeights) {
  Generator gen(1);
  Sequential mlp({std::make_shared<Linear>(10, 7, gen), std::make_shared<ReLULayer>(),
                  std::make_shared<Linear>(7, 3, gen)});
  const Tensor before = dynamic_cast<Linear&>(mlp[0]).weight().Clone();
  MagnitudePrune(mlp, 0.5);
  const Tensor after = dynamic_cast<Linear&>(mlp[0]).weight();
  EXPECT_EQ(Zeros(after), 35);                                   // round(0.5 · 70)
  EXPECT_EQ(Zeros(dynamic_cast<Linear&>(mlp[2]).weight()), 11);  // round(0.5 · 21) = 10.5 → 11
  // Every pruned weight was no larger in magnitude than every kept one.
  float largest_pruned = 0, smallest_kept = 1e9;
  const std::vector<float> b = before.ToVector(), a = after.ToVector();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == 0.f)
      largest_pruned = std::max(largest_pruned, std::fabs(b[i]));
    else
      smallest_kept = std::min(smallest_kept, std::fabs(b[i]));
  }
  EXPECT_LE(largest_pruned, smallest_kept);
  EXPECT_NEAR(WeightSparsity(mlp), 46.0 / 91.0, 1e-12);
}

TEST(CompressionTest, GlobalPruningRanksAllWeightsTogether) {
  Generator gen(2);
  Sequential mlp({std::make_shared<Linear>(20, 20, gen), std::make_shared<Linear>(20, 20, gen)});
  dynamic_cast<Linear&>(mlp[1]).weight().Detach() *= 100.f;  // the second layer dominates
  MagnitudePrune(mlp, 0.4, /*global=*/true);
  EXPECT_EQ(
      Zeros(dynamic_cast<Linear&>(mlp[0]).weight()) + Zeros(dynamic_cast<Linear&>(mlp[1]).weight()),
      320);
  // One threshold: almost every zero lands in the small layer.
  EXPECT_GT(Zeros(dynamic_cast<Linear&>(mlp[0]).weight()), 300);
  EXPECT_THAT([&] { MagnitudePrune(mlp, 1.0); },
              ThrowsMessage<Error>(HasSubstr("MagnitudePrune: sparsity 1 must be in [0, 1)")));
  EXPECT_THAT([&] { MagnitudePrune(mlp, -0.1); },
              ThrowsMessage<Error>(HasSubstr("must be in [0, 1)")));
  ReLULayer relu;
  EXPECT_THAT([&] { MagnitudePrune(relu, 0.5); },
              ThrowsMessage<Error>(HasSubstr("ReLU() has no Linear or Conv2d weights")));
}

TEST(CompressionTest, StructuredPruningRemovesDeadUnitsWithoutChangingTheFunction) {
  Generator gen(3);
  Sequential mlp({std::make_shared<Linear>(6, 8, gen), std::make_shared<ReLULayer>(),
                  std::make_shared<Linear>(8, 3, gen)});
  // Kill hidden units 1, 4, 6 and 7: zero incoming weights and bias.
  auto& first = dynamic_cast<Linear&>(mlp[0]);
  for (int64_t u : {1, 4, 6, 7}) {
    first.weight().Detach().Select(1, u).Fill(0.f);
    first.bias().Detach().Select(0, u).Fill(0.f);
  }
  const auto pruned = StructuredPrune(mlp, 0.5);
  EXPECT_EQ(dynamic_cast<Linear&>((*pruned)[0]).out_features(), 4);
  EXPECT_EQ(dynamic_cast<Linear&>((*pruned)[2]).in_features(), 4);
  EXPECT_EQ(dynamic_cast<Linear&>((*pruned)[2]).out_features(), 3);  // outputs are never removed
  const Tensor x = Tensor::RandN({5, 6}, gen);
  const NoGradGuard no_grad;
  EXPECT_TENSOR_CLOSE((*pruned)(x), mlp(x), 1e-6, 1e-6);
  EXPECT_EQ(pruned->NumParameters(), 6 * 4 + 4 + 4 * 3 + 3);
  EXPECT_THAT([&] { StructuredPrune(mlp, 1.0); },
              ThrowsMessage<Error>(HasSubstr("fraction 1 must be in [0, 1)")));
}

TEST(CompressionTest, StructuredPruningShrinksConvChannelsThroughFlatten) {
  Generator gen(4);
  Sequential cnn({std::make_shared<Conv2d>(1, 8, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
                  std::make_shared<MaxPool2d>(2), std::make_shared<Conv2d>(8, 6, 3, gen, 1, 1),
                  std::make_shared<ReLULayer>(), std::make_shared<Flatten>(),
                  std::make_shared<Linear>(6 * 4 * 4, 5, gen)});
  // Dead channels 2 and 5 of the first conv, 0 of the second.
  auto& c1 = dynamic_cast<Conv2d&>(cnn[0]);
  auto& c2 = dynamic_cast<Conv2d&>(cnn[3]);
  for (int64_t ch : {2, 5}) {
    c1.weight().Detach().Select(0, ch).Fill(0.f);
    c1.bias().Detach().Select(0, ch).Fill(0.f);
  }
  c2.weight().Detach().Select(0, 0).Fill(0.f);
  c2.bias().Detach().Select(0, 0).Fill(0.f);
  const auto pruned = StructuredPrune(cnn, 0.25);  // 8 → 6 and 6 → 4 (round(1.5) = 2)
  EXPECT_EQ(dynamic_cast<Conv2d&>((*pruned)[0]).weight().shape(), (Shape{6, 1, 3, 3}));
  EXPECT_EQ(dynamic_cast<Conv2d&>((*pruned)[3]).weight().shape(), (Shape{4, 6, 3, 3}));
  EXPECT_EQ(dynamic_cast<Linear&>((*pruned)[6]).in_features(), 4 * 16);
  const Tensor x = Tensor::RandN({2, 1, 8, 8}, gen);
  const NoGradGuard no_grad;
  // Channel 0 of the second conv is dead, and the other removed one (the weaker) is live, so
  // the outputs differ only through that one channel; check shapes and the dead-channel case.
  EXPECT_EQ((*pruned)(x).shape(), (Shape{2, 5}));
  const auto only_dead = StructuredPrune(cnn, 0.2);  // 8 → 6 (dead 2, 5) and 6 → 5 (dead 0)
  EXPECT_TENSOR_CLOSE((*only_dead)(x), cnn(x), 1e-5, 1e-5);
}

TEST(CompressionTest, SparseLinearEqualsDenseAndShrinksWithSparsity) {
  Generator gen(5);
  Linear dense(300, 200, gen);
  MagnitudePrune(dense, 0.9);
  SparseLinear sparse(dense);
  EXPECT_EQ(sparse.nnz(), 6000);
  const NoGradGuard no_grad;
  for (int64_t rows : {1, 7, 33}) {  // the gather path and the transposed batch path
    const Tensor x = Tensor::RandN({rows, 300}, gen);
    EXPECT_TENSOR_CLOSE(sparse(x), dense(x), 1e-5, 1e-5) << rows;
  }
  EXPECT_EQ(sparse(Tensor::Zeros({2, 3, 300})).shape(), (Shape{2, 3, 200}));
  EXPECT_TENSOR_CLOSE(sparse.ToDense(), dense.weight(), 0, 0);
  const double ratio = static_cast<double>(sparse.WeightBytes()) / WeightBytes(dense);
  EXPECT_LE(ratio, 0.25);  // 8 bytes per nonzero + row pointers vs 4 per weight
  EXPECT_EQ(sparse.WeightBytes(), 6000 * 8 + 201 * 4);
  ::testing::Test::RecordProperty("csr_bytes_fraction_at_90pct", std::to_string(ratio));
}

TEST(CompressionTest, DistillationLossMatchesItsDefinition) {
  const Tensor s = Tensor::FromData(std::vector<float>{1.f, 2.f, 0.5f, -1.f, 0.f, 3.f}, {2, 3});
  const Tensor t = Tensor::FromData(std::vector<float>{2.f, 1.f, 0.f, 0.f, 1.f, 2.f}, {2, 3});
  const Tensor y = Tensor::FromData(std::vector<int64_t>{1, 2}, {2});
  const float temp = 2.f, alpha = 0.6f;
  // By hand in double: softmax at temperature, KL per row, batch mean, T², plus weighted CE.
  double kl = 0, ce = 0;
  for (int r = 0; r < 2; ++r) {
    double zs = 0, zt = 0, z1 = 0;
    for (int c = 0; c < 3; ++c) {
      zs += std::exp(s.at({r, c}) / temp);
      zt += std::exp(t.at({r, c}) / temp);
      z1 += std::exp(s.at({r, c}));
    }
    for (int c = 0; c < 3; ++c) {
      const double pt = std::exp(t.at({r, c}) / temp) / zt, ps = std::exp(s.at({r, c}) / temp) / zs;
      kl += pt * std::log(pt / ps);
    }
    ce -= std::log(std::exp(s.at({r, static_cast<int64_t>(y.data<int64_t>()[r])})) / z1);
  }
  const double expected = alpha * temp * temp * kl / 2 + (1 - alpha) * ce / 2;
  EXPECT_NEAR(DistillationLoss(s, t, y, temp, alpha).item(), expected, 1e-5);
  EXPECT_NEAR(DistillationLoss(s, t, y, temp, 0.f).item(), CrossEntropyLoss()(s, y).item(), 1e-6);
  EXPECT_THAT([&] { DistillationLoss(s, t, y, 0.f, 0.5f); },
              ThrowsMessage<Error>(HasSubstr("temperature 0 must be positive")));
}

TEST(CompressionTest, LowRankFactorisationRecoversALowRankLayer) {
  Generator gen(6);
  Linear linear(40, 30, gen);
  {  // W = A B with rank 3
    const NoGradGuard no_grad;
    linear.weight().Detach().CopyFrom(
        MatMul(Tensor::RandN({40, 3}, gen), Tensor::RandN({3, 30}, gen)));
  }
  const auto factored = LowRankApproximate(linear, 3);
  const Tensor x = Tensor::RandN({5, 40}, gen);
  const NoGradGuard no_grad;
  EXPECT_TENSOR_CLOSE((*factored)(x), linear(x), 1e-4, 1e-3);
  EXPECT_EQ(factored->NumParameters(), 40 * 3 + 3 * 30 + 30);
  // On a full-rank layer the error falls as the rank grows and vanishes at full rank.
  Linear full(20, 16, gen);
  double previous = 1e9;
  for (int64_t rank : {1, 4, 8, 16}) {
    const double err = MaxAbsDiff((*LowRankApproximate(full, rank))(x.Slice(1, 0, 20).Contiguous()),
                                  full(x.Slice(1, 0, 20).Contiguous()));
    EXPECT_LT(err, previous) << rank;
    previous = err;
  }
  EXPECT_LT(previous, 1e-4);
  EXPECT_THAT([&] { LowRankApproximate(full, 17); },
              ThrowsMessage<Error>(HasSubstr("LowRankApproximate: rank 17 must be in [1, 16]")));
}

TEST(CompressionTest, DigitsAccuracySizeTradeOff) {
  const auto& d = testing::Digits();
  const auto teacher = testing::TrainedDigitsMlp();
  const double base = testing::Accuracy(*teacher, d.test_x, d.test_y);
  const int64_t dense_bytes = WeightBytes(*teacher);
  // Unstructured magnitude pruning (no fine-tuning) stored as CSR.
  for (double sparsity : {0.5, 0.7, 0.9}) {
    auto copy = StructuredPrune(*teacher, 0.0);  // a deep copy of the trained layers
    MagnitudePrune(*copy, sparsity);
    const auto sparse = ToSparse(*copy);
    const double acc = testing::Accuracy(*sparse, d.test_x, d.test_y);
    const double size = static_cast<double>(WeightBytes(*sparse)) / dense_bytes;
    ::testing::Test::RecordProperty(
        "prune_" + std::to_string(static_cast<int>(sparsity * 100)) + "_accuracy_size",
        std::to_string(acc) + " " + std::to_string(size));
    if (sparsity == 0.5) {
      EXPECT_GE(acc, base - 0.02);
    }
    // CSR stores 8 bytes per nonzero against 4 per dense weight, plus row pointers.
    EXPECT_LT(size, 2 * (1.0 - sparsity) + 0.05);
  }
  // Structured: half the hidden units, a genuinely smaller dense model.
  const auto half = StructuredPrune(*teacher, 0.5);
  ::testing::Test::RecordProperty("structured_50_accuracy_params",
                                  std::to_string(testing::Accuracy(*half, d.test_x, d.test_y)) +
                                      " " + std::to_string(half->NumParameters()));
  EXPECT_LT(half->NumParameters(), teacher->NumParameters() / 2);
  // Distillation: a 64-16-10 student (12× fewer parameters) taught by the MLP.
  Generator gen(7);
  Sequential student({std::make_shared<Linear>(64, 16, gen), std::make_shared<ReLULayer>(),
                      std::make_shared<Linear>(16, 10, gen)});
  const std::vector<double> losses = KnowledgeDistillation(student, *teacher, d.train_x, d.train_y);
  EXPECT_LT(losses.back(), losses.front());
  const double distilled = testing::Accuracy(student, d.test_x, d.test_y);
  EXPECT_GE(distilled, 0.9);
  ::testing::Test::RecordProperty(
      "distilled_accuracy_params",
      std::to_string(distilled) + " " + std::to_string(student.NumParameters()));
  ::testing::Test::RecordProperty(
      "teacher_accuracy_params",
      std::to_string(base) + " " + std::to_string(teacher->NumParameters()));
}

}  // namespace
}  // namespace tinytorch
