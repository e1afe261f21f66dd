// Scalar activation formulas shared by the activation ops and the fused kernels of module 17, so
// a fused op computes exactly what its unfused composition does.
#pragma once

#include <cmath>
#include <numbers>

#include "tinytorch/activations.h"

namespace tinytorch::internal {

// NaN passes through, as in PyTorch.
inline float ReluValue(float v) { return v > 0.f ? v : (std::isnan(v) ? v : 0.f); }

// For v < 0, e^v/(1+e^v) avoids e^-v overflowing to inf (which would still give 0, but slowly
// and through an inf); for v >= 0 the usual form cannot overflow.
inline float SigmoidValue(float v) {
  if (v >= 0.f) return 1.f / (1.f + std::exp(-v));
  const float e = std::exp(v);
  return e / (1.f + e);
}

// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), Hendrycks & Gimpel (2016). The exact GELU has no
// scalar formula here: it is an array kernel (kernels::GeluExact, vector erf), one definition for
// the eager op, the fused LinearGelu and the lazy pass.
inline float GeluTanhValue(float v) {
  constexpr float kAlpha = 0.7978845608028654f;  // √(2/π)
  return 0.5f * v * (1.f + std::tanh(kAlpha * (v + 0.044715f * v * v * v)));
}

}  // namespace tinytorch::internal
