// The server's database connections: one Store per request in flight, reused afterwards. A
// connection that failed (StoreError) is dropped instead of reused, so a database that went away
// and came back (a PostgreSQL restart) is reconnected to by the next request, by itself.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "perf_store/store.h"

namespace perf::server {

class StorePool {
 public:
  explicit StorePool(std::string url) : url_(std::move(url)) {}

  // f(store) on a pooled connection (opened when none is free; Open's StoreError propagates).
  template <class F>
  auto With(F&& f) {
    std::unique_ptr<store::Store> s = Acquire();
    try {
      if constexpr (std::is_void_v<decltype(f(*s))>) {
        f(*s);
        Release(std::move(s));
      } else {
        auto result = f(*s);
        Release(std::move(s));
        return result;
      }
    } catch (const store::StoreError&) {
      throw;  // `s` is dropped: it may be a dead connection
    } catch (...) {
      Release(std::move(s));
      throw;
    }
  }

 private:
  std::unique_ptr<store::Store> Acquire();
  void Release(std::unique_ptr<store::Store> s);

  std::string url_;
  std::mutex mu_;
  std::vector<std::unique_ptr<store::Store>> idle_;
};

}  // namespace perf::server
