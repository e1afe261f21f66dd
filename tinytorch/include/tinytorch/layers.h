// Module 03: layers. `Module` owns named parameters, buffers and child modules; `Linear`,
// `Dropout`, `Sequential` and the activation modules build on it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tinytorch/activations.h"
#include "tinytorch/serialization.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Parameters are shared handles; a copied module would silently share its weights.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor Forward(const Tensor& input) = 0;
  Tensor operator()(const Tensor& input) { return Forward(input); }
  // One-line description, e.g. "Linear(in_features=64, out_features=10, bias=true)".
  virtual std::string ToString() const = 0;

  // Recursive, in registration order; children's names are prefixed ("0.weight").
  std::vector<Tensor> Parameters() const;
  NamedTensors NamedParameters() const;
  NamedTensors NamedBuffers() const;  // non-trainable state (e.g. running statistics)
  int64_t NumParameters() const;      // total element count
  // Bytes of every parameter and buffer as stored (element count × element size, so an int8
  // weight counts one byte per element): what the model occupies, measured on its tensors.
  int64_t StateBytes() const;

  // Direct children in registration order (Sequential's layers are "0", "1", ...).
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& NamedChildren() const {
    return children_;
  }

  void Train(bool on = true);  // recursive
  void Eval() { Train(false); }
  bool is_training() const { return training_; }

  // Parameters and buffers by name; the tensors are shared with the module, not copies.
  StateDict GetStateDict() const;
  // Validates every name, shape and dtype before writing anything, so a mismatched state leaves
  // the module untouched. `strict` also rejects names the module does not have.
  void LoadState(const StateDict& state, bool strict = true);
  void CheckState(const StateDict& state, bool strict = true) const;  // LoadState's validation
  void Save(const std::string& path) const;                           // atomic
  void Load(const std::string& path);

 protected:
  // Registers a trainable tensor (requires_grad set) and returns the shared handle.
  Tensor RegisterParameter(std::string name, Tensor value);
  Tensor RegisterBuffer(std::string name, Tensor value);
  // Called on this module and every descendant after LoadState has written new values, for a
  // module that keeps something derived from its state (the quantized Linear's packed weights).
  virtual void StateLoaded() {}
  template <class M>
  std::shared_ptr<M> RegisterModule(std::string name, std::shared_ptr<M> module) {
    AddChild(std::move(name), module);
    return module;
  }

 private:
  void AddChild(std::string name, std::shared_ptr<Module> module);
  void Collect(const std::string& prefix, bool buffers, NamedTensors& out) const;
  void NotifyStateLoaded();

  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Weight initialisation schemes for layers with a fan-in and fan-out.
enum class Init {
  kXavierUniform,  // U(-a, a), a = √(6/(fan_in + fan_out)); Glorot & Bengio (2010)
  kHeNormal,       // N(0, 2/fan_in); He et al. (2015), for ReLU networks
  kLeCunNormal,    // N(0, 1/fan_in); what the TinyTorch course's Linear uses
};
Tensor InitWeight(const Shape& shape, int64_t fan_in, int64_t fan_out, Init init, Generator& gen);

// y = x @ W + b with W shaped (in_features, out_features), as in TinyTorch; x is (...,
// in_features).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true,
         Init init = Init::kXavierUniform);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined when built without bias
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_, out_features_;
  Tensor weight_, bias_;
};

// Inverted dropout: in training, zeroes each element with probability p and scales the rest by
// 1/(1-p); in eval mode, the identity. The mask stream is seeded, so runs are reproducible.
class Dropout : public Module {
 public:
  explicit Dropout(float p = 0.5f, uint64_t seed = 0);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

 private:
  float p_;
  Generator gen_;
};

class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);
  Sequential& Add(std::shared_ptr<Module> module);  // named by position: "0", "1", ...
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) const;
  const std::vector<std::shared_ptr<Module>>& layers() const { return layers_; }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

// Passes its input through: what an activation becomes once a quantized layer before it applies
// it in its own epilogue (QuantizeModel; PyTorch's fuse_modules leaves nn.Identity the same way),
// so the layers after it keep their positions and state names.
class Identity : public Module {
 public:
  Tensor Forward(const Tensor& x) override { return x; }
  std::string ToString() const override { return "Identity()"; }
};

// Activation functions as modules, for use inside Sequential. (The "Layer" suffix keeps them apart
// from the functions of the same name in activations.h.)
class ReLULayer : public Module {
 public:
  Tensor Forward(const Tensor& x) override { return Relu(x); }
  std::string ToString() const override { return "ReLU()"; }
};
class SigmoidLayer : public Module {
 public:
  Tensor Forward(const Tensor& x) override { return Sigmoid(x); }
  std::string ToString() const override { return "Sigmoid()"; }
};
class TanhLayer : public Module {
 public:
  Tensor Forward(const Tensor& x) override { return Tanh(x); }
  std::string ToString() const override { return "Tanh()"; }
};
class GELULayer : public Module {
 public:
  explicit GELULayer(GeluApproximation approximation = GeluApproximation::kNone)
      : approximation_(approximation) {}
  Tensor Forward(const Tensor& x) override { return Gelu(x, approximation_); }
  std::string ToString() const override;

 private:
  GeluApproximation approximation_;
};
class SoftmaxLayer : public Module {
 public:
  explicit SoftmaxLayer(int64_t dim = -1) : dim_(dim) {}
  Tensor Forward(const Tensor& x) override { return Softmax(x, dim_); }
  std::string ToString() const override { return "Softmax(dim=" + std::to_string(dim_) + ")"; }

 private:
  int64_t dim_;
};

}  // namespace tinytorch
