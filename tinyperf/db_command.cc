// tinyperf db init|import|export|runs [--db URL]: the results database (perf_store/store.h).
//   init                         create or migrate the schema
//   import RUN_DIR...            store run folders (each once; a folder stored before is reported)
//   export RUN OUT_DIR           write a stored run's documents back, byte-identical
//   runs                         the newest runs, with their verdict counts
//   detect                       (re)scan the stored series for changes and record the new ones
//   simulate                     the scale benchmark (simulate_command.cc)
// URL: sqlite:PATH (default sqlite:validation_results/perf.db) or postgresql://...
// Exit 0 ok; 2 bad input (usage, unreadable or malformed run folder, unknown run, bad URL);
// 1 the database failed.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "perf_framework/escape.h"
#include "perf_store/store.h"

namespace tinyperf {

namespace {

using perf::escape::Terminal;

struct DbOptions {
  std::string url = "sqlite:validation_results/perf.db";
  std::string machine;  // default: this host's name
  std::vector<std::string> run_dirs;
  std::string run, out_dir;
  int limit = 20;
};

// This host's name in the characters a machine name allows (others become '-').
std::string HostMachineName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  std::string name(host);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  }
  if (name.size() > 64) name.resize(64);
  if (name[0] == '.') name[0] = '-';
  return name;
}

// Runs `body`; a database failure is exit 1, any other error (the user's input) exit 2.
template <class F>
int Guarded(const char* command, F&& body) {
  try {
    return body();
  } catch (const perf::store::StoreError& e) {
    std::fprintf(stderr, "tinyperf db %s: %s\n", command, Terminal(e.what()).c_str());
    return kExitInvalid;
  } catch (const perf::Error& e) {
    std::fprintf(stderr, "tinyperf db %s: %s\n", command, Terminal(e.what()).c_str());
    return kExitUsage;
  }
}

int Init(const DbOptions& o) {
  return Guarded("init", [&] {
    const int version = perf::store::Store::Open(o.url).Init();
    std::printf("tinyperf db init: schema version %d\n", version);
    return kExitOk;
  });
}

int Import(const DbOptions& o) {
  return Guarded("import", [&] {
    perf::store::Store store = perf::store::Store::Open(o.url);
    store.Init();  // idempotent: the first import into a new file creates the schema
    const std::string machine = o.machine.empty() ? HostMachineName() : o.machine;
    int status = kExitOk;
    for (const std::string& dir : o.run_dirs) {
      // One bad folder does not stop the others; the exit status is the first failure's.
      const int one = Guarded("import", [&] {
        const perf::store::ImportResult r =
            store.ImportRun(perf::store::ReadRunFolder(dir, machine));
        std::printf("%s: %s run %lld (%d new changes detected)\n", Terminal(dir).c_str(),
                    r.created ? "stored as" : "already stored as", static_cast<long long>(r.run_id),
                    r.detected.recorded);
        return kExitOk;
      });
      if (status == kExitOk) status = one;
    }
    return status;
  });
}

int Export(const DbOptions& o) {
  return Guarded("export", [&] {
    perf::store::Store store = perf::store::Store::Open(o.url);
    // RUN is a run id, or a run folder's name (its newest import, of --machine if given).
    std::optional<int64_t> id;
    if (!o.run.empty() && o.run.size() < 19 &&
        std::all_of(o.run.begin(), o.run.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      id = std::stoll(o.run);
    } else {
      id = store.FindRun(o.machine, o.run);
    }
    PERF_CHECK(id.has_value(), "no run named '", o.run, "' in the store (see tinyperf db runs)");
    const perf::store::RunBundle bundle = store.ExportRun(*id);
    perf::store::WriteRunFolder(bundle, o.out_dir);
    std::printf("tinyperf db export: run %lld (%s, machine %s): %zu documents in %s\n",
                static_cast<long long>(*id), Terminal(bundle.run).c_str(),
                Terminal(bundle.machine).c_str(), bundle.documents.size(),
                Terminal(o.out_dir).c_str());
    return kExitOk;
  });
}

int Runs(const DbOptions& o) {
  return Guarded("runs", [&] {
    perf::store::Store store = perf::store::Store::Open(o.url);
    std::printf("%6s  %-20s  %-24s  %-10s  %5s %7s %5s %5s  %8s\n", "id", "machine", "run",
                "commit", "PASS", "PARTIAL", "FAIL", "ERROR", "samples");
    for (const perf::store::RunInfo& r : store.ListRuns({o.machine, o.limit})) {
      std::printf("%6lld  %-20s  %-24s  %-10s  %5d %7d %5d %5d  %8lld\n",
                  static_cast<long long>(r.id), Terminal(r.machine).c_str(),
                  Terminal(r.run).c_str(), Terminal(r.commit.substr(0, 10)).c_str(), r.pass,
                  r.partial, r.fail, r.error, static_cast<long long>(r.samples));
    }
    return kExitOk;
  });
}

int Detect(const DbOptions& o) {
  return Guarded("detect", [&] {
    perf::store::Store store = perf::store::Store::Open(o.url);
    const perf::store::DetectResult r = store.DetectChanges(o.machine);
    std::printf(
        "tinyperf db detect: %d series searched, %d changes found, %d of them new (recorded)\n",
        r.series, r.found, r.recorded);
    return kExitOk;
  });
}

}  // namespace

void AddDbCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<DbOptions>();
  CLI::App* db =
      app.add_subcommand("db", "The results database: init, import, export, runs, detect");
  db->require_subcommand(1);
  db->footer(
      "Exit status: 0 ok, 2 bad input (usage, a malformed or unreadable run folder, an unknown "
      "run, a bad URL), 1 the database failed.");
  const auto add_url = [&](CLI::App* c) {
    c->add_option("--db", o->url, "sqlite:PATH or postgresql://... (default " + o->url + ")");
  };
  CLI::App* init = db->add_subcommand("init", "Create or migrate the schema");
  add_url(init);
  init->callback([o, &run] { run = [o] { return Init(*o); }; });

  CLI::App* import =
      db->add_subcommand("import", "Store run folders (validation_results/<stamp>/)");
  add_url(import);
  import->add_option("run_dirs", o->run_dirs, "Run folders")
      ->required()
      ->check(CLI::ExistingDirectory);
  import->add_option("--machine", o->machine,
                     "The machine that produced them (default: host name)");
  import->callback([o, &run] { run = [o] { return Import(*o);
};
}  // namespace tinyperf
);

CLI::App* exp = db->add_subcommand("export", "Write a stored run's documents into a folder");
add_url(exp);
exp->add_option("run", o->run, "Run id, or run folder name (its newest import)")->required();
exp->add_option("out_dir", o->out_dir, "Folder to write (created; existing files must match)")
    ->required();
exp->add_option("--machine", o->machine, "With a run name: that machine's run");
exp->callback([o, &run] { run = [o] { return Export(*o); }; });

CLI::App* runs = db->add_subcommand("runs", "The newest stored runs");
add_url(runs);
runs->add_option("--machine", o->machine, "Only this machine's runs");
runs->add_option("--limit", o->limit, "How many (default 20)")->check(CLI::Range(1, 100000));
runs->callback([o, &run] { run = [o] { return Runs(*o); }; });

CLI::App* detect = db->add_subcommand(
    "detect", "Search the stored series for changes (as tinyperf history) and record new ones");
add_url(detect);
detect->add_option("--machine", o->machine, "Only this machine's series");
detect->callback([o, &run] { run = [o] { return Detect(*o); }; });

AddDbSimulateCommand(*db, run);
}

}  // namespace tinyperf
