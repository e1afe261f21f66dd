// Matrix transpose: the scalar reference and 8×8 and 4×8 blocks of AVX2 shuffles.
#include "kernels/transpose.h"

#include <immintrin.h>

#include <algorithm>

namespace tinytorch::kernels {

// In 16 × 16 tiles: each tile reads and writes whole cache lines.
void TransposeNaive(float* dst, const float* src, int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 16;
  for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      const int64_t i_end = std::min(rows, i0 + kTile), j_end = std::min(cols, j0 + kTile);
      for (int64_t j = j0; j < j_end; ++j) {
        for (int64_t i = i0; i < i_end; ++i) dst[j * rows + i] = src[i * cols + j];
      }
    }
  }
}

namespace {

// Four rows of 8 in r, their columns out: unpack interleaves row pairs and shufps gathers 4-row
// columns within 128-bit lanes, so out[c] holds column c in its low half and column c + 4 in its
// high half.
__attribute__((target("avx2"))) inline void FourRowColumns(const __m256 r[4], __m256 out[4]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  out[0] = _mm256_shuffle_ps(t0, t2, 0x44);
  out[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
  out[2] = _mm256_shuffle_ps(t1, t3, 0x44);
  out[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
}

// Four rows of 8: each half of FourRowColumns' registers is one output row of 4.
__attribute__((target("avx2"))) void Transpose4x8(float* dst, int64_t ld_dst, const float* src,
                                                  int64_t ld_src) {
  __m256 r[4], columns[4];
  for (int k = 0; k < 4; ++k) r[k] = _mm256_loadu_ps(src + k * ld_src);
  FourRowColumns(r, columns);
  for (int c = 0; c < 4; ++c) {
    _mm_storeu_ps(dst + c * ld_dst, _mm256_castps256_ps128(columns[c]));
    _mm_storeu_ps(dst + (c + 4) * ld_dst, _mm256_extractf128_ps(columns[c], 1));
  }
}

// 8×8 blocks, then 4×8 blocks for 4 to 7 remaining rows (the int8 digits CNN's last layer has 4
// positions: its 4 × 32 outputs per image were scalar moves), then the scalar.
__attribute__((target("avx2"))) void TransposeAvx2(float* dst, const float* src, int64_t rows,
                                                   int64_t cols) {
  const int64_t rows8 = rows / 8 * 8, rows4 = rows / 4 * 4, cols8 = cols / 8 * 8;
  for (int64_t i = 0; i < rows8; i += 8) {
    for (int64_t j = 0; j < cols8; j += 8) {
      Transpose8x8(dst + j * rows + i, rows, src + i * cols + j, cols);
    }
  }
  if (rows4 > rows8) {
    for (int64_t j = 0; j < cols8; j += 8) {
      Transpose4x8(dst + j * rows + rows8, rows, src + rows8 * cols + j, cols);
    }
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = i < rows4 ? cols8 : 0; j < cols; ++j) dst[j * rows + i] = src[i * cols + j];
  }
}

}  // namespace

// Rows 0-3 and rows 4-7 each through FourRowColumns; the lane permutes join their halves.
__attribute__((target("avx2"))) void Transpose8x8(float* dst, int64_t ld_dst, const float* src,
                                                  int64_t ld_src) {
  __m256 r[8], columns[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(src + k * ld_src);
  FourRowColumns(r, columns);
  FourRowColumns(r + 4, columns + 4);
  for (int c = 0; c < 4; ++c) {
    _mm256_storeu_ps(dst + c * ld_dst, _mm256_permute2f128_ps(columns[c], columns[c + 4], 0x20));
    _mm256_storeu_ps(dst + (c + 4) * ld_dst,
                     _mm256_permute2f128_ps(columns[c], columns[c + 4], 0x31));
  }
}

void Transpose(float* dst, const float* src, int64_t rows, int64_t cols, SimdLevel isa) {
  switch (isa) {
    case SimdLevel::kAvx512:
    case SimdLevel::kAvx2: return TransposeAvx2(dst, src, rows, cols);
    default: return TransposeNaive(dst, src, rows, cols);
  }
}

}  // namespace tinytorch::kernels
