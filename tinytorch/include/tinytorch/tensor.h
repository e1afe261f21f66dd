// Module 01: the N-d Tensor. A Tensor is a cheap handle (copies share everything, like libtorch);
// views share storage but have their own shape, strides and offset; Clone() is the one deep copy.
// Math lives in free functions and operators; views and reductions are methods.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/error.h"

namespace tinytorch {

// ---------------------------------------------------------------------------------------------
// Element types. Float32 is the compute type; the integer types carry indices (Int64) and
// quantized data (Int8, Int32 accumulators). Ops that need float32 say so in their error.
enum class DType : uint8_t { kFloat32, kInt64, kInt32, kInt8 };

size_t ElementSize(DType dtype);
const char* DTypeName(DType dtype);

template <class T>
constexpr DType DTypeOf();
template <>
constexpr DType DTypeOf<float>() {
  return DType::kFloat32;
}
template <>
constexpr DType DTypeOf<int64_t>() {
  return DType::kInt64;
}
template <>
constexpr DType DTypeOf<int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType DTypeOf<int8_t>() {
  return DType::kInt8;
}

using Shape = std::vector<int64_t>;

// ---------------------------------------------------------------------------------------------
// Storage: one 64-byte aligned buffer (a cache line; enough for AVX-512 loads), zero-filled unless
// the caller is about to overwrite every byte. Every allocation is counted, so memory claims are
// measured on real buffers, never estimated.
class Storage {
 public:
  explicit Storage(size_t bytes, bool zero_fill = true);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  std::byte* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  std::byte* data_;
  size_t bytes_;
};

// Process-wide counters of tensor storage, in bytes. Thread-safe.
struct StorageStats {
  int64_t live_bytes = 0;
  int64_t peak_bytes = 0;  // highest live_bytes since start or the last ResetStoragePeak()
  int64_t total_allocated_bytes = 0;
  int64_t allocations = 0;
  int64_t cached_bytes = 0;  // freed blocks kept for reuse; not live
};
StorageStats GetStorageStats();
void ResetStoragePeak();  // peak_bytes := live_bytes
// Freed blocks are kept for reuse by a later tensor of the same size, up to this many bytes in
// total (1 GiB initially; 0 under AddressSanitizer); 0 frees them all and turns the cache off,
// as a heap measurement needs (a block taken from the cache is no allocation it can see).
// Returns the previous limit.
int64_t SetStorageCacheLimit(int64_t bytes);

// ---------------------------------------------------------------------------------------------
// Generator: an explicit, seeded random stream (xoshiro256**, seeded through splitmix64) with its
// own uniform and normal conversions, so a seed gives the same numbers on every platform (the
// standard library's distributions are implementation-defined). Not copyable: two copies silently
// producing the same "random" numbers is a classic bug. Fork() gives an independent stream.
class Generator {
 public:
  explicit Generator(uint64_t seed);
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  Generator(Generator&&) = default;
  Generator& operator=(Generator&&) = default;

  uint64_t NextU64();
  double Uniform();  // [0, 1) with 53 random bits
  double Normal();   // standard normal, Box–Muller
  Generator Fork();

 private:
  uint64_t s_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

// ---------------------------------------------------------------------------------------------
class Node;  // autograd graph node, defined by the autograd module (06)
struct TensorImpl;
namespace internal {
struct TensorAccess;  // lets op implementations attach autograd nodes
}

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor; most uses throw

  // Creation. Shapes may contain 0 (empty tensors); negative sizes throw.
  static Tensor Zeros(const Shape& shape, DType dtype = DType::kFloat32);
  static Tensor Ones(const Shape& shape);
  static Tensor Full(const Shape& shape, float value);
  static Tensor Scalar(float value);  // 0-d tensor
  // [start, end) in steps of `step`, like torch.arange; the count is ceil((end - start) / step).
  static Tensor Arange(double start, double end, double step = 1.0);
  // `data` in row-major order; its size must equal the shape's element count.
  static Tensor FromData(std::vector<float> data, const Shape& shape);
  static Tensor FromData(std::vector<int64_t> data, const Shape& shape);
  static Tensor RandN(const Shape& shape, Generator& gen, float mean = 0.f, float stddev = 1.f);
  static Tensor Rand(const Shape& shape, Generator& gen, float low = 0.f, float high = 1.f);

  // Metadata.
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;  // in elements
  int64_t offset() const;        // in elements, into storage
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t numel() const;
  int64_t size(int64_t dim) const;  // negative dims count from the end
  DType dtype() const;
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;
  bool SharesStorageWith(const Tensor& other) const;

  // Element access. data<T>() points at the first element (offset applied) and checks the dtype.
  template <class T>
  T* data() const;
  float item() const;  // the value of a one-element tensor
  template <class T = float>
  T& at(std::initializer_list<int64_t> index) const;  // bounds-checked, negative indices allowed
  std::vector<float> ToVector() const;                // row-major copy of a float32 tensor

  // Views: share storage with *this.
  Tensor View(const Shape& shape) const;     // needs a contiguous tensor; one dim may be -1
  Tensor Reshape(const Shape& shape) const;  // a view when possible, else a contiguous copy
  Tensor Transpose(int64_t dim0, int64_t dim1) const;
  Tensor Permute(const std::vector<int64_t>& dims) const;
  // Elements start, start+step, ... < end along `dim`; start/end are clamped like Python slices.
  Tensor Slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor Select(int64_t dim, int64_t index) const;  // removes `dim`
  Tensor Unsqueeze(int64_t dim) const;
  Tensor Squeeze(int64_t dim) const;        // `dim` must have size 1
  Tensor Expand(const Shape& shape) const;  // broadcast view (stride 0), numpy rules
  Tensor Flatten() const;                   // 1-d, a view when contiguous

  Tensor Contiguous() const;  // *this when already contiguous, else a packed copy
  Tensor Clone() const;       // deep copy with fresh storage

  // In-place writes through the shared storage (every handle and view sees them).
  Tensor& Fill(float value);
  Tensor& CopyFrom(const Tensor& src);  // src is broadcast to this shape; same dtype
  Tensor& operator+=(const Tensor& other);
  Tensor& operator-=(const Tensor& other);
  Tensor& operator*=(const Tensor& other);
  Tensor& operator/=(const Tensor& other);
  Tensor& operator+=(float value);
  Tensor& operator-=(float value);
  Tensor& operator*=(float value);
  Tensor& operator/=(float value);

  // Reductions. The axis form removes `axis` unless keepdims; the full form returns a 0-d tensor.
  // As in PyTorch, the sum over nothing is 0 and the mean NaN; Max, Min and Argmax over an empty
  // dim (or of an empty tensor) throw. A reduction over a non-empty dim of an empty tensor is
  // empty. Max/Min/Argmax propagate NaN like PyTorch. Argmax returns int64 (the first maximal
  // index).
  Tensor Sum() const;
  Tensor Sum(int64_t axis, bool keepdims = false) const;
  Tensor Mean() const;
  Tensor Mean(int64_t axis, bool keepdims = false) const;
  Tensor Max() const;
  Tensor Max(int64_t axis, bool keepdims = false) const;
  Tensor Min() const;
  Tensor Min(int64_t axis, bool keepdims = false) const;
  Tensor Argmax() const;
  Tensor Argmax(int64_t axis, bool keepdims = false) const;

  // Autograd (module 06, autograd.h). A leaf is a tensor no recorded op produced.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool requires_grad);  // only on float32 leaves
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const { return grad_fn() == nullptr; }
  // The gradient accumulated into this leaf by Backward(); undefined until then.
  Tensor grad() const;
  void set_grad(const Tensor& grad);  // shape must match; undefined clears it
  void ZeroGrad() { set_grad(Tensor()); }
  // Reverse-mode differentiation from this tensor. The no-argument form needs a one-element
  // tensor (its gradient is 1); the other takes the upstream gradient, shaped like this tensor.
  // Gradients accumulate (+=) into every leaf that requires grad.
  void Backward() const;
  void Backward(const Tensor& grad_output) const;
  // A tensor sharing this one's storage, outside the graph (no grad_fn, no requires_grad).
  Tensor Detach() const;

  // Low-level: a tensor over existing storage. Throws if the view would reach outside it.
  static Tensor FromStorage(std::shared_ptr<Storage> storage, DType dtype, Shape shape,
                            Shape strides, int64_t offset);

 private:
  friend struct internal::TensorAccess;
  const TensorImpl& impl() const;
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;
  DType dtype = DType::kFloat32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;
  Tensor grad;  // leaves only
};

// ---------------------------------------------------------------------------------------------
// Elementwise math (float32). Binary ops broadcast with numpy rules and honour strides.
Tensor Add(const Tensor& a, const Tensor& b);
Tensor Sub(const Tensor& a, const Tensor& b);
Tensor Mul(const Tensor& a, const Tensor& b);
Tensor Div(const Tensor& a, const Tensor& b);
Tensor Pow(const Tensor& base, const Tensor& exponent);
Tensor Pow(const Tensor& base, float exponent);
Tensor Maximum(const Tensor& a, const Tensor& b);
Tensor Minimum(const Tensor& a, const Tensor& b);
Tensor Neg(const Tensor& x);
Tensor Exp(const Tensor& x);
Tensor Log(const Tensor& x);
Tensor Log1p(const Tensor& x);  // log(1 + x), accurate for tiny x
Tensor Sqrt(const Tensor& x);
Tensor Abs(const Tensor& x);
Tensor Clamp(const Tensor& x, float min, float max);  // throws if min > max

// Comparisons return a float32 mask of 0s and 1s, which keeps mask arithmetic (x * mask) direct.
Tensor Eq(const Tensor& a, const Tensor& b);
Tensor Ne(const Tensor& a, const Tensor& b);
Tensor Lt(const Tensor& a, const Tensor& b);
Tensor Le(const Tensor& a, const Tensor& b);
Tensor Gt(const Tensor& a, const Tensor& b);
Tensor Ge(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, float b);
Tensor operator-(const Tensor& a, float b);
Tensor operator*(const Tensor& a, float b);
Tensor operator/(const Tensor& a, float b);
Tensor operator+(float a, const Tensor& b);
Tensor operator-(float a, const Tensor& b);
Tensor operator*(float a, const Tensor& b);
Tensor operator/(float a, const Tensor& b);

// Joins tensors of one shape and dtype along a new leading dim: (n, *shape). Differentiable.
Tensor Stack(const std::vector<Tensor>& tensors);

// The broadcast shape of two shapes (numpy rules); throws naming `op` and both shapes.
Shape BroadcastShapes(const Shape& a, const Shape& b, const char* op);

// ---------------------------------------------------------------------------------------------
// Matrix multiplication with torch.matmul semantics: 1-d operands are promoted and the added dim
// removed; leading (batch) dims broadcast. Float32 only.
// The backends are module 17's ladder (acceleration.h); every one gives the naive result up to
// float rounding.
enum class MatMulBackend : uint8_t {
  kNaive,      // ijk triple loop, the reference every fast kernel is tested against
  kReordered,  // ikj: unit-stride inner loop
  kBlocked,    // ikj over cache tiles
  kSimd,       // packed panels + register-blocked AVX2/AVX-512 micro-kernel, one thread
  kThreaded,   // kSimd on every core
  kOpenBlas,   // cblas_sgemm from Debian's OpenBLAS
  kCount       // not a backend: the number of backends, which matmul.cc's table must match
};
namespace detail {
constexpr auto AllMatMulBackends() {
  std::array<MatMulBackend, static_cast<size_t>(MatMulBackend::kCount)> all{};
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<MatMulBackend>(i);
  return all;
}
}  // namespace detail
inline constexpr auto kAllMatMulBackends = detail::AllMatMulBackends();  // in enum order
const char* MatMulBackendName(MatMulBackend backend);  // "invalid" for a value that is none
// The backend MatMul(a, b) uses, chosen per machine and per shape class (DefaultMatMulChoice in
// acceleration.h says how); Set... overrides it process-wide for every shape.
void SetDefaultMatMulBackend(MatMulBackend backend);
MatMulBackend DefaultMatMulBackend();  // the one for large products

Tensor MatMul(const Tensor& a, const Tensor& b);
Tensor MatMul(const Tensor& a, const Tensor& b, MatMulBackend backend);

// ---------------------------------------------------------------------------------------------
// Comparison helpers for tests and validation: |a - b| <= atol + rtol * |b| elementwise, shapes
// equal; NaN equals NaN only when both are NaN at the same place.
bool AllClose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);
double MaxAbsDiff(const Tensor& a, const Tensor& b);  // shapes must match

// Printing, PyTorch-like; tensors over 1000 elements show `edge_items` at each end of each dim.
std::string ToString(const Tensor& t, int precision = 4, int64_t edge_items = 3);
std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---------------------------------------------------------------------------------------------
// Inline accessors.
inline const TensorImpl& Tensor::impl() const {
  TT_CHECK(impl_ != nullptr, "Tensor: use of an undefined tensor");
  return *impl_;
}
inline const Shape& Tensor::shape() const { return impl().shape; }
inline const Shape& Tensor::strides() const { return impl().strides; }
inline int64_t Tensor::offset() const { return impl().offset; }
inline DType Tensor::dtype() const { return impl().dtype; }
inline const std::shared_ptr<Storage>& Tensor::storage() const { return impl().storage; }

template <class T>
T* Tensor::data() const {
  const TensorImpl& i = impl();
  TT_CHECK(i.dtype == DTypeOf<T>(), "Tensor::data: tensor has dtype ", DTypeName(i.dtype),
           ", requested ", DTypeName(DTypeOf<T>()));
  return reinterpret_cast<T*>(i.storage->data()) + i.offset;
}

}  // namespace tinytorch
