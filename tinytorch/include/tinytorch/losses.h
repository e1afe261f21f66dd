// Module 04: loss functions. Each takes (prediction, target) and reduces to a scalar by default.
#pragma once

#include "tinytorch/tensor.h"

namespace tinytorch {

enum class Reduction { kMean, kSum, kNone };

// mean((prediction - target)²); shapes must be equal (no silent broadcasting of targets).
class MSELoss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor Forward(const Tensor& prediction, const Tensor& target) const;
  Tensor operator()(const Tensor& p, const Tensor& t) const { return Forward(p, t); }

 private:
  Reduction reduction_;
};

// -log softmax(logits)[target]; logits (N, C) float32, targets (N) int64 class indices in [0, C).
// Computed through LogSoftmax, so large logits neither overflow nor lose the loss.
class CrossEntropyLoss {
 public:
  explicit CrossEntropyLoss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor Forward(const Tensor& logits, const Tensor& targets) const;
  Tensor operator()(const Tensor& l, const Tensor& t) const { return Forward(l, t); }

 private:
  Reduction reduction_;
};

// -(t·log p + (1 - t)·log(1 - p)) for probabilities p in [0, 1] and targets t in [0, 1]; each log
// is clamped at -100 as in PyTorch, so p = 0 or 1 gives a large finite loss, not inf.
class BinaryCrossEntropyLoss {
 public:
  explicit BinaryCrossEntropyLoss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor Forward(const Tensor& probabilities, const Tensor& targets) const;
  Tensor operator()(const Tensor& p, const Tensor& t) const { return Forward(p, t); }

 private:
  Reduction reduction_;
};

// The same loss from logits x: max(x, 0) - x·t + log(1 + e^-|x|), exact for any finite x.
class BinaryCrossEntropyWithLogitsLoss {
 public:
  explicit BinaryCrossEntropyWithLogitsLoss(Reduction reduction = Reduction::kMean)
      : reduction_(reduction) {}
  Tensor Forward(const Tensor& logits, const Tensor& targets) const;
  Tensor operator()(const Tensor& l, const Tensor& t) const { return Forward(l, t); }

 private:
  Reduction reduction_;
};

}  // namespace tinytorch
