// tinyperf: does this optimization really work, by how much, and how sure are we?
//   tinyperf olympics submit|validate|leaderboard ...
//   tinyperf report CLAIMS_DIR|results.json [--out DIR]   (tinyperf --help for everything)
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>

#include "commands.h"
#include "perf_framework/escape.h"

namespace {

// "tinyperf olympics validate": the subcommands the command line chose, to head an error.
std::string CommandPath(const CLI::App& app) {
  std::string path = "tinyperf";
  for (const CLI::App* cmd = &app; !cmd->get_subcommands().empty();) {
    cmd = cmd->get_subcommands().front();
    path += " " + cmd->get_name();
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  // calibrate times benchmark binaries in child processes: they, and the fingerprint their noise
  // profile is stored under, must see OpenBLAS at its best kernel. OpenBLAS picks its kernel at
  // load time, so the process starts again with OPENBLAS_CORETYPE set.
  if (argc > 1 && std::string(argv[1]) == "calibrate") {
    if (const std::string coretype = tinyperf::CheckedBestCoretype(); !coretype.empty()) {
      std::fprintf(stderr,
                   "tinyperf calibrate: OpenBLAS fell back; running with OPENBLAS_CORETYPE=%s\n",
                   coretype.c_str());
      ::setenv("OPENBLAS_CORETYPE", coretype.c_str(), 1);
      ::execv("/proc/self/exe", argv);
    }
  }
  CLI::App app{"tinyperf: the TinyTorch performance validation tool"};
  app.require_subcommand(1);
  app.footer(tinyperf::kExitCodesHelp);
  std::function<int()> run;
  tinyperf::AddOlympicsCommands(app, run);
  tinyperf::AddReportCommand(app, run);
  tinyperf::AddCompareCommand(app, run);
  tinyperf::AddBaselineCommand(app, run);
  tinyperf::AddCalibrateCommand(app, run);
  tinyperf::AddHistoryCommand(app, run);
  tinyperf::AddEnvCommand(app, run);
  tinyperf::AddCountCommand(app, run);
  tinyperf::AddDbCommand(app, run);
  tinyperf::AddServeCommand(app, run);
  tinyperf::AddTokenCommands(app, run);
  tinyperf::AddSubmitCommand(app, run);
  tinyperf::AddPublishCommand(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // prints the help of the (sub)command asked about; 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the error and a pointer to --help
    return tinyperf::kExitUsage;
  }
  // The one place exceptions become exit codes: a command returns 1 itself for what it found, so
  // anything thrown is input it could not use (a file missing, unreadable or malformed; a binary
  // that will not run; an output that cannot be written): 2.
  try {
    return run ? run() : tinyperf::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", CommandPath(app).c_str(),
                 perf::escape::Terminal(e.what()).c_str());
    return tinyperf::kExitUsage;
  }
}
