#include "support/digits_models.h"

#include "tinytorch/digits.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch::testing {

namespace {

std::shared_ptr<Sequential> Trained(std::shared_ptr<Sequential> model, bool images, int epochs,
                                    float lr) {
  const DigitsData& d = Digits();
  digits::Train(*model, {d.train_x, d.train_y, d.test_x, d.test_y}, images, epochs, lr, 42);
  return model;
}

Tensor Argmax(Module& model, const Tensor& x) {
  const NoGradGuard no_grad;
  return model(x).Argmax(1);
}

}  // namespace

const DigitsData& Digits() {
  static const DigitsData data = [] {
    const digits::Split s = digits::Load(TT_DATA_DIR "/digits/digits.csv");
    return DigitsData{s.train_x, s.train_y, s.test_x, s.test_y};
  }();
  return data;
}

Tensor AsImages(const Tensor& flat) { return digits::AsImages(flat); }

std::shared_ptr<Sequential> TrainedDigitsMlp() {
  static const std::shared_ptr<Sequential> model = [] {
    Generator gen(42);
    return Trained(digits::BuildMlp(gen), /*images=*/false, /*epochs=*/20, 2e-3f);
  }();
  return model;
}

std::shared_ptr<Sequential> TrainedDigitsCnn() {
  static const std::shared_ptr<Sequential> model = [] {
    Generator gen(42);
    return Trained(digits::BuildCnn(gen), /*images=*/true, /*epochs=*/10, 3e-3f);
  }();
  return model;
}

double Accuracy(Module& model, const Tensor& x, const Tensor& y) {
  const Tensor pred = Argmax(model, x);
  int64_t correct = 0;
  for (int64_t i = 0; i < y.numel(); ++i)
    correct += pred.data<int64_t>()[i] == y.data<int64_t>()[i];
  return static_cast<double>(correct) / static_cast<double>(y.numel());
}

double Agreement(Module& a, Module& b, const Tensor& x) { return Accuracy(a, x, Argmax(b, x)); }

}  // namespace tinytorch::testing
