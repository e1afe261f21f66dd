// Activation quantization for module 15's int8 layers: one pass for the range (with the check that
// every value is finite), one for the uint8 codes, which checks too, so a calibrated (static)
// range needs only the second. Each vector kernel gives the bits of its scalar
// reference: IEEE division, rounding in the current mode (as nearbyint), the same clamp.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

struct RangeScan {
  float min = 0.f, max = 0.f;    // of x and 0: an activation range always holds 0
  int64_t first_nonfinite = -1;  // index of the first NaN or ±inf (min and max are then unset)
};
RangeScan RangeWithZeroNaive(const float* x, int64_t n);
RangeScan RangeWithZero(const float* x, int64_t n, SimdLevel isa);

// out[i] = clamp(nearbyint(x[i] * (1 / scale)) + zero_point, 0, 255) for scale > 0: the float
// reciprocal, as PyTorch's quantize_val multiplies by it, and a multiply is cheaper than a divide.
// Returns the index of the first NaN or ±inf in x (out is unspecified from there on), -1 when all
// are finite.
int64_t QuantizeU8Naive(uint8_t* out, const float* x, int64_t n, float scale, int32_t zero_point);
int64_t QuantizeU8(uint8_t* out, const float* x, int64_t n, float scale, int32_t zero_point,
                   SimdLevel isa);

}  // namespace tinytorch::kernels
