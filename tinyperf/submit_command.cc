// tinyperf submit [RUN_DIR] --server URL --token TOKEN [--machine NAME] [--outbox DIR] [--flush]:
// sends a validation run folder to the results server (perf_server/submit.h), after whatever
// waits in the outbox. Exit 0 when the run was stored, was already stored, or waits in the outbox
// (the server was unreachable or answered 429/5xx: the message says "queued"); 2 when the server
// refused it (4xx other than 429: not queued, fix and resubmit), when an outbox entry or the
// token was refused, or on a bad flag or unreadable run folder; 1 when the outbox cannot be
// written.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "perf_framework/escape.h"
#include "perf_server/submit.h"
#include "perf_store/run_bundle.h"

namespace tinyperf {

namespace {

using perf::escape::Terminal;

struct SubmitOptions {
  perf::server::SubmitOptions client;
  std::string run_dir, machine;
  bool flush = false;
};

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

// The outbox first, so runs arrive in the order they were made. Returns the number refused
// (one more when the token was: the entries wait, but the user must act).
int Flush(const perf::server::SubmitOptions& o) {
  const perf::server::FlushResult f = perf::server::FlushOutbox(o);
  for (const std::string& m : f.messages) std::fprintf(stderr, "tinyperf submit: %s\n", Terminal(m).c_str());
  if (f.delivered + f.waiting + f.rejected > 0) {
    std::printf("tinyperf submit: outbox %s: %d delivered, %d still waiting, %d refused\n",
                Terminal(o.outbox_dir).c_str(), f.delivered, f.waiting, f.rejected);
  }
  return f.rejected + (f.token_refused ? 1 : 0);
}

int Submit(const SubmitOptions& o) {
  perf::store::RunBundle bundle;
  try {
    perf::server::CheckServerUrl(o.client.server_url);
    if (!o.run_dir.empty()) {
      const std::string machine = o.machine.empty() ? HostName() : o.machine;
      // The folder's own name, not "latest": the run is named after the folder a link points to.
      bundle = perf::store::ReadRunFolder(std::filesystem::canonical(o.run_dir).string(), machine);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tinyperf submit: %s\n", Terminal(e.what()).c_str());
    return kExitUsage;
  }
  const int refused = Flush(o.client);
  if (o.run_dir.empty()) return refused > 0 ? kExitUsage : kExitOk;
  const perf::server::SubmitResult r = perf::server::SubmitBundle(bundle, o.client);
  switch (r.delivery) {
    case perf::server::Delivery::kStored:
    case perf::server::Delivery::kAlreadyStored:
      std::printf("tinyperf submit: run %s of machine %s %s (run id %lld)\n",
                  Terminal(bundle.run).c_str(), Terminal(bundle.machine).c_str(),
                  r.delivery == perf::server::Delivery::kStored ? "stored" : "was already stored",
                  static_cast<long long>(r.run_id));
      return refused > 0 ? kExitUsage : kExitOk;
    case perf::server::Delivery::kQueued:
      std::printf("tinyperf submit: queued run %s in %s: %s; `tinyperf submit --flush` (or the "
                  "next submit) sends it\n",
                  Terminal(bundle.run).c_str(), Terminal(r.outbox_file).c_str(),
                  Terminal(r.message).c_str());
      return refused > 0 ? kExitUsage : kExitOk;
    case perf::server::Delivery::kRejected:
      break;
  }
  std::fprintf(stderr, "tinyperf submit: the server refused run %s (not queued): %s\n",
               Terminal(bundle.run).c_str(), Terminal(r.message).c_str());
  return kExitUsage;
}

}  // namespace

void AddSubmitCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<SubmitOptions>();
  CLI::App* c = app.add_subcommand(
      "submit", "Send a validation run folder to a results server (an outbox keeps it otherwise)");
  c->add_option("run_dir", o->run_dir, "The run folder (validation_results/<timestamp>)")
      ->check(CLI::ExistingDirectory);
  c->add_option("--server", o->client.server_url, "http://HOST:PORT of tinyperf serve")->required();
  c->add_option("--token", o->client.token, "This machine's token (tinyperf token add)")
      ->envname("TINYPERF_TOKEN")
      ->required();
  c->add_option("--machine", o->machine, "The machine the token is for (default: the host name)");
  c->add_option("--outbox", o->client.outbox_dir, "Where runs wait for the server")
      ->capture_default_str();
  c->add_flag("--flush", o->flush, "Only send what waits in the outbox (no RUN_DIR)");
  c->callback([o, &run] {
    if (o->flush == !o->run_dir.empty()) {
      throw CLI::ValidationError("submit", "give either RUN_DIR or --flush");
    }
    run = [o] { return Submit(*o); };
  });
}

}  // namespace tinyperf
