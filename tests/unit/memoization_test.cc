// Module 18: the KV cache's bookkeeping and bounds, and cached decoding that reproduces uncached
// decoding — the logits at every step (prefill included), batched, and the generated tokens
// across the sliding window.
#include "tinytorch/memoization.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/tensor_testing.h"
#include "tinytorch/autograd.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

GPT SmallGpt(Generator& gen, int64_t max_seq_len = 24) {
  return GPT({.vocab_size = 19,
              .max_seq_len = max_seq_len,
              .embed_dim = 32,
              .num_heads = 4,
              .num_layers = 3},
             gen);
}

TEST(MemoizationTest, CacheAppendsReadsAdvancesAndResets) {
  KVCache cache(2, 1, 2, 8, 4);
  EXPECT_EQ(cache.bytes(), 2 * 2 * 1 * 2 * 8 * 4 * 4);  // K and V, two layers, float32
  EXPECT_EQ(cache.used_bytes(), 0);
  Generator gen(1);
  const Tensor k = Tensor::RandN({1, 2, 3, 4}, gen), v = Tensor::RandN({1, 2, 3, 4}, gen);
  const auto [keys, values] = cache.Append(0, k, v);
  EXPECT_EQ(keys.shape(), (Shape{1, 2, 3, 4}));
  EXPECT_TENSOR_CLOSE(keys, k, 0, 0);
  EXPECT_TENSOR_CLOSE(values, v, 0, 0);
  EXPECT_EQ(cache.length(), 0);  // Append does not advance
  cache.Append(1, k, v);
  cache.Advance(3);
  EXPECT_EQ(cache.used_bytes(), 2 * 2 * 2 * 3 * 4 * 4);
  const Tensor k2 = Tensor::RandN({1, 2, 1, 4}, gen);
  const auto [keys2, values2] = cache.Append(0, k2, k2);
  EXPECT_EQ(keys2.size(2), 4);
  EXPECT_TENSOR_CLOSE(keys2.Slice(2, 0, 3), k, 0, 0);
  EXPECT_TENSOR_CLOSE(keys2.Slice(2, 3, 4), k2, 0, 0);
  EXPECT_EQ(cache.Read(0).first.size(2), 3);
  cache.Reset();
  EXPECT_EQ(cache.length(), 0);
  EXPECT_EQ(cache.used_bytes(), 0);
}

TEST(MemoizationTest, CacheRejectsOverflowAndBadShapes) {
  KVCache cache(1, 1, 2, 4, 3);
  Generator gen(2);
  const Tensor five = Tensor::RandN({1, 2, 5, 3}, gen);
  EXPECT_THAT([&] { cache.Append(0, five, five); },
              ThrowsMessage<Error>(
                  HasSubstr("KVCache::Append: 5 positions at position 0 overflow max_seq_len 4")));
  const Tensor bad = Tensor::RandN({1, 3, 1, 3}, gen);
  EXPECT_THAT([&] { cache.Append(0, bad, bad); },
              ThrowsMessage<Error>(
                  HasSubstr("k [1, 3, 1, 3] and v [1, 3, 1, 3] must both be (1, 2, t, 3)")));
  EXPECT_THAT([&] { cache.Append(1, five, five); },
              ThrowsMessage<Error>(HasSubstr("layer 1 is out of range for 1 layers")));
  cache.Advance(4);
  EXPECT_THAT([&] { cache.Advance(1); }, ThrowsMessage<Error>(HasSubstr("overflow max_seq_len 4")));
  EXPECT_THAT([] { KVCache(1, 0, 2, 4, 3); }, ThrowsMessage<Error>(HasSubstr("must be positive")));
}

TEST(MemoizationTest, CachedLogitsMatchUncachedAtEveryStep) {
  Generator gen(3);
  GPT gpt = SmallGpt(gen);
  gpt.Eval();
  const std::vector<int64_t> sequence = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3};
  KVCache cache = KVCache::For(gpt);
  const int64_t prompt = 5;
  const Tensor prompt_tokens = Tensor::FromData(
      std::vector<int64_t>(sequence.begin(), sequence.begin() + prompt), {1, prompt});
  // Prefill: every prompt position's logits, not only the last.
  const Tensor prefill = ForwardCached(gpt, prompt_tokens, cache);
  const NoGradGuard no_grad;
  EXPECT_LE(MaxAbsDiff(prefill, gpt(prompt_tokens)), 1e-5);
  double worst = 0.0;
  for (size_t t = prompt; t < sequence.size(); ++t) {
    const Tensor step =
        ForwardCached(gpt, Tensor::FromData(std::vector<int64_t>{sequence[t]}, {1, 1}), cache);
    const auto len = static_cast<int64_t>(t + 1);
    const Tensor full = gpt(
        Tensor::FromData(std::vector<int64_t>(sequence.begin(), sequence.begin() + len), {1, len}));
    const double diff = MaxAbsDiff(step.Select(1, 0), full.Select(1, len - 1));
    worst = std::max(worst, diff);
    EXPECT_LE(diff, 1e-5) << "position " << t;
  }
  EXPECT_EQ(cache.length(), static_cast<int64_t>(sequence.size()));
  ::testing::Test::RecordProperty("max_abs_diff", std::to_string(worst));
}

TEST(MemoizationTest, BatchedChunksMatchUncached) {
  Generator gen(4);
  GPT gpt = SmallGpt(gen);
  const Tensor tokens =
      Tensor::FromData(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7,  8,  9,  10, 11, 12,
                                            5, 4, 3, 2, 1, 0, 18, 17, 16, 15, 14, 13},
                       {2, 12});
  KVCache cache = KVCache::For(gpt, 2);
  std::vector<Tensor> chunks;
  for (auto [a, b] : {std::pair{0, 4}, std::pair{4, 5}, std::pair{5, 12}}) {
    chunks.push_back(ForwardCached(gpt, tokens.Slice(1, a, b).Contiguous(), cache));
  }
  const NoGradGuard no_grad;
  const Tensor full = gpt(tokens);
  EXPECT_LE(MaxAbsDiff(chunks[0], full.Slice(1, 0, 4)), 1e-5);
  EXPECT_LE(MaxAbsDiff(chunks[1], full.Slice(1, 4, 5)), 1e-5);
  EXPECT_LE(MaxAbsDiff(chunks[2], full.Slice(1, 5, 12)), 1e-5);
  ForwardCached(gpt, tokens, cache);  // fills positions 12..23: the cache is full
  EXPECT_THAT([&] { ForwardCached(gpt, tokens.Slice(1, 0, 1).Contiguous(), cache); },
              ThrowsMessage<Error>(
                  HasSubstr("ForwardCached: 1 tokens at position 24 exceed max_seq_len 24")));
  KVCache wrong(2, 1, 4, 24, 8);
  EXPECT_THAT([&] { ForwardCached(gpt, tokens, wrong); },
              ThrowsMessage<Error>(HasSubstr("the cache has 2 layers, the model 3")));
}

TEST(MemoizationTest, GenerateCachedProducesTheSameTokensAcrossTheSlidingWindow) {
  Generator gen(5);
  GPT gpt = SmallGpt(gen, /*max_seq_len=*/10);
  const TokenIds prompt = {1, 2, 3};
  // 20 new tokens with a window of 10: the window slides for the last 13.
  for (const SamplingOptions& options :
       {SamplingOptions{.temperature = 0.f},
        SamplingOptions{.temperature = 1.f, .top_k = 5, .seed = 9}}) {
    EXPECT_EQ(GenerateCached(gpt, prompt, 20, options), gpt.Generate(prompt, 20, options));
  }
  // A prompt longer than the window starts from its last 10 tokens, as Generate does.
  const TokenIds long_prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(GenerateCached(gpt, long_prompt, 3, {.temperature = 0.f}),
            gpt.Generate(long_prompt, 3, {.temperature = 0.f}));
  EXPECT_EQ(GenerateCached(gpt, prompt, 0), prompt);
  EXPECT_THAT([&] { GenerateCached(gpt, {}, 3); },
              ThrowsMessage<Error>(HasSubstr("the prompt is empty")));
}

}  // namespace
}  // namespace tinytorch
