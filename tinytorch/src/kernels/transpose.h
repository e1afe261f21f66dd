// A dense float matrix transposed: the int8 convolution's product, (positions, channels) per
// image, into NCHW's (channels, positions). Measured first: the scalar loop gathered one float at
// a time and was the larger part of QuantizedConv2d's own time in the digits CNN at batch 32.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

// dst (cols, rows) = src (rows, cols)ᵀ, both row-major and not overlapping.
void TransposeNaive(float* dst, const float* src, int64_t rows, int64_t cols);  // the reference
// The AVX2 and AVX-512 levels both take 8×8 blocks of AVX2 shuffles; the ragged edges the scalar.
void Transpose(float* dst, const float* src, int64_t rows, int64_t cols, SimdLevel isa);
// One 8×8 block: dst[j·ld_dst + i] = src[i·ld_src + j] for i, j < 8 (AVX2; the GEMM's packing of
// a's row strips also takes it).
void Transpose8x8(float* dst, int64_t ld_dst, const float* src, int64_t ld_src);

}  // namespace tinytorch::kernels
