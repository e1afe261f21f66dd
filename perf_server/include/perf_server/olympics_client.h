// The student's side of the Olympics server: `tinyperf olympics submit --server URL --token T`
// posts a submission to /api/v1/olympics/<event>/submissions under a fresh Idempotency-Key, and
// retries with that key after no answer or a 5xx: the server stores a keyed submission once and
// counts it once against the limit, so a retry after a lost answer is safe. When the server still
// cannot take it, the submission waits in the outbox (submit.h's, one directory per event:
// <outbox>/olympics/<event>/<key>.json) and FlushOlympicsOutbox sends it later, same key.
#pragma once

#include <string>

#include "perf_server/submit.h"

namespace perf::server {

// Attempts after the first before queuing (waits 1, 2, 4 s by default).
inline constexpr int kOlympicsRetries = 3;

// `options` for `event`'s endpoint and outbox directory (under options.outbox_dir), with
// kOlympicsRetries unless options set retries.
SubmitOptions OlympicsSubmitOptions(const SubmitOptions& options, const std::string& event);

// Posts `body` (a submission to `event`, one of the five event names) under a new random key.
// Delivery kStored (202), kAlreadyStored (200), kQueued (in the outbox), kRejected (any other
// 4xx: the message names the field). Throws perf::Error for a malformed server URL or event name,
// or when the outbox cannot be written.
SubmitResult SubmitOlympics(const std::string& event, const std::string& body,
                            const SubmitOptions& options);

// Sends every event's waiting submissions (FlushOutbox per <outbox>/olympics/<event>/), summed.
FlushResult FlushOlympicsOutbox(const SubmitOptions& options);

}  // namespace perf::server
