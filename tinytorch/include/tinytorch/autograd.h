// Module 06: reverse-mode automatic differentiation.
//
// Every differentiable op, when grad mode is on and an input requires grad, attaches a Node to
// its output: the inputs plus a backward function written beside the op's forward (in the op's
// own source file). Tensor::Backward() orders the graph topologically, hands each node the sum of
// the gradients flowing into it, and accumulates (+=) into the leaves' .grad(). Broadcasting ops
// reduce their gradients back to each input's shape with SumToShape. Nodes hold their inputs,
// never their outputs (a saved output is Detach()ed), so the graph is acyclic and is freed with
// the last tensor that references it.
//
// In-place writes (+=, Fill, CopyFrom) to a tensor that requires grad throw while grad mode is
// on: the graph does not track versions, so they would silently corrupt saved values. Update
// parameters inside a NoGradGuard, as the optimizers do. Higher-order gradients are not supported
// (backward runs with grad mode off).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "tinytorch/tensor.h"

namespace tinytorch {

class Node {
 public:
  // Gradients for each input, in order; an undefined tensor means "no gradient".
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

  Node(const char* name, std::vector<Tensor> inputs, BackwardFn backward)
      : name_(name), inputs_(std::move(inputs)), backward_(std::move(backward)) {}

  const char* name() const { return name_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  std::vector<Tensor> Apply(const Tensor& grad_output) const { return backward_(grad_output); }

 private:
  const char* name_;
  std::vector<Tensor> inputs_;
  BackwardFn backward_;
};

bool GradEnabled();  // per thread; on by default

// Turns gradient recording off for its scope (evaluation, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Sums `grad` over the dims that broadcasting added or stretched, giving a tensor of `shape`.
Tensor SumToShape(const Tensor& grad, const Shape& shape);

}  // namespace tinytorch
