// Counting replacements of the global operator new/delete, and peak-RSS reading.
#include "perf_framework/memory.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <new>
#include <string>

#include "perf_framework/error.h"

namespace perf {
namespace {

struct HeapCounters {
  std::atomic<bool> active{false};
  std::atomic<int64_t> live{0};  // relative to the start of the measurement
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> allocated{0};
  std::atomic<int64_t> freed{0};
  std::atomic<int64_t> allocations{0};
  std::atomic<int64_t> deallocations{0};
};

// Constant-initialised, so it is usable by allocations that happen before main().
constinit HeapCounters g_heap;

void CountAllocation(void* p) {
  if (p == nullptr || !g_heap.active.load(std::memory_order_relaxed)) return;
  const auto bytes = static_cast<int64_t>(::malloc_usable_size(p));
  g_heap.allocated.fetch_add(bytes, std::memory_order_relaxed);
  g_heap.allocations.fetch_add(1, std::memory_order_relaxed);
  const int64_t live = g_heap.live.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  int64_t peak = g_heap.peak.load(std::memory_order_relaxed);
  while (live > peak && !g_heap.peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

void CountFree(void* p) {
  if (p == nullptr || !g_heap.active.load(std::memory_order_relaxed)) return;
  const auto bytes = static_cast<int64_t>(::malloc_usable_size(p));
  g_heap.freed.fetch_add(bytes, std::memory_order_relaxed);
  g_heap.deallocations.fetch_add(1, std::memory_order_relaxed);
  g_heap.live.fetch_sub(bytes, std::memory_order_relaxed);
}

void* Allocate(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  CountAllocation(p);
  return p;
}

void* AllocateAligned(size_t size, std::align_val_t align) {
  const auto a = static_cast<size_t>(align);
  void* p = nullptr;
  if (::posix_memalign(&p, std::max(a, sizeof(void*)), size == 0 ? 1 : size) != 0) {
    throw std::bad_alloc();
  }
  CountAllocation(p);
  return p;
}

void Free(void* p) noexcept {
  CountFree(p);
  std::free(p);
}

// Reads a "Key:   1234 kB" line of /proc/self/status, in bytes; -1 if absent.
int64_t StatusBytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  }
  return -1;
}

std::mutex g_measure_mutex;

}  // namespace

MemoryMeasurement MeasureMemory(const std::function<void()>& fn) {
  std::lock_guard<std::mutex> lock(g_measure_mutex);
  MemoryMeasurement m;
  // Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0).
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    m.rss_peak_was_reset = clear.good();
  }
  m.rss_before_bytes = StatusBytes("VmRSS");
  g_heap.live.store(0);
  g_heap.peak.store(0);
  g_heap.allocated.store(0);
  g_heap.freed.store(0);
  g_heap.allocations.store(0);
  g_heap.deallocations.store(0);
  g_heap.active.store(true);
  try {
    fn();
  } catch (...) {
    g_heap.active.store(false);
    throw;
  }
  g_heap.active.store(false);
  m.allocated_bytes = g_heap.allocated.load();
  m.freed_bytes = g_heap.freed.load();
  m.allocations = g_heap.allocations.load();
  m.deallocations = g_heap.deallocations.load();
  m.peak_bytes = g_heap.peak.load();
  m.retained_bytes = g_heap.live.load();
  m.peak_rss_bytes = StatusBytes("VmHWM");
  return m;
}

nlohmann::json MemoryMeasurement::ToJson() const {
  return {{"allocated_bytes", allocated_bytes},
          {"freed_bytes", freed_bytes},
          {"allocations", allocations},
          {"deallocations", deallocations},
          {"peak_bytes", peak_bytes},
          {"retained_bytes", retained_bytes},
          {"peak_rss_bytes", peak_rss_bytes},
          {"rss_before_bytes", rss_before_bytes},
          {"rss_peak_was_reset", rss_peak_was_reset}};
}

}  // namespace perf

// ---------------------------------------------------------------------------------------------
// The replacements. Every form forwards to the counting helpers above.

void* operator new(size_t size) { return perf::Allocate(size); }
void* operator new[](size_t size) { return perf::Allocate(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return perf::Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void* operator new(size_t size, std::align_val_t align) {
  return perf::AllocateAligned(size, align);
}
void* operator new[](size_t size, std::align_val_t align) {
  return perf::AllocateAligned(size, align);
}
void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  try {
    return perf::AllocateAligned(size, align);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, std::align_val_t align, const std::nothrow_t& tag) noexcept {
  return operator new(size, align, tag);
}

void operator delete(void* p) noexcept { perf::Free(p); }
void operator delete[](void* p) noexcept { perf::Free(p); }
void operator delete(void* p, size_t) noexcept { perf::Free(p); }
void operator delete[](void* p, size_t) noexcept { perf::Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { perf::Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { perf::Free(p); }
void operator delete(void* p, std::align_val_t) noexcept { perf::Free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { perf::Free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { perf::Free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { perf::Free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { perf::Free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { perf::Free(p); }
