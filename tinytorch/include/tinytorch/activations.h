// Module 02: activation functions. All are elementwise except Softmax/LogSoftmax, which normalise
// along one dim and stay finite for any finite input (the max is subtracted first).
#pragma once

#include "tinytorch/tensor.h"

namespace tinytorch {

enum class GeluApproximation { kNone, kTanh };  // kNone: 0.5·x·(1 + erf(x/√2)), exact

Tensor Relu(const Tensor& x);
Tensor Sigmoid(const Tensor& x);  // 1/(1+e^-x), evaluated so neither branch overflows
Tensor Tanh(const Tensor& x);
Tensor Gelu(const Tensor& x, GeluApproximation approximation = GeluApproximation::kNone);
// exp(x - max) / sum(exp(x - max)) along `dim`; a row of all -inf gives NaN, as in PyTorch.
Tensor Softmax(const Tensor& x, int64_t dim = -1);
// x - max - log(sum(exp(x - max))) along `dim`: no exp of large values, no log of 0.
Tensor LogSoftmax(const Tensor& x, int64_t dim = -1);

}  // namespace tinytorch
