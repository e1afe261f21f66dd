// The results server behind `tinyperf serve`: machines submit validation runs over HTTP into a
// results store (perf_store), and anyone reads them back as JSON. Every handler validates its
// input, calls one store function and renders JSON; every error is data,
// {"error": "...", "field": "..."} with its status code:
//   POST /api/v1/runs    body: a run bundle; headers Authorization: Bearer TOKEN, Idempotency-Key
//        201 stored, 200 already stored under that key (the same run, stored once),
//        400 malformed JSON / missing or wrong field / bad key, 401 missing or unknown token,
//        403 the bundle's machine is not the token's, 413 body over the limit, 415 a
//        multipart/form-data body, 429 too many submissions (Retry-After), 503 database
//        unavailable.
//   GET /api/v1/machines, /api/v1/runs[?machine=&limit=],
//       /api/v1/series?benchmark=&machine=[&metric=], /api/v1/regressions[?machine=]
//        200, 400 for a bad query parameter, 503 database unavailable (the cause goes to the
//        server's stderr, not to the client).
//   GET /healthz         200 {"status": "ok"} when the database answers, 503 otherwise.
//   GET /                the dashboard's front page (dashboard.h), HTML.
//   GET /benchmark?name= one benchmark's history page, HTML; 404 when no sample has that name.
//   /api/v1/olympics/... and /olympics/<event>: the Olympics' submissions and leaderboards
//        (src/olympics_routes.h lists them with their status codes).
//   Any other request with a body: 404, the body read and dropped only up to a bound (then the
//        connection is closed); PRI: 405.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace perf::server {

struct ServerOptions {
  std::string db_url;              // sqlite:PATH or postgresql://... (perf_store's Open)
  std::string host = "127.0.0.1";  // loopback by default: exposing it is a decision
  int port = 8080;                 // 0: any free port (Bind returns it)
  size_t max_body_bytes = 32u << 20;  // a run bundle, after any Content-Encoding is undone
  double submissions_per_minute = 120;  // per token, on average; <= 0: no limit
  int submission_burst = 30;            // per token, at once
  int threads = 8;                      // requests handled at once
};

class Server {
 public:
  // Opens the store (throws perf::Error naming the URL when it cannot) and sets up the routes.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port; returns the bound port. Throws perf::Error naming the address on failure.
  int Bind();
  // Serves until Stop(); requests already being handled finish first. Call after Bind.
  void Run();
  // Stops accepting connections and makes Run return; safe from any thread.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Binds, calls `on_listening(port)`, and serves until SIGINT or SIGTERM arrives; then stops
// gracefully (in-flight requests finish) and returns. Handles both signals while it runs (their
// previous handlers are restored afterwards); one server per process at a time.
void ServeUntilSignal(Server& server, const std::function<void(int port)>& on_listening);

}  // namespace perf::server
