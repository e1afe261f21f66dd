// Module 19: MLPerf Tiny's reference model for each TinyMLPerf benchmark (tinymlperf.h holds the
// benchmarks, their data and the compliance run).
#pragma once

#include <cstdint>
#include <memory>

#include "tinytorch/layers.h"
#include "tinytorch/tensor.h"
#include "tinytorch/tinymlperf.h"

namespace tinytorch {

// MLPerf Tiny's FC autoencoder without its batch norms: 640 → 128 ×4 → 8 → 128 ×4 → 640 with ReLU,
// 265,864 parameters (MLPerf's has 269,992 with batch norms).
std::shared_ptr<Sequential> AnomalyAutoencoder(Generator& gen);
// The reference model trained as MLPerf Tiny trains it, on normal rows only: mean squared
// reconstruction error, Adam (peak 3e-3, cosine-decayed to 1e-4), batch 64, seeded. In eval mode.
std::shared_ptr<Sequential> TrainAnomalyAutoencoder(const Tensor& normal_rows, int epochs = 40,
                                                    uint64_t seed = 3);

// MLPerf Tiny's ResNet-8 for image_classification, taking the benchmark's NHWC queries
// (N, 32, 32, channels): a 3×3 stem of 16 channels, three residual stacks of two 3×3 convolutions
// with batch norm (16, 32 and 64 channels; the last two stride 2 with a 1×1 projection shortcut),
// global average pooling and a linear classifier. 78,186 parameters (batch-norm scales and shifts
// included) for 3 channels and 10 classes.
std::shared_ptr<Module> ResNet8(Generator& gen, int64_t channels = 3, int64_t classes = 10);

// MLPerf Tiny's DS-CNN on raw audio (N, 16000): KeywordMfcc, a 10×4 stride-2 stem of 64 channels,
// four depthwise-separable blocks of 64 (depthwise 3×3 and pointwise 1×1, each with batch norm and
// ReLU), global average pooling and a linear classifier: 23,180 parameters for 12 classes.
std::shared_ptr<Module> DsCnn(Generator& gen, int64_t classes = kKeywordClasses);

// MLPerf Tiny's MobileNetV1 at width 0.25 on NHWC queries (N, 96, 96, 3): a 3×3 stride-2 stem of
// 8 channels, MobileNetV1's 13 depthwise-separable layers (16 to 256 channels), global average
// pooling and a linear classifier: 213,586 parameters for 2 classes.
std::shared_ptr<Module> MobileNetV1Quarter(Generator& gen, int64_t classes = 2);

}  // namespace tinytorch
