// Module 19: TinyMLPerf keyword_spotting (the MFCC front end, seeded synthetic "speech commands",
// DS-CNN) and visual_wake_words (seeded synthetic person / no-person scenes, MobileNetV1 0.25×).
// Both reference models are built from the same depthwise-separable block.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "tinytorch/autograd.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/error.h"

namespace tinytorch {

namespace {

constexpr int64_t kSampleRate = 16000, kSamples = 16000;
constexpr int64_t kFrame = 640, kHop = 320, kFrames = 49;  // 40 ms frames every 20 ms
constexpr int64_t kBins = 161;                             // DFT bins 0..4 kHz, 25 Hz apart
constexpr int64_t kMelBands = 40, kCoefficients = 10;
constexpr double kPi = std::numbers::pi;

double HzToMel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double MelToHz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

// The front end's constant matrices, built once: the Hann-windowed real DFT (frame → cos and sin
// parts of bins 0..160), the triangular mel filterbank and the orthonormal DCT-II.
struct MfccMatrices {
  Tensor dft;  // (kFrame, 2·kBins)
  Tensor mel;  // (kBins, kMelBands)
  Tensor dct;  // (kMelBands, kCoefficients)

  MfccMatrices() {
    std::vector<float> dft_data(static_cast<size_t>(kFrame * 2 * kBins));
    for (int64_t n = 0; n < kFrame; ++n) {
      const double window = 0.5 - 0.5 * std::cos(2 * kPi * static_cast<double>(n) / kFrame);
      for (int64_t k = 0; k < kBins; ++k) {
        const double phase = 2 * kPi * static_cast<double>(k * n % kFrame) / kFrame;
        dft_data[n * 2 * kBins + k] = static_cast<float>(window * std::cos(phase));
        dft_data[n * 2 * kBins + kBins + k] = static_cast<float>(-window * std::sin(phase));
      }
    }
    dft = Tensor::FromData(std::move(dft_data), {kFrame, 2 * kBins});

    // Band b rises from edge b to edge b+1 and falls to edge b+2, edges evenly spaced in mel
    // between 20 Hz and 4 kHz (MLPerf Tiny's range).
    std::vector<double> edges(kMelBands + 2);
    for (int64_t b = 0; b < kMelBands + 2; ++b) {
      edges[b] = MelToHz(HzToMel(20) +
                         (HzToMel(4000) - HzToMel(20)) * static_cast<double>(b) / (kMelBands + 1));
    }
    std::vector<float> mel_data(static_cast<size_t>(kBins * kMelBands), 0.f);
    for (int64_t k = 0; k < kBins; ++k) {
      const double hz = static_cast<double>(k * kSampleRate) / kFrame;
      for (int64_t b = 0; b < kMelBands; ++b) {
        const double rise = (hz - edges[b]) / (edges[b + 1] - edges[b]);
        const double fall = (edges[b + 2] - hz) / (edges[b + 2] - edges[b + 1]);
        mel_data[k * kMelBands + b] = static_cast<float>(std::max(0.0, std::min(rise, fall)));
      }
    }
    mel = Tensor::FromData(std::move(mel_data), {kBins, kMelBands});

    std::vector<float> dct_data(static_cast<size_t>(kMelBands * kCoefficients));
    for (int64_t b = 0; b < kMelBands; ++b) {
      for (int64_t c = 0; c < kCoefficients; ++c) {
        const double scale = std::sqrt((c == 0 ? 1.0 : 2.0) / kMelBands);
        dct_data[b * kCoefficients + c] = static_cast<float>(
            scale * std::cos(kPi * static_cast<double>(c) * (2 * b + 1) / (2.0 * kMelBands)));
      }
    }
    dct = Tensor::FromData(std::move(dct_data), {kMelBands, kCoefficients});
  }
};

const MfccMatrices& Matrices() {
  static const MfccMatrices m;
  return m;
}

}  // namespace

Tensor KeywordMfcc(const Tensor& audio) {
  TT_CHECK(audio.defined() && audio.dtype() == DType::kFloat32 && audio.dim() == 2 &&
               audio.size(1) == kSamples,
           "KeywordMfcc: expects float32 audio (N, ", kSamples, "), got ",
           audio.defined() ? ShapeToString(audio.shape()) : std::string("an undefined tensor"));
  const NoGradGuard no_grad;  // a fixed transform of the input: nothing to learn
  const int64_t n = audio.size(0);
  const Tensor a = audio.Contiguous();
  Tensor frames = Tensor::Zeros({n * kFrames, kFrame});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t f = 0; f < kFrames; ++f) {
      const float* src = a.data<float>() + i * kSamples + f * kHop;
      std::copy(src, src + kFrame, frames.data<float>() + (i * kFrames + f) * kFrame);
    }
  }
  const MfccMatrices& m = Matrices();
  const Tensor spectrum = MatMul(frames, m.dft).Contiguous();  // (n·49, 2·161): re | im
  Tensor power = Tensor::Zeros({n * kFrames, kBins});
  for (int64_t r = 0; r < n * kFrames; ++r) {
    const float* s = spectrum.data<float>() + r * 2 * kBins;
    float* p = power.data<float>() + r * kBins;
    for (int64_t k = 0; k < kBins; ++k) p[k] = s[k] * s[k] + s[kBins + k] * s[kBins + k];
  }
  Tensor log_mel = MatMul(power, m.mel).Contiguous();
  float* lm = log_mel.data<float>();
  for (int64_t k = 0; k < log_mel.numel(); ++k) lm[k] = std::log(lm[k] + 1e-6f);
  return MatMul(log_mel, m.dct).View({n, 1, kFrames, kCoefficients});
}

namespace {

// Keyword k is a sequence of three voiced "syllables", each a harmonic tone whose fundamental is
// one of five grid frequencies (ratio 1.5 apart). The ten keywords' triples pairwise differ in at
// least two positions; "unknown" words use off-grid fundamentals (√1.5 between grid steps), so
// telling them apart needs both the frequencies and their order in time.
constexpr double kGrid[5] = {320, 480, 720, 1080, 1620};
constexpr int kKeywords[10][3] = {{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1},
                                  {0, 2, 4}, {1, 3, 0}, {2, 4, 1}, {3, 0, 2}, {4, 1, 3}};

double Between(Generator& gen, double lo, double hi) { return lo + (hi - lo) * gen.Uniform(); }

// Adds three harmonic syllables on `fundamentals` (Hz) to wave, at a random pitch (±12%), timing
// and loudness.
void Word(const double (&fundamentals)[3], double loudness, Generator& gen,
          std::vector<double>& wave) {
  const double pitch = Between(gen, 0.88, 1.12);
  double durations[3], total = 0;
  for (double& d : durations) total += d = Between(gen, 0.12, 0.22);
  const double gap = Between(gen, 0.01, 0.06);
  total += 2 * gap;
  double t0 = Between(gen, 0.02, 0.98 - total);
  for (int s = 0; s < 3; ++s) {
    const double f = fundamentals[s] * pitch;
    const auto begin = static_cast<int64_t>(t0 * kSampleRate);
    const auto length = static_cast<int64_t>(durations[s] * kSampleRate);
    const double phase = 2 * kPi * gen.Uniform();
    for (int64_t t = 0; t < length && begin + t < kSamples; ++t) {
      const double env = std::pow(std::sin(kPi * static_cast<double>(t) / length), 2);
      const double time = static_cast<double>(t) / kSampleRate;
      const double tone = std::sin(2 * kPi * f * time + phase) +
                          0.5 * std::sin(4 * kPi * f * time + 2 * phase) +
                          0.25 * std::sin(6 * kPi * f * time + 3 * phase);
      wave[begin + t] += loudness * env * tone;
    }
    t0 += durations[s] + gap;
  }
}

void RandomWord(bool on_grid, Generator& gen, double (&fundamentals)[3]) {
  for (double& f : fundamentals) f = kGrid[gen.NextU64() % 5] * (on_grid ? 1.0 : std::sqrt(1.5));
}

// One second of class `label` (0 silence, 1 unknown, 2..11 keywords) into out[0, kSamples). Half
// the clips carry a quieter second speaker (a random word) and every one white noise and hum, so
// the classes overlap a little as real recordings do.
void Synthesize(int64_t label, Generator& gen, float* out) {
  std::vector<double> wave(kSamples, 0.0);
  if (label > 0) {
    double fundamentals[3];
    if (label == 1) {
      RandomWord(false, gen, fundamentals);
    } else {
      for (int s = 0; s < 3; ++s) fundamentals[s] = kGrid[kKeywords[label - 2][s]];
    }
    Word(fundamentals, Between(gen, 0.3, 1.0), gen, wave);
  }
  if (gen.Uniform() < 0.5) {
    double babble[3];
    RandomWord(gen.Uniform() < 0.5, gen, babble);
    Word(babble, Between(gen, 0.05, 0.25), gen, wave);
  }
  const double noise = Between(gen, 0.02, 0.4), hum = Between(gen, 0.0, 0.2);
  const double hum_hz = Between(gen, 50, 150), hum_phase = 2 * kPi * gen.Uniform();
  for (int64_t t = 0; t < kSamples; ++t) {
    const double time = static_cast<double>(t) / kSampleRate;
    out[t] = static_cast<float>(wave[t] + noise * gen.Normal() +
                                hum * std::sin(2 * kPi * hum_hz * time + hum_phase));
  }
}

}  // namespace

TinyMLPerfData MakeKeywordSpottingData(int64_t rows, uint64_t seed) {
  TT_CHECK(rows > 0, "MakeKeywordSpottingData: rows ", rows, " must be positive");
  Generator gen(seed);
  std::vector<float> audio(static_cast<size_t>(rows * kSamples));
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<int64_t>(i % kKeywordClasses);  // balanced, in a fixed rotation
    Synthesize(labels[i], gen, audio.data() + i * kSamples);
  }
  return {Tensor::FromData(std::move(audio), {rows, kSamples}),
          Tensor::FromData(std::move(labels), {rows}), true,
          "synthetic: 10 three-syllable harmonic keywords, off-grid unknown words and silence in "
          "noise and hum, 16 kHz, seed " +
              std::to_string(seed)};
}

namespace {

// Depthwise 3×3 → BN → ReLU → pointwise 1×1 → BN → ReLU (the convolutions have no bias: the
// batch norm's shift replaces it).
class DepthwiseSeparable : public Module {
 public:
  DepthwiseSeparable(int64_t in, int64_t out, int64_t stride, Generator& gen)
      : in_(in), out_(out), stride_(stride) {
    depthwise_ = RegisterModule("depthwise",
                                std::make_shared<DepthwiseConv2d>(in, 3, gen, stride, 1, false));
    bn1_ = RegisterModule("bn1", std::make_shared<BatchNorm2d>(in));
    pointwise_ =
        RegisterModule("pointwise", std::make_shared<Conv2d>(in, out, 1, gen, 1, 0, false));
    bn2_ = RegisterModule("bn2", std::make_shared<BatchNorm2d>(out));
  }
  Tensor Forward(const Tensor& x) override {
    return Relu(bn2_->Forward(pointwise_->Forward(Relu(bn1_->Forward(depthwise_->Forward(x))))));
  }
  std::string ToString() const override {
    return "DepthwiseSeparable(" + std::to_string(in_) + ", " + std::to_string(out_) +
           ", stride=" + std::to_string(stride_) + ")";
  }

 private:
  int64_t in_, out_, stride_;
  std::shared_ptr<DepthwiseConv2d> depthwise_;
  std::shared_ptr<Conv2d> pointwise_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
};

class DsCnnModel : public Module {
 public:
  DsCnnModel(Generator& gen, int64_t classes) : classes_(classes) {
    constexpr int64_t kWidth = 64;
    // MLPerf Tiny's 10×4 stem over (time, coefficient), stride 2. Its 'same' padding is
    // asymmetric; one row and column on each side gives a 21×5 map where MLPerf's is 25×5.
    stem_ = RegisterParameter(
        "stem_weight", InitWeight({kWidth, 1, 10, 4}, 40, kWidth * 40, Init::kHeNormal, gen));
    stem_bn_ = RegisterModule("stem_bn", std::make_shared<BatchNorm2d>(kWidth));
    for (int b = 0; b < 4; ++b) {
      blocks_.push_back(
          RegisterModule("block" + std::to_string(b),
                         std::make_shared<DepthwiseSeparable>(kWidth, kWidth, 1, gen)));
    }
    head_ = RegisterModule("head", std::make_shared<Linear>(kWidth, classes, gen));
  }
  Tensor Forward(const Tensor& audio) override {
    TT_CHECK(audio.dim() == 2 && audio.size(1) == kSamples, "DsCnn: expected audio (N, ", kSamples,
             "), got ", audio.shape());
    Tensor h = Relu(stem_bn_->Forward(Convolve2d(KeywordMfcc(audio), stem_, Tensor(), 2, 1)));
    for (const auto& b : blocks_) h = b->Forward(h);
    return head_->Forward(h.Mean(3).Mean(2));  // global average pooling
  }
  std::string ToString() const override {
    return "DsCnn(mfcc 49x10, 64 channels, 4 depthwise-separable blocks, classes=" +
           std::to_string(classes_) + ")";
  }

 private:
  int64_t classes_;
  Tensor stem_;
  std::shared_ptr<BatchNorm2d> stem_bn_;
  std::vector<std::shared_ptr<DepthwiseSeparable>> blocks_;
  std::shared_ptr<Linear> head_;
};

}  // namespace

std::shared_ptr<Module> DsCnn(Generator& gen, int64_t classes) {
  TT_CHECK(classes > 0, "DsCnn: classes ", classes, " must be positive");
  return std::make_shared<DsCnnModel>(gen, classes);
}

// ---------------------------------------------------------------------------------------------
// visual_wake_words.

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
