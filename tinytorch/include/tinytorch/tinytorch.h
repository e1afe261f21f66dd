// Umbrella header: everything tinytorch offers, module by module.
#pragma once

#include "tinytorch/acceleration.h"   // 17 acceleration
#include "tinytorch/activations.h"    // 02 activations
#include "tinytorch/attention.h"      // 12 attention
#include "tinytorch/autograd.h"       // 06 autograd
#include "tinytorch/benchmarking.h"   // 19 benchmarking (results, runner, suites, techniques)
#include "tinytorch/compression.h"    // 16 compression
#include "tinytorch/convolutions.h"   // 09 convolutions
#include "tinytorch/data.h"           // 05 dataloader
#include "tinytorch/digits.h"         // the digits recipe (split, MLP, CNN, training run)
#include "tinytorch/embeddings.h"     // 11 embeddings
#include "tinytorch/error.h"          // the exception type
#include "tinytorch/layers.h"         // 03 layers
#include "tinytorch/lazy.h"           // 17 acceleration: lazy execution and fusion
#include "tinytorch/losses.h"         // 04 losses
#include "tinytorch/memoization.h"    // 18 memoization (KV cache)
#include "tinytorch/olympics.h"       // 20 capstone (TorchPerf Olympics)
#include "tinytorch/olympics_recipe.h"  // 20 capstone: rebuilding and re-measuring a submission
#include "tinytorch/optimizers.h"     // 07 optimizers
#include "tinytorch/profiling.h"      // 14 profiling
#include "tinytorch/quantization.h"   // 15 quantization
#include "tinytorch/serialization.h"  // state files, atomic writes
#include "tinytorch/tensor.h"         // 01 tensor
#include "tinytorch/tokenization.h"   // 10 tokenization
#include "tinytorch/training.h"       // 08 training
#include "tinytorch/transformers.h"   // 13 transformers

// 19 benchmarking: TinyMLPerf (benchmarks, data, compliance), its reference models, and the
// keyword-spotting MFCC front end.
#include "tinytorch/mfcc.h"
#include "tinytorch/tinymlperf.h"
#include "tinytorch/tinymlperf_models.h"
