// libmvec's vector erff and expf beside std::erf and std::exp, and the exact GELU built on erf.
#include "kernels/vector_math.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

// glibc's vector ABI names (x86_64 libmvec): 16 lanes for AVX-512, 8 for AVX2.
extern "C" {
__m512 _ZGVeN16v_erff(__m512 x);
__m256 _ZGVdN8v_erff(__m256 x);
__m512 _ZGVeN16v_expf(__m512 x);
__m256 _ZGVdN8v_expf(__m256 x);
}

namespace tinytorch::kernels {

namespace {

// Full vectors of `lanes` floats through `vec`; a ragged tail padded with zeros into one more.
template <int kLanes, class Vec>
void Blocks(float* out, const float* x, int64_t n, Vec vec) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vec(out + i, x + i);
  if (i < n) {
    float in[kLanes] = {}, res[kLanes];
    std::memcpy(in, x + i, (n - i) * sizeof(float));
    vec(res, in);
    std::memcpy(out + i, res, (n - i) * sizeof(float));
  }
}

// One vector each. The target attribute is on these functions, not only on their callers: a
// lambda inside a target function does not inherit it, and the portable build (no -march) would
// not compile the intrinsics.
__attribute__((target("avx512f"))) inline void Erf16(float* o, const float* v) {
  _mm512_storeu_ps(o, _ZGVeN16v_erff(_mm512_loadu_ps(v)));
}
__attribute__((target("avx2,fma"))) inline void Erf8(float* o, const float* v) {
  _mm256_storeu_ps(o, _ZGVdN8v_erff(_mm256_loadu_ps(v)));
}

__attribute__((target("avx512f"))) inline void Exp16(float* o, const float* v) {
  _mm512_storeu_ps(o, _ZGVeN16v_expf(_mm512_loadu_ps(v)));
}
__attribute__((target("avx2,fma"))) inline void Exp8(float* o, const float* v) {
  _mm256_storeu_ps(o, _ZGVdN8v_expf(_mm256_loadu_ps(v)));
}

__attribute__((target("avx512f"))) void ErfAvx512(float* out, const float* x, int64_t n) {
  Blocks<16>(out, x, n, Erf16);
}
__attribute__((target("avx2,fma"))) void ErfAvx2(float* out, const float* x, int64_t n) {
  Blocks<8>(out, x, n, Erf8);
}
__attribute__((target("avx512f"))) void ExpAvx512(float* out, const float* x, int64_t n) {
  Blocks<16>(out, x, n, Exp16);
}
__attribute__((target("avx2,fma"))) void ExpAvx2(float* out, const float* x, int64_t n) {
  Blocks<8>(out, x, n, Exp8);
}

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;
constexpr int64_t kChunk = 256;  // floats of erf argument kept on the stack at a time

// One function's three paths, chosen by `isa`.
using ArrayFn = void (*)(float*, const float*, int64_t);
void ByLevel(SimdLevel isa, ArrayFn avx512, ArrayFn avx2, ArrayFn naive, float* out,
             const float* x, int64_t n) {
  switch (isa) {
    case SimdLevel::kAvx512:
      return avx512(out, x, n);
    case SimdLevel::kAvx2:
      return avx2(out, x, n);
    case SimdLevel::kScalar:
    case SimdLevel::kCount:  // not a level
      break;
  }
  naive(out, x, n);
}

}  // namespace

void ErfNaive(float* out, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::erf(x[i]);
}

void Erf(float* out, const float* x, int64_t n, SimdLevel isa) {
  ByLevel(isa, ErfAvx512, ErfAvx2, ErfNaive, out, x, n);
}

void ExpNaive(float* out, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}

void Exp(float* out, const float* x, int64_t n, SimdLevel isa) {
  ByLevel(isa, ExpAvx512, ExpAvx2, ExpNaive, out, x, n);
}

namespace {

// out[i] = combine(x[i], erf(x[i]/√2)), the erf taken kChunk values at a time through Erf.
template <class Combine>
void WithErfOfScaled(float* out, const float* x, int64_t n, SimdLevel isa, Combine combine) {
  float t[kChunk];
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = std::min(kChunk, n - i);
    for (int64_t j = 0; j < m; ++j) t[j] = x[i + j] * kInvSqrt2;
    Erf(t, t, m, isa);
    for (int64_t j = 0; j < m; ++j) out[i + j] = combine(x[i + j], t[j]);
  }
}

}  // namespace

void GeluExact(float* out, const float* x, int64_t n, SimdLevel isa) {
  WithErfOfScaled(out, x, n, isa, [](float v, float e) { return 0.5f * v * (1.f + e); });
}

void GeluExactDerivative(float* out, const float* x, int64_t n, SimdLevel isa) {
  WithErfOfScaled(out, x, n, isa, [](float v, float e) {
    return 0.5f * (1.f + e) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
  });
}

}  // namespace tinytorch::kernels
