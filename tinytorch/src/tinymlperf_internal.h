// What the TinyMLPerf sources share: the audio format of keyword_spotting (the MFCC front end's
// input and the synthetic clips), the random range the two synthetic data sets draw from, and the
// depthwise-separable block that DS-CNN and MobileNetV1 are built from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tinytorch/activations.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/layers.h"
#include "tinytorch/tensor.h"

namespace tinytorch::detail {

// One second of 16 kHz audio per row.
inline constexpr int64_t kSampleRate = 16000, kSamples = 16000;

// Uniform in [lo, hi).
inline double Between(Generator& gen, double lo, double hi) {
  return lo + (hi - lo) * gen.Uniform();
}

// Depthwise 3×3 → BN → ReLU → pointwise 1×1 → BN → ReLU (the convolutions have no bias: the
// batch norm's shift replaces it).
class DepthwiseSeparable : public Module {
 public:
  DepthwiseSeparable(int64_t in, int64_t out, int64_t stride, Generator& gen)
      : in_(in), out_(out), stride_(stride) {
    depthwise_ = RegisterModule("depthwise",
                                std::make_shared<DepthwiseConv2d>(in, 3, gen, stride, 1, false));
    bn1_ = RegisterModule("bn1", std::make_shared<BatchNorm2d>(in));
    pointwise_ =
        RegisterModule("pointwise", std::make_shared<Conv2d>(in, out, 1, gen, 1, 0, false));
    bn2_ = RegisterModule("bn2", std::make_shared<BatchNorm2d>(out));
  }
  Tensor Forward(const Tensor& x) override {
    return Relu(bn2_->Forward(pointwise_->Forward(Relu(bn1_->Forward(depthwise_->Forward(x))))));
  }
  std::string ToString() const override {
    return "DepthwiseSeparable(" + std::to_string(in_) + ", " + std::to_string(out_) +
           ", stride=" + std::to_string(stride_) + ")";
  }

 private:
  int64_t in_, out_, stride_;
  std::shared_ptr<DepthwiseConv2d> depthwise_;
  std::shared_ptr<Conv2d> pointwise_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
};

}  // namespace tinytorch::detail
