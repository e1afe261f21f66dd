// Module 17: the raw GEMM and the fused operators. The SIMD and thread knobs live beside their
// store and the CPU detection, in kernels/cpu.cc.
#include "tinytorch/acceleration.h"

#include "activation_math.h"
#include "kernels/cpu.h"
#include "kernels/vector_math.h"
#include "kernels/gemm.h"
#include "tensor_internal.h"

namespace tinytorch {

void Gemm(MatMulBackend backend, float* c, const float* a, const float* b, int64_t m, int64_t n,
          int64_t k) {
  TT_CHECK(m >= 0 && n >= 0 && k >= 0, "Gemm: negative size (m=", m, ", n=", n, ", k=", k, ")");
  const kernels::MatrixRef ar{a, k, 1}, br{b, n, 1};
  kernels::GemmFor(backend)(c, ar, br, m, n, k);
}

// ---------------------------------------------------------------------------------------------
// Fused operators.

Tensor LinearGelu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  GeluApproximation approximation) {
  const char* op = "LinearGelu";
  for (const Tensor* t : {&x, &weight, &bias}) internal::CheckFloat(*t, op);
  TT_CHECK(weight.dim() == 2 && bias.dim() == 1 && bias.size(0) == weight.size(1), op, ": weight ",
           weight.shape(), " must be (in, out) and bias ", bias.shape(), " (out)");
  if (internal::NeedsGrad(x, weight, bias))
    return LinearGeluUnfused(x, weight, bias, approximation);
  Tensor out = MatMul(x, weight);  // a fresh packed tensor, so the pass below may write into it
  const Tensor b = bias.Contiguous();
  const int64_t cols = weight.size(1), rows = cols == 0 ? 0 : out.numel() / cols;
  float* po = out.data<float>();
  const float* pb = b.data<float>();
  // One row at a time: the bias, then the GELU while the row is in cache.
  for (int64_t r = 0; r < rows; ++r) {
    float* row = po + r * cols;
    for (int64_t j = 0; j < cols; ++j) row[j] += pb[j];
    if (approximation == GeluApproximation::kTanh) {
      for (int64_t j = 0; j < cols; ++j) row[j] = internal::GeluTanhValue(row[j]);
    } else {
      kernels::GeluExact(row, row, cols, ActiveSimdLevel());
    }
  }
  return out;
}

Tensor LinearGeluUnfused(const Tensor& x, const Tensor& weight, const Tensor& bias,
                         GeluApproximation approximation) {
  return Gelu(MatMul(x, weight) + bias, approximation);
}

Tensor SoftmaxUnfused(const Tensor& x, int64_t dim) {
  const Tensor e = Exp(x - x.Max(dim, /*keepdims=*/true));
  return e / e.Sum(dim, /*keepdims=*/true);
}

Tensor LayerNormalizeUnfused(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             double eps) {
  const Tensor centred = x - x.Mean(-1, /*keepdims=*/true);
  const Tensor variance = (centred * centred).Mean(-1, /*keepdims=*/true);
  return centred / Sqrt(variance + static_cast<float>(eps)) * weight + bias;
}

}  // namespace tinytorch
