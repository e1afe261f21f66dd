// The idempotency-key rule (idempotency.h).
#include "idempotency.h"

#include <algorithm>

#include "perf_framework/error.h"

namespace perf::store {

namespace {
constexpr size_t kMaxKeyChars = 200;
}  // namespace

std::string IdempotencyKeyOr(const std::string& key, const std::string& content_sha256) {
  std::string k = key.empty() ? "sha256:" + content_sha256 : key;
  PERF_CHECK(!k.empty() && k.size() <= kMaxKeyChars &&
                 std::all_of(k.begin(), k.end(), [](char c) { return c > ' ' && c < 127; }),
             "idempotency key must be 1 to ", kMaxKeyChars,
             " printable ASCII characters without spaces");
  return k;
}

}  // namespace perf::store
