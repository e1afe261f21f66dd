// Module 15: int8 quantization. Tensors quantize symmetrically or asymmetrically, per tensor or
// per channel, with min/max or percentile calibration. QuantizedLinear and QuantizedConv2d store
// int8 weights and compute with an integer GEMM (u8 activations × s8 weights → exact int32 sums,
// AVX-512 VNNI / AVX2 / scalar by SetSimdLevel), then rescale to float32 outputs. Memory figures
// are the bytes of the stored buffers, scales and zero points included.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tinytorch/convolutions.h"
#include "tinytorch/layers.h"

namespace tinytorch {

namespace kernels {
struct PackedS8;      // src/kernels/gemm_int8.h
struct Int8Epilogue;  // src/kernels/gemm_int8.h
}  // namespace kernels

enum class QuantScheme : uint8_t {
  kSymmetric,   // scale = max|r| / 127, zero point 0, values in [-127, 127]
  kAsymmetric,  // scale = (max − min) / 255, values in [-128, 127], zero point maps 0.0 exactly
};
enum class Calibration : uint8_t {
  kMinMax,      // the full observed range
  kPercentile,  // clip outliers: the [100 − p, p] percentiles (of |x| when symmetric)
};

struct QuantOptions {
  QuantScheme scheme = QuantScheme::kSymmetric;
  bool per_channel = false;
  int64_t channel_axis = 0;  // for per_channel; the layers always use their output channels
  Calibration calibration = Calibration::kMinMax;
  double percentile = 99.99;  // for kPercentile, in (50, 100]
};

// A float range that always contains 0, so 0.0 (padding, ReLU zeros) quantizes exactly.
struct QuantRange {
  float min = 0.f, max = 0.f;
};
// The range `calibration` chooses for the values of x. Throws on an empty or non-finite tensor.
QuantRange CalibrateRange(const Tensor& x, Calibration calibration = Calibration::kMinMax,
                          double percentile = 99.99, bool symmetric = false);

struct QuantizedTensor {
  Tensor values;       // int8, the shape of the original
  Tensor scales;       // float32, (1) or (channels)
  Tensor zero_points;  // int32 like scales; undefined when symmetric (all 0, nothing stored)
  QuantScheme scheme = QuantScheme::kSymmetric;
  std::optional<int64_t> channel_axis;  // set when per channel
  int64_t bytes() const;                // storage of values, scales and zero points
};

// Throws on an empty or non-finite tensor, an invalid axis or percentile. An all-zero range gets
// scale 1 (every value quantizes to the zero point).
QuantizedTensor QuantizeInt8(const Tensor& x, const QuantOptions& options = {});
Tensor DequantizeInt8(const QuantizedTensor& q);

// The integer GEMM of the quantized layers on raw row-major buffers: c (m, n) int32 =
// a (m, k) uint8 @ wᵀ with w (n, k) int8, i.e. c[i, j] = Σ_p a[i, p]·w[j, p], exact for
// k ≤ 65,792. ActiveSimdLevel()'s kernel (AVX-512 VNNI, AVX2 or scalar), threaded when large.
void GemmInt8(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k);

// What the quantized layers share: int8 weights (out, k) with their scales and zero points, a
// float32 bias (as in PyTorch), the weights' row sums (int32, Σ_k w per output, which removes the
// input zero point without a second pass) and the activation range. Inputs are quantized per
// call from their own min/max (dynamic) unless a calibrated range was set. Inference only:
// nothing here is trainable.
class QuantizedLayer : public Module {
 public:
  void SetActivationRange(QuantRange range);  // static quantization of the inputs
  // Applies a ReLU to the outputs in the GEMM's epilogue, while they are in registers: the layer
  // then computes what it and a ReLULayer after it did, to the bit, without a pass of its own.
  void FuseReLU() { relu_ = true; }
  bool fused_relu() const { return relu_; }
  const QuantizedTensor& weight() const { return weight_; }
  int64_t WeightBytes() const { return weight_.bytes(); }

 protected:
  // Quantizes w (out, k) and registers the buffers weight, weight_scale, weight_zero_point
  // (asymmetric only), bias (when defined) and weight_row_sums.
  void InitWeights(const Tensor& w_out_k, const Tensor& bias, const QuantOptions& options,
                   const char* op);

  QuantizedTensor weight_;
  Tensor bias_, row_sums_;
  std::optional<QuantRange> activation_range_;
  bool relu_ = false;

  // The weights rearranged for the fused kernel and, with a static range, the range's fold.
  void StateLoaded() override;
  // weight_.values (out, k) with k in the order of the activations Product is given: as stored
  // for a Linear; a convolution's activations put channels last.
  virtual Tensor ProductWeights() const { return weight_.values; }

  // y (rows, out) row-major: the layer's product for u8 activation codes a (rows, k; rows lda
  // apart, as kernels::LinearU8S8 takes them) quantized with `scale` and `zero_point` (the call's,
  // or the static range's), the epilogue included.
  void Product(float* y, const uint8_t* a, int64_t lda, int64_t rows, float scale,
               int32_t zero_point) const;

 private:
  // The per-channel terms of the int8 GEMM's epilogue (kernels::Int8Epilogue) for one activation
  // scale and zero point, from the weights' scales, zero points and row sums.
  struct Fold;
  std::shared_ptr<const Fold> FoldFor(float scale, int32_t zero_point) const;
  kernels::Int8Epilogue EpilogueOf(const Fold& fold) const;  // with the bias and the fused ReLU
  void ActivationRangeChanged();

  // Derived from the state and the range, not part of the state: the weights rearranged once for
  // the product and its vector kernel, and with a static range, its fold (a dynamic range folds
  // per call).
  // Forward only reads them, so concurrent calls are safe.
  Tensor product_weights_;
  std::shared_ptr<const kernels::PackedS8> packed_;
  std::shared_ptr<const Fold> static_fold_;
};

// Linear with int8 weights: y = x @ W + b computed as Σ (x_u8 − z_x)(w_s8 − z_w) in int32,
// scaled by s_x·s_w, in one pass (the GEMM's epilogue applies the correction and the scale).
class QuantizedLinear : public QuantizedLayer {
 public:
  explicit QuantizedLinear(const Linear& linear, const QuantOptions& options = {});
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

 private:
  int64_t in_features_, out_features_;
};

// Conv2d with int8 weights (O, C·kh·kw): the input's codes laid out as rows of taps, channels
// last, then QuantizedLinear's fused product, its output written transposed into NCHW.
class QuantizedConv2d : public QuantizedLayer {
 public:
  explicit QuantizedConv2d(const Conv2d& conv, const QuantOptions& options = {});
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;
  // Max-pools the outputs while they are channels last, before the transpose into NCHW: the layer
  // then computes what it and `pool` after it did, to the bit (max is exact), and transposes a
  // quarter of the floats for 2×2 windows.
  void FuseMaxPool(const MaxPool2d& pool) {
    pool_ = FusedPool{pool.kernel(), pool.stride(), pool.padding()};
  }
  bool fused_pool() const { return pool_.has_value(); }

 protected:
  Tensor ProductWeights() const override;  // (O, kh·kw·C)

 private:
  int64_t in_channels_, out_channels_, kernel_, stride_, padding_;
  struct FusedPool {
    int64_t kernel, stride, padding;
  };
  std::optional<FusedPool> pool_;
};

struct QuantizeModelOptions {
  QuantOptions weights;
  Calibration activation_calibration = Calibration::kMinMax;
  double activation_percentile = 99.99;
};

// A new Sequential in which every Linear and Conv2d (nested Sequentials included) is replaced by
// its quantized twin; other layers are shared with `model`, which is left unchanged. A ReLULayer
// right after a Linear or Conv2d is fused into the quantized layer's epilogue (FuseReLU), and a
// MaxPool2d right after a Conv2d or its ReLU into the convolution (FuseMaxPool); an Identity takes
// each fused layer's place, as PyTorch's fuse_modules does: the outputs are the same bits. With
// calibration inputs (a defined tensor), the float model runs on them once and every quantized
// layer gets a static range from the inputs it saw; without, activations are quantized per call.
std::shared_ptr<Sequential> QuantizeModel(const Sequential& model,
                                          const QuantizeModelOptions& options = {},
                                          const Tensor& calibration_inputs = Tensor());

}  // namespace tinytorch
