// Module 19: TinyMLPerf visual_wake_words: seeded synthetic person / no-person scenes and MLPerf
// Tiny's MobileNetV1 0.25x.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tinymlperf_internal.h"
#include "tinytorch/activations.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/error.h"
#include "tinytorch/tinymlperf.h"
#include "tinytorch/tinymlperf_models.h"

namespace tinytorch {

using detail::Between;
using detail::DepthwiseSeparable;

namespace {

constexpr int64_t kImage = 96;

struct Rgb {
  float r, g, b;
};
Rgb RandomColor(Generator& gen) {
  return {static_cast<float>(gen.Uniform()), static_cast<float>(gen.Uniform()),
          static_cast<float>(gen.Uniform())};
}

// Paints `color` wherever inside(x, y) holds (pixel centres, image coordinates).
template <class Inside>
void Paint(float* image, Rgb color, Inside&& inside) {
  for (int64_t y = 0; y < kImage; ++y) {
    for (int64_t x = 0; x < kImage; ++x) {
      if (!inside(static_cast<double>(x) + 0.5, static_cast<double>(y) + 0.5)) continue;
      float* px = image + (y * kImage + x) * 3;
      px[0] = color.r;
      px[1] = color.g;
      px[2] = color.b;
    }
  }
}

void Ellipse(float* image, Rgb color, double cx, double cy, double rx, double ry) {
  Paint(image, color, [&](double x, double y) {
    const double dx = (x - cx) / rx, dy = (y - cy) / ry;
    return dx * dx + dy * dy <= 1;
  });
}
void Box(float* image, Rgb color, double x0, double y0, double x1, double y1) {
  Paint(image, color, [&](double x, double y) { return x >= x0 && x < x1 && y >= y0 && y < y1; });
}

// A standing figure `height` pixels tall with its feet centred at (cx, bottom): head, torso, two
// legs and two arms hanging beside the torso, each part in its own colour.
void Person(float* image, Generator& gen, double cx, double bottom, double height) {
  const double leg = 0.42 * height, torso = 0.36 * height, head = 0.11 * height;
  const double shoulders = 0.15 * height, limb = 0.06 * height;
  const double hip = bottom - leg, neck = hip - torso;
  const Rgb legs = RandomColor(gen), body = RandomColor(gen);
  const Rgb skin = {static_cast<float>(Between(gen, 0.45, 0.95)),
                    static_cast<float>(Between(gen, 0.3, 0.75)),
                    static_cast<float>(Between(gen, 0.2, 0.6))};
  Box(image, legs, cx - 0.11 * height, hip, cx - 0.11 * height + 2 * limb, bottom);
  Box(image, legs, cx + 0.11 * height - 2 * limb, hip, cx + 0.11 * height, bottom);
  Box(image, body, cx - shoulders, neck, cx + shoulders, hip + 0.02 * height);
  Box(image, body, cx - shoulders - 1.5 * limb, neck, cx - shoulders, hip - 0.04 * height);
  Box(image, body, cx + shoulders, neck, cx + shoulders + 1.5 * limb, hip - 0.04 * height);
  Ellipse(image, skin, cx, neck - 0.9 * head, head, 1.15 * head);
}

// One 96×96×3 scene in [0, 1], HWC: a two-colour gradient, 1–4 distractor shapes (boxes, discs,
// lying ellipses, bars), a person when `label` is 1, and pixel noise.
void Scene(int64_t label, Generator& gen, float* image) {
  const Rgb top = RandomColor(gen), bottom = RandomColor(gen);
  for (int64_t y = 0; y < kImage; ++y) {
    const auto t = static_cast<float>(y) / kImage;
    for (int64_t x = 0; x < kImage; ++x) {
      float* px = image + (y * kImage + x) * 3;
      px[0] = top.r + (bottom.r - top.r) * t;
      px[1] = top.g + (bottom.g - top.g) * t;
      px[2] = top.b + (bottom.b - top.b) * t;
    }
  }
  const auto distractors = static_cast<int>(1 + gen.NextU64() % 4);
  for (int d = 0; d < distractors; ++d) {
    const Rgb color = RandomColor(gen);
    const double cx = Between(gen, 5, 91), cy = Between(gen, 5, 91), size = Between(gen, 6, 28);
    switch (gen.NextU64() % 4) {
      case 0:
        Box(image, color, cx - size / 2, cy - size * Between(gen, 0.3, 1.2), cx + size / 2, cy);
        break;
      case 1:
        Ellipse(image, color, cx, cy, size / 3, size / 3);
        break;
      case 2:
        Ellipse(image, color, cx, cy, size / 2, size / 5);
        break;
      default:
        Box(image, color, cx - size / 12, cy - size / 2, cx + size / 12, cy + size / 2);
        break;
    }
  }
  if (label == 1) {
    const double height = Between(gen, 36, 80);
    Person(image, gen, Between(gen, 0.25 * height, kImage - 0.25 * height),
           Between(gen, height, kImage + 0.1 * height), height);
  }
  const double noise = Between(gen, 0.0, 0.08);
  for (int64_t k = 0; k < kImage * kImage * 3; ++k) {
    image[k] = std::clamp(image[k] + static_cast<float>(noise * gen.Normal()), 0.f, 1.f);
  }
}

}  // namespace

TinyMLPerfData MakeVisualWakeWordsData(int64_t rows, uint64_t seed) {
  TT_CHECK(rows > 0, "MakeVisualWakeWordsData: rows ", rows, " must be positive");
  Generator gen(seed);
  constexpr int64_t kPixels = kImage * kImage * 3;
  std::vector<float> images(static_cast<size_t>(rows * kPixels));
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    labels[i] = i % 2;
    Scene(labels[i], gen, images.data() + i * kPixels);
  }
  return {Tensor::FromData(std::move(images), {rows, kImage, kImage, 3}),
          Tensor::FromData(std::move(labels), {rows}), true,
          "synthetic: 96x96 scenes of gradients and distractor shapes, half with a standing "
          "figure, seed " +
              std::to_string(seed)};
}

namespace {

class MobileNetModel : public Module {
 public:
  MobileNetModel(Generator& gen, int64_t classes) : classes_(classes) {
    // MobileNetV1's 13 depthwise-separable layers at width 0.25: (output channels, stride).
    constexpr int64_t kLayers[13][2] = {{16, 1},  {32, 2},  {32, 1},  {64, 2},  {64, 1},
                                        {128, 2}, {128, 1}, {128, 1}, {128, 1}, {128, 1},
                                        {128, 1}, {256, 2}, {256, 1}};
    stem_ = RegisterModule("stem", std::make_shared<Conv2d>(3, 8, 3, gen, 2, 1, false));
    stem_bn_ = RegisterModule("stem_bn", std::make_shared<BatchNorm2d>(8));
    int64_t channels = 8;
    for (int l = 0; l < 13; ++l) {
      blocks_.push_back(RegisterModule(
          "block" + std::to_string(l),
          std::make_shared<DepthwiseSeparable>(channels, kLayers[l][0], kLayers[l][1], gen)));
      channels = kLayers[l][0];
    }
    head_ = RegisterModule("head", std::make_shared<Linear>(channels, classes, gen));
  }
  Tensor Forward(const Tensor& x) override {
    TT_CHECK(x.dim() == 4 && x.size(3) == 3, "MobileNetV1: expected NHWC input (N, H, W, 3), got ",
             x.shape());
    Tensor h = Relu(stem_bn_->Forward(stem_->Forward(x.Permute({0, 3, 1, 2}).Contiguous())));
    for (const auto& b : blocks_) h = b->Forward(h);
    return head_->Forward(h.Mean(3).Mean(2));  // global average pooling
  }
  std::string ToString() const override {
    return "MobileNetV1(width=0.25, classes=" + std::to_string(classes_) + ")";
  }

 private:
  int64_t classes_;
  std::shared_ptr<Conv2d> stem_;
  std::shared_ptr<BatchNorm2d> stem_bn_;
  std::vector<std::shared_ptr<DepthwiseSeparable>> blocks_;
  std::shared_ptr<Linear> head_;
};

}  // namespace

std::shared_ptr<Module> MobileNetV1Quarter(Generator& gen, int64_t classes) {
  TT_CHECK(classes > 0, "MobileNetV1Quarter: classes ", classes, " must be positive");
  return std::make_shared<MobileNetModel>(gen, classes);
}

}  // namespace tinytorch
