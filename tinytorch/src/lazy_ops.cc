// The lazy op table: one entry per LazyOp, in enum order, holding everything the recorder, the
// planner and the two ways of running a node need to know about the op.
#include "elementwise_ops.h"
#include "enum_table.h"
#include "kernels/vector_math.h"
#include "lazy_internal.h"
#include "tinytorch/activations.h"

namespace tinytorch {

namespace {

namespace ops = internal::ops;
using internal::LazyOpInfo;

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

}  // namespace

const LazyOpInfo& internal::LazyOpInfoOf(LazyOp op) { return kLazyOps[static_cast<size_t>(op)]; }

const char* LazyOpName(LazyOp op) {
  return op < LazyOp::kCount ? internal::LazyOpInfoOf(op).name : "?";
}

}  // namespace tinytorch
