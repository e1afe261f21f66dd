// tinyperf serve --db URL [--listen HOST:PORT]: the results server (perf_server/server.h) until
// SIGINT or SIGTERM. With --worker, an Olympics verification worker instead
// (perf_server/olympics_worker.h): no HTTP, it claims and re-measures queued submissions. Prints "listening on http://HOST:PORT" once it accepts connections (with
// --listen HOST:0, the port the kernel chose). Exit 0 after a clean stop; 2 when the database or
// the address cannot be used.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_server/olympics_worker.h"
#include "perf_server/server.h"

namespace tinyperf {

namespace {

struct ServeOptions {
  perf::server::ServerOptions server;
  std::string listen = "127.0.0.1:8080";
  int max_body_mib = 32;
  bool worker = false;
  perf::server::WorkerOptions worker_options;
};

std::atomic<bool> worker_stop = false;
extern "C" void OnWorkerStop(int) { worker_stop = true; }

// The verification worker until SIGINT or SIGTERM (the submission being measured finishes first)
// or, with --drain, until the queue is empty.
int Work(ServeOptions& o) {
  perf::server::WorkerOptions& w = o.worker_options;
  w.db_url = o.server.db_url;
  struct sigaction action {};
  action.sa_handler = OnWorkerStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::printf("tinyperf serve --worker: verifying submissions from %s\n",
              perf::escape::Terminal(w.db_url).c_str());
  std::fflush(stdout);
  const perf::server::WorkerStats stats = perf::server::RunWorker(
      w, worker_stop, [](const perf::store::Job& job, const perf::store::Outcome& outcome) {
        std::printf("submission %lld (%s, %s): %s%s%s\n", static_cast<long long>(job.id),
                    job.event.c_str(), perf::escape::Terminal(job.athlete).c_str(),
                    outcome.status.c_str(), outcome.reason.empty() ? "" : ": ",
                    perf::escape::Terminal(outcome.reason).c_str());
        std::fflush(stdout);
      });
  std::printf("tinyperf serve --worker: stopped (verified %d, rejected %d, error %d, lost %d)\n",
              stats.verified, stats.rejected, stats.errors, stats.lost);
  return kExitOk;
}

// "HOST:PORT" or "[IPV6]:PORT" into the options.
void ParseListen(const std::string& listen, perf::server::ServerOptions& o) {
  const size_t colon = listen.rfind(':');
  PERF_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < listen.size(), "--listen '",
             listen, "': expected HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  PERF_CHECK(port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos,
             "--listen '", listen, "': the port is not a number");
  o.host = host;
  o.port = std::stoi(port);
  PERF_CHECK(o.port <= 65535, "--listen '", listen, "': port over 65535");
}

int Serve(ServeOptions& o) {
  try {
    if (o.worker) return Work(o);
    ParseListen(o.listen, o.server);
    o.server.max_body_bytes = static_cast<size_t>(o.max_body_mib) << 20;
    perf::server::Server server(o.server);
    perf::server::ServeUntilSignal(server, [&](int port) {
      std::printf("tinyperf serve: listening on http://%s:%d (database %s)\n",
                  perf::escape::Terminal(o.server.host).c_str(), port,
                  perf::escape::Terminal(o.server.db_url).c_str());
      std::fflush(stdout);
    });
  } catch (const perf::Error& e) {
    std::fprintf(stderr, "tinyperf serve: %s\n", perf::escape::Terminal(e.what()).c_str());
    return kExitUsage;
  }
  std::printf("tinyperf serve: stopped\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* c = app.add_subcommand("serve", "The results server: submissions and the read API");
  c->add_option("--db", o->server.db_url, "sqlite:PATH or postgresql://...")->required();
  c->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  c->add_option("--max-body-mib", o->max_body_mib, "Largest accepted run bundle, in MiB")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  c->add_option("--rate-per-minute", o->server.submissions_per_minute,
                "Submissions per minute per token (0: no limit)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  c->add_option("--burst", o->server.submission_burst, "Submissions at once per token")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  c->add_option("--threads", o->server.threads, "Requests handled at once")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  c->add_flag("--worker", o->worker,
              "Run an Olympics verification worker instead of the HTTP server (several may run)");
  c->add_option("--worker-id", o->worker_options.worker_id, "Unique worker name (HOST:PID)");
  o->worker_options.digits_csv = DefaultDigitsCsv();
  c->add_option("--data", o->worker_options.digits_csv, "digits.csv the recipes train on")
      ->capture_default_str();
  c->add_option("--latency-seconds", o->worker_options.latency_seconds,
                "Worker: timer budget per model (small only in tests)")
      ->check(CLI::Range(0.001, 60.0))
      ->capture_default_str();
  c->add_option("--lease-seconds", o->worker_options.lease_seconds,
                "Worker: a claim unfinished after this long goes to another worker")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  c->add_flag("--drain", o->worker_options.drain, "Worker: exit once the queue is empty");
  c->callback([o, &run] { run = [o] { return Serve(*o); }; });
}

}  // namespace tinyperf
