// Scalar activation formulas shared by the activation ops and the fused kernels of module 17, so
// a fused op computes exactly what its unfused composition does.
#pragma once

#include <cmath>
#include <numbers>

#include "tinytorch/activations.h"

namespace tinytorch::internal {

inline float GeluValue(float v, GeluApproximation approximation) {
  if (approximation == GeluApproximation::kTanh) {
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), Hendrycks & Gimpel (2016).
    constexpr float kAlpha = 0.7978845608028654f;  // √(2/π)
    return 0.5f * v * (1.f + std::tanh(kAlpha * (v + 0.044715f * v * v * v)));
  }
  constexpr float kInvSqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
  return 0.5f * v * (1.f + std::erf(v * kInvSqrt2));
}

}  // namespace tinytorch::internal
