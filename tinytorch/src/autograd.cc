// Module 06: graph recording, the backward pass, and gradient bookkeeping on Tensor.
#include "tinytorch/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "tensor_internal.h"

namespace tinytorch {

namespace {
thread_local bool g_grad_enabled = true;
}  // namespace

bool GradEnabled() { return g_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

Tensor SumToShape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  TT_CHECK(BroadcastShapes(shape, grad.shape(), "SumToShape") == grad.shape(),
           "SumToShape: gradient of shape ", grad.shape(), " does not broadcast from ", shape);
  Tensor g = grad;
  while (g.dim() > static_cast<int64_t>(shape.size())) g = g.Sum(0);
  for (int64_t d = 0; d < g.dim(); ++d) {
    if (shape[d] == 1 && g.size(d) != 1) g = g.Sum(d, /*keepdims=*/true);
  }
  return g;
}

namespace internal {

void Attach(Tensor& out, const char* name, std::vector<Tensor> inputs, Node::BackwardFn backward) {
  TensorImpl& impl = TensorAccess::Impl(out);
  impl.grad_fn = std::make_shared<Node>(name, std::move(inputs), std::move(backward));
  impl.requires_grad = true;
}

void CheckInPlace(const Tensor& t, const char* op) {
  TT_CHECK(!(GradEnabled() && t.requires_grad()), op, ": in-place write to a tensor of shape ",
           t.shape(), " that requires grad; wrap parameter updates in a NoGradGuard");
  // An Expand view has many elements at one address: x.Expand(...) += y would add each of them
  // into it in turn, silently (PyTorch refuses the same).
  const Shape &shape = t.shape(), &strides = t.strides();
  for (size_t d = 0; d < shape.size(); ++d) {
    TT_CHECK(strides[d] != 0 || shape[d] <= 1, op, ": in-place write to a tensor of shape ", shape,
             " whose elements share memory (dimension ", d,
             " has stride 0, as after Expand); write to a Contiguous() copy");
  }
}

}  // namespace internal

// ---------------------------------------------------------------------------------------------
// Tensor's gradient bookkeeping.

Tensor Tensor::grad() const { return impl().grad; }

void Tensor::set_grad(const Tensor& grad) {
  TT_CHECK(!grad.defined() || grad.shape() == shape(), "Tensor::set_grad: gradient shape ",
           grad.shape(), " does not match tensor shape ", shape());
  impl_->grad = grad;
}

Tensor Tensor::Detach() const {
  return FromStorage(storage(), dtype(), shape(), strides(), offset());
}

void Tensor::Backward() const {
  TT_CHECK(numel() == 1, "Backward: implicit gradient needs a one-element tensor, got shape ",
           shape(), "; pass the upstream gradient explicitly");
  Backward(Tensor::Ones(shape()));
}

namespace {

// True when `g` is a packed tensor that nothing else can reach: no other handle to it, no other
// tensor on its storage, and no spare bytes in that storage. Counts of 1 cannot grow behind our
// back, since only the caller's handle could copy them.
bool SoleOwner(const Tensor& g) {
  TensorImpl& impl = internal::TensorAccess::Impl(g);
  return impl.grad_fn == nullptr && !impl.requires_grad && impl.offset == 0 &&
         g.is_contiguous() && impl.storage != nullptr && impl.storage.use_count() == 1 &&
         impl.storage->bytes() == static_cast<size_t>(g.numel()) * ElementSize(impl.dtype);
}

// The first gradient of a leaf becomes its .grad. One the graph computed and handed over (`owned`
// is the only handle, as for a fresh MatMul or Sum result) is kept as it is, as PyTorch's
// AccumulateGrad does; any other is copied, since it may be a broadcast view, the caller's
// tensor or shared with another input's gradient (Add returns its upstream gradient twice).
void AccumulateIntoLeaf(const Tensor& leaf, const Tensor& g, bool owned) {
  TensorImpl& impl = internal::TensorAccess::Impl(leaf);
  TT_CHECK(g.shape() == leaf.shape(), "Backward: internal error, gradient of shape ", g.shape(),
           " for a leaf of shape ", leaf.shape());
  if (impl.grad.defined()) {
    impl.grad += g;
  } else if (owned && SoleOwner(g)) {
    impl.grad = g;
  } else {
    impl.grad = g.Clone();
  }
}

// Nodes in an order where every node comes before the nodes of its inputs.
std::vector<Node*> TopologicalOrder(Node* root) {
  std::vector<Node*> post_order;
  std::unordered_set<Node*> seen{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs().size()) {
      Node* child = node->inputs()[next++].grad_fn().get();
      if (child != nullptr && seen.insert(child).second) stack.emplace_back(child, 0);
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

}  // namespace

void Tensor::Backward(const Tensor& grad_output) const {
  TT_CHECK(requires_grad(), "Backward: tensor of shape ", shape(),
           " does not require grad (no input of the computation requires it)");
  TT_CHECK(grad_output.defined() && grad_output.shape() == shape() &&
               grad_output.dtype() == DType::kFloat32,
           "Backward: upstream gradient of shape ",
           grad_output.defined() ? grad_output.shape() : Shape{}, " does not match shape ",
           shape());
  NoGradGuard no_grad;
  if (is_leaf()) {
    AccumulateIntoLeaf(*this, grad_output, /*owned=*/false);
    return;
  }
  Node* root = grad_fn().get();
  std::unordered_map<Node*, Tensor> pending{{root, grad_output}};
  for (Node* node : TopologicalOrder(root)) {
    const auto it = pending.find(node);
    if (it == pending.end()) continue;
    const Tensor g = std::move(it->second);
    pending.erase(it);
    std::vector<Tensor> grads = node->Apply(g);
    TT_CHECK(grads.size() == node->inputs().size(), "Backward: ", node->name(), " returned ",
             grads.size(), " gradients for ", node->inputs().size(), " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      const Tensor& input = node->inputs()[i];
      if (!grads[i].defined() || !input.requires_grad()) continue;
      if (input.is_leaf()) {
        // Moved out of `grads`, so a gradient the node returned once is held by this handle
        // alone; one it returned twice, or the upstream `g` passed through, is not.
        const Tensor gi = std::move(grads[i]);
        AccumulateIntoLeaf(input, gi, internal::TensorAccess::Use(gi) == 1);
        continue;
      }
      Tensor& slot = pending[input.grad_fn().get()];
      slot = slot.defined() ? slot + grads[i] : grads[i];
    }
  }
}

}  // namespace tinytorch
