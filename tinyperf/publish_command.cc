// tinyperf publish --db URL --out DIR: the fleet dashboard (perf_server/dashboard.h) as a static
// site: DIR/index.html and one page per benchmark under DIR/benchmarks/, each written atomically.
// Exit 0; 2 when the database cannot be read or DIR cannot be written.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "perf_framework/escape.h"
#include "perf_server/dashboard.h"
#include "perf_store/store.h"

namespace tinyperf {

namespace {

struct PublishOptions {
  std::string db = "sqlite:validation_results/perf.db", out;
};

int Publish(const PublishOptions& o) {
  int pages = 0;
  try {
    perf::store::Store store = perf::store::Store::Open(o.db);
    pages = perf::server::PublishDashboard(store, o.out);
  } catch (const perf::Error& e) {
    std::fprintf(stderr, "tinyperf publish: %s\n", perf::escape::Terminal(e.what()).c_str());
    return kExitUsage;
  }
  std::printf("tinyperf publish: wrote %s/index.html and %d benchmark page(s)\n",
              perf::escape::Terminal(o.out).c_str(), pages);
  return kExitOk;
}

}  // namespace

void AddPublishCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<PublishOptions>();
  CLI::App* c = app.add_subcommand(
      "publish", "The fleet dashboard as a static site (index.html, benchmarks/*.html)");
  c->add_option("--db", o->db, "sqlite:PATH or postgresql://...")->capture_default_str();
  c->add_option("--out", o->out, "The directory to write the site into")->required();
  c->callback([o, &run] { run = [o] { return Publish(*o); }; });
}

}  // namespace tinyperf
