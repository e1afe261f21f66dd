// Module 12: scaled dot-product and multi-head attention — masking semantics, causality checked
// by perturbing the future, finite-difference gradients, and PyTorch golden cases (including
// torch's own multi-head attention).
#include "tinytorch/attention.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "support/acceleration_testing.h"
#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/gradcheck.h"
#include "support/tensor_testing.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/activations.h"

namespace tinytorch {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(AttentionTest, UniformScoresAverageTheValues) {
  // Identical keys give every key the same weight: each output is the mean of the values.
  const Tensor q = Tensor::Ones({2, 3}), k = Tensor::Ones({4, 3});
  const Tensor v = Tensor::Arange(0, 8).View({4, 2});
  Tensor weights;
  const Tensor out = ScaledDotProductAttention(q, k, v, Tensor(), false, &weights);
  EXPECT_TENSOR_CLOSE(out, Tensor::FromData(std::vector<float>{3, 4, 3, 4}, {2, 2}), 1e-6, 1e-6);
  EXPECT_TENSOR_CLOSE(weights, Tensor::Full({2, 4}, 0.25f), 1e-6, 1e-6);
}

TEST(AttentionTest, CausalOutputsIgnoreTheFuture) {
  Generator gen(1);
  const Tensor q = Tensor::RandN({2, 6, 4}, gen), k = Tensor::RandN({2, 6, 4}, gen);
  Tensor v = Tensor::RandN({2, 6, 4}, gen);
  Tensor weights;
  const Tensor before = ScaledDotProductAttention(q, k, v, Tensor(), true, &weights);
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = i + 1; j < 6; ++j) EXPECT_EQ(weights.at({0, i, j}), 0.f);
  }
  // Changing the last key and value may only change the last query's output.
  Tensor k2 = k.Clone(), v2 = v.Clone();
  k2.Select(1, 5).Fill(9.f);
  v2.Select(1, 5).Fill(-9.f);
  const Tensor after = ScaledDotProductAttention(q, k2, v2, Tensor(), true);
  EXPECT_TENSOR_CLOSE(after.Slice(1, 0, 5), before.Slice(1, 0, 5), 0, 0);
  EXPECT_GT(MaxAbsDiff(after.Slice(1, 5, 6), before.Slice(1, 5, 6)), 0.1);
}

TEST(AttentionTest, CausalQueriesAlignToTheEndOfTheKeys) {
  // One new query against 5 cached keys sees all of them: same as no mask.
  Generator gen(2);
  const Tensor q = Tensor::RandN({1, 4}, gen), k = Tensor::RandN({5, 4}, gen);
  const Tensor v = Tensor::RandN({5, 3}, gen);
  EXPECT_TENSOR_CLOSE(ScaledDotProductAttention(q, k, v, Tensor(), true),
                      ScaledDotProductAttention(q, k, v), 0, 0);
}

TEST(AttentionTest, MaskZerosHideKeys) {
  const Tensor q = Tensor::Ones({1, 2}), k = Tensor::Ones({3, 2});
  const Tensor v = Tensor::FromData(std::vector<float>{1, 10, 100}, {3, 1});
  const Tensor keep = Tensor::FromData(std::vector<int64_t>{1, 0, 1}, {1, 3});
  EXPECT_TENSOR_CLOSE(ScaledDotProductAttention(q, k, v, keep),
                      Tensor::FromData(std::vector<float>{50.5f}, {1, 1}), 1e-6, 1e-6);
}

// std::max(-inf, NaN) is -inf: a NaN score once made its row look fully masked (an error). It
// gives NaN, as in PyTorch.
TEST(AttentionTest, ANaNScoreGivesNaNNotAMaskedRow) {
  const Tensor q = Tensor::Full({1, 1, 2}, std::nanf("")), k = Tensor::Ones({1, 3, 2}),
               v = Tensor::Ones({1, 3, 2});
  const Tensor out = ScaledDotProductAttention(q, k, v);
  for (const float o : out.ToVector()) EXPECT_TRUE(std::isnan(o));
}

TEST(AttentionTest, BadArgumentsThrow) {
  const Tensor q = Tensor::Zeros({2, 3, 4}), k = Tensor::Zeros({2, 5, 4});
  const Tensor v = Tensor::Zeros({2, 5, 6});
  EXPECT_THAT(
      [&] {
        ScaledDotProductAttention(q, Tensor::Zeros({2, 5, 3}), v);
      },
      ThrowsMessage<Error>(
          AllOf(HasSubstr("ScaledDotProductAttention"), HasSubstr("k [2, 5, 3]"))));
  EXPECT_THAT(
      [&] {
        ScaledDotProductAttention(q, k, v, Tensor::Ones({4, 5}));
      },
      ThrowsMessage<Error>(HasSubstr("mask [4, 5] does not broadcast")));
  EXPECT_THAT(
      [&] {
        ScaledDotProductAttention(q, k, v, Tensor::Zeros({3, 5}));
      },
      ThrowsMessage<Error>(HasSubstr("query 0 (row 0 of scores [2, 3, 5]) has every key "
                                     "masked")));
  // More queries than keys under a causal mask: the first query has no key before it.
  EXPECT_THAT(
      [&] {
        ScaledDotProductAttention(Tensor::Zeros({6, 4}), k.Select(0, 0), v.Select(0, 0), Tensor(),
                                  true);
      },
      ThrowsMessage<Error>(HasSubstr("every key masked")));
}

// Scores large enough to be split over threads: the same bits as on one thread, and the same
// probabilities as the composed ops (scores, -inf above the diagonal, Softmax).
TEST(AttentionTest, ThreadedCausalSoftmaxMatchesOneThreadAndTheComposedOps) {
  Generator gen(5);
  const Tensor q = Tensor::RandN({2, 3, 200, 8}, gen), k = Tensor::RandN({2, 3, 200, 8}, gen),
               v = Tensor::RandN({2, 3, 200, 8}, gen);
  Tensor threaded_weights, serial_weights;
  const int threads = SetNumThreads(2);
  const Tensor threaded = ScaledDotProductAttention(q, k, v, Tensor(), true, &threaded_weights);
  SetNumThreads(1);
  const Tensor serial = ScaledDotProductAttention(q, k, v, Tensor(), true, &serial_weights);
  SetNumThreads(threads);
  EXPECT_TENSOR_CLOSE(threaded, serial, 0, 0);
  EXPECT_TENSOR_CLOSE(threaded_weights, serial_weights, 0, 0);
  std::vector<float> future(200 * 200, 0.f);
  for (int64_t i = 0; i < 200; ++i) {
    for (int64_t j = i + 1; j < 200; ++j) future[i * 200 + j] = -INFINITY;
  }
  const Tensor scores = MatMul(q, k.Transpose(-1, -2)) * (1.f / std::sqrt(8.f)) +
                        Tensor::FromData(future, {200, 200});
  EXPECT_TENSOR_CLOSE(threaded_weights, Softmax(scores), 1e-6, 1e-5);
  // A row with every key masked in a late block is the one reported.
  std::vector<float> keep(200 * 200, 1.f);
  for (int64_t j = 0; j < 200; ++j) keep[150 * 200 + j] = 0.f;
  EXPECT_THAT(
      [&] {
        ScaledDotProductAttention(q, k, v, Tensor::FromData(keep, {200, 200}), true);
      },
      ThrowsMessage<Error>(HasSubstr("query 150 (row 150 of scores")));
}

// The softmax's exp is libmvec's vector expf on the AVX2 and AVX-512 levels and std::exp on the
// scalar one: within an ulp of each other, so the weights agree to a few ulps on every level;
// masked keys (exp(-inf)) and keys past the causal edge weigh exactly 0 on each, and a query's
// weights sum to 1.
TEST(AttentionTest, SoftmaxAgreesOnEveryLevelAndMaskedKeysWeighZero) {
  Generator gen(6);
  const Tensor q = Tensor::RandN({2, 37, 8}, gen), k = Tensor::RandN({2, 37, 8}, gen),
               v = Tensor::RandN({2, 37, 8}, gen);
  std::vector<float> keep(37 * 37, 1.f);
  for (int64_t i = 0; i < 37; ++i) keep[i * 37 + (i * 7) % (i + 1)] = i > 0 ? 0.f : 1.f;
  const Tensor mask = Tensor::FromData(keep, {37, 37});
  Tensor expected;
  {
    const testing::ScopedSimdLevel scalar(SimdLevel::kScalar);
    ScaledDotProductAttention(q, k, v, mask, true, &expected);
  }
  for (const SimdLevel level : testing::SupportedSimdLevels()) {
    const testing::ScopedSimdLevel scoped(level);
    Tensor weights;
    ScaledDotProductAttention(q, k, v, mask, true, &weights);
    EXPECT_TENSOR_CLOSE(weights, expected, 1e-6, 1e-6) << SimdLevelName(level);
    const float* w = weights.data<float>();
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t i = 0; i < 37; ++i) {
        const float* row = w + (b * 37 + i) * 37;
        double sum = 0;
        for (int64_t j = 0; j < 37; ++j) {
          if (j > i || keep[i * 37 + j] == 0.f) {
            ASSERT_EQ(row[j], 0.f) << SimdLevelName(level) << " query " << i << " key " << j;
          }
          sum += row[j];
        }
        EXPECT_NEAR(sum, 1.0, 1e-6) << SimdLevelName(level) << " query " << i;
      }
    }
  }
}

TEST(AttentionTest, GradientsMatchFiniteDifferences) {
  Generator gen(3);
  using In = const std::vector<Tensor>&;
  const Tensor keep =
      Tensor::FromData(std::vector<float>{1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1}, {3, 4});
  EXPECT_TRUE(testing::GradCheck(
      [&](In i) { return ScaledDotProductAttention(i[0], i[1], i[2], keep, true); },
      {Tensor::RandN({2, 3, 5}, gen), Tensor::RandN({2, 4, 5}, gen),
       Tensor::RandN({2, 4, 2}, gen)}));
}

TEST(AttentionTest, MultiHeadAttentionShapesAndErrors) {
  Generator gen(4);
  MultiHeadAttention mha(12, 3, gen, /*causal=*/true);
  EXPECT_EQ(mha.NumParameters(), 4 * (12 * 12 + 12));
  EXPECT_EQ(mha(Tensor::Zeros({2, 5, 12})).shape(), (Shape{2, 5, 12}));
  EXPECT_EQ(mha(Tensor::Zeros({5, 12})).shape(), (Shape{5, 12}));
  const Tensor x = Tensor::RandN({2, 5, 12}, gen);
  EXPECT_TENSOR_CLOSE(mha.MergeHeads(mha.SplitHeads(x)), x, 0, 0);
  EXPECT_EQ(mha.SplitHeads(x).shape(), (Shape{2, 3, 5, 4}));
  EXPECT_THAT([&] { MultiHeadAttention(10, 3, gen); },
              ThrowsMessage<Error>(HasSubstr("num_heads 3 must be positive and divide "
                                             "embed_dim 10")));
  EXPECT_THAT(
      [&] {
        mha(Tensor::Zeros({2, 5, 8}));
      },
      ThrowsMessage<Error>(HasSubstr("must each be (..., T, 12)")));
}

class AttentionGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(AttentionGoldenTest, ForwardAndGradientsMatchPyTorch) {
  const testing::GoldenCase& c = GetParam();
  if (c.op != "mha") {
    testing::CheckGoldenBackward(c);
    return;
  }
  Generator gen(0);
  MultiHeadAttention mha(c.attrs["embed_dim"], c.attrs["num_heads"], gen, c.attrs["causal"]);
  testing::CheckGoldenModule(c, mha);
}

INSTANTIATE_TEST_SUITE_P(PyTorch, AttentionGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("module_12_attention.json")),
                         testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
