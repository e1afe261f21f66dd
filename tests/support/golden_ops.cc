#include "support/golden_ops.h"

#include "support/tensor_testing.h"
#include "tinytorch/activations.h"
#include "tinytorch/attention.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/embeddings.h"
#include "tinytorch/layers.h"
#include "tinytorch/losses.h"
#include "tinytorch/transformers.h"

namespace tinytorch::testing {

namespace {

using Inputs = std::vector<Tensor>;
using Attrs = nlohmann::json;

GoldenOp Binary(Tensor (*f)(const Tensor&, const Tensor&)) {
  return [f](const Inputs& in, const Attrs&) { return f(in.at(0), in.at(1)); };
}

GoldenOp Unary(Tensor (*f)(const Tensor&)) {
  return [f](const Inputs& in, const Attrs&) { return f(in.at(0)); };
}

// Reductions take {"axis", "keepdims"}, or no attrs for the reduction over all elements.
template <Tensor (Tensor::*kAll)() const, Tensor (Tensor::*kAxis)(int64_t, bool) const>
Tensor ReductionOp(const Inputs& in, const Attrs& attrs) {
  if (!attrs.contains("axis")) return (in.at(0).*kAll)();
  return (in.at(0).*kAxis)(attrs["axis"].get<int64_t>(), attrs["keepdims"].get<bool>());
}

Reduction ParseReduction(const Attrs& attrs) {
  const std::string r = attrs.at("reduction");
  return r == "sum" ? Reduction::kSum : r == "none" ? Reduction::kNone : Reduction::kMean;
}

template <class Loss>
GoldenOp LossOp() {
  return [](const Inputs& in, const Attrs& attrs) {
    return Loss(ParseReduction(attrs))(in.at(0), in.at(1));
  };
}

// Inputs are x, W (in, out), b, loaded into a real Linear module.
Tensor LinearOp(const Inputs& in, const Attrs&) {
  Generator gen(0);
  const Tensor& w = in.at(1);
  Linear layer(w.size(0), w.size(1), gen, /*bias=*/in.size() > 2);
  StateDict state = {{"weight", w}};
  if (in.size() > 2) state["bias"] = in.at(2);
  layer.LoadState(state);
  return layer(in.at(0));
}

Tensor MlpOp(const Inputs& in, const Attrs&) {
  Generator gen(0);
  Sequential model({std::make_shared<Linear>(in[1].size(0), in[1].size(1), gen),
                    std::make_shared<ReLULayer>(),
                    std::make_shared<Linear>(in[3].size(0), in[3].size(1), gen)});
  model.LoadState({{"0.weight", in[1]}, {"0.bias", in[2]}, {"2.weight", in[3]}, {"2.bias", in[4]}});
  return model(in[0]);
}

}  // namespace

const std::map<std::string, GoldenOp>& GoldenOps() {
  static const std::map<std::string, GoldenOp> ops = {
      // Module 01.
      {"add", Binary(Add)},
      {"sub", Binary(Sub)},
      {"mul", Binary(Mul)},
      {"div", Binary(Div)},
      {"pow", Binary(static_cast<Tensor (*)(const Tensor&, const Tensor&)>(Pow))},
      {"maximum", Binary(Maximum)},
      {"minimum", Binary(Minimum)},
      {"eq", Binary(Eq)},
      {"ne", Binary(Ne)},
      {"lt", Binary(Lt)},
      {"le", Binary(Le)},
      {"gt", Binary(Gt)},
      {"ge", Binary(Ge)},
      {"neg", Unary(Neg)},
      {"exp", Unary(Exp)},
      {"log", Unary(Log)},
      {"log1p", Unary(Log1p)},
      {"sqrt", Unary(Sqrt)},
      {"abs", Unary(Abs)},
      {"pow_scalar",
       [](const Inputs& in, const Attrs& a) { return Pow(in.at(0), a["exponent"].get<float>()); }},
      {"clamp",
       [](const Inputs& in, const Attrs& a) {
         return Clamp(in.at(0), a["min"].get<float>(), a["max"].get<float>());
       }},
      {"sum", ReductionOp<&Tensor::Sum, &Tensor::Sum>},
      {"mean", ReductionOp<&Tensor::Mean, &Tensor::Mean>},
      {"max", ReductionOp<&Tensor::Max, &Tensor::Max>},
      {"min", ReductionOp<&Tensor::Min, &Tensor::Min>},
      {"argmax", ReductionOp<&Tensor::Argmax, &Tensor::Argmax>},
      // Each matmul case runs on both backends: the naive kernel is the oracle for the fast one.
      {"matmul",
       [](const Inputs& in, const Attrs&) {
         const Tensor naive = MatMul(in.at(0), in.at(1), MatMulBackend::kNaive);
         const Tensor blas = MatMul(in.at(0), in.at(1), MatMulBackend::kOpenBlas);
         EXPECT_TRUE(AllClose(blas, naive, 1e-5, 1e-5)) << "OpenBLAS vs naive";
         return blas;
       }},
      // Views and joins (the zero-size-dim cases of edge_shapes.json).
      {"transpose",
       [](const Inputs& in, const Attrs& a) { return in.at(0).Transpose(a["dim0"], a["dim1"]); }},
      {"reshape",
       [](const Inputs& in, const Attrs& a) { return in.at(0).Reshape(a["shape"].get<Shape>()); }},
      {"stack", [](const Inputs& in, const Attrs&) { return Stack(in); }},
      // Module 02.
      {"relu", Unary(Relu)},
      {"sigmoid", Unary(Sigmoid)},
      {"tanh", Unary(Tanh)},
      {"gelu",
       [](const Inputs& in, const Attrs& a) {
         return Gelu(in.at(0), a["approximate"] == "tanh" ? GeluApproximation::kTanh
                                                          : GeluApproximation::kNone);
       }},
      {"softmax", [](const Inputs& in, const Attrs& a) { return Softmax(in.at(0), a["dim"]); }},
      {"log_softmax",
       [](const Inputs& in, const Attrs& a) { return LogSoftmax(in.at(0), a["dim"]); }},
      // Module 03.
      {"linear", LinearOp},
      {"mlp", MlpOp},
      // Module 04.
      {"mse", LossOp<MSELoss>()},
      {"cross_entropy", LossOp<CrossEntropyLoss>()},
      {"bce", LossOp<BinaryCrossEntropyLoss>()},
      {"bce_with_logits", LossOp<BinaryCrossEntropyWithLogitsLoss>()},
      // Module 09.
      {"conv2d",
       [](const Inputs& in, const Attrs& a) {
         return Convolve2d(in.at(0), in.at(1), in.size() > 2 ? in[2] : Tensor(), a["stride"],
                           a["padding"]);
       }},
      {"depthwise_conv2d",
       [](const Inputs& in, const Attrs& a) {
         return DepthwiseConvolve2d(in.at(0), in.at(1), in.size() > 2 ? in[2] : Tensor(),
                                    a["stride"], a["padding"]);
       }},
      {"max_pool2d",
       [](const Inputs& in, const Attrs& a) {
         return MaxPool(in.at(0), a["kernel"], a["stride"], a["padding"]);
       }},
      {"avg_pool2d",
       [](const Inputs& in, const Attrs& a) {
         return AvgPool(in.at(0), a["kernel"], a["stride"], a["padding"]);
       }},
      {"batch_norm_train",
       [](const Inputs& in, const Attrs&) {
         return BatchNormalize(in.at(0), in.at(1), in.at(2), Tensor(), Tensor(), /*training=*/true);
       }},
      {"batch_norm_eval",
       [](const Inputs& in, const Attrs&) {
         return BatchNormalize(in.at(0), in.at(1), in.at(2), in.at(3), in.at(4),
                               /*training=*/false);
       }},
      // 11 embeddings, 12 attention, 13 transformers
      {"embedding",
       [](const Inputs& in, const Attrs&) { return EmbeddingLookup(in.at(0), in.at(1)); }},
      {"sdpa",
       [](const Inputs& in, const Attrs& a) {
         return ScaledDotProductAttention(in.at(0), in.at(1), in.at(2),
                                          in.size() > 3 ? in[3] : Tensor(), a["causal"]);
       }},
      {"layer_norm",
       [](const Inputs& in, const Attrs& a) {
         return LayerNormalize(in.at(0), in.at(1), in.at(2), a["eps"]);
       }},
  };
  return ops;
}

void CheckGoldenBackward(const GoldenCase& c) {
  ASSERT_TRUE(c.load_error.empty()) << c.load_error;
  ASSERT_EQ(c.requires_grad.size(), c.inputs.size()) << c.name << " is not a backward case";
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor leaf = c.inputs[i].Clone();
    if (c.requires_grad[i]) leaf.set_requires_grad(true);
    inputs.push_back(leaf);
  }
  const Tensor out = GoldenOps().at(c.op)(inputs, c.attrs);
  (out * c.upstream).Sum().Backward();
  EXPECT_TENSOR_CLOSE(out, c.expected, c.rtol, c.atol) << "forward";
  for (size_t i = 0; i < c.expected_grads.size(); ++i) {
    if (!c.expected_grads[i].defined()) continue;
    EXPECT_TENSOR_CLOSE(inputs[i].grad(), c.expected_grads[i], c.rtol, c.atol)
        << "gradient of input " << i;
    RecordMaxError(inputs[i].grad(), c.expected_grads[i]);
  }
}

void CheckGoldenModule(const GoldenCase& c, Module& module) {
  ASSERT_TRUE(c.load_error.empty()) << c.load_error;
  const auto names = c.attrs.at("params").get<std::vector<std::string>>();
  ASSERT_EQ(names.size() + 1, c.inputs.size()) << c.name;
  StateDict state;
  for (size_t i = 0; i < names.size(); ++i) state[names[i]] = c.inputs[i + 1];
  module.LoadState(state);
  Tensor x = c.inputs[0].Clone();
  if (c.requires_grad.at(0)) x.set_requires_grad(true);
  const Tensor out = module(x);
  (out * c.upstream).Sum().Backward();
  EXPECT_TENSOR_CLOSE(out, c.expected, c.rtol, c.atol) << "forward";
  const StateDict params = module.GetStateDict();
  for (size_t i = 0; i < c.expected_grads.size(); ++i) {
    if (!c.expected_grads[i].defined()) continue;
    const Tensor grad = i == 0 ? x.grad() : params.at(names[i - 1]).grad();
    EXPECT_TENSOR_CLOSE(grad, c.expected_grads[i], c.rtol, c.atol)
        << "gradient of " << (i == 0 ? std::string("the input") : names[i - 1]);
    RecordMaxError(grad, c.expected_grads[i]);
  }
}

}  // namespace tinytorch::testing
