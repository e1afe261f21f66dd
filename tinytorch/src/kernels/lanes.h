// Whole vectors and tiles: the mask of a 16-lane vector's first n lanes, and a size rounded up to
// whole tiles, vectors or groups.
#pragma once

#include <cstdint>

namespace tinytorch::kernels {

// n clamped to [0, 16]: how the AVX-512 kernels load and store a ragged tail (a __mmask16 is this
// uint16_t).
constexpr uint16_t FirstLanes16(int64_t n) {
  return n >= 16 ? uint16_t{0xFFFF} : n <= 0 ? uint16_t{0} : static_cast<uint16_t>((1u << n) - 1);
}
static_assert(FirstLanes16(-3) == 0 && FirstLanes16(0) == 0 && FirstLanes16(5) == 0x1F &&
              FirstLanes16(16) == 0xFFFF && FirstLanes16(40) == 0xFFFF);

// x ≥ 0 rounded up to a multiple of `multiple`.
constexpr int64_t RoundUp(int64_t x, int64_t multiple) {
  return (x + multiple - 1) / multiple * multiple;
}
static_assert(RoundUp(0, 16) == 0 && RoundUp(9, 4) == 12 && RoundUp(12, 4) == 12);

}  // namespace tinytorch::kernels
