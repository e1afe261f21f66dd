// Module 09: max and average pooling, with their backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "convolution_internal.h"
#include "kernels/pool.h"
#include "tensor_internal.h"
#include "tinytorch/convolutions.h"

namespace tinytorch {

using Grads = std::vector<Tensor>;
using internal::Attach;
using internal::Check;
using internal::Geometry;
using internal::NeedsGrad;
using kernels::MaxStep;

namespace {

// Inference without padding, for windows that kernels::MaxPool2x2 does not take (odd planes, 3×3,
// stride 1): every window lies inside the plane, no argmax is kept, and each output is its window's
// fold, branch-free (on activations a compare mispredicts about half the time). A kernel and
// stride known at compile time (K, S > 0) unroll the window, so the loop over a row's outputs is
// the only loop, and GCC vectorizes it.
template <int K, int S>
void MaxPoolUnpadded(float* o, const float* in, const Geometry& g) {
  const int64_t k = K ? K : g.kh, s = S ? S : g.stride;
  for (int64_t plane = 0; plane < g.n * g.c; ++plane) {
    const float* p = in + plane * g.h * g.w;
    for (int64_t oy = 0; oy < g.ho; ++oy) {
      float* row = o + (plane * g.ho + oy) * g.wo;
      const float* top = p + oy * s * g.w;
      for (int64_t ox = 0; ox < g.wo; ++ox) {
        const float* window = top + ox * s;
        float best = window[0];
        for (int64_t i = 0; i < k; ++i) {
          for (int64_t j = i == 0 ? 1 : 0; j < k; ++j) best = MaxStep(best, window[i * g.w + j]);
        }
        row[ox] = best;
      }
    }
  }
}

}  // namespace

namespace internal {

Geometry MaxPoolGeometry(const char* op, const Shape& x, int64_t kernel, int64_t stride,
                         int64_t padding) {
  const Geometry g = Check(op, x, kernel, kernel, stride > 0 ? stride : kernel, padding);
  TT_CHECK(padding * 2 <= kernel, op, ": padding ", padding, " must be at most half the kernel ",
           kernel);
  return g;
}

}  // namespace internal

Tensor MaxPool(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  internal::CheckFloat(x, "MaxPool");
  const Geometry g = internal::MaxPoolGeometry("MaxPool", x.shape(), kernel, stride, padding);
  const Tensor xc = x.Contiguous();
  Tensor out = internal::EmptyLike({g.n, g.c, g.ho, g.wo});
  // Inference without padding needs no argmax: 2×2 windows tiling the planes take the vector
  // kernel, other windows MaxPoolUnpadded. Padded windows, and the backward's argmax, take the
  // loop after it, which compares the same way as MaxStep.
  const bool needs_grad = NeedsGrad(x);
  const float* in = xc.data<float>();
  float* o = out.data<float>();
  if (!needs_grad && padding == 0) {
    if (kernel == 2 && g.stride == 2 && g.h == 2 * g.ho && g.w == 2 * g.wo) {
      kernels::MaxPool2x2(o, in, g.n * g.c * g.ho, g.wo, ActiveSimdLevel());
    } else if (kernel == 2 && g.stride == 2) {
      MaxPoolUnpadded<2, 2>(o, in, g);
    } else if (kernel == 3 && g.stride == 2) {
      MaxPoolUnpadded<3, 2>(o, in, g);
    } else {
      MaxPoolUnpadded<0, 0>(o, in, g);
    }
    return out;
  }
  std::vector<int64_t> argmax(needs_grad ? static_cast<size_t>(out.numel()) : 0);
  for (int64_t plane = 0; plane < g.n * g.c; ++plane) {
    const float* p = in + plane * g.h * g.w;
    for (int64_t oy = 0; oy < g.ho; ++oy) {
      const auto [y0, y1] = kernels::WindowInside(oy, kernel, g.stride, padding, g.h);
      for (int64_t ox = 0; ox < g.wo; ++ox) {
        const auto [x0, x1] = kernels::WindowInside(ox, kernel, g.stride, padding, g.w);
        int64_t best_at = y0 * g.w + x0;
        for (int64_t y = y0; y < y1; ++y) {
          for (int64_t xx = x0; xx < x1; ++xx) {
            const float v = p[y * g.w + xx];
            if (v > p[best_at] || std::isnan(v)) best_at = y * g.w + xx;
          }
        }
        const int64_t k = (plane * g.ho + oy) * g.wo + ox;
        o[k] = p[best_at];
        if (needs_grad) argmax[static_cast<size_t>(k)] = best_at;
      }
    }
  }
  if (needs_grad) {
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
  // As MaxPool (and PyTorch): a window must reach into the input, or its mean is of padding.
  TT_CHECK(padding * 2 <= kernel, "AvgPool: padding ", padding, " must be at most half the kernel ",
           kernel);
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

std::string MaxPool2d::ToString() const {
  return "MaxPool2d(kernel=" + std::to_string(kernel_) +
         ", stride=" + std::to_string(stride_ > 0 ? stride_ : kernel_) + ")";
}

std::string AvgPool2d::ToString() const {
  return "AvgPool2d(kernel=" + std::to_string(kernel_) +
         ", stride=" + std::to_string(stride_ > 0 ? stride_ : kernel_) + ")";
}

}  // namespace tinytorch
