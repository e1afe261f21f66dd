// Module 19: TinyMLPerf keyword_spotting: seeded synthetic "speech commands" and MLPerf Tiny's
// DS-CNN on their MFCCs.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "tinymlperf_internal.h"
#include "tinytorch/activations.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/error.h"
#include "tinytorch/mfcc.h"
#include "tinytorch/tinymlperf.h"
#include "tinytorch/tinymlperf_models.h"

namespace tinytorch {

using detail::Between;
using detail::DepthwiseSeparable;
using detail::kSampleRate;
using detail::kSamples;

namespace {

constexpr double kPi = std::numbers::pi;

// Keyword k is a sequence of three voiced "syllables", each a harmonic tone whose fundamental is
// one of five grid frequencies (ratio 1.5 apart). The ten keywords' triples pairwise differ in at
// least two positions; "unknown" words use off-grid fundamentals (√1.5 between grid steps), so
// telling them apart needs both the frequencies and their order in time.
constexpr double kGrid[5] = {320, 480, 720, 1080, 1620};
constexpr int kKeywords[10][3] = {{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1},
                                  {0, 2, 4}, {1, 3, 0}, {2, 4, 1}, {3, 0, 2}, {4, 1, 3}};

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

}  // namespace tinytorch
