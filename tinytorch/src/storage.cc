// Tensor storage: aligned blocks recycled through a size-keyed cache, and the byte counters
// behind GetStorageStats.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "tinytorch/error.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

namespace {

constexpr size_t kStorageAlignment = 64;

struct Counters {
  std::atomic<int64_t> live{0};
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> total{0};
  std::atomic<int64_t> count{0};
};
Counters& GlobalCounters() {
  static Counters counters;
  return counters;
}

// Freed blocks wait here for the next request of the same rounded size. A training loop
// allocates the same shapes every step, and a fresh large block from the OS costs a page fault per
// page on first touch: tiny_gpt spent 38% of its time in them before this cache. Small blocks
// come here too: glibc's aligned allocation and its free took a third of the int8 digits MLP's
// time at batch 1, and the cache makes that MLP and a 100x100 Add 8-12% faster
// (quantized_bench, tensor_bench). Cached bytes are not live bytes.
class BlockCache {
 public:
  std::byte* Take(size_t rounded) {
    std::lock_guard lock(mu_);
    auto it = blocks_.find(rounded);
    if (it == blocks_.end() || it->second.empty()) return nullptr;
    std::byte* p = it->second.back();
    it->second.pop_back();
    cached_ -= rounded;
    return p;
  }
  // Keeps `p` unless that would exceed the limit; returns whether it did.
  bool Give(std::byte* p, size_t rounded) {
    std::lock_guard lock(mu_);
    if (cached_ + rounded > limit_) return false;
    blocks_[rounded].push_back(p);
    cached_ += rounded;
    return true;
  }
  size_t SetLimit(size_t limit) {
    std::lock_guard lock(mu_);
    std::swap(limit, limit_);
    while (cached_ > limit_) EvictOne();
    return limit;
  }
  size_t cached_bytes() {
    std::lock_guard lock(mu_);
    return cached_;
  }

 private:
  void EvictOne() {  // the caller holds mu_
    for (auto& [size, list] : blocks_) {
      if (list.empty()) continue;
      ::operator delete (list.back(), std::align_val_t{kStorageAlignment});
      list.pop_back();
      cached_ -= size;
      return;
    }
  }

  std::mutex mu_;
  std::unordered_map<size_t, std::vector<std::byte*>> blocks_;
  size_t cached_ = 0;
#ifdef __SANITIZE_ADDRESS__
  size_t limit_ = 0;  // AddressSanitizer must see every free to catch a use after it
#else
  size_t limit_ = size_t{1} << 30;
#endif
};

// Never destroyed: storages in static tensors may be freed after any static destructor ran.
BlockCache& Cache() {
  static auto* cache = new BlockCache;
  return *cache;
}

size_t RoundedBytes(size_t bytes) {
  // Zero-byte tensors still get a distinct, aligned allocation so data() is never null.
  return std::max<size_t>(kStorageAlignment,
                          (bytes + kStorageAlignment - 1) / kStorageAlignment * kStorageAlignment);
}

}  // namespace

Storage::Storage(size_t bytes, bool zero_fill) : bytes_(bytes) {
  const size_t rounded = RoundedBytes(bytes);
  data_ = Cache().Take(rounded);
  if (data_ == nullptr) {
    data_ = static_cast<std::byte*>(::operator new (rounded, std::align_val_t{kStorageAlignment}));
  }
  if (zero_fill) std::memset(data_, 0, rounded);
  Counters& c = GlobalCounters();
  const auto b = static_cast<int64_t>(bytes);
  const int64_t live = c.live.fetch_add(b, std::memory_order_relaxed) + b;
  int64_t peak = c.peak.load(std::memory_order_relaxed);
  while (live > peak && !c.peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
  c.total.fetch_add(b, std::memory_order_relaxed);
  c.count.fetch_add(1, std::memory_order_relaxed);
}

Storage::~Storage() {
  if (!Cache().Give(data_, RoundedBytes(bytes_))) {
    ::operator delete (data_, std::align_val_t{kStorageAlignment});
  }
  GlobalCounters().live.fetch_sub(static_cast<int64_t>(bytes_), std::memory_order_relaxed);
}

StorageStats GetStorageStats() {
  const Counters& c = GlobalCounters();
  return {c.live.load(), c.peak.load(), c.total.load(), c.count.load(),
          static_cast<int64_t>(Cache().cached_bytes())};
}

int64_t SetStorageCacheLimit(int64_t bytes) {
  TT_CHECK(bytes >= 0, "SetStorageCacheLimit: limit ", bytes, " is negative");
  return static_cast<int64_t>(Cache().SetLimit(static_cast<size_t>(bytes)));
}

void ResetStoragePeak() {
  Counters& c = GlobalCounters();
  c.peak.store(c.live.load());
}

}  // namespace tinytorch
