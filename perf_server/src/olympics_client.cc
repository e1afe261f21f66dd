// The Olympics' submission client (olympics_client.h): submit.h's client and outbox, pointed at
// the event's endpoint.
#include "perf_server/olympics_client.h"

#include <filesystem>
#include <random>
#include <regex>

#include "perf_framework/error.h"

namespace perf::server {

namespace {

namespace fs = std::filesystem;

bool IsEventName(const std::string& s) {
  static const std::regex kEvent("[a-z_]{1,64}");  // the route's pattern
  return std::regex_match(s, kEvent);
}

fs::path OlympicsOutbox(const SubmitOptions& o) { return fs::path(o.outbox_dir) / "olympics"; }

// 256 bits from the kernel's pool (std::random_device reads it on Linux): a key no other
// submission of the athlete will ever have.
std::string RandomKey() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 8; ++i) {
    const uint32_t word = rd();
    for (int nibble = 0; nibble < 8; ++nibble) key += kHex[(word >> (4 * nibble)) & 0xf];
  }
  return key;
}

}  // namespace

SubmitOptions OlympicsSubmitOptions(const SubmitOptions& options, const std::string& event) {
  PERF_CHECK(IsEventName(event), "olympics: event '", event.substr(0, 64),
             "' is not an event name");
  SubmitOptions o = options;
  o.path = "/api/v1/olympics/" + event + "/submissions";
  o.outbox_dir = (OlympicsOutbox(options) / event).string();
  if (o.retries == 0) o.retries = kOlympicsRetries;
  return o;
}

SubmitResult SubmitOlympics(const std::string& event, const std::string& body,
                            const SubmitOptions& options) {
  CheckServerUrl(options.server_url);
  return SubmitBody(body, RandomKey(), "the submission to " + event,
                    OlympicsSubmitOptions(options, event));
}

FlushResult FlushOlympicsOutbox(const SubmitOptions& options) {
  CheckServerUrl(options.server_url);
  FlushResult sum;
  std::error_code ec;
  for (const fs::directory_entry& d : fs::directory_iterator(OlympicsOutbox(options), ec)) {
    const std::string event = d.path().filename().string();
    if (!d.is_directory(ec) || !IsEventName(event)) continue;
    const FlushResult f = FlushOutbox(OlympicsSubmitOptions(options, event));
    sum.delivered += f.delivered;
    sum.waiting += f.waiting;
    sum.rejected += f.rejected;
    sum.messages.insert(sum.messages.end(), f.messages.begin(), f.messages.end());
    sum.token_refused = sum.token_refused || f.token_refused;
  }
  return sum;
}

}  // namespace perf::server
