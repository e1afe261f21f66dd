// The UCI digits split shared by the digits examples: data/digits/digits.csv, sample i in the
// test set when i % 5 == 4 (359 test, 1,438 train), pixels scaled from 0..16 to 0..1.
#pragma once

#include <string>

#include "tinytorch/data.h"

namespace digits {

struct Split {
  tinytorch::Tensor train_x, train_y, test_x, test_y;
};

inline Split Load(const std::string& path) {
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

}  // namespace digits
