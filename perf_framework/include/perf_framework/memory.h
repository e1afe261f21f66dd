// Memory measurement of a callable, from real counters, never estimates.
//
// Heap: this library replaces the global operator new/delete (every form, including aligned
// ones, which is where tinytorch's tensor storage comes from) with versions that count bytes
// while a measurement is active; sizes are malloc_usable_size(), the bytes the allocator really
// handed out. Outside a measurement the only cost is one relaxed atomic load per call.
// Resident set: peak RSS from /proc/self/status (VmHWM), reset before the call through
// /proc/self/clear_refs where the kernel allows it.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

namespace perf {

struct MemoryMeasurement {
  int64_t allocated_bytes = 0;  // total bytes from operator new during the call
  int64_t freed_bytes = 0;      // total bytes returned through operator delete during the call
  int64_t allocations = 0;
  int64_t deallocations = 0;
  int64_t peak_bytes = 0;           // highest live heap bytes above the level at the start
  int64_t retained_bytes = 0;       // live at the end minus live at the start (cached or leaked)
  int64_t peak_rss_bytes = -1;      // VmHWM after the call; -1 if unreadable
  int64_t rss_before_bytes = -1;    // VmRSS before the call
  bool rss_peak_was_reset = false;  // false: peak_rss_bytes covers the whole process lifetime

  nlohmann::json ToJson() const;
};

// Runs fn() once and measures what it allocates. Allocations from other threads during the call
// are counted too (the counters are process-wide); one measurement at a time.
MemoryMeasurement MeasureMemory(const std::function<void()>& fn);

// Keeps an allocation the compiler could otherwise elide (new/delete pairs may be removed).
inline void DoNotOptimizeAway(const void* p) { asm volatile("" : : "r"(p) : "memory"); }

}  // namespace perf
