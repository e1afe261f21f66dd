// The submission client behind `tinyperf submit`: a run never gets lost on its way to the results
// server. A bundle the server cannot take now (unreachable, 5xx, 429) waits in an outbox
// directory, one file per run named by its Idempotency-Key, written atomically; FlushOutbox sends
// the waiting runs and deletes each only after the server answered 2xx. The key is the bundle's
// content hash, so a retry, from the outbox or by hand, is the same key and the run is stored once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "perf_store/run_bundle.h"

namespace perf::server {

struct SubmitOptions {
  std::string server_url;  // http://HOST[:PORT] (https:// too: cpp-httplib is built with OpenSSL)
  std::string token;       // the machine's token (tinyperf token add)
  std::string outbox_dir = "validation_results/outbox";
  int timeout_s = 60;  // connecting, and each read and write of the request
  std::string path = "/api/v1/runs";  // the endpoint the bodies (and the outbox's entries) go to
  // Further attempts, with the same key, after no answer or a 5xx, waiting first_backoff_s and
  // doubling each time; then the body waits in the outbox.
  int retries = 0;
  double first_backoff_s = 1.0;
};

enum class Delivery {
  kStored,         // 201: stored now
  kAlreadyStored,  // 200: this key or this content was stored before
  kQueued,         // no answer, 429 or 5xx: waiting in the outbox
  kRejected,       // any other answer (400, 401, 403, 413, ...): not queued, fix and resubmit
};

struct SubmitResult {
  Delivery delivery = Delivery::kRejected;
  int status = 0;       // the HTTP status; 0 when the server did not answer
  std::string message;  // the server's error, or why the run waits (as received: escape to show)
  std::string key;      // the Idempotency-Key (the bundle's content hash)
  std::string outbox_file;  // for kQueued
  int64_t run_id = 0;       // for kStored and kAlreadyStored (the answer's run_id, or its id)
};

// Checks `url` is http(s)://HOST[:PORT] with nothing after it but an optional "/"; returns it
// without that "/". Throws perf::Error naming the URL otherwise.
std::string CheckServerUrl(const std::string& url);

// Posts `bundle` to <server>/api/v1/runs. Queues it when the server cannot take it now; throws
// perf::Error only when the outbox cannot be written (then nothing is queued: the caller must
// say so loudly).
SubmitResult SubmitBundle(const store::RunBundle& bundle, const SubmitOptions& options);

// Posts `body` to <server><options.path> under `key` (64 lowercase hex digits, the outbox entry's
// name), retrying as options say; queued in the outbox when the server still cannot take it.
// `what` names the body in errors ("run 'x'"). Throws as SubmitBundle.
SubmitResult SubmitBody(const std::string& body, const std::string& key, const std::string& what,
                        const SubmitOptions& options);

struct FlushResult {
  int delivered = 0;  // answered 2xx and deleted from the outbox
  int waiting = 0;    // still in the outbox
  int rejected = 0;   // moved to <outbox>/rejected/ with the answer in <key>.error.txt
  std::vector<std::string> messages;  // one line per entry not delivered (unescaped)
  bool token_refused = false;  // stopped by a 401 or 403: the token, not the server, is at fault
};

// Sends every entry of the outbox (oldest first), deleting each only after a 2xx. Stops at the
// first answer that concerns the server or the token rather than the entry (no answer, 429, 5xx,
// 401, 403): the rest wait. An entry refused for itself (400, 413, ...) would be refused forever;
// it moves to <outbox>/rejected/, never deleted. Files whose names are not <64 hex>.json are
// left alone.
FlushResult FlushOutbox(const SubmitOptions& options);

}  // namespace perf::server
