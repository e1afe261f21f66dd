// Trained digits models for the tests of the optimization modules (15 quantization, 16
// compression): the examples' split and architectures, trained once per test process (cached)
// so every test compares an optimized model against the same float baseline.
#pragma once

#include <memory>

#include "tinytorch/layers.h"

namespace tinytorch::testing {

struct DigitsData {
  Tensor train_x, train_y, test_x, test_y;  // x (N, 64) in [0, 1], y (N) int64
};
const DigitsData& Digits();

// 64-128-64-10 ReLU MLP and the small CNN of examples/digits_cnn.cpp, trained with Adam and a
// cosine schedule (seed 42). Callers must not train them further: they are shared.
std::shared_ptr<Sequential> TrainedDigitsMlp();
std::shared_ptr<Sequential> TrainedDigitsCnn();

// Images for the CNN: (N, 64) → (N, 1, 8, 8).
Tensor AsImages(const Tensor& flat);

// Fraction of rows whose argmax of model(x) equals y; and of rows where two models agree.
double Accuracy(Module& model, const Tensor& x, const Tensor& y);
double Agreement(Module& a, Module& b, const Tensor& x);

}  // namespace tinytorch::testing
