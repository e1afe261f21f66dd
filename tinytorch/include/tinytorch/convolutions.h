// Module 09: convolutional layers on NCHW images. The functional ops (differentiable) do the work;
// the modules hold parameters and state. Output size along each spatial dim is
// (size + 2·padding − kernel) / stride + 1.
#pragma once

#include "tinytorch/layers.h"

namespace tinytorch {

// x (N, C, H, W), weight (O, C, kh, kw), bias (O) or undefined → (N, O, Ho, Wo).
// im2col + GEMM through the matmul backend; Convolve2dNaive is the direct 7-loop reference.
// Inference on 3×3 stride-1 layers of 16+ channels runs Winograd F(2×2, 3×3), whose transforms
// subtract inputs from each other: an infinite input gives NaN in the outputs it reaches where
// im2col (and training, and the reference) give ±inf. Finite inputs agree within float rounding.
Tensor Convolve2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride = 1,
                  int64_t padding = 0);
Tensor Convolve2dNaive(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       int64_t stride = 1, int64_t padding = 0);  // forward only

// Depthwise: x (N, C, H, W), weight (C, 1, kh, kw), bias (C) or undefined → (N, C, Ho, Wo), each
// channel convolved with its own filter (PyTorch's groups = C). With one input per output there is
// no reduction over channels for a GEMM to exploit, so the fast kernel runs direct loops over
// contiguous rows, threaded over planes; DepthwiseConvolve2dNaive is the direct reference.
Tensor DepthwiseConvolve2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           int64_t stride = 1, int64_t padding = 0);
Tensor DepthwiseConvolve2dNaive(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                int64_t stride = 1, int64_t padding = 0);  // forward only

// Pooling over kernel × kernel windows (stride defaults to the kernel). Max pooling pads with −∞
// and sends each window's gradient to its first maximum; average pooling counts padded zeros
// (PyTorch's count_include_pad=True).
Tensor MaxPool(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);
Tensor AvgPool(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);

// Batch normalisation over (N, H, W) per channel: (x − mean) / √(var + eps) · weight + bias.
// In training, batch statistics are used (biased variance) and the running ones, if given, are
// updated in place: r ← (1 − momentum)·r + momentum·batch, with the unbiased variance, as
// PyTorch does. In eval mode the running statistics are used.
Tensor BatchNormalize(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      Tensor running_mean, Tensor running_var, bool training, float momentum = 0.1f,
                      float eps = 1e-5f);

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen,
         int64_t stride = 1, int64_t padding = 0, bool bias = true, Init init = Init::kHeNormal);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  int64_t kernel() const { return kernel_; }
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }

 private:
  int64_t in_channels_, out_channels_, kernel_, stride_, padding_;
  Tensor weight_, bias_;
};

// One kernel × kernel filter per channel (MobileNet's and DS-CNN's depthwise layer).
class DepthwiseConv2d : public Module {
 public:
  DepthwiseConv2d(int64_t channels, int64_t kernel, Generator& gen, int64_t stride = 1,
                  int64_t padding = 0, bool bias = true, Init init = Init::kHeNormal);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  int64_t channels_, kernel_, stride_, padding_;
  Tensor weight_, bias_;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0)
      : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor Forward(const Tensor& x) override { return MaxPool(x, kernel_, stride_, padding_); }
  std::string ToString() const override;
  int64_t kernel() const { return kernel_; }
  int64_t stride() const { return stride_; }  // 0: the kernel's
  int64_t padding() const { return padding_; }

 private:
  int64_t kernel_, stride_, padding_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0)
      : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor Forward(const Tensor& x) override { return AvgPool(x, kernel_, stride_, padding_); }
  std::string ToString() const override;
  int64_t kernel() const { return kernel_; }

 private:
  int64_t kernel_, stride_, padding_;
};

// Parameters weight (1s) and bias (0s); buffers running_mean (0s) and running_var (1s).
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, float momentum = 0.1f, float eps = 1e-5f);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

 private:
  int64_t channels_;
  float momentum_, eps_;
  Tensor weight_, bias_, running_mean_, running_var_;
};

// (N, ...) → (N, product of the rest).
class Flatten : public Module {
 public:
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override { return "Flatten()"; }
};

}  // namespace tinytorch
