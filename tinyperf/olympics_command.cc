// tinyperf olympics: submit (measure a baseline and an optimized model, write a submission),
// validate (check submission files), leaderboard (rank the valid ones for an event).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/environment.h"
#include "perf_framework/escape.h"
#include "perf_framework/statistics.h"
#include "tinytorch/digits.h"
#include "tinytorch/tinytorch.h"

namespace tinyperf {
namespace {

namespace fs = std::filesystem;
using namespace tinytorch;

// ---------------------------------------------------------------------------------------------
// submit

// The digits data set: installed, in <prefix>/TT_INSTALL_DATA_DIR beside bin/tinyperf; in the
// build tree, the source tree's data/ (TT_DATA_DIR).
std::string DefaultDigitsCsv() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path installed =
      self.parent_path().parent_path() / TT_INSTALL_DATA_DIR / "digits" / "digits.csv";
  if (!ec && fs::is_regular_file(installed, ec)) return installed.string();
  return TT_DATA_DIR "/digits/digits.csv";
}

struct SubmitOptions {
  std::string event, athlete, division = "closed", data = DefaultDigitsCsv(), out;
  std::vector<std::string> techniques;
  double latency_seconds = 1.0;
  int epochs = 20;
  uint64_t seed = 42;
};

// A float copy of the digits MLP with `model`'s weights.
std::shared_ptr<Sequential> FloatCopy(const Sequential& model, uint64_t seed) {
  Generator gen(seed);
  std::shared_ptr<Sequential> copy = digits::BuildMlp(gen);
  copy->LoadState(model.GetStateDict());
  return copy;
}

// Parses and checks the list before any training starts. Pruning needs float Linear layers, so it
// must come before int8 and sparse, which are alternatives to each other.
std::vector<OlympicTechnique> ParseTechniques(const std::vector<std::string>& techniques) {
  std::vector<OlympicTechnique> out;
  bool converted = false;  // int8 or sparse seen: no float Linear layers left after it
  for (const std::string& t : techniques) {
    OlympicTechnique step = ParseOlympicTechnique(t);
    if (converted) {
      throw Error("technique '" + t + "' cannot follow int8 or sparse (pruning needs float " +
                  "layers; int8 and sparse are alternatives)");
    }
    converted = step.name == "int8" || step.name == "sparse";
    out.push_back(std::move(step));
  }
  return out;
}

// Applies the techniques in order to a copy of `base`.
std::shared_ptr<Sequential> ApplyTechniques(const std::shared_ptr<Sequential>& base,
                                            const std::vector<OlympicTechnique>& techniques,
                                            const Tensor& calibration, uint64_t seed) {
  std::shared_ptr<Sequential> model = FloatCopy(*base, seed);
  for (const OlympicTechnique& t : techniques) {
    if (t.name == "int8") {
      model = QuantizeModel(*model, {}, calibration);
    } else if (t.name == "sparse") {
      model = ToSparse(*model);
    } else if (t.name == "prune") {
      MagnitudePrune(*model, t.fraction, /*global=*/true);
    } else {
      model = StructuredPrune(*model, t.fraction);
    }
  }
  return model;
}

OlympicMetrics Metrics(const ModelBenchmark& r) {
  if (!r.ok) throw Error("benchmark of '" + r.model + "' failed: " + r.error);
  const perf::Interval median = perf::OrderStatisticMedianInterval(r.latency.values);
  if (!std::isfinite(median.low) || !std::isfinite(median.high)) {
    throw Error("benchmark of '" + r.model + "' took too few latency samples (" +
                std::to_string(r.latency.count) + ") for an interval; raise " +
                "--latency-seconds");
  }
  return {.model = r.model,
          .accuracy = {r.accuracy, r.accuracy_low, r.accuracy_high},
          .latency_ms = {median.estimate, median.low, median.high},
          .size_bytes = r.state_bytes,
          .evaluated = r.evaluated};
}

// File names, and the names and values errors quote, come from whoever wrote the file: on the
// terminal they are text, never control sequences.
void PrintCheck(const std::string& source, const SubmissionCheck& check) {
  using perf::escape::Terminal;
  std::printf("%s: %s\n", Terminal(source).c_str(), check.valid() ? "valid" : "INVALID");
  for (const std::string& e : check.errors) std::printf("  error: %s\n", Terminal(e).c_str());
  for (const std::string& w : check.warnings) std::printf("  warning: %s\n", Terminal(w).c_str());
}

int Submit(const SubmitOptions& o) {
  const OlympicEvent event = ParseOlympicEvent(o.event);
  if (o.division != "closed" && o.division != "open") {
    throw Error("--division must be closed or open, got '" + o.division + "'");
  }
  const std::vector<OlympicTechnique> techniques = ParseTechniques(o.techniques);
  const digits::Split split = digits::Load(o.data);
  Generator gen(o.seed);
  std::shared_ptr<Sequential> base = digits::BuildMlp(gen);
  std::printf("training the baseline 64-128-64-10 MLP on %s (%d epochs)...\n", o.data.c_str(),
              o.epochs);
  digits::Train(*base, split, /*images=*/false, o.epochs, 2e-3f, o.seed);
  std::shared_ptr<Sequential> optimized = ApplyTechniques(base, techniques, split.train_x, o.seed);

  std::string label = "digits_mlp";
  for (const std::string& t : o.techniques) label += "+" + t;
  const EvaluationSet eval{.name = "digits/test", .inputs = split.test_x, .labels = split.test_y};
  const Tensor query = split.test_x.Slice(0, 0, 1);
  const Benchmark bench({.latency_seconds = o.latency_seconds});
  Submission s;
  s.division = o.division;
  s.event = event;
  s.athlete = o.athlete;
  s.baseline = Metrics(bench.Run(BenchmarkModel::Of("digits_mlp", base), query, &eval));
  s.optimized = Metrics(bench.Run(BenchmarkModel::Of(label, optimized), query, &eval));
  s.techniques = o.techniques;
  s.environment_json = perf::CaptureEnvironment().ToJson().dump();
  s.timestamp = perf::UtcNow();

  const OlympicScores scores = ScoreSubmission(event, s.baseline, s.optimized);
  std::printf("baseline  %-40s accuracy %.4f  median %.4f ms  %lld bytes\n",
              s.baseline.model.c_str(), s.baseline.accuracy.value, s.baseline.latency_ms.value,
              static_cast<long long>(s.baseline.size_bytes));
  std::printf("optimized %-40s accuracy %.4f  median %.4f ms  %lld bytes\n",
              s.optimized.model.c_str(), s.optimized.accuracy.value, s.optimized.latency_ms.value,
              static_cast<long long>(s.optimized.size_bytes));
  std::printf(
      "speedup %.2fx [%.2f, %.2f], compression %.2fx, accuracy %+.2f points, "
      "efficiency %.3f, %s score %.4g\n",
      scores.speedup, scores.speedup_low, scores.speedup_high, scores.compression_ratio,
      100 * scores.accuracy_delta, scores.efficiency, EventName(event), scores.event_score);
  const std::string json = s.ToJson();
  const SubmissionCheck check = ValidateSubmission(json);
  if (!fs::path(o.out).parent_path().empty()) fs::create_directories(fs::path(o.out).parent_path());
  WriteFileAtomically(o.out, json + "\n");
  PrintCheck(o.out, check);
  return check.valid() ? kExitOk : kExitInvalid;
}

// ---------------------------------------------------------------------------------------------
// validate and leaderboard

int Validate(const std::vector<std::string>& files) {
  bool all_valid = true;
  for (const std::string& f : files) {
    const SubmissionCheck check = ValidateSubmission(ReadFile(f));
    PrintCheck(f, check);
    all_valid = all_valid && check.valid();
  }
  return all_valid ? kExitOk : kExitInvalid;
}

// Files as given; directories contribute their *.json files, sorted by name.
std::vector<std::pair<std::string, std::string>> Submissions(
    const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& p : paths) {
    if (!fs::is_directory(p)) {
      out.emplace_back(p, ReadFile(p));
      continue;
    }
    for (const std::string& f : fileio::ListFiles(p, ".json")) out.emplace_back(f, ReadFile(f));
  }
  return out;
}

int ShowLeaderboard(const std::string& event, const std::string& division,
                    const std::string& format, const std::vector<std::string>& paths) {
  const Leaderboard board =
      BuildLeaderboard(ParseOlympicEvent(event), division, Submissions(paths));
  std::printf("%s",
              format == "json" ? (board.ToJson() + "\n").c_str() : board.ToMarkdown().c_str());
  return board.rejected.empty() ? kExitOk : kExitInvalid;
}

}  // namespace

void AddOlympicsCommands(CLI::App& app, std::function<int()>& run) {
  CLI::App* olympics = app.add_subcommand(
      "olympics", "TorchPerf Olympics: submit, validate and rank optimization results");
  olympics->require_subcommand(1);
  const auto event_check = CLI::IsMember(
      {"latency_sprint", "memory_challenge", "accuracy_contest", "all_around", "extreme_push"});

  auto submit = std::make_shared<SubmitOptions>();
  CLI::App* s = olympics->add_subcommand(
      "submit",
      "Train the digits MLP baseline, apply the techniques, measure both (latency, accuracy, "
      "size) and write a validated submission");
  s->add_option("--event", submit->event, "Olympic event (rules: see tinytorch/olympics.h)")
      ->required()
      ->check(event_check);
  s->add_option("--athlete", submit->athlete, "Your name on the leaderboard")->required();
  s->add_option("--technique", submit->techniques,
                "Applied in order: int8, sparse, prune=<fraction>, structured=<fraction> "
                "(repeatable)")
      ->required();
  s->add_option("--division", submit->division, "closed or open")
      ->check(CLI::IsMember({"closed", "open"}))
      ->capture_default_str();
  s->add_option("--out", submit->out, "Submission file to write")->required();
  s->add_option("--data", submit->data, "digits.csv")->capture_default_str();
  s->add_option("--latency-seconds", submit->latency_seconds, "Timer budget per model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  s->add_option("--epochs", submit->epochs, "Baseline training epochs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  s->add_option("--seed", submit->seed, "Seed of the baseline's initialisation and shuffling")
      ->capture_default_str();
  s->callback([submit, &run] { run = [submit] { return Submit(*submit); }; });

  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* v =
      olympics->add_subcommand("validate", "Check submission files; exit 1 if any is invalid");
  v->add_option("files", *files, "Submission JSON files")->required();
  v->callback([files, &run] { run = [files] { return Validate(*files); }; });

  struct BoardOptions {
    std::string event, division = "closed", format = "markdown";
    std::vector<std::string> paths;
  };
  auto board = std::make_shared<BoardOptions>();
  CLI::App* l = olympics->add_subcommand(
      "leaderboard",
      "Rank the valid submissions for one event and division; exit 1 if any was rejected");
  l->add_option("--event", board->event, "Olympic event")->required()->check(event_check);
  l->add_option("--division", board->division, "closed or open")
      ->check(CLI::IsMember({"closed", "open"}))
      ->capture_default_str();
  l->add_option("--format", board->format, "markdown or json")
      ->check(CLI::IsMember({"markdown", "json"}))
      ->capture_default_str();
  l->add_option("paths", board->paths, "Submission files or directories of *.json")->required();
  l->callback([board, &run] {
    run = [board] {
      return ShowLeaderboard(board->event, board->division, board->format, board->paths);
    };
  });
}

}  // namespace tinyperf
