// Umbrella header: everything tinytorch offers, module by module.
#pragma once

#include "tinytorch/activations.h"    // 02 activations
#include "tinytorch/autograd.h"       // 06 autograd
#include "tinytorch/data.h"           // 05 dataloader
#include "tinytorch/error.h"          // the exception type
#include "tinytorch/layers.h"         // 03 layers
#include "tinytorch/losses.h"         // 04 losses
#include "tinytorch/optimizers.h"     // 07 optimizers
#include "tinytorch/serialization.h"  // state files, atomic writes
#include "tinytorch/tensor.h"         // 01 tensor
#include "tinytorch/training.h"       // 08 training
#include "tinytorch/convolutions.h"   // 09 convolutions
#include "tinytorch/tokenization.h"   // 10 tokenization
