// The Olympics' routes on the results server (registered by server.cc):
//   POST /api/v1/olympics/<event>/submissions   body: a submission (tinytorch/olympics.h) with its
//        recipe (epochs, seed); Authorization: Bearer <athlete token>; Idempotency-Key: as for
//        runs (1 to 128 of [A-Za-z0-9._:-], per athlete; without it, the content's hash)
//        202 queued as pending {"id", "status", "created", "url"}; 200 the same key and content
//        were stored before (that submission's id and current status; nothing new counted);
//        400 malformed (the field named), 401 no or unknown token, 403 another athlete's name or
//        past the deadline, 404 no such event, 409 the athlete's limit reached (field "limit")
//        or the key names other content (field "Idempotency-Key"), 413 body over 256 KiB, 415 a
//        multipart body, 422 claimed numbers that break the event's rules, 429 too many requests
//        (Retry-After), 503 database unavailable.
//   GET  /api/v1/olympics/<event>/submissions/<id>   the athlete's own submission (same token);
//        404 for another athlete's, as for none (nothing about it is revealed).
//   PUT, PATCH, DELETE on a submission: 405; a submission is immutable once queued.
//   GET  /api/v1/olympics/events, /api/v1/olympics/<event>/leaderboard   JSON
//   GET  /olympics/<event>   the leaderboard page (olympics_page.h)
#pragma once

#include <httplib.h>

#include <functional>

#include "rate_limiter.h"
#include "store_pool.h"

namespace perf::server {

struct OlympicsRouteContext {
  StorePool& pool;
  RateLimiter& limiter;  // shared with the run submissions; athletes are keyed "athlete:NAME"
  // Runs a handler, turning HttpError and StoreError into JSON errors (Server::Impl::Guarded).
  std::function<void(httplib::Response&, const std::function<void()>&)> guarded;
};

void AddOlympicsRoutes(httplib::Server& http, OlympicsRouteContext ctx);

}  // namespace perf::server
