// StorePool's connection bookkeeping (store_pool.h).
#include "store_pool.h"

namespace perf::server {

std::unique_ptr<store::Store> StorePool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<store::Store> s = std::move(idle_.back());
      idle_.pop_back();
      return s;
    }
  }
  // Outside the lock: connecting to a database that is down can take a while, and other requests
  // holding idle connections should not wait for it.
  return std::make_unique<store::Store>(store::Store::Open(url_));
}

void StorePool::Release(std::unique_ptr<store::Store> s) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(s));
}

}  // namespace perf::server
