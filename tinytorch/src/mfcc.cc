// Module 19: keyword_spotting's MFCC front end: Hann-windowed frames, a real DFT as a GEMM, a mel
// filterbank, log and an orthonormal DCT-II.
#include "tinytorch/mfcc.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "tinymlperf_internal.h"
#include "tinytorch/autograd.h"
#include "tinytorch/error.h"

namespace tinytorch {

namespace {

using detail::kSampleRate;
using detail::kSamples;
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

}  // namespace tinytorch
