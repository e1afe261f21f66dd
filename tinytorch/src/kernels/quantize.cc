// Activation range and uint8 codes: scalar references and AVX-512 kernels (AVX2 machines use the
// references).
#include "kernels/quantize.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

namespace tinytorch::kernels {

RangeScan RangeWithZeroNaive(const float* x, int64_t n) {
  RangeScan r;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return {0.f, 0.f, i};
    r.min = std::min(r.min, x[i]);
    r.max = std::max(r.max, x[i]);
  }
  return r;
}

int64_t QuantizeU8Naive(uint8_t* out, const float* x, int64_t n, float scale,
                        int32_t zero_point) {
  const float inv_scale = 1.f / scale;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return i;
    const float q = std::nearbyint(x[i] * inv_scale) + static_cast<float>(zero_point);
    out[i] = static_cast<uint8_t>(std::clamp(q, 0.f, 255.f));
  }
  return -1;
}

namespace {

// GCC 12's unmasked min, max, roundscale, convert and reduce intrinsics trip -Wmaybe-uninitialized
// inside its own header (they start from an undefined vector), so these kernels use the
// zero-masked forms with a full mask.

// Masked tails read zeros, which cannot move a range that already holds 0.
__attribute__((target("avx512f"))) RangeScan RangeWithZeroAvx512(const float* x, int64_t n) {
  const __m512 inf = _mm512_set1_ps(INFINITY);
  __m512 lo = _mm512_setzero_ps(), hi = lo;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __mmask16 bad = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) |
                          _mm512_cmp_ps_mask(_mm512_abs_ps(v), inf, _CMP_EQ_OQ);
    if (bad) return {0.f, 0.f, i + __builtin_ctz(bad)};
    lo = _mm512_maskz_min_ps(0xFFFF, lo, v);
    hi = _mm512_maskz_max_ps(0xFFFF, hi, v);
  }
  alignas(64) float l[16], h[16];
  _mm512_store_ps(l, lo);
  _mm512_store_ps(h, hi);
  return {*std::min_element(l, l + 16), *std::max_element(h, h + 16), -1};
}

// roundscale with imm 0x0C: round to an integer in the current (MXCSR) mode without raising
// inexact, which is exactly nearbyint.
__attribute__((target("avx512f"))) int64_t QuantizeU8Avx512(uint8_t* out, const float* x,
                                                            int64_t n, float scale,
                                                            int32_t zero_point) {
  const __m512 inf = _mm512_set1_ps(INFINITY);
  const __m512 inv_s = _mm512_set1_ps(1.f / scale);
  const __m512 zp = _mm512_set1_ps(static_cast<float>(zero_point));
  const __m512 lo = _mm512_setzero_ps(), hi = _mm512_set1_ps(255.f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __mmask16 bad = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) |
                          _mm512_cmp_ps_mask(_mm512_abs_ps(v), inf, _CMP_EQ_OQ);
    if (bad) return i + __builtin_ctz(bad);
    __m512 q = _mm512_maskz_roundscale_ps(0xFFFF, _mm512_mul_ps(v, inv_s),
                                          _MM_FROUND_CUR_DIRECTION | _MM_FROUND_NO_EXC);
    q = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, _mm512_add_ps(q, zp), lo), hi);
    _mm512_mask_cvtepi32_storeu_epi8(out + i, m, _mm512_maskz_cvttps_epi32(0xFFFF, q));
  }
  return -1;
}

}  // namespace

RangeScan RangeWithZero(const float* x, int64_t n, SimdLevel isa) {
  return isa == SimdLevel::kAvx512 ? RangeWithZeroAvx512(x, n) : RangeWithZeroNaive(x, n);
}

int64_t QuantizeU8(uint8_t* out, const float* x, int64_t n, float scale, int32_t zero_point,
                   SimdLevel isa) {
  if (isa == SimdLevel::kAvx512) return QuantizeU8Avx512(out, x, n, scale, zero_point);
  return QuantizeU8Naive(out, x, n, scale, zero_point);
}

}  // namespace tinytorch::kernels
