// Module 09: convolution (im2col + GEMM), pooling and batch normalisation, with their backward.
#include "tinytorch/convolutions.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "convolution_internal.h"
#include "kernels/cpu.h"
#include "kernels/gather.h"
#include "kernels/gemm.h"
#include "tensor_internal.h"

namespace tinytorch {

using Grads = std::vector<Tensor>;
using internal::Attach;
using internal::CheckFloat;
using internal::NeedsGrad;

namespace internal {

Geometry Check(const char* op, const Tensor& x, int64_t kh, int64_t kw, int64_t stride,
               int64_t padding) {
  CheckFloat(x, op);
  TT_CHECK(x.dim() == 4, op, ": expects an NCHW input, got shape ", x.shape());
  TT_CHECK(kh > 0 && kw > 0 && stride > 0 && padding >= 0, op, ": kernel ", kh, "x", kw,
           ", stride ", stride, " and padding ", padding, " are invalid");
  Geometry g{x.size(0), x.size(1), x.size(2), x.size(3), kh, kw, stride, padding, 0, 0};
  TT_CHECK(g.h + 2 * padding >= kh && g.w + 2 * padding >= kw, op, ": kernel ", kh, "x", kw,
           " is larger than the padded input ", g.h + 2 * padding, "x", g.w + 2 * padding,
           " (input shape ", x.shape(), ")");
  g.ho = (g.h + 2 * padding - kh) / stride + 1;
  g.wo = (g.w + 2 * padding - kw) / stride + 1;
  return g;
}

// Each row of cols is one (c, i, j) tap: for output row oy it reads input row y = oy·s + i − pad
// at columns ox·s + j − pad. The columns that fall inside the input form one range [lo, hi), so
// the row is zeros, a strided (for s = 1, contiguous) copy, zeros: no test per element.
void Im2Col(float* cols, const float* x, const Geometry& g) {
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        float* row = cols + ((c * g.kh + i) * g.kw + j) * g.positions();
        const int64_t offset = j - g.pad;  // input column = ox·s + offset
        const int64_t lo = std::min(g.wo, offset >= 0 ? 0 : (-offset + g.stride - 1) / g.stride);
        const int64_t hi = std::max(lo, std::min(g.wo, (g.w - offset + g.stride - 1) / g.stride));
        for (int64_t oy = 0; oy < g.ho; ++oy) {
          float* out = row + oy * g.wo;
          const int64_t y = oy * g.stride + i - g.pad;
          if (y < 0 || y >= g.h) {
            std::fill(out, out + g.wo, 0.f);
            continue;
          }
          const float* src = x + (c * g.h + y) * g.w + offset;
          std::fill(out, out + lo, 0.f);
          if (g.stride == 1) {
            std::copy(src + lo, src + hi, out + lo);
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) out[ox] = src[ox * g.stride];
          }
          std::fill(out + hi, out + g.wo, 0.f);
        }
      }
    }
  }
}

// The same values as PackB cutting the panel out of Im2Col's matrix, read straight from the image.
// Which input element lands in each lane of a strip depends on the strip and the tap's (i, j), not
// on its channel, so each 16-float vector of the strip is described once per tap (two pieces of
// input rows at most, for stride 1 and rows of 16 or more outputs), the description is kept for
// the next K slice and image, and every channel replays it from its own plane with masked loads.
// A 3×3 convolution over 32 channels does only 64 FMAs per packed float, so the packing has to
// run near copy speed: copying run by run, with the index arithmetic and a call per run, cost a
// third of the convolution's time, and describing the strips anew for every call a tenth.
void ColumnPacker::operator()(float* out, const float* x, int64_t p0, int64_t kc, int64_t j0,
                              int64_t cols, int64_t nr) {
  const int64_t taps = g_.kh * g_.kw, plane = g_.h * g_.w, strips = (cols + nr - 1) / nr;
  if (g_.stride != 1 || g_.wo < 16 || nr % 16 != 0) return PackRuns(out, x, p0, kc, j0, cols, nr);
  const int64_t vectors = nr / 16;
  if (nr != nr_) {
    described_.clear();
    nr_ = nr;
  }
  std::vector<kernels::LaneGather>& gathers = described_[j0];
  if (gathers.empty()) gathers = Describe(j0, cols, nr);
  const SimdLevel isa = ActiveSimdLevel();
  // The rows of one channel's taps are consecutive in a strip, and so are their descriptions.
  for (int64_t p = p0; p < p0 + kc;) {
    const int64_t t = p % taps, rows = std::min(taps - t, p0 + kc - p);
    const float* channel = x + p / taps * plane;
    for (int64_t s = 0; s < strips; ++s) {
      kernels::GatherLanes(out + (s * kc + p - p0) * nr, channel,
                           gathers.data() + (s * taps + t) * vectors, rows * vectors, isa);
    }
    p += rows;
  }
}

std::vector<kernels::LaneGather> ColumnPacker::Describe(int64_t j0, int64_t cols,
                                                        int64_t nr) const {
  const int64_t taps = g_.kh * g_.kw, strips = (cols + nr - 1) / nr, vectors = nr / 16;
  std::vector<kernels::LaneGather> gathers(static_cast<size_t>(strips * taps * vectors));
  for (int64_t s = 0; s < strips; ++s) {
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t i = t / g_.kw, offset = t % g_.kw - g_.pad;
      for (int64_t v = 0; v < vectors; ++v) {
        kernels::LaneGather& d = gathers[(s * taps + t) * vectors + v];
        for (int e = 0; e < 16 && s * nr + 16 * v + e < cols; ++e) {
          const int64_t position = j0 + s * nr + 16 * v + e;
          const int64_t y = position / g_.wo + i - g_.pad, xx = position % g_.wo + offset;
          if (y < 0 || y >= g_.h || xx < 0 || xx >= g_.w) continue;
          const int64_t at = y * g_.w + xx - e;  // lane e reads channel[at + e]
          if (d.mask_a == 0 || at == d.offset_a) {
            d.offset_a = at;
            d.mask_a |= static_cast<uint16_t>(1u << e);
          } else {  // the next output row: with 16 or more per row, no vector reaches a third
            d.offset_b = at;
            d.mask_b |= static_cast<uint16_t>(1u << e);
          }
        }
      }
    }
  }
  return gathers;
}

void ColumnPacker::PackRuns(float* out, const float* x, int64_t p0, int64_t kc, int64_t j0,
                            int64_t cols, int64_t nr) const {
  const Geometry& g = g_;
  const int64_t taps = g.kh * g.kw, plane = g.h * g.w, strips = (cols + nr - 1) / nr;
  // Any stride and row length: each strip row is runs along output rows, each zeros, a copy of an
  // input row (strided for s > 1), zeros, as in Im2Col.
  for (int64_t s = 0; s < strips; ++s) {
    const int64_t first = j0 + s * nr, valid = std::min(nr, cols - s * nr);
    for (int64_t p = p0; p < p0 + kc; ++p) {
      float* row = out + (s * kc + p - p0) * nr;
      const int64_t i = p % taps / g.kw, offset = p % g.kw - g.pad;  // input col = ox·s + offset
      const float* channel = x + p / taps * plane;
      const int64_t lo = std::min(g.wo, offset >= 0 ? 0 : (-offset + g.stride - 1) / g.stride);
      const int64_t hi = std::max(lo, std::min(g.wo, (g.w - offset + g.stride - 1) / g.stride));
      for (int64_t q = 0; q < valid;) {
        const int64_t oy = (first + q) / g.wo, ox0 = (first + q) % g.wo;
        const int64_t end = ox0 + std::min(valid - q, g.wo - ox0);  // this run is [ox0, end)
        float* dst = row + q - ox0;                                 // dst[ox]
        const int64_t y = oy * g.stride + i - g.pad;
        const bool inside = y >= 0 && y < g.h;
        const int64_t a = inside ? std::clamp(lo, ox0, end) : end;
        const int64_t b = inside ? std::clamp(hi, a, end) : end;
        const float* src = channel + y * g.w + offset;
        std::fill(dst + ox0, dst + a, 0.f);
        for (int64_t ox = a; ox < b; ++ox) dst[ox] = src[ox * g.stride];
        std::fill(dst + b, dst + end, 0.f);
        q += end - ox0;
      }
      std::fill(row + valid, row + nr, 0.f);
    }
  }
}

}  // namespace internal

using internal::Check;
using internal::Geometry;
using internal::Im2Col;

namespace {

// The adjoint of Im2Col: accumulates cols (C·kh·kw, Ho·Wo) back into dx (C, H, W).
void Col2Im(float* dx, const float* cols, const Geometry& g) {
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const float* row = cols + ((c * g.kh + i) * g.kw + j) * g.positions();
        for (int64_t oy = 0; oy < g.ho; ++oy) {
          const int64_t y = oy * g.stride + i - g.pad;
          if (y < 0 || y >= g.h) continue;
          for (int64_t ox = 0; ox < g.wo; ++ox) {
            const int64_t xx = ox * g.stride + j - g.pad;
            if (xx >= 0 && xx < g.w) dx[(c * g.h + y) * g.w + xx] += row[oy * g.wo + ox];
          }
        }
      }
    }
  }
}

// Validates a convolution's arguments (naming `op`) and returns its geometry.
Geometry ConvGeometry(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                      int64_t stride, int64_t padding) {
  CheckFloat(x, op);
  TT_CHECK(x.dim() == 4, op, ": expects an NCHW input, got shape ", x.shape());
  CheckFloat(weight, op);
  TT_CHECK(weight.dim() == 4 && weight.size(1) == x.size(1), op, ": input ", x.shape(),
           " and weight ", weight.shape(),
           " do not match (weight is (O, C, kh, kw) with C = input channels)");
  TT_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), op, ": bias ",
           bias.shape(), " does not match ", weight.size(0), " output channels");
  return Check(op, x, weight.size(2), weight.size(3), stride, padding);
}

}  // namespace

namespace {

// Inference with at least one image per thread: each task takes whole images and multiplies
// each by the weight with the one-thread packed GEMM straight into the output, packing the GEMM's
// panels from the image itself (ColumnPacker): the im2col matrix (C·kh·kw × Ho·Wo floats, 1.2 MB
// for 32 → 64 channels 3×3 at 32²) is never written. The bias is added while that block of the
// output is still in cache. Threads split images, not GEMMs: no fork/join per image.
Tensor Convolve2dInference(const Tensor& xc, const Tensor& wm, const Tensor& bias,
                           const Geometry& g) {
  const int64_t out_channels = wm.size(0);
  Tensor out = internal::EmptyLike({g.n, out_channels, g.ho, g.wo});
  const Tensor bc = bias.defined() ? bias.Contiguous() : Tensor();
  const int64_t tasks = std::min<int64_t>(g.n, NumThreads());
  const SimdLevel isa = ActiveSimdLevel();
  kernels::ParallelFor(tasks, [&](int64_t t) {
    const kernels::MatrixRef w{wm.data<float>(), g.cols(), 1};
    internal::ColumnPacker pack(g);
    for (int64_t i = g.n * t / tasks; i < g.n * (t + 1) / tasks; ++i) {
      const float* image = xc.data<float>() + i * g.c * g.h * g.w;
      float* y = out.data<float>() + i * out_channels * g.positions();
      kernels::GemmSimdPanels(
          y, w,
          [&](float* panel, int64_t p0, int64_t kc, int64_t j0, int64_t cols, int64_t nr) {
            pack(panel, image, p0, kc, j0, cols, nr);
          },
          out_channels, g.positions(), g.cols(), isa);
      if (bc.defined()) {
        for (int64_t o = 0; o < out_channels; ++o) {
          const float b = bc.data<float>()[o];
          float* plane = y + o * g.positions();
          for (int64_t p = 0; p < g.positions(); ++p) plane[p] += b;
        }
      }
    }
  });
  return out;
}

}  // namespace

Tensor Convolve2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                  int64_t padding) {
  const Geometry g = ConvGeometry("Convolve2d", x, weight, bias, stride, padding);
  const int64_t out_channels = weight.size(0);
  const Tensor xc = x.Contiguous();
  const Tensor wm = weight.Contiguous().Detach().View({out_channels, g.cols()});
  const bool needs_grad = NeedsGrad(x, weight) || (bias.defined() && NeedsGrad(bias));
  if (!needs_grad && g.n >= NumThreads() && g.positions() > 0 && g.cols() > 0) {
    return Convolve2dInference(xc, wm, bias.defined() ? bias.Detach() : bias, g);
  }
  Tensor cols = internal::EmptyLike({g.n, g.cols(), g.positions()});
  for (int64_t i = 0; i < g.n; ++i) {
    Im2Col(cols.data<float>() + i * g.cols() * g.positions(),
           xc.data<float>() + i * g.c * g.h * g.w, g);
  }
  Tensor out;
  {
    NoGradGuard no_grad;     // the convolution records one node of its own below
    out = MatMul(wm, cols);  // (N, O, Ho·Wo)
    if (bias.defined()) out = out + bias.Detach().View({1, out_channels, 1});
    out = out.View({g.n, out_channels, g.ho, g.wo});
  }
  std::vector<Tensor> inputs = {x, weight};
  if (bias.defined()) inputs.push_back(bias);
  if (NeedsGrad(x, weight) || (bias.defined() && NeedsGrad(bias))) {
    Attach(out, "Convolve2d", inputs,
           [g, cols, wm, has_bias = bias.defined(),
            wshape = weight.shape()](const Tensor& grad) -> Grads {
             const Tensor g3 = grad.Reshape({g.n, wm.size(0), g.positions()});
             // dW = Σₙ dOutₙ · colsₙᵀ;  dcols = Wᵀ · dOut, folded back by col2im;  db = Σ dOut.
             const Tensor dw = MatMul(g3, cols.Transpose(1, 2)).Sum(0).Reshape(wshape);
             const Tensor dcols = MatMul(wm.Transpose(0, 1), g3).Contiguous();
             Tensor dx = Tensor::Zeros({g.n, g.c, g.h, g.w});
             for (int64_t i = 0; i < g.n; ++i) {
               Col2Im(dx.data<float>() + i * g.c * g.h * g.w,
                      dcols.data<float>() + i * g.cols() * g.positions(), g);
             }
             Grads grads = {dx, dw};
             if (has_bias) grads.push_back(g3.Sum(2).Sum(0));
             return grads;
           });
  }
  return out;
}

Tensor Convolve2dNaive(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                       int64_t padding) {
  const Geometry g = ConvGeometry("Convolve2dNaive", x, weight, bias, stride, padding);
  const int64_t o_channels = weight.size(0);
  Tensor out = Tensor::Zeros({g.n, o_channels, g.ho, g.wo});
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t o = 0; o < o_channels; ++o) {
      for (int64_t oy = 0; oy < g.ho; ++oy) {
        for (int64_t ox = 0; ox < g.wo; ++ox) {
          double acc = bias.defined() ? bias.at({o}) : 0.0;
          for (int64_t c = 0; c < g.c; ++c) {
            for (int64_t i = 0; i < g.kh; ++i) {
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t y = oy * stride + i - padding, xx = ox * stride + j - padding;
                if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) {
                  acc += static_cast<double>(x.at({n, c, y, xx})) * weight.at({o, c, i, j});
                }
              }
            }
          }
          out.at({n, o, oy, ox}) = static_cast<float>(acc);
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Depthwise convolution.

namespace {

Geometry DepthwiseGeometry(const char* op, const Tensor& x, const Tensor& weight,
                           const Tensor& bias, int64_t stride, int64_t padding) {
  CheckFloat(x, op);
  TT_CHECK(x.dim() == 4, op, ": expects an NCHW input, got shape ", x.shape());
  CheckFloat(weight, op);
  TT_CHECK(weight.dim() == 4 && weight.size(0) == x.size(1) && weight.size(1) == 1, op, ": input ",
           x.shape(), " and weight ", weight.shape(),
           " do not match (weight is (C, 1, kh, kw) with C = input channels)");
  TT_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), op, ": bias ",
           bias.shape(), " does not match ", weight.size(0), " channels");
  return Check(op, x, weight.size(2), weight.size(3), stride, padding);
}

// For kernel column j, the output columns [lo, hi) whose input column ox·stride + j − pad is
// inside the image: the loops below skip padding without a branch in the innermost loop.
struct ColumnRange {
  int64_t lo, hi;
};
std::vector<ColumnRange> ColumnRanges(const Geometry& g) {
  std::vector<ColumnRange> ranges(static_cast<size_t>(g.kw));
  for (int64_t j = 0; j < g.kw; ++j) {
    const int64_t last = g.w - 1 + g.pad - j;  // ox·stride ≤ last
    ranges[j] = {g.pad > j ? (g.pad - j + g.stride - 1) / g.stride : 0,
                 last < 0 ? 0 : std::min(g.wo, last / g.stride + 1)};
  }
  return ranges;
}

// Calls row(oy, y, i, j, lo, hi) for every output row oy and kernel tap (i, j) whose input row
// y = oy·stride + i − pad is inside the image and whose column range is not empty.
template <class Row>
void ForEachDepthwiseRow(const Geometry& g, const std::vector<ColumnRange>& columns, Row&& row) {
  for (int64_t oy = 0; oy < g.ho; ++oy) {
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t y = oy * g.stride + i - g.pad;
      if (y < 0 || y >= g.h) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        if (columns[j].lo < columns[j].hi) row(oy, y, i, j, columns[j].lo, columns[j].hi);
      }
    }
  }
}

// Planes are independent (the weight gradient is per channel), so all three passes thread over
// them; a small convolution stays on the caller's thread.
void ForEachPlane(const Geometry& g, int64_t planes, const std::function<void(int64_t)>& body) {
  kernels::ParallelFor(planes, planes * g.positions() * g.kh * g.kw, int64_t{1} << 18, body);
}

}  // namespace

Tensor DepthwiseConvolve2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           int64_t stride, int64_t padding) {
  const Geometry g = DepthwiseGeometry("DepthwiseConvolve2d", x, weight, bias, stride, padding);
  const Tensor xc = x.Contiguous(), wc = weight.Contiguous(),
               bc = bias.defined() ? bias.Contiguous() : bias;
  Tensor out = Tensor::Zeros({g.n, g.c, g.ho, g.wo});
  {
    const float* in = xc.data<float>();
    const float* w = wc.data<float>();
    float* o = out.data<float>();
    const int64_t s = g.stride, hw = g.h * g.w, filter = g.kh * g.kw;
    const std::vector<ColumnRange> columns = ColumnRanges(g);
    ForEachPlane(g, g.n * g.c, [&](int64_t p) {
      const int64_t c = p % g.c;
      const float* xp = in + p * hw;
      const float* wp = w + c * filter;
      float* op = o + p * g.positions();
      if (bc.defined()) std::fill(op, op + g.positions(), bc.data<float>()[c]);
      ForEachDepthwiseRow(
          g, columns, [&](int64_t oy, int64_t y, int64_t i, int64_t j, int64_t lo, int64_t hi) {
            const float wij = wp[i * g.kw + j];
            float* orow = op + oy * g.wo;
            const float* xrow =
                xp + y * g.w + j - g.pad;  // xrow[ox·s] is the input under output ox
            if (s == 1) {
              for (int64_t ox = lo; ox < hi; ++ox) orow[ox] += wij * xrow[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) orow[ox] += wij * xrow[ox * s];
            }
          });
    });
  }
  if (NeedsGrad(x, weight) || (bias.defined() && NeedsGrad(bias))) {
    std::vector<Tensor> inputs = {x, weight};
    if (bias.defined()) inputs.push_back(bias);
    Attach(out, "DepthwiseConvolve2d", inputs,
           [g, xc, wc, has_bias = bias.defined(),
            wshape = weight.shape()](const Tensor& grad) -> Grads {
             const Tensor gc = grad.Contiguous();
             const float* dout = gc.data<float>();
             const float* in = xc.data<float>();
             const float* w = wc.data<float>();
             const int64_t s = g.stride, hw = g.h * g.w, filter = g.kh * g.kw;
             const std::vector<ColumnRange> columns = ColumnRanges(g);
             Tensor dx = Tensor::Zeros({g.n, g.c, g.h, g.w});
             Tensor dw = Tensor::Zeros(wshape);
             Tensor db = Tensor::Zeros({g.c});
             float* dxp = dx.data<float>();
             // dx: each output's gradient flows back to the inputs under its window.
             ForEachPlane(g, g.n * g.c, [&](int64_t p) {
               const float* wp = w + (p % g.c) * filter;
               const float* dop = dout + p * g.positions();
               float* dxplane = dxp + p * hw;
               ForEachDepthwiseRow(
                   g, columns,
                   [&](int64_t oy, int64_t y, int64_t i, int64_t j, int64_t lo, int64_t hi) {
                     const float wij = wp[i * g.kw + j];
                     const float* drow = dop + oy * g.wo;
                     float* xrow = dxplane + y * g.w + j - g.pad;
                     for (int64_t ox = lo; ox < hi; ++ox) xrow[ox * s] += wij * drow[ox];
                   });
             });
             // dw, db: per channel, summed over the batch (threads own channels, so no races).
             float* dwp = dw.data<float>();
             float* dbp = db.data<float>();
             ForEachPlane(g, g.c, [&](int64_t c) {
               for (int64_t n = 0; n < g.n; ++n) {
                 const int64_t p = n * g.c + c;
                 const float* dop = dout + p * g.positions();
                 const float* xp = in + p * hw;
                 ForEachDepthwiseRow(
                     g, columns,
                     [&](int64_t oy, int64_t y, int64_t i, int64_t j, int64_t lo, int64_t hi) {
                       const float* drow = dop + oy * g.wo;
                       const float* xrow = xp + y * g.w + j - g.pad;
                       float acc = 0;
                       for (int64_t ox = lo; ox < hi; ++ox) acc += drow[ox] * xrow[ox * s];
                       dwp[c * filter + i * g.kw + j] += acc;
                     });
                 float sum = 0;
                 for (int64_t k = 0; k < g.positions(); ++k) sum += dop[k];
                 dbp[c] += sum;
               }
             });
             Grads grads = {dx, dw};
             if (has_bias) grads.push_back(db);
             return grads;
           });
  }
  return out;
}

Tensor DepthwiseConvolve2dNaive(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                int64_t stride, int64_t padding) {
  const Geometry g =
      DepthwiseGeometry("DepthwiseConvolve2dNaive", x, weight, bias, stride, padding);
  Tensor out = Tensor::Zeros({g.n, g.c, g.ho, g.wo});
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t oy = 0; oy < g.ho; ++oy) {
        for (int64_t ox = 0; ox < g.wo; ++ox) {
          double acc = bias.defined() ? bias.at({c}) : 0.0;
          for (int64_t i = 0; i < g.kh; ++i) {
            for (int64_t j = 0; j < g.kw; ++j) {
              const int64_t y = oy * stride + i - padding, xx = ox * stride + j - padding;
              if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) {
                acc += static_cast<double>(x.at({n, c, y, xx})) * weight.at({c, 0, i, j});
              }
            }
          }
          out.at({n, c, oy, ox}) = static_cast<float>(acc);
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pooling.

Tensor MaxPool(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  const Geometry g = Check("MaxPool", x, kernel, kernel, stride > 0 ? stride : kernel, padding);
  TT_CHECK(padding * 2 <= kernel, "MaxPool: padding ", padding, " must be at most half the kernel ",
           kernel);
  const Tensor xc = x.Contiguous();
  Tensor out = internal::EmptyLike({g.n, g.c, g.ho, g.wo});
  std::vector<int64_t> argmax(static_cast<size_t>(out.numel()));
  const float* in = xc.data<float>();
  float* o = out.data<float>();
  for (int64_t plane = 0; plane < g.n * g.c; ++plane) {
    const float* p = in + plane * g.h * g.w;
    for (int64_t oy = 0; oy < g.ho; ++oy) {
      for (int64_t ox = 0; ox < g.wo; ++ox) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t best_at = -1;
        for (int64_t i = 0; i < kernel; ++i) {
          const int64_t y = oy * g.stride + i - padding;
          if (y < 0 || y >= g.h) continue;
          for (int64_t j = 0; j < kernel; ++j) {
            const int64_t xx = ox * g.stride + j - padding;
            if (xx < 0 || xx >= g.w) continue;
            const float v = p[y * g.w + xx];
            if (best_at < 0 || v > best || std::isnan(v)) {
              best = v;
              best_at = y * g.w + xx;
              if (std::isnan(v)) break;
            }
          }
        }
        const int64_t k = (plane * g.ho + oy) * g.wo + ox;
        o[k] = best;
        argmax[k] = best_at;
      }
    }
  }
  if (NeedsGrad(x)) {
    Attach(out, "MaxPool", {x}, [g, argmax = std::move(argmax)](const Tensor& grad) -> Grads {
      const Tensor gc = grad.Contiguous();
      Tensor dx = Tensor::Zeros({g.n, g.c, g.h, g.w});
      float* d = dx.data<float>();
      const float* gp = gc.data<float>();
      for (int64_t k = 0; k < gc.numel(); ++k) {
        d[(k / (g.ho * g.wo)) * g.h * g.w + argmax[k]] += gp[k];
      }
      return {dx};
    });
  }
  return out;
}

namespace {

// Calls visit(output index, input index) for every in-bounds input element of every pooling
// window, over all N·C planes. Padded positions are skipped.
template <class Visit>
void ForEachWindowElement(const Geometry& g, int64_t kernel, Visit&& visit) {
  for (int64_t plane = 0; plane < g.n * g.c; ++plane) {
    for (int64_t oy = 0; oy < g.ho; ++oy) {
      for (int64_t ox = 0; ox < g.wo; ++ox) {
        const int64_t k = (plane * g.ho + oy) * g.wo + ox;
        for (int64_t i = 0; i < kernel; ++i) {
          const int64_t y = oy * g.stride + i - g.pad;
          if (y < 0 || y >= g.h) continue;
          for (int64_t j = 0; j < kernel; ++j) {
            const int64_t xx = ox * g.stride + j - g.pad;
            if (xx >= 0 && xx < g.w) visit(k, plane * g.h * g.w + y * g.w + xx);
          }
        }
      }
    }
  }
}

}  // namespace

Tensor AvgPool(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  const Geometry g = Check("AvgPool", x, kernel, kernel, stride > 0 ? stride : kernel, padding);
  const Tensor xc = x.Contiguous();
  Tensor out = Tensor::Zeros({g.n, g.c, g.ho, g.wo});
  const float scale = 1.f / static_cast<float>(kernel * kernel);
  float* o = out.data<float>();
  const float* in = xc.data<float>();
  ForEachWindowElement(g, kernel, [&](int64_t k, int64_t src) { o[k] += in[src] * scale; });
  if (NeedsGrad(x)) {
    Attach(out, "AvgPool", {x}, [g, kernel, scale](const Tensor& grad) -> Grads {
      const Tensor gc = grad.Contiguous();
      Tensor dx = Tensor::Zeros({g.n, g.c, g.h, g.w});
      float* d = dx.data<float>();
      const float* gp = gc.data<float>();
      ForEachWindowElement(g, kernel, [&](int64_t k, int64_t src) { d[src] += gp[k] * scale; });
      return {dx};
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Batch normalisation: composed from differentiable ops, so its backward is autograd's.

Tensor BatchNormalize(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      Tensor running_mean, Tensor running_var, bool training, float momentum,
                      float eps) {
  CheckFloat(x, "BatchNormalize");
  TT_CHECK(x.dim() == 4, "BatchNormalize: expects an NCHW input, got shape ", x.shape());
  const int64_t c = x.size(1);
  for (const Tensor* t :
       std::initializer_list<const Tensor*>{&weight, &bias, &running_mean, &running_var}) {
    TT_CHECK(!t->defined() || t->shape() == Shape{c},
             "BatchNormalize: per-channel tensor of shape ", t->shape(), " does not match ", c,
             " channels");
  }
  const Shape channel_shape = {1, c, 1, 1};
  Tensor mean, var;
  if (training) {
    const int64_t count = x.size(0) * x.size(2) * x.size(3);
    TT_CHECK(count > 1,
             "BatchNormalize: training needs more than one value per channel, got input ",
             x.shape());
    mean = x.Mean(0, true).Mean(2, true).Mean(3, true);
    const Tensor centered = x - mean;
    var = (centered * centered).Mean(0, true).Mean(2, true).Mean(3, true);
    if (running_mean.defined() && running_var.defined()) {
      NoGradGuard no_grad;
      const float unbias = static_cast<float>(count) / static_cast<float>(count - 1);
      running_mean.CopyFrom(running_mean * (1 - momentum) + mean.Detach().Reshape({c}) * momentum);
      running_var.CopyFrom(running_var * (1 - momentum) +
                           var.Detach().Reshape({c}) * (momentum * unbias));
    }
  } else {
    TT_CHECK(running_mean.defined() && running_var.defined(),
             "BatchNormalize: eval mode needs running statistics");
    mean = running_mean.View(channel_shape);
    var = running_var.View(channel_shape);
  }
  Tensor y = (x - mean) / Sqrt(var + eps);
  if (weight.defined()) y = y * weight.View(channel_shape);
  if (bias.defined()) y = y + bias.View(channel_shape);
  return y;
}

// ---------------------------------------------------------------------------------------------
// Modules.

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen,
               int64_t stride, int64_t padding, bool bias, Init init)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_(kernel),
      stride_(stride),
      padding_(padding) {
  TT_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0 && padding >= 0,
           "Conv2d: invalid configuration in=", in_channels, " out=", out_channels,
           " kernel=", kernel, " stride=", stride, " padding=", padding);
  const int64_t fan_in = in_channels * kernel * kernel, fan_out = out_channels * kernel * kernel;
  weight_ = RegisterParameter("weight", InitWeight({out_channels, in_channels, kernel, kernel},
                                                   fan_in, fan_out, init, gen));
  if (bias) bias_ = RegisterParameter("bias", Tensor::Zeros({out_channels}));
}

Tensor Conv2d::Forward(const Tensor& x) { return Convolve2d(x, weight_, bias_, stride_, padding_); }

std::string Conv2d::ToString() const {
  return "Conv2d(" + std::to_string(in_channels_) + ", " + std::to_string(out_channels_) +
         ", kernel=" + std::to_string(kernel_) + ", stride=" + std::to_string(stride_) +
         ", padding=" + std::to_string(padding_) + ")";
}

DepthwiseConv2d::DepthwiseConv2d(int64_t channels, int64_t kernel, Generator& gen, int64_t stride,
                                 int64_t padding, bool bias, Init init)
    : channels_(channels), kernel_(kernel), stride_(stride), padding_(padding) {
  TT_CHECK(channels > 0 && kernel > 0 && stride > 0 && padding >= 0,
           "DepthwiseConv2d: invalid configuration channels=", channels, " kernel=", kernel,
           " stride=", stride, " padding=", padding);
  const int64_t fan = kernel * kernel;  // each output sees one channel's window
  weight_ =
      RegisterParameter("weight", InitWeight({channels, 1, kernel, kernel}, fan, fan, init, gen));
  if (bias) bias_ = RegisterParameter("bias", Tensor::Zeros({channels}));
}

Tensor DepthwiseConv2d::Forward(const Tensor& x) {
  return DepthwiseConvolve2d(x, weight_, bias_, stride_, padding_);
}

std::string DepthwiseConv2d::ToString() const {
  return "DepthwiseConv2d(" + std::to_string(channels_) + ", kernel=" + std::to_string(kernel_) +
         ", stride=" + std::to_string(stride_) + ", padding=" + std::to_string(padding_) + ")";
}

std::string MaxPool2d::ToString() const {
  return "MaxPool2d(kernel=" + std::to_string(kernel_) +
         ", stride=" + std::to_string(stride_ > 0 ? stride_ : kernel_) + ")";
}

std::string AvgPool2d::ToString() const {
  return "AvgPool2d(kernel=" + std::to_string(kernel_) +
         ", stride=" + std::to_string(stride_ > 0 ? stride_ : kernel_) + ")";
}

BatchNorm2d::BatchNorm2d(int64_t channels, float momentum, float eps)
    : channels_(channels), momentum_(momentum), eps_(eps) {
  TT_CHECK(channels > 0 && momentum >= 0 && momentum <= 1 && eps > 0, "BatchNorm2d: channels ",
           channels, ", momentum ", momentum, ", eps ", eps);
  weight_ = RegisterParameter("weight", Tensor::Ones({channels}));
  bias_ = RegisterParameter("bias", Tensor::Zeros({channels}));
  running_mean_ = RegisterBuffer("running_mean", Tensor::Zeros({channels}));
  running_var_ = RegisterBuffer("running_var", Tensor::Ones({channels}));
}

Tensor BatchNorm2d::Forward(const Tensor& x) {
  return BatchNormalize(x, weight_, bias_, running_mean_, running_var_, is_training(), momentum_,
                        eps_);
}

std::string BatchNorm2d::ToString() const {
  return "BatchNorm2d(" + std::to_string(channels_) + ")";
}

Tensor Flatten::Forward(const Tensor& x) {
  TT_CHECK(x.defined() && x.dim() >= 1, "Flatten: needs at least 1 dim");
  return x.Reshape({x.size(0), -1});
}

}  // namespace tinytorch
