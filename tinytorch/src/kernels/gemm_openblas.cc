// GEMM through OpenBLAS's cblas_sgemm. Row- or column-packed operands (including transposed views)
// are passed with the matching transpose flag; anything else is packed first. Products under the
// measured crossover run on the calling thread alone (SetOpenBlasSerialBelow).
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <vector>

#include "kernels/gemm.h"
#include "tinytorch/acceleration.h"

namespace tinytorch::kernels {

namespace {

struct BlasOperand {
  CBLAS_TRANSPOSE trans;
  int64_t ld;
};

// The BLAS description of a (rows, cols) operand, if its layout has one. The stride of a size-1
// dim is meaningless, so such dims fit either layout.
std::optional<BlasOperand> Describe(MatrixRef x, int64_t rows, int64_t cols) {
  if (cols == 1 || x.col_stride == 1) {
    const int64_t ld = rows == 1 ? cols : x.row_stride;
    if (ld >= cols) return BlasOperand{CblasNoTrans, ld};
  }
  if (rows == 1 || x.row_stride == 1) {
    const int64_t ld = cols == 1 ? rows : x.col_stride;
    if (ld >= rows) return BlasOperand{CblasTrans, ld};
  }
  return std::nullopt;
}

// Packs x row-major into `buffer` and returns the packed description.
MatrixRef Pack(MatrixRef x, int64_t rows, int64_t cols, std::vector<float>& buffer) {
  buffer.resize(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      buffer[i * cols + j] = x.data[i * x.row_stride + j * x.col_stride];
    }
  }
  return {buffer.data(), cols, 1};
}

std::atomic<int64_t> g_blas_calls{0};
std::atomic<int64_t> g_serial_below{0};

// OpenBLAS 0.3.21 has one thread count for the whole process, so a serial call lowers it and
// puts back the count it found (a user's OPENBLAS_NUM_THREADS included). A call racing on another
// thread may meanwhile see one thread: slower, never wrong, as each call fixes its split on entry.
class OneBlasThread {
 public:
  explicit OneBlasThread(bool wanted) : restore_(wanted ? openblas_get_num_threads() : 1) {
    if (restore_ > 1) openblas_set_num_threads(1);
  }
  ~OneBlasThread() {
    if (restore_ > 1) openblas_set_num_threads(restore_);
  }
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  int restore_;
};

}  // namespace

void SetOpenBlasSerialBelow(int64_t work) { g_serial_below.store(std::max<int64_t>(work, 0)); }
int64_t OpenBlasSerialBelow() { return g_serial_below.load(std::memory_order_relaxed); }
int OpenBlasThreads() { return openblas_get_num_threads(); }

void GemmOpenBlas(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  GemmOpenBlasOn(c, a, b, m, n, k, m * n * k < OpenBlasSerialBelow());
}

void GemmOpenBlasOn(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k,
                    bool one_thread) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS requires ld >= 1 even here; the product is just zeros
    for (int64_t i = 0; i < m * n; ++i) c[i] = 0.f;
    return;
  }
  std::vector<float> pack_a, pack_b;
  std::optional<BlasOperand> da = Describe(a, m, k);
  if (!da) {
    a = Pack(a, m, k, pack_a);
    da = Describe(a, m, k);
  }
  std::optional<BlasOperand> db = Describe(b, k, n);
  if (!db) {
    b = Pack(b, k, n, pack_b);
    db = Describe(b, k, n);
  }
  g_blas_calls.fetch_add(1, std::memory_order_relaxed);
  const OneBlasThread serial(one_thread);
  cblas_sgemm(CblasRowMajor, da->trans, db->trans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.f, a.data, static_cast<blasint>(da->ld), b.data,
              static_cast<blasint>(db->ld), 0.f, c, static_cast<blasint>(n));
}

}  // namespace tinytorch::kernels

int64_t tinytorch::BlasCalls() { return kernels::g_blas_calls.load(std::memory_order_relaxed); }
