// The idempotency-key rule every write of the store shares (runs, Olympics submissions): a
// client's Idempotency-Key, or "sha256:" + the content's hash when the client sent none, so a
// retry of the same content is the same key either way.
#pragma once

#include <string>

namespace perf::store {

// `key`, or "sha256:" + content_sha256 when `key` is empty; throws perf::Error unless the result
// is 1 to 200 printable ASCII characters without spaces.
std::string IdempotencyKeyOr(const std::string& key, const std::string& content_sha256);

}  // namespace perf::store
