// Integer GEMM for module 15's quantized layers: unsigned 8-bit activations times signed 8-bit
// weights, accumulated exactly in int32 (the u8 × s8 form is what x86's VNNI instruction
// multiplies). The naive kernel is the oracle; the vector kernels must match it exactly.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

// c (m, n) row-major = a (m, k) row-major @ wᵀ, w (n, k) row-major: c[i, j] = Σ_p a[i, p]·w[j, p].
// Exact while k·255·128 < 2³¹, i.e. k < 65,793.
void GemmU8S8Naive(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k);
// The kernel for `isa`, threaded over column blocks when the product is large.
void GemmU8S8(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k,
              SimdLevel isa);

constexpr int64_t kMaxInt8Depth = 65792;

}  // namespace tinytorch::kernels
