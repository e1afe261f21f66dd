// Module 04: loss functions.
#include "tinytorch/losses.h"

#include <cmath>

#include "tensor_internal.h"
#include "tinytorch/activations.h"

namespace tinytorch {

namespace {

Tensor Reduce(const Tensor& per_element, Reduction reduction, const char* op) {
  switch (reduction) {
    case Reduction::kNone:
      return per_element;
    case Reduction::kSum:
      return per_element.Sum();
    case Reduction::kMean:
      return per_element.Mean();  // NaN over an empty batch, as in PyTorch
  }
  detail::Throw(op, ": unknown reduction ", static_cast<int>(reduction));
}

void CheckSameShape(const Tensor& a, const Tensor& b, const char* op) {
  internal::CheckFloat(a, op);
  internal::CheckFloat(b, op);
  TT_CHECK(a.shape() == b.shape(), op, ": prediction shape ", a.shape(), " and target shape ",
           b.shape(), " differ");
}

void CheckInUnitInterval(const Tensor& t, const char* op, const char* what) {
  if (t.numel() == 0) return;  // nothing to check (and no Min or Max of nothing)
  const Tensor mn = t.Min(), mx = t.Max();
  TT_CHECK(mn.item() >= 0.f && mx.item() <= 1.f, op, ": ", what, " must lie in [0, 1], got range [",
           mn.item(), ", ", mx.item(), "]");
}

}  // namespace

Tensor MSELoss::Forward(const Tensor& prediction, const Tensor& target) const {
  CheckSameShape(prediction, target, "MSELoss");
  return Reduce(Pow(prediction - target, 2.f), reduction_, "MSELoss");
}

Tensor CrossEntropyLoss::Forward(const Tensor& logits, const Tensor& targets) const {
  internal::CheckFloat(logits, "CrossEntropyLoss");
  TT_CHECK(targets.defined() && targets.dtype() == DType::kInt64,
           "CrossEntropyLoss: targets must be "
           "int64 class indices, got ",
           targets.defined() ? DTypeName(targets.dtype()) : "undefined");
  TT_CHECK(logits.dim() == 2 && targets.dim() == 1 && targets.size(0) == logits.size(0),
           "CrossEntropyLoss: expects logits (N, C) and targets (N), got ", logits.shape(), " and ",
           targets.shape());
  const int64_t n = logits.size(0), c = logits.size(1);
  Tensor log_probs;
  {
    NoGradGuard no_grad;  // the loss has its own backward below, cheaper than LogSoftmax's
    log_probs = LogSoftmax(logits, 1);
  }
  const Tensor t = targets.Contiguous();
  const int64_t* cls = t.data<int64_t>();
  Tensor losses = internal::EmptyLike({n});
  float* out = losses.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    TT_CHECK(cls[i] >= 0 && cls[i] < c, "CrossEntropyLoss: target ", cls[i], " at index ", i,
             " is out of range for ", c, " classes");
    out[i] = -log_probs.data<float>()[i * c + cls[i]];
  }
  // d loss_i / d logits_i = softmax(logits_i) - onehot(target_i).
  if (internal::NeedsGrad(logits)) {
    internal::Attach(losses, "CrossEntropyLoss", {logits},
                     [log_probs, t, c](const Tensor& g) -> std::vector<Tensor> {
                       Tensor grad = Exp(log_probs);
                       float* p = grad.data<float>();
                       for (int64_t i = 0; i < grad.size(0); ++i)
                         p[i * c + t.data<int64_t>()[i]] -= 1.f;
                       return {grad * g.Unsqueeze(1)};
                     });
  }
  return Reduce(losses, reduction_, "CrossEntropyLoss");
}

Tensor BinaryCrossEntropyLoss::Forward(const Tensor& probabilities, const Tensor& targets) const {
  CheckSameShape(probabilities, targets, "BinaryCrossEntropyLoss");
  if (probabilities.numel() > 0) {
    CheckInUnitInterval(probabilities, "BinaryCrossEntropyLoss", "probabilities");
    CheckInUnitInterval(targets, "BinaryCrossEntropyLoss", "targets");
  }
  const Tensor log_p = Maximum(Log(probabilities), Tensor::Scalar(-100.f));
  const Tensor log_1mp = Maximum(Log(1.f - probabilities), Tensor::Scalar(-100.f));
  return Reduce(-(targets * log_p + (1.f - targets) * log_1mp), reduction_,
                "BinaryCrossEntropyLoss");
}

Tensor BinaryCrossEntropyWithLogitsLoss::Forward(const Tensor& logits,
                                                 const Tensor& targets) const {
  CheckSameShape(logits, targets, "BinaryCrossEntropyWithLogitsLoss");
  const Tensor zero = Tensor::Scalar(0.f);
  const Tensor softplus_neg_abs = Log1p(Exp(-Abs(logits)));
  return Reduce(Maximum(logits, zero) - logits * targets + softplus_neg_abs, reduction_,
                "BinaryCrossEntropyWithLogitsLoss");
}

}  // namespace tinytorch
