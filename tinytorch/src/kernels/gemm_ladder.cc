// The first rungs of module 17's matmul ladder: the same arithmetic as the naive kernel, with the
// loops arranged for the memory hierarchy. Neither uses intrinsics; what they gain comes from
// unit-stride inner loops (which the compiler vectorises) and from reusing cached data.
#include <algorithm>
#include <vector>

#include "kernels/gemm.h"

namespace tinytorch::kernels {

namespace {

// Both rungs stream rows of b; a column-major or strided b is packed row-major first.
MatrixRef RowMajor(MatrixRef x, int64_t rows, int64_t cols, std::vector<float>& buffer) {
  if (x.col_stride == 1 || cols == 1) return x;
  buffer.resize(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j)
      buffer[i * cols + j] = x.data[i * x.row_stride + j * x.col_stride];
  }
  return {buffer.data(), cols, 1};
}

// c[i, j0:j1] += a[i, p] * b[p, j0:j1] for p in [p0, p1): the ikj body shared by both rungs.
inline void AxpyRows(float* c_row, const float* a_row, int64_t a_cs, MatrixRef b, int64_t p0,
                     int64_t p1, int64_t j0, int64_t j1) {
  for (int64_t p = p0; p < p1; ++p) {
    const float aip = a_row[p * a_cs];
    const float* b_row = b.data + p * b.row_stride;
    for (int64_t j = j0; j < j1; ++j) c_row[j] += aip * b_row[j];
  }
}

}  // namespace

// ikj: the innermost loop walks a row of b and a row of c with unit stride, instead of the naive
// kernel's column walk down b.
void GemmReordered(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  std::vector<float> pack;
  b = RowMajor(b, k, n, pack);
  std::fill(c, c + m * n, 0.f);
  for (int64_t i = 0; i < m; ++i)
    AxpyRows(c + i * n, a.data + i * a.row_stride, a.col_stride, b, 0, k, 0, n);
}

// ikj over tiles: a kTileK × kTileN block of b (64 KiB) stays in L2 while every row of a sweeps
// over it, and the kTileN-wide slices of c's rows stay in L1. Inside a tile, two rows of c are
// updated from four rows of b per pass, so each load of b feeds two rows and c is loaded and
// stored once per four FMAs instead of once per FMA (the reordered rung is bound by exactly that
// load/store traffic).
void GemmBlocked(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  constexpr int64_t kTileN = 256, kTileK = 64;
  std::vector<float> pack;
  b = RowMajor(b, k, n, pack);
  std::fill(c, c + m * n, 0.f);
  const auto at = [&](int64_t i, int64_t p) { return a.data[i * a.row_stride + p * a.col_stride]; };
  for (int64_t j0 = 0; j0 < n; j0 += kTileN) {
    const int64_t j1 = std::min(n, j0 + kTileN);
    for (int64_t p0 = 0; p0 < k; p0 += kTileK) {
      const int64_t p1 = std::min(k, p0 + kTileK);
      int64_t i = 0;
      for (; i + 2 <= m; i += 2) {
        float* __restrict c0 = c + i * n;
        float* __restrict c1 = c0 + n;
        int64_t p = p0;
        for (; p + 4 <= p1; p += 4) {
          const float x0 = at(i, p), x1 = at(i, p + 1), x2 = at(i, p + 2), x3 = at(i, p + 3);
          const float y0 = at(i + 1, p), y1 = at(i + 1, p + 1), y2 = at(i + 1, p + 2),
                      y3 = at(i + 1, p + 3);
          const float* __restrict b0 = b.data + p * b.row_stride;
          const float* __restrict b1 = b0 + b.row_stride;
          const float* __restrict b2 = b1 + b.row_stride;
          const float* __restrict b3 = b2 + b.row_stride;
          for (int64_t j = j0; j < j1; ++j) {
            const float v0 = b0[j], v1 = b1[j], v2 = b2[j], v3 = b3[j];
            c0[j] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
            c1[j] += y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3;
          }
        }
        AxpyRows(c0, a.data + i * a.row_stride, a.col_stride, b, p, p1, j0, j1);
        AxpyRows(c1, a.data + (i + 1) * a.row_stride, a.col_stride, b, p, p1, j0, j1);
      }
      if (i < m) AxpyRows(c + i * n, a.data + i * a.row_stride, a.col_stride, b, p0, p1, j0, j1);
    }
  }
}

}  // namespace tinytorch::kernels
