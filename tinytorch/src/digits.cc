// The digits recipe: split, architectures and training run (see digits.h).
#include "tinytorch/digits.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/convolutions.h"
#include "tinytorch/data.h"
#include "tinytorch/layers.h"
#include "tinytorch/losses.h"
#include "tinytorch/optimizers.h"
#include "tinytorch/training.h"

namespace tinytorch::digits {

Split Load(const std::string& path) {
  using tinytorch::Tensor;
  const tinytorch::CsvData data = tinytorch::LoadCsv(path);
  std::vector<float> train_x, test_x;
  std::vector<int64_t> train_y, test_y;
  const int64_t n = data.features.size(0), f = data.features.size(1);
  const float* x = data.features.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    auto& xs = i % 5 == 4 ? test_x : train_x;
    auto& ys = i % 5 == 4 ? test_y : train_y;
    for (int64_t j = 0; j < f; ++j) xs.push_back(x[i * f + j] / 16.f);
    ys.push_back(data.labels.data<int64_t>()[i]);
  }
  const auto train_n = static_cast<int64_t>(train_y.size());
  const auto test_n = static_cast<int64_t>(test_y.size());
  return {Tensor::FromData(std::move(train_x), {train_n, f}),
          Tensor::FromData(std::move(train_y), {train_n}),
          Tensor::FromData(std::move(test_x), {test_n, f}),
          Tensor::FromData(std::move(test_y), {test_n})};
}

tinytorch::Tensor AsImages(const tinytorch::Tensor& flat) {
  return flat.Reshape({flat.size(0), 1, 8, 8});
}

std::shared_ptr<tinytorch::Sequential> BuildMlp(tinytorch::Generator& gen) {
  using namespace tinytorch;
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(64, 128, gen, true, Init::kHeNormal), std::make_shared<ReLULayer>(),
      std::make_shared<Linear>(128, 64, gen, true, Init::kHeNormal), std::make_shared<ReLULayer>(),
      std::make_shared<Linear>(64, 10, gen)});
}
std::shared_ptr<tinytorch::Sequential> BuildCnn(tinytorch::Generator& gen) {
  using namespace tinytorch;
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Conv2d>(1, 16, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
      std::make_shared<MaxPool2d>(2),  // 16×4×4
      std::make_shared<Conv2d>(16, 32, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
      std::make_shared<MaxPool2d>(2),  // 32×2×2
      std::make_shared<Flatten>(), std::make_shared<Linear>(128, 10, gen)});
}

std::vector<tinytorch::EpochRecord> Train(
    tinytorch::Module& model, const Split& split, bool images, int epochs, float lr, uint64_t seed,
    tinytorch::DataLoader* eval,
    const std::function<void(const tinytorch::EpochRecord&)>& on_epoch) {
  using namespace tinytorch;
  auto train = std::make_shared<TensorDataset>(images ? AsImages(split.train_x) : split.train_x,
                                               split.train_y);
  DataLoader loader(train, {.batch_size = 32, .shuffle = true, .seed = seed});
  Adam optimizer(model.Parameters(), {.lr = lr});
  Trainer trainer(model, optimizer, CrossEntropyLoss(),
                  {.schedule = CosineSchedule(lr, 1e-4f, epochs * loader.NumBatches())});
  for (int e = 0; e < epochs; ++e) {
    const EpochRecord r = trainer.RunEpoch(loader, eval);
    if (on_epoch) on_epoch(r);
  }
  model.Eval();
  return trainer.history();
}

}  // namespace tinytorch::digits
