// Memory measurement: known allocations are counted to the byte (up to the allocator's rounding),
// peak and retained bytes are told apart, and peak RSS follows pages really touched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "perf_framework/memory.h"

namespace perf {
namespace {

constexpr int64_t kMiB = 1 << 20;

TEST(PerfMemoryTest, CountsKnownAllocations) {
  for (int64_t mib : {1, 10}) {
    const MemoryMeasurement m = MeasureMemory([&] {
      std::vector<char> buffer(static_cast<size_t>(mib * kMiB));
      DoNotOptimizeAway(buffer.data());
    });
    SCOPED_TRACE(std::to_string(mib) + " MiB");
    EXPECT_GE(m.allocated_bytes, mib * kMiB);
    EXPECT_LE(m.allocated_bytes, mib * kMiB + 8192);  // malloc's header and page rounding
    EXPECT_EQ(m.allocations, 1);
    EXPECT_EQ(m.retained_bytes, 0);
    EXPECT_EQ(m.peak_bytes, m.allocated_bytes);
  }
}

TEST(PerfMemoryTest, TenMiBOverOneMiBIsTenWithinFivePercent) {
  auto measure = [](int64_t bytes) {
    return MeasureMemory([bytes] {
      auto p = std::make_unique<char[]>(bytes);
      DoNotOptimizeAway(p.get());
    });
  };
  const double ratio = static_cast<double>(measure(10 * kMiB).peak_bytes) /
                       static_cast<double>(measure(kMiB).peak_bytes);
  EXPECT_NEAR(ratio, 10.0, 0.5);
}

TEST(PerfMemoryTest, PeakAndRetainedAreDifferentQuantities) {
  std::vector<std::unique_ptr<char[]>> kept;
  const MemoryMeasurement m = MeasureMemory([&] {
    {
      auto scratch = std::make_unique<char[]>(8 * kMiB);
      DoNotOptimizeAway(scratch.get());
    }
    kept.push_back(std::make_unique<char[]>(2 * kMiB));
  });
  EXPECT_GE(m.peak_bytes, 8 * kMiB);
  EXPECT_LT(m.peak_bytes, 9 * kMiB);  // scratch was freed before the kept block was allocated
  EXPECT_GE(m.retained_bytes, 2 * kMiB);
  EXPECT_LT(m.retained_bytes, 2 * kMiB + 8192);
  EXPECT_EQ(m.allocations, m.deallocations + 2);  // the kept block and the vector's array
}

TEST(PerfMemoryTest, CountsAlignedAndArrayFormsAndOtherThreads) {
  const MemoryMeasurement m = MeasureMemory([] {
    auto* aligned = static_cast<float*>(::operator new (4096, std::align_val_t{64}));
    DoNotOptimizeAway(aligned);
    ::operator delete (aligned, std::align_val_t{64});
    int* array = new int[1000];
    DoNotOptimizeAway(array);  // a new/delete pair may otherwise be elided entirely
    delete[] array;
    std::thread([] {
      auto p = std::make_unique<char[]>(kMiB);
      DoNotOptimizeAway(p.get());
    }).join();
  });
  EXPECT_GE(m.allocated_bytes, 4096 + 4000 + kMiB);
  EXPECT_GE(m.allocations, 3);
  EXPECT_EQ(m.retained_bytes, 0);
}

TEST(PerfMemoryTest, PeakRssFollowsTouchedPages) {
  const MemoryMeasurement m = MeasureMemory([] {
    auto p = std::make_unique<char[]>(64 * kMiB);
    std::memset(p.get(), 1, 64 * kMiB);  // resident only once touched
    DoNotOptimizeAway(p.get());
  });
  ASSERT_TRUE(m.rss_peak_was_reset) << "the kernel refused /proc/self/clear_refs";
  EXPECT_GE(m.peak_rss_bytes - m.rss_before_bytes, 60 * kMiB);
}

TEST(PerfMemoryTest, ExceptionsPropagateAndStopCounting) {
  EXPECT_THROW(MeasureMemory([] { throw std::runtime_error("boom"); }), std::runtime_error);
  const MemoryMeasurement m = MeasureMemory([] {});
  EXPECT_EQ(m.allocations, 0);
}

}  // namespace
}  // namespace perf
