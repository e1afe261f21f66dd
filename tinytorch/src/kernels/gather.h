// Assembling packed vectors from pieces of rows: the convolution's GEMM panels (ColumnPacker) are
// 16-float vectors whose lanes come from pieces of input rows, with padding lanes zero: at most two
// pieces for stride 1 and rows of 16 or more outputs, any lanes otherwise.
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

// Lane e is base[index[e]] if bit e of mask is set, 0 otherwise: a vector whose lanes come from
// more than two rows (output rows shorter than 16) or every s-th element (stride s).
struct IndexGather {
  uint16_t mask = 0;
  int32_t index[16] = {};
};

// dst[16·d + e] for each of count gathers, from base[0, extent): every index is below extent.
void GatherIndexedNaive(float* dst, const float* base, const IndexGather* gathers, int64_t count);
void GatherIndexed(float* dst, const float* base, int64_t extent, const IndexGather* gathers,
                   int64_t count, SimdLevel isa);

}  // namespace tinytorch::kernels
