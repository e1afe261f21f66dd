// Module 09: convolution (im2col + GEMM, Winograd for 3×3) and depthwise convolution, with their
// backward. Pooling is in pooling.cc, batch normalisation in normalization.cc, the geometry and
// the im2col lowering in im2col.cc.
#include "tinytorch/convolutions.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "convolution_internal.h"
#include "kernels/cpu.h"
#include "kernels/gemm.h"
#include "kernels/scratch.h"
#include "tensor_internal.h"

namespace tinytorch {

using Grads = std::vector<Tensor>;
using internal::Attach;
using internal::CheckFloat;
using internal::NeedsGrad;

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

// Inference with at least one image per thread: each task takes whole images (threads split
// images, not GEMMs: no fork/join per image). A 3×3 stride-1 layer with enough channels runs
// Winograd F(2×2, 3×3) (winograd.cc: 2.25× fewer FMAs, its 16 weight matrices packed once per
// call); any other multiplies each image by the weight with the one-thread packed GEMM straight
// into the output, packing the GEMM's panels from the image itself (ColumnPacker): the im2col
// matrix (C·kh·kw × Ho·Wo floats, 1.2 MB for 32 → 64 channels 3×3 at 32²) is never written, and
// the bias is added while that block of the output is still in cache.
Tensor Convolve2dInference(const Tensor& xc, const Tensor& wm, const Tensor& bias,
                           const Geometry& g) {
  const int64_t out_channels = wm.size(0);
  Tensor out = internal::EmptyLike({g.n, out_channels, g.ho, g.wo});
  const Tensor bc = bias.defined() ? bias.Contiguous() : Tensor();
  const int64_t tasks = std::min<int64_t>(g.n, NumThreads());
  const SimdLevel isa = ActiveSimdLevel();
  if (internal::WinogradPays(g, out_channels)) {
    thread_local std::vector<float> u;  // reused: a fresh one costs a page fault per 4 KB
    float* const transformed = kernels::AtLeast(u, 16 * out_channels * g.c);
    internal::WinogradWeights(transformed, wm.data<float>(), out_channels, g.c);
    std::vector<kernels::PackedA> packed;
    for (int xi = 0; xi < 16; ++xi) {
      packed.push_back(kernels::PackGemmA({transformed + xi * out_channels * g.c, g.c, 1},
                                          out_channels, g.c, internal::WinogradBlockTiles(g), isa));
    }
    kernels::ParallelFor(tasks, [&](int64_t t) {
      internal::WinogradScratch& scratch =
          internal::WinogradScratch::ForThisThread(g, out_channels);
      for (int64_t i = g.n * t / tasks; i < g.n * (t + 1) / tasks; ++i) {
        internal::WinogradConvolve(out.data<float>() + i * out_channels * g.positions(),
                                   xc.data<float>() + i * g.c * g.h * g.w, packed.data(),
                                   bc.defined() ? bc.data<float>() : nullptr, g, out_channels,
                                   scratch);
      }
    });
    return out;
  }
  // Packing from the image pays where each packed float meets many FMAs (32+ output channels)
  // and masked loads are native (AVX-512). A thin layer (8 channels: 8 FMAs a float) spent 46-80%
  // more instructions that way under the count gate's AVX2, so it lowers the image with Im2Col,
  // whose long row copies the GEMM's own packing then reads. ColumnPacker indexes a plane in int32.
  const bool from_image = isa == SimdLevel::kAvx512 && out_channels >= 32 && g.h * g.w <= INT32_MAX;
  kernels::ParallelFor(tasks, [&](int64_t t) {
    const kernels::MatrixRef w{wm.data<float>(), g.cols(), 1};
    internal::ColumnPacker pack(g);
    thread_local std::vector<float> cols;  // reused, never zeroed: Im2Col writes every element
    if (!from_image) kernels::AtLeast(cols, g.cols() * g.positions());
    for (int64_t i = g.n * t / tasks; i < g.n * (t + 1) / tasks; ++i) {
      const float* image = xc.data<float>() + i * g.c * g.h * g.w;
      float* y = out.data<float>() + i * out_channels * g.positions();
      if (from_image) {
        kernels::GemmSimdPanels(
            y, w,
            [&](float* panel, int64_t p0, int64_t kc, int64_t j0, int64_t n, int64_t nr) {
              pack(panel, image, p0, kc, j0, n, nr);
            },
            out_channels, g.positions(), g.cols(), isa);
      } else {
        Im2Col(cols.data(), image, g);
        kernels::GemmSimdIsa(y, w, {cols.data(), g.positions(), 1}, out_channels, g.positions(),
                             g.cols(), isa);
      }
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
           [g, cols, wm, has_bias = bias.defined(), wshape = weight.shape(),
            x_needs = x.requires_grad(), w_needs = weight.requires_grad()](const Tensor& grad)
               -> Grads {
             const Tensor g3 = grad.Reshape({g.n, wm.size(0), g.positions()});
             // dW = Σₙ dOutₙ · colsₙᵀ;  dcols = Wᵀ · dOut, folded back by col2im;  db = Σ dOut.
             // Each only when needed: a network's input image needs no dx (PyTorch's
             // needs_input_grad).
             Tensor dx, dw;
             if (w_needs) dw = MatMul(g3, cols.Transpose(1, 2)).Sum(0).Reshape(wshape);
             if (x_needs) {
               const Tensor dcols = MatMul(wm.Transpose(0, 1), g3).Contiguous();
               dx = Tensor::Zeros({g.n, g.c, g.h, g.w});
               for (int64_t i = 0; i < g.n; ++i) {
                 Col2Im(dx.data<float>() + i * g.c * g.h * g.w,
                        dcols.data<float>() + i * g.cols() * g.positions(), g);
               }
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

Tensor Flatten::Forward(const Tensor& x) {
  TT_CHECK(x.defined() && x.dim() >= 1, "Flatten: needs at least 1 dim");
  return x.Reshape({x.size(0), -1});
}

}  // namespace tinytorch
