// Module 19: TinyMLPerf anomaly_detection: seeded synthetic data near a linear manifold and MLPerf
// Tiny's FC autoencoder, trained on normal rows only.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/acceleration.h"
#include "tinytorch/autograd.h"
#include "tinytorch/data.h"
#include "tinytorch/error.h"
#include "tinytorch/losses.h"
#include "tinytorch/optimizers.h"
#include "tinytorch/tinymlperf.h"
#include "tinytorch/tinymlperf_models.h"
#include "tinytorch/training.h"

namespace tinytorch {

AnomalyDetectionSplit MakeAnomalyDetectionData(int64_t train_rows, int64_t eval_rows,
                                               uint64_t seed) {
  TT_CHECK(train_rows > 0 && eval_rows >= 2, "MakeAnomalyDetectionData: train_rows ", train_rows,
           " must be positive and eval_rows ", eval_rows, " at least 2");
  constexpr int64_t kDim = 640, kLatent = 8;
  Generator gen(seed);
  const Tensor basis = Tensor::RandN({kLatent, kDim}, gen, 0.f, 1.f / std::sqrt(float{kLatent}));
  const auto normal = [&](int64_t rows) {
    NoGradGuard no_grad;
    return MatMul(Tensor::RandN({rows, kLatent}, gen), basis) +
           Tensor::RandN({rows, kDim}, gen, 0.f, 0.05f);
  };
  AnomalyDetectionSplit split;
  split.train = normal(train_rows);
  const int64_t anomalous = eval_rows / 2;
  Tensor eval = normal(eval_rows);
  {
    // Anomalies leave the manifold: an isotropic component of 0.3 per coordinate (its energy, 58,
    // is small next to a row's 640, so only a model of the manifold separates the two).
    NoGradGuard no_grad;
    Tensor tail = eval.Slice(0, eval_rows - anomalous, eval_rows);
    tail += Tensor::RandN({anomalous, kDim}, gen, 0.f, 0.3f);
  }
  std::vector<int64_t> labels(eval_rows, 0);
  std::fill(labels.end() - anomalous, labels.end(), 1);
  split.eval = {eval, Tensor::FromData(labels, {eval_rows}), true,
                "synthetic: 8-d linear manifold in 640-d, seed " + std::to_string(seed)};
  return split;
}

std::shared_ptr<Sequential> AnomalyAutoencoder(Generator& gen) {
  auto model = std::make_shared<Sequential>();
  const std::vector<int64_t> widths = {640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640};
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    model->Add(std::make_shared<Linear>(widths[i], widths[i + 1], gen, true, Init::kHeNormal));
    // ReLU after every layer but the 8-unit code and the output: a ReLU on so narrow a code
    // would zero half of it (MLPerf's batch norms keep theirs alive instead).
    if (i + 2 < widths.size() && widths[i + 1] != 8) model->Add(std::make_shared<ReLULayer>());
  }
  return model;
}

std::shared_ptr<Sequential> TrainAnomalyAutoencoder(const Tensor& normal_rows, int epochs,
                                                    uint64_t seed) {
  TT_CHECK(epochs > 0, "TrainAnomalyAutoencoder: epochs ", epochs, " must be positive");
  Generator gen(seed);
  std::shared_ptr<Sequential> model = AnomalyAutoencoder(gen);
  DataLoader loader(std::make_shared<TensorDataset>(normal_rows, normal_rows),
                    {.batch_size = 64, .shuffle = true, .seed = seed});
  constexpr float kLr = 3e-3f;
  Adam optimizer(model->Parameters(), {.lr = kLr});
  Trainer trainer(*model, optimizer, MSELoss(),
                  {.schedule = CosineSchedule(kLr, 1e-4f, epochs * loader.NumBatches())});
  for (int e = 0; e < epochs; ++e) trainer.RunEpoch(loader);
  model->Eval();
  return model;
}

}  // namespace tinytorch
