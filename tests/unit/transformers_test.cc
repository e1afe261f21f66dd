// Module 13: layer norm, the transformer block and GPT — normalisation by hand, gradients by
// finite differences, a block and a whole 2-layer GPT against PyTorch, seeded sampling whose
// frequencies match the softmax, and a GPT that learns a sequence.
#include "tinytorch/transformers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/gradcheck.h"
#include "support/tensor_testing.h"
#include "tinytorch/losses.h"
#include "tinytorch/optimizers.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(TransformersTest, LayerNormGivesZeroMeanUnitVariance) {
  Generator gen(1);
  LayerNorm ln(64);
  const Tensor y = ln(Tensor::RandN({3, 5, 64}, gen, 4.f, 3.f));
  EXPECT_LT(Abs(y.Mean(-1)).Max().item(), 1e-6);
  const Tensor var = (y * y).Mean(-1);
  EXPECT_TENSOR_CLOSE(var, Tensor::Full({3, 5}, 1.f), 1e-4, 1e-4);
  // A constant row has no variance: eps keeps it finite and it normalises to zero.
  EXPECT_TENSOR_CLOSE(ln(Tensor::Full({1, 64}, 7.f)), Tensor::Zeros({1, 64}), 0, 0);
  EXPECT_THAT(
      [&] {
        ln(Tensor::Zeros({2, 63}));
      },
      ThrowsMessage<Error>(HasSubstr("needs weight and bias of shape [63]")));
}

TEST(TransformersTest, LayerNormGradientsMatchFiniteDifferences) {
  Generator gen(2);
  using In = const std::vector<Tensor>&;
  EXPECT_TRUE(testing::GradCheck(
      [](In i) { return LayerNormalize(i[0], i[1], i[2]); },
      {Tensor::RandN({3, 2, 6}, gen), Tensor::RandN({6}, gen), Tensor::RandN({6}, gen)}));
  // A strided (transposed) input takes the same path as its packed copy.
  const Tensor x = Tensor::RandN({6, 4}, gen);
  EXPECT_TRUE(
      testing::GradCheck([](In i) { return LayerNormalize(i[0].Transpose(0, 1), i[1], i[2]); },
                         {x, Tensor::RandN({6}, gen), Tensor::RandN({6}, gen)}));
}

TEST(TransformersTest, GptShapesAndErrors) {
  Generator gen(3);
  GPT gpt({.vocab_size = 17, .max_seq_len = 8, .embed_dim = 16, .num_heads = 2, .num_layers = 2},
          gen);
  // Embeddings 17·16 + 8·16; per block 2 LN (64) + attention 4·(256+16) + MLP 16·64+64+64·16+16;
  // final LN 32; head 16·17.
  EXPECT_EQ(gpt.NumParameters(), 272 + 128 + 2 * (64 + 1088 + 2128) + 32 + 272);
  const Tensor tokens = Tensor::FromData(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(gpt(tokens).shape(), (Shape{2, 3, 17}));
  EXPECT_EQ(gpt(tokens.Select(0, 0)).shape(), (Shape{3, 17}));
  EXPECT_THAT(
      [&] {
        gpt(Tensor::Zeros({1, 9}, DType::kInt64));
      },
      ThrowsMessage<Error>(HasSubstr("sequence length 9 exceeds max_seq_len 8")));
  EXPECT_THAT(
      [&] {
        gpt(Tensor::FromData(std::vector<int64_t>{17}, {1, 1}));
      },
      ThrowsMessage<Error>(HasSubstr("index 17")));
  EXPECT_THAT([&] { gpt.Generate({}, 3); }, ThrowsMessage<Error>(HasSubstr("prompt is empty")));
}

TEST(TransformersTest, GenerationIsSeededAndCropsTheContext) {
  Generator gen(4);
  GPT gpt({.vocab_size = 9, .max_seq_len = 4, .embed_dim = 8, .num_heads = 2, .num_layers = 1},
          gen);
  const TokenIds a = gpt.Generate({1, 2}, 10, {.temperature = 1.5f, .seed = 7});
  EXPECT_EQ(a.size(), 12u);  // longer than max_seq_len: the context was cropped
  EXPECT_EQ(gpt.Generate({1, 2}, 10, {.temperature = 1.5f, .seed = 7}), a);
  EXPECT_NE(gpt.Generate({1, 2}, 10, {.temperature = 1.5f, .seed = 8}), a);
  // top_k = 1 is greedy, whatever the temperature.
  EXPECT_EQ(gpt.Generate({3}, 6, {.temperature = 2.f, .top_k = 1, .seed = 1}),
            gpt.Generate({3}, 6, {.temperature = 0.f}));
}

TEST(TransformersTest, SamplingFrequenciesFollowTheTemperedSoftmax) {
  const Tensor logits = Tensor::FromData(
      std::vector<float>{std::log(0.1f), std::log(0.2f), std::log(0.7f), -1e9f}, {4});
  Generator gen(5);
  constexpr int kDraws = 20000;
  for (const auto& [options, expected] :
       std::vector<std::pair<SamplingOptions, std::vector<double>>>{
           {{.temperature = 1.f}, {0.1, 0.2, 0.7, 0}},
           {{.temperature = 0.5f}, {1.0 / 54, 4.0 / 54, 49.0 / 54, 0}},  // p² renormalised
           {{.temperature = 1.f, .top_k = 2}, {0, 2.0 / 9, 7.0 / 9, 0}}}) {
    std::vector<int> counts(4);
    for (int i = 0; i < kDraws; ++i) ++counts[SampleToken(logits, options, gen)];
    for (int j = 0; j < 4; ++j) {
      // 5 binomial standard deviations: a correct sampler fails this about once in 10⁶ runs.
      const double sd = std::sqrt(kDraws * expected[j] * (1 - expected[j]));
      EXPECT_NEAR(counts[j], kDraws * expected[j], 5 * sd + 0.5) << "token " << j;
    }
  }
  EXPECT_EQ(SampleToken(logits, {.temperature = 0.f}, gen), 2);
  EXPECT_THAT([&] { SampleToken(logits, {.temperature = -1.f}, gen); },
              ThrowsMessage<Error>(HasSubstr("temperature -1")));
  EXPECT_THAT(
      [&] {
        SampleToken(Tensor::FromData(std::vector<float>{0.f, NAN}, {2}), {}, gen);
      },
      ThrowsMessage<Error>(HasSubstr("logit 1 is nan")));
}

TEST(TransformersTest, GptLearnsARepeatingSequence) {
  // Next-token prediction on "0 1 2 3 4 0 1 2 ..." is deterministic given one token of context:
  // a working GPT (forward, backward, Adam) drives the loss near zero and then continues it.
  Generator gen(6);
  GPT gpt({.vocab_size = 5, .max_seq_len = 16, .embed_dim = 16, .num_heads = 2, .num_layers = 1},
          gen);
  std::vector<int64_t> seq(17);
  for (size_t i = 0; i < seq.size(); ++i) seq[i] = static_cast<int64_t>(i % 5);
  const Tensor x = Tensor::FromData(std::vector<int64_t>(seq.begin(), seq.end() - 1), {1, 16});
  const Tensor y = Tensor::FromData(std::vector<int64_t>(seq.begin() + 1, seq.end()), {16});
  Adam opt(gpt.Parameters(), {.lr = 1e-2f});
  CrossEntropyLoss loss_fn;
  float loss = 0;
  for (int step = 0; step < 150; ++step) {
    opt.ZeroGrad();
    const Tensor loss_t = loss_fn(gpt(x).View({16, 5}), y);
    loss_t.Backward();
    opt.Step();
    loss = loss_t.item();
  }
  EXPECT_LT(loss, 0.05f);
  EXPECT_EQ(gpt.Generate({0, 1}, 8, {.temperature = 0.f}),
            (TokenIds{0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
}

class TransformersGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(TransformersGoldenTest, ForwardAndGradientsMatchPyTorch) {
  const testing::GoldenCase& c = GetParam();
  Generator gen(0);
  if (c.op == "transformer_block") {
    TransformerBlock block(c.attrs["embed_dim"], c.attrs["num_heads"], gen);
    testing::CheckGoldenModule(c, block);
  } else if (c.op == "gpt") {
    GPT gpt({.vocab_size = c.attrs["vocab_size"],
             .max_seq_len = c.attrs["max_seq_len"],
             .embed_dim = c.attrs["embed_dim"],
             .num_heads = c.attrs["num_heads"],
             .num_layers = c.attrs["num_layers"]},
            gen);
    testing::CheckGoldenModule(c, gpt);
  } else {
    testing::CheckGoldenBackward(c);
  }
}

INSTANTIATE_TEST_SUITE_P(
    PyTorch, TransformersGoldenTest,
    ::testing::ValuesIn(testing::LoadGoldenCases("module_13_transformers.json")),
    testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
