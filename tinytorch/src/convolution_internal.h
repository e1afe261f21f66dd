// Private to the convolution sources (modules 09 and 15): output geometry and im2col.
#pragma once

#include <cstdint>

#include "tinytorch/tensor.h"

namespace tinytorch::internal {

struct Geometry {
  int64_t n, c, h, w, kh, kw, stride, pad, ho, wo;
  int64_t cols() const { return c * kh * kw; }  // rows of the im2col matrix
  int64_t positions() const { return ho * wo; }
};

// Validates an NCHW input against the kernel, stride and padding; throws naming `op`.
Geometry Check(const char* op, const Tensor& x, int64_t kh, int64_t kw, int64_t stride,
               int64_t padding);

// cols (C·kh·kw, Ho·Wo) from one image x (C, H, W); padded positions read as 0.
void Im2Col(float* cols, const float* x, const Geometry& g);

}  // namespace tinytorch::internal
