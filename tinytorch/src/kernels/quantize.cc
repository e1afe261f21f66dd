// Activation range and uint8 codes: scalar references, AVX2 and AVX-512 kernels.
#include "kernels/quantize.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/lanes.h"

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

// NaN or ±inf in one compare: |v| < inf is false exactly for those (unordered for NaN).
__attribute__((target("avx512f"))) inline __mmask16 NonFiniteLanes(__m512 v, __m512 inf) {
  return _mm512_cmp_ps_mask(_mm512_abs_ps(v), inf, _CMP_NLT_UQ);
}

// Masked tails read zeros, which cannot move a range that already holds 0.
__attribute__((target("avx512f"))) RangeScan RangeWithZeroAvx512(const float* x, int64_t n) {
  const __m512 inf = _mm512_set1_ps(INFINITY);
  __m512 lo = _mm512_setzero_ps(), hi = lo;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __mmask16 bad = NonFiniteLanes(v, inf);
    if (bad) return {0.f, 0.f, i + __builtin_ctz(bad)};
    lo = _mm512_maskz_min_ps(0xFFFF, lo, v);
    hi = _mm512_maskz_max_ps(0xFFFF, hi, v);
  }
  alignas(64) float l[16], h[16];
  _mm512_store_ps(l, lo);
  _mm512_store_ps(h, hi);
  return {*std::min_element(l, l + 16), *std::max_element(h, h + 16), -1};
}

// The codes of 64 values a step:
// - min(x·(1/scale), 512) converts in the current (MXCSR) rounding mode, as nearbyint rounds. The
//   bound keeps the conversion in int32's range where it matters: above 512 every code is 255 and
//   a value below int32's range converts to INT32_MIN, whose code is 0 as it should be.
// - The zero point is added in int32, exactly, and the unsigned saturation of the two packs is the
//   clamp to [0, 255]. The packs interleave 128-bit lanes; one permute puts the bytes in order.
// The last n % 64 values go 16 at a time, masked, clamped in int32 and narrowed in a register:
// vpmovdb straight to memory is slow on Zen 4 and 5. The step's loops are unrolled by pragma:
// left to itself, GCC 12 keeps the four vectors of a step on the stack.
__attribute__((target("avx512f,avx512bw,avx512vl"))) int64_t QuantizeU8Avx512(
    uint8_t* out, const float* x, int64_t n, float scale, int32_t zero_point) {
  const __m512 inf = _mm512_set1_ps(INFINITY);
  const __m512 inv_s = _mm512_set1_ps(1.f / scale);
  const __m512 bound = _mm512_set1_ps(512.f);
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 v[4];
    __mmask16 bad = 0;
#pragma GCC unroll 4
    for (int part = 0; part < 4; ++part) {
      v[part] = _mm512_loadu_ps(x + i + 16 * part);
      bad |= NonFiniteLanes(v[part], inf);
    }
    // The reference writes this step's codes up to the bad value and returns its index.
    if (bad) return i + QuantizeU8Naive(out + i, x + i, n - i, scale, zero_point);
    __m512i codes[4];
#pragma GCC unroll 4
    for (int part = 0; part < 4; ++part) {
      const __m512 q = _mm512_maskz_min_ps(0xFFFF, _mm512_mul_ps(v[part], inv_s), bound);
      codes[part] = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(0xFFFF, q), zp);
    }
    const __m512i bytes = _mm512_packus_epi16(_mm512_packus_epi32(codes[0], codes[1]),
                                              _mm512_packus_epi32(codes[2], codes[3]));
    _mm512_storeu_si512(out + i, _mm512_maskz_permutexvar_epi32(0xFFFF, order, bytes));
  }
  const __m512i zero = _mm512_setzero_si512(), top = _mm512_set1_epi32(255);
  for (; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __mmask16 bad = NonFiniteLanes(v, inf);
    if (bad) return i + __builtin_ctz(bad);
    const __m512 q = _mm512_maskz_min_ps(0xFFFF, _mm512_mul_ps(v, inv_s), bound);
    const __m512i code = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(0xFFFF, q), zp);
    const __m512i clamped =
        _mm512_maskz_min_epi32(0xFFFF, _mm512_maskz_max_epi32(0xFFFF, code, zero), top);
    _mm_mask_storeu_epi8(out + i, m, _mm512_maskz_cvtepi32_epi8(0xFFFF, clamped));
  }
  return -1;
}

// The AVX2 forms: whole vectors here, the last n % 8 (or % 32) values by the reference, which
// computes the same bits.
__attribute__((target("avx2"))) inline __m256 NonFiniteMask(__m256 v) {
  const __m256 abs = _mm256_andnot_ps(_mm256_set1_ps(-0.f), v);
  return _mm256_cmp_ps(abs, _mm256_set1_ps(INFINITY), _CMP_NLT_UQ);
}
__attribute__((target("avx2"))) inline int NonFiniteLanes(__m256 v) {
  return _mm256_movemask_ps(NonFiniteMask(v));
}

__attribute__((target("avx2"))) RangeScan RangeWithZeroAvx2(const float* x, int64_t n) {
  __m256 lo = _mm256_setzero_ps(), hi = lo;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    if (const int bad = NonFiniteLanes(v)) return {0.f, 0.f, i + __builtin_ctz(bad)};
    lo = _mm256_min_ps(lo, v);
    hi = _mm256_max_ps(hi, v);
  }
  RangeScan r = RangeWithZeroNaive(x + i, n - i);
  if (r.first_nonfinite >= 0) return {0.f, 0.f, i + r.first_nonfinite};
  alignas(32) float l[8], h[8];
  _mm256_store_ps(l, lo);
  _mm256_store_ps(h, hi);
  return {std::min(r.min, *std::min_element(l, l + 8)),
          std::max(r.max, *std::max_element(h, h + 8)), -1};
}

// 32 values a step, as the AVX-512 form's 64: a float bound, conversion in the current mode, the
// zero point in int32 and the packs' saturation as the clamp (packus works within 128-bit lanes,
// so a permute puts the bytes back in order).
__attribute__((target("avx2"))) int64_t QuantizeU8Avx2(uint8_t* out, const float* x, int64_t n,
                                                       float scale, int32_t zero_point) {
  const __m256 inv_s = _mm256_set1_ps(1.f / scale);
  const __m256 bound = _mm256_set1_ps(512.f);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 v[4];
    __m256 bad = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int part = 0; part < 4; ++part) {
      v[part] = _mm256_loadu_ps(x + i + 8 * part);
      bad = _mm256_or_ps(bad, NonFiniteMask(v[part]));
    }
    // The reference writes this step's codes up to the bad value and returns its index.
    if (_mm256_movemask_ps(bad)) {
      return i + QuantizeU8Naive(out + i, x + i, n - i, scale, zero_point);
    }
    __m256i codes[4];
#pragma GCC unroll 4
    for (int part = 0; part < 4; ++part) {
      const __m256 q = _mm256_min_ps(_mm256_mul_ps(v[part], inv_s), bound);
      codes[part] = _mm256_add_epi32(_mm256_cvtps_epi32(q), zp);
    }
    const __m256i bytes = _mm256_packus_epi16(_mm256_packus_epi32(codes[0], codes[1]),
                                              _mm256_packus_epi32(codes[2], codes[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm256_permutevar8x32_epi32(bytes, order));
  }
  const int64_t bad = QuantizeU8Naive(out + i, x + i, n - i, scale, zero_point);
  return bad < 0 ? -1 : i + bad;
}

}  // namespace

RangeScan RangeWithZero(const float* x, int64_t n, SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512: return RangeWithZeroAvx512(x, n);
    case SimdLevel::kAvx2: return RangeWithZeroAvx2(x, n);
    default: return RangeWithZeroNaive(x, n);
  }
}

int64_t QuantizeU8(uint8_t* out, const float* x, int64_t n, float scale, int32_t zero_point,
                   SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512: return QuantizeU8Avx512(out, x, n, scale, zero_point);
    case SimdLevel::kAvx2: return QuantizeU8Avx2(out, x, n, scale, zero_point);
    default: return QuantizeU8Naive(out, x, n, scale, zero_point);
  }
}

}  // namespace tinytorch::kernels
