#include "support/digits_models.h"

#include "digits.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch::testing {

namespace {

std::shared_ptr<Sequential> Train(std::shared_ptr<Sequential> model, bool images, int epochs,
                                  float lr) {
  const DigitsData& d = Digits();
  const Tensor x = images ? AsImages(d.train_x) : d.train_x;
  auto train = std::make_shared<TensorDataset>(x, d.train_y);
  DataLoader loader(train, {.batch_size = 32, .shuffle = true, .seed = 42});
  Adam optimizer(model->Parameters(), {.lr = lr});
  Trainer trainer(*model, optimizer, CrossEntropyLoss(),
                  {.schedule = CosineSchedule(lr, 1e-4f, epochs * loader.NumBatches())});
  for (int e = 0; e < epochs; ++e) trainer.RunEpoch(loader);
  model->Eval();
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

Tensor AsImages(const Tensor& flat) { return flat.Reshape({flat.size(0), 1, 8, 8}); }

std::shared_ptr<Sequential> TrainedDigitsMlp() {
  static const std::shared_ptr<Sequential> model = [] {
    Generator gen(42);
    return Train(std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                     std::make_shared<Linear>(64, 128, gen, true, Init::kHeNormal),
                     std::make_shared<ReLULayer>(),
                     std::make_shared<Linear>(128, 64, gen, true, Init::kHeNormal),
                     std::make_shared<ReLULayer>(), std::make_shared<Linear>(64, 10, gen)}),
                 /*images=*/false, /*epochs=*/20, 2e-3f);
  }();
  return model;
}

std::shared_ptr<Sequential> TrainedDigitsCnn() {
  static const std::shared_ptr<Sequential> model = [] {
    Generator gen(42);
    return Train(std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                     std::make_shared<Conv2d>(1, 16, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
                     std::make_shared<MaxPool2d>(2), std::make_shared<Conv2d>(16, 32, 3, gen, 1, 1),
                     std::make_shared<ReLULayer>(), std::make_shared<MaxPool2d>(2),
                     std::make_shared<Flatten>(), std::make_shared<Linear>(128, 10, gen)}),
                 /*images=*/true, /*epochs=*/10, 3e-3f);
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
