// Module 08: the training loop, schedules, clipping and checkpoints.
#include "tinytorch/training.h"

#include <chrono>
#include <cmath>
#include <numbers>

#include "tensor_internal.h"
#include "tinytorch/autograd.h"

namespace tinytorch {

double ClipGradNorm(const std::vector<Tensor>& params, double max_norm) {
  TT_CHECK(max_norm > 0 && std::isfinite(max_norm), "ClipGradNorm: max_norm ", max_norm,
           " must be positive and finite");
  double sum_sq = 0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const Tensor gc = g.Contiguous();
    const float* d = gc.data<float>();
    for (int64_t i = 0; i < gc.numel(); ++i) sum_sq += static_cast<double>(d[i]) * d[i];
  }
  const double norm = std::sqrt(sum_sq);
  // The 1e-6 keeps the factor finite for an all-zero gradient, as torch.nn.utils does.
  const double factor = max_norm / (norm + 1e-6);
  if (factor < 1) {
    NoGradGuard no_grad;
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (g.defined()) g *= static_cast<float>(factor);
    }
  }
  return norm;
}

CosineSchedule::CosineSchedule(float base_lr, float min_lr, int64_t total_steps,
                               int64_t warmup_steps)
    : base_lr_(base_lr), min_lr_(min_lr), total_steps_(total_steps), warmup_steps_(warmup_steps) {
  TT_CHECK(base_lr >= min_lr && min_lr >= 0, "CosineSchedule: need base_lr (", base_lr,
           ") >= min_lr (", min_lr, ") >= 0");
  TT_CHECK(total_steps > 0 && warmup_steps >= 0 && warmup_steps < total_steps,
           "CosineSchedule: need 0 <= warmup_steps (", warmup_steps, ") < total_steps (",
           total_steps, ")");
}

float CosineSchedule::LearningRate(int64_t step) const {
  if (step < warmup_steps_) {
    return base_lr_ * static_cast<float>(step + 1) / static_cast<float>(warmup_steps_);
  }
  if (step >= total_steps_) return min_lr_;
  const double progress =
      static_cast<double>(step - warmup_steps_) / static_cast<double>(total_steps_ - warmup_steps_);
  return static_cast<float>(min_lr_ + 0.5 * (base_lr_ - min_lr_) *
                                          (1 + std::cos(std::numbers::pi * progress)));
}

// ---------------------------------------------------------------------------------------------
// Trainer.

Trainer::Trainer(Module& model, Optimizer& optimizer, LossFn loss, TrainerOptions options)
    : model_(model), optimizer_(optimizer), loss_(std::move(loss)), options_(std::move(options)) {
  TT_CHECK(static_cast<bool>(loss_), "Trainer: no loss function");
  TT_CHECK(options_.accumulation_steps >= 1, "Trainer: accumulation_steps ",
           options_.accumulation_steps, " must be >= 1");
}

namespace {

// Correct predictions of (N, C) outputs against int64 class targets; -1 if not a classification.
int64_t CountCorrect(const Tensor& output, const Tensor& target) {
  if (output.dim() != 2 || target.dtype() != DType::kInt64 || target.dim() != 1) return -1;
  const Tensor pred = output.Argmax(1);
  const Tensor t = target.Contiguous();
  int64_t correct = 0;
  for (int64_t i = 0; i < pred.numel(); ++i)
    correct += pred.data<int64_t>()[i] == t.data<int64_t>()[i];
  return correct;
}

// Accumulates per-batch loss and accuracy into sample-weighted means.
struct Tally {
  double loss_sum = 0;
  int64_t correct = 0, samples = 0;
  bool classification = true;

  void Add(double batch_loss, int64_t batch_size, int64_t batch_correct) {
    loss_sum += batch_loss * static_cast<double>(batch_size);
    samples += batch_size;
    if (batch_correct < 0) classification = false;
    correct += std::max<int64_t>(batch_correct, 0);
  }
  Metrics Finish(double seconds) const {
    Metrics m;
    m.samples = samples;
    m.seconds = seconds;
    if (samples > 0) m.loss = loss_sum / static_cast<double>(samples);
    if (samples > 0 && classification) {
      m.accuracy = static_cast<double>(correct) / static_cast<double>(samples);
    }
    return m;
  }
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

void Trainer::OptimizerStep() {
  if (options_.schedule) optimizer_.set_lr(options_.schedule->LearningRate(global_step_));
  if (options_.clip_grad_norm > 0) ClipGradNorm(optimizer_.params(), options_.clip_grad_norm);
  optimizer_.Step();
  optimizer_.ZeroGrad();
  ++global_step_;
}

Metrics Trainer::TrainEpoch(DataLoader& loader) {
  const auto start = std::chrono::steady_clock::now();
  model_.Train();
  optimizer_.ZeroGrad();
  Tally tally;
  int64_t pending = 0;
  const auto k = static_cast<float>(options_.accumulation_steps);
  for (const Batch& batch : loader) {
    const Tensor output = model_(batch.inputs);
    const Tensor loss = loss_(output, batch.targets);
    TT_CHECK(loss.numel() == 1, "Trainer: the loss must be a scalar, got shape ", loss.shape());
    TT_CHECK(std::isfinite(loss.item()), "Trainer: loss became ", loss.item(), " at global step ",
             global_step_, "; lower the learning rate or clip gradients");
    (loss / k).Backward();
    tally.Add(loss.item(), batch.inputs.size(0), CountCorrect(output, batch.targets));
    if (++pending == options_.accumulation_steps) {
      OptimizerStep();
      pending = 0;
    }
  }
  if (pending > 0) OptimizerStep();  // the epoch's last, partial accumulation
  return tally.Finish(Seconds(start));
}

Metrics Trainer::Evaluate(DataLoader& loader) {
  const auto start = std::chrono::steady_clock::now();
  const bool was_training = model_.is_training();
  model_.Eval();
  NoGradGuard no_grad;
  Tally tally;
  for (const Batch& batch : loader) {
    const Tensor output = model_(batch.inputs);
    tally.Add(loss_(output, batch.targets).item(), batch.inputs.size(0),
              CountCorrect(output, batch.targets));
  }
  model_.Train(was_training);
  return tally.Finish(Seconds(start));
}

EpochRecord Trainer::RunEpoch(DataLoader& train, DataLoader* eval) {
  EpochRecord record;
  record.train = TrainEpoch(train);
  if (eval != nullptr) record.eval = Evaluate(*eval);
  record.epoch = ++epoch_;
  record.lr = optimizer_.lr();
  history_.push_back(record);
  return record;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints.

namespace {

constexpr int64_t kHistoryColumns = 6;

StateDict WithPrefix(const StateDict& state, const std::string& prefix) {
  StateDict out;
  for (const auto& [name, t] : state) out.emplace(prefix + name, t);
  return out;
}

StateDict Strip(const StateDict& state, const std::string& prefix) {
  StateDict out;
  for (const auto& [name, t] : state) {
    if (name.rfind(prefix, 0) == 0) out.emplace(name.substr(prefix.size()), t);
  }
  return out;
}

}  // namespace

void Trainer::SaveCheckpoint(const std::string& path) const {
  StateDict state = WithPrefix(model_.GetStateDict(), "model/");
  state.merge(WithPrefix(optimizer_.State(), "optimizer/"));
  state["trainer/epoch"] = Tensor::FromData(std::vector<int64_t>{epoch_}, {});
  state["trainer/global_step"] = Tensor::FromData(std::vector<int64_t>{global_step_}, {});
  std::vector<float> rows;
  for (const EpochRecord& r : history_) {
    for (double v : {static_cast<double>(r.epoch), r.train.loss, r.train.accuracy, r.eval.loss,
                     r.eval.accuracy, static_cast<double>(r.lr)}) {
      rows.push_back(static_cast<float>(v));
    }
  }
  state["trainer/history"] =
      Tensor::FromData(std::move(rows), {static_cast<int64_t>(history_.size()), kHistoryColumns});
  SaveStateDict(state, path);
}

void Trainer::LoadCheckpoint(const std::string& path) {
  const StateDict state = LoadStateDict(path);
  for (const auto& [name, t] : state) {
    TT_CHECK(name.rfind("model/", 0) == 0 || name.rfind("optimizer/", 0) == 0 ||
                 name.rfind("trainer/", 0) == 0,
             "Trainer::LoadCheckpoint: ", path, " has an unexpected entry '", name, "'");
  }
  const StateDict model_state = Strip(state, "model/");
  const StateDict optimizer_state = Strip(state, "optimizer/");
  const StateDict trainer_state = Strip(state, "trainer/");
  // Validate everything first: a mismatched checkpoint must leave model and optimizer untouched.
  try {
    model_.CheckState(model_state);
    optimizer_.CheckState(optimizer_state);
  } catch (const Error& e) {
    detail::Throw("Trainer::LoadCheckpoint: ", path,
                  " does not fit this model/optimizer: ", e.what());
  }
  for (const char* key : {"epoch", "global_step", "history"}) {
    TT_CHECK(trainer_state.contains(key), "Trainer::LoadCheckpoint: ", path, " has no 'trainer/",
             key, "'");
  }
  const Tensor& hist = trainer_state.at("history");
  TT_CHECK(hist.dtype() == DType::kFloat32 && hist.dim() == 2 && hist.size(1) == kHistoryColumns,
           "Trainer::LoadCheckpoint: ", path, ": 'trainer/history' has shape ", hist.shape(),
           ", expected (epochs, ", kHistoryColumns, ")");
  for (int64_t r = 0; r < hist.size(0); ++r) {  // NaN or 1e30 would not convert to an epoch
    const double epoch = hist.at({r, 0});
    TT_CHECK(epoch >= 0 && epoch <= 1e9 && epoch == std::floor(epoch),
             "Trainer::LoadCheckpoint: ", path, ": 'trainer/history' row ", r, " has epoch ", epoch,
             ", not a whole number");
  }
  for (const char* key : {"epoch", "global_step"}) {
    const Tensor& t = trainer_state.at(key);
    TT_CHECK(t.dtype() == DType::kInt64 && t.numel() == 1 && t.at<int64_t>({}) >= 0,
             "Trainer::LoadCheckpoint: ", path, ": 'trainer/", key, "' must be one int64 >= 0");
  }
  model_.LoadState(model_state);
  optimizer_.LoadState(optimizer_state);
  epoch_ = trainer_state.at("epoch").at<int64_t>({});
  global_step_ = trainer_state.at("global_step").at<int64_t>({});
  history_.clear();
  for (int64_t r = 0; r < hist.size(0); ++r) {
    EpochRecord rec;
    rec.epoch = static_cast<int64_t>(hist.at({r, 0}));
    rec.train.loss = hist.at({r, 1});
    rec.train.accuracy = hist.at({r, 2});
    rec.eval.loss = hist.at({r, 3});
    rec.eval.accuracy = hist.at({r, 4});
    rec.lr = hist.at({r, 5});
    history_.push_back(rec);
  }
}

}  // namespace tinytorch
