// The UCI handwritten digits recipe that the digits examples, the tests and `tinyperf olympics
// submit` share: the fixed split of data/digits/digits.csv (sample i is in the test set when
// i % 5 == 4: 359 test, 1,438 train; pixels scaled from 0..16 to 0..1), the examples' MLP and CNN,
// and their training run with Adam and a cosine schedule.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/data.h"
#include "tinytorch/layers.h"
#include "tinytorch/tensor.h"
#include "tinytorch/training.h"

namespace tinytorch::digits {

struct Split {
  tinytorch::Tensor train_x, train_y, test_x, test_y;
};

// Reads the CSV at `path` (64 pixel columns, then the label) and splits it; throws naming the file
// when it cannot be read or parsed (LoadCsv's errors).
Split Load(const std::string& path);

// (N, 64) → (N, 1, 8, 8), for the CNN.
tinytorch::Tensor AsImages(const tinytorch::Tensor& flat);

// The two architectures of the examples.
std::shared_ptr<tinytorch::Sequential> BuildMlp(tinytorch::Generator& gen);
std::shared_ptr<tinytorch::Sequential> BuildCnn(tinytorch::Generator& gen);

// Trains `model` on the split's training rows with Adam (peak `lr`, batch 32, shuffled with
// `seed`) and a cosine schedule down to 1e-4, evaluating on `eval` after each epoch when given;
// leaves the model in eval mode and returns the history.
std::vector<tinytorch::EpochRecord> Train(
    tinytorch::Module& model, const Split& split, bool images, int epochs, float lr, uint64_t seed,
    tinytorch::DataLoader* eval = nullptr,
    const std::function<void(const tinytorch::EpochRecord&)>& on_epoch = nullptr);

}  // namespace tinytorch::digits
