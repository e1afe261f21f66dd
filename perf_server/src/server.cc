// The results server (server.h): routes, the submission protocol, and the server's lifetime.
#include "perf_server/server.h"

#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>
#include <thread>

#include "api.h"
#include "http_request.h"
#include "olympics_routes.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/suite.h"
#include "perf_server/dashboard.h"
#include "rate_limiter.h"
#include "store_pool.h"

namespace perf::server {

namespace {

constexpr int kRetryAfterUnavailableS = 5;
// Past the body limit the rest is read and dropped, up to this many times the limit: a client
// still writing a body the server stopped reading gets a reset instead of the answer, and would
// take it for an outage and retry forever. A far larger body is cut off.
constexpr uint64_t kDrainFactor = 4;

}  // namespace

// The request pieces the Olympics' routes share (http_request.h).
void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(Dump(body), "application/json; charset=utf-8");
}

// The value of header `name` of `req` (the first, when repeated), or nullopt when absent.
std::optional<std::string> Header(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
}

std::string BearerToken(const httplib::Request& req) {
  return BearerToken(Header(req, "Authorization"));
}

// The request body, at most `limit` bytes after any Content-Encoding is undone (httplib
// decompresses gzip and Brotli before the receiver sees the bytes, so a small compressed body
// cannot expand past the limit); HttpError 413 otherwise. A declared Content-Length over the limit
// is refused without buffering anything.
std::string ReadBody(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader, size_t limit) {
  if (req.is_multipart_form_data()) {
    res.set_header("Connection", "close");
    throw HttpError{415, "a multipart/form-data body is not accepted: send application/json",
                    "Content-Type"};
  }
  bool over = false;
  if (req.has_header("Content-Length")) {
    const std::string s = req.get_header_value("Content-Length");
    uint64_t declared = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), declared);
    if (ec != std::errc() || end != s.data() + s.size()) {
      throw HttpError{400, "Content-Length is not a number", "Content-Length"};
    }
    over = declared > limit;
  }
  // Past the limit the rest is read and dropped (kDrainFactor).
  std::string body;
  uint64_t dropped = 0;
  const bool complete = reader([&](const char* data, size_t n) {
    if (!over && body.size() + n <= limit) {
      body.append(data, n);
      return true;
    }
    over = true;
    body.clear();
    dropped += n;
    return dropped <= kDrainFactor * limit;
  });
  if (over) {
    res.set_header("Connection", "close");  // what follows an unread body is not a request
    throw HttpError{413,
                    "request body larger than the server's limit of " + std::to_string(limit) +
                        " bytes",
                    "body"};
  }
  if (!complete) throw HttpError{400, "request body could not be read completely", "body"};
  return body;
}

// Reads and drops the body of a request refused before reading it, up to kDrainFactor + 1 times
// `limit` bytes (see ReadBody).
void DrainBody(const httplib::Request& req, const httplib::ContentReader& reader, size_t limit) {
  if (req.is_multipart_form_data()) return;
  uint64_t dropped = 0;
  reader([&](const char*, size_t n) {
    dropped += n;
    return dropped <= (kDrainFactor + 1) * limit;
  });
}

namespace {

// For the answers httplib gives itself, before any route runs.
std::string StatusText(int status) {
  switch (status) {
    case 400: return "malformed HTTP request";
    case 404: return "no such resource";
    case 405: return "method not allowed";
    case 413: return "request too large";
    case 414: return "request URI too long";
    default: return "HTTP error " + std::to_string(status);
  }
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        pool(options.db_url),
        limiter(options.submissions_per_minute, options.submission_burst) {}

  // validate → one store call → render, for every route. The handler throws HttpError for the
  // client's mistakes; StoreError is the database's (503, worth retrying).
  template <class F>
  void Guarded(httplib::Response& res, F&& f) {
    try {
      f();
    } catch (const HttpError& e) {
      Reply(res, e.status, ErrorJson(e.message, e.field));
    } catch (const store::StoreError& e) {
      // The detail (a host, a user, a file path, a statement) is for the operator's log only.
      Log("database unavailable", e.what());
      res.set_header("Retry-After", std::to_string(kRetryAfterUnavailableS));
      Reply(res, 503, ErrorJson("database unavailable", "database"));
    } catch (const std::exception& e) {
      Log("internal error", e.what());
      Reply(res, 500, ErrorJson("internal error", ""));
    }
  }

  static void Log(const char* what, const char* detail) {
    std::fprintf(stderr, "tinyperf serve: %s: %s\n", what,
                 escape::Terminal(escape::Shorten(detail, 1000)).c_str());
  }

  void SubmitRun(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader) {
    std::string key, machine;
    try {
      const std::string token = BearerToken(Header(req, "Authorization"));
      key = IdempotencyKey(Header(req, "Idempotency-Key"));
      const std::optional<std::string> owner =
          pool.With([&](store::Store& s) { return s.MachineForToken(token); });
      if (!owner) throw HttpError{401, "unknown or revoked token", "Authorization"};
      machine = *owner;
      if (const int wait_s = limiter.Take(machine); wait_s > 0) {
        res.set_header("Retry-After", std::to_string(wait_s));
        throw HttpError{429, "too many submissions from machine '" + machine + "'; retry in " +
                                 std::to_string(wait_s) + " s",
                        "Authorization"};
      }
    } catch (...) {
      // Refused before the body was read: read and drop it, or a client still writing it gets a
      // reset instead of this answer (and would queue a run whose token is wrong).
      DrainBody(req, reader, options.max_body_bytes);
      res.set_header("Connection", "close");
      throw;
    }
    const std::string body = ReadBody(req, res, reader, options.max_body_bytes);
    store::RunBundle bundle;
    try {
      bundle = store::RunBundle::FromJson(perf::ParseJson(body, "request body"), "request body");
    } catch (const perf::Error& e) {
      throw HttpError{400, e.what(), "body"};
    }
    if (bundle.machine != machine) {
      throw HttpError{403,
                      "this token submits for machine '" + machine + "', the bundle is from '" +
                          bundle.machine + "'",
                      "machine"};
    }
    store::ImportResult r;
    try {
      r = pool.With([&](store::Store& s) { return s.ImportRun(bundle, key); });
    } catch (const store::StoreError&) {
      throw;
    } catch (const store::KeyReused& e) {
      throw HttpError{409, e.what(), "Idempotency-Key"};
    } catch (const perf::Error& e) {
      throw HttpError{400, e.what(), "documents"};
    }
    Reply(res, r.created ? 201 : 200,
          {{"run_id", r.run_id}, {"created", r.created}, {"machine", bundle.machine},
           {"run", bundle.run}});
  }

  void Routes() {
    http.Post("/api/v1/runs", [this](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader) {
      Guarded(res, [&] { SubmitRun(req, res, reader); });
    });
    Get("/api/v1/machines", {}, [this](const httplib::Params&) {
      return MachinesJson(pool.With([](store::Store& s) { return s.ListMachines(); }));
    });
    Get("/api/v1/runs", {"machine", "limit"}, [this](const httplib::Params& p) {
      store::RunQuery q;
      q.machine = MachineParam(p, false);
      q.limit = LimitParam(p, 100, 10000);
      return RunsJson(pool.With([&](store::Store& s) { return s.ListRuns(q); }));
    });
    Get("/api/v1/series", {"benchmark", "machine", "metric"}, [this](const httplib::Params& p) {
      const std::string benchmark = Param(p, "benchmark", true);
      const std::string machine = MachineParam(p, true);
      std::string metric = Param(p, "metric", false);
      if (metric.empty()) metric = "real_time";
      nlohmann::json points = SeriesJson(
          pool.With([&](store::Store& s) { return s.Series(benchmark, machine, metric); }));
      return nlohmann::json{{"benchmark", benchmark}, {"machine", machine}, {"metric", metric},
                            {"points", std::move(points)}};
    });
    Get("/api/v1/regressions", {"machine"}, [this](const httplib::Params& p) {
      const std::string machine = MachineParam(p, false);
      return FleetChangesJson(
          pool.With([&](store::Store& s) { return store::FleetChanges(s, machine); }));
    });
    Get("/healthz", {}, [this](const httplib::Params&) {
      const int version = pool.With([](store::Store& s) { return s.Version(); });
      if (version != store::SchemaVersion()) {
        throw store::StoreError("database schema version " + std::to_string(version) +
                                ", this server needs " + std::to_string(store::SchemaVersion()) +
                                " (run tinyperf db init)");
      }
      return nlohmann::json{{"status", "ok"}, {"schema_version", version}};
    });
    Page("/", {}, [this](const httplib::Params&) {
      return pool.With([](store::Store& s) { return DashboardHtml(s); });
    });
    Page("/benchmark", {"name"}, [this](const httplib::Params& p) {
      const std::string name = Param(p, "name", true);
      return pool.With([&](store::Store& s) {
        const std::vector<std::string> all = s.ListBenchmarks();
        if (!std::binary_search(all.begin(), all.end(), name)) {
          throw HttpError{404, "no benchmark of that name has samples", "name"};
        }
        return BenchmarkHistoryHtml(s, name);
      });
    });
    AddOlympicsRoutes(http, {pool, limiter, [this](httplib::Response& res,
                                                   const std::function<void()>& f) {
                        Guarded(res, f);
                      }});
    // Any other request with a body is answered with its body read and dropped up to a bound:
    // without a route that takes a content reader, httplib reads the whole body into memory
    // before routing, a chunked one with no limit at all. Registered last: first match wins.
    const auto unrouted = [this](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
      DrainBody(req, reader, options.max_body_bytes);
      res.set_header("Connection", "close");
      Reply(res, 404, ErrorJson(StatusText(404), ""));
    };
    http.Post(".*", unrouted);
    http.Put(".*", unrouted);
    http.Patch(".*", unrouted);
    http.Delete(".*", unrouted);
    // PRI (HTTP/2's preface) is the one other method httplib reads a body for, with no route to
    // take it: refused before reading.
    http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (req.method != "PRI") return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("Connection", "close");
      Reply(res, 405, ErrorJson(StatusText(405), ""));
      return httplib::Server::HandlerResponse::Handled;
    });
    // Anything httplib answers itself (404, 400 for a request it cannot parse, ...) is JSON too.
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      Reply(res, res.status, ErrorJson(StatusText(res.status), ""));
      return httplib::Server::HandlerResponse::Handled;
    }));
  }

  // A GET route whose query parameters must be among `allowed`, answering `render(params)`.
  template <class F>
  void Get(const std::string& path, std::set<std::string> allowed, F render) {
    http.Get(path, [this, allowed = std::move(allowed), render](const httplib::Request& req,
                                                                httplib::Response& res) {
      Guarded(res, [&] {
        CheckParams(req.params, allowed);
        Reply(res, 200, render(req.params));
      });
    });
  }

  // A dashboard page (dashboard.h) whose query parameters must be among `allowed`.
  template <class F>
  void Page(const std::string& path, std::set<std::string> allowed, F render) {
    http.Get(path, [this, allowed = std::move(allowed), render](const httplib::Request& req,
                                                                httplib::Response& res) {
      Guarded(res, [&] {
        CheckParams(req.params, allowed);
        const std::string page = render(req.params);
        res.status = 200;
        // The page loads nothing: a name that slipped past escaping still could not fetch.
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_content(page, "text/html; charset=utf-8");
      });
    });
  }

  ServerOptions options;
  StorePool pool;
  RateLimiter limiter;
  httplib::Server http;
  bool bound = false;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  // Fail at start, not at the first request, on a wrong URL or a database not yet initialised.
  const int version = impl_->pool.With([](store::Store& s) { return s.Version(); });
  PERF_CHECK(version == store::SchemaVersion(), "serve: the database at ", impl_->options.db_url,
             " has schema version ", version, ", this build needs ", store::SchemaVersion(),
             ": run tinyperf db init --db ", impl_->options.db_url);
  PERF_CHECK(impl_->options.threads >= 1 && impl_->options.threads <= 256,
             "serve: threads must be 1 to 256, not ", impl_->options.threads);
  const size_t threads = static_cast<size_t>(impl_->options.threads);
  impl_->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl_->http.set_read_timeout(30);
  impl_->http.set_write_timeout(30);
  impl_->Routes();
}

Server::~Server() = default;

int Server::Bind() {
  const ServerOptions& o = impl_->options;
  int port = o.port;
  if (o.port == 0) {
    port = impl_->http.bind_to_any_port(o.host);
  } else if (!impl_->http.bind_to_port(o.host, o.port)) {
    port = -1;
  }
  PERF_CHECK(port > 0, "serve: cannot listen on ", o.host, ":", o.port,
             " (address in use, or not an address of this machine)");
  impl_->bound = true;
  return port;
}

void Server::Run() {
  PERF_CHECK(impl_->bound, "Server::Run: call Bind first");
  impl_->http.listen_after_bind();
}

void Server::Stop() { impl_->http.stop(); }

namespace {

// The write end of ServeUntilSignal's self-pipe: a signal handler may only do async-signal-safe
// things, and write(2) is one.
std::atomic<int> signal_pipe_write = -1;

extern "C" void OnStopSignal(int) {
  const int saved_errno = errno;
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(signal_pipe_write.load(), &byte, 1);
  errno = saved_errno;
}

}  // namespace

void ServeUntilSignal(Server& server, const std::function<void(int port)>& on_listening) {
  // A handler, not sigwait in a thread with the signals blocked: threads started before this
  // (OpenBLAS starts its pool when the library loads) would not block them, and the default
  // action would end the process in the middle of requests.
  int fds[2];
  PERF_CHECK(::pipe2(fds, O_CLOEXEC) == 0, "serve: cannot create a pipe: ", std::strerror(errno));
  signal_pipe_write = fds[1];
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  auto restore = [&] {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    signal_pipe_write = -1;
    ::close(fds[0]);
    ::close(fds[1]);
  };
  int port = 0;
  try {
    port = server.Bind();
  } catch (...) {
    restore();
    throw;
  }
  std::atomic<bool> done = false;
  std::thread watcher([&] {
    // Stop() before Run() has started listening does nothing: once a signal came, keep asking.
    bool stopping = false;
    while (!done) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) stopping = true;
      if (stopping) server.Stop();
    }
  });
  on_listening(port);
  server.Run();
  done = true;
  watcher.join();
  restore();
}

}  // namespace perf::server
