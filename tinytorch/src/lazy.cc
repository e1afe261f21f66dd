// Lazy execution, the recording side: LazyTensor, the ops that record nodes (checking shapes as
// the eager ops would), and Eval / EvalAsync, which hand the graph to the planner (lazy_eval.cc).
#include "tinytorch/lazy.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "lazy_internal.h"
#include "tensor_internal.h"
#include "tinytorch/autograd.h"
#include "tinytorch/error.h"

namespace tinytorch {

const internal::LazyNodePtr& internal::CheckedNode(const LazyTensor& t, const char* op) {
  TT_CHECK(t.defined(), "lazy ", op, ": operand is an undefined LazyTensor");
  return t.node();
}

namespace {

using NodePtr = internal::LazyNodePtr;

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
  const NodePtr& na = internal::CheckedNode(a, name);
  const NodePtr& nb = internal::CheckedNode(b, name);
  const std::string what = std::string("lazy ") + name;
  return Record(op, BroadcastShapes(na->shape, nb->shape, what.c_str()), {na, nb});
}

LazyTensor Unary(LazyOp op, const LazyTensor& x, float scalar = 0.f) {
  const NodePtr& n = internal::CheckedNode(x, LazyOpName(op));
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

const Shape& LazyTensor::shape() const { return internal::CheckedNode(*this, "shape")->shape; }
LazyOp LazyTensor::op() const { return internal::CheckedNode(*this, "op")->op; }

std::vector<Tensor> Eval(const std::vector<LazyTensor>& outputs, const EvalOptions& options,
                         EvalStats* stats) {
  NoGradGuard no_grad;
  EvalStats local;
  std::vector<Tensor> results = internal::EvaluateLazy(outputs, options, local);
  if (stats) *stats = local;
  return results;
}

Tensor LazyTensor::Eval(const EvalOptions& options, EvalStats* stats) const {
  return tinytorch::Eval({*this}, options, stats)[0];
}

std::future<Tensor> LazyTensor::EvalAsync(const EvalOptions& options) const {
  internal::CheckedNode(*this, "EvalAsync");
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
  const NodePtr& na = internal::CheckedNode(a, "MatMul");
  const NodePtr& nb = internal::CheckedNode(b, "MatMul");
  return Record(LazyOp::kMatMul, MatMulShape(na->shape, nb->shape), {na, nb});
}
LazyTensor Softmax(const LazyTensor& x, int64_t dim) {
  const NodePtr& n = internal::CheckedNode(x, "Softmax");
  TT_CHECK(!n->shape.empty(), "lazy Softmax: needs at least 1 dim, got shape ", n->shape);
  const int64_t d =
      internal::NormalizeDim(dim, static_cast<int64_t>(n->shape.size()), "lazy Softmax");
  return Record(LazyOp::kSoftmax, n->shape, {n}, 0.f, d);
}

}  // namespace tinytorch
