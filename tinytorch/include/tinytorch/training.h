// Module 08: training. A Trainer runs epochs (with gradient accumulation, clipping and a
// learning-rate schedule), evaluates, keeps a metrics history, and checkpoints everything needed
// to resume: model, optimizer and its own counters.
//
// Checkpoint file: the state format of serialization.h (magic, version, checksum) with entries
// "model/<parameter>", "optimizer/<entry>", "trainer/epoch", "trainer/global_step" and
// "trainer/history" (E × 6 float32: epoch, train loss, train accuracy, eval loss, eval accuracy,
// learning rate; NaN where not measured). Written atomically. Loading validates the file and every
// entry against the model and optimizer before changing anything.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "tinytorch/data.h"
#include "tinytorch/layers.h"
#include "tinytorch/optimizers.h"

namespace tinytorch {

// Scales all gradients by one factor so their global L2 norm is at most max_norm (no-op when it
// already is); returns the norm before clipping. Parameters without a gradient are ignored.
double ClipGradNorm(const std::vector<Tensor>& params, double max_norm);

// Linear warm-up from 0 to base_lr over warmup_steps, then half a cosine from base_lr down to
// min_lr at total_steps (and min_lr after that). Loshchilov & Hutter, SGDR (2017).
class CosineSchedule {
 public:
  CosineSchedule(float base_lr, float min_lr, int64_t total_steps, int64_t warmup_steps = 0);
  float LearningRate(int64_t step) const;  // step counts optimizer steps from 0

 private:
  float base_lr_, min_lr_;
  int64_t total_steps_, warmup_steps_;
};

using LossFn = std::function<Tensor(const Tensor& output, const Tensor& target)>;

struct Metrics {
  double loss = std::numeric_limits<double>::quiet_NaN();      // mean over samples
  double accuracy = std::numeric_limits<double>::quiet_NaN();  // for (N, C) outputs, int64 targets
  int64_t samples = 0;
  double seconds = 0;
};

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  Metrics train, eval;
  float lr = 0;  // at the end of the epoch
};

struct TrainerOptions {
  int64_t accumulation_steps = 1;  // optimizer step every k batches (loss scaled by 1/k)
  double clip_grad_norm = 0;       // 0: no clipping
  std::optional<CosineSchedule> schedule = std::nullopt;
};

class Trainer {
 public:
  Trainer(Module& model, Optimizer& optimizer, LossFn loss, TrainerOptions options = {});

  Metrics TrainEpoch(DataLoader& loader);
  Metrics Evaluate(DataLoader& loader);  // eval mode and no grad; restores the previous mode
  // Trains one epoch, evaluates on `eval` if given, and appends the record to the history.
  EpochRecord RunEpoch(DataLoader& train, DataLoader* eval = nullptr);

  const std::vector<EpochRecord>& history() const { return history_; }
  int64_t epoch() const { return epoch_; }
  int64_t global_step() const { return global_step_; }

  void SaveCheckpoint(const std::string& path) const;
  void LoadCheckpoint(const std::string& path);

 private:
  void OptimizerStep();

  Module& model_;
  Optimizer& optimizer_;
  LossFn loss_;
  TrainerOptions options_;
  int64_t epoch_ = 0;
  int64_t global_step_ = 0;
  std::vector<EpochRecord> history_;
};

}  // namespace tinytorch
