// MatMul: torch.matmul's shape rules (1-d promotion, broadcast batch dims) over a GEMM backend.
#include <climits>

#include "enum_table.h"
#include "kernels/gemm.h"
#include "tensor_internal.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

using internal::CheckFloat;
using internal::EmptyLike;

using kernels::GemmFn;

namespace {

// One entry per MatMulBackend, in enum order: adding a backend means adding its entry here, and
// the static_assert below fails until one does.
struct BackendInfo {
  MatMulBackend backend;
  const char* name;  // for TT_MATMUL_BACKEND, the caches and the reports
  GemmFn gemm;
};
constexpr BackendInfo kBackends[] = {
    {MatMulBackend::kNaive, "naive", kernels::GemmNaive},
    {MatMulBackend::kReordered, "reordered", kernels::GemmReordered},
    {MatMulBackend::kBlocked, "blocked", kernels::GemmBlocked},
    {MatMulBackend::kSimd, "simd", kernels::GemmSimd},
    {MatMulBackend::kThreaded, "threaded", kernels::GemmThreaded},
    {MatMulBackend::kOpenBlas, "openblas", kernels::GemmOpenBlas},
};
static_assert(internal::IsEnumTable(kBackends, &BackendInfo::backend),
              "kBackends needs one entry per MatMulBackend, in enum order");

bool Valid(MatMulBackend backend) { return backend < MatMulBackend::kCount; }

kernels::MatrixRef Ref(const Tensor& t, int64_t offset) {
  return {t.data<float>() + offset, t.strides()[t.dim() - 2], t.strides()[t.dim() - 1]};
}

}  // namespace

GemmFn kernels::GemmFor(MatMulBackend backend) {
  if (!Valid(backend)) detail::Throw("MatMul: unknown backend ", static_cast<int>(backend));
  return kBackends[static_cast<size_t>(backend)].gemm;
}

const char* MatMulBackendName(MatMulBackend backend) {
  return Valid(backend) ? kBackends[static_cast<size_t>(backend)].name : "invalid";
}

// The default backend is chosen per shape class (matmul_choice.cc); the size of one GEMM decides.
Tensor MatMul(const Tensor& a, const Tensor& b) {
  const int64_t m = a.dim() >= 2 ? a.size(-2) : 1, k = a.dim() >= 1 ? a.size(-1) : 0;
  const int64_t n = b.dim() >= 2 ? b.size(-1) : 1;
  return MatMul(a, b, MatMulBackendFor(m, n, k));
}

namespace {
Tensor MatMulForward(const Tensor& a, const Tensor& b, MatMulBackend backend);
}  // namespace

// Backward of out = a @ b (with 1-d operands promoted as in the forward):
//   dA = dOut @ Bᵀ and dB = Aᵀ @ dOut, summed over broadcast batch dims, then un-promoted.
Tensor MatMul(const Tensor& a, const Tensor& b, MatMulBackend backend) {
  Tensor out = MatMulForward(a, b, backend);
  if (internal::NeedsGrad(a, b)) {
    internal::Attach(
        out, "MatMul", {a, b},
        [a, b, backend, a_needs = a.requires_grad(),
         b_needs = b.requires_grad()](const Tensor& g) -> std::vector<Tensor> {
          const Tensor lhs = a.dim() == 1 ? a.Unsqueeze(0) : a;
          const Tensor rhs = b.dim() == 1 ? b.Unsqueeze(1) : b;
          // Restore the promoted (..., m, n) shape: n's dim goes back first, then m's before it.
          Tensor go = g;
          if (b.dim() == 1) go = go.Unsqueeze(go.dim());
          if (a.dim() == 1) go = go.Unsqueeze(go.dim() - 1);
          // Only the gradients someone needs, as PyTorch's needs_input_grad, decided when the
          // graph is built: a network's input needs none, and its dA was a ninth of an MLP
          // training step's GEMM work.
          Tensor ga, gb;
          if (a_needs) {
            ga = SumToShape(MatMul(go, rhs.Transpose(-1, -2), backend), lhs.shape())
                     .Reshape(a.shape());
          }
          if (b_needs) {
            gb = SumToShape(MatMul(lhs.Transpose(-1, -2), go, backend), rhs.shape())
                     .Reshape(b.shape());
          }
          return {ga, gb};
        });
  }
  return out;
}

namespace {

Tensor MatMulForward(const Tensor& a, const Tensor& b, MatMulBackend backend) {
  CheckFloat(a, "MatMul");
  CheckFloat(b, "MatMul");
  TT_CHECK(a.dim() >= 1 && b.dim() >= 1, "MatMul: shapes ", a.shape(), " and ", b.shape(),
           " cannot be multiplied (0-d operand)");
  const GemmFn gemm = kernels::GemmFor(backend);
  Tensor lhs = a.dim() == 1 ? a.Unsqueeze(0) : a;
  Tensor rhs = b.dim() == 1 ? b.Unsqueeze(1) : b;
  const int64_t m = lhs.size(-2), k = lhs.size(-1), n = rhs.size(-1);
  TT_CHECK(k == rhs.size(-2), "MatMul: shapes ", a.shape(), " and ", b.shape(),
           " cannot be multiplied (inner dims ", k, " != ", rhs.size(-2), ")");
  TT_CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, "MatMul: shapes ", a.shape(), " and ",
           b.shape(), " exceed the 32-bit sizes BLAS accepts");

  // A packed batch times one matrix is a single tall GEMM: (B*m, k) @ (k, n).
  if (lhs.dim() > 2 && rhs.dim() == 2 && lhs.is_contiguous()) {
    Shape out_shape = lhs.shape();
    out_shape.back() = n;
    int64_t rows = 1;  // counted, not View's -1, which cannot infer a size beside k = 0
    for (int64_t d = 0; d + 1 < lhs.dim(); ++d) rows *= lhs.size(d);
    TT_CHECK(rows <= INT_MAX, "MatMul: shapes ", a.shape(), " and ", b.shape(), " fold to ", rows,
             " rows, beyond the 32-bit sizes BLAS accepts");
    lhs = lhs.View({rows, k});
    Tensor out = EmptyLike({lhs.size(0), n});
    gemm(out.data<float>(), Ref(lhs, 0), Ref(rhs, 0), lhs.size(0), n, k);
    out = out.View(out_shape);
    return b.dim() == 1 ? out.Squeeze(-1) : out;
  }

  const Shape batch_a(lhs.shape().begin(), lhs.shape().end() - 2);
  const Shape batch_b(rhs.shape().begin(), rhs.shape().end() - 2);
  const Shape batch = BroadcastShapes(batch_a, batch_b, "MatMul");
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = EmptyLike(out_shape);

  // Broadcast strides of each operand's batch dims, right-aligned against `batch`.
  const auto nb = static_cast<int64_t>(batch.size());
  Shape stride_a(nb, 0), stride_b(nb, 0);
  for (int64_t d = 0; d < static_cast<int64_t>(batch_a.size()); ++d) {
    if (batch_a[d] != 1) stride_a[nb - batch_a.size() + d] = lhs.strides()[d];
  }
  for (int64_t d = 0; d < static_cast<int64_t>(batch_b.size()); ++d) {
    if (batch_b[d] != 1) stride_b[nb - batch_b.size() + d] = rhs.strides()[d];
  }
  int64_t batches = 1;
  for (int64_t s : batch) batches *= s;
  for (int64_t index = 0; index < batches; ++index) {
    int64_t rest = index, off_a = 0, off_b = 0;
    for (int64_t d = nb - 1; d >= 0; --d) {
      const int64_t i = rest % batch[d];
      rest /= batch[d];
      off_a += i * stride_a[d];
      off_b += i * stride_b[d];
    }
    gemm(out.data<float>() + index * m * n, Ref(lhs, off_a), Ref(rhs, off_b), m, n, k);
  }
  if (a.dim() == 1) out = out.Squeeze(-2);
  if (b.dim() == 1) out = out.Squeeze(-1);
  return out;
}

}  // namespace
}  // namespace tinytorch
