// Lazy execution: recording, the Eval planner (simplify, fuse, reuse) and the fused pass.
#include "tinytorch/lazy.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "elementwise_ops.h"
#include "enum_table.h"
#include "kernels/erf.h"
#include "tensor_internal.h"
#include "tinytorch/autograd.h"
#include "tinytorch/error.h"

namespace tinytorch {

struct LazyNode {
  LazyOp op = LazyOp::kLeaf;
  Shape shape;
  std::vector<std::shared_ptr<const LazyNode>> inputs;
  float scalar = 0.f;  // the s of the scalar ops
  int64_t dim = -1;    // Softmax's dim, normalized
  Tensor value;        // leaves only
};

namespace {

namespace ops = internal::ops;

// ---------------------------------------------------------------------------------------------
// The op table: one entry per LazyOp, in enum order, holding everything the recorder, the planner
// and the two ways of running a node need to know about the op.

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

template <Tensor (*Op)(const Tensor&)>
Tensor EagerUnary(const LazyNode&, const std::vector<Tensor>& in) {
  return Op(in[0]);
}
template <Tensor (*Op)(const Tensor&, const Tensor&)>
Tensor EagerBinary(const LazyNode&, const std::vector<Tensor>& in) {
  return Op(in[0], in[1]);
}

// The formula is a template argument, so each block loop inlines it as the eager loop does.
template <class F>
void BinaryBlock(float* out, const float* a, const float* b, int64_t len, float) {
  const F f{};
  for (int64_t j = 0; j < len; ++j) out[j] = f(a[j], b[j]);
}
template <class F>
void UnaryBlock(float* out, const float* a, const float*, int64_t len, float) {
  const F f{};
  for (int64_t j = 0; j < len; ++j) out[j] = f(a[j]);
}
template <class F>  // a formula with an operand s
void ScalarBlock(float* out, const float* a, const float*, int64_t len, float s) {
  const F f{s};
  for (int64_t j = 0; j < len; ++j) out[j] = f(a[j]);
}
void GeluExactBlock(float* out, const float* a, const float*, int64_t len, float) {
  kernels::GeluExact(out, a, len, ActiveSimdLevel());
}

constexpr LazyOpInfo kLazyOps[] = {
    {LazyOp::kLeaf, "Leaf", nullptr, nullptr},  // a leaf is read (LazyNode::value), never run
    {LazyOp::kAdd, "Add", EagerBinary<Add>, BinaryBlock<ops::Add>},
    {LazyOp::kSub, "Sub", EagerBinary<Sub>, BinaryBlock<ops::Sub>},
    {LazyOp::kMul, "Mul", EagerBinary<Mul>, BinaryBlock<ops::Mul>},
    {LazyOp::kDiv, "Div", EagerBinary<Div>, BinaryBlock<ops::Div>},
    {LazyOp::kAddScalar, "AddScalar",
     [](const LazyNode& n, const std::vector<Tensor>& in) { return in[0] + n.scalar; },
     ScalarBlock<ops::AddScalar>},
    {LazyOp::kMulScalar, "MulScalar",
     [](const LazyNode& n, const std::vector<Tensor>& in) { return in[0] * n.scalar; },
     ScalarBlock<ops::MulScalar>},
    {LazyOp::kDivScalar, "DivScalar",
     [](const LazyNode& n, const std::vector<Tensor>& in) { return in[0] / n.scalar; },
     ScalarBlock<ops::DivScalar>},
    {LazyOp::kRSubScalar, "RSubScalar",
     [](const LazyNode& n, const std::vector<Tensor>& in) { return n.scalar - in[0]; },
     ScalarBlock<ops::RSubScalar>},
    {LazyOp::kRDivScalar, "RDivScalar",
     [](const LazyNode& n, const std::vector<Tensor>& in) { return n.scalar / in[0]; },
     ScalarBlock<ops::RDivScalar>},
    {LazyOp::kNeg, "Neg", EagerUnary<Neg>, UnaryBlock<ops::Neg>},
    {LazyOp::kExp, "Exp", EagerUnary<Exp>, UnaryBlock<ops::Exp>},
    {LazyOp::kLog, "Log", EagerUnary<Log>, UnaryBlock<ops::Log>},
    {LazyOp::kSqrt, "Sqrt", EagerUnary<Sqrt>, UnaryBlock<ops::Sqrt>},
    {LazyOp::kRelu, "Relu", EagerUnary<Relu>, UnaryBlock<ops::Relu>},
    {LazyOp::kSigmoid, "Sigmoid", EagerUnary<Sigmoid>, UnaryBlock<ops::Sigmoid>},
    {LazyOp::kTanh, "Tanh", EagerUnary<Tanh>, UnaryBlock<ops::Tanh>},
    {LazyOp::kGelu, "Gelu",
     [](const LazyNode&, const std::vector<Tensor>& in) {
       return Gelu(in[0], GeluApproximation::kNone);
     },
     GeluExactBlock},
    {LazyOp::kGeluTanh, "GeluTanh",
     [](const LazyNode&, const std::vector<Tensor>& in) {
       return Gelu(in[0], GeluApproximation::kTanh);
     },
     UnaryBlock<ops::GeluTanh>},
    {LazyOp::kMatMul, "MatMul", EagerBinary<MatMul>, nullptr},
    {LazyOp::kSoftmax, "Softmax",
     [](const LazyNode& n, const std::vector<Tensor>& in) { return Softmax(in[0], n.dim); },
     nullptr},
};
static_assert(internal::IsEnumTable(kLazyOps, &LazyOpInfo::op),
              "kLazyOps needs one entry per LazyOp, in enum order");

// Nodes are recorded only by this file's ops, so a node's op is always valid.
const LazyOpInfo& Info(LazyOp op) { return kLazyOps[static_cast<size_t>(op)]; }

}  // namespace

const char* LazyOpName(LazyOp op) { return op < LazyOp::kCount ? Info(op).name : "?"; }

namespace {

using NodePtr = std::shared_ptr<const LazyNode>;

bool IsElementwise(LazyOp op) { return Info(op).block != nullptr; }

const NodePtr& Checked(const LazyTensor& t, const char* op) {
  TT_CHECK(t.defined(), "lazy ", op, ": operand is an undefined LazyTensor");
  return t.node();
}

LazyTensor Record(LazyOp op, Shape shape, std::vector<NodePtr> inputs, float scalar = 0.f,
                  int64_t dim = -1) {
  auto node = std::make_shared<LazyNode>();
  node->op = op;
  node->shape = std::move(shape);
  node->inputs = std::move(inputs);
  node->scalar = scalar;
  node->dim = dim;
  return LazyTensor(std::move(node));
}

LazyTensor Binary(LazyOp op, const LazyTensor& a, const LazyTensor& b) {
  const char* name = LazyOpName(op);
  const NodePtr& na = Checked(a, name);
  const NodePtr& nb = Checked(b, name);
  const std::string what = std::string("lazy ") + name;
  return Record(op, BroadcastShapes(na->shape, nb->shape, what.c_str()), {na, nb});
}

LazyTensor Unary(LazyOp op, const LazyTensor& x, float scalar = 0.f) {
  const NodePtr& n = Checked(x, LazyOpName(op));
  return Record(op, n->shape, {n}, scalar);
}

// torch.matmul's result shape: 1-d operands are promoted and the added dim removed; batch dims
// broadcast.
Shape MatMulShape(const Shape& a, const Shape& b) {
  TT_CHECK(!a.empty() && !b.empty(), "lazy MatMul: shapes ", a, " and ", b,
           " cannot be multiplied (0-d operand)");
  const Shape lhs = a.size() == 1 ? Shape{1, a[0]} : a;
  const Shape rhs = b.size() == 1 ? Shape{b[0], 1} : b;
  const int64_t k = lhs.back(), kb = rhs[rhs.size() - 2];
  TT_CHECK(k == kb, "lazy MatMul: shapes ", a, " and ", b, " cannot be multiplied (inner dims ", k,
           " != ", kb, ")");
  Shape out = BroadcastShapes(Shape(lhs.begin(), lhs.end() - 2), Shape(rhs.begin(), rhs.end() - 2),
                              "lazy MatMul");
  if (a.size() > 1) out.push_back(lhs[lhs.size() - 2]);
  if (b.size() > 1) out.push_back(rhs.back());
  return out;
}

// ---------------------------------------------------------------------------------------------
// The fused pass: a little program over slots, run block by block. Slots [0, inputs) are the
// group's inputs; each instruction writes the next slot. Every instruction is its op's BlockFn
// from kLazyOps, the eager op's own formula, so the pass computes exactly what the chain of
// eager ops computes.

constexpr int64_t kBlock = 512;  // floats per slot: a group of a dozen ops stays in L1/L2

struct Instr {
  BlockFn block;  // the op's entry in kLazyOps
  int a, b;       // source slots (b only for binary ops, else -1)
  float scalar;
};

struct FusedInput {
  const float* data;  // packed
  int64_t period;     // its element count: 1 (broadcast scalar), n (same shape) or a suffix
};

// Writes the program's last slot to `out` (n packed floats). `out` may be one of the inputs: each
// block reads all it needs from an input before the last instruction writes that block.
void RunFused(const std::vector<FusedInput>& inputs, const std::vector<Instr>& program, float* out,
              int64_t n) {
  const int64_t block = std::min(kBlock, n);
  const size_t slots = inputs.size() + program.size();
  std::vector<float> scratch(slots * block);
  std::vector<const float*> src(slots);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].period == 1) std::fill_n(&scratch[i * block], block, inputs[i].data[0]);
  }
  for (int64_t start = 0; start < n; start += block) {
    const int64_t len = std::min(block, n - start);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const FusedInput& in = inputs[i];
      float* buf = &scratch[i * block];
      if (in.period == n) {
        src[i] = in.data + start;
      } else if (in.period == 1) {
        src[i] = buf;
      } else {  // a broadcast suffix, e.g. a bias row: copy the block's runs of it
        for (int64_t j = 0, p = start % in.period; j < len;) {
          const int64_t run = std::min(len - j, in.period - p);
          std::copy_n(in.data + p, run, buf + j);
          j += run;
          p = 0;
        }
        src[i] = buf;
      }
    }
    for (size_t t = 0; t < program.size(); ++t) {
      const size_t slot = inputs.size() + t;
      float* dst = t + 1 == program.size() ? out + start : &scratch[slot * block];
      const Instr& ins = program[t];
      ins.block(dst, src[ins.a], ins.b >= 0 ? src[ins.b] : nullptr, len, ins.scalar);
      src[slot] = dst;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The planner.

// True when a fused pass over `out` can read `in` directly: same shape, a broadcast scalar, or
// a trailing-dims suffix (a bias row), which the pass reads by period.
bool FusableInput(const Shape& in, const Shape& out) {
  if (in == out) return true;
  Shape trimmed = in;
  while (!trimmed.empty() && trimmed.front() == 1) trimmed.erase(trimmed.begin());
  if (trimmed.empty()) return true;
  return trimmed.size() <= out.size() && std::equal(trimmed.rbegin(), trimmed.rend(), out.rbegin());
}

class Evaluator {
 public:
  Evaluator(const EvalOptions& options, EvalStats& stats) : options_(options), stats_(stats) {}

  std::vector<Tensor> Run(const std::vector<LazyTensor>& outputs) {
    std::vector<const LazyNode*> roots;
    for (const LazyTensor& o : outputs) roots.push_back(Resolve(Checked(o, "Eval").get()));
    Order(roots);
    Analyse(roots);
    Execute();
    std::vector<Tensor> results;
    for (const LazyNode* r : roots) results.push_back(value_[index_.at(r)]);
    return results;
  }

 private:
  // Follows dropped identities to the node that stands for `n`.
  const LazyNode* Resolve(const LazyNode* n) {
    while (options_.simplify && n->op != LazyOp::kLeaf) {
      const bool identity =
          ((n->op == LazyOp::kMulScalar || n->op == LazyOp::kDivScalar) && n->scalar == 1.f) ||
          (n->op == LazyOp::kAddScalar && n->scalar == 0.f && std::signbit(n->scalar));
      if (!identity) break;
      if (simplified_.insert(n).second) ++stats_.simplified;
      n = n->inputs[0].get();
    }
    return n;
  }

  // Iterative post-order DFS, so long chains cannot overflow the stack.
  void Order(const std::vector<const LazyNode*>& roots) {
    std::vector<std::pair<const LazyNode*, size_t>> stack;
    for (const LazyNode* r : roots) {
      if (index_.count(r)) continue;
      stack.push_back({r, 0});
      index_[r] = -1;  // on the stack
      while (!stack.empty()) {
        auto& [n, next] = stack.back();
        if (next < n->inputs.size()) {
          const LazyNode* in = Resolve(n->inputs[next++].get());
          if (!index_.count(in)) {
            index_[in] = -1;
            stack.push_back({in, 0});
          }
          continue;
        }
        index_[n] = static_cast<int>(order_.size());
        order_.push_back(n);
        stack.pop_back();
      }
    }
    stats_.nodes = static_cast<int64_t>(order_.size());
  }

  std::vector<int> Inputs(const LazyNode* n) {
    std::vector<int> ids;
    for (const NodePtr& in : n->inputs) ids.push_back(index_.at(Resolve(in.get())));
    return ids;
  }

  // Marks outputs, counts consumers, and picks the fused groups: an elementwise node joins its
  // consumer's pass when the consumer is the only reader, is fusable itself, and has its shape.
  void Analyse(const std::vector<const LazyNode*>& roots) {
    const size_t n = order_.size();
    inputs_.resize(n);
    consumers_.assign(n, {});
    is_output_.assign(n, false);
    fusable_.assign(n, false);
    member_.assign(n, false);
    for (const LazyNode* r : roots) is_output_[index_.at(r)] = true;
    for (size_t i = 0; i < n; ++i) {
      inputs_[i] = Inputs(order_[i]);
      std::vector<int> unique = inputs_[i];
      std::sort(unique.begin(), unique.end());
      unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
      for (int j : unique) consumers_[j].push_back(static_cast<int>(i));
      const LazyNode* node = order_[i];
      fusable_[i] = options_.fuse && IsElementwise(node->op);
      for (int j : inputs_[i]) {
        fusable_[i] = fusable_[i] && FusableInput(order_[j]->shape, node->shape);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (!fusable_[i] || is_output_[i] || consumers_[i].size() != 1) continue;
      const int c = consumers_[i][0];
      const auto uses = std::count(inputs_[c].begin(), inputs_[c].end(), static_cast<int>(i));
      member_[i] = fusable_[c] && uses == 1 && order_[c]->shape == order_[i]->shape;
    }
  }

  // The group rooted at `root`: its inputs (the non-members its members read) and its program
  // (the members in topological order, each writing the slot after the inputs').
  void BuildGroup(int root, std::vector<int>& inputs, std::vector<Instr>& program) {
    std::vector<int> members;
    for (std::vector<int> stack{root}; !stack.empty();) {
      const int m = stack.back();
      stack.pop_back();
      members.push_back(m);
      for (int j : inputs_[m]) {
        if (member_[j]) stack.push_back(j);
      }
    }
    std::sort(members.begin(), members.end());  // indices are topological
    std::unordered_map<int, int> slot;
    for (int m : members) {
      for (int j : inputs_[m]) {
        if (!member_[j] && slot.emplace(j, static_cast<int>(inputs.size())).second) {
          inputs.push_back(j);
        }
      }
    }
    for (size_t t = 0; t < members.size(); ++t) {
      slot[members[t]] = static_cast<int>(inputs.size() + t);
    }
    for (int m : members) {
      const std::vector<int>& in = inputs_[m];
      program.push_back({Info(order_[m]->op).block, slot.at(in[0]),
                         in.size() > 1 ? slot.at(in[1]) : -1, order_[m]->scalar});
    }
  }

  void Execute() {
    const size_t n = order_.size();
    value_.assign(n, Tensor());
    // How many materialized nodes still need each node's value.
    std::vector<int> remaining(n, 0);
    std::vector<std::vector<int>> deps(n);
    std::vector<std::vector<Instr>> programs(n);
    for (size_t i = 0; i < n; ++i) {
      if (member_[i]) continue;
      std::vector<int> d;
      if (fusable_[i] &&
          std::any_of(inputs_[i].begin(), inputs_[i].end(), [&](int j) { return member_[j]; })) {
        BuildGroup(static_cast<int>(i), d, programs[i]);
      } else {
        d = inputs_[i];
        std::sort(d.begin(), d.end());
        d.erase(std::unique(d.begin(), d.end()), d.end());
      }
      for (int j : d) ++remaining[j];
      deps[i] = std::move(d);
    }
    for (size_t i = 0; i < n; ++i) {
      if (member_[i]) continue;
      const LazyNode& node = *order_[i];
      if (node.op == LazyOp::kLeaf) {
        value_[i] = node.value;
        continue;
      }
      if (!programs[i].empty()) {
        value_[i] = RunGroup(static_cast<int>(i), deps[i], programs[i], remaining);
      } else {
        std::vector<Tensor> in;
        for (int j : inputs_[i]) in.push_back(value_[j]);
        value_[i] = Info(node.op).eager(node, in);
        ++stats_.kernels;
      }
      for (int j : deps[i]) {
        if (--remaining[j] == 0 && !is_output_[j]) Release(j);
      }
    }
  }

  Tensor RunGroup(int root, const std::vector<int>& inputs, const std::vector<Instr>& program,
                  const std::vector<int>& remaining) {
    const Shape& shape = order_[root]->shape;
    const auto [out, in_place] = Destination(shape, inputs, remaining);
    std::vector<FusedInput> fused;
    std::vector<Tensor> packed;  // packed copies of strided leaves, alive for the pass
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor v = static_cast<int>(i) == in_place ? out : value_[inputs[i]].Contiguous();
      packed.push_back(v);
      fused.push_back({v.data<float>(), v.numel()});
    }
    if (out.numel() > 0) RunFused(fused, program, out.data<float>(), out.numel());
    ++stats_.kernels;
    ++stats_.fused_passes;
    stats_.fused_ops += static_cast<int64_t>(program.size());
    return out;
  }

  // Only a buffer no one else can see may be overwritten: an intermediate this Eval made, not an
  // output, packed, whose storage has no other handle.
  bool Private(int j) const {
    const Tensor& v = value_[j];
    return order_[j]->op != LazyOp::kLeaf && !is_output_[j] && v.defined() && v.offset() == 0 &&
           v.is_contiguous() && v.storage().use_count() == 1;
  }

  // Where a fused pass writes: over an input that dies with it (returning that input's position),
  // into a released buffer of the right size, or into a fresh one.
  std::pair<Tensor, int> Destination(const Shape& shape, const std::vector<int>& inputs,
                                     const std::vector<int>& remaining) {
    const size_t bytes = internal::StorageBytesOf(shape, DType::kFloat32, "Lazy");
    const auto over = [&](std::shared_ptr<Storage> storage) {
      return Tensor::FromStorage(std::move(storage), DType::kFloat32, shape,
                                 internal::ContiguousStrides(shape), 0);
    };
    if (options_.reuse_buffers && bytes > 0) {
      for (size_t i = 0; i < inputs.size(); ++i) {
        const int j = inputs[i];
        if (remaining[j] == 1 && Private(j) && value_[j].storage()->bytes() == bytes) {
          std::shared_ptr<Storage> storage = value_[j].storage();
          value_[j] = Tensor();  // the pass owns it now
          ++stats_.written_in_place;
          return {over(std::move(storage)), static_cast<int>(i)};
        }
      }
      if (auto it = pool_.find(bytes); it != pool_.end()) {
        std::shared_ptr<Storage> storage = std::move(it->second);
        pool_.erase(it);
        ++stats_.recycled_buffers;
        return {over(std::move(storage)), -1};
      }
    }
    return {internal::EmptyLike(shape), -1};
  }

  void Release(int j) {
    if (options_.reuse_buffers && Private(j)) {
      std::shared_ptr<Storage> storage = value_[j].storage();
      pool_.emplace(storage->bytes(), std::move(storage));
    }
    value_[j] = Tensor();
  }

  const EvalOptions& options_;
  EvalStats& stats_;
  std::unordered_set<const LazyNode*> simplified_;
  std::unordered_map<const LazyNode*, int> index_;
  std::vector<const LazyNode*> order_;
  std::vector<std::vector<int>> inputs_, consumers_;
  std::vector<bool> is_output_, fusable_, member_;
  std::vector<Tensor> value_;
  std::multimap<size_t, std::shared_ptr<Storage>> pool_;
};

// The lazy worker: one thread, jobs in submission order. Destroyed at exit after the jobs
// already queued have run.
class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) {}
  ~Worker() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void Submit(std::function<void()> job) {
    {
      const std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

LazyTensor::LazyTensor(const Tensor& value) {
  internal::CheckFloat(value, "Lazy");
  auto node = std::make_shared<LazyNode>();
  node->shape = value.shape();
  node->value = value.Detach();
  node_ = std::move(node);
}

const Shape& LazyTensor::shape() const { return Checked(*this, "shape")->shape; }
LazyOp LazyTensor::op() const { return Checked(*this, "op")->op; }

std::vector<Tensor> Eval(const std::vector<LazyTensor>& outputs, const EvalOptions& options,
                         EvalStats* stats) {
  NoGradGuard no_grad;
  EvalStats local;
  std::vector<Tensor> results = Evaluator(options, local).Run(outputs);
  if (stats) *stats = local;
  return results;
}

Tensor LazyTensor::Eval(const EvalOptions& options, EvalStats* stats) const {
  return tinytorch::Eval({*this}, options, stats)[0];
}

std::future<Tensor> LazyTensor::EvalAsync(const EvalOptions& options) const {
  Checked(*this, "EvalAsync");
  static Worker worker;
  auto task = std::make_shared<std::packaged_task<Tensor()>>(
      [graph = *this, options] { return graph.Eval(options); });
  std::future<Tensor> result = task->get_future();
  worker.Submit([task] { (*task)(); });
  return result;
}

LazyTensor operator+(const LazyTensor& a, const LazyTensor& b) {
  return Binary(LazyOp::kAdd, a, b);
}
LazyTensor operator-(const LazyTensor& a, const LazyTensor& b) {
  return Binary(LazyOp::kSub, a, b);
}
LazyTensor operator*(const LazyTensor& a, const LazyTensor& b) {
  return Binary(LazyOp::kMul, a, b);
}
LazyTensor operator/(const LazyTensor& a, const LazyTensor& b) {
  return Binary(LazyOp::kDiv, a, b);
}
LazyTensor operator+(const LazyTensor& a, float s) { return Unary(LazyOp::kAddScalar, a, s); }
LazyTensor operator-(const LazyTensor& a, float s) { return Unary(LazyOp::kAddScalar, a, -s); }
LazyTensor operator*(const LazyTensor& a, float s) { return Unary(LazyOp::kMulScalar, a, s); }
LazyTensor operator/(const LazyTensor& a, float s) { return Unary(LazyOp::kDivScalar, a, s); }
LazyTensor operator+(float s, const LazyTensor& a) { return a + s; }
LazyTensor operator-(float s, const LazyTensor& a) { return Unary(LazyOp::kRSubScalar, a, s); }
LazyTensor operator*(float s, const LazyTensor& a) { return a * s; }
LazyTensor operator/(float s, const LazyTensor& a) { return Unary(LazyOp::kRDivScalar, a, s); }
LazyTensor operator-(const LazyTensor& x) { return Unary(LazyOp::kNeg, x); }
LazyTensor Exp(const LazyTensor& x) { return Unary(LazyOp::kExp, x); }
LazyTensor Log(const LazyTensor& x) { return Unary(LazyOp::kLog, x); }
LazyTensor Sqrt(const LazyTensor& x) { return Unary(LazyOp::kSqrt, x); }
LazyTensor Relu(const LazyTensor& x) { return Unary(LazyOp::kRelu, x); }
LazyTensor Sigmoid(const LazyTensor& x) { return Unary(LazyOp::kSigmoid, x); }
LazyTensor Tanh(const LazyTensor& x) { return Unary(LazyOp::kTanh, x); }
LazyTensor Gelu(const LazyTensor& x, GeluApproximation approximation) {
  return Unary(approximation == GeluApproximation::kTanh ? LazyOp::kGeluTanh : LazyOp::kGelu, x);
}
LazyTensor MatMul(const LazyTensor& a, const LazyTensor& b) {
  const NodePtr& na = Checked(a, "MatMul");
  const NodePtr& nb = Checked(b, "MatMul");
  return Record(LazyOp::kMatMul, MatMulShape(na->shape, nb->shape), {na, nb});
}
LazyTensor Softmax(const LazyTensor& x, int64_t dim) {
  const NodePtr& n = Checked(x, "Softmax");
  TT_CHECK(!n->shape.empty(), "lazy Softmax: needs at least 1 dim, got shape ", n->shape);
  const int64_t d =
      internal::NormalizeDim(dim, static_cast<int64_t>(n->shape.size()), "lazy Softmax");
  return Record(LazyOp::kSoftmax, n->shape, {n}, 0.f, d);
}

}  // namespace tinytorch
