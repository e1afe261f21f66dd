// glibc's vector math (libmvec) over arrays, each beside its scalar reference: erf for the exact
// GELU (module 02) forward and backward, eager and lazy alike, and exp for attention's softmax.
//
// erf:
// Measured first: in the tiny GPT's training step, scalar erff was 15% of the time. The vector
// paths call glibc's libmvec (_ZGVeN16v_erff, _ZGVdN8v_erff: glibc 2.35+; a few ulps from erf: 3 at
// erf(-3.68)), so no approximation of ours stands in for erf. A ragged tail is padded into one more
// full vector, so every element goes through the same function whatever its position: the eager op
// (chunks of 8192) and the lazy fused pass (blocks of 512) get the same bits.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

// out[i] = erf(x[i]); out may alias x.
void ErfNaive(float* out, const float* x, int64_t n);  // std::erf, the reference
void Erf(float* out, const float* x, int64_t n, SimdLevel isa);

// The exact GELU and its derivative over an array, through Erf at `isa`; out may alias x.
//   gelu(v) = 0.5·v·(1 + erf(v/√2));  gelu'(v) = 0.5·(1 + erf(v/√2)) + v·φ(v).
void GeluExact(float* out, const float* x, int64_t n, SimdLevel isa);
void GeluExactDerivative(float* out, const float* x, int64_t n, SimdLevel isa);

// out[i] = exp(x[i]); out may alias x. libmvec's expf is within 1 ulp of std::exp and gives
// exp(-inf) = 0 exactly, which a masked score needs. Measured first: attention's softmax spent a
// quarter of its time in scalar expf calls.
void ExpNaive(float* out, const float* x, int64_t n);  // std::exp, the reference
void Exp(float* out, const float* x, int64_t n, SimdLevel isa);

}  // namespace tinytorch::kernels
