// Module 15: int8 quantization and the quantized layers.
#include "tinytorch/quantization.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <typeinfo>
#include <vector>

#include "convolution_internal.h"
#include "kernels/gemm_int8.h"
#include "kernels/pool.h"
#include "kernels/quantize.h"
#include "kernels/transpose.h"
#include "tensor_internal.h"

namespace tinytorch {

namespace {

// x packed, after checking it is a non-empty float32 tensor of finite values.
Tensor FiniteContiguous(const Tensor& x, const char* op) {
  internal::CheckFloat(x, op);
  TT_CHECK(x.numel() > 0, op, ": cannot quantize an empty tensor of shape ", x.shape());
  Tensor c = x.Contiguous();
  const float* p = c.data<float>();
  for (int64_t i = 0; i < c.numel(); ++i) {
    TT_CHECK(std::isfinite(p[i]), op, ": tensor of shape ", x.shape(), " has a non-finite value (",
             p[i], ") at flat index ", i);
  }
  return c;
}

// The q-th quantile (q in [0, 1]) of `values` by linear interpolation (NumPy's default).
float Quantile(std::vector<float> values, double q) {
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
  const float a = values[lo];
  const float b = hi == lo ? a
                           : *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1,
                                               values.end());
  return static_cast<float>(a + (pos - static_cast<double>(lo)) * (b - a));
}

// The range of p[0, n) (of |p| when symmetric) by `calibration`, widened to contain 0.
QuantRange RangeOf(const float* p, int64_t n, Calibration calibration, double percentile,
                   bool symmetric) {
  QuantRange r;
  if (calibration == Calibration::kMinMax) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = symmetric ? std::fabs(p[i]) : p[i];
      r = {std::min(r.min, v), std::max(r.max, v)};
    }
  } else {
    std::vector<float> v(p, p + n);
    if (symmetric) {
      for (float& e : v) e = std::fabs(e);
    }
    r = {symmetric ? 0.f : Quantile(v, 1.0 - percentile / 100.0), Quantile(v, percentile / 100.0)};
  }
  if (symmetric) r.min = -r.max;
  return {std::min(r.min, 0.f), std::max(r.max, 0.f)};
}

struct Affine {
  float scale;
  int32_t zero_point;
};

// A scale codes can be divided by: positive, with a finite reciprocal. A range of subnormal width
// gives one that is 0 or whose reciprocal is inf (0 · inf is NaN, and NaN's conversion to an
// integer is undefined; the vector kernels would clamp it to the top code instead). Such a range
// is taken as zero-wide: every value is within it of 0.
bool UsableScale(float scale) { return scale > 0.f && std::isfinite(1.f / scale); }

// Maps `range` onto int8: symmetric onto [-127, 127] around 0; asymmetric onto [-128, 127] with
// the zero point chosen so that 0.0 is exactly representable.
Affine AffineFor(QuantRange range, QuantScheme scheme) {
  if (scheme == QuantScheme::kSymmetric) {
    const float scale = std::max(-range.min, range.max) / 127.f;
    return {UsableScale(scale) ? scale : 1.f, 0};
  }
  const float scale = (range.max - range.min) / 255.f;
  if (!UsableScale(scale)) return {1.f, 0};
  const auto zp = static_cast<int32_t>(std::nearbyint(-128.f - range.min / scale));
  return {scale, std::clamp(zp, -128, 127)};
}

int8_t QuantizeValue(float v, Affine a, int lo, int hi) {
  const float q = std::nearbyint(v / a.scale) + static_cast<float>(a.zero_point);
  return static_cast<int8_t>(std::clamp(q, static_cast<float>(lo), static_cast<float>(hi)));
}

}  // namespace

QuantRange CalibrateRange(const Tensor& x, Calibration calibration, double percentile,
                          bool symmetric) {
  const Tensor c = FiniteContiguous(x, "CalibrateRange");
  TT_CHECK(percentile > 50.0 && percentile <= 100.0, "CalibrateRange: percentile ", percentile,
           " must be in (50, 100]");
  return RangeOf(c.data<float>(), c.numel(), calibration, percentile, symmetric);
}

int64_t QuantizedTensor::bytes() const {
  int64_t total = 0;
  for (const Tensor* t : {&values, &scales, &zero_points}) {
    if (t->defined()) total += t->numel() * static_cast<int64_t>(ElementSize(t->dtype()));
  }
  return total;
}

QuantizedTensor QuantizeInt8(const Tensor& x, const QuantOptions& options) {
  const char* op = "QuantizeInt8";
  const Tensor c = FiniteContiguous(x, op);
  TT_CHECK(options.percentile > 50.0 && options.percentile <= 100.0, op, ": percentile ",
           options.percentile, " must be in (50, 100]");
  const bool symmetric = options.scheme == QuantScheme::kSymmetric;
  // Channels are the slices along `axis`: outer × channels × inner in the packed layout.
  int64_t channels = 1, inner = c.numel(), outer = 1, axis = 0;
  if (options.per_channel) {
    axis = internal::NormalizeDim(options.channel_axis, x.dim(), op);
    channels = x.size(axis);
    for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
    inner = c.numel() / (outer * channels);
  }
  QuantizedTensor q;
  q.scheme = options.scheme;
  if (options.per_channel) q.channel_axis = axis;
  q.values = Tensor::Zeros(x.shape(), DType::kInt8);
  q.scales = Tensor::Zeros({channels});
  if (!symmetric) q.zero_points = Tensor::Zeros({channels}, DType::kInt32);
  const float* src = c.data<float>();
  int8_t* dst = q.values.data<int8_t>();
  const int lo = symmetric ? -127 : -128;
  for (int64_t ch = 0; ch < channels; ++ch) {
    // The channel's values for calibration: one block when it is contiguous (outer == 1, which
    // includes per-tensor), otherwise `outer` blocks of `inner` gathered into one.
    std::vector<float> gathered;
    const float* values = src + ch * inner;
    if (outer > 1) {
      gathered.reserve(static_cast<size_t>(outer * inner));
      for (int64_t o = 0; o < outer; ++o) {
        const float* block = src + (o * channels + ch) * inner;
        gathered.insert(gathered.end(), block, block + inner);
      }
      values = gathered.data();
    }
    const QuantRange range =
        RangeOf(values, outer * inner, options.calibration, options.percentile, symmetric);
    const Affine a = AffineFor(range, options.scheme);
    q.scales.data<float>()[ch] = a.scale;
    if (!symmetric) q.zero_points.data<int32_t>()[ch] = a.zero_point;
    for (int64_t o = 0; o < outer; ++o) {
      const int64_t base = (o * channels + ch) * inner;
      for (int64_t i = 0; i < inner; ++i) dst[base + i] = QuantizeValue(src[base + i], a, lo, 127);
    }
  }
  return q;
}

Tensor DequantizeInt8(const QuantizedTensor& q) {
  TT_CHECK(q.values.defined() && q.values.dtype() == DType::kInt8 && q.scales.defined(),
           "DequantizeInt8: not a quantized tensor (values must be int8 with scales)");
  // A QuantizedTensor may be built by hand or loaded: every part checked against the others.
  TT_CHECK(q.scales.dtype() == DType::kFloat32, "DequantizeInt8: scales must be float32");
  const Tensor v = q.values.Contiguous();
  const int64_t channels = q.scales.numel();
  TT_CHECK(!q.zero_points.defined() ||
               (q.zero_points.dtype() == DType::kInt32 && q.zero_points.numel() == channels),
           "DequantizeInt8: zero_points must be int32, one per scale (", channels, ")");
  int64_t outer = 1, inner = v.numel();
  if (q.channel_axis) {
    const int64_t axis = *q.channel_axis;
    TT_CHECK(axis >= 0 && axis < v.dim() && v.size(axis) == channels, "DequantizeInt8: ", channels,
             " scales do not match axis ", axis, " of values ", v.shape());
    if (v.numel() == 0) return internal::EmptyLike(v.shape());
    for (int64_t d = 0; d < axis; ++d) outer *= v.size(d);
    inner = v.numel() / (outer * channels);
  } else {
    TT_CHECK(channels == 1, "DequantizeInt8: per-tensor values need one scale, got ", channels);
  }
  Tensor out = internal::EmptyLike(v.shape());
  const int8_t* src = v.data<int8_t>();
  float* dst = out.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t ch = 0; ch < channels; ++ch) {
      const float scale = q.scales.data<float>()[ch];
      const int32_t zp = q.zero_points.defined() ? q.zero_points.data<int32_t>()[ch] : 0;
      const int64_t base = (o * channels + ch) * inner;
      for (int64_t i = 0; i < inner; ++i)
        dst[base + i] = scale * static_cast<float>(src[base + i] - zp);
    }
  }
  return out;
}

void GemmInt8(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k) {
  TT_CHECK(m >= 0 && n >= 0 && k >= 0 && k <= kernels::kMaxInt8Depth, "GemmInt8: sizes m=", m,
           ", n=", n, ", k=", k, " must be non-negative with k <= ", kernels::kMaxInt8Depth);
  kernels::GemmU8S8(c, a, w, m, n, k, ActiveSimdLevel());
}

// ---------------------------------------------------------------------------------------------
// The quantized layers share one path: quantize the activation matrix (rows × k) to u8, the int8
// GEMM against the (out, k) weights, and the affine correction
//   y[i, j] = s_x·s_w[j]·(Σ x_u8·w − z_x·Σ_k w[j] − z_w[j]·Σ_k x_u8[i] + k·z_x·z_w[j]) + b[j].

namespace {

struct ActivationQuant {
  float scale;
  int32_t zero_point;  // in [0, 255]
};

[[noreturn]] void ThrowNonFinite(const char* op, const float* x, int64_t at) {
  detail::Throw(op, ": input has a non-finite value (", x[at], ") at flat index ", at,
                "; int8 inputs must be finite");
}

// Quantization parameters for the activations x[0, n), which must be finite: a NaN would pass
// min/max unnoticed and its conversion to uint8 is undefined behaviour. A calibrated range needs
// no pass over x: QuantizeInto rejects non-finite values anyway.
ActivationQuant ActivationParams(const float* x, int64_t n, const std::optional<QuantRange>& fixed,
                                 const char* op) {
  QuantRange r;
  if (fixed) {
    r = *fixed;
  } else {
    const kernels::RangeScan scan = kernels::RangeWithZero(x, n, ActiveSimdLevel());
    if (scan.first_nonfinite >= 0) ThrowNonFinite(op, x, scan.first_nonfinite);
    r = {scan.min, scan.max};
  }
  const float scale = (r.max - r.min) / 255.f;
  if (!UsableScale(scale)) return {1.f, 0};
  return {scale, std::clamp(static_cast<int32_t>(std::nearbyint(-r.min / scale)), 0, 255)};
}

// The u8 codes of x[0, n) into `codes`; throws naming the first non-finite value. When x is a
// rearranged part of the layer's input (`input`, input_n values), the value named is the first
// non-finite one there, at its index there.
void QuantizeInto(uint8_t* codes, const float* x, int64_t n, ActivationQuant aq, const char* op,
                  const float* input, int64_t input_n) {
  const int64_t bad =
      kernels::QuantizeU8(codes, x, n, aq.scale, aq.zero_point, ActiveSimdLevel());
  if (bad < 0) return;
  if (x == input) ThrowNonFinite(op, x, bad);
  ThrowNonFinite(op, input, kernels::RangeWithZeroNaive(input, input_n).first_nonfinite);
}

// Per call: a buffer kept per thread would make the first forward on each thread look larger than
// the next in heap measurements (benchmark_runner's peak activation bytes). Not zero-filled first:
// every code is written, and the fill was 2.5% of the int8 MLP at batch 360.
std::unique_ptr<uint8_t[]> QuantizeInputs(const float* x, int64_t n, ActivationQuant aq,
                                          const char* op) {
  auto codes = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(n));
  QuantizeInto(codes.get(), x, n, aq, op, x, n);
  return codes;
}

std::string SchemeText(const QuantizedTensor& q) {
  return std::string(q.scheme == QuantScheme::kSymmetric ? "symmetric" : "asymmetric") +
         (q.channel_axis ? ", per-channel" : ", per-tensor");
}

}  // namespace

void QuantizedLayer::InitWeights(const Tensor& w_out_k, const Tensor& bias,
                                 const QuantOptions& options, const char* op) {
  const int64_t out = w_out_k.size(0), k = w_out_k.size(1);
  TT_CHECK(k <= kernels::kMaxInt8Depth, op, ": ", k,
           " inputs per output exceed the int8 GEMM's exact range (", kernels::kMaxInt8Depth, ")");
  QuantOptions o = options;
  o.channel_axis = 0;  // output channels
  weight_ = QuantizeInt8(w_out_k, o);
  row_sums_ = Tensor::Zeros({out}, DType::kInt32);
  const int8_t* w = weight_.values.data<int8_t>();
  for (int64_t j = 0; j < out; ++j) {
    int32_t s = 0;
    for (int64_t p = 0; p < k; ++p) s += w[j * k + p];
    row_sums_.data<int32_t>()[j] = s;
  }
  RegisterBuffer("weight", weight_.values);
  RegisterBuffer("weight_scale", weight_.scales);
  if (weight_.zero_points.defined()) RegisterBuffer("weight_zero_point", weight_.zero_points);
  if (bias.defined()) bias_ = RegisterBuffer("bias", bias.Detach().Clone());
  RegisterBuffer("weight_row_sums", row_sums_);
}

void QuantizedLayer::SetActivationRange(QuantRange range) {
  TT_CHECK(
      std::isfinite(range.min) && std::isfinite(range.max) && range.min <= 0.f && range.max >= 0.f,
      "SetActivationRange: range [", range.min, ", ", range.max, "] must be finite and contain 0 (",
      ToString(), ")");
  activation_range_ = range;
  ActivationRangeChanged();
}

QuantizedLinear::QuantizedLinear(const Linear& linear, const QuantOptions& options)
    : in_features_(linear.in_features()), out_features_(linear.out_features()) {
  InitWeights(linear.weight().Detach().Transpose(0, 1).Contiguous(), linear.bias(), options,
              "QuantizedLinear");
  StateLoaded();
}

void QuantizedLayer::StateLoaded() {
  product_weights_ = ProductWeights();
  packed_ = std::make_shared<const kernels::PackedS8>(kernels::PackS8(
      product_weights_.data<int8_t>(), product_weights_.size(0), product_weights_.size(1)));
  ActivationRangeChanged();  // the fold depends on the weights' scales and row sums too
}

// The activation's scale and zero point folded into per-channel terms (see kernels::Int8Epilogue).
struct QuantizedLayer::Fold {
  std::vector<float> scale;
  std::vector<int64_t> offset;
  std::vector<int32_t> weight_zero;  // empty for symmetric weights
};

kernels::Int8Epilogue QuantizedLayer::EpilogueOf(const Fold& fold) const {
  return {fold.scale.data(), fold.offset.data(),
          fold.weight_zero.empty() ? nullptr : fold.weight_zero.data(),
          bias_.defined() ? bias_.data<float>() : nullptr, relu_};
}

std::shared_ptr<const QuantizedLayer::Fold> QuantizedLayer::FoldFor(float scale,
                                                                    int32_t zero_point) const {
  const int64_t n = weight_.values.size(0), k = weight_.values.size(1);
  const float* s_w = weight_.scales.data<float>();
  const bool per_channel = weight_.scales.numel() > 1;
  const int32_t* zw = weight_.zero_points.defined() ? weight_.zero_points.data<int32_t>() : nullptr;
  const int32_t* row_sums = row_sums_.data<int32_t>();
  auto fold = std::make_shared<Fold>();
  fold->scale.resize(static_cast<size_t>(n));
  fold->offset.resize(static_cast<size_t>(n));
  fold->weight_zero.resize(zw ? static_cast<size_t>(n) : 0);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t z = zw ? zw[per_channel ? j : 0] : 0;
    fold->scale[static_cast<size_t>(j)] = scale * s_w[per_channel ? j : 0];
    fold->offset[static_cast<size_t>(j)] =
        -int64_t{zero_point} * row_sums[j] + k * int64_t{zero_point} * z;
    if (zw) fold->weight_zero[static_cast<size_t>(j)] = static_cast<int32_t>(z);
  }
  return fold;
}

// Folded once per range rather than per call.
void QuantizedLayer::ActivationRangeChanged() {
  if (!activation_range_ || !packed_) return;
  const ActivationQuant aq = ActivationParams(nullptr, 0, activation_range_, "QuantizedLayer");
  static_fold_ = FoldFor(aq.scale, aq.zero_point);
}

void QuantizedLayer::Product(float* y, const uint8_t* a, int64_t lda, int64_t rows, float scale,
                             int32_t zero_point) const {
  const std::shared_ptr<const Fold> fold =
      activation_range_ ? static_fold_ : FoldFor(scale, zero_point);
  const int64_t k = weight_.values.size(1);
  const SimdLevel isa = ActiveSimdLevel();
  // The kernel's scratch: on the stack when small (a tensor costs ~200 ns, a quarter of the
  // digits MLP's time at batch 1), else from the tensors' block cache (LinearU8S8 says why not the
  // heap).
  const int64_t scratch_bytes = kernels::LinearU8S8ScratchBytes(rows, k, lda, isa);
  alignas(64) std::byte small[4096];
  Tensor large;
  std::byte* scratch = small;
  if (scratch_bytes > static_cast<int64_t>(sizeof small)) {
    large = internal::EmptyLike({scratch_bytes}, DType::kInt8);
    scratch = reinterpret_cast<std::byte*>(large.data<int8_t>());
  }
  kernels::LinearU8S8(y, a, lda, product_weights_.data<int8_t>(), *packed_, rows, EpilogueOf(*fold),
                      isa, scratch);
}

Tensor QuantizedLinear::Forward(const Tensor& x) {
  const char* op = "QuantizedLinear";
  internal::CheckFloat(x, op);
  TT_CHECK(x.dim() >= 1 && x.size(-1) == in_features_, op, ": input ", x.shape(),
           " must end in in_features=", in_features_);
  const Tensor xc = x.Contiguous();
  const float* px = xc.data<float>();
  const ActivationQuant aq = ActivationParams(px, xc.numel(), activation_range_, op);
  const std::unique_ptr<uint8_t[]> a = QuantizeInputs(px, xc.numel(), aq, op);
  Shape out_shape = x.shape();
  out_shape.back() = out_features_;
  Tensor out = internal::EmptyLike(out_shape);
  Product(out.data<float>(), a.get(), in_features_, xc.numel() / in_features_, aq.scale,
          aq.zero_point);
  return out;
}

std::string QuantizedLinear::ToString() const {
  return "QuantizedLinear(in_features=" + std::to_string(in_features_) +
         ", out_features=" + std::to_string(out_features_) + ", int8 " + SchemeText(weight_) +
         (relu_ ? ", ReLU fused" : "") + ")";
}

QuantizedConv2d::QuantizedConv2d(const Conv2d& conv, const QuantOptions& options) {
  const Tensor w = conv.weight().Detach();  // (O, C, kh, kw)
  out_channels_ = w.size(0);
  in_channels_ = w.size(1);
  kernel_ = w.size(2);
  stride_ = conv.stride();
  padding_ = conv.padding();
  InitWeights(w.Reshape({out_channels_, in_channels_ * kernel_ * kernel_}), conv.bias(), options,
              "QuantizedConv2d");
  StateLoaded();
}

// (O, C, kh, kw) → (O, kh, kw, C): the order of Im2RowU8's taps. The int32 sums are exact, so
// the order changes no output bit.
Tensor QuantizedConv2d::ProductWeights() const {
  const int64_t taps = kernel_ * kernel_;
  Tensor t = Tensor::Zeros({out_channels_, taps * in_channels_}, DType::kInt8);
  const int8_t* w = weight_.values.data<int8_t>();
  int8_t* d = t.data<int8_t>();
  for (int64_t o = 0; o < out_channels_; ++o) {
    for (int64_t c = 0; c < in_channels_; ++c) {
      for (int64_t tap = 0; tap < taps; ++tap) {
        d[(o * taps + tap) * in_channels_ + c] = w[(o * in_channels_ + c) * taps + tap];
      }
    }
  }
  return t;
}

// The input quantized once, channels last; its codes laid out as the activation matrix
// (images · P, K) by Im2RowU8, with padding as the zero point (the code of 0.0, so the codes are
// those of the float im2col matrix, taps in (i, j, c) order); the fused product (images · P, O),
// max-pooled while channels last when a pool is fused, then written transposed into NCHW (O, P).
// Images go through in chunks of about 1 MiB of rows, which bounds the buffers whatever the batch;
// one product threads over a chunk's rows.
Tensor QuantizedConv2d::Forward(const Tensor& x) {
  const char* op = "QuantizedConv2d";
  const internal::Geometry g = internal::Check(op, x, kernel_, kernel_, stride_, padding_);
  TT_CHECK(g.c == in_channels_, op, ": input ", x.shape(), " has ", g.c, " channels, expected ",
           in_channels_);
  const Tensor xc = x.Contiguous();
  const float* px = xc.data<float>();
  const int64_t kdim = g.cols(), positions = g.positions(), image_in = g.c * g.h * g.w;
  const ActivationQuant aq = ActivationParams(px, xc.numel(), activation_range_, op);
  // A fused pool: its windows over the product's channels-last planes, checked as MaxPool checks.
  std::optional<kernels::ChannelsLastPool> window;
  int64_t out_positions = positions;
  if (pool_) {
    const internal::Geometry pg = internal::MaxPoolGeometry(
        "QuantizedConv2d's fused MaxPool2d", {g.n, out_channels_, g.ho, g.wo}, pool_->kernel,
        pool_->stride, pool_->padding);
    window = {g.ho, g.wo, out_channels_, pg.kh, pg.stride, pg.pad, pg.ho, pg.wo};
    out_positions = pg.positions();
  }
  Tensor out = window ? internal::EmptyLike({g.n, out_channels_, window->ho, window->wo})
                      : internal::EmptyLike({g.n, out_channels_, g.ho, g.wo});
  if (g.n == 0) return out;
  // Rows at the stride the int8 kernel reads in place: no padded copy of them.
  const SimdLevel isa = ActiveSimdLevel();
  const int64_t lda = kernels::LinearU8S8RowStride(kdim, isa);
  const int64_t chunk =
      std::clamp<int64_t>((int64_t{1} << 20) / std::max<int64_t>(1, positions * lda), 1, g.n);
  const Tensor rows = internal::EmptyLike({chunk * positions * lda}, DType::kInt8);
  const Tensor product = internal::EmptyLike({chunk * positions * out_channels_});
  auto* a = reinterpret_cast<uint8_t*>(rows.data<int8_t>());
  float* y = product.data<float>();
  // Each chunk quantized channels last, Im2RowU8's order: quantizing is elementwise, and
  // transposing floats takes vector shuffles where transposing codes took a load and a store per
  // byte.
  const auto chunk_in = static_cast<size_t>(chunk * image_in);
  const auto codes = std::make_unique_for_overwrite<uint8_t[]>(chunk_in);
  std::unique_ptr<float[]> channels_last, pooled;
  if (g.c > 1) channels_last = std::make_unique_for_overwrite<float[]>(chunk_in);
  if (window) {
    pooled = std::make_unique_for_overwrite<float[]>(
        static_cast<size_t>(chunk * out_positions * out_channels_));
  }
  for (int64_t first = 0; first < g.n; first += chunk) {
    const int64_t images = std::min(chunk, g.n - first);
    const float* images_in = px + first * image_in;
    if (channels_last) {
      for (int64_t i = 0; i < images; ++i) {
        kernels::Transpose(channels_last.get() + i * image_in, images_in + i * image_in, g.c,
                           g.h * g.w, isa);
      }
      images_in = channels_last.get();
    }
    QuantizeInto(codes.get(), images_in, images * image_in, aq, op, px, xc.numel());
    internal::Im2RowU8(a, lda, codes.get(), images, g, static_cast<uint8_t>(aq.zero_point));
    Product(y, a, lda, images * positions, aq.scale, aq.zero_point);
    const float* result = y;
    if (window) {
      kernels::MaxPoolChannelsLast(pooled.get(), y, images, *window, isa);
      result = pooled.get();
    }
    for (int64_t i = 0; i < images; ++i) {
      kernels::Transpose(out.data<float>() + (first + i) * out_channels_ * out_positions,
                         result + i * out_positions * out_channels_, out_positions, out_channels_,
                         isa);
    }
  }
  return out;
}

std::string QuantizedConv2d::ToString() const {
  return "QuantizedConv2d(" + std::to_string(in_channels_) + ", " + std::to_string(out_channels_) +
         ", kernel=" + std::to_string(kernel_) + ", stride=" + std::to_string(stride_) +
         ", padding=" + std::to_string(padding_) + ", int8 " + SchemeText(weight_) +
         (relu_ ? ", ReLU fused" : "") +
         (pool_
              ? ", " + MaxPool2d(pool_->kernel, pool_->stride, pool_->padding).ToString() + " fused"
              : "") +
         ")";
}

// ---------------------------------------------------------------------------------------------

namespace {

// Builds the quantized copy of `model`; `inputs` (possibly undefined) is what flows into it.
std::shared_ptr<Sequential> QuantizeSequential(const Sequential& model,
                                               const QuantizeModelOptions& options, Tensor inputs) {
  auto out = std::make_shared<Sequential>();
  const auto& layers = model.layers();
  // The exact type: a subclass may do more than a ReLU or a pool.
  const auto is = [&layers](size_t i, const std::type_info& type) {
    return i < layers.size() && typeid(*layers[i]) == type;
  };
  size_t fused = 0;  // how many of the next layers the last quantized layer applies itself
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::shared_ptr<Module>& layer = layers[i];
    const Tensor next = inputs.defined() ? layer->Forward(inputs) : Tensor();
    std::shared_ptr<QuantizedLayer> q;
    if (const auto* linear = dynamic_cast<const Linear*>(layer.get())) {
      q = std::make_shared<QuantizedLinear>(*linear, options.weights);
    } else if (const auto* conv = dynamic_cast<const Conv2d*>(layer.get())) {
      auto qconv = std::make_shared<QuantizedConv2d>(*conv, options.weights);
      const size_t pool_at = is(i + 1, typeid(ReLULayer)) ? i + 2 : i + 1;
      if (is(pool_at, typeid(MaxPool2d))) {
        qconv->FuseMaxPool(static_cast<const MaxPool2d&>(*layers[pool_at]));
        fused = pool_at - i;
      }
      q = qconv;
    }
    if (q) {
      if (inputs.defined()) {
        q->SetActivationRange(CalibrateRange(inputs, options.activation_calibration,
                                             options.activation_percentile));
      }
      if (is(i + 1, typeid(ReLULayer))) {
        q->FuseReLU();
        fused = std::max<size_t>(fused, 1);
      }
      out->Add(q);
      inputs = next;
      continue;
    }
    if (fused > 0) {
      out->Add(std::make_shared<Identity>());
      --fused;
    } else if (const auto* inner = dynamic_cast<const Sequential*>(layer.get())) {
      out->Add(QuantizeSequential(*inner, options, inputs));
    } else {
      out->Add(layer);
    }
    inputs = next;
  }
  return out;
}

}  // namespace

std::shared_ptr<Sequential> QuantizeModel(const Sequential& model,
                                          const QuantizeModelOptions& options,
                                          const Tensor& calibration_inputs) {
  const NoGradGuard no_grad;
  return QuantizeSequential(model, options, calibration_inputs);
}

}  // namespace tinytorch
