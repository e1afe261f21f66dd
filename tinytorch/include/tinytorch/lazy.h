// Module 17 (acceleration), lazy execution. Ops on a LazyTensor record a graph instead of
// computing; Eval() runs it after three optimizations:
//   simplify   exact identities (x * 1, x / 1, x + -0.0, which is how x - 0 is recorded) are
//              dropped; x + 0.0 is kept, since it turns -0.0 into +0.0;
//   fuse       a chain of elementwise ops whose intermediates nobody else reads becomes one pass
//              over memory, in cache-sized blocks, instead of one pass and one temporary per op;
//   reuse      a fused pass writes into an intermediate that dies with it (in place) or into a
//              buffer an earlier intermediate released, instead of a fresh allocation.
// Dead code is never run: Eval computes only what its outputs depend on, each shared node once.
//
// Results equal eager results bit for bit: unfused nodes run the eager kernels themselves
// (MatMul through the default backend, Softmax, the elementwise ops), and a fused pass applies
// the eager op's own scalar formula (one definition serves both) per element in the same order,
// so fusion reorders no arithmetic.
//
// A leaf shares its tensor's storage: a write to that tensor before Eval is seen by Eval. Eval
// does not cache: evaluating a graph twice computes it twice (keep the Tensor it returns).
// Autograd does not flow through lazy graphs: Eval runs with gradients off and returns tensors
// with no history. Train eagerly; use lazy graphs for inference.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <vector>

#include "tinytorch/activations.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

enum class LazyOp : uint8_t {
  kLeaf,
  // Elementwise, fusable. Binary ops broadcast with numpy rules.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kAddScalar,   // x + s (x - s is recorded as x + (-s), as the eager op computes it)
  kMulScalar,   // x * s
  kDivScalar,   // x / s
  kRSubScalar,  // s - x
  kRDivScalar,  // s / x
  kNeg,
  kExp,
  kLog,
  kSqrt,
  kRelu,
  kSigmoid,
  kTanh,
  kGelu,      // exact (erf)
  kGeluTanh,  // tanh approximation
  // Run by their eager kernels.
  kMatMul,
  kSoftmax,
  kCount  // not an op: the number of ops, which lazy_ops.cc's op table must match
};
const char* LazyOpName(LazyOp op);  // "?" for a value that is no op

struct LazyNode;  // the recorded op; immutable once built, so graphs may be shared across threads

struct EvalOptions {
  bool simplify = true;
  bool fuse = true;
  bool reuse_buffers = true;
};

// What an Eval did, for tests and for the overhead and fusion figures in the reports.
struct EvalStats {
  int64_t nodes = 0;             // distinct nodes the outputs depend on (leaves included)
  int64_t simplified = 0;        // identity ops dropped
  int64_t kernels = 0;           // passes over memory: eager kernels plus fused passes
  int64_t fused_passes = 0;      // fused passes (each replaces two or more eager kernels)
  int64_t fused_ops = 0;         // elementwise ops computed inside fused passes
  int64_t written_in_place = 0;  // fused passes that wrote over a dying intermediate
  int64_t recycled_buffers = 0;  // fused passes that wrote into a buffer released earlier
};

class LazyTensor {
 public:
  LazyTensor() = default;  // undefined; every op on it throws
  // A leaf over `value` (float32, any strides), sharing its storage.
  explicit LazyTensor(const Tensor& value);

  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;  // known when the op is recorded
  LazyOp op() const;

  Tensor Eval(const EvalOptions& options = {}, EvalStats* stats = nullptr) const;
  // Evaluates on the lazy worker thread (one per process, started on first use; jobs run in
  // submission order). The graph is kept alive by the job, so this handle may go away.
  std::future<Tensor> EvalAsync(const EvalOptions& options = {}) const;

  // Internal: ops build nodes through these.
  explicit LazyTensor(std::shared_ptr<const LazyNode> node) : node_(std::move(node)) {}
  const std::shared_ptr<const LazyNode>& node() const { return node_; }

 private:
  std::shared_ptr<const LazyNode> node_;
};

inline LazyTensor Lazy(const Tensor& value) { return LazyTensor(value); }

// Evaluates several outputs of one graph together: a node they share is computed once.
std::vector<Tensor> Eval(const std::vector<LazyTensor>& outputs, const EvalOptions& options = {},
                         EvalStats* stats = nullptr);

// Recording ops: each checks shapes now (errors name the op and the shapes) and computes later.
LazyTensor operator+(const LazyTensor& a, const LazyTensor& b);
LazyTensor operator-(const LazyTensor& a, const LazyTensor& b);
LazyTensor operator*(const LazyTensor& a, const LazyTensor& b);
LazyTensor operator/(const LazyTensor& a, const LazyTensor& b);
LazyTensor operator+(const LazyTensor& a, float s);
LazyTensor operator-(const LazyTensor& a, float s);
LazyTensor operator*(const LazyTensor& a, float s);
LazyTensor operator/(const LazyTensor& a, float s);
LazyTensor operator+(float s, const LazyTensor& a);
LazyTensor operator-(float s, const LazyTensor& a);
LazyTensor operator*(float s, const LazyTensor& a);
LazyTensor operator/(float s, const LazyTensor& a);
LazyTensor operator-(const LazyTensor& x);
LazyTensor Exp(const LazyTensor& x);
LazyTensor Log(const LazyTensor& x);
LazyTensor Sqrt(const LazyTensor& x);
LazyTensor Relu(const LazyTensor& x);
LazyTensor Sigmoid(const LazyTensor& x);
LazyTensor Tanh(const LazyTensor& x);
LazyTensor Gelu(const LazyTensor& x, GeluApproximation approximation = GeluApproximation::kNone);
LazyTensor MatMul(const LazyTensor& a, const LazyTensor& b);  // torch.matmul semantics
LazyTensor Softmax(const LazyTensor& x, int64_t dim = -1);

}  // namespace tinytorch
