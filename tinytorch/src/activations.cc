// Module 02: activation functions.
#include "tinytorch/activations.h"

#include <cmath>
#include <limits>
#include <numbers>

#include "tensor_internal.h"

namespace tinytorch {

using internal::CheckFloat;
using internal::UnaryOp;

namespace {

// Calls f(row, out_row, n, stride) for every 1-d lane of a packed tensor along `dim`.
template <class F>
Tensor AlongDim(const Tensor& x, int64_t dim, const char* op, F f) {
  CheckFloat(x, op);
  const int64_t d = internal::NormalizeDim(dim, x.dim(), op);
  const Tensor in = x.Contiguous();
  Tensor out = internal::EmptyLike(x.shape());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= x.shape()[i];
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const int64_t n = x.shape()[d];
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      const int64_t base = o * n * inner + j;
      f(in.data<float>() + base, out.data<float>() + base, n, inner);
    }
  }
  return out;
}

float LaneMax(const float* x, int64_t n, int64_t stride) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, x[i * stride]);
  return m;
}

}  // namespace

Tensor Relu(const Tensor& x) {
  return UnaryOp(x, "Relu", [](float v) { return v > 0.f ? v : (std::isnan(v) ? v : 0.f); });
}

Tensor Sigmoid(const Tensor& x) {
  // For v < 0, e^v/(1+e^v) avoids e^-v overflowing to inf (which would still give 0, but slowly
  // and through an inf); for v >= 0 the usual form cannot overflow.
  return UnaryOp(x, "Sigmoid", [](float v) {
    if (v >= 0.f) return 1.f / (1.f + std::exp(-v));
    const float e = std::exp(v);
    return e / (1.f + e);
  });
}

Tensor Tanh(const Tensor& x) {
  return UnaryOp(x, "Tanh", [](float v) { return std::tanh(v); });
}

Tensor Gelu(const Tensor& x, GeluApproximation approximation) {
  if (approximation == GeluApproximation::kTanh) {
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), Hendrycks & Gimpel (2016).
    constexpr float kAlpha = 0.7978845608028654f;  // √(2/π)
    return UnaryOp(x, "Gelu", [](float v) {
      return 0.5f * v * (1.f + std::tanh(kAlpha * (v + 0.044715f * v * v * v)));
    });
  }
  constexpr float kInvSqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
  return UnaryOp(x, "Gelu", [](float v) { return 0.5f * v * (1.f + std::erf(v * kInvSqrt2)); });
}

Tensor Softmax(const Tensor& x, int64_t dim) {
  return AlongDim(x, dim, "Softmax", [](const float* in, float* out, int64_t n, int64_t s) {
    const float m = LaneMax(in, n, s);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      out[i * s] = std::exp(in[i * s] - m);
      sum += out[i * s];
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) out[i * s] *= inv;
  });
}

Tensor LogSoftmax(const Tensor& x, int64_t dim) {
  return AlongDim(x, dim, "LogSoftmax", [](const float* in, float* out, int64_t n, int64_t s) {
    const float m = LaneMax(in, n, s);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(in[i * s] - m));
    const auto log_sum = static_cast<float>(std::log(sum));
    for (int64_t i = 0; i < n; ++i) out[i * s] = in[i * s] - m - log_sum;
  });
}

}  // namespace tinytorch
