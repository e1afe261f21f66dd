// The AVX-512 kernel loads each piece with one masked load (masked-off lanes are not read, so a
// piece that starts left of its row's first element or ends past its last needs no copy of the
// row); the second piece merges into the first. AVX2's masked loads, which take their mask as a
// vector, cost more than the packing they save (convolutions.cc), so only AVX-512 has one.
#include "kernels/gather.h"

#include <immintrin.h>

#include "kernels/lanes.h"

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

void GatherIndexedNaive(float* dst, const float* base, const IndexGather* gathers, int64_t count) {
  for (int64_t d = 0; d < count; ++d, dst += 16) {
    for (int e = 0; e < 16; ++e)
      dst[e] = (gathers[d].mask >> e & 1) ? base[gathers[d].index[e]] : 0.f;
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

// One vgatherdps per vector; masked-off lanes are not read. A plane of at most 32 floats (a
// small feature map) is instead loaded once into two registers and each vector permuted out of
// them: a gather loads its 16 lanes one by one, and was 28% of the fp32 digits CNN at batch 32,
// whose 4×4 layer has planes of 16.
__attribute__((target("avx512f"))) void GatherIndexedAvx512(float* dst, const float* base,
                                                            int64_t extent,
                                                            const IndexGather* gathers,
                                                            int64_t count) {
  if (extent <= 32) {
    const __m512 low = _mm512_maskz_loadu_ps(FirstLanes16(extent), base);
    const __m512 high = _mm512_maskz_loadu_ps(FirstLanes16(extent - 16), base + 16);
    for (int64_t d = 0; d < count; ++d, dst += 16) {
      const __m512i index = _mm512_loadu_si512(gathers[d].index);
      _mm512_storeu_ps(dst, _mm512_maskz_permutex2var_ps(gathers[d].mask, low, index, high));
    }
    return;
  }
  for (int64_t d = 0; d < count; ++d, dst += 16) {
    const __m512i index = _mm512_loadu_si512(gathers[d].index);
    _mm512_storeu_ps(dst, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), gathers[d].mask, index,
                                                   base, sizeof(float)));
  }
}

}  // namespace

void GatherLanes(float* dst, const float* base, const LaneGather* gathers, int64_t count,
                 SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512:
      return GatherLanesAvx512(dst, base, gathers, count);
    case SimdLevel::kAvx2:  // AVX2's masked loads cost more than they save here (convolutions.cc)
    case SimdLevel::kScalar:
    case SimdLevel::kCount:  // not a level
      break;
  }
  GatherLanesNaive(dst, base, gathers, count);
}

void GatherIndexed(float* dst, const float* base, int64_t extent, const IndexGather* gathers,
                   int64_t count, SimdLevel isa) {
  if (isa == SimdLevel::kAvx512) return GatherIndexedAvx512(dst, base, extent, gathers, count);
  GatherIndexedNaive(dst, base, gathers, count);
}

}  // namespace tinytorch::kernels
