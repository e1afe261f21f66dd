// Module 19: TinyMLPerf image_classification: MLPerf Tiny's ResNet-8 and Fashion-MNIST from Debian,
// padded to 32x32x3.
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/activations.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/data.h"
#include "tinytorch/error.h"
#include "tinytorch/tinymlperf.h"
#include "tinytorch/tinymlperf_models.h"

namespace tinytorch {

namespace {

// conv3×3 → BN → ReLU → conv3×3 → BN, plus the input (projected by a strided 1×1 convolution
// when the shape changes), then ReLU.
class ResidualBlock : public Module {
 public:
  ResidualBlock(int64_t in, int64_t out, int64_t stride, Generator& gen)
      : in_(in), out_(out), stride_(stride) {
    conv1_ = RegisterModule("conv1", std::make_shared<Conv2d>(in, out, 3, gen, stride, 1));
    bn1_ = RegisterModule("bn1", std::make_shared<BatchNorm2d>(out));
    conv2_ = RegisterModule("conv2", std::make_shared<Conv2d>(out, out, 3, gen, 1, 1));
    bn2_ = RegisterModule("bn2", std::make_shared<BatchNorm2d>(out));
    if (stride != 1 || in != out) {
      shortcut_ = RegisterModule("shortcut", std::make_shared<Conv2d>(in, out, 1, gen, stride, 0));
    }
  }
  Tensor Forward(const Tensor& x) override {
    const Tensor y = bn2_->Forward(conv2_->Forward(Relu(bn1_->Forward(conv1_->Forward(x)))));
    return Relu(y + (shortcut_ ? shortcut_->Forward(x) : x));
  }
  std::string ToString() const override {
    return "ResidualBlock(" + std::to_string(in_) + ", " + std::to_string(out_) +
           ", stride=" + std::to_string(stride_) + ")";
  }

 private:
  int64_t in_, out_, stride_;
  std::shared_ptr<Conv2d> conv1_, conv2_, shortcut_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
};

class ResNet8Model : public Module {
 public:
  ResNet8Model(Generator& gen, int64_t channels, int64_t classes)
      : channels_(channels), classes_(classes) {
    stem_ = RegisterModule("stem", std::make_shared<Conv2d>(channels, 16, 3, gen, 1, 1));
    stem_bn_ = RegisterModule("stem_bn", std::make_shared<BatchNorm2d>(16));
    blocks_ = {RegisterModule("stack1", std::make_shared<ResidualBlock>(16, 16, 1, gen)),
               RegisterModule("stack2", std::make_shared<ResidualBlock>(16, 32, 2, gen)),
               RegisterModule("stack3", std::make_shared<ResidualBlock>(32, 64, 2, gen))};
    head_ = RegisterModule("head", std::make_shared<Linear>(64, classes, gen));
  }
  Tensor Forward(const Tensor& x) override {
    TT_CHECK(x.dim() == 4 && x.size(3) == channels_, "ResNet8: expected NHWC input (N, H, W, ",
             channels_, "), got ", x.shape());
    Tensor h = Relu(stem_bn_->Forward(stem_->Forward(x.Permute({0, 3, 1, 2}).Contiguous())));
    for (const auto& b : blocks_) h = b->Forward(h);
    return head_->Forward(h.Mean(3).Mean(2));  // global average pooling
  }
  std::string ToString() const override {
    return "ResNet8(channels=" + std::to_string(channels_) +
           ", classes=" + std::to_string(classes_) + ")";
  }

 private:
  int64_t channels_, classes_;
  std::shared_ptr<Conv2d> stem_;
  std::shared_ptr<BatchNorm2d> stem_bn_;
  std::vector<std::shared_ptr<ResidualBlock>> blocks_;
  std::shared_ptr<Linear> head_;
};

}  // namespace

std::shared_ptr<Module> ResNet8(Generator& gen, int64_t channels, int64_t classes) {
  TT_CHECK(channels > 0 && classes > 0, "ResNet8: channels ", channels, " and classes ", classes,
           " must be positive");
  return std::make_shared<ResNet8Model>(gen, channels, classes);
}

TinyMLPerfData LoadFashionMnist32(const std::string& split, int64_t limit,
                                  const std::string& directory) {
  TT_CHECK(split == "train" || split == "t10k", "LoadFashionMnist32: split '", split,
           "' must be 'train' or 't10k'");
  const std::string base = directory + "/" + split;
  const Tensor images = LoadIdxImages(base + "-images-idx3-ubyte.gz", limit);
  const Tensor labels = LoadIdxLabels(base + "-labels-idx1-ubyte.gz", limit);
  TT_CHECK(images.size(0) == labels.size(0) && images.size(1) == 28 && images.size(2) == 28,
           "LoadFashionMnist32: '", base, "' has images ", images.shape(), " and labels ",
           labels.shape());
  const int64_t n = images.size(0);
  std::vector<float> out(static_cast<size_t>(n * 32 * 32 * 3), 0.f);
  const std::vector<float> in = images.ToVector();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < 28; ++r) {
      for (int64_t c = 0; c < 28; ++c) {
        const float v = in[(i * 28 + r) * 28 + c];
        float* px = &out[((i * 32 + r + 2) * 32 + c + 2) * 3];
        px[0] = px[1] = px[2] = v;
      }
    }
  }
  return {Tensor::FromData(std::move(out), {n, 32, 32, 3}), labels, false,
          "Fashion-MNIST " + split + (limit >= 0 ? " (first " + std::to_string(n) + ")" : "") +
              ", Debian dataset-fashion-mnist, padded to 32x32, gray in 3 channels"};
}

}  // namespace tinytorch
