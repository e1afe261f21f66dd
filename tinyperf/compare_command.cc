// tinyperf compare BASELINE CURRENT: regression detection between two runs. Google Benchmark JSON
// (--benchmark_out) is compared benchmark by benchmark (perf_framework/regression.h); either side
// may be a directory of such files, runs of one binary whose samples are merged. Two of our
// results.json files are compared claim by claim (a contract whose verdict got worse is a
// regression). The format is detected from the content. Exit 0 no regression, 1 at least one,
// 2 bad input or usage.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/counts.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/regression.h"
#include "perf_framework/report.h"

namespace tinyperf {

namespace {

using perf::format::Num;

struct CompareOptions {
  std::string baseline, current, format = "text", metric = "real_time", noise;
  double threshold_pct = 10, alpha = 0.05;
  bool threshold_given = false;
  double jitter_pct = 0;
};

enum class Kind { kGoogleBenchmark, kResults };

// Reads and classifies one input; throws naming the file.
std::pair<Kind, nlohmann::json> Load(const std::string& path) {
  nlohmann::json j = perf::ReadJsonFile(path);
  if (j.is_object() && j.contains("benchmarks")) return {Kind::kGoogleBenchmark, j};
  if (j.is_object() && j.contains("schema")) return {Kind::kResults, j};
  throw std::runtime_error(path +
                           ": neither Google Benchmark JSON (no 'benchmarks') nor a tinytorch "
                           "results file (no 'schema')");
}

// A Google Benchmark file, or a directory of them merged; throws naming the file.
perf::BenchmarkRun LoadBenchmarks(const std::string& path, const std::string& metric) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path)) {
    const auto [kind, j] = Load(path);
    if (kind != Kind::kGoogleBenchmark)
      throw std::runtime_error(path + ": not Google Benchmark JSON");
    return perf::ParseGoogleBenchmark(j, path, metric);
  }
  const std::vector<std::string> files = fileio::ListFiles(path, ".json");
  if (files.empty()) throw std::runtime_error(path + ": no *.json files in the directory");
  std::vector<perf::BenchmarkRun> runs;
  for (const std::string& f : files) runs.push_back(LoadBenchmarks(f, metric));
  return perf::MergeRuns(runs, path);
}

int CompareResults(const CompareOptions& o, const perf::SuiteResults& b,
                   const perf::SuiteResults& c) {
  const std::vector<perf::VerdictChange> changes = perf::CompareToBaseline(b, c);
  const auto worse =
      std::count_if(changes.begin(), changes.end(), [](const auto& x) { return x.worse; });
  if (o.format == "json") {
    nlohmann::json j = {{"comparisons", nlohmann::json::array()}, {"regressions", worse}};
    for (const perf::VerdictChange& x : changes) {
      j["comparisons"].push_back({{"name", x.module + "/" + x.id},
                                  {"kind", perf::ClaimKindName(x.kind)},
                                  {"baseline_verdict", x.before},
                                  {"current_verdict", x.after},
                                  {"verdict", x.worse ? "regression" : "changed"}});
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s", perf::BaselineMarkdown(changes, o.baseline).c_str());
  }
  return worse > 0 ? kExitInvalid : kExitOk;
}

// --metric instructions (or another count): two `tinyperf count` files, compared by the relative
// change of a deterministic number (counts.h); 1% unless --threshold says otherwise.
int CompareCountFiles(const CompareOptions& o) {
  perf::CountComparison report;
  try {
    report = perf::CompareCounts(
        perf::ParseCounts(perf::ReadJsonFile(o.baseline), o.baseline),
        perf::ParseCounts(perf::ReadJsonFile(o.current), o.current), o.metric,
        o.threshold_given ? o.threshold_pct : 1.0, o.jitter_pct);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tinyperf compare: %s\n", perf::escape::Terminal(e.what()).c_str());
    return kExitUsage;
  }
  if (report.changes.empty()) {
    std::fprintf(stderr, "tinyperf compare: no benchmark has %s in both %s and %s\n",
                 o.metric.c_str(), perf::escape::Terminal(o.baseline).c_str(),
                 perf::escape::Terminal(o.current).c_str());
    return kExitUsage;
  }
  if (o.format == "json") {
    std::printf("%s\n", report.ToJson().dump(2).c_str());
  } else if (o.format == "markdown") {
    std::printf("%s", report.ToMarkdown().c_str());
  } else {
    std::printf("%s", report.ToText().c_str());
  }
  return report.regressions > 0 ? kExitInvalid : kExitOk;
}

int Compare(const CompareOptions& o) {
  if (perf::IsCountMetric(o.metric)) return CompareCountFiles(o);
  perf::ComparisonReport report;
  perf::NoiseProfile profile;
  try {
    namespace fs = std::filesystem;
    if (!o.noise.empty()) {
      profile = perf::NoiseProfile::FromJson(perf::ReadJsonFile(o.noise), o.noise);
    }
    perf::BenchmarkRun base, current;
    if (!fs::is_directory(o.baseline) && !fs::is_directory(o.current)) {
      const auto [kb, jb] = Load(o.baseline);
      const auto [kc, jc] = Load(o.current);
      if (kb != kc) {
        throw std::runtime_error(o.baseline + " and " + o.current +
                                 " are different kinds of file (Google Benchmark JSON vs results)");
      }
      if (kb == Kind::kResults) {
        return CompareResults(o, perf::SuiteResults::FromJson(jb, o.baseline),
                              perf::SuiteResults::FromJson(jc, o.current));
      }
      base = perf::ParseGoogleBenchmark(jb, o.baseline, o.metric);
      current = perf::ParseGoogleBenchmark(jc, o.current, o.metric);
    } else {
      base = LoadBenchmarks(o.baseline, o.metric);
      current = LoadBenchmarks(o.current, o.metric);
    }
    perf::CompareOptions options{.threshold = o.threshold_pct / 100, .alpha = o.alpha};
    if (!profile.drift.empty()) {
      options.process_drift = [&profile](const std::string& n) { return profile.DriftFor(n); };
    }
    report = perf::CompareRuns(base, current, options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tinyperf compare: %s\n", perf::escape::Terminal(e.what()).c_str());
    return kExitUsage;
  }
  if (!o.noise.empty()) {
    if (profile.drift.empty()) {
      report.warnings.push_back(
          "noise profile " + o.noise +
          " has no drift between runs (version 1): the repetitions of one run are treated as "
          "independent, which overstates significance; rerun tinyperf calibrate");
      for (const perf::BenchmarkChange& c : report.changes) {
        const double resolution = profile.ResolutionFor(c.name);
        if (resolution > o.threshold_pct) {
          report.warnings.push_back(c.name + ": this machine's A/A resolution for its family is " +
                                    Num(resolution) + "% (" + o.noise +
                                    "), above the threshold: a regression that size can hide in "
                                    "the noise");
        }
      }
    } else {
      report.warnings.push_back(
          "drift between runs from " + o.noise + " is part of every interval and p-value; " +
          std::to_string(profile.recommended_runs) + " run(s) per side resolve " +
          Num(profile.threshold_pct) + "% for the median benchmark");
    }
    report.warnings.push_back(
        "noise profile " + o.noise + ": " + std::to_string(profile.false_alarms) +
        " false alarm(s) in " + std::to_string(profile.benchmarks) +
        " A/A benchmarks; expect about " + Num(profile.expected_false_alarms) +
        " false regression(s) per whole-suite comparison");
  }
  if (report.changes.empty()) {
    std::fprintf(stderr, "tinyperf compare: no benchmark appears in both %s and %s\n",
                 perf::escape::Terminal(o.baseline).c_str(),
                 perf::escape::Terminal(o.current).c_str());
    return kExitUsage;
  }
  if (o.format == "json") {
    std::printf("%s\n", report.ToJson().dump(2).c_str());
  } else if (o.format == "markdown") {
    std::printf("%s", report.ToMarkdown().c_str());
  } else {
    std::printf("%s", report.ToText().c_str());
  }
  return report.regressions > 0 ? kExitInvalid : kExitOk;
}

}  // namespace

void AddCompareCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* c = app.add_subcommand(
      "compare",
      "Compare two runs: Google Benchmark JSON (run with --benchmark_repetitions=N) benchmark by "
      "benchmark, or two results.json claim by claim. Exit 1 on a regression");
  c->add_option("baseline", o->baseline, "Baseline file, or a directory of Google Benchmark runs")
      ->required()
      ->check(CLI::ExistingPath);
  c->add_option("current", o->current, "Current file, or a directory of Google Benchmark runs")
      ->required()
      ->check(CLI::ExistingPath);
  c->add_option("--threshold", o->threshold_pct,
                "Slowdown in % that counts as a regression when significant (default 10; 1 for "
                "counts)")
      ->check(CLI::Range(0.1, 1000.0))
      ->each([o](const std::string&) { o->threshold_given = true; });
  c->add_option("--jitter", o->jitter_pct,
                "Counts only: a change of at most this % is 'identical' (default 0)")
      ->check(CLI::Range(0.0, 100.0));
  c->add_option("--alpha", o->alpha, "Family-wise significance level, Holm-corrected (0.05)")
      ->check(CLI::Range(1e-6, 0.5));
  c->add_option("--metric", o->metric,
                "real_time or cpu_time; for `tinyperf count` files instructions, l1d_misses, "
                "ll_misses or branch_mispredicts")
      ->check(CLI::IsMember({"real_time", "cpu_time", "instructions", "l1d_misses", "ll_misses",
                             "branch_mispredicts"}));
  c->add_option("--noise", o->noise,
                "A noise profile from tinyperf calibrate: warns where noise exceeds the threshold")
      ->check(CLI::ExistingFile);
  c->add_option("--format", o->format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  c->callback([o, &run] { run = [o] { return Compare(*o); }; });
}

}  // namespace tinyperf
