// Module 17: acceleration. The matmul ladder (MatMulBackend in tensor.h: naive → reordered →
// blocked → SIMD → threaded, with OpenBLAS as the reference), the knobs that select its kernels,
// fused operators beside their unfused compositions, and a raw GEMM entry point without the
// Tensor layer, so the cost of dispatch through MatMul can be measured.
#pragma once

#include <cstdint>

#include "tinytorch/activations.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

// The vector ISA of the SIMD and int8 kernels. kAvx512 means AVX-512 F/BW/VL with VNNI.
enum class SimdLevel : uint8_t { kScalar, kAvx2, kAvx512 };
const char* SimdLevelName(SimdLevel level);
SimdLevel DetectedSimdLevel();  // the best level this CPU supports
SimdLevel ActiveSimdLevel();    // the detected level unless overridden
// Process-wide; throws if the CPU lacks `level`. Returns the previous level.
SimdLevel SetSimdLevel(SimdLevel level);

// Threads for the kernels that split their work: MatMulBackend::kThreaded, the int8 GEMM,
// convolution and the attention softmax (the hardware's count initially). Throws unless threads >= 1. Returns the previous count.
int SetNumThreads(int threads);
int NumThreads();

// c (m, n) = a (m, k) @ b (k, n) on packed row-major buffers, through `backend`'s kernel with no
// shape checks, allocation or autograd. c must not alias a or b.
void Gemm(MatMulBackend backend, float* c, const float* a, const float* b, int64_t m, int64_t n,
          int64_t k);

// Gelu(x @ weight + bias) with the bias and GELU applied in one pass over the GEMM's output;
// x (..., in), weight (in, out), bias (out). When a gradient is needed it records the unfused
// composition instead, so training gets exact gradients and inference gets the fused pass.
Tensor LinearGelu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  GeluApproximation approximation = GeluApproximation::kNone);

// The unfused compositions the fused ops are measured against: each step a separate op with its
// own pass over memory and its own temporary.
Tensor LinearGeluUnfused(const Tensor& x, const Tensor& weight, const Tensor& bias,
                         GeluApproximation approximation = GeluApproximation::kNone);
Tensor SoftmaxUnfused(const Tensor& x, int64_t dim = -1);  // Softmax (activations.h) is fused
// LayerNormalize (transformers.h) is fused; this is mean, centre, variance, scale and shift.
Tensor LayerNormalizeUnfused(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             double eps = 1e-5);

}  // namespace tinytorch
