// Integer GEMM for module 15's quantized layers: unsigned 8-bit activations times signed 8-bit
// weights, accumulated exactly in int32 (the u8 × s8 form is what x86's VNNI instruction
// multiplies). The naive kernel is the oracle; the vector kernels must match it exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

// c (m, n) row-major = a (m, k) row-major @ wᵀ, w (n, k) row-major: c[i, j] = Σ_p a[i, p]·w[j, p].
// Exact while k·255·128 < 2³¹, i.e. k < 65,793.
void GemmU8S8Naive(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k);
// The kernel for `isa`, threaded over column blocks when the product is large.
void GemmU8S8(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k,
              SimdLevel isa);

constexpr int64_t kMaxInt8Depth = 65792;

// A quantized Linear's whole product in one pass: the int8 GEMM with the affine correction and
// the rescale applied to each sum while it is still in a register,
//   y[i, j] = scale[j]·(Σ_p a[i, p]·w[j, p] + offset[j] − weight_zero[j]·Σ_p a[i, p]) + bias[j],
// where the caller folds the activation zero point z_x into offset[j] = −z_x·Σ_p w[j, p] +
// k·z_x·z_w[j] and s_x into scale[j] = s_x·s_w[j]. The sum is exact in int64 in the naive kernel
// and in int32 in the vector one, which is why that runs only while every term stays below 2³¹.
// With `relu`, y[i, j] is then max(y[i, j], +0), the ReLU of the layer a quantized model fused.
struct Int8Epilogue {
  const float* scale = nullptr;          // (n)
  const int64_t* offset = nullptr;       // (n)
  const int32_t* weight_zero = nullptr;  // (n), nullptr for symmetric weights (all zero)
  const float* bias = nullptr;           // (n), nullptr for none
  bool relu = false;
};

// w (n, k) rearranged once for the fused kernels: for each block of 16 output channels and each
// group of 4 k values, 64 bytes holding the group's 4 bytes of each channel in turn, zero past n
// and past k. One vpdpbusd then multiplies 4 broadcast activation bytes into 16 channels' sums,
// which leaves each sum in its own lane: no horizontal reduction, and the epilogue and the store
// work on 16 consecutive outputs of a row at a time. The AVX2 kernel reads the same bytes as two
// halves of 8 channels, widened to int16 as it loads them.
struct PackedS8 {
  int64_t n = 0, k = 0;
  std::vector<int8_t> data;  // blocks · groups · 64 bytes
};
PackedS8 PackS8(const int8_t* w, int64_t n, int64_t k);

// The largest k for which the vector kernel's int32 sum of the four terms cannot overflow:
// each is at most 255·128·k in magnitude.
constexpr int64_t kMaxFusedInt8Depth = ((int64_t{1} << 31) - 1) / (4 * 255 * 128);

// y (m, n) row-major float. The naive kernel is the oracle: the fast one must match it bit for
// bit (the same integer, converted and scaled by the same float operations in the same order).
void LinearU8S8Naive(float* y, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k,
                     const Int8Epilogue& e);
// `packed` is PackS8(w, n, k); threaded over rows when the product is large. a's rows are lda
// bytes apart: k, or LinearU8S8RowStride(k, isa) with zeros past k, the stride at which the fused
// AVX-512 kernel reads them where they lie (k in whole groups of 4). `scratch` holds
// LinearU8S8ScratchBytes(m, k, lda, isa) bytes, 16-byte aligned: the activations padded to whole
// groups of 4 (widened to int16 for AVX2) unless a is already. The caller provides it so that a
// layer can take it from its tensors' block cache: freeing ~100 KB to glibc on every call trims the
// heap, and the trim's TLB shootdown stalled the other thread (the AVX2 MLP at batch 360 ran
// 106-200 µs, bimodal).
int64_t LinearU8S8RowStride(int64_t k, SimdLevel isa);
int64_t LinearU8S8ScratchBytes(int64_t m, int64_t k, int64_t lda, SimdLevel isa);
void LinearU8S8(float* y, const uint8_t* a, int64_t lda, const int8_t* w, const PackedS8& packed,
                int64_t m, const Int8Epilogue& e, SimdLevel isa, std::byte* scratch);

}  // namespace tinytorch::kernels
