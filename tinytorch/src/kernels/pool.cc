// Max pooling's inference kernels: 2×2 stride-2 NCHW windows (the scalar reference, and AVX2 and
// AVX-512 kernels of two passes), and channels-last windows (a reference, and vectors of channels).
#include "kernels/pool.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/lanes.h"

namespace tinytorch::kernels {

void MaxPool2x2Naive(float* out, const float* in, int64_t rows, int64_t wo) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* top = in + r * 4 * wo;
    const float* bottom = top + 2 * wo;
    for (int64_t x = 0; x < wo; ++x) {
      float best = top[2 * x];
      best = MaxStep(best, top[2 * x + 1]);
      best = MaxStep(best, bottom[2 * x]);
      out[r * wo + x] = MaxStep(best, bottom[2 * x + 1]);
    }
  }
}

namespace {

inline WindowSpan Clipped(int64_t o, const ChannelsLastPool& p, int64_t extent) {
  return WindowInside(o, p.kernel, p.stride, p.padding, extent);
}

// Output row oy of one channels-last plane, channels [first_channel, channels): the reference,
// and the AVX2 kernel's tail.
void PoolRowNaive(float* out, const float* plane, int64_t oy, const ChannelsLastPool& p,
                  int64_t first_channel) {
  const int64_t c = p.channels;
  const WindowSpan ys = Clipped(oy, p, p.h);
  for (int64_t ox = 0; ox < p.wo; ++ox, out += c) {
    const WindowSpan xs = Clipped(ox, p, p.w);
    for (int64_t ch = first_channel; ch < c; ++ch) {
      float best = plane[(ys.begin * p.w + xs.begin) * c + ch];
      for (int64_t y = ys.begin; y < ys.end; ++y) {
        for (int64_t x = y == ys.begin ? xs.begin + 1 : xs.begin; x < xs.end; ++x) {
          best = MaxStep(best, plane[(y * p.w + x) * c + ch]);
        }
      }
      out[ch] = best;
    }
  }
}

using PoolRowFn = void (*)(float* out, const float* plane, int64_t oy, const ChannelsLastPool& p);

void PoolPlanes(float* out, const float* in, int64_t planes, const ChannelsLastPool& p,
                PoolRowFn row) {
  for (int64_t plane = 0; plane < planes; ++plane) {
    for (int64_t oy = 0; oy < p.ho; ++oy) {
      row(out + (plane * p.ho + oy) * p.wo * p.channels, in + plane * p.h * p.w * p.channels, oy,
          p);
    }
  }
}

// Pass 1: h[i] = MaxStep(src[2i], src[2i+1]) for i < count.
using PairMaxFn = void (*)(float* h, const float* src, int64_t count);
// Pass 2: out row r = MaxStep of h's rows 2r and 2r+1 (wo each), for r < rows.
using RowMaxFn = void (*)(float* out, const float* h, int64_t rows, int64_t wo);

// Chunks of whole row pairs keep pass 1's output in L1 for pass 2; a plane wider than the stack
// buffer takes one row pair at a time in a heap buffer.
template <PairMaxFn kPairMax, RowMaxFn kRowMax>
void TwoPasses(float* out, const float* in, int64_t rows, int64_t wo) {
  constexpr int64_t kStackFloats = 2048;
  float stack[kStackFloats];
  std::vector<float> heap;
  float* h = stack;
  if (2 * wo > kStackFloats) {
    heap.resize(static_cast<size_t>(2 * wo));
    h = heap.data();
  }
  const int64_t per_chunk = std::max<int64_t>(1, kStackFloats / (2 * wo));
  for (int64_t r = 0; r < rows; r += per_chunk) {
    const int64_t n = std::min(per_chunk, rows - r);
    kPairMax(h, in + r * 4 * wo, n * 2 * wo);
    kRowMax(out + r * wo, h, n, wo);
  }
}

// The AVX2 pass's tail.
void PairMaxScalar(float* h, const float* src, int64_t count) {
  for (int64_t i = 0; i < count; ++i) h[i] = MaxStep(src[2 * i], src[2 * i + 1]);
}

// ---- AVX-512 ---------------------------------------------------------------------------------

__attribute__((target("avx512f"))) inline __m512 MaxStep16(__m512 best, __m512 v) {
  const __mmask16 take =
      _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(take, best, v);
}

__attribute__((target("avx512f"))) void PairMaxAvx512(float* h, const float* src,
                                                      int64_t count) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int64_t i = 0; i < count; i += 16) {
    const int64_t left = count - i;  // pairs; the two loads hold 2·left floats
    const __m512 a = _mm512_maskz_loadu_ps(FirstLanes16(2 * left), src + 2 * i);
    const __m512 b = _mm512_maskz_loadu_ps(FirstLanes16(2 * left - 16), src + 2 * i + 16);
    _mm512_mask_storeu_ps(h + i, FirstLanes16(left),
                          MaxStep16(_mm512_permutex2var_ps(a, even, b),
                                    _mm512_permutex2var_ps(a, odd, b)));
  }
}

// When wo divides 8, 16 outputs come from 32 row maxima (16/wo output rows) through two
// permutes; otherwise each row is its own masked steps.
__attribute__((target("avx512f"))) void RowMaxAvx512(float* out, const float* h, int64_t rows,
                                                     int64_t wo) {
  int64_t r = 0;
  if (8 % wo == 0) {
    alignas(64) int32_t top[16];
    for (int32_t k = 0; k < 16; ++k) top[k] = static_cast<int32_t>(2 * wo * (k / wo) + k % wo);
    const __m512i top_at = _mm512_load_si512(top);
    const __m512i bottom_at = _mm512_add_epi32(top_at, _mm512_set1_epi32(static_cast<int>(wo)));
    const int64_t rows_per_step = 16 / wo;
    for (; r + rows_per_step <= rows; r += rows_per_step) {
      const float* src = h + 2 * r * wo;
      const __m512 a = _mm512_loadu_ps(src), b = _mm512_loadu_ps(src + 16);
      _mm512_storeu_ps(out + r * wo, MaxStep16(_mm512_permutex2var_ps(a, top_at, b),
                                               _mm512_permutex2var_ps(a, bottom_at, b)));
    }
  }
  for (; r < rows; ++r) {
    const float* top = h + 2 * r * wo;
    for (int64_t x = 0; x < wo; x += 16) {
      const __mmask16 m = FirstLanes16(wo - x);
      _mm512_mask_storeu_ps(out + r * wo + x, m,
                            MaxStep16(_mm512_maskz_loadu_ps(m, top + x),
                                      _mm512_maskz_loadu_ps(m, top + wo + x)));
    }
  }
}

// The fold of a 2×2 window (a b / c d) in 16 lanes. Without NaNs, MaxStep(best, v) is
// vmaxps(v, best), which returns its second operand on ties (±0 included); folding each row's
// pair and then the two row maxima gives the same bits as MaxStep says. A NaN in either pair (two
// compares, where MaxStep16's three steps take six) sends the vector to the exact fold.
__attribute__((target("avx512f"))) inline __m512 Window2x2(__m512 a, __m512 b, __m512 c, __m512 d) {
  if (_mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(c, d, _CMP_UNORD_Q)) {
    return MaxStep16(MaxStep16(a, b), MaxStep16(c, d));
  }
  // Zero-masked with a full mask: GCC 12's unmasked form trips -Wmaybe-uninitialized in its header.
  return _mm512_maskz_max_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, d, c),
                             _mm512_maskz_max_ps(0xFFFF, b, a));
}

// Vectors of 16 channels, the last one masked. 2×2 windows at stride 2 inside the plane, the
// commonest, take Window2x2: no window bounds to compute, and a shorter chain.
__attribute__((target("avx512f"))) void PoolRowAvx512(float* out, const float* plane, int64_t oy,
                                                      const ChannelsLastPool& p) {
  const int64_t c = p.channels, w = p.w, row = w * c;
  const WindowSpan ys = Clipped(oy, p, p.h);
  int64_t ox = 0;
  if (p.kernel == 2 && p.stride == 2 && ys.end - ys.begin == 2) {
    for (; ox < p.wo && 2 * ox - p.padding >= 0 && 2 * ox - p.padding + 2 <= w; ++ox) {
      const float* top = plane + (ys.begin * w + 2 * ox - p.padding) * c;
      for (int64_t ch = 0; ch < c; ch += 16) {
        const __mmask16 m = FirstLanes16(c - ch);
        _mm512_mask_storeu_ps(
            out + ox * c + ch, m,
            Window2x2(_mm512_maskz_loadu_ps(m, top + ch), _mm512_maskz_loadu_ps(m, top + c + ch),
                      _mm512_maskz_loadu_ps(m, top + row + ch),
                      _mm512_maskz_loadu_ps(m, top + row + c + ch)));
      }
    }
  }
  for (; ox < p.wo; ++ox) {
    const WindowSpan xs = Clipped(ox, p, w);
    for (int64_t ch = 0; ch < c; ch += 16) {
      const __mmask16 m = FirstLanes16(c - ch);
      const float* at = plane + ch;
      __m512 best = _mm512_maskz_loadu_ps(m, at + (ys.begin * w + xs.begin) * c);
      for (int64_t y = ys.begin; y < ys.end; ++y) {
        for (int64_t x = y == ys.begin ? xs.begin + 1 : xs.begin; x < xs.end; ++x) {
          best = MaxStep16(best, _mm512_maskz_loadu_ps(m, at + (y * w + x) * c));
        }
      }
      _mm512_mask_storeu_ps(out + ox * c + ch, m, best);
    }
  }
}

// ---- AVX2 ------------------------------------------------------------------------------------

__attribute__((target("avx2"))) inline __m256 MaxStep8(__m256 best, __m256 v) {
  const __m256 take =
      _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  return _mm256_blendv_ps(best, v, take);
}

__attribute__((target("avx2"))) inline __m128 MaxStep4(__m128 best, __m128 v) {
  const __m128 take = _mm_or_ps(_mm_cmp_ps(v, best, _CMP_GT_OQ), _mm_cmp_ps(v, v, _CMP_UNORD_Q));
  return _mm_blendv_ps(best, v, take);
}

// shufps splits pairs into evens and odds within 128-bit lanes, which leaves the maxima of pairs
// 0 1 4 5 | 2 3 6 7; one 64-bit permute puts them in order. The last count % 8 take the scalar.
__attribute__((target("avx2"))) void PairMaxAvx2(float* h, const float* src, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 a = _mm256_loadu_ps(src + 2 * i), b = _mm256_loadu_ps(src + 2 * i + 8);
    const __m256 lanes = MaxStep8(_mm256_shuffle_ps(a, b, 0x88), _mm256_shuffle_ps(a, b, 0xDD));
    _mm256_storeu_ps(h + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(lanes), 0xD8)));
  }
  PairMaxScalar(h + i, src + 2 * i, count - i);
}

// When wo divides 4, 8 outputs come from 16 row maxima: a permute within each half gathers its
// 4 outputs' top maxima in the low lanes and their bottom maxima in the high lanes. Otherwise
// each row takes steps of 8, then of 4, then the scalar.
__attribute__((target("avx2"))) void RowMaxAvx2(float* out, const float* h, int64_t rows,
                                                int64_t wo) {
  int64_t r = 0;
  if (4 % wo == 0) {
    alignas(32) int32_t at[8];
    for (int32_t k = 0; k < 4; ++k) {
      at[k] = static_cast<int32_t>(2 * wo * (k / wo) + k % wo);
      at[k + 4] = at[k] + static_cast<int32_t>(wo);
    }
    const __m256i order = _mm256_load_si256(reinterpret_cast<const __m256i*>(at));
    const int64_t rows_per_step = 8 / wo;
    for (; r + rows_per_step <= rows; r += rows_per_step) {
      const float* src = h + 2 * r * wo;
      const __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(src), order);
      const __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(src + 8), order);
      _mm256_storeu_ps(out + r * wo, MaxStep8(_mm256_permute2f128_ps(lo, hi, 0x20),
                                              _mm256_permute2f128_ps(lo, hi, 0x31)));
    }
  }
  for (; r < rows; ++r) {
    const float* top = h + 2 * r * wo;
    const float* bottom = top + wo;
    float* o = out + r * wo;
    int64_t x = 0;
    for (; x + 8 <= wo; x += 8) {
      _mm256_storeu_ps(o + x, MaxStep8(_mm256_loadu_ps(top + x), _mm256_loadu_ps(bottom + x)));
    }
    if (x + 4 <= wo) {
      _mm_storeu_ps(o + x, MaxStep4(_mm_loadu_ps(top + x), _mm_loadu_ps(bottom + x)));
      x += 4;
    }
    for (; x < wo; ++x) o[x] = MaxStep(top[x], bottom[x]);
  }
}

// Vectors of 8 channels; the last channels % 8 take the reference.
__attribute__((target("avx2"))) void PoolRowAvx2(float* out, const float* plane, int64_t oy,
                                                 const ChannelsLastPool& p) {
  const int64_t c = p.channels, whole = c / 8 * 8;
  const WindowSpan ys = Clipped(oy, p, p.h);
  for (int64_t ox = 0; ox < p.wo; ++ox) {
    const WindowSpan xs = Clipped(ox, p, p.w);
    for (int64_t ch = 0; ch < whole; ch += 8) {
      const float* at = plane + ch;
      __m256 best = _mm256_loadu_ps(at + (ys.begin * p.w + xs.begin) * c);
      for (int64_t y = ys.begin; y < ys.end; ++y) {
        for (int64_t x = y == ys.begin ? xs.begin + 1 : xs.begin; x < xs.end; ++x) {
          best = MaxStep8(best, _mm256_loadu_ps(at + (y * p.w + x) * c));
        }
      }
      _mm256_storeu_ps(out + ox * c + ch, best);
    }
  }
  if (whole < c) PoolRowNaive(out, plane, oy, p, whole);
}

}  // namespace

void MaxPoolChannelsLastNaive(float* out, const float* in, int64_t planes,
                              const ChannelsLastPool& p) {
  PoolPlanes(out, in, planes, p,
             [](float* o, const float* plane, int64_t oy, const ChannelsLastPool& q) {
               PoolRowNaive(o, plane, oy, q, 0);
             });
}

void MaxPoolChannelsLast(float* out, const float* in, int64_t planes, const ChannelsLastPool& p,
                         SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512: return PoolPlanes(out, in, planes, p, PoolRowAvx512);
    case SimdLevel::kAvx2: return PoolPlanes(out, in, planes, p, PoolRowAvx2);
    default: return MaxPoolChannelsLastNaive(out, in, planes, p);
  }
}

void MaxPool2x2(float* out, const float* in, int64_t rows, int64_t wo, SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512: return TwoPasses<PairMaxAvx512, RowMaxAvx512>(out, in, rows, wo);
    case SimdLevel::kAvx2: return TwoPasses<PairMaxAvx2, RowMaxAvx2>(out, in, rows, wo);
    default: return MaxPool2x2Naive(out, in, rows, wo);
  }
}

}  // namespace tinytorch::kernels
