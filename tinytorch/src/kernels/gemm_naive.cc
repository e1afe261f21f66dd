// The reference GEMM: the textbook ijk loop with one float accumulator per output, as simple as
// possible so it can be trusted. Its cache behaviour on b (a column walk) is deliberately naive;
// the faster variants in module 17 are measured against it.
#include "kernels/gemm.h"

namespace tinytorch::kernels {

void GemmNaive(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.f;
      for (int64_t p = 0; p < k; ++p) {
        acc += a.data[i * a.row_stride + p * a.col_stride] *
               b.data[p * b.row_stride + j * b.col_stride];
      }
      c[i * n + j] = acc;
    }
  }
}

}  // namespace tinytorch::kernels
