// Module 03: Module bookkeeping and the basic layers.
#include "tinytorch/layers.h"

#include <cmath>

#include "tensor_internal.h"
#include "tinytorch/autograd.h"

namespace tinytorch {

// ---------------------------------------------------------------------------------------------
// Module.

Tensor Module::RegisterParameter(std::string name, Tensor value) {
  TT_CHECK(value.defined(), "Module::RegisterParameter: '", name, "' is undefined");
  value.set_requires_grad(true);
  parameters_.emplace_back(std::move(name), value);
  return value;
}

Tensor Module::RegisterBuffer(std::string name, Tensor value) {
  TT_CHECK(value.defined(), "Module::RegisterBuffer: '", name, "' is undefined");
  buffers_.emplace_back(std::move(name), value);
  return value;
}

void Module::AddChild(std::string name, std::shared_ptr<Module> module) {
  TT_CHECK(module != nullptr, "Module::RegisterModule: '", name, "' is null");
  TT_CHECK(module.get() != this, "Module::RegisterModule: a module cannot contain itself");
  children_.emplace_back(std::move(name), std::move(module));
}

void Module::Collect(const std::string& prefix, bool buffers, NamedTensors& out) const {
  for (const auto& [name, t] : buffers ? buffers_ : parameters_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->Collect(prefix + name + ".", buffers, out);
}

NamedTensors Module::NamedParameters() const {
  NamedTensors out;
  Collect("", false, out);
  return out;
}

NamedTensors Module::NamedBuffers() const {
  NamedTensors out;
  Collect("", true, out);
  return out;
}

std::vector<Tensor> Module::Parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : NamedParameters()) out.push_back(t);
  return out;
}

int64_t Module::NumParameters() const {
  int64_t n = 0;
  for (const Tensor& t : Parameters()) n += t.numel();
  return n;
}

int64_t Module::StateBytes() const {
  int64_t bytes = 0;
  for (const NamedTensors& group : {NamedParameters(), NamedBuffers()}) {
    for (const auto& [name, t] : group)
      bytes += t.numel() * static_cast<int64_t>(ElementSize(t.dtype()));
  }
  return bytes;
}

void Module::Train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->Train(on);
}

StateDict Module::GetStateDict() const {
  StateDict state;
  for (auto& [name, t] : NamedParameters()) state.emplace(name, t);
  for (auto& [name, t] : NamedBuffers()) state.emplace(name, t);
  return state;
}

void Module::CheckState(const StateDict& state, bool strict) const {
  const StateDict own = GetStateDict();
  for (const auto& [name, target] : own) {
    const auto it = state.find(name);
    TT_CHECK(it != state.end(), "Module::LoadState: missing entry '", name, "' (", ToString(), ")");
    const Tensor& src = it->second;
    TT_CHECK(src.defined() && src.shape() == target.shape() && src.dtype() == target.dtype(),
             "Module::LoadState: entry '", name, "' has shape ",
             src.defined() ? src.shape() : Shape{}, " ",
             src.defined() ? DTypeName(src.dtype()) : "", ", the module expects ", target.shape(),
             " ", DTypeName(target.dtype()));
  }
  if (strict) {
    for (const auto& [name, t] : state) {
      TT_CHECK(own.contains(name), "Module::LoadState: unexpected entry '", name, "' (", ToString(),
               ")");
    }
  }
}

void Module::LoadState(const StateDict& state, bool strict) {
  CheckState(state, strict);
  NoGradGuard no_grad;  // overwriting parameters is not part of any graph
  for (const auto& [name, target] : GetStateDict()) {
    Tensor dst = target;
    dst.CopyFrom(state.at(name));
  }
  NotifyStateLoaded();
}

void Module::NotifyStateLoaded() {
  for (const auto& [name, child] : children_) child->NotifyStateLoaded();
  StateLoaded();
}

void Module::Save(const std::string& path) const { SaveStateDict(GetStateDict(), path); }

void Module::Load(const std::string& path) { LoadState(LoadStateDict(path)); }

// ---------------------------------------------------------------------------------------------
// Initialisation.

Tensor InitWeight(const Shape& shape, int64_t fan_in, int64_t fan_out, Init init, Generator& gen) {
  TT_CHECK(fan_in > 0 && fan_out > 0, "InitWeight: fan_in=", fan_in, " and fan_out=", fan_out,
           " must be positive");
  switch (init) {
    case Init::kXavierUniform: {
      const auto a = static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in + fan_out)));
      return Tensor::Rand(shape, gen, -a, a);
    }
    case Init::kHeNormal:
      return Tensor::RandN(shape, gen, 0.f, static_cast<float>(std::sqrt(2.0 / fan_in)));
    case Init::kLeCunNormal:
      return Tensor::RandN(shape, gen, 0.f, static_cast<float>(std::sqrt(1.0 / fan_in)));
  }
  detail::Throw("InitWeight: unknown scheme ", static_cast<int>(init));
}

// ---------------------------------------------------------------------------------------------
// Linear.

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias, Init init)
    : in_features_(in_features), out_features_(out_features) {
  TT_CHECK(in_features > 0 && out_features > 0, "Linear: in_features=", in_features,
           " and out_features=", out_features, " must be positive");
  weight_ = RegisterParameter(
      "weight", InitWeight({in_features, out_features}, in_features, out_features, init, gen));
  if (bias) bias_ = RegisterParameter("bias", Tensor::Zeros({out_features}));
}

Tensor Linear::Forward(const Tensor& x) {
  TT_CHECK(x.defined() && x.dim() >= 1 && x.size(-1) == in_features_, "Linear: input shape ",
           x.defined() ? x.shape() : Shape{}, " does not end in in_features=", in_features_);
  Tensor y = MatMul(x, weight_);
  if (!bias_.defined()) return y;
  // Without a graph to record, the bias goes into the product's fresh storage: a tensor fewer
  // (its allocation, a pass over it and its release: 17% of the fp32 digits MLP at batch 1).
  if (!internal::NeedsGrad(x, weight_, bias_)) return y += bias_;
  return y + bias_;
}

std::string Linear::ToString() const {
  return "Linear(in_features=" + std::to_string(in_features_) +
         ", out_features=" + std::to_string(out_features_) +
         ", bias=" + (bias_.defined() ? "true" : "false") + ")";
}

// ---------------------------------------------------------------------------------------------
// Dropout.

Dropout::Dropout(float p, uint64_t seed) : p_(p), gen_(seed) {
  TT_CHECK(p >= 0.f && p <= 1.f, "Dropout: p=", p, " must be in [0, 1]");
}

Tensor Dropout::Forward(const Tensor& x) {
  internal::CheckFloat(x, "Dropout");
  if (!is_training() || p_ == 0.f) return x;
  if (p_ == 1.f) return Tensor::Zeros(x.shape());
  Tensor mask = internal::EmptyLike(x.shape());
  float* m = mask.data<float>();
  const float keep_scale = 1.f / (1.f - p_);
  for (int64_t i = 0; i < mask.numel(); ++i) m[i] = gen_.Uniform() >= p_ ? keep_scale : 0.f;
  return x * mask;
}

std::string Dropout::ToString() const { return "Dropout(p=" + std::to_string(p_) + ")"; }

// ---------------------------------------------------------------------------------------------
// Sequential.

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) Add(std::move(m));
}

Sequential& Sequential::Add(std::shared_ptr<Module> module) {
  RegisterModule(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
  return *this;
}

Tensor Sequential::Forward(const Tensor& x) {
  Tensor h = x;
  for (auto& layer : layers_) h = layer->Forward(h);
  return h;
}

Module& Sequential::operator[](size_t i) const {
  TT_CHECK(i < layers_.size(), "Sequential: index ", i, " is out of range for ", layers_.size(),
           " layers");
  return *layers_[i];
}

std::string Sequential::ToString() const {
  std::string s = "Sequential(\n";
  for (size_t i = 0; i < layers_.size(); ++i) {
    s += "  (" + std::to_string(i) + "): " + layers_[i]->ToString() + "\n";
  }
  return s + ")";
}

std::string GELULayer::ToString() const {
  return approximation_ == GeluApproximation::kTanh ? "GELU(approximate='tanh')" : "GELU()";
}

}  // namespace tinytorch
