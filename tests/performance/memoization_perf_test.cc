// Module 18 validation claims: the KV cache on a GPT (vocab 64, 128-wide, 4 layers, 4 heads,
// context 256). Cached greedy decoding must produce the uncached tokens; its cost must grow with a
// significantly lower exponent in the number of generated tokens; its memory grows linearly; and
// the published "KV cache gives 10–15×" gets the verdict this machine shows.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "perf_framework/comparator.h"
#include "perf_framework/statistics.h"
#include "support/claims.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using perf::ClaimKind;
using perf::ClaimVerdict;
using testing::CheckClaim;
using testing::ExactEvidence;

constexpr const char* kModule = "module_18_memoization";

GPT& Model() {
  static Generator gen(18);
  static GPT gpt(
      {.vocab_size = 64, .max_seq_len = 256, .embed_dim = 128, .num_heads = 4, .num_layers = 4},
      gen);
  return gpt;
}

const TokenIds kPrompt = {1, 5, 9, 13, 17, 21, 25, 29};
const SamplingOptions kGreedy = {.temperature = 0.f};

TEST(MemoizationPerfTest, CachedDecodingMatchesUncached) {
  CheckClaim(perf::MakeClaim(
      {kModule, "cached_tokens_equal_uncached",
       "Greedy decoding of 128 tokens with the KV cache produces exactly the uncached "
       "tokens",
       "equal tokens", ClaimKind::kContract, "token agreement"},
      perf::Bound::AtLeast(1.0), [] {
        const TokenIds cached = GenerateCached(Model(), kPrompt, 128, kGreedy);
        const TokenIds uncached = Model().Generate(kPrompt, 128, kGreedy);
        int64_t same = 0;
        for (size_t i = 0; i < cached.size() && i < uncached.size(); ++i) {
          same += cached[i] == uncached[i];
        }
        const double fraction = static_cast<double>(same) / static_cast<double>(uncached.size());
        return ExactEvidence(fraction, "fraction of tokens",
                             {{"tokens", uncached.size()}, {"equal", same}});
      }));
}

TEST(MemoizationPerfTest, CacheMemoryGrowsLinearly) {
  CheckClaim(perf::MakeClaim(
      {kModule, "kv_memory_linear",
       "The KV cache's used bytes grow linearly with the positions held (exponent 1)", "exponent",
       ClaimKind::kContract, "memory exponent"},
      perf::Bound::Within(0.999, 1.001), [] {
        KVCache cache = KVCache::For(Model());
        std::vector<double> sizes, bytes;
        int64_t held = 0;
        for (const int64_t target : {16, 32, 64, 128, 256}) {
          const Tensor tokens =
              Tensor::FromData(std::vector<int64_t>(target - held, 3), {1, target - held});
          ForwardCached(Model(), tokens, cache);
          held = target;
          sizes.push_back(static_cast<double>(held));
          bytes.push_back(static_cast<double>(cache.used_bytes()));
        }
        const perf::PowerLawFit fit = perf::FitPowerLaw(sizes, bytes);
        return ExactEvidence(
            fit.exponent, "",
            {{"positions", sizes}, {"used_bytes", bytes}, {"allocated_bytes", cache.bytes()}});
      }));
}

// Speedup of cached over uncached generation of n tokens after the prompt.
perf::ComparisonResult CacheSpeedup(int64_t n) {
  perf::PerformanceComparator comparator({.max_seconds = 20});
  return comparator.Compare(
      "generate " + std::to_string(n) + ": uncached vs cached",
      [n] { Model().Generate(kPrompt, n, kGreedy); },
      [n] { GenerateCached(Model(), kPrompt, n, kGreedy); });
}

// If uncached time grows as n^a and cached as n^b, the speedup grows as n^(a−b): the exponent
// difference is log(speedup(120) / speedup(15)) / log 8. Timing each length with paired rounds
// is robust where a power-law fit of totals is not (fixed costs bend the curve).
TEST(MemoizationPerfTest, CachedGenerationScalesWithALowerExponent) {
  CheckClaim(perf::MakeClaim(
      {kModule, "cached_time_exponent_lower",
       "Generation time grows with a significantly lower exponent in the tokens generated with the "
       "KV cache than without (speedup at 120 tokens vs at 15)",
       "exponent difference", ClaimKind::kContract},
      perf::Bound::AtLeast(0.0),
      [] {
        const perf::ComparisonResult s15 = CacheSpeedup(15), s120 = CacheSpeedup(120);
        // The two comparisons are independent: their log-speedup standard errors (from
        // the intervals' widths) add in quadrature.
        const auto se = [](const perf::ComparisonResult& c) {
          // Too few rounds for an interval (a loaded machine): unknown, so inconclusive.
          if (!(c.speedup.low > 0) || !std::isfinite(c.speedup.high)) return double{INFINITY};
          return std::log(c.speedup.high / c.speedup.low) /
                 (2 * perf::NormalQuantile(0.5 + c.speedup.confidence / 2));
        };
        const double log8 = std::log(8.0);
        const double half =
            perf::NormalQuantile(0.975) * std::sqrt(se(s15) * se(s15) + se(s120) * se(s120)) / log8;
        perf::Evidence e;
        e.value = std::log(s120.speedup.estimate / s15.speedup.estimate) / log8;
        e.low = e.value - half;
        e.high = e.value + half;
        e.confidence = 0.95;
        e.details = {{"speedup_15", s15.ToJson()}, {"speedup_120", s120.ToJson()}};
        return e;
      },
      300));
}

TEST(MemoizationPerfTest, PublishedKvCacheSpeedup) {
  CheckClaim(perf::MakeClaim(
      {kModule, "kv_cache_10_to_15x",
       "A KV cache gives 10-15x faster generation (128 tokens after an 8-token prompt)", "speedup",
       ClaimKind::kPublishedClaim},
      perf::Bound::Within(10, 15), [] { return perf::SpeedupEvidence(CacheSpeedup(128)); }, 300));
}

}  // namespace
}  // namespace tinytorch
