// Lazy evaluation: the Eval planner (simplify, fuse, reuse) and the fused pass it runs.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "lazy_internal.h"
#include "tensor_internal.h"

namespace tinytorch {

namespace {

using internal::BlockFn;
using NodePtr = internal::LazyNodePtr;

const internal::LazyOpInfo& Info(LazyOp op) { return internal::LazyOpInfoOf(op); }

bool IsElementwise(LazyOp op) { return Info(op).block != nullptr; }

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
    for (const LazyTensor& o : outputs)
      roots.push_back(Resolve(internal::CheckedNode(o, "Eval").get()));
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

}  // namespace

std::vector<Tensor> internal::EvaluateLazy(const std::vector<LazyTensor>& outputs,
                                           const EvalOptions& options, EvalStats& stats) {
  return Evaluator(options, stats).Run(outputs);
}

}  // namespace tinytorch
