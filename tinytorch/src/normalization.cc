// Module 09: batch normalisation, composed from differentiable ops so its backward is autograd's.
#include <initializer_list>
#include <vector>

#include "tensor_internal.h"
#include "tinytorch/convolutions.h"

namespace tinytorch {

using internal::CheckFloat;

Tensor BatchNormalize(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      Tensor running_mean, Tensor running_var, bool training, float momentum,
                      float eps) {
  CheckFloat(x, "BatchNormalize");
  TT_CHECK(x.dim() == 4, "BatchNormalize: expects an NCHW input, got shape ", x.shape());
  const int64_t c = x.size(1);
  for (const Tensor* t :
       std::initializer_list<const Tensor*>{&weight, &bias, &running_mean, &running_var}) {
    TT_CHECK(!t->defined() || t->shape() == Shape{c},
             "BatchNormalize: per-channel tensor of shape ", t->shape(), " does not match ", c,
             " channels");
  }
  const Shape channel_shape = {1, c, 1, 1};
  Tensor mean, var;
  if (training) {
    const int64_t count = x.size(0) * x.size(2) * x.size(3);
    TT_CHECK(count > 1,
             "BatchNormalize: training needs more than one value per channel, got input ",
             x.shape());
    mean = x.Mean(0, true).Mean(2, true).Mean(3, true);
    const Tensor centered = x - mean;
    var = (centered * centered).Mean(0, true).Mean(2, true).Mean(3, true);
    if (running_mean.defined() && running_var.defined()) {
      NoGradGuard no_grad;
      const float unbias = static_cast<float>(count) / static_cast<float>(count - 1);
      running_mean.CopyFrom(running_mean * (1 - momentum) + mean.Detach().Reshape({c}) * momentum);
      running_var.CopyFrom(running_var * (1 - momentum) +
                           var.Detach().Reshape({c}) * (momentum * unbias));
    }
  } else {
    TT_CHECK(running_mean.defined() && running_var.defined(),
             "BatchNormalize: eval mode needs running statistics");
    mean = running_mean.View(channel_shape);
    var = running_var.View(channel_shape);
  }
  Tensor y = (x - mean) / Sqrt(var + eps);
  if (weight.defined()) y = y * weight.View(channel_shape);
  if (bias.defined()) y = y + bias.View(channel_shape);
  return y;
}

BatchNorm2d::BatchNorm2d(int64_t channels, float momentum, float eps)
    : channels_(channels), momentum_(momentum), eps_(eps) {
  TT_CHECK(channels > 0 && momentum >= 0 && momentum <= 1 && eps > 0, "BatchNorm2d: channels ",
           channels, ", momentum ", momentum, ", eps ", eps);
  weight_ = RegisterParameter("weight", Tensor::Ones({channels}));
  bias_ = RegisterParameter("bias", Tensor::Zeros({channels}));
  running_mean_ = RegisterBuffer("running_mean", Tensor::Zeros({channels}));
  running_var_ = RegisterBuffer("running_var", Tensor::Ones({channels}));
}

Tensor BatchNorm2d::Forward(const Tensor& x) {
  return BatchNormalize(x, weight_, bias_, running_mean_, running_var_, is_training(), momentum_,
                        eps_);
}

std::string BatchNorm2d::ToString() const {
  return "BatchNorm2d(" + std::to_string(channels_) + ")";
}

}  // namespace tinytorch
