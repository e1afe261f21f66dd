// tinyperf report: the validation report from claim results. Given a directory of per-claim
// results files (what the validation suites write under TT_VALIDATION_DIR) it merges them into
// results.json; given a results.json it re-renders it. Either way claims.md is written next to
// the output. Exit 0 when every contract PASSes and nothing is ERROR, 1 otherwise, 2 when the
// input cannot be read.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/report.h"

namespace tinyperf {

namespace fs = std::filesystem;

namespace {

struct ReportOptions {
  std::string input, out;
};

int Report(const ReportOptions& o) {
  const bool merge = fs::is_directory(o.input);
  perf::SuiteResults results;
  try {
    results =
        merge ? perf::MergeResultsDirectory(o.input, "validation") : perf::ReadResults(o.input);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tinyperf report: %s\n", e.what());
    return kExitUsage;
  }
  std::string out = o.out.empty() ? fs::path(o.input).parent_path().string() : o.out;
  if (out.empty()) out = ".";
  fs::create_directories(out);
  if (merge) perf::WriteResults(results, out + "/results.json");
  const std::string md = perf::ResultsMarkdown(results);
  fileio::WriteAtomically(out + "/claims.md", md);
  std::printf("%s", md.c_str());
  std::printf("\ntinyperf report: %zu claims; wrote %s/claims.md\n", results.claims.size(),
              out.c_str());
  return results.Healthy() ? kExitOk : kExitInvalid;
}

}  // namespace

void AddReportCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* r = app.add_subcommand(
      "report",
      "Render the validation report: merge a directory of claim results into results.json, or "
      "re-render a results.json; writes claims.md. Exit 1 if a contract is not PASS or anything "
      "is ERROR");
  r->add_option("input", o->input, "Directory of claim results, or a results.json")
      ->required()
      ->check(CLI::ExistingPath);
  r->add_option("--out", o->out, "Output directory (default: the input's parent directory)");
  r->callback([o, &run] { run = [o] { return Report(*o); }; });
}

}  // namespace tinyperf
