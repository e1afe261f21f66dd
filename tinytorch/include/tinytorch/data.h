// Module 05: data loading. A Dataset serves examples by index; a DataLoader groups them into
// batches (seeded shuffle, optional drop_last, optional per-example transform) and is iterated
// with range-for. Transforms are seeded image augmentations; LoadCsv reads numeric tables with
// validation.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/tensor.h"

namespace tinytorch {

struct Example {
  Tensor input;
  Tensor target;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t Size() const = 0;
  virtual Example Get(int64_t index) const = 0;  // throws for an index outside [0, Size())
};

// Row i of `inputs` and of `targets` (their first dims must match); rows are views, not copies.
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t Size() const override { return inputs_.size(0); }
  Example Get(int64_t index) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
};

// An augmentation: maps one example's input to a new tensor, drawing randomness from `gen`.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual Tensor operator()(const Tensor& input, Generator& gen) const = 0;
};

// Mirrors the last (width) dim with probability p.
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(float p = 0.5f);
  Tensor operator()(const Tensor& input, Generator& gen) const override;

 private:
  float p_;
};

// Zero-pads the last two dims by `padding`, then cuts a random (size, size) window: images of at
// least 2 dims, (..., H, W).
class RandomCrop : public Transform {
 public:
  RandomCrop(int64_t size, int64_t padding = 0);
  Tensor operator()(const Tensor& input, Generator& gen) const override;

 private:
  int64_t size_, padding_;
};

// Applies transforms in order.
class Compose : public Transform {
 public:
  explicit Compose(std::vector<std::shared_ptr<Transform>> transforms);
  Tensor operator()(const Tensor& input, Generator& gen) const override;

 private:
  std::vector<std::shared_ptr<Transform>> transforms_;
};

struct Batch {
  Tensor inputs;   // (batch, *input shape)
  Tensor targets;  // (batch, *target shape)
};

struct DataLoaderOptions {
  int64_t batch_size = 32;
  bool shuffle = false;
  uint64_t seed = 0;       // shuffling and transforms; each epoch draws a new order from it
  bool drop_last = false;  // drop a final batch smaller than batch_size
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options,
             std::shared_ptr<const Transform> transform = nullptr);

  int64_t NumBatches() const;
  Batch GetBatch(const std::vector<int64_t>& indices) const;

  class Iterator {
   public:
    Batch operator*() const;
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return batch_ != other.batch_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<int64_t>> order,
             int64_t batch)
        : loader_(loader), order_(std::move(order)), batch_(batch) {}
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<int64_t>> order_;
    int64_t batch_;
  };
  // Each call starts a new epoch: with shuffle on, a new permutation.
  Iterator begin();
  Iterator end() const { return Iterator(this, nullptr, NumBatches()); }

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  std::shared_ptr<const Transform> transform_;
  mutable Generator gen_;
};

struct CsvOptions {
  bool header = false;  // skip the first line
  char delimiter = ',';
  int64_t label_column = -1;  // the integer class label; negative counts from the end; set
                              // has_labels = false for a table of features only
  bool has_labels = true;
};

struct CsvData {
  Tensor features;  // (rows, columns - 1) float32, or (rows, columns) without labels
  Tensor labels;    // (rows) int64; undefined without labels
};

// Reads a numeric table. An empty file, a ragged row, a cell that is not a number or a label
// that is not an integer gives an Error naming the file, the line and the column.
CsvData LoadCsv(const std::string& path, const CsvOptions& options = {});

// IDX files (MNIST, Fashion-MNIST), gzip-compressed or plain: unsigned-byte data only. Images
// (N, rows, cols) become float32 in [0, 1], labels (N) int64. `limit` >= 0 keeps the first
// `limit` items. A wrong magic number, dimension count or a truncated file gives an Error naming
// the file and what it found.
Tensor LoadIdxImages(const std::string& path, int64_t limit = -1);
Tensor LoadIdxLabels(const std::string& path, int64_t limit = -1);

}  // namespace tinytorch
