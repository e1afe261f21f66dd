// Module 09's geometry and im2col lowering, shared by the convolution sources: the im2col matrix
// itself (for training, whose backward needs it) and the same values written straight into a
// GEMM's packed panels (for inference).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "convolution_internal.h"
#include "kernels/cpu.h"
#include "kernels/gather.h"
#include "tensor_internal.h"

namespace tinytorch::internal {

Geometry Check(const char* op, const Tensor& x, int64_t kh, int64_t kw, int64_t stride,
               int64_t padding) {
  CheckFloat(x, op);
  return Check(op, x.shape(), kh, kw, stride, padding);
}

Geometry Check(const char* op, const Shape& x, int64_t kh, int64_t kw, int64_t stride,
               int64_t padding) {
  TT_CHECK(x.size() == 4, op, ": expects an NCHW input, got shape ", x);
  TT_CHECK(kh > 0 && kw > 0 && stride > 0 && padding >= 0, op, ": kernel ", kh, "x", kw,
           ", stride ", stride, " and padding ", padding, " are invalid");
  Geometry g{x[0], x[1], x[2], x[3], kh, kw, stride, padding, 0, 0};
  // As PyTorch: only the batch may be empty. A window over an empty plane would have nothing
  // to take its max or mean of, and padding would make one.
  TT_CHECK(g.c > 0 && g.h > 0 && g.w > 0, op, ": input shape ", x,
           " has an empty channel or spatial dimension (only the batch may be 0)");
  TT_CHECK(g.h + 2 * padding >= kh && g.w + 2 * padding >= kw, op, ": kernel ", kh, "x", kw,
           " is larger than the padded input ", g.h + 2 * padding, "x", g.w + 2 * padding,
           " (input shape ", x, ")");
  g.ho = (g.h + 2 * padding - kh) / stride + 1;
  g.wo = (g.w + 2 * padding - kw) / stride + 1;
  return g;
}

// Each row of cols is one (c, i, j) tap: for output row oy it reads input row y = oy·s + i − pad
// at columns ox·s + j − pad. The columns that fall inside the input form one range [lo, hi), so
// the row is zeros, a strided (for s = 1, contiguous) copy, zeros: no test per element.
void Im2Col(float* cols, const float* x, const Geometry& g) {
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        float* row = cols + ((c * g.kh + i) * g.kw + j) * g.positions();
        const int64_t offset = j - g.pad;  // input column = ox·s + offset
        const int64_t lo = std::min(g.wo, offset >= 0 ? 0 : (-offset + g.stride - 1) / g.stride);
        const int64_t hi = std::max(lo, std::min(g.wo, (g.w - offset + g.stride - 1) / g.stride));
        for (int64_t oy = 0; oy < g.ho; ++oy) {
          float* out = row + oy * g.wo;
          const int64_t y = oy * g.stride + i - g.pad;
          if (y < 0 || y >= g.h) {
            std::fill(out, out + g.wo, 0.f);
            continue;
          }
          const float* src = x + (c * g.h + y) * g.w + offset;
          std::fill(out, out + lo, 0.f);
          if (g.stride == 1) {
            std::copy(src + lo, src + hi, out + lo);
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) out[ox] = src[ox * g.stride];
          }
          std::fill(out + hi, out + g.wo, 0.f);
        }
      }
    }
  }
}

namespace {

// A run of n codes: known at compile time (kRun > 0), a few inline moves; else 16-byte moves, the
// last one overlapping, rather than a memcpy call per run.
template <int64_t kRun>
inline void CopyRun(uint8_t* dst, const uint8_t* src, int64_t n) {
  if constexpr (kRun > 0) {
    std::memcpy(dst, src, kRun);
  } else if (n >= 16) {
    for (int64_t i = 0; i + 16 < n; i += 16) std::memcpy(dst + i, src + i, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  } else {
    std::memcpy(dst, src, static_cast<size_t>(n));
  }
}

// One image's rows from its channels-last codes hwc (h, w, C), bordered already: each output
// position's row is kh runs of kw·C consecutive codes, then zeros to the row stride (at most 3:
// the int8 kernel's whole groups of 4). The geometry is read into locals: a store of a byte may
// alias anything, so GCC would reload g's fields after every one.
template <int64_t kRun>  // 0: any run
void RowsOfChannelsLast(uint8_t* row, int64_t row_stride, const uint8_t* hwc, int64_t w,
                        const Geometry& g) {
  const int64_t run = kRun ? kRun : g.kw * g.c, kh = g.kh, ho = g.ho, wo = g.wo;
  const int64_t line = w * g.c, step = g.stride * g.c, gap = row_stride - kh * run;
  for (int64_t oy = 0; oy < ho; ++oy) {
    const uint8_t* window = hwc + oy * g.stride * line;
    for (int64_t ox = 0; ox < wo; ++ox, window += step) {
      for (int64_t i = 0; i < kh; ++i, row += run) CopyRun<kRun>(row, window + i * line, run);
      for (int64_t q = 0; q < gap; ++q) *row++ = 0;
    }
  }
}

// One channel under a 3×3 kernel (a network's first layer) at the fused int8 kernel's stride:
// each row of 9 codes and 3 zeros is assembled in registers from three 4-byte loads (hwc has 4
// bytes past its end) and stored as 8 + 4 bytes. Nine byte moves and three zero bytes a row were
// a fifth of the int8 digits CNN at batch 32. x86 is little-endian: byte 0 is the low one.
void RowsOf3x3OneChannel(uint8_t* row, const uint8_t* hwc, int64_t w, const Geometry& g) {
  for (int64_t oy = 0; oy < g.ho; ++oy) {
    const uint8_t* window = hwc + oy * g.stride * w;
    for (int64_t ox = 0; ox < g.wo; ++ox, window += g.stride, row += 12) {
      uint32_t r0, r1, r2;
      std::memcpy(&r0, window, 4);
      std::memcpy(&r1, window + w, 4);
      std::memcpy(&r2, window + 2 * w, 4);
      const uint64_t low =
          (r0 & 0xFFFFFFu) | uint64_t{r1 & 0xFFFFFFu} << 24 | uint64_t{r2 & 0xFFFFu} << 48;
      const uint32_t high = r2 >> 16 & 0xFFu;
      std::memcpy(row, &low, 8);
      std::memcpy(row + 8, &high, 4);
    }
  }
}

// Any geometry's rows by byte permutes (AVX-512 VBMI), when the kh input lines under one output
// row's windows fit in one 64-byte load (small planes and few channels: a network's first
// layers) and its rows in four vectors: per output row, that load and one vpermb per 64 bytes of
// rows, the zeros after each row's taps set by the permute's zero mask. The table (which byte of
// the load each row byte takes) depends on the geometry only, so it is built once a call. On the
// int8 digits CNN's first layer the register assembly above still cost 10% of its batch of 32.
struct RowPermutes {
  alignas(64) uint8_t index[4][64];
  uint64_t keep[4];           // the row bytes that take a code, per 64 bytes of rows
  uint64_t load, last_store;  // the bytes loaded (so a load never reads past the image), stored
  int64_t chunks, bytes;      // per output row: 64-byte pieces and bytes of rows
};

// The table for images bordered to `w` columns, or none where the rows do not fit.
std::optional<RowPermutes> PermutesFor(const Geometry& g, int64_t w, int64_t row_stride) {
  const int64_t line = w * g.c, run = g.kw * g.c, step = g.stride * g.c;
  const int64_t span = (g.kh - 1) * line + (g.wo - 1) * step + run, bytes = g.wo * row_stride;
  if (!kernels::ByteShufflesAvailable() || span > 64 || bytes > 256) return std::nullopt;
  RowPermutes t{};
  t.bytes = bytes;
  t.chunks = (bytes + 63) / 64;
  const auto first = [](int64_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; };
  t.load = first(span);
  t.last_store = first(bytes - 64 * (t.chunks - 1));
  for (int64_t ox = 0; ox < g.wo; ++ox) {  // taps in (i, j, c) order: kh runs of kw·C codes
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t r = 0; r < run; ++r) {
        const int64_t at = ox * row_stride + i * run + r;
        t.index[at / 64][at % 64] = static_cast<uint8_t>(i * line + ox * step + r);
        t.keep[at / 64] |= uint64_t{1} << (at % 64);
      }
    }
  }
  return t;
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void RowsByPermutes(
    uint8_t* row, const uint8_t* hwc, int64_t w, const Geometry& g, const RowPermutes& t) {
  __m512i index[4];
  for (int64_t c = 0; c < t.chunks; ++c) index[c] = _mm512_load_si512(t.index[c]);
  const int64_t last = t.chunks - 1, line_step = g.stride * w * g.c;
  for (int64_t oy = 0; oy < g.ho; ++oy, row += t.bytes) {
    const __m512i lines = _mm512_maskz_loadu_epi8(t.load, hwc + oy * line_step);
    for (int64_t c = 0; c < last; ++c) {
      _mm512_storeu_si512(row + 64 * c, _mm512_maskz_permutexvar_epi8(t.keep[c], index[c], lines));
    }
    _mm512_mask_storeu_epi8(row + 64 * last, t.last_store,
                            _mm512_maskz_permutexvar_epi8(t.keep[last], index[last], lines));
  }
}

}  // namespace

// Channels last, a row is kh plain copies of kw·C codes once each image is copied into a border
// of the pad code. Channels first, a row was C·kh runs of kw codes: the 3×3 convolution over 16
// channels of the digits CNN made 48 copies of 3 bytes per row, the larger part of its int8
// inference. Testing each code against the edges instead of bordering cost more than the copies
// themselves. Where one output row's lines fit a vector, byte permutes make its rows instead
// (RowsByPermutes); without them, one channel under 3×3 is assembled in registers.
void Im2RowU8(uint8_t* rows, int64_t row_stride, const uint8_t* x, int64_t images,
              const Geometry& g, uint8_t pad_code) {
  const int64_t h = g.h + 2 * g.pad, w = g.w + 2 * g.pad, line = g.w * g.c;
  std::vector<uint8_t> hwc(static_cast<size_t>(h * w * g.c + 4), pad_code);  // + 4: see above
  const std::optional<RowPermutes> permutes = PermutesFor(g, w, row_stride);
  for (int64_t image = 0; image < images; ++image, x += g.h * line) {
    for (int64_t y = 0; y < g.h; ++y) {
      std::memcpy(hwc.data() + ((y + g.pad) * w + g.pad) * g.c, x + y * line,
                  static_cast<size_t>(line));
    }
    uint8_t* image_rows = rows + image * g.positions() * row_stride;
    if (permutes) {
      RowsByPermutes(image_rows, hwc.data(), w, g, *permutes);
      continue;
    }
    if (g.c == 1 && g.kh == 3 && g.kw == 3 && row_stride == 12) {
      RowsOf3x3OneChannel(image_rows, hwc.data(), w, g);
      continue;
    }
    switch (g.kw * g.c) {  // runs of 1, 3 or 5 codes, as one channel gives under the usual kernels
      case 1: RowsOfChannelsLast<1>(image_rows, row_stride, hwc.data(), w, g); break;
      case 3: RowsOfChannelsLast<3>(image_rows, row_stride, hwc.data(), w, g); break;
      case 5: RowsOfChannelsLast<5>(image_rows, row_stride, hwc.data(), w, g); break;
      default: RowsOfChannelsLast<0>(image_rows, row_stride, hwc.data(), w, g);
    }
  }
}

// The same values as PackB cutting the panel out of Im2Col's matrix, read straight from the image.
// Which input element lands in each lane of a strip depends on the strip and the tap's (i, j), not
// on its channel, so each 16-float vector of the strip is described once per tap, the description
// is kept for the next K slice and image, and every channel replays it from its own plane:
// - for stride 1 and rows of 16 or more outputs, as two pieces of input rows at most, each one
//   masked load;
// - otherwise (shorter rows, other strides) as an index per lane, one gather a vector (one
//   permute from a plane of up to 32 floats).
// A 3×3 convolution over 32 channels does only 64 FMAs per packed float, so the packing has to
// run near copy speed: copying run by run, with the index arithmetic and a call per run, cost a
// third of the convolution's time, and describing the strips anew for every call a tenth. Runs
// of 4 (the digits CNN's 4×4 layer) were 63% of that CNN's time at batch 32.
void ColumnPacker::operator()(float* out, const float* x, int64_t p0, int64_t kc, int64_t j0,
                              int64_t cols, int64_t nr) {
  const int64_t taps = g_.kh * g_.kw, plane = g_.h * g_.w, strips = (cols + nr - 1) / nr;
  TT_CHECK(nr % 16 == 0 && plane <= INT32_MAX, "ColumnPacker: strips of ", nr,
           " columns and planes of ", plane, " floats are not whole vectors and int32 indices");
  const int64_t vectors = nr / 16;
  if (nr != nr_) {
    described_.clear();
    indexed_.clear();
    nr_ = nr;
  }
  const SimdLevel isa = ActiveSimdLevel();
  // The rows of one channel's taps are consecutive in a strip, and so are their descriptions.
  const auto replay = [&](const auto* descriptions, auto gather) {
    for (int64_t p = p0; p < p0 + kc;) {
      const int64_t t = p % taps, rows = std::min(taps - t, p0 + kc - p);
      const float* channel = x + p / taps * plane;
      for (int64_t s = 0; s < strips; ++s) {
        gather(out + (s * kc + p - p0) * nr, channel, descriptions + (s * taps + t) * vectors,
               rows * vectors, isa);
      }
      p += rows;
    }
  };
  if (g_.stride == 1 && g_.wo >= 16) {
    std::vector<kernels::LaneGather>& pieces = described_[j0];
    if (pieces.empty()) pieces = Describe(j0, cols, nr);
    return replay(pieces.data(), kernels::GatherLanes);
  }
  std::vector<kernels::IndexGather>& lanes = indexed_[j0];
  if (lanes.empty()) lanes = DescribeIndexed(j0, cols, nr);
  replay(lanes.data(), [plane](float* dst, const float* channel, const kernels::IndexGather* d,
                               int64_t count, SimdLevel level) {
    kernels::GatherIndexed(dst, channel, plane, d, count, level);
  });
}

namespace {

// Calls lane(d, e, y, x) for lane e of each description d = (s·taps + t)·vectors + v of the strips
// from output position j0 (cols positions, nr to a strip) whose position j0 + s·nr + 16·v + e reads
// the input at row y, column x for tap t = (i, j): row oy·stride + i − pad and column
// ox·stride + j − pad. Lanes past cols or in the padding are skipped, which leaves them masked off.
template <class Lane>
void ForEachLane(const Geometry& g, int64_t j0, int64_t cols, int64_t nr, Lane&& lane) {
  const int64_t taps = g.kh * g.kw, strips = (cols + nr - 1) / nr, vectors = nr / 16;
  for (int64_t s = 0; s < strips; ++s) {
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t i = t / g.kw - g.pad, j = t % g.kw - g.pad;
      for (int64_t v = 0; v < vectors; ++v) {
        for (int e = 0; e < 16 && s * nr + 16 * v + e < cols; ++e) {
          const int64_t position = j0 + s * nr + 16 * v + e;
          const int64_t y = position / g.wo * g.stride + i, x = position % g.wo * g.stride + j;
          if (y >= 0 && y < g.h && x >= 0 && x < g.w) lane((s * taps + t) * vectors + v, e, y, x);
        }
      }
    }
  }
}

int64_t Descriptions(const Geometry& g, int64_t cols, int64_t nr) {
  return (cols + nr - 1) / nr * g.kh * g.kw * (nr / 16);
}

}  // namespace

// Stride 1 and rows of 16 or more outputs: a vector's lanes lie in at most two input rows, each a
// run of consecutive elements.
std::vector<kernels::LaneGather> ColumnPacker::Describe(int64_t j0, int64_t cols,
                                                        int64_t nr) const {
  std::vector<kernels::LaneGather> gathers(static_cast<size_t>(Descriptions(g_, cols, nr)));
  ForEachLane(g_, j0, cols, nr, [&](int64_t at_d, int e, int64_t y, int64_t x) {
    kernels::LaneGather& d = gathers[static_cast<size_t>(at_d)];
    const int64_t at = y * g_.w + x - e;  // lane e reads channel[at + e]
    if (d.mask_a == 0 || at == d.offset_a) {
      d.offset_a = at;
      d.mask_a |= static_cast<uint16_t>(1u << e);
    } else {  // the next output row: with 16 or more per row, no vector reaches a third
      d.offset_b = at;
      d.mask_b |= static_cast<uint16_t>(1u << e);
    }
  });
  return gathers;
}

std::vector<kernels::IndexGather> ColumnPacker::DescribeIndexed(int64_t j0, int64_t cols,
                                                                int64_t nr) const {
  std::vector<kernels::IndexGather> gathers(static_cast<size_t>(Descriptions(g_, cols, nr)));
  ForEachLane(g_, j0, cols, nr, [&](int64_t at_d, int e, int64_t y, int64_t x) {
    kernels::IndexGather& d = gathers[static_cast<size_t>(at_d)];
    d.index[e] = static_cast<int32_t>(y * g_.w + x);
    d.mask |= static_cast<uint16_t>(1u << e);
  });
  return gathers;
}

}  // namespace tinytorch::internal
