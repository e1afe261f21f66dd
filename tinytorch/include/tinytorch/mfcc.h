// Module 19: keyword_spotting's audio front end, MFCCs as MLPerf Tiny computes them.
#pragma once

#include "tinytorch/tensor.h"

namespace tinytorch {

// keyword_spotting's front end, as MLPerf Tiny's: 16 kHz audio (N, 16000) → MFCCs (N, 1, 49, 10)
// from 40 ms Hann-windowed frames every 20 ms, the power spectrum up to 4 kHz (a real DFT done as
// a GEMM with a cos/sin basis), 40 mel bands from 20 Hz to 4 kHz, log, and an orthonormal DCT-II
// keeping 10 coefficients. A fixed transform: nothing in it is trained or differentiated.
Tensor KeywordMfcc(const Tensor& audio);

}  // namespace tinytorch
