// Module 07: optimizers. Each updates its parameters in place from their .grad() (parameters
// without a gradient are skipped), with PyTorch's update rules, and keeps its state (step count,
// moment buffers, learning rate) in a StateDict that saves and loads with validation.
#pragma once

#include <vector>

#include "tinytorch/serialization.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, float lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void Step() = 0;
  void ZeroGrad();  // clears every parameter's gradient

  float lr() const { return lr_; }
  void set_lr(float lr);  // schedules call this; throws unless lr >= 0 and finite

  // Buffers named "<parameter index>.<buffer>", plus "step" and "lr". Like Module::GetStateDict,
  // the tensors are the optimizer's live buffers, not copies: serialize them (or Clone()) to keep
  // a snapshot while training goes on.
  virtual StateDict State() const = 0;
  // Checks every entry (names, shapes, dtypes) before changing anything.
  void LoadState(const StateDict& state);
  void CheckState(const StateDict& state) const;

  const std::vector<Tensor>& params() const { return params_; }
  int64_t steps() const { return step_; }

 protected:
  // The buffers this optimizer keeps per parameter, e.g. {"exp_avg", "exp_avg_sq"}.
  virtual std::vector<std::string> BufferNames() const = 0;
  virtual void SetBuffer(size_t param, const std::string& name, const Tensor& value) = 0;
  StateDict BaseState() const;  // "step" and "lr"

  std::vector<Tensor> params_;
  float lr_;
  int64_t step_ = 0;
};

struct SGDOptions {
  float lr = 0.01f;
  float momentum = 0.f;
  float dampening = 0.f;
  bool nesterov = false;
  float weight_decay = 0.f;  // L2: added to the gradient
};

// g ← grad + wd·p;  with momentum: b ← μ·b + (1 − dampening)·g (b = g at the first step),
// g ← g + μ·b (Nesterov) or g ← b;  p ← p − lr·g.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  void Step() override;
  StateDict State() const override;

 private:
  std::vector<std::string> BufferNames() const override;
  void SetBuffer(size_t param, const std::string& name, const Tensor& value) override;
  SGDOptions options_;
  std::vector<Tensor> momentum_;  // undefined until the first step with momentum
};

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.f;  // Adam: L2 added to the gradient; AdamW: decoupled decay
};

// Kingma & Ba (2015): m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²,
// p ← p − lr·m̂ / (√v̂ + ε) with m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ).
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options);
  void Step() override;
  StateDict State() const override;

 protected:
  // AdamW overrides how weight decay enters; everything else is shared.
  virtual bool decoupled_weight_decay() const { return false; }

 private:
  std::vector<std::string> BufferNames() const override;
  void SetBuffer(size_t param, const std::string& name, const Tensor& value) override;
  AdamOptions options_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;
};

// Loshchilov & Hutter (2019): decay applied to the weights directly, p ← p·(1 − lr·wd), before
// the Adam step, instead of through the gradient. (torch.optim.AdamW defaults to weight_decay
// 0.01; here it is whatever AdamOptions says.)
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options);

 protected:
  bool decoupled_weight_decay() const override { return true; }
};

}  // namespace tinytorch
