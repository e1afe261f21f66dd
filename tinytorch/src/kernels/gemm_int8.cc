// The int8 GEMM kernels. Both operands keep k contiguous (activation rows, weight rows per output
// channel), so no packing is needed: a tile of MR activation rows × NR weight rows is a grid of
// dot products, each accumulated in one vector register and reduced horizontally at the end.
// Weights are used as stored, which matters for batch-1 inference where packing would cost as
// much as the product itself.
#include "kernels/gemm_int8.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <vector>

#include "kernels/lanes.h"
#include "kernels/scratch.h"

namespace tinytorch::kernels {

void GemmU8S8Naive(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int32_t acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += int32_t{a[i * k + p]} * int32_t{w[j * k + p]};
      c[i * n + j] = acc;
    }
  }
}

namespace {

// tile(c, ldc, a, w, k, cols): c[0:MR, 0:cols] for MR rows of a starting at `a` and `cols` ≤ NR
// rows of w starting at `w`.
using TileFn = void (*)(int32_t*, int64_t, const uint8_t*, const int8_t*, int64_t, int64_t);

__attribute__((target("avx2"))) inline int32_t ReduceAdd(__m256i v) {
  const __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i t = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  return _mm_cvtsi128_si32(_mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1)));
}

// GCC 12's _mm512_reduce_add_epi32 and _mm512_castsi512_si256 trip -Wmaybe-uninitialized inside
// its own header; zero-masked extracts avoid the undefined vector they are built on.
__attribute__((target("avx512f"))) inline int32_t ReduceAdd(__m512i v) {
  const __m256i lo = _mm512_maskz_extracti64x4_epi64(0xFF, v, 0);
  const __m256i hi = _mm512_maskz_extracti64x4_epi64(0xFF, v, 1);
  return ReduceAdd(_mm256_add_epi32(lo, hi));
}

// AVX-512 VNNI: vpdpbusd multiplies 64 u8 × s8 pairs into 16 int32 lanes in one instruction.
// The k tail is a masked load (masked-off bytes read as 0 and cannot fault).
template <int MR>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void TileVnni(int32_t* c, int64_t ldc,
                                                                     const uint8_t* a,
                                                                     const int8_t* w, int64_t k,
                                                                     int64_t cols) {
  constexpr int kNr = 4;
  const int8_t* wr[kNr];
  for (int j = 0; j < kNr; ++j) wr[j] = w + std::min<int64_t>(j, cols - 1) * k;  // clamp: no OOB
  __m512i acc[MR][kNr];
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < kNr; ++j) acc[r][j] = _mm512_setzero_si512();
  }
  for (int64_t p = 0; p < k; p += 64) {
    const __mmask64 mask = k - p >= 64 ? ~__mmask64{0} : (__mmask64{1} << (k - p)) - 1;
    __m512i wv[kNr];
    for (int j = 0; j < kNr; ++j) wv[j] = _mm512_maskz_loadu_epi8(mask, wr[j] + p);
    for (int r = 0; r < MR; ++r) {
      const __m512i av = _mm512_maskz_loadu_epi8(mask, a + r * k + p);
      for (int j = 0; j < kNr; ++j) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], av, wv[j]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < cols; ++j) c[r * ldc + j] = ReduceAdd(acc[r][j]);
  }
}

// AVX2 has no u8 × s8 dot product without saturation (vpmaddubsw saturates at int16), so both
// operands are widened to int16 and multiplied with vpmaddwd (16 pairs → 8 int32 lanes), exactly.
template <int MR>
__attribute__((target("avx2"))) void TileAvx2(int32_t* c, int64_t ldc, const uint8_t* a,
                                              const int8_t* w, int64_t k, int64_t cols) {
  constexpr int kNr = 2;
  const int8_t* wr[kNr];
  for (int j = 0; j < kNr; ++j) wr[j] = w + std::min<int64_t>(j, cols - 1) * k;
  __m256i acc[MR][kNr];
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < kNr; ++j) acc[r][j] = _mm256_setzero_si256();
  }
  int64_t p = 0;
  for (; p + 16 <= k; p += 16) {
    __m256i wv[kNr];
    for (int j = 0; j < kNr; ++j) {
      wv[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr[j] + p)));
    }
    for (int r = 0; r < MR; ++r) {
      const __m256i av =
          _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + r * k + p)));
      for (int j = 0; j < kNr; ++j) {
        acc[r][j] = _mm256_add_epi32(acc[r][j], _mm256_madd_epi16(av, wv[j]));
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < cols; ++j) {
      int32_t sum = ReduceAdd(acc[r][j]);
      for (int64_t q = p; q < k; ++q) sum += int32_t{a[r * k + q]} * int32_t{wr[j][q]};
      c[r * ldc + j] = sum;
    }
  }
}

struct Tiles {
  int64_t nr;
  TileFn by_rows[4];  // by_rows[r - 1] handles r rows, so batch-1 inference wastes nothing
};

Tiles TilesFor(SimdLevel isa) {
  if (isa == SimdLevel::kAvx512) {
    return {4, {TileVnni<1>, TileVnni<2>, TileVnni<3>, TileVnni<4>}};
  }
  return {2, {TileAvx2<1>, TileAvx2<2>, TileAvx2<3>, TileAvx2<4>}};
}

}  // namespace

namespace {

// Products smaller than this many multiply-adds run on the calling thread. Measured on a 2-vCPU
// Zen 5 VM: at 2^21 (fp32's threshold, gemm_simd.cc), the int8 products of the digits MLP at
// batch 360 (3 M) and of the CNN's second convolution at batch 32 (2.4 M) ran slower on two
// threads than on one (the MLP 42 against 30 us with VNNI; the CNN 50 against 39 us, and 97
// against 76 us at AVX2), while a 512 x 512 Linear at batch 256 (67 M) gained 1.6x. An int8
// multiply-add costs about a quarter of an fp32 one, so 2^23 is fp32's threshold in time.
constexpr int64_t kMinThreadedMacs = int64_t{1} << 23;

// The batched AVX-512 kernel: activations packed so that one zmm holds 4 consecutive k values of
// 16 rows (strip s, group g at packed + (s·groups + g)·64), and each weight's 4 bytes broadcast to
// all lanes. vpdpbusd then accumulates 16 rows of one output column per register, so no
// horizontal reduction is needed; the tile is 32 rows × 8 columns (16 accumulators).
constexpr int64_t kStrip = 16, kPackedCols = 8;

// Strip `strip` of a (rows 16·strip ... 16·strip + 15) into out: zero rows past m and zero bytes
// past k, so partial strips and the last group add nothing. A whole group (4 bytes of 16 rows) is
// one gather with rows past m masked to zero; a partial last group (k % 4) is copied in scalar,
// which never reads past a row. Row offsets up to 15·k fit in int32 because callers keep k within
// kMaxInt8Depth.
__attribute__((target("avx512f"))) void PackStrip(uint8_t* out, const uint8_t* a, int64_t m,
                                                  int64_t k, int64_t groups, int64_t strip) {
  const int64_t rows = std::min(kStrip, m - strip * kStrip), full = k / 4;
  const __mmask16 live = static_cast<__mmask16>((1u << rows) - 1);
  const __m512i offsets =
      _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                         _mm512_set1_epi32(static_cast<int32_t>(k)));
  const uint8_t* base = a + strip * kStrip * k;
  for (int64_t g = 0; g < full; ++g) {
    _mm512_storeu_si512(out + g * 64, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live,
                                                                  offsets, base + 4 * g, 1));
  }
  if (full < groups) {
    std::fill(out + full * 64, out + groups * 64, uint8_t{0});
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(out + full * 64 + r * 4, base + r * k + 4 * full,
                  static_cast<size_t>(k - 4 * full));
    }
  }
}

template <int MS>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void TilePacked(
    int32_t* c, int64_t ldc, const uint8_t* packed, int64_t strip_bytes, const uint8_t* a,
    const int8_t* w, int64_t k, int64_t rows, int64_t cols) {
  const int8_t* wr[kPackedCols];
  for (int j = 0; j < kPackedCols; ++j) wr[j] = w + std::min<int64_t>(j, cols - 1) * k;
  // Sixteen named accumulators rather than an array: with an array, GCC 12 copies every
  // accumulator between registers (vpdpbusd overwrites its accumulator operand) and spills two of
  // them on each iteration, which halves the kernel's speed.
  __m512i x0 = _mm512_setzero_si512(), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0,
          x7 = x0;  // rows 0–15 of columns 0–7
  __m512i y0 = x0, y1 = x0, y2 = x0, y3 = x0, y4 = x0, y5 = x0, y6 = x0, y7 = x0;  // rows 16–31
  const int8_t *w0 = wr[0], *w1 = wr[1], *w2 = wr[2], *w3 = wr[3], *w4 = wr[4], *w5 = wr[5],
               *w6 = wr[6], *w7 = wr[7];
  // Whole groups broadcast 4 weight bytes straight from memory (vpbroadcastd zmm, m32); the
  // k % 4 tail is added in scalar below.
  const int64_t full = k / 4;
  for (int64_t g = 0; g < full; ++g) {
    const __m512i a0 = _mm512_loadu_si512(packed + g * 64);
    const __m512i a1 = MS == 2 ? _mm512_loadu_si512(packed + strip_bytes + g * 64) : a0;
#define TT_COLUMN(j)                                                                        \
  {                                                                                         \
    const __m512i wv = _mm512_maskz_broadcastd_epi32(0xFFFF, _mm_loadu_si32(w##j + 4 * g)); \
    x##j = _mm512_dpbusd_epi32(x##j, a0, wv);                                               \
    if (MS == 2) y##j = _mm512_dpbusd_epi32(y##j, a1, wv);                                  \
  }
    TT_COLUMN(0)
    TT_COLUMN(1) TT_COLUMN(2) TT_COLUMN(3) TT_COLUMN(4) TT_COLUMN(5) TT_COLUMN(6) TT_COLUMN(7)
#undef TT_COLUMN
  }
  const __m512i acc[2][kPackedCols] = {{x0, x1, x2, x3, x4, x5, x6, x7},
                                       {y0, y1, y2, y3, y4, y5, y6, y7}};
  alignas(64) int32_t tile[MS][kPackedCols][kStrip];
  for (int s = 0; s < MS; ++s) {
    for (int j = 0; j < kPackedCols; ++j) _mm512_store_si512(tile[s][j], acc[s][j]);
  }
  for (int s = 0; s < MS; ++s) {
    for (int64_t r = 0; r < std::min<int64_t>(kStrip, rows - s * kStrip); ++r) {
      const uint8_t* a_row = a + (s * kStrip + r) * k;
      for (int64_t j = 0; j < cols; ++j) {
        int32_t sum = tile[s][j][r];
        for (int64_t p = 4 * full; p < k; ++p) sum += int32_t{a_row[p]} * int32_t{wr[j][p]};
        c[(s * kStrip + r) * ldc + j] = sum;
      }
    }
  }
}

}  // namespace

void GemmU8S8(int32_t* c, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k,
              SimdLevel isa) {
  if (isa == SimdLevel::kScalar) return GemmU8S8Naive(c, a, w, m, n, k);
  if (k == 0) {
    std::fill(c, c + m * n, 0);
    return;
  }
  // Column blocks of 64 output channels are the unit of parallel work.
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::function<void(int64_t)> run_block;
  // Kept per calling thread between calls (a fresh megabyte per call would cost its page faults
  // each time). Workers must use `panel`, never `packed`: theirs is another thread's variable.
  thread_local std::vector<uint8_t> packed;
  uint8_t* panel = nullptr;
  const int64_t groups = (k + 3) / 4, strip_bytes = groups * 64;
  if (isa == SimdLevel::kAvx512 && m >= kStrip) {
    const int64_t strips = (m + kStrip - 1) / kStrip;
    panel = AtLeast(packed, strips * strip_bytes);
    const auto pack = [&](int64_t strip) {
      PackStrip(panel + strip * strip_bytes, a, m, k, groups, strip);
    };
    if (m * k < (int64_t{1} << 16)) {
      for (int64_t strip = 0; strip < strips; ++strip) pack(strip);
    } else {
      ParallelFor(strips, pack);
    }
    run_block = [&](int64_t block) {
      const int64_t j_end = std::min(n, (block + 1) * kBlock);
      for (int64_t j = block * kBlock; j < j_end; j += kPackedCols) {
        const int64_t cols = std::min(kPackedCols, j_end - j);
        for (int64_t i = 0; i < m; i += 2 * kStrip) {
          const uint8_t* pair = panel + (i / kStrip) * strip_bytes;
          if (m - i > kStrip) {
            TilePacked<2>(c + i * n + j, n, pair, strip_bytes, a + i * k, w + j * k, k, m - i,
                          cols);
          } else {
            TilePacked<1>(c + i * n + j, n, pair, strip_bytes, a + i * k, w + j * k, k, m - i,
                          cols);
          }
        }
      }
    };
  } else {
    const Tiles tiles = TilesFor(isa);
    run_block = [&, tiles](int64_t block) {
      const int64_t j_end = std::min(n, (block + 1) * kBlock);
      for (int64_t i = 0; i < m; i += 4) {
        const int64_t rows = std::min<int64_t>(4, m - i);
        for (int64_t j = block * kBlock; j < j_end; j += tiles.nr) {
          tiles.by_rows[rows - 1](c + i * n + j, n, a + i * k, w + j * k, k,
                                  std::min(tiles.nr, j_end - j));
        }
      }
    };
  }
  if (m * n * k < kMinThreadedMacs || blocks == 1) {
    for (int64_t b = 0; b < blocks; ++b) run_block(b);
  } else {
    ParallelFor(blocks, run_block);
  }
}


// ---------------------------------------------------------------------------------------------
// The fused Linear: GEMM, affine correction and rescale in one pass.

namespace {

constexpr int64_t kLanes = 16;  // output channels per packed block (one zmm of int32 sums)

// Σ_p a[i, p] for each row of a (m, k; rows lda apart) into out (m): what asymmetric weights' zero
// points multiply.
void RowSums(std::vector<int32_t>& out, const uint8_t* a, int64_t lda, int64_t m, int64_t k) {
  out.assign(static_cast<size_t>(m), 0);
  for (int64_t i = 0; i < m; ++i) {
    int32_t s = 0;
    for (int64_t p = 0; p < k; ++p) s += a[i * lda + p];
    out[static_cast<size_t>(i)] = s;
  }
}

// The epilogue on the int32 sums c (m, n) of a (m, k) @ wᵀ into row-major y (m, n), in int64: the
// unfused path, and the oracle the fused kernels must match bit for bit.
void EpilogueScalar(float* y, const int32_t* c, const uint8_t* a, int64_t m, int64_t n, int64_t k,
                    const Int8Epilogue& e) {
  std::vector<int32_t> x_sum;
  if (e.weight_zero) RowSums(x_sum, a, k, m, k);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t v = int64_t{c[i * n + j]} + e.offset[j];
      if (e.weight_zero) v -= int64_t{e.weight_zero[j]} * x_sum[static_cast<size_t>(i)];
      const float scaled = e.scale[j] * static_cast<float>(v);
      const float out = e.bias ? scaled + e.bias[j] : scaled;
      y[i * n + j] = e.relu && !(out > 0.f) ? 0.f : out;  // finite: ReluValue without the NaN case
    }
  }
}

// The 4 bytes at p as one int32 (an unaligned read).
inline int32_t Word(const uint8_t* p) {
  int32_t word;
  std::memcpy(&word, p, 4);
  return word;
}

// Rows [0, MR) × channel blocks [0, NB) of the fused product; `block` points at the first block's
// packed weights, `j0` is its first channel. Activation rows are `lda` ≥ 4·groups bytes apart, so
// every group reads 4 whole bytes: the caller pads rows whose k is not a multiple of 4 with
// zeros (a partial last group read in place costs GCC a copy of every accumulator per step).
template <int MR, int NB>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void FusedTile(
    float* y, int64_t n, const uint8_t* a, int64_t lda, const int8_t* block, int64_t groups,
    int64_t j0, const Int8Epilogue& e, const int32_t* x_sum) {
  // Sixteen named accumulators, as in TilePacked, where GCC 12 handled an array of them worse.
  __m512i x00 = _mm512_setzero_si512(), x01 = x00, x02 = x00, x03 = x00, x10 = x00, x11 = x00,
          x12 = x00, x13 = x00, x20 = x00, x21 = x00, x22 = x00, x23 = x00, x30 = x00, x31 = x00,
          x32 = x00, x33 = x00;
  const int64_t block_bytes = groups * 64;
  // One group: 4 activation bytes of each row broadcast against each block's 16 channels.
#define TT_GROUP(g)                                                                 \
  {                                                                                 \
    const int8_t* wg = block + (g) * 64;                                            \
    __m512i w0 = _mm512_loadu_si512(wg);                                           \
    __m512i w1 = NB > 1 ? _mm512_loadu_si512(wg + block_bytes) : w0;                \
    __m512i w2 = NB > 2 ? _mm512_loadu_si512(wg + 2 * block_bytes) : w0;            \
    __m512i w3 = NB > 3 ? _mm512_loadu_si512(wg + 3 * block_bytes) : w0;            \
    TT_IN_REGISTER(w0) TT_IN_REGISTER(w1) TT_IN_REGISTER(w2) TT_IN_REGISTER(w3)     \
    TT_ROW(g, 0) TT_ROW(g, 1) TT_ROW(g, 2) TT_ROW(g, 3)                             \
  }
// GCC folds each weight load into every vpdpbusd that uses it (a memory operand), which loads a
// block 4 times per group: 20 loads for 16 multiplies leaves the kernel waiting on the load
// ports. An empty asm that "changes" the vector makes it a register value, loaded once.
#define TT_IN_REGISTER(v) asm("" : "+v"(v));
#define TT_ROW(g, r)                                                      \
  if constexpr (MR > r) {                                                 \
    const __m512i av = _mm512_set1_epi32(Word(a + r * lda + 4 * (g)));    \
    x##r##0 = _mm512_dpbusd_epi32(x##r##0, av, w0);                       \
    if constexpr (NB > 1) x##r##1 = _mm512_dpbusd_epi32(x##r##1, av, w1); \
    if constexpr (NB > 2) x##r##2 = _mm512_dpbusd_epi32(x##r##2, av, w2); \
    if constexpr (NB > 3) x##r##3 = _mm512_dpbusd_epi32(x##r##3, av, w3); \
  }
  for (int64_t g = 0; g < groups; ++g) TT_GROUP(g)
#undef TT_IN_REGISTER
#undef TT_ROW
#undef TT_GROUP
  // Stored once, as in TilePacked; the epilogue then reads them block by block.
  alignas(64) int32_t acc[4][4][kLanes];
#define TT_STORE(r, b) \
  if constexpr (MR > r && NB > b) _mm512_store_si512(acc[r][b], x##r##b);
#define TT_STORE_ROW(r) TT_STORE(r, 0) TT_STORE(r, 1) TT_STORE(r, 2) TT_STORE(r, 3)
  TT_STORE_ROW(0) TT_STORE_ROW(1) TT_STORE_ROW(2) TT_STORE_ROW(3)
#undef TT_STORE_ROW
#undef TT_STORE
  for (int b = 0; b < NB; ++b) {
    const int64_t j = j0 + b * kLanes, live = std::min(kLanes, n - j);
    const __mmask16 mask = static_cast<__mmask16>((1u << live) - 1);
    const __m512 scale = _mm512_maskz_loadu_ps(mask, e.scale + j);
    // The int64 offsets narrowed to their low halves (k <= kMaxFusedInt8Depth keeps them in
    // int32's range) by one permute of both halves in registers. Narrowing each half through
    // memory stalled every block: two 32-byte stores read back as one 64-byte load cannot be
    // forwarded from the store buffer (perf put 14% of the kernel there).
    const __m512i low_dwords = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6,
                                                4, 2, 0);
    const __m512i offset = _mm512_permutex2var_epi32(
        _mm512_maskz_loadu_epi64(static_cast<__mmask8>(mask), e.offset + j), low_dwords,
        _mm512_maskz_loadu_epi64(static_cast<__mmask8>(mask >> 8), e.offset + j + 8));
    const __m512i zero = e.weight_zero ? _mm512_maskz_loadu_epi32(mask, e.weight_zero + j)
                                       : _mm512_setzero_si512();
    const __m512 bias = e.bias ? _mm512_maskz_loadu_ps(mask, e.bias + j) : _mm512_setzero_ps();
    for (int r = 0; r < MR; ++r) {
      __m512i v = _mm512_add_epi32(_mm512_load_si512(acc[r][b]), offset);
      if (e.weight_zero) {
        v = _mm512_sub_epi32(v, _mm512_mullo_epi32(zero, _mm512_set1_epi32(x_sum[r])));
      }
      __m512 out = _mm512_mul_ps(scale, _mm512_maskz_cvtepi32_ps(0xFFFF, v));
      if (e.bias) out = _mm512_add_ps(out, bias);
      // max returns its second operand for -0 against +0, as ReLU gives +0.
      if (e.relu) out = _mm512_maskz_max_ps(0xFFFF, out, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(y + r * n + j, mask, out);
    }
  }
}

// All the rows of a product with one block of channels (n ≤ 16: a first convolution's or a
// classifier's), four at a time, the block's epilogue constants loaded once for them all. The
// 4-row tile reloaded them, and paid its call, every 4 rows: on the digits CNN's first layer
// (k = 12, 3 multiplies a row) that, not the multiplies, was most of FusedTile<4, 1>'s time.
// Each row is FusedTile's arithmetic (the offset added first: int32 sums wrap alike in any
// order), so the bits are the same.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void FusedBlockRows(
    float* y, int64_t n, const uint8_t* a, int64_t lda, const int8_t* block, int64_t groups,
    int64_t rows, const Int8Epilogue& e, const int32_t* x_sum) {
  const __mmask16 mask = static_cast<__mmask16>((1u << std::min(kLanes, n)) - 1);
  const __m512 scale = _mm512_maskz_loadu_ps(mask, e.scale);
  const __m512i low_dwords =
      _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i offset = _mm512_permutex2var_epi32(
      _mm512_maskz_loadu_epi64(static_cast<__mmask8>(mask), e.offset), low_dwords,
      _mm512_maskz_loadu_epi64(static_cast<__mmask8>(mask >> 8), e.offset + 8));
  const __m512i zero =
      e.weight_zero ? _mm512_maskz_loadu_epi32(mask, e.weight_zero) : _mm512_setzero_si512();
  const __m512 bias = e.bias ? _mm512_maskz_loadu_ps(mask, e.bias) : _mm512_setzero_ps();
  // Macros, not lambdas: a lambda does not inherit the function's target, which a portable
  // build needs for every AVX-512 intrinsic.
#define TT_BROADCAST(row, g) _mm512_set1_epi32(Word(row + 4 * (g)))
#define TT_FINISH(v, r)                                                                   \
  {                                                                                       \
    __m512i sum = v;                                                                      \
    if (e.weight_zero) {                                                                  \
      sum = _mm512_sub_epi32(sum, _mm512_mullo_epi32(zero, _mm512_set1_epi32(x_sum[r]))); \
    }                                                                                     \
    __m512 out = _mm512_mul_ps(scale, _mm512_maskz_cvtepi32_ps(0xFFFF, sum));             \
    if (e.bias) out = _mm512_add_ps(out, bias);                                           \
    if (e.relu) out = _mm512_maskz_max_ps(0xFFFF, out, _mm512_setzero_ps());              \
    _mm512_mask_storeu_ps(y + (r)*n, mask, out);                                          \
  }
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {  // four independent sums: the multiplies' latency overlaps
    const uint8_t* row = a + r * lda;
    __m512i v0 = offset, v1 = offset, v2 = offset, v3 = offset;
    for (int64_t g = 0; g < groups; ++g) {
      const __m512i w = _mm512_loadu_si512(block + g * 64);
      v0 = _mm512_dpbusd_epi32(v0, TT_BROADCAST(row, g), w);
      v1 = _mm512_dpbusd_epi32(v1, TT_BROADCAST(row + lda, g), w);
      v2 = _mm512_dpbusd_epi32(v2, TT_BROADCAST(row + 2 * lda, g), w);
      v3 = _mm512_dpbusd_epi32(v3, TT_BROADCAST(row + 3 * lda, g), w);
    }
    TT_FINISH(v0, r) TT_FINISH(v1, r + 1) TT_FINISH(v2, r + 2) TT_FINISH(v3, r + 3)
  }
  for (; r < rows; ++r) {
    __m512i v = offset;
    for (int64_t g = 0; g < groups; ++g) {
      v = _mm512_dpbusd_epi32(v, TT_BROADCAST(a + r * lda, g), _mm512_loadu_si512(block + g * 64));
    }
    TT_FINISH(v, r)
  }
#undef TT_FINISH
#undef TT_BROADCAST
}

// The AVX2 fused tile reads the same packed weights, 8 channels (half a block) at a time. AVX2 has
// no exact u8 × s8 dot product (vpmaddubsw saturates its pair sums at int16), so both sides are
// int16: the activations once per call (rows of `lda` int16, zero past k), the weights as they
// are loaded. The 16 bytes of 4 channels × 4 k widen to 16 int16, and vpmaddwd against the
// group's 4 activations (broadcast as one 64-bit word) leaves channel c's two half-sums in lanes
// 2c and 2c + 1, added together once, after the loop. 4 rows × 8 channels is 8 accumulators,
// 2 weight vectors and a broadcast in AVX2's 16 registers.
template <int MR>
__attribute__((target("avx2"))) void FusedTileAvx2(float* y, int64_t n, const int16_t* a,
                                                   int64_t lda, const int8_t* half, int64_t groups,
                                                   int64_t j0, const Int8Epilogue& e,
                                                   const int32_t* x_sum) {
  // Named accumulators, as in the AVX-512 tiles: with an array GCC 12 copies each one per step.
  __m256i x00 = _mm256_setzero_si256(), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00,
          x30 = x00, x31 = x00;
  for (int64_t g = 0; g < groups; ++g) {
    const int8_t* wg = half + g * 64;
    const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wg)));
    const __m256i w1 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wg + 16)));
#define TT_ROW(r)                                                   \
  if constexpr (MR > r) {                                           \
    int64_t word;                                                   \
    std::memcpy(&word, a + r * lda + 4 * g, 8);                     \
    const __m256i av = _mm256_set1_epi64x(word);                    \
    x##r##0 = _mm256_add_epi32(x##r##0, _mm256_madd_epi16(av, w0)); \
    x##r##1 = _mm256_add_epi32(x##r##1, _mm256_madd_epi16(av, w1)); \
  }
    TT_ROW(0) TT_ROW(1) TT_ROW(2) TT_ROW(3)
#undef TT_ROW
  }
  const __m256i acc[4][2] = {{x00, x01}, {x10, x11}, {x20, x21}, {x30, x31}};
  // A partial half (the last 8 channels past n) reads its terms from zero-padded copies.
  const int64_t live = std::min<int64_t>(8, n - j0);
  float scale_pad[8] = {}, bias_pad[8] = {};
  int64_t offset_pad[8] = {};
  int32_t zero_pad[8] = {};
  const float* scale_at = e.scale + j0;
  const float* bias_at = e.bias ? e.bias + j0 : nullptr;
  const int64_t* offset_at = e.offset + j0;
  const int32_t* zero_at = e.weight_zero ? e.weight_zero + j0 : nullptr;
  if (live < 8) {
    std::copy_n(scale_at, live, scale_pad);
    std::copy_n(offset_at, live, offset_pad);
    scale_at = scale_pad;
    offset_at = offset_pad;
    if (bias_at) {
      std::copy_n(bias_at, live, bias_pad);
      bias_at = bias_pad;
    }
    if (zero_at) {
      std::copy_n(zero_at, live, zero_pad);
      zero_at = zero_pad;
    }
  }
  const __m256 scale = _mm256_loadu_ps(scale_at);
  const __m256 bias = bias_at ? _mm256_loadu_ps(bias_at) : _mm256_setzero_ps();
  const __m256i zero = zero_at ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(zero_at))
                               : _mm256_setzero_si256();
  // The int64 offsets' low halves (in int32's range while k <= kMaxFusedInt8Depth).
  const __m256i low_dwords = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  const __m256i offset = _mm256_blend_epi32(
      _mm256_permutevar8x32_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offset_at)), low_dwords),
      _mm256_permutevar8x32_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offset_at + 4)), low_dwords),
      0xF0);
  const __m256i store_mask =
      _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(live)),
                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int r = 0; r < MR; ++r) {
    // hadd pairs the half-sums into channels 0 1 4 5 | 2 3 6 7; the permute puts them in order.
    __m256i v = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][0], acc[r][1]), 0xD8);
    v = _mm256_add_epi32(v, offset);
    if (zero_at) v = _mm256_sub_epi32(v, _mm256_mullo_epi32(zero, _mm256_set1_epi32(x_sum[r])));
    __m256 out = _mm256_mul_ps(scale, _mm256_cvtepi32_ps(v));
    if (bias_at) out = _mm256_add_ps(out, bias);
    // max returns its second operand for -0 against +0, as ReLU gives +0.
    if (e.relu) out = _mm256_max_ps(out, _mm256_setzero_ps());
    if (live == 8) {
      _mm256_storeu_ps(y + r * n + j0, out);
    } else {
      _mm256_maskstore_ps(y + r * n + j0, store_mask, out);
    }
  }
}

using FusedTileFn = void (*)(float*, int64_t, const uint8_t*, int64_t, const int8_t*, int64_t,
                             int64_t, const Int8Epilogue&, const int32_t*);

// kFusedTiles[rows - 1][blocks - 1]: 4 rows × 4 blocks (64 channels) is 16 accumulators, 4 weight
// vectors and the broadcasts in 32 registers; the smaller tiles serve the edges and batch 1.
template <int MR>
constexpr std::array<FusedTileFn, 4> kFusedRow = {FusedTile<MR, 1>, FusedTile<MR, 2>,
                                                  FusedTile<MR, 3>, FusedTile<MR, 4>};
constexpr std::array<std::array<FusedTileFn, 4>, 4> kFusedTiles = {kFusedRow<1>, kFusedRow<2>,
                                                                   kFusedRow<3>, kFusedRow<4>};

}  // namespace

PackedS8 PackS8(const int8_t* w, int64_t n, int64_t k) {
  const int64_t blocks = (n + kLanes - 1) / kLanes, groups = (k + 3) / 4;
  PackedS8 packed{n, k, std::vector<int8_t>(static_cast<size_t>(blocks * groups * 64), 0)};
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t p = 0; p < k; ++p) {
      const int64_t at = ((j / kLanes) * groups + p / 4) * 64 + (j % kLanes) * 4 + p % 4;
      packed.data[static_cast<size_t>(at)] = w[j * k + p];
    }
  }
  return packed;
}

void LinearU8S8Naive(float* y, const uint8_t* a, const int8_t* w, int64_t m, int64_t n, int64_t k,
                     const Int8Epilogue& e) {
  std::vector<int32_t> c(static_cast<size_t>(m * n));
  GemmU8S8Naive(c.data(), a, w, m, n, k);
  EpilogueScalar(y, c.data(), a, m, n, k, e);
}

namespace {

// Which path LinearU8S8 takes: the fused kernels need the int32 sum's terms in range.
bool Fused(int64_t k, SimdLevel isa) {
  return isa != SimdLevel::kScalar && k <= kMaxFusedInt8Depth && k > 0;
}

// a (m, k; rows lda apart) into out (m, out_ld ≥ k) as T, each row padded with zeros to out_ld:
// whole groups of 4.
template <class T>
void PadRows(T* out, int64_t out_ld, const uint8_t* a, int64_t lda, int64_t m, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    std::copy_n(a + i * lda, k, out + i * out_ld);
    std::fill(out + i * out_ld + k, out + (i + 1) * out_ld, T{0});
  }
}

}  // namespace

int64_t LinearU8S8RowStride(int64_t k, SimdLevel isa) {
  return isa == SimdLevel::kAvx512 && Fused(k, isa) ? RoundUp(k, 4) : k;
}

int64_t LinearU8S8ScratchBytes(int64_t m, int64_t k, int64_t lda, SimdLevel isa) {
  if (!Fused(k, isa)) return 0;
  const int64_t ld = RoundUp(k, 4);
  if (isa == SimdLevel::kAvx2) return m * ld * int64_t{sizeof(int16_t)};
  return lda == ld ? 0 : m * ld;
}

void LinearU8S8(float* y, const uint8_t* a, int64_t lda, const int8_t* w, const PackedS8& packed,
                int64_t m, const Int8Epilogue& e, SimdLevel isa, std::byte* scratch) {
  const int64_t n = packed.n, k = packed.k;
  if (!Fused(k, isa)) {  // lda is k here (LinearU8S8RowStride)
    // Reused per thread, as in the quantized layers: a fresh buffer per call costs page faults.
    thread_local std::vector<int32_t> c;
    int32_t* sums = AtLeast(c, m * n);
    GemmU8S8(sums, a, w, m, n, k, isa);
    return EpilogueScalar(y, sums, a, m, n, k, e);
  }
  // Per call, not kept per thread like the large buffers: these are small, and a buffer that
  // persists makes the first forward on each thread look larger than the next in heap measurements.
  std::vector<int32_t> x_sum;
  if (e.weight_zero) RowSums(x_sum, a, lda, m, k);
  const int32_t* sums = e.weight_zero ? x_sum.data() : nullptr;
  // The kernels read rows of `ld` bytes (int16 for AVX2): whole groups of 4.
  const int64_t ld = RoundUp(k, 4), groups = ld / 4, blocks = (n + kLanes - 1) / kLanes;
  // Tasks of 32 rows: enough to split batch-scale products over the threads, and each task walks
  // all channels so a row's activations stay in L1 while the weights stream from L1/L2.
  constexpr int64_t kTaskRows = 32;
  const int64_t tasks = (m + kTaskRows - 1) / kTaskRows;
  if (isa == SimdLevel::kAvx2) {
    // The activations widened to int16 once.
    int16_t* wide = reinterpret_cast<int16_t*>(scratch);
    PadRows(wide, ld, a, lda, m, k);
    constexpr std::array<decltype(&FusedTileAvx2<1>), 4> kTiles = {
        FusedTileAvx2<1>, FusedTileAvx2<2>, FusedTileAvx2<3>, FusedTileAvx2<4>};
    const auto rows_task = [&](int64_t task) {
      const int64_t i_end = std::min(m, (task + 1) * kTaskRows);
      for (int64_t j = 0; j < n; j += 8) {
        const int8_t* half = packed.data.data() + (j / kLanes) * groups * 64 + (j % kLanes) * 4;
        for (int64_t i = task * kTaskRows; i < i_end; i += 4) {
          kTiles[static_cast<size_t>(std::min<int64_t>(4, i_end - i) - 1)](
              y + i * n, n, wide + i * ld, ld, half, groups, j, e, sums ? sums + i : nullptr);
        }
      }
    };
    return ParallelFor(tasks, m * n * k, kMinThreadedMacs, rows_task);
  }
  if (lda != ld) {
    uint8_t* padded = reinterpret_cast<uint8_t*>(scratch);
    PadRows(padded, ld, a, lda, m, k);
    a = padded;
  }
  const auto rows_task = [&](int64_t task) {
    const int64_t i_end = std::min(m, (task + 1) * kTaskRows);
    if (blocks == 1) {
      const int64_t i = task * kTaskRows;
      return FusedBlockRows(y + i * n, n, a + i * ld, ld, packed.data.data(), groups, i_end - i, e,
                            sums ? sums + i : nullptr);
    }
    for (int64_t b = 0; b < blocks; b += 4) {
      const int64_t nb = std::min<int64_t>(4, blocks - b);
      for (int64_t i = task * kTaskRows; i < i_end; i += 4) {
        const int64_t mr = std::min<int64_t>(4, i_end - i);
        kFusedTiles[static_cast<size_t>(mr - 1)][static_cast<size_t>(nb - 1)](
            y + i * n, n, a + i * ld, ld, packed.data.data() + b * groups * 64, groups, b * kLanes,
            e, sums ? sums + i : nullptr);
      }
    }
  };
  ParallelFor(tasks, m * n * k, kMinThreadedMacs, rows_task);
}

}  // namespace tinytorch::kernels
