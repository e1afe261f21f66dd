// Max pooling's inference kernels: NCHW planes tiled exactly by 2×2 windows at stride 2 (even H
// and W, no padding), MaxPool's commonest geometry; and any window over channels-last planes, where
// the int8 convolution's product already is.
//
// Measured first: the folds of pooling.cc's general loop ran on output rows of 4 and 2 (the digits
// CNN's), too short for a vector, and were 30% of the int8 CNN's inference at batch 32. Here one
// pass takes the max of each horizontal pair over whole chunks of rows (contiguous, so vectors are
// full), and a second the max of each output's two row maxima.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

// v takes the place of the best when larger or NaN, so a NaN propagates and the last NaN in the
// window's row-major order wins, as in PyTorch's kernel. Folding a 2×2 window's rows first and then
// the two row maxima gives the same bits as folding it in row-major order: the first of equal
// maxima (+0 before -0) and the last NaN win either way.
inline float MaxStep(float best, float v) { return v > best || v != v ? v : best; }

// The rows (or columns) [begin, end) of output o's window that lie inside a plane of `extent`
// rows (or columns): never empty, as MaxPool's padding is at most half the kernel.
struct WindowSpan {
  int64_t begin, end;
};
inline WindowSpan WindowInside(int64_t o, int64_t kernel, int64_t stride, int64_t padding,
                               int64_t extent) {
  const int64_t first = o * stride - padding;
  return {std::max<int64_t>(first, 0), std::min(first + kernel, extent)};
}

// NCHW, 2×2 at stride 2: in is `rows` pairs of input rows of 2·wo floats each, back to back, and
// out `rows` rows of wo; out[r·wo + x] = the row-major MaxStep fold of in's window at (r, x).
void MaxPool2x2Naive(float* out, const float* in, int64_t rows, int64_t wo);  // the reference
void MaxPool2x2(float* out, const float* in, int64_t rows, int64_t wo, SimdLevel isa);

// Channels last: `planes` inputs (h, w, channels) back to back, each pooled to (ho, wo, channels)
// by windows of kernel × kernel at `stride`, `padding` around the plane. Each output is the
// row-major MaxStep fold of its window's values inside the plane (padding never wins), as
// MaxPool's: the same bits as pooling the NCHW planes, with the channels as the vector lanes
// (whole vectors for 16 or 32 channels, where 2×2 NCHW windows of a 4×4 plane fill none).
struct ChannelsLastPool {
  int64_t h, w, channels, kernel, stride, padding, ho, wo;
};
void MaxPoolChannelsLastNaive(float* out, const float* in, int64_t planes,
                              const ChannelsLastPool& p);  // the reference
void MaxPoolChannelsLast(float* out, const float* in, int64_t planes, const ChannelsLastPool& p,
                         SimdLevel isa);

}  // namespace tinytorch::kernels
