// Module 02: activation functions.
#include "tinytorch/activations.h"

#include <cmath>
#include <limits>
#include <numbers>

#include "elementwise_ops.h"
#include "kernels/vector_math.h"
#include "tensor_internal.h"

namespace tinytorch {

using Grads = std::vector<Tensor>;
using internal::Attach;
using internal::CheckFloat;
using internal::CostlyArrayOp;
using internal::CostlyUnaryOp;
using internal::NeedsGrad;
using internal::UnaryOp;

namespace {

Tensor SoftmaxForward(const Tensor& x, int64_t dim);
Tensor LogSoftmaxForward(const Tensor& x, int64_t dim);

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

// Records `out` = name(x) with backward grad(g, x, out).
template <class G>
Tensor WithGrad(Tensor out, const Tensor& x, const char* name, G grad) {
  if (NeedsGrad(x)) {
    Attach(out, name, {x},
           [x, y = out.Detach(), grad](const Tensor& g) -> Grads { return {grad(g, x, y)}; });
  }
  return out;
}

}  // namespace

Tensor Relu(const Tensor& x) {
  return WithGrad(UnaryOp(x, "Relu", internal::ops::Relu{}), x, "Relu",
                  [](const Tensor& g, const Tensor& in, const Tensor&) {
                    return g * Gt(in, Tensor::Scalar(0.f));
                  });
}

Tensor Sigmoid(const Tensor& x) {
  Tensor y = UnaryOp(x, "Sigmoid", internal::ops::Sigmoid{});
  return WithGrad(y, x, "Sigmoid", [](const Tensor& g, const Tensor&, const Tensor& s) {
    return g * s * (1.f - s);
  });
}

Tensor Tanh(const Tensor& x) {
  return WithGrad(
      UnaryOp(x, "Tanh", internal::ops::Tanh{}), x, "Tanh",
      [](const Tensor& g, const Tensor&, const Tensor& t) { return g * (1.f - t * t); });
}

Tensor Gelu(const Tensor& x, GeluApproximation approximation) {
  if (approximation == GeluApproximation::kTanh) {
    constexpr float kAlpha = 0.7978845608028654f;  // √(2/π)
    Tensor y = CostlyUnaryOp(x, "Gelu", internal::ops::GeluTanh{});
    // d/dx = 0.5·(1 + t) + 0.5·x·(1 - t²)·α·(1 + 3·0.044715·x²), t = tanh(α(x + 0.044715x³)).
    return WithGrad(y, x, "Gelu", [](const Tensor& g, const Tensor& in, const Tensor&) {
      const Tensor d = CostlyUnaryOp(in, "GeluBackward", [](float v) {
        const float t = std::tanh(kAlpha * (v + 0.044715f * v * v * v));
        return 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * kAlpha * (1.f + 0.134145f * v * v);
      });
      return g * d;
    });
  }
  Tensor y = CostlyArrayOp(x, "Gelu", [](float* out, const float* in, int64_t n) {
    kernels::GeluExact(out, in, n, ActiveSimdLevel());
  });
  // d/dx = Φ(x) + x·φ(x).
  return WithGrad(y, x, "Gelu", [](const Tensor& g, const Tensor& in, const Tensor&) {
    const Tensor d = CostlyArrayOp(in, "GeluBackward", [](float* out, const float* v, int64_t n) {
      kernels::GeluExactDerivative(out, v, n, ActiveSimdLevel());
    });
    return g * d;
  });
}

Tensor Softmax(const Tensor& x, int64_t dim) {
  // Backward: y ⊙ (g - Σ(g ⊙ y)) along dim.
  return WithGrad(SoftmaxForward(x, dim), x, "Softmax",
                  [dim](const Tensor& g, const Tensor&, const Tensor& y) {
                    return y * (g - (g * y).Sum(dim, /*keepdims=*/true));
                  });
}

Tensor LogSoftmax(const Tensor& x, int64_t dim) {
  // Backward: g - exp(y) ⊙ Σ g along dim.
  return WithGrad(LogSoftmaxForward(x, dim), x, "LogSoftmax",
                  [dim](const Tensor& g, const Tensor&, const Tensor& y) {
                    return g - Exp(y) * g.Sum(dim, /*keepdims=*/true);
                  });
}

namespace {

Tensor SoftmaxForward(const Tensor& x, int64_t dim) {
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

Tensor LogSoftmaxForward(const Tensor& x, int64_t dim) {
  return AlongDim(x, dim, "LogSoftmax", [](const float* in, float* out, int64_t n, int64_t s) {
    const float m = LaneMax(in, n, s);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(in[i * s] - m));
    const auto log_sum = static_cast<float>(std::log(sum));
    for (int64_t i = 0; i < n; ++i) out[i * s] = in[i * s] - m - log_sum;
  });
}

}  // namespace
}  // namespace tinytorch
