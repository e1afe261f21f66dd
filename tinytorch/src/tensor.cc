// Tensor creation, metadata, views and copies (the storage allocator is in storage.cc, the
// random generator in random.cc).
#include "tinytorch/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "tensor_internal.h"

namespace tinytorch {

std::string ShapeToString(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

size_t ElementSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kInt32:
      return 4;
    case DType::kInt8:
      return 1;
  }
  detail::Throw("ElementSize: invalid dtype ", static_cast<int>(dtype));
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt64:
      return "int64";
    case DType::kInt32:
      return "int32";
    case DType::kInt8:
      return "int8";
  }
  return "invalid";
}

// ---------------------------------------------------------------------------------------------
// Internal helpers.

namespace internal {

namespace {

// The element count a packed tensor of `shape` spans when every size is taken as at least 1: the
// largest stride times its size. It must fit in int64 even for an empty tensor, whose strides
// still come from its other sizes (PyTorch >= 2 and numpy reject such shapes too; PyTorch 1.13
// let the stride wrap around silently).
int64_t ExtentOf(const Shape& shape, const char* op) {
  int64_t extent = 1;
  for (int64_t s : shape) {
    TT_CHECK(s >= 0, op, ": negative size in shape ", shape);
    TT_CHECK(!__builtin_mul_overflow(extent, std::max<int64_t>(s, 1), &extent), op, ": shape ",
             shape, " is too large (its strides overflow int64)");
  }
  return extent;
}

// No allocation beyond the user half of x86-64's 48-bit address space can succeed; a shape that
// asks for more is a mistake to name, not a std::bad_alloc to debug.
constexpr int64_t kMaxStorageBytes = int64_t{1} << 47;

}  // namespace

int64_t NumelOf(const Shape& shape, const char* op) {
  const int64_t extent = ExtentOf(shape, op);
  return std::find(shape.begin(), shape.end(), 0) != shape.end() ? 0 : extent;
}

size_t StorageBytesOf(const Shape& shape, DType dtype, const char* op) {
  const int64_t n = NumelOf(shape, op);
  const auto element = static_cast<int64_t>(ElementSize(dtype));
  TT_CHECK(n <= kMaxStorageBytes / element, op, ": shape ", shape, " of ", DTypeName(dtype),
           " needs ", n, " elements of ", element, " bytes, over the ", kMaxStorageBytes,
           "-byte limit of one tensor");
  return static_cast<size_t>(n * element);
}

Shape ContiguousStrides(const Shape& shape) {
  // ExtentOf's checks, in the same pass as the strides (this runs for every new tensor).
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    TT_CHECK(shape[i] >= 0, "Tensor: negative size in shape ", shape);
    TT_CHECK(!__builtin_mul_overflow(s, std::max<int64_t>(shape[i], 1), &s), "Tensor: shape ",
             shape, " is too large (its strides overflow int64)");
  }
  return strides;
}

int64_t NormalizeDim(int64_t dim, int64_t ndim, const char* op) {
  TT_CHECK(dim >= -ndim && dim < ndim, op, ": dim ", dim, " is out of range for a tensor with ",
           ndim, " dims");
  return dim < 0 ? dim + ndim : dim;
}

Tensor EmptyLike(const Shape& shape, DType dtype) {
  auto storage = std::make_shared<Storage>(StorageBytesOf(shape, dtype, "Tensor"),
                                           /*zero_fill=*/false);
  return Tensor::FromStorage(std::move(storage), dtype, shape, ContiguousStrides(shape), 0);
}

void CheckFloat(const Tensor& t, const char* op) {
  TT_CHECK(t.defined(), op, ": undefined tensor");
  TT_CHECK(t.dtype() == DType::kFloat32, op, ": expects float32, got ", DTypeName(t.dtype()),
           " tensor of shape ", t.shape());
}

Shape BroadcastStrides(const Tensor& t, const Shape& shape) {
  const Shape& ts = t.shape();
  Shape out(shape.size(), 0);
  const size_t lead = shape.size() - ts.size();
  for (size_t i = 0; i < ts.size(); ++i) {
    out[lead + i] = ts[i] == 1 ? 0 : t.strides()[i];
  }
  return out;
}

}  // namespace internal

using Grads = std::vector<Tensor>;
using internal::Attach;
using internal::ContiguousStrides;
using internal::NeedsGrad;
using internal::NormalizeDim;
using internal::NumelOf;

// ---------------------------------------------------------------------------------------------
// Creation.

Tensor Tensor::FromStorage(std::shared_ptr<Storage> storage, DType dtype, Shape shape,
                           Shape strides, int64_t offset) {
  TT_CHECK(storage != nullptr, "Tensor::FromStorage: null storage");
  TT_CHECK(shape.size() == strides.size(), "Tensor::FromStorage: shape ", shape, " and strides ",
           strides, " differ in length");
  const int64_t n = NumelOf(shape, "Tensor::FromStorage");
  // The reachable element range must lie inside the buffer.
  int64_t lo = offset, hi = offset;
  if (n > 0) {
    for (size_t i = 0; i < shape.size(); ++i) {
      const int64_t extent = (shape[i] - 1) * strides[i];
      (extent < 0 ? lo : hi) += extent;
    }
  }
  const auto capacity = static_cast<int64_t>(storage->bytes() / ElementSize(dtype));
  TT_CHECK(n == 0 || (lo >= 0 && hi < capacity), "Tensor::FromStorage: shape ", shape,
           " with strides ", strides, " and offset ", offset, " reaches outside a storage of ",
           capacity, " elements");
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->storage = std::move(storage);
  t.impl_->shape = std::move(shape);
  t.impl_->strides = std::move(strides);
  t.impl_->offset = offset;
  t.impl_->dtype = dtype;
  return t;
}

Tensor Tensor::Zeros(const Shape& shape, DType dtype) {
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->storage =
      std::make_shared<Storage>(internal::StorageBytesOf(shape, dtype, "Tensor::Zeros"));
  t.impl_->shape = shape;
  t.impl_->strides = ContiguousStrides(shape);
  t.impl_->dtype = dtype;
  return t;
}

Tensor Tensor::Ones(const Shape& shape) { return Full(shape, 1.f); }

Tensor Tensor::Full(const Shape& shape, float value) {
  Tensor t = Zeros(shape);
  std::fill_n(t.data<float>(), t.numel(), value);
  return t;
}

Tensor Tensor::Scalar(float value) { return Full({}, value); }

Tensor Tensor::Arange(double start, double end, double step) {
  TT_CHECK(step != 0 && std::isfinite(step) && std::isfinite(start) && std::isfinite(end),
           "Tensor::Arange: invalid range start=", start, " end=", end, " step=", step);
  const double count = std::ceil((end - start) / step);
  TT_CHECK(count < 1e12, "Tensor::Arange: range start=", start, " end=", end, " step=", step,
           " is too long");
  const auto n = static_cast<int64_t>(std::max(0.0, count));
  Tensor t = Zeros({n});
  float* p = t.data<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(start + static_cast<double>(i) * step);
  return t;
}

namespace {

template <class T>
Tensor FromVector(std::vector<T> data, const Shape& shape) {
  const int64_t n = NumelOf(shape, "Tensor::FromData");
  TT_CHECK(static_cast<int64_t>(data.size()) == n, "Tensor::FromData: ", data.size(),
           " values do not fill shape ", shape, " (", n, " elements)");
  Tensor t = Tensor::Zeros(shape, DTypeOf<T>());
  std::copy(data.begin(), data.end(), t.data<T>());
  return t;
}

}  // namespace

Tensor Tensor::FromData(std::vector<float> data, const Shape& shape) {
  return FromVector(std::move(data), shape);
}

Tensor Tensor::FromData(std::vector<int64_t> data, const Shape& shape) {
  return FromVector(std::move(data), shape);
}

Tensor Tensor::RandN(const Shape& shape, Generator& gen, float mean, float stddev) {
  TT_CHECK(stddev >= 0 && std::isfinite(stddev) && std::isfinite(mean),
           "Tensor::RandN: invalid mean=", mean, " stddev=", stddev);
  Tensor t = Zeros(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(mean + stddev * gen.Normal());
  return t;
}

Tensor Tensor::Rand(const Shape& shape, Generator& gen, float low, float high) {
  TT_CHECK(low <= high && std::isfinite(low) && std::isfinite(high),
           "Tensor::Rand: invalid range [", low, ", ", high, ")");
  Tensor t = Zeros(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    p[i] = static_cast<float>(low + (static_cast<double>(high) - low) * gen.Uniform());
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Metadata and element access.

int64_t Tensor::numel() const {
  // With a zero size the other sizes' product may exceed int64 (only their strides must fit):
  // unsigned, it wraps harmlessly, and one pass serves both cases.
  uint64_t n = 1;
  bool empty = false;
  for (int64_t s : shape()) {
    empty |= s == 0;
    n *= static_cast<uint64_t>(s);
  }
  return empty ? 0 : static_cast<int64_t>(n);
}

int64_t Tensor::size(int64_t d) const { return shape()[NormalizeDim(d, dim(), "Tensor::size")]; }

bool Tensor::is_contiguous() const {
  const Shape& sh = shape();
  const Shape& st = strides();
  int64_t expected = 1;
  for (size_t i = sh.size(); i-- > 0;) {
    if (sh[i] == 1) continue;  // any stride is fine for a size-1 dim
    // A tensor with no element has none out of place, as in PyTorch; asked only on a mismatch,
    // so the common case pays nothing for it.
    if (st[i] != expected) return std::find(sh.begin(), sh.end(), 0) != sh.end();
    expected *= sh[i];
  }
  return true;
}

bool Tensor::SharesStorageWith(const Tensor& other) const {
  return defined() && other.defined() && storage() == other.storage();
}

float Tensor::item() const {
  TT_CHECK(numel() == 1, "Tensor::item: tensor of shape ", shape(), " has ", numel(),
           " elements, not 1");
  return *data<float>();
}

template <class T>
T& Tensor::at(std::initializer_list<int64_t> index) const {
  TT_CHECK(static_cast<int64_t>(index.size()) == dim(), "Tensor::at: ", index.size(),
           " indices for a tensor of shape ", shape());
  int64_t off = 0;
  int64_t d = 0;
  for (int64_t i : index) {
    const int64_t n = shape()[d];
    TT_CHECK(i >= -n && i < n, "Tensor::at: index ", i, " is out of range for dim ", d,
             " of shape ", shape());
    off += (i < 0 ? i + n : i) * strides()[d];
    ++d;
  }
  return data<T>()[off];
}

template float& Tensor::at<float>(std::initializer_list<int64_t>) const;
template int64_t& Tensor::at<int64_t>(std::initializer_list<int64_t>) const;
template int32_t& Tensor::at<int32_t>(std::initializer_list<int64_t>) const;
template int8_t& Tensor::at<int8_t>(std::initializer_list<int64_t>) const;

std::vector<float> Tensor::ToVector() const {
  internal::CheckFloat(*this, "Tensor::ToVector");
  const Tensor c = Contiguous();
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}

// ---------------------------------------------------------------------------------------------
// Views.

Tensor Tensor::View(const Shape& new_shape) const {
  TT_CHECK(is_contiguous(), "Tensor::View: tensor of shape ", shape(), " with strides ", strides(),
           " is not contiguous; use Reshape");
  Shape out = new_shape;
  const auto infer = std::find(out.begin(), out.end(), -1);
  if (infer != out.end()) {
    TT_CHECK(std::find(infer + 1, out.end(), -1) == out.end(),
             "Tensor::View: more than one -1 in shape ", new_shape);
    *infer = 1;
    const int64_t known = NumelOf(out, "Tensor::View");
    // With a 0 among the other sizes any value fits the -1: ambiguous, as PyTorch says.
    TT_CHECK(known != 0 && numel() % known == 0, "Tensor::View: cannot view shape ", shape(), " (",
             numel(), " elements) as ", new_shape, known == 0 ? ": the -1 could be any size" : "");
    *infer = numel() / known;
  }
  TT_CHECK(NumelOf(out, "Tensor::View") == numel(), "Tensor::View: cannot view shape ", shape(),
           " (", numel(), " elements) as ", new_shape);
  Tensor view = FromStorage(storage(), dtype(), out, ContiguousStrides(out), offset());
  if (NeedsGrad(*this)) {
    Attach(view, "View", {*this},
           [in = shape()](const Tensor& g) -> Grads { return {g.Reshape(in)}; });
  }
  return view;
}

Tensor Tensor::Reshape(const Shape& new_shape) const {
  return is_contiguous() ? View(new_shape) : Contiguous().View(new_shape);
}

Tensor Tensor::Transpose(int64_t dim0, int64_t dim1) const {
  const int64_t a = NormalizeDim(dim0, dim(), "Tensor::Transpose");
  const int64_t b = NormalizeDim(dim1, dim(), "Tensor::Transpose");
  Shape sh = shape(), st = strides();
  std::swap(sh[a], sh[b]);
  std::swap(st[a], st[b]);
  Tensor out = FromStorage(storage(), dtype(), sh, st, offset());
  if (NeedsGrad(*this)) {
    Attach(out, "Transpose", {*this},
           [a, b](const Tensor& g) -> Grads { return {g.Transpose(a, b)}; });
  }
  return out;
}

Tensor Tensor::Permute(const std::vector<int64_t>& dims) const {
  TT_CHECK(static_cast<int64_t>(dims.size()) == dim(), "Tensor::Permute: permutation ", dims,
           " does not match shape ", shape());
  Shape sh(dims.size()), st(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = NormalizeDim(dims[i], dim(), "Tensor::Permute");
    TT_CHECK(!seen[d], "Tensor::Permute: ", dims, " is not a permutation");
    seen[d] = true;
    sh[i] = shape()[d];
    st[i] = strides()[d];
  }
  Tensor out = FromStorage(storage(), dtype(), sh, st, offset());
  if (NeedsGrad(*this)) {
    std::vector<int64_t> inverse(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) inverse[NormalizeDim(dims[i], dim(), "Permute")] = i;
    Attach(out, "Permute", {*this},
           [inverse](const Tensor& g) -> Grads { return {g.Permute(inverse)}; });
  }
  return out;
}

Tensor Tensor::Slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = NormalizeDim(d, dim(), "Tensor::Slice");
  TT_CHECK(step > 0, "Tensor::Slice: step must be positive, got ", step);
  const int64_t n = shape()[d];
  step = std::min(step, std::max<int64_t>(n, 1));  // a longer step takes the same one element
  auto clamp = [n](int64_t i) { return std::clamp(i < 0 ? i + n : i, int64_t{0}, n); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  Shape sh = shape(), st = strides();
  sh[d] = (end - start + step - 1) / step;
  st[d] *= step;
  Tensor out = FromStorage(storage(), dtype(), sh, st, offset() + start * strides()[d]);
  if (NeedsGrad(*this)) {
    Attach(out, "Slice", {*this}, [in = shape(), d, start, end, step](const Tensor& g) -> Grads {
      Tensor full = Tensor::Zeros(in);
      full.Slice(d, start, end, step).CopyFrom(g);
      return {full};
    });
  }
  return out;
}

Tensor Tensor::Select(int64_t d, int64_t index) const {
  d = NormalizeDim(d, dim(), "Tensor::Select");
  const int64_t n = shape()[d];
  TT_CHECK(index >= -n && index < n, "Tensor::Select: index ", index, " is out of range for dim ",
           d, " of shape ", shape());
  if (index < 0) index += n;
  Shape sh = shape(), st = strides();
  sh.erase(sh.begin() + d);
  st.erase(st.begin() + d);
  Tensor out = FromStorage(storage(), dtype(), sh, st, offset() + index * strides()[d]);
  if (NeedsGrad(*this)) {
    Attach(out, "Select", {*this}, [in = shape(), d, index](const Tensor& g) -> Grads {
      Tensor full = Tensor::Zeros(in);
      full.Select(d, index).CopyFrom(g);
      return {full};
    });
  }
  return out;
}

Tensor Tensor::Unsqueeze(int64_t d) const {
  d = NormalizeDim(d, dim() + 1, "Tensor::Unsqueeze");
  Shape sh = shape(), st = strides();
  const int64_t stride = d < dim() ? strides()[d] * shape()[d] : 1;
  sh.insert(sh.begin() + d, 1);
  st.insert(st.begin() + d, stride);
  Tensor out = FromStorage(storage(), dtype(), sh, st, offset());
  if (NeedsGrad(*this)) {
    Attach(out, "Unsqueeze", {*this}, [d](const Tensor& g) -> Grads { return {g.Squeeze(d)}; });
  }
  return out;
}

Tensor Tensor::Squeeze(int64_t d) const {
  d = NormalizeDim(d, dim(), "Tensor::Squeeze");
  TT_CHECK(shape()[d] == 1, "Tensor::Squeeze: dim ", d, " of shape ", shape(), " is not 1");
  return Select(d, 0);
}

Tensor Tensor::Expand(const Shape& target) const {
  const Shape broadcast = BroadcastShapes(shape(), target, "Tensor::Expand");
  TT_CHECK(broadcast == target, "Tensor::Expand: shape ", shape(), " cannot be expanded to ",
           target);
  Tensor out =
      FromStorage(storage(), dtype(), target, internal::BroadcastStrides(*this, target), offset());
  if (NeedsGrad(*this)) {
    Attach(out, "Expand", {*this},
           [in = shape()](const Tensor& g) -> Grads { return {SumToShape(g, in)}; });
  }
  return out;
}

Tensor Tensor::Flatten() const { return Reshape({numel()}); }

Tensor Tensor::Contiguous() const { return is_contiguous() ? *this : Clone(); }

Tensor Tensor::Clone() const {
  // No zero-fill: CopyFrom writes every element. CopyFrom is never recorded; the node below is.
  Tensor out = internal::EmptyLike(shape(), dtype());
  out.CopyFrom(*this);
  if (NeedsGrad(*this)) Attach(out, "Clone", {*this}, [](const Tensor& g) -> Grads { return {g}; });
  return out;
}

Tensor& Tensor::Fill(float value) {
  internal::CheckFloat(*this, "Tensor::Fill");
  internal::CheckInPlace(*this, "Tensor::Fill");
  float* base = data<float>();
  const Shape& st = strides();
  internal::ForEachRow<1>(
      shape(), {&st},
      [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& inner) {
        for (int64_t i = 0; i < n; ++i) base[off[0] + i * inner[0]] = value;
      });
  return *this;
}

namespace {

template <class Word>
void CopyElements(const Tensor& dst, const Tensor& src, const Shape& src_strides) {
  Word* d = reinterpret_cast<Word*>(dst.storage()->data()) + dst.offset();
  const Word* s = reinterpret_cast<const Word*>(src.storage()->data()) + src.offset();
  const Shape& dst_strides = dst.strides();
  internal::ForEachRow<2>(
      dst.shape(), {&dst_strides, &src_strides},
      [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& inner) {
        Word* o = d + off[0];
        const Word* i = s + off[1];
        if (inner[0] == 1 && inner[1] == 1) {
          std::copy_n(i, n, o);
        } else {
          for (int64_t k = 0; k < n; ++k) o[k * inner[0]] = i[k * inner[1]];
        }
      });
}

}  // namespace

Tensor& Tensor::CopyFrom(const Tensor& src) {
  TT_CHECK(defined() && src.defined(), "Tensor::CopyFrom: undefined tensor");
  internal::CheckInPlace(*this, "Tensor::CopyFrom");
  TT_CHECK(dtype() == src.dtype(), "Tensor::CopyFrom: dtype ", DTypeName(src.dtype()), " into ",
           DTypeName(dtype()));
  const Shape out = BroadcastShapes(src.shape(), shape(), "Tensor::CopyFrom");
  TT_CHECK(out == shape(), "Tensor::CopyFrom: source shape ", src.shape(),
           " does not broadcast to destination shape ", shape());
  // A source that overlaps the destination is read from a private copy first.
  const Tensor from = SharesStorageWith(src) ? src.Clone() : src;
  const Shape src_strides = internal::BroadcastStrides(from, shape());
  switch (dtype()) {
    case DType::kFloat32:
      CopyElements<float>(*this, from, src_strides);
      break;
    case DType::kInt64:
      CopyElements<int64_t>(*this, from, src_strides);
      break;
    case DType::kInt32:
      CopyElements<int32_t>(*this, from, src_strides);
      break;
    case DType::kInt8:
      CopyElements<int8_t>(*this, from, src_strides);
      break;
  }
  return *this;
}

Tensor Stack(const std::vector<Tensor>& tensors) {
  TT_CHECK(!tensors.empty(), "Stack: no tensors");
  const Tensor& first = tensors.front();
  Shape shape = first.shape();
  shape.insert(shape.begin(), static_cast<int64_t>(tensors.size()));
  Tensor out = Tensor::Zeros(shape, first.dtype());
  for (size_t i = 0; i < tensors.size(); ++i) {
    TT_CHECK(tensors[i].shape() == first.shape() && tensors[i].dtype() == first.dtype(),
             "Stack: tensor ", i, " has shape ", tensors[i].shape(), " ",
             DTypeName(tensors[i].dtype()), ", tensor 0 has ", first.shape(), " ",
             DTypeName(first.dtype()));
    out.Select(0, static_cast<int64_t>(i)).CopyFrom(tensors[i]);
  }
  bool needs = false;
  for (const Tensor& t : tensors) needs = needs || NeedsGrad(t);
  if (needs) {
    Attach(out, "Stack", tensors, [n = tensors.size()](const Tensor& g) -> Grads {
      Grads grads;
      for (size_t i = 0; i < n; ++i) grads.push_back(g.Select(0, static_cast<int64_t>(i)));
      return grads;
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Autograd hooks.

bool Tensor::requires_grad() const { return impl().requires_grad; }

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  TT_CHECK(!requires_grad || dtype() == DType::kFloat32,
           "Tensor::set_requires_grad: only float32 tensors can require gradients, got ",
           DTypeName(dtype()));
  TT_CHECK(is_leaf(),
           "Tensor::set_requires_grad: only leaves can change it; this tensor was "
           "produced by ",
           grad_fn()->name());
  impl_->requires_grad = requires_grad;
  return *this;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl().grad_fn; }

}  // namespace tinytorch
