// Module 05: datasets, batching, augmentation and CSV loading.
#include "tinytorch/data.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "tensor_internal.h"
#include "tinytorch/serialization.h"

namespace tinytorch {

// ---------------------------------------------------------------------------------------------
// Datasets and the loader.

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  TT_CHECK(inputs_.defined() && targets_.defined() && inputs_.dim() >= 1 && targets_.dim() >= 1 &&
               inputs_.size(0) == targets_.size(0),
           "TensorDataset: inputs ", inputs_.defined() ? inputs_.shape() : Shape{}, " and targets ",
           targets_.defined() ? targets_.shape() : Shape{}, " must share their first dim");
}

Example TensorDataset::Get(int64_t index) const {
  TT_CHECK(index >= 0 && index < Size(), "TensorDataset: index ", index, " is out of range for ",
           Size(), " examples");
  return {inputs_.Select(0, index), targets_.Select(0, index)};
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options,
                       std::shared_ptr<const Transform> transform)
    : dataset_(std::move(dataset)),
      options_(options),
      transform_(std::move(transform)),
      gen_(options.seed) {
  TT_CHECK(dataset_ != nullptr, "DataLoader: null dataset");
  TT_CHECK(options_.batch_size > 0, "DataLoader: batch_size ", options_.batch_size,
           " must be positive");
}

int64_t DataLoader::NumBatches() const {
  const int64_t n = dataset_->Size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

Batch DataLoader::GetBatch(const std::vector<int64_t>& indices) const {
  TT_CHECK(!indices.empty(), "DataLoader: empty batch");
  std::vector<Tensor> inputs, targets;
  for (int64_t i : indices) {
    Example e = dataset_->Get(i);
    inputs.push_back(transform_ ? (*transform_)(e.input, gen_) : e.input);
    targets.push_back(e.target);
  }
  return {Stack(inputs), Stack(targets)};
}

DataLoader::Iterator DataLoader::begin() {
  auto order = std::make_shared<std::vector<int64_t>>(dataset_->Size());
  std::iota(order->begin(), order->end(), 0);
  if (options_.shuffle) {
    // Fisher–Yates with the loader's own generator: the same seed gives the same epochs.
    for (int64_t i = static_cast<int64_t>(order->size()) - 1; i > 0; --i) {
      std::swap((*order)[i], (*order)[gen_.NextU64() % static_cast<uint64_t>(i + 1)]);
    }
  }
  return Iterator(this, std::move(order), 0);
}

Batch DataLoader::Iterator::operator*() const {
  const int64_t b = loader_->options_.batch_size;
  const int64_t start = batch_ * b;
  const int64_t stop = std::min<int64_t>(start + b, static_cast<int64_t>(order_->size()));
  return loader_->GetBatch(std::vector<int64_t>(order_->begin() + start, order_->begin() + stop));
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++batch_;
  return *this;
}

// ---------------------------------------------------------------------------------------------
// Augmentations.

RandomHorizontalFlip::RandomHorizontalFlip(float p) : p_(p) {
  TT_CHECK(p >= 0 && p <= 1, "RandomHorizontalFlip: p = ", p, " must be in [0, 1]");
}

Tensor RandomHorizontalFlip::operator()(const Tensor& input, Generator& gen) const {
  internal::CheckFloat(input, "RandomHorizontalFlip");
  TT_CHECK(input.dim() >= 1, "RandomHorizontalFlip: needs at least 1 dim, got a scalar");
  if (gen.Uniform() >= p_) return input;
  const Tensor in = input.Contiguous();
  Tensor out = Tensor::Zeros(in.shape());
  const int64_t w = in.size(-1), rows = in.numel() / std::max<int64_t>(w, 1);
  const float* src = in.data<float>();
  float* dst = out.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t x = 0; x < w; ++x) dst[r * w + x] = src[r * w + (w - 1 - x)];
  }
  return out;
}

RandomCrop::RandomCrop(int64_t size, int64_t padding) : size_(size), padding_(padding) {
  TT_CHECK(size > 0 && padding >= 0, "RandomCrop: size ", size, " must be positive and padding ",
           padding, " non-negative");
}

Tensor RandomCrop::operator()(const Tensor& input, Generator& gen) const {
  internal::CheckFloat(input, "RandomCrop");
  TT_CHECK(input.dim() >= 2, "RandomCrop: needs an image (..., H, W), got shape ", input.shape());
  const int64_t h = input.size(-2), w = input.size(-1);
  const int64_t ph = h + 2 * padding_, pw = w + 2 * padding_;
  TT_CHECK(size_ <= ph && size_ <= pw, "RandomCrop: crop ", size_,
           " is larger than the padded image ", ph, "x", pw);
  Shape padded_shape = input.shape();
  padded_shape[padded_shape.size() - 2] = ph;
  padded_shape.back() = pw;
  Tensor padded = Tensor::Zeros(padded_shape);
  padded.Slice(-2, padding_, padding_ + h).Slice(-1, padding_, padding_ + w).CopyFrom(input);
  const auto top = static_cast<int64_t>(gen.NextU64() % static_cast<uint64_t>(ph - size_ + 1));
  const auto left = static_cast<int64_t>(gen.NextU64() % static_cast<uint64_t>(pw - size_ + 1));
  return padded.Slice(-2, top, top + size_).Slice(-1, left, left + size_).Contiguous();
}

Compose::Compose(std::vector<std::shared_ptr<Transform>> transforms)
    : transforms_(std::move(transforms)) {
  for (const auto& t : transforms_) TT_CHECK(t != nullptr, "Compose: null transform");
}

Tensor Compose::operator()(const Tensor& input, Generator& gen) const {
  Tensor x = input;
  for (const auto& t : transforms_) x = (*t)(x, gen);
  return x;
}

// ---------------------------------------------------------------------------------------------
// CSV.

namespace {

std::vector<std::string_view> SplitCells(std::string_view line, char delimiter) {
  std::vector<std::string_view> cells;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(delimiter, start);
    cells.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return cells;
    start = end + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

CsvData LoadCsv(const std::string& path, const CsvOptions& options) {
  const std::string text = ReadFile(path);
  std::istringstream in(text);
  std::vector<float> features;
  std::vector<int64_t> labels;
  int64_t columns = -1, rows = 0, line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (options.header && line_number == 1) continue;
    if (Trim(line).empty()) continue;
    const std::vector<std::string_view> cells = SplitCells(line, options.delimiter);
    const auto n = static_cast<int64_t>(cells.size());
    if (columns < 0) {
      columns = n;
      TT_CHECK(!options.has_labels || columns >= 2, "LoadCsv: ", path, " line ", line_number,
               " has ", n, " column; a labelled table needs at least 2");
    }
    TT_CHECK(n == columns, "LoadCsv: ", path, " line ", line_number, " has ", n,
             " columns, expected ", columns, " (as on the first data line)");
    const int64_t label_col =
        options.label_column < 0 ? columns + options.label_column : options.label_column;
    TT_CHECK(!options.has_labels || (label_col >= 0 && label_col < columns),
             "LoadCsv: label column ", options.label_column, " is out of range for ", columns,
             " columns");
    for (int64_t c = 0; c < n; ++c) {
      const std::string_view cell = Trim(cells[c]);
      double value = 0;
      const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
      TT_CHECK(ec == std::errc() && end == cell.data() + cell.size() && !cell.empty(),
               "LoadCsv: ", path, " line ", line_number, " column ", c + 1, ": '",
               std::string(cell), "' is not a number");
      if (options.has_labels && c == label_col) {
        TT_CHECK(value == std::floor(value) && std::fabs(value) < 1e15, "LoadCsv: ", path, " line ",
                 line_number, " column ", c + 1, ": label '", std::string(cell),
                 "' is not an integer");
        labels.push_back(static_cast<int64_t>(value));
      } else {
        features.push_back(static_cast<float>(value));
      }
    }
    ++rows;
  }
  TT_CHECK(rows > 0, "LoadCsv: ", path, " has no data rows");
  CsvData data;
  const int64_t feature_columns = options.has_labels ? columns - 1 : columns;
  data.features = Tensor::FromData(std::move(features), {rows, feature_columns});
  if (options.has_labels) data.labels = Tensor::FromData(std::move(labels), {rows});
  return data;
}

namespace {

// The whole (decompressed) file; zlib reads plain files unchanged.
std::vector<uint8_t> ReadMaybeGzip(const std::string& path, const char* op) {
  gzFile f = gzopen(path.c_str(), "rb");
  TT_CHECK(f != nullptr, op, ": cannot open '", path, "'");
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  int err = Z_OK;
  const std::string message = n < 0 ? gzerror(f, &err) : "";
  gzclose(f);
  TT_CHECK(n == 0, op, ": '", path, "' is corrupt (", message, ")");
  return bytes;
}

struct Idx {
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
  size_t data_offset = 0;
};

Idx ReadIdx(const std::string& path, int64_t want_dims, int64_t limit, const char* op) {
  Idx idx;
  idx.bytes = ReadMaybeGzip(path, op);
  const std::vector<uint8_t>& b = idx.bytes;
  TT_CHECK(b.size() >= 4 && b[0] == 0 && b[1] == 0, op, ": '", path,
           "' is not an IDX file (it does not start with two zero bytes)");
  TT_CHECK(b[2] == 0x08, op, ": '", path, "' holds IDX type 0x", std::hex, int{b[2]},
           ", only unsigned bytes (0x08) are supported");
  TT_CHECK(b[3] == want_dims, op, ": '", path, "' has ", int{b[3]}, " dimensions, expected ",
           want_dims);
  idx.data_offset = 4 + 4 * static_cast<size_t>(want_dims);
  TT_CHECK(b.size() >= idx.data_offset, op, ": '", path, "' ends inside its header");
  int64_t items = 1;
  double approx_items = 1;  // three sizes up to 2^32 each overflow int64; no file holds 2^62 bytes
  for (int64_t d = 0; d < want_dims; ++d) {
    const uint8_t* p = b.data() + 4 + 4 * d;
    const int64_t size =
        (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | p[3];
    idx.dims.push_back(size);
    approx_items *= static_cast<double>(std::max<int64_t>(size, 1));
    TT_CHECK(approx_items < 0x1p62, op, ": '", path, "' has a header ", idx.dims,
             " larger than any file");
    items *= size;
  }
  TT_CHECK(b.size() - idx.data_offset == static_cast<size_t>(items), op, ": '", path, "' has ",
           b.size() - idx.data_offset, " data bytes, its header ", idx.dims, " says ", items);
  TT_CHECK(limit >= -1, op, ": limit ", limit, " must be -1 (all) or non-negative");
  if (limit >= 0) idx.dims[0] = std::min(idx.dims[0], limit);
  return idx;
}

}  // namespace

Tensor LoadIdxImages(const std::string& path, int64_t limit) {
  const Idx idx = ReadIdx(path, 3, limit, "LoadIdxImages");
  const int64_t n = idx.dims[0] * idx.dims[1] * idx.dims[2];
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    values[i] = static_cast<float>(idx.bytes[idx.data_offset + i]) / 255.f;
  return Tensor::FromData(std::move(values), idx.dims);
}

Tensor LoadIdxLabels(const std::string& path, int64_t limit) {
  const Idx idx = ReadIdx(path, 1, limit, "LoadIdxLabels");
  std::vector<int64_t> values(
      idx.bytes.begin() + static_cast<std::ptrdiff_t>(idx.data_offset),
      idx.bytes.begin() + static_cast<std::ptrdiff_t>(idx.data_offset) + idx.dims[0]);
  return Tensor::FromData(std::move(values), idx.dims);
}

}  // namespace tinytorch
