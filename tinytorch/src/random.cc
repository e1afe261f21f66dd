// Generator: xoshiro256** (Blackman & Vigna, 2018), state filled by splitmix64 as its authors
// advise.
#include <cmath>
#include <numbers>

#include "tinytorch/tensor.h"

namespace tinytorch {

namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Generator::Generator(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(seed);
}

uint64_t Generator::NextU64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Generator::Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

double Generator::Normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // 1 - Uniform() is in (0, 1], so the log is finite.
  const double r = std::sqrt(-2.0 * std::log(1.0 - Uniform()));
  const double theta = 2.0 * std::numbers::pi * Uniform();
  spare_normal_ = r * std::sin(theta);
  has_spare_normal_ = true;
  return r * std::cos(theta);
}

Generator Generator::Fork() { return Generator(NextU64()); }

}  // namespace tinytorch
