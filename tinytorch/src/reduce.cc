// Reductions along one axis or over the whole tensor: sum, mean, max, min, argmax.
// Every reduction views its (contiguous) input as (outer, n, inner) and reduces the middle axis.
#include <cmath>
#include <vector>

#include "tensor_internal.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

using internal::CheckFloat;
using internal::EmptyLike;
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

Tensor Flat(const Tensor& x, const char* op) {
  CheckFloat(x, op);
  return x.Reshape({x.numel()});
}

}  // namespace

Tensor Tensor::Sum(int64_t axis, bool keepdims) const {
  return SumAxis(*this, axis, keepdims, "Sum");
}

Tensor Tensor::Sum() const { return SumAxis(Flat(*this, "Sum"), 0, false, "Sum"); }

Tensor Tensor::Mean(int64_t axis, bool keepdims) const {
  const int64_t n = shape()[NormalizeDim(axis, dim(), "Mean")];
  TT_CHECK(n > 0, "Mean: cannot average an empty dim (axis ", axis, " of shape ", shape(), ")");
  Tensor out = SumAxis(*this, axis, keepdims, "Mean");
  out /= static_cast<float>(n);
  return out;
}

Tensor Tensor::Mean() const {
  TT_CHECK(numel() > 0, "Mean: cannot average an empty tensor of shape ", shape());
  return SumAxis(Flat(*this, "Mean"), 0, false, "Mean") / static_cast<float>(numel());
}

Tensor Tensor::Max(int64_t axis, bool keepdims) const {
  Tensor values;
  ExtremeAxis<true>(*this, axis, keepdims, "Max", &values, nullptr);
  return values;
}

Tensor Tensor::Max() const { return Flat(*this, "Max").Max(0); }

Tensor Tensor::Min(int64_t axis, bool keepdims) const {
  Tensor values;
  ExtremeAxis<false>(*this, axis, keepdims, "Min", &values, nullptr);
  return values;
}

Tensor Tensor::Min() const { return Flat(*this, "Min").Min(0); }

Tensor Tensor::Argmax(int64_t axis, bool keepdims) const {
  Tensor indices;
  ExtremeAxis<true>(*this, axis, keepdims, "Argmax", nullptr, &indices);
  return indices;
}

Tensor Tensor::Argmax() const { return Flat(*this, "Argmax").Argmax(0); }

}  // namespace tinytorch
