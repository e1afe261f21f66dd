// Module 11: embedding lookup with accumulating gradients, positional encodings, and PyTorch
// golden cases.
#include "tinytorch/embeddings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/tensor_testing.h"

namespace tinytorch {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(EmbeddingsTest, LookupCopiesRowsInIndexShape) {
  const Tensor w = Tensor::Arange(0, 12).View({4, 3});
  const Tensor out = EmbeddingLookup(w, Tensor::FromData(std::vector<int64_t>{3, 0, 3, 1}, {2, 2}));
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(out.ToVector(), (std::vector<float>{9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5}));
}

TEST(EmbeddingsTest, GradientAccumulatesIntoRepeatedRows) {
  Generator gen(1);
  Embedding emb(5, 2, gen);
  emb(Tensor::FromData(std::vector<int64_t>{2, 2, 2, 4}, {4})).Sum().Backward();
  EXPECT_EQ(emb.weight().grad().ToVector(), (std::vector<float>{0, 0, 0, 0, 3, 3, 0, 0, 1, 1}));
}

TEST(EmbeddingsTest, BadIndicesThrowNamingThem) {
  const Tensor w = Tensor::Zeros({4, 3});
  EXPECT_THAT(
      [&] {
        EmbeddingLookup(w, Tensor::FromData(std::vector<int64_t>{1, 4}, {2}));
      },
      ThrowsMessage<Error>(
          AllOf(HasSubstr("index 4 at flat position 1"), HasSubstr("outside [0, 4)"))));
  EXPECT_THAT([&] { EmbeddingLookup(w, Tensor::FromData(std::vector<int64_t>{-1}, {1})); },
              ThrowsMessage<Error>(HasSubstr("index -1")));
  EXPECT_THAT([&] { EmbeddingLookup(w, Tensor::Zeros({2})); },
              ThrowsMessage<Error>(HasSubstr("must be an int64 tensor, got float32")));
  EXPECT_THAT([&] { EmbeddingLookup(Tensor::Zeros({4}), Tensor::Zeros({1}, DType::kInt64)); },
              ThrowsMessage<Error>(HasSubstr("weight must be (num_embeddings, dim), got [4]")));
}

TEST(EmbeddingsTest, SinusoidalTableMatchesTheFormula) {
  const Tensor pe = SinusoidalPositionalEncoding(50, 7);
  EXPECT_EQ(pe.shape(), (Shape{50, 7}));
  for (int64_t pos : {0, 1, 17, 49}) {
    for (int64_t j = 0; j < 7; ++j) {
      const double freq = std::pow(10000.0, -(j - j % 2) / 7.0);
      const double expected = j % 2 == 0 ? std::sin(pos * freq) : std::cos(pos * freq);
      EXPECT_NEAR(pe.at({pos, j}), expected, 1e-6) << pos << "," << j;
    }
  }
  EXPECT_THAT([] { SinusoidalPositionalEncoding(0, 4); },
              ThrowsMessage<Error>(HasSubstr("must be positive")));
}

TEST(EmbeddingsTest, PositionalEncodingAddsOneRowPerStep) {
  Generator gen(2);
  PositionalEncoding learned(6, 4, gen);
  EXPECT_EQ(learned.NumParameters(), 24);
  const Tensor x = Tensor::Zeros({2, 3, 4});
  const Tensor y = learned(x);
  EXPECT_TENSOR_CLOSE(y.Select(0, 1), learned.table().Slice(0, 0, 3), 0, 0);
  y.Sum().Backward();
  EXPECT_EQ(learned.table().grad().Sum(0).ToVector(), (std::vector<float>{6, 6, 6, 6}));

  PositionalEncoding fixed(6, 4, gen, PositionalEncoding::Kind::kSinusoidal);
  EXPECT_EQ(fixed.NumParameters(), 0);  // a buffer: saved with the model, never trained
  EXPECT_EQ(fixed.NamedBuffers().size(), 1u);
  EXPECT_TENSOR_CLOSE(fixed(x).Select(0, 0), SinusoidalPositionalEncoding(6, 4).Slice(0, 0, 3), 0,
                      0);
  EXPECT_THAT(
      [&] {
        learned(Tensor::Zeros({1, 7, 4}));
      },
      ThrowsMessage<Error>(HasSubstr("sequence length 7 exceeds max_len 6")));
  EXPECT_THAT(
      [&] {
        learned(Tensor::Zeros({1, 3, 5}));
      },
      ThrowsMessage<Error>(HasSubstr("must be (..., T, 4), got [1, 3, 5]")));
}

class EmbeddingsGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(EmbeddingsGoldenTest, ForwardAndGradientsMatchPyTorch) {
  testing::CheckGoldenBackward(GetParam());
}

INSTANTIATE_TEST_SUITE_P(PyTorch, EmbeddingsGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("module_11_embeddings.json")),
                         testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
