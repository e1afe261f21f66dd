// Module 05: datasets, batching (order, shuffling, drop_last), augmentations and CSV validation.
#include "tinytorch/data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <numeric>
#include <set>

#include "support/tensor_testing.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::shared_ptr<TensorDataset> Numbers(int64_t n) {
  std::vector<int64_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = i;
  return std::make_shared<TensorDataset>(Tensor::Arange(0, static_cast<double>(n)).View({n, 1}),
                                         Tensor::FromData(labels, {n}));
}

std::vector<int64_t> Order(DataLoader& loader) {
  std::vector<int64_t> seen;
  for (const Batch& b : loader) {
    for (int64_t i = 0; i < b.targets.numel(); ++i) seen.push_back(b.targets.at<int64_t>({i}));
  }
  return seen;
}

TEST(DataTest, TensorDatasetServesRowsAsViews) {
  const auto ds = Numbers(5);
  const Example e = ds->Get(3);
  EXPECT_EQ(e.input.item(), 3.f);
  EXPECT_TRUE(e.input.SharesStorageWith(ds->inputs()));
  EXPECT_THAT([&] { ds->Get(5); },
              ThrowsMessage<Error>(HasSubstr("index 5 is out of range for 5 examples")));
  EXPECT_THAT(
      [] {
        TensorDataset(Tensor::Zeros({3, 2}), Tensor::Zeros({4}));
      },
      ThrowsMessage<Error>(HasSubstr("must share their first dim")));
}

TEST(DataTest, LoaderBatchesInOrderWithAPartialLastBatch) {
  DataLoader loader(Numbers(10), {.batch_size = 4});
  EXPECT_EQ(loader.NumBatches(), 3);
  std::vector<int64_t> sizes;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.inputs.dim(), 2);
    sizes.push_back(b.inputs.size(0));
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(Order(loader), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  DataLoader dropping(Numbers(10), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(dropping.NumBatches(), 2);
  EXPECT_EQ(Order(dropping).size(), 8u);
  EXPECT_THROW(DataLoader(Numbers(3), {.batch_size = 0}), Error);
}

TEST(DataTest, ShuffleIsSeededNewEachEpochAndAPermutation) {
  DataLoader a(Numbers(50), {.batch_size = 7, .shuffle = true, .seed = 3});
  DataLoader b(Numbers(50), {.batch_size = 7, .shuffle = true, .seed = 3});
  const std::vector<int64_t> first = Order(a);
  EXPECT_EQ(first, Order(b));  // same seed, same epochs
  EXPECT_NE(first, Order(a));  // the next epoch is reshuffled
  EXPECT_EQ(std::set<int64_t>(first.begin(), first.end()).size(), 50u);
  std::vector<int64_t> sorted(50);
  std::iota(sorted.begin(), sorted.end(), 0);
  EXPECT_NE(first, sorted);
}

TEST(DataTest, HorizontalFlipMirrorsTheLastDim) {
  Generator gen(1);
  const Tensor img = Tensor::Arange(0, 6).View({1, 2, 3});
  EXPECT_EQ(RandomHorizontalFlip(1.f)(img, gen).ToVector(), (std::vector<float>{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(RandomHorizontalFlip(0.f)(img, gen).ToVector(), img.ToVector());
  EXPECT_THROW(RandomHorizontalFlip(2.f), Error);
}

TEST(DataTest, RandomCropKeepsTheSizeAndStaysInsideThePaddedImage) {
  Generator gen(2);
  const Tensor img = Tensor::Ones({3, 8, 8});
  std::set<float> sums;
  for (int i = 0; i < 50; ++i) {
    const Tensor c = RandomCrop(8, 2)(img, gen);
    ASSERT_EQ(c.shape(), (Shape{3, 8, 8}));
    sums.insert(c.Sum().item());
  }
  EXPECT_GT(sums.size(), 5u);  // different offsets cut different amounts of padding
  EXPECT_LE(*sums.rbegin(), 3.f * 64);
  EXPECT_GE(*sums.begin(), 3.f * 36);  // at most 2 rows and 2 columns of zeros
  EXPECT_THAT([&] { RandomCrop(13, 2)(img, gen); },
              ThrowsMessage<Error>(HasSubstr("larger than the padded image 12x12")));
}

TEST(DataTest, TransformsApplyPerExampleInTheLoader) {
  auto images = std::make_shared<TensorDataset>(Tensor::Arange(0, 8).View({2, 1, 1, 4}),
                                                Tensor::FromData(std::vector<int64_t>{0, 1}, {2}));
  auto flip = std::make_shared<Compose>(
      std::vector<std::shared_ptr<Transform>>{std::make_shared<RandomHorizontalFlip>(1.f)});
  DataLoader loader(images, {.batch_size = 2}, flip);
  const Batch b = *loader.begin();
  EXPECT_EQ(b.inputs.ToVector(), (std::vector<float>{3, 2, 1, 0, 7, 6, 5, 4}));
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(DataTest, CsvLoadsFeaturesAndLabels) {
  const CsvData d =
      LoadCsv(WriteTemp("ok.csv", "a,b,label\n1.5, 2,0\n-3,4e1,2\n\n"), {.header = true});
  EXPECT_EQ(d.features.shape(), (Shape{2, 2}));
  EXPECT_EQ(d.features.ToVector(), (std::vector<float>{1.5f, 2, -3, 40}));
  EXPECT_EQ(d.labels.at<int64_t>({1}), 2);
  const CsvData first = LoadCsv(WriteTemp("first.csv", "7,1,2\n8,3,4\n"), {.label_column = 0});
  EXPECT_EQ(first.labels.at<int64_t>({1}), 8);
  EXPECT_EQ(first.features.ToVector(), (std::vector<float>{1, 2, 3, 4}));
}

TEST(DataTest, BadCsvGivesLineAndColumn) {
  EXPECT_THAT([] { LoadCsv(WriteTemp("ragged.csv", "1,2,0\n3,4\n")); },
              ThrowsMessage<Error>(HasSubstr("line 2 has 2 columns, expected 3")));
  EXPECT_THAT([] { LoadCsv(WriteTemp("text.csv", "1,2,0\n3,x4,1\n")); },
              ThrowsMessage<Error>(HasSubstr("line 2 column 2: 'x4' is not a number")));
  EXPECT_THAT([] { LoadCsv(WriteTemp("label.csv", "1,2,0.5\n")); },
              ThrowsMessage<Error>(HasSubstr("line 1 column 3: label '0.5' is not an integer")));
  EXPECT_THAT([] { LoadCsv(WriteTemp("empty.csv", "")); },
              ThrowsMessage<Error>(HasSubstr("has no data rows")));
  EXPECT_THAT([] { LoadCsv(WriteTemp("blank.csv", "1,,0\n")); },
              ThrowsMessage<Error>(HasSubstr("column 2: '' is not a number")));
  EXPECT_THAT([] { LoadCsv(::testing::TempDir() + "missing.csv"); },
              ThrowsMessage<Error>(HasSubstr("cannot open")));
}

TEST(DataTest, TheShippedDigitsFileIsComplete) {
  const CsvData d = LoadCsv(TT_DATA_DIR "/digits/digits.csv");
  EXPECT_EQ(d.features.shape(), (Shape{1797, 64}));
  EXPECT_EQ(d.features.Min().item(), 0.f);
  EXPECT_EQ(d.features.Max().item(), 16.f);
  std::vector<int> counts(10, 0);
  for (int64_t i = 0; i < 1797; ++i) ++counts[d.labels.at<int64_t>({i})];
  for (int c : counts) EXPECT_GE(c, 170);  // roughly balanced: 174 to 183 per digit
}

// An IDX file by hand: magic, big-endian sizes, bytes; gzip-compressed when `gzip`.
std::string WriteIdx(const std::string& name, std::vector<uint8_t> header,
                     std::vector<uint8_t> data, bool gzip) {
  const std::string path = ::testing::TempDir() + name;
  header.insert(header.end(), data.begin(), data.end());
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, header.data(), static_cast<unsigned>(header.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(header.data()),
               static_cast<std::streamsize>(header.size()));
  }
  return path;
}

TEST(DataTest, IdxImagesAndLabelsPlainOrGzip) {
  // Two 2×3 images and their labels.
  const std::vector<uint8_t> pixels = {0, 255, 51, 102, 153, 204, 1, 2, 3, 4, 5, 6};
  for (bool gzip : {false, true}) {
    const std::string images =
        WriteIdx(gzip ? "i.idx.gz" : "i.idx", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3},
                 pixels, gzip);
    const Tensor x = LoadIdxImages(images);
    EXPECT_EQ(x.shape(), (Shape{2, 2, 3}));
    EXPECT_FLOAT_EQ(x.ToVector()[1], 1.f);
    EXPECT_FLOAT_EQ(x.ToVector()[2], 0.2f);
    EXPECT_EQ(LoadIdxImages(images, 1).shape(), (Shape{1, 2, 3}));
    const std::string labels =
        WriteIdx(gzip ? "l.idx.gz" : "l.idx", {0, 0, 8, 1, 0, 0, 0, 2}, {7, 9}, gzip);
    const Tensor y = LoadIdxLabels(labels);
    EXPECT_EQ(y.dtype(), DType::kInt64);
    EXPECT_EQ(y.data<int64_t>()[1], 9);
  }
  const std::string truncated =
      WriteIdx("t.idx", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3}, {1, 2, 3}, true);
  EXPECT_THAT([&] { LoadIdxImages(truncated); },
              ThrowsMessage<Error>(HasSubstr("has 3 data bytes, its header [2, 2, 3] says 12")));
  const std::string labels_as_images = WriteIdx("l2.idx", {0, 0, 8, 1, 0, 0, 0, 2}, {7, 9}, false);
  EXPECT_THAT([&] { LoadIdxImages(labels_as_images); },
              ThrowsMessage<Error>(HasSubstr("has 1 dimensions, expected 3")));
  const std::string floats = WriteIdx("f.idx", {0, 0, 0x0D, 1, 0, 0, 0, 0}, {}, false);
  EXPECT_THAT([&] { LoadIdxLabels(floats); }, ThrowsMessage<Error>(HasSubstr("IDX type 0xd")));
  EXPECT_THAT([] { LoadIdxLabels(::testing::TempDir() + "none.idx"); },
              ThrowsMessage<Error>(HasSubstr("cannot open")));
}

// tests/fuzz/idx_fuzzer found a header of three 2^32-ish sizes whose product overflowed int64
// (undefined behaviour) before it was compared with the data.
TEST(DataTest, FuzzFoundIdxHeaderBeyondAnyFileIsAnError) {
  const std::string path =
      WriteIdx("huge.idx", {0, 0, 8, 3, 1, 0, 0, 1, 0x89, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
               {1, 2, 3}, false);
  EXPECT_THAT([&] { LoadIdxImages(path); },
              ThrowsMessage<Error>(HasSubstr("huge.idx' has a header [16777217, 2298478592, "
                                             "4294967295] larger than any file")));
}

}  // namespace
}  // namespace tinytorch
