// tinyperf history [validation_results/]: the trend over every run directory (claims' measured
// values and benchmark medians), with change points, as history.md and a self-contained
// history.html (inline SVG line charts) written into the directory. Exit 0; 1 when a change
// point was found in a run in the last `--recent` runs (a shift that just happened); 2 when there
// are no runs, or none can be read.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/escape.h"
#include "perf_framework/history.h"

namespace tinyperf {

namespace {

struct HistoryOptions {
  std::string dir = "validation_results", out;
  int recent = 0;
};

int History(const HistoryOptions& o) {
  const perf::History h = perf::BuildHistory(o.dir);
  const std::string out = o.out.empty() ? o.dir : o.out;
  std::filesystem::create_directories(out);  // as report does with its --out
  fileio::WriteAtomically(out + "/history.md", h.ToMarkdown());
  fileio::WriteAtomically(out + "/history.html", h.ToHtml());
  std::printf("%s\ntinyperf history: wrote %s/history.md and %s/history.html\n",
              h.ToMarkdown().c_str(), perf::escape::Terminal(out).c_str(),
              perf::escape::Terminal(out).c_str());
  int recent = 0;
  for (const perf::HistorySeries& s : h.series) {
    for (const perf::ChangePoint& c : s.change_points) {
      recent += o.recent > 0 && s.runs[c.index] + static_cast<size_t>(o.recent) >= h.runs.size();
    }
  }
  return recent > 0 ? kExitInvalid : kExitOk;
}

}  // namespace

void AddHistoryCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<HistoryOptions>();
  CLI::App* c = app.add_subcommand(
      "history", "Trend report over validation runs with change points (history.md, history.html)");
  c->add_option("dir", o->dir, "The validation_results directory")->check(CLI::ExistingDirectory);
  c->add_option("--out", o->out, "Where to write history.md and history.html (default: dir)");
  c->add_option("--recent", o->recent,
                "Exit 1 if a change point falls in the last N runs (0: never)")
      ->check(CLI::Range(0, 100000));
  c->callback([o, &run] { run = [o] { return History(*o); }; });
}

}  // namespace tinyperf
