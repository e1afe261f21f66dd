// Assembling packed vectors from pieces of rows: the convolution's GEMM panels (PackColumns) are
// 16-float vectors whose lanes come from at most two input rows, with padding lanes zero.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"

namespace tinytorch::kernels {

// Lane e (0 ≤ e < 16) of one vector is base[offset_a + e] if bit e of mask_a is set,
// base[offset_b + e] if bit e of mask_b is set (the masks are disjoint), 0 otherwise. Only the
// selected lanes are read, so an offset may point before or after the data for a masked lane.
struct LaneGather {
  uint16_t mask_a = 0, mask_b = 0;
  int64_t offset_a = 0, offset_b = 0;
};

// dst[16·d + e] for each of count gathers, from base.
void GatherLanesNaive(float* dst, const float* base, const LaneGather* gathers, int64_t count);
void GatherLanes(float* dst, const float* base, const LaneGather* gathers, int64_t count,
                 SimdLevel isa);

}  // namespace tinytorch::kernels
