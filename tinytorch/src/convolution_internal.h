// Private to the convolution sources (modules 09 and 15): output geometry and im2col.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "kernels/gather.h"
#include "kernels/gemm.h"
#include "tinytorch/tensor.h"

namespace tinytorch::internal {

struct Geometry {
  int64_t n, c, h, w, kh, kw, stride, pad, ho, wo;
  bool operator==(const Geometry&) const = default;
  int64_t cols() const { return c * kh * kw; }  // rows of the im2col matrix
  int64_t positions() const { return ho * wo; }
};

// Validates an NCHW input against the kernel, stride and padding; throws naming `op`.
Geometry Check(const char* op, const Tensor& x, int64_t kh, int64_t kw, int64_t stride,
               int64_t padding);
Geometry Check(const char* op, const Shape& x, int64_t kh, int64_t kw, int64_t stride,
               int64_t padding);
// MaxPool's geometry (stride 0: the kernel's), its padding at most half the kernel; throws naming
// `op`.
Geometry MaxPoolGeometry(const char* op, const Shape& x, int64_t kernel, int64_t stride,
                         int64_t padding);

// cols (C·kh·kw, Ho·Wo) from one image x (C, H, W); padded positions read as 0.
void Im2Col(float* cols, const float* x, const Geometry& g);
// The int8 GEMM's activations from `images` consecutive images x (H, W, C) of uint8 codes,
// channels last: per image, rows (Ho·Wo, kh·kw·C), one per output position, `row_stride` ≥ kh·kw·C
// bytes apart with zeros between, its taps in (i, j, c) order (unlike Im2Col's (c, i, j));
// padded positions read as `pad_code`.
void Im2RowU8(uint8_t* rows, int64_t row_stride, const uint8_t* x, int64_t images,
              const Geometry& g, uint8_t pad_code);

// Writes rows [p0, p0 + kc) and columns [j0, j0 + cols) of an image's im2col matrix in the GEMM's
// packed panel layout (kernels::PackB, strips of nr) without forming the matrix: a
// kernels::PanelFn for any image of one geometry. It remembers how it cut each strip, so one
// packer serves a thread's images (it is not safe to share between threads). Its strips are whole
// vectors of 16 (the AVX-512 kernels') and its planes' offsets fit in int32.
class ColumnPacker {
 public:
  explicit ColumnPacker(const Geometry& g) : g_(g) {}
  void operator()(float* out, const float* x, int64_t p0, int64_t kc, int64_t j0, int64_t cols,
                  int64_t nr);

 private:
  std::vector<kernels::LaneGather> Describe(int64_t j0, int64_t cols, int64_t nr) const;
  std::vector<kernels::IndexGather> DescribeIndexed(int64_t j0, int64_t cols, int64_t nr) const;

  Geometry g_;
  int64_t nr_ = 0;
  std::unordered_map<int64_t, std::vector<kernels::LaneGather>> described_;  // by j0
  std::unordered_map<int64_t, std::vector<kernels::IndexGather>> indexed_;   // by j0
};

// Winograd F(2×2, 3×3) (winograd.cc): the inference path of 3×3, stride-1 convolutions with
// enough channels for the transforms to pay.
bool WinogradPays(const Geometry& g, int64_t out_channels);
// The transformed weights U (16, O, C) of an (O, C, 3, 3) weight, into u (16·O·C floats).
void WinogradWeights(float* u, const float* w, int64_t out_channels, int64_t channels);
// One thread's buffers for one image geometry (g with n = 1).
struct WinogradScratch {
  WinogradScratch(const Geometry& image, int64_t out_channels);
  // This thread's scratch for g's images, kept from call to call and rebuilt only for another
  // geometry: building one zero-fills up to a megabyte, which a fresh allocation also pays a page
  // fault per 4 KB for (2.4 of 2.5 ms for a 64-channel 16×16 layer on one VM).
  static WinogradScratch& ForThisThread(const Geometry& g, int64_t out_channels);
  Geometry image;
  int64_t out_channels, tiles_wide, tiles_high, rows_per_block, half;
  std::vector<float> even, odd, padded_row, v, m;
};
// y (O, Ho, Wo) of one image x (C, H, W) from the 16 U_ξ packed for GEMMs (kernels::PackGemmA,
// O × C, with n = the scratch's tiles per block); bias may be null.
void WinogradConvolve(float* y, const float* x, const kernels::PackedA* u, const float* bias,
                      const Geometry& g, int64_t out_channels, WinogradScratch& scratch);
// Tiles per GEMM block of a geometry (the n to pack U for).
int64_t WinogradBlockTiles(const Geometry& g);

}  // namespace tinytorch::internal
