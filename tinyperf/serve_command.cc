// tinyperf serve --db URL [--listen HOST:PORT]: the results server (perf_server/server.h) until
// SIGINT or SIGTERM. Prints "listening on http://HOST:PORT" once it accepts connections (with
// --listen HOST:0, the port the kernel chose). Exit 0 after a clean stop; 2 when the database or
// the address cannot be used.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_server/server.h"

namespace tinyperf {

namespace {

struct ServeOptions {
  perf::server::ServerOptions server;
  std::string listen = "127.0.0.1:8080";
  int max_body_mib = 32;
};

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
  c->callback([o, &run] { run = [o] { return Serve(*o); }; });
}

}  // namespace tinyperf
