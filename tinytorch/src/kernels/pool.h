// Max pooling's inference kernel for its commonest geometry: 2×2 windows at stride 2 tiling every
// plane exactly (even H and W, no padding). The input is then `rows` pairs of input rows of 2·wo
// floats each, back to back, and the output `rows` rows of wo.
//
// Measured first: the folds of pooling.cc's general loop ran on output rows of 4 and 2 (the digits
// CNN's), too short for a vector, and were 30% of the int8 CNN's inference at batch 32. Here one
// pass takes the max of each horizontal pair over whole chunks of rows (contiguous, so vectors are
// full), and a second the max of each output's two row maxima.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

// v takes the place of the best when larger or NaN, so a NaN propagates and the last NaN in the
// window's row-major order wins, as in PyTorch's kernel. Folding a 2×2 window's rows first and then
// the two row maxima gives the same bits as folding it in row-major order: the first of equal
// maxima (+0 before -0) and the last NaN win either way.
inline float MaxStep(float best, float v) { return v > best || v != v ? v : best; }

// out[r·wo + x] = the row-major MaxStep fold of in's window at (r, x).
void MaxPool2x2Naive(float* out, const float* in, int64_t rows, int64_t wo);  // the reference
void MaxPool2x2(float* out, const float* in, int64_t rows, int64_t wo, SimdLevel isa);

}  // namespace tinytorch::kernels
