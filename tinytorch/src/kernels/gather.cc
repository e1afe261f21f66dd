// The vector kernels load each piece with one masked load (masked-off lanes are not read, so a
// piece that starts left of its row's first element or ends past its last needs no copy of the
// row); the second piece merges into the first.
#include "kernels/gather.h"

#include <immintrin.h>

namespace tinytorch::kernels {

void GatherLanesNaive(float* dst, const float* base, const LaneGather* gathers, int64_t count) {
  for (int64_t d = 0; d < count; ++d, dst += 16) {
    const LaneGather& g = gathers[d];
    for (int e = 0; e < 16; ++e) {
      dst[e] = (g.mask_a >> e & 1)   ? base[g.offset_a + e]
               : (g.mask_b >> e & 1) ? base[g.offset_b + e]
                                     : 0.f;
    }
  }
}

namespace {

__attribute__((target("avx512f"))) void GatherLanesAvx512(float* dst, const float* base,
                                                          const LaneGather* gathers,
                                                          int64_t count) {
  for (int64_t d = 0; d < count; ++d, dst += 16) {
    const LaneGather& g = gathers[d];
    __m512 v = _mm512_maskz_loadu_ps(g.mask_a, base + g.offset_a);
    v = _mm512_mask_loadu_ps(v, g.mask_b, base + g.offset_b);
    _mm512_storeu_ps(dst, v);
  }
}

// AVX2's masked load takes its mask as a vector: lane e is selected when bit e of bits is set.
__attribute__((target("avx2"))) __m256i LaneMask(unsigned bits) {
  const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const __m256i set = _mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), lane_bit);
  return _mm256_cmpeq_epi32(set, lane_bit);
}

__attribute__((target("avx2"))) void GatherLanesAvx2(float* dst, const float* base,
                                                     const LaneGather* gathers, int64_t count) {
  for (int64_t d = 0; d < count; ++d, dst += 16) {
    const LaneGather& g = gathers[d];
    for (int half = 0; half < 2; ++half) {
      const int shift = 8 * half;
      const __m256i a = LaneMask(g.mask_a >> shift & 0xFF), b = LaneMask(g.mask_b >> shift & 0xFF);
      const __m256 from_a = _mm256_maskload_ps(base + g.offset_a + shift, a);
      const __m256 from_b = _mm256_maskload_ps(base + g.offset_b + shift, b);
      _mm256_storeu_ps(dst + shift, _mm256_or_ps(from_a, from_b));  // unselected lanes are +0
    }
  }
}

}  // namespace

void GatherLanes(float* dst, const float* base, const LaneGather* gathers, int64_t count,
                 SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512:
      return GatherLanesAvx512(dst, base, gathers, count);
    case SimdLevel::kAvx2:
      return GatherLanesAvx2(dst, base, gathers, count);
    case SimdLevel::kScalar:
    case SimdLevel::kCount:  // not a level
      break;
  }
  GatherLanesNaive(dst, base, gathers, count);
}

}  // namespace tinytorch::kernels
