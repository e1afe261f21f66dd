// The mask of a 16-lane vector's first n lanes, n clamped to [0, 16]: how the AVX-512 kernels load
// and store a ragged tail (a __mmask16 is this uint16_t).
#pragma once

#include <cstdint>

namespace tinytorch::kernels {

constexpr uint16_t FirstLanes16(int64_t n) {
  return n >= 16 ? uint16_t{0xFFFF} : n <= 0 ? uint16_t{0} : static_cast<uint16_t>((1u << n) - 1);
}
static_assert(FirstLanes16(-3) == 0 && FirstLanes16(0) == 0 && FirstLanes16(5) == 0x1F &&
              FirstLanes16(16) == 0xFFFF && FirstLanes16(40) == 0xFFFF);

}  // namespace tinytorch::kernels
