// The packed GEMM of module 17 (the GotoBLAS/BLIS scheme). c is computed in slices of depth kc: a
// kc × kNc panel of b is packed into strips of NR columns (kept in L2/L3), a kMc × kc block of a
// into strips of MR rows (kept in L2), and a register-blocked micro-kernel multiplies one MR
// strip by one NR strip, holding the MR × NR block of c in vector registers for the whole slice.
// Packing makes every load of the micro-kernel unit-stride and lets edges be zero-padded, so the
// micro-kernel never branches inside its loop. Where the operands are small enough to stay in
// cache as they lie, packing only copies them: on AVX-512 a small product reads a row-major a and
// b in place (GemmPacked says when), the edges of b by masked loads.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/lanes.h"
#include "kernels/scratch.h"
#include "kernels/transpose.h"

namespace tinytorch::kernels {

namespace {

// Slices are at most kKc deep when a is one block (m <= kMc, or a tall a read in place: b's strip
// is packed into L1 right before its use) and kKcDeep otherwise. Each slice loads and stores all of
// c once; once c outgrows the caches (16 MB at n = 2048) those loads wait on memory at the end of
// every micro-kernel call, and 1024-deep slices measured +20% at n = 2048 and +4% at 1024 over 256
// on a Zen 5 (the 128 KB b strip then streams from L2, which keeps up).
constexpr int64_t kKc = 256, kKcDeep = 1024, kMc = 144, kNc = 2048;
constexpr int64_t kL1Bytes = 32 * 1024;   // the smallest L1 data cache among the CPUs we target
constexpr int64_t kL2Bytes = 256 * 1024;  // half the smallest L2 (512 KB on Zen 2 to 4)
constexpr int64_t kPanelBytes = 4 << 20;  // a thread's packed panel of b (GemmThreaded)

// micro(kc, a, lda, b, ldb, c, ldc, rows, cols, accumulate): c[0:rows, 0:cols] (+)= (a strip,
// MR × kc) @ (b strip, kc × NR, its rows ldb apart: NR when packed); rows ≤ MR and cols ≤ NR say
// how much of the tile is inside c. The a strip is packed (lda unused), or for a kernel that reads
// a where it lies, `rows` rows lda apart. The first k slice overwrites c (accumulate = false), so
// c is never zeroed in a separate pass.
using MicroFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
                         int64_t, int64_t, bool);
struct MicroKernel {
  int64_t mr, nr;
  MicroFn fn;
  SimdLevel isa;  // the level fn runs at, which the packing may use too
  // Variants of fn, null where the level has none: reading the rows of a row-major a where they
  // lie (rows_fn), and the two reading a partial strip of b where it lies, by masked loads.
  MicroFn rows_fn = nullptr, ragged_fn = nullptr, ragged_rows_fn = nullptr;
};

// The reference micro-kernel: plain loops with the same packed layout.
void MicroScalar(int64_t kc, const float* a, int64_t /*lda*/, const float* b, int64_t ldb, float* c,
                 int64_t ldc, int64_t rows, int64_t cols, bool accumulate) {
  constexpr int64_t kMr = 4, kNr = 8;
  float acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += ldb) {
    for (int64_t r = 0; r < kMr; ++r) {
      for (int64_t j = 0; j < kNr; ++j) acc[r][j] += a[r] * b[j];
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j)
      c[r * ldc + j] = (accumulate ? c[r * ldc + j] : 0.f) + acc[r][j];
  }
}

// AVX2: 6 × 16 (two ymm per row) is 12 accumulators + 2 b vectors + 1 broadcast = 15 of the 16
// registers; 1 × 16 and 2 × 16 serve a c of one or two rows (a batch of one), which 6 × 16 would
// pad with five or four rows of zeros. Every loop over the rows is unrolled: one indexed by a
// runtime row makes GCC 12 keep the accumulators in memory and store all twelve on every k step,
// which halved the kernel.
template <int kMr>
__attribute__((target("avx2,fma"))) void MicroAvx2(int64_t kc, const float* a, int64_t /*lda*/,
                                                   const float* b, int64_t ldb, float* c,
                                                   int64_t ldc, int64_t rows, int64_t cols,
                                                   bool accumulate) {
  __m256 acc0[kMr], acc1[kMr];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += ldb) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc0[r] = _mm256_fmadd_ps(ar, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(ar, b1, acc1[r]);
    }
  }
  if (rows == kMr && cols == 16) {
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      float* row = c + r * ldc;
      if (accumulate) {
        acc0[r] = _mm256_add_ps(_mm256_loadu_ps(row), acc0[r]);
        acc1[r] = _mm256_add_ps(_mm256_loadu_ps(row + 8), acc1[r]);
      }
      _mm256_storeu_ps(row, acc0[r]);
      _mm256_storeu_ps(row + 8, acc1[r]);
    }
    return;
  }
  alignas(32) float tile[kMr][16];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) {
    _mm256_store_ps(tile[r], acc0[r]);
    _mm256_store_ps(tile[r] + 8, acc1[r]);
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j)
      c[r * ldc + j] = (accumulate ? c[r * ldc + j] : 0.f) + tile[r][j];
  }
}

// AVX-512: MR × 16·NV with up to 24 accumulators of the 32 registers. 12 × 32 does 24 FMAs per
// k step for 2 vector loads and 12 broadcasts; 8 × 48 for 3 loads and 8 broadcasts; 8 × 32 and
// 8 × 16 serve a c whose rows or columns the others would pad. Which one runs is chosen per call
// by the time its padded tiles take (MicroFor). A c of up to 4 rows (a small batch) gets 1, 2 or
// 4 × 64 instead: b is then read once, and 12 rows would be mostly zeros. Loads and stores of c
// are masked to the `cols` columns inside c; so are loads of b with kRaggedB, so a partial strip
// of b needs no zero padding and can be read where it lies. kRowsOfA reads a's rows in place.
// Every loop is unrolled fully: with the masks used inside the k loop, a loop left rolled made
// GCC 12 keep the accumulators in memory, at a third the speed.
template <int kMr, int kNv, bool kRowsOfA, bool kRaggedB>
__attribute__((target("avx512f,fma"))) void MicroAvx512(int64_t kc, const float* a, int64_t lda,
                                                        const float* b, int64_t ldb, float* c,
                                                        int64_t ldc, int64_t rows, int64_t cols,
                                                        bool accumulate) {
  // Reading a in place, rows past `rows` repeat the last one: no load leaves a, and their sums are
  // never stored.
  const float* a_row[kMr];
#pragma GCC unroll 16
  for (int r = 0; r < kMr; ++r) a_row[r] = a + (r < rows ? r : rows - 1) * lda;
  __m512 acc[kMr][kNv];
#pragma GCC unroll 16
  for (int r = 0; r < kMr; ++r) {
#pragma GCC unroll 16
    for (int v = 0; v < kNv; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  __mmask16 mask[kNv];
#pragma GCC unroll 16
  for (int v = 0; v < kNv; ++v) mask[v] = FirstLanes16(cols - 16 * v);
  for (int64_t p = 0; p < kc; ++p, b += ldb) {
    __m512 bv[kNv];
#pragma GCC unroll 16
    for (int v = 0; v < kNv; ++v) {
      bv[v] = kRaggedB ? _mm512_maskz_loadu_ps(mask[v], b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
    }
#pragma GCC unroll 16
    for (int r = 0; r < kMr; ++r) {
      const __m512 ar = _mm512_set1_ps(kRowsOfA ? a_row[r][p] : a[p * kMr + r]);
#pragma GCC unroll 16
      for (int v = 0; v < kNv; ++v) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < kMr; ++r) {
    if (r >= rows) break;
    float* row = c + r * ldc;
#pragma GCC unroll 16
    for (int v = 0; v < kNv; ++v) {
      const __m512 sum =
          accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(mask[v], row + 16 * v), acc[r][v])
                     : acc[r][v];
      _mm512_mask_storeu_ps(row + 16 * v, mask[v], sum);
    }
  }
}

// The MR × 16·NV AVX-512 kernel and its variants. The small-batch tiles (up to 4 rows) load b
// masked even in full strips: they stream b once, and a 512 → 512 Linear at batch 1 took 9.0 µs
// masked against 11.5 µs unmasked, where the large tiles ran 2-4% slower masked at n = 2048.
template <int kMr, int kNv>
constexpr MicroKernel Avx512Tile() {
  constexpr bool kMaskFull = kMr <= 4;
  return {kMr,
          16 * kNv,
          MicroAvx512<kMr, kNv, false, kMaskFull>,
          SimdLevel::kAvx512,
          MicroAvx512<kMr, kNv, true, kMaskFull>,
          MicroAvx512<kMr, kNv, false, true>,
          MicroAvx512<kMr, kNv, true, true>};
}

// The AVX-512 kernels for a c of more than 4 rows, each with its speed per useful FMA relative to
// 12 × 32, measured on a Zen 5 at sizes none of them pads (240 × 256 × 256, 96 × 128 × 256):
// 16 accumulators keep up with 24 nearly, but 8 × 16 loads b and 8 broadcasts for 8 FMAs.
struct Candidate {
  MicroKernel micro;
  int64_t percent;
};
constexpr Candidate kAvx512Tiles[] = {
    {Avx512Tile<12, 2>(), 100},
    {Avx512Tile<8, 3>(), 100},
    {Avx512Tile<8, 2>(), 97},
    {Avx512Tile<8, 1>(), 75},
};

// The micro-kernel for isa and a c of m × n. On AVX-512 the tile shape with the least time for its
// padded c (the first wins ties): a 64-row c (a convolution's output channels) is 8 strips of 8
// rows, not 6 of 12 with 8 rows of zeros; 10 columns (the digits' classes) are one 16-wide strip,
// not 32. A c of a few rows gets a kernel of as few.
MicroKernel MicroFor(SimdLevel isa, int64_t m, int64_t n) {
  switch (isa) {
    case SimdLevel::kAvx512: {
      if (m == 1) return Avx512Tile<1, 4>();
      if (m == 2) return Avx512Tile<2, 4>();
      if (m <= 4) return Avx512Tile<4, 4>();
      const Candidate* best = nullptr;
      int64_t best_cost = 0;
      for (const Candidate& t : kAvx512Tiles) {
        const int64_t cost =
            RoundUp(m, t.micro.mr) * RoundUp(n, t.micro.nr) * 100 * 100 / t.percent;
        if (best == nullptr || cost < best_cost) best = &t, best_cost = cost;
      }
      return best->micro;
    }
    case SimdLevel::kAvx2:
      if (m == 1) return {1, 16, MicroAvx2<1>, isa};
      if (m == 2) return {2, 16, MicroAvx2<2>, isa};
      return {6, 16, MicroAvx2<6>, isa};
    case SimdLevel::kScalar:
    case SimdLevel::kCount:  // not a level
      break;
  }
  return {4, 8, MicroScalar, SimdLevel::kScalar};
}

// A strip of 8 to 16 rows of a row-major a: kc × rows transposed by two 8 × 8 blocks per 8
// columns, rows [0, 8) and [rows − 8, rows) (the overlap is written twice, with the same values),
// where the scalar loop gathered one value at a time (a third of a 64³ product).
void PackStripByBlocks(float* out, const float* src, int64_t lda, int64_t rows, int64_t kc,
                       int64_t mr) {
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    Transpose8x8(out + p * mr, mr, src + p, lda);
    Transpose8x8(out + p * mr + rows - 8, mr, src + (rows - 8) * lda + p, lda);
  }
  for (; p < kc; ++p) {
    for (int64_t r = 0; r < rows; ++r) out[p * mr + r] = src[r * lda + p];
  }
  for (p = 0; p < kc; ++p) std::fill(out + p * mr + rows, out + (p + 1) * mr, 0.f);
}

// out holds ceil(rows / mr) strips; strip s is kc groups of mr values a[i0 + s·mr + r, p0 + p],
// zero beyond the last row. `blocks`: the CPU has AVX2 for PackStripByBlocks.
void PackA(float* out, MatrixRef a, int64_t i0, int64_t rows, int64_t p0, int64_t kc, int64_t mr,
           bool blocks) {
  for (int64_t s = 0; s < rows; s += mr) {
    const int64_t valid = std::min(mr, rows - s);
    if (blocks && a.col_stride == 1 && valid >= 8 && valid <= 16) {
      PackStripByBlocks(out, a.data + (i0 + s) * a.row_stride + p0, a.row_stride, valid, kc, mr);
      out += kc * mr;
      continue;
    }
    for (int64_t p = 0; p < kc; ++p, out += mr) {
      const float* src = a.data + (i0 + s) * a.row_stride + (p0 + p) * a.col_stride;
      for (int64_t r = 0; r < valid; ++r) out[r] = src[r * a.row_stride];
      for (int64_t r = valid; r < mr; ++r) out[r] = 0.f;
    }
  }
}

// kc rows of exactly N contiguous floats, rows ld apart, into out: a copy of known size is a few
// vector moves, where std::copy of a runtime size is a call to memmove per row (a third of a
// small batch's product).
template <int N>
void CopyRows(float* out, const float* src, int64_t ld, int64_t kc) {
  for (int64_t p = 0; p < kc; ++p, out += N, src += ld) std::memcpy(out, src, N * sizeof(float));
}

bool CopyFullRows(float* out, const float* src, int64_t ld, int64_t kc, int64_t nr) {
  switch (nr) {
    case 16: CopyRows<16>(out, src, ld, kc); return true;
    case 32: CopyRows<32>(out, src, ld, kc); return true;
    case 48: CopyRows<48>(out, src, ld, kc); return true;
    case 64: CopyRows<64>(out, src, ld, kc); return true;
    default: return false;
  }
}

}  // namespace

void PackB(float* out, MatrixRef b, int64_t p0, int64_t kc, int64_t j0, int64_t cols, int64_t nr) {
  for (int64_t s = 0; s < cols; s += nr) {
    const int64_t valid = std::min(nr, cols - s);
    if (valid == nr && b.col_stride == 1 &&
        CopyFullRows(out, b.data + p0 * b.row_stride + j0 + s, b.row_stride, kc, nr)) {
      out += kc * nr;
      continue;
    }
    for (int64_t p = 0; p < kc; ++p, out += nr) {
      const float* src = b.data + (p0 + p) * b.row_stride + (j0 + s) * b.col_stride;
      if (b.col_stride == 1) {
        std::copy(src, src + valid, out);
      } else {
        for (int64_t j = 0; j < valid; ++j) out[j] = src[j * b.col_stride];
      }
      std::fill(out + valid, out + nr, 0.f);
    }
  }
}

namespace {

// Slices of equal depth for an a of m rows: k = 288 (a 3×3 convolution over 32 channels) is
// 2 × 144, not 256 and a 32-deep slice that loads and stores all of c for an eighth of the work.
int64_t SliceDepth(int64_t m, int64_t k) {
  if (k <= 0) return 1;  // an empty product still sizes its buffers
  const int64_t most = m <= kMc ? kKc : kKcDeep;
  const int64_t slices = (k + most - 1) / most;
  return (k + slices - 1) / slices;
}

// c (m, n) with row stride ldc, overwritten. block_a(ic, mc, pc, kc) gives a's packed block
// (PackA's layout) for rows [ic, ic + mc) and depth [pc, pc + kc); fill_b(out, p0, kc, j0, cols,
// nr) fills b's panel (PackB's layout) for rows [p0, p0 + kc) and columns [j0, j0 + cols).
// stored_b, when b is a stored matrix (not a convolution's implicit one), lets a single block of
// a read b's strips where they lie (a partial one too, where the kernel masks its loads), and
// stored_a lets a kernel with a rows_fn read a row-major a of one block where it lies.
template <class BlockOfA, class PackPanel>
void GemmPacked(float* c, int64_t ldc, BlockOfA&& block_a, PackPanel&& fill_b, int64_t m, int64_t n,
                int64_t k, const MicroKernel& micro, const MatrixRef* stored_b = nullptr,
                const MatrixRef* stored_a = nullptr) {
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.f);
    return;
  }
  // A row-major a is read where it lies too: the kernel broadcasts from its mr rows, each read
  // in order, so packing would only copy it (with 8×8 transposes: 14% of a batch-32 MLP).
  // Not when its rows are a multiple of 4 KB apart: they would then share one set of an L1 of
  // 4 KB ways, which holds 8 lines on some CPUs, against the 12 rows of a strip.
  const bool read_a_in_place = stored_a != nullptr && stored_a->col_stride == 1 &&
                               micro.rows_fn != nullptr &&
                               stored_a->row_stride * int64_t{sizeof(float)} % 4096 != 0;
  // A tall a read in place is one block too while a slice of it stays in L2: packing is then
  // unneeded, and its blocks of kMc rows only split the work (the MLP at batch 360 took 72 µs
  // blocked and 61 µs whole, 256³ 151 µs and 137 µs; 512³, a 512 KB slice, 3% more whole).
  const bool one_block =
      m <= kMc || (read_a_in_place && m * std::min(k, kKc) * int64_t{sizeof(float)} <= kL2Bytes);
  const int64_t depth = SliceDepth(one_block ? std::min(m, kMc) : m, k);
  if (one_block) {
    // One block of a: each strip of b is used by that block alone, right after it is packed, so
    // it is packed one strip at a time into a buffer that stays in L1 (kc × nr floats, 27 KB for
    // 144 × 48) rather than as a whole panel through L2 (a 3×3 convolution's panel is 0.6 MB: its
    // stores were the packing's bottleneck).
    thread_local std::vector<float> strip;
    AtLeast(strip, micro.nr * depth);
    // b is read where it lies when each value is used once (c is one strip of rows), or when
    // the rows a slice reads span at most 32 KB, the smallest L1 we meet: they then fit in it
    // without evicting one another, and packing would only copy them (a tenth of the MLP at
    // batch 32).
    const bool read_b_in_place =
        stored_b != nullptr && stored_b->col_stride == 1 &&
        (m <= micro.mr || depth * stored_b->row_stride * int64_t{sizeof(float)} <= kL1Bytes);
    // The kernels for a full strip of b and for a partial one read in place (Avx512Tile).
    const MicroFn full_fn = read_a_in_place ? micro.rows_fn : micro.fn;
    const MicroFn ragged_fn = read_a_in_place ? micro.ragged_rows_fn : micro.ragged_fn;
    const int64_t lda = read_a_in_place ? stored_a->row_stride : 0;
    for (int64_t pc = 0; pc < k; pc += depth) {
      const int64_t kc = std::min(depth, k - pc);
      // Strip ir of a starts at a_base + ir · a_step, in place or packed.
      const float* a_base = read_a_in_place ? stored_a->data + pc : block_a(0, m, pc, kc);
      const int64_t a_step = read_a_in_place ? lda : kc;
      for (int64_t jr = 0; jr < n; jr += micro.nr) {
        const int64_t cols = std::min(micro.nr, n - jr);
        const float* b_strip = strip.data();
        int64_t ldb = micro.nr;
        bool ragged = false;
        if (read_b_in_place && (cols == micro.nr || micro.ragged_fn != nullptr)) {
          b_strip = stored_b->data + pc * stored_b->row_stride + jr;
          ldb = stored_b->row_stride;
          ragged = cols < micro.nr;
        } else {
          fill_b(strip.data(), pc, kc, jr, cols, micro.nr);
        }
        const MicroFn fn = ragged ? ragged_fn : full_fn;
        for (int64_t ir = 0; ir < m; ir += micro.mr) {
          fn(kc, a_base + ir * a_step, lda, b_strip, ldb, c + ir * ldc + jr, ldc,
             std::min(micro.mr, m - ir), cols, pc > 0);
        }
      }
    }
    return;
  }
  // Per thread, so concurrent GEMMs (the threaded rung) never share a packing buffer.
  thread_local std::vector<float> pack_b;
  float* const panel = AtLeast(pack_b, RoundUp(std::min(kNc, n), micro.nr) * depth);
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    for (int64_t pc = 0; pc < k; pc += depth) {
      const int64_t kc = std::min(depth, k - pc);
      fill_b(panel, pc, kc, jc, nc, micro.nr);
      for (int64_t ic = 0; ic < m; ic += kMc) {
        const int64_t mc = std::min(kMc, m - ic);
        const float* packed_a = block_a(ic, mc, pc, kc);
        for (int64_t jr = 0; jr < nc; jr += micro.nr) {
          const float* b_strip = panel + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += micro.mr) {
            micro.fn(kc, packed_a + ir * kc, 0, b_strip, micro.nr, c + (ic + ir) * ldc + jc + jr,
                     ldc, std::min(micro.mr, mc - ir), std::min(micro.nr, nc - jr), pc > 0);
          }
        }
      }
    }
  }
}

// Packs a's block on demand into a per-thread buffer.
auto PackingA(MatrixRef a, int64_t m, int64_t k, const MicroKernel& micro) {
  thread_local std::vector<float> pack_a;
  AtLeast(pack_a, RoundUp(std::min(kMc, m), micro.mr) * SliceDepth(m, k));
  const bool blocks = micro.isa != SimdLevel::kScalar;
  return
      [a, mr = micro.mr, blocks](int64_t ic, int64_t mc, int64_t pc, int64_t kc) -> const float* {
        PackA(pack_a.data(), a, ic, mc, pc, kc, mr, blocks);
        return pack_a.data();
      };
}

auto PackingB(MatrixRef b) {
  return [b](float* out, int64_t p0, int64_t kc, int64_t j0, int64_t cols, int64_t nr) {
    PackB(out, b, p0, kc, j0, cols, nr);
  };
}

void GemmPacked(float* c, int64_t ldc, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k,
                const MicroKernel& micro) {
  GemmPacked(c, ldc, PackingA(a, m, k, micro), PackingB(b), m, n, k, micro, &b, &a);
}

}  // namespace

// The blocks of a slice pc are consecutive, each RoundUp(rows, mr) × kc: block (ic, pc) starts at
// pc · RoundUp(m, mr) + ic · kc (kMc is a multiple of every mr).
PackedA PackGemmA(MatrixRef a, int64_t m, int64_t k, int64_t n, SimdLevel isa) {
  const MicroKernel micro = MicroFor(isa, m, n);
  PackedA packed{m, k, n, isa, {}};
  const int64_t rows = RoundUp(m, micro.mr), depth = SliceDepth(m, k);
  packed.data.resize(static_cast<size_t>(rows * k));
  for (int64_t pc = 0; pc < k; pc += depth) {
    const int64_t kc = std::min(depth, k - pc);
    for (int64_t ic = 0; ic < m; ic += kMc) {
      PackA(packed.data.data() + pc * rows + ic * kc, a, ic, std::min(kMc, m - ic), pc, kc,
            micro.mr, micro.isa != SimdLevel::kScalar);
    }
  }
  return packed;
}

void GemmSimdPackedA(float* c, const PackedA& a, MatrixRef b, int64_t n) {
  const MicroKernel micro = MicroFor(a.isa, a.m, a.n);
  const int64_t rows = RoundUp(a.m, micro.mr);
  const float* data = a.data.data();
  GemmPacked(
      c, n,
      [data, rows](int64_t ic, int64_t, int64_t pc, int64_t kc) {
        return data + pc * rows + ic * kc;
      },
      PackingB(b), a.m, n, a.k, micro, &b);
}

void GemmSimdIsa(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k,
                 SimdLevel isa) {
  GemmPacked(c, n, a, b, m, n, k, MicroFor(isa, m, n));
}

void GemmSimd(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  GemmSimdIsa(c, a, b, m, n, k, ActiveSimdLevel());
}

void GemmSimdPanels(float* c, MatrixRef a, const PanelFn& pack_b, int64_t m, int64_t n, int64_t k,
                    SimdLevel isa) {
  const MicroKernel micro = MicroFor(isa, m, n);
  GemmPacked(c, n, PackingA(a, m, k, micro), pack_b, m, n, k, micro, nullptr, &a);
}

// Splits m or n into one band per thread; each band is an independent packed GEMM (b or a is
// packed once per band, which costs O(k·n) against the band's O(m·n·k / threads)). Below ~2 MFLOP
// a thread costs more to start than it saves.
void GemmThreaded(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k) {
  const SimdLevel isa = ActiveSimdLevel();
  const int64_t threads = NumThreads();
  if (threads <= 1 || m * n * k < (int64_t{1} << 21)) {
    GemmPacked(c, n, a, b, m, n, k, MicroFor(isa, m, n));
    return;
  }
  // Rows where a is the larger, unless each band would hold a panel of b over kPanelBytes. With
  // 8 MB panels (n = 2048, k ≥ 1024: 2048³, 3072 × 2048 × 2048, 4096 or 8192 × 2048 × 1024) bands
  // of columns, each packing all of a and half the panel, ran 4-7% faster with two threads on a
  // Zen 5 (4096² × 1024 even); at 4 MB panels and below the two were within ±3% or rows ran
  // faster (2048 × 512 × 2048: 4.6%). The likely reason, not proven: two 8 MB panels beside c
  // outgrow a VM's share of L3 (4 MB panels of rows, kNc = 1024, won back 2-4% at 2048³).
  const int64_t row_band = (m + threads - 1) / threads;
  const bool split_rows =
      m >= n && SliceDepth(row_band, k) * std::min(n, kNc) * int64_t{sizeof(float)} <= kPanelBytes;
  const int64_t extent = split_rows ? m : n;
  // The band's unit is the strip of the kernel a whole-size call would use.
  const MicroKernel whole = MicroFor(isa, m, n);
  const int64_t unit = split_rows ? whole.mr : whole.nr;
  const int64_t band = RoundUp((extent + threads - 1) / threads, unit);
  const int64_t bands = (extent + band - 1) / band;
  ParallelFor(bands, [&](int64_t t) {
    const int64_t start = t * band, size = std::min(band, extent - start);
    if (split_rows) {
      const MatrixRef a_band{a.data + start * a.row_stride, a.row_stride, a.col_stride};
      GemmPacked(c + start * n, n, a_band, b, size, n, k, MicroFor(isa, size, n));
    } else {
      const MatrixRef b_band{b.data + start * b.col_stride, b.row_stride, b.col_stride};
      GemmPacked(c + start, n, a, b_band, m, size, k, MicroFor(isa, m, size));
    }
  });
}

}  // namespace tinytorch::kernels
