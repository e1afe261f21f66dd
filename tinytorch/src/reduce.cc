// Reductions along one axis or over the whole tensor: sum, mean, max, min, argmax.
// Every reduction views its (contiguous) input as (outer, n, inner) and reduces the middle axis.
#include <cmath>
#include <limits>
#include <vector>

#include "tensor_internal.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

using Grads = std::vector<Tensor>;
using internal::Attach;
using internal::CheckFloat;
using internal::EmptyLike;
using internal::NeedsGrad;
using internal::NormalizeDim;

namespace {

struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
  Shape out_shape;
};

AxisSplit Split(const Tensor& x, int64_t axis, bool keepdims, const char* op) {
  CheckFloat(x, op);
  axis = NormalizeDim(axis, x.dim(), op);
  AxisSplit s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    const int64_t size = x.shape()[d];
    if (d < axis) s.outer *= size;
    if (d > axis) s.inner *= size;
    if (d != axis) s.out_shape.push_back(size);
    if (d == axis) {
      s.n = size;
      if (keepdims) s.out_shape.push_back(1);
    }
  }
  return s;
}

// Sums in double: float accumulation loses digits on long rows (1e7 ones sum to 16777216).
Tensor SumAxis(const Tensor& x, int64_t axis, bool keepdims, const char* op) {
  const AxisSplit s = Split(x, axis, keepdims, op);
  const Tensor c = x.Contiguous();
  const float* in = c.data<float>();
  Tensor out = EmptyLike(s.out_shape);
  float* o = out.data<float>();
  std::vector<double> acc(s.inner);
  for (int64_t i = 0; i < s.outer; ++i) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t k = 0; k < s.n; ++k) {
      const float* row = in + (i * s.n + k) * s.inner;
      for (int64_t j = 0; j < s.inner; ++j) acc[j] += row[j];
    }
    for (int64_t j = 0; j < s.inner; ++j) o[i * s.inner + j] = static_cast<float>(acc[j]);
  }
  return out;
}

// Max or min (and its first index) along the axis. NaN wins, like torch.max.
template <bool kIsMax>
void ExtremeAxis(const Tensor& x, int64_t axis, bool keepdims, const char* op, Tensor* values,
                 Tensor* indices) {
  const AxisSplit s = Split(x, axis, keepdims, op);
  TT_CHECK(s.n > 0, op, ": cannot reduce an empty dim (axis ", axis, " of shape ", x.shape(), ")");
  const Tensor c = x.Contiguous();
  const float* in = c.data<float>();
  float* v = nullptr;
  int64_t* idx = nullptr;
  if (values) {
    *values = EmptyLike(s.out_shape);
    v = values->data<float>();
  }
  if (indices) {
    *indices = EmptyLike(s.out_shape, DType::kInt64);
    idx = indices->data<int64_t>();
  }
  for (int64_t i = 0; i < s.outer; ++i) {
    for (int64_t j = 0; j < s.inner; ++j) {
      const float* p = in + i * s.n * s.inner + j;
      float best = p[0];
      int64_t best_k = 0;
      for (int64_t k = 1; k < s.n && !std::isnan(best); ++k) {
        const float e = p[k * s.inner];
        if (std::isnan(e) || (kIsMax ? e > best : e < best)) {
          best = e;
          best_k = k;
        }
      }
      if (v) v[i * s.inner + j] = best;
      if (idx) idx[i * s.inner + j] = best_k;
    }
  }
}

// Max/Min along an axis: the gradient goes to the element each output was taken from (the first
// one on ties, as the index PyTorch's max(dim) returns).
template <bool kIsMax>
Tensor ExtremeWithGrad(const Tensor& x, int64_t axis, bool keepdims, const char* op) {
  Tensor values, indices;
  ExtremeAxis<kIsMax>(x, axis, keepdims, op, &values, NeedsGrad(x) ? &indices : nullptr);
  if (indices.defined()) {
    const int64_t a = NormalizeDim(axis, x.dim(), op);
    const AxisSplit split = Split(x, axis, keepdims, op);
    Attach(values, op, {x},
           [in = x.shape(), a, keepdims, indices, split](const Tensor& g) -> Grads {
             const Tensor gk = (keepdims ? g : g.Unsqueeze(a)).Contiguous();
             const Tensor ik = (keepdims ? indices : indices.Unsqueeze(a)).Contiguous();
             Tensor full = Tensor::Zeros(in);
             float* f = full.data<float>();
             for (int64_t o = 0; o < split.outer; ++o) {
               for (int64_t j = 0; j < split.inner; ++j) {
                 const int64_t k = ik.data<int64_t>()[o * split.inner + j];
                 f[(o * split.n + k) * split.inner + j] = gk.data<float>()[o * split.inner + j];
               }
             }
             return {full};
           });
  }
  return values;
}

// The mean of nothing is NaN, as in PyTorch: the sum (0) times a NaN scale, so the backward
// through it is NaN too wherever it has an element to reach.
float MeanScale(int64_t n) {
  return n > 0 ? 1.f / static_cast<float>(n) : std::numeric_limits<float>::quiet_NaN();
}

Tensor Flat(const Tensor& x, const char* op) {
  CheckFloat(x, op);
  return x.Reshape({x.numel()});
}

}  // namespace

Tensor Tensor::Sum(int64_t axis, bool keepdims) const {
  Tensor out = SumAxis(*this, axis, keepdims, "Sum");
  if (NeedsGrad(*this)) {
    const int64_t a = NormalizeDim(axis, dim(), "Sum");
    Attach(out, "Sum", {*this}, [in = shape(), a, keepdims](const Tensor& g) -> Grads {
      return {(keepdims ? g : g.Unsqueeze(a)).Expand(in)};
    });
  }
  return out;
}

Tensor Tensor::Sum() const { return Flat(*this, "Sum").Sum(0); }

Tensor Tensor::Mean(int64_t axis, bool keepdims) const {
  CheckFloat(*this, "Mean");  // before delegating, so errors name Mean, not Sum
  const int64_t n = shape()[NormalizeDim(axis, dim(), "Mean")];
  return Sum(axis, keepdims) * MeanScale(n);
}

Tensor Tensor::Mean() const {
  CheckFloat(*this, "Mean");
  return Flat(*this, "Mean").Sum(0) * MeanScale(numel());
}

Tensor Tensor::Max(int64_t axis, bool keepdims) const {
  return ExtremeWithGrad<true>(*this, axis, keepdims, "Max");
}

Tensor Tensor::Max() const { return Flat(*this, "Max").Max(0); }

Tensor Tensor::Min(int64_t axis, bool keepdims) const {
  return ExtremeWithGrad<false>(*this, axis, keepdims, "Min");
}

Tensor Tensor::Min() const { return Flat(*this, "Min").Min(0); }

Tensor Tensor::Argmax(int64_t axis, bool keepdims) const {
  Tensor indices;
  ExtremeAxis<true>(*this, axis, keepdims, "Argmax", nullptr, &indices);
  return indices;
}

Tensor Tensor::Argmax() const { return Flat(*this, "Argmax").Argmax(0); }

}  // namespace tinytorch
