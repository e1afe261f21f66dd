// Private to the lazy module (tinytorch/lazy.h): the recorded node, the op table's entry and the
// evaluator, shared by lazy.cc (recording the graph), lazy_ops.cc (one table entry per op) and
// lazy_eval.cc (the Eval planner and the fused pass).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tinytorch/lazy.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

struct LazyNode {
  LazyOp op = LazyOp::kLeaf;
  Shape shape;
  std::vector<std::shared_ptr<const LazyNode>> inputs;
  float scalar = 0.f;  // the s of the scalar ops
  int64_t dim = -1;    // Softmax's dim, normalized
  Tensor value;        // leaves only
};

namespace internal {

using LazyNodePtr = std::shared_ptr<const LazyNode>;

// The eager op a node stands for, on its materialized inputs.
using EagerFn = Tensor (*)(const LazyNode& node, const std::vector<Tensor>& in);
// One block of a fused pass: out[j] = op(a[j], b[j]) for j < len, through the formula the eager
// op uses (b only for binary ops; s is the node's scalar).
using BlockFn = void (*)(float* out, const float* a, const float* b, int64_t len, float s);

struct LazyOpInfo {
  LazyOp op;
  const char* name;
  EagerFn eager;  // every op but kLeaf
  BlockFn block;  // elementwise (fusable) ops only, else null
};

// The table entry of `op`, which must be an op (< LazyOp::kCount): nodes are recorded only by
// lazy.cc's ops, so a node's op always is.
const LazyOpInfo& LazyOpInfoOf(LazyOp op);

// The node of `t`; throws naming `op` when `t` is undefined.
const LazyNodePtr& CheckedNode(const LazyTensor& t, const char* op);

// Eval's work (lazy_eval.cc): simplifies, fuses and runs the graph behind `outputs`, counting
// into `stats`.
std::vector<Tensor> EvaluateLazy(const std::vector<LazyTensor>& outputs, const EvalOptions& options,
                                 EvalStats& stats);

}  // namespace internal
}  // namespace tinytorch
