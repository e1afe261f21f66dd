// Single-precision GEMM kernels: c = a @ b. The naive kernel is the oracle for every fast one.
#pragma once

#include <cstdint>

namespace tinytorch::kernels {

// A read-only matrix operand: element (i, j) is at data[i * row_stride + j * col_stride], so
// transposed and sliced views are passed without copying.
struct MatrixRef {
  const float* data;
  int64_t row_stride;
  int64_t col_stride;
};

// c is (m, n) row-major packed; a is (m, k); b is (k, n). c is overwritten.
void GemmNaive(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);
void GemmOpenBlas(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);

}  // namespace tinytorch::kernels
