// The packed GEMM of module 17 (the GotoBLAS/BLIS scheme). c is computed in kKc-deep slices: a
// kKc × kNc panel of b is packed into strips of NR columns (kept in L2/L3), a kMc × kKc block of
// a into strips of MR rows (kept in L2), and a register-blocked micro-kernel multiplies one MR
// strip by one NR strip, holding the MR × NR block of c in vector registers for the whole slice.
// Packing makes every load of the micro-kernel unit-stride and lets edges be zero-padded, so the
// micro-kernel never branches inside its loop.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/gemm.h"

namespace tinytorch::kernels {

namespace {

constexpr int64_t kKc = 256, kMc = 144, kNc = 2048;

// micro(kc, a, b, c, ldc, rows, cols): c[0:rows, 0:cols] += (packed a strip, MR × kc) @ (packed b
// strip, kc × NR); rows ≤ MR and cols ≤ NR say how much of the tile is inside c.
using MicroFn = void (*)(int64_t, const float*, const float*, float*, int64_t, int64_t, int64_t);
struct MicroKernel {
  int64_t mr, nr;
  MicroFn fn;
};

// The reference micro-kernel: plain loops with the same packed layout.
void MicroScalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows,
                 int64_t cols) {
  constexpr int64_t kMr = 4, kNr = 8;
  float acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += kNr) {
    for (int64_t r = 0; r < kMr; ++r) {
      for (int64_t j = 0; j < kNr; ++j) acc[r][j] += a[r] * b[j];
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] += acc[r][j];
  }
}

// AVX2: 6 × 16 (two ymm per row) is 12 accumulators + 2 b vectors + 1 broadcast = 15 of the 16
// registers.
__attribute__((target("avx2,fma"))) void MicroAvx2(int64_t kc, const float* a, const float* b,
                                                   float* c, int64_t ldc, int64_t rows,
                                                   int64_t cols) {
  constexpr int kMr = 6;
  __m256 acc0[kMr], acc1[kMr];
  for (int r = 0; r < kMr; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += 16) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc0[r] = _mm256_fmadd_ps(ar, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(ar, b1, acc1[r]);
    }
  }
  if (rows == kMr && cols == 16) {
    for (int r = 0; r < kMr; ++r) {
      float* row = c + r * ldc;
      _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc0[r]));
      _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), acc1[r]));
    }
    return;
  }
  alignas(32) float tile[kMr][16];
  for (int r = 0; r < kMr; ++r) {
    _mm256_store_ps(tile[r], acc0[r]);
    _mm256_store_ps(tile[r] + 8, acc1[r]);
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] += tile[r][j];
  }
}

// AVX-512: 12 × 32 (two zmm per row) is 24 accumulators of 32 registers; each k step does 24
// FMAs for 2 vector loads and 12 broadcasts. Edge tiles use masked loads and stores.
__attribute__((target("avx512f,fma"))) void MicroAvx512(int64_t kc, const float* a, const float* b,
                                                        float* c, int64_t ldc, int64_t rows,
                                                        int64_t cols) {
  constexpr int kMr = 12;
  __m512 acc0[kMr], acc1[kMr];
  for (int r = 0; r < kMr; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < kMr; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
    }
  }
  const auto lo = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
  const auto hi = static_cast<__mmask16>(cols >= 32   ? 0xFFFF
                                         : cols <= 16 ? 0
                                                      : (1u << (cols - 16)) - 1);
  for (int r = 0; r < kMr; ++r) {
    if (r >= rows) break;
    float* row = c + r * ldc;
    _mm512_mask_storeu_ps(row, lo, _mm512_add_ps(_mm512_maskz_loadu_ps(lo, row), acc0[r]));
    _mm512_mask_storeu_ps(row + 16, hi,
                          _mm512_add_ps(_mm512_maskz_loadu_ps(hi, row + 16), acc1[r]));
  }
}

MicroKernel MicroFor(SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512:
      return {12, 32, MicroAvx512};
    case SimdLevel::kAvx2:
      return {6, 16, MicroAvx2};
    case SimdLevel::kScalar:
    case SimdLevel::kCount:  // not a level
      break;
  }
  return {4, 8, MicroScalar};
}

// out holds ceil(rows / mr) strips; strip s is kc groups of mr values a[i0 + s·mr + r, p0 + p],
// zero beyond the last row.
void PackA(float* out, MatrixRef a, int64_t i0, int64_t rows, int64_t p0, int64_t kc, int64_t mr) {
  for (int64_t s = 0; s < rows; s += mr) {
    const int64_t valid = std::min(mr, rows - s);
    for (int64_t p = 0; p < kc; ++p, out += mr) {
      const float* src = a.data + (i0 + s) * a.row_stride + (p0 + p) * a.col_stride;
      for (int64_t r = 0; r < valid; ++r) out[r] = src[r * a.row_stride];
      for (int64_t r = valid; r < mr; ++r) out[r] = 0.f;
    }
  }
}

// out holds ceil(cols / nr) strips; strip s is kc groups of nr values b[p0 + p, j0 + s·nr + j],
// zero beyond the last column.
void PackB(float* out, MatrixRef b, int64_t p0, int64_t kc, int64_t j0, int64_t cols, int64_t nr) {
  for (int64_t s = 0; s < cols; s += nr) {
    const int64_t valid = std::min(nr, cols - s);
    for (int64_t p = 0; p < kc; ++p, out += nr) {
      const float* src = b.data + (p0 + p) * b.row_stride + (j0 + s) * b.col_stride;
      if (b.col_stride == 1) {
        std::copy(src, src + valid, out);
      } else {
        for (int64_t j = 0; j < valid; ++j) out[j] = src[j * b.col_stride];
      }
      std::fill(out + valid, out + nr, 0.f);
    }
  }
}

int64_t RoundUp(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// c (m, n) with row stride ldc, overwritten.
void GemmPacked(float* c, int64_t ldc, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k,
                const MicroKernel& micro) {
  for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.f);
  // Per thread, so concurrent GEMMs (the threaded rung) never share a packing buffer.
  thread_local std::vector<float> pack_a, pack_b;
  const int64_t depth = std::min(kKc, k);
  pack_a.resize(static_cast<size_t>(RoundUp(std::min(kMc, m), micro.mr) * depth));
  pack_b.resize(static_cast<size_t>(RoundUp(std::min(kNc, n), micro.nr) * depth));
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKc) {
      const int64_t kc = std::min(kKc, k - pc);
      PackB(pack_b.data(), b, pc, kc, jc, nc, micro.nr);
      for (int64_t ic = 0; ic < m; ic += kMc) {
        const int64_t mc = std::min(kMc, m - ic);
        PackA(pack_a.data(), a, ic, mc, pc, kc, micro.mr);
        for (int64_t jr = 0; jr < nc; jr += micro.nr) {
          const float* b_strip = pack_b.data() + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += micro.mr) {
            micro.fn(kc, pack_a.data() + ir * kc, b_strip, c + (ic + ir) * ldc + jc + jr, ldc,
                     std::min(micro.mr, mc - ir), std::min(micro.nr, nc - jr));
          }
        }
      }
    }
  }
}

}  // namespace

void GemmSimdIsa(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k,
                 SimdLevel isa) {
  GemmPacked(c, n, a, b, m, n, k, MicroFor(isa));
}

void GemmSimd(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  GemmSimdIsa(c, a, b, m, n, k, ActiveSimdLevel());
}

// Splits the larger of m and n into one band per thread; each band is an independent packed GEMM
// (b or a is packed once per band, which costs O(k·n) against the band's O(m·n·k / threads)).
// Below ~2 MFLOP a thread costs more to start than it saves.
void GemmThreaded(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  const MicroKernel micro = MicroFor(ActiveSimdLevel());
  const int64_t threads = NumThreads();
  if (threads <= 1 || m * n * k < (int64_t{1} << 21)) {
    GemmPacked(c, n, a, b, m, n, k, micro);
    return;
  }
  const bool split_rows = m >= n;
  const int64_t extent = split_rows ? m : n;
  const int64_t unit = split_rows ? micro.mr : micro.nr;
  const int64_t band = RoundUp((extent + threads - 1) / threads, unit);
  const int64_t bands = (extent + band - 1) / band;
  ParallelFor(bands, [&](int64_t t) {
    const int64_t start = t * band, size = std::min(band, extent - start);
    if (split_rows) {
      const MatrixRef a_band{a.data + start * a.row_stride, a.row_stride, a.col_stride};
      GemmPacked(c + start * n, n, a_band, b, size, n, k, micro);
    } else {
      const MatrixRef b_band{b.data + start * b.col_stride, b.row_stride, b.col_stride};
      GemmPacked(c + start, n, a, b_band, m, size, k, micro);
    }
  });
}

}  // namespace tinytorch::kernels
