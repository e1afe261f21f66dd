// The subcommands of tinyperf, each registered on the CLI11 app by its own translation unit.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace tinyperf {

// Exit codes of every subcommand. A command returns kExitOk or kExitInvalid itself; main() turns
// a CLI11 parse error or any exception into kExitUsage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // a finding: the inputs were read and something is wrong
inline constexpr int kExitUsage = 2;    // bad input or usage: nothing was judged
inline constexpr const char* kExitCodesHelp =
    "Exit status (every command): 0 success; 1 a finding (a regression, a contract not PASS, an "
    "invalid submission, a benchmark that failed under count, no baseline for this machine, a "
    "BLAS kernel that computes wrong); 2 bad input or usage (an unknown option, a missing, "
    "unreadable or malformed file, a binary that cannot run, an output that cannot be written).";

// Adds `olympics submit|validate|leaderboard|event|publish`; the chosen command stores its action in `run`.
void AddOlympicsCommands(CLI::App& app, std::function<int()>& run);
// The digits data set the Olympics train on: installed, <prefix>/share/tinytorch/digits/digits.csv
// beside bin/tinyperf; in the build tree, the source tree's data/digits/digits.csv.
std::string DefaultDigitsCsv();
// Adds `report INPUT [--out DIR]` (report_command.cc).
void AddReportCommand(CLI::App& app, std::function<int()>& run);
// Adds `compare BASELINE CURRENT [--threshold] [--alpha] [--metric] [--noise] [--format]
// [--counts BASELINE_COUNTS CURRENT_COUNTS]` (compare_command.cc): perf::CompareFiles, or with
// --counts perf::CompareTimesAndCounts, rendered.
void AddCompareCommand(CLI::App& app, std::function<int()>& run);
void AddBaselineCommand(CLI::App& app, std::function<int()>& run);
// Adds `calibrate [BINARY...]` (calibrate_command.cc): perf::Calibrate (calibrate.h) on the
// binaries, its noise profile written.
void AddCalibrateCommand(CLI::App& app, std::function<int()>& run);
void AddHistoryCommand(CLI::App& app, std::function<int()>& run);
// Adds `count BINARY [-- ARGS]` (count_command.cc): instruction counts under Valgrind.
void AddCountCommand(CLI::App& app, std::function<int()>& run);
// The OPENBLAS_CORETYPE that runs this process's OpenBLAS at its best, when it fell back and the
// user set nothing, after a child process has checked it computes right; empty otherwise.
std::string CheckedBestCoretype();
// Adds `db init|import|export|runs [--db URL]` (db_command.cc): the results database
// (perf_store/store.h).
void AddDbCommand(CLI::App& app, std::function<int()>& run);
// `db simulate`, the store's scale benchmark (simulate_command.cc), added by AddDbCommand.
void AddDbSimulateCommand(CLI::App& db, std::function<int()>& run);
// Adds `env [--format text|json] [--tune] [--exports]` (env_command.cc).
void AddEnvCommand(CLI::App& app, std::function<int()>& run);
// Adds `serve --db URL [--listen HOST:PORT]` (serve_command.cc): perf::server::Server until
// SIGINT/SIGTERM.
void AddServeCommand(CLI::App& app, std::function<int()>& run);
// Adds `token add|revoke --db URL --machine NAME` (token_command.cc).
void AddTokenCommands(CLI::App& app, std::function<int()>& run);
// Adds `submit [RUN_DIR] --server URL --token TOKEN [--flush]` (submit_command.cc).
void AddSubmitCommand(CLI::App& app, std::function<int()>& run);
// Adds `publish --db URL --out DIR` (publish_command.cc): the dashboard as DIR/index.html and one
// page per benchmark under DIR/benchmarks/.
void AddPublishCommand(CLI::App& app, std::function<int()>& run);

}  // namespace tinyperf
