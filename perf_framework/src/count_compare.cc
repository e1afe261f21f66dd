// Comparing instruction counts (counts.h): a deterministic figure per benchmark, so the relative
// change decides; rendered as text, Markdown and JSON like the timing comparison.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "fileio/fileio.h"
#include "perf_framework/counts.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/regression_compare.h"
#include "perf_framework/suite.h"

namespace perf {
namespace {

constexpr const char* kCountMetrics[] = {"instructions", "l1d_misses", "ll_misses",
                                         "branch_mispredicts"};

// A count as written: whole numbers without a fraction, others to 4 significant digits.
std::string Count(double v) {
  if (!std::isfinite(v)) return "–";
  if (v == std::round(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  return format::Num(v);
}

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f%%", v);
  return buf;
}

std::string Severity(double change_pct, double threshold_pct) {
  if (change_pct < 2 * threshold_pct) return "minor";
  if (change_pct < 5 * threshold_pct) return "moderate";
  return "severe";
}

}  // namespace

std::string CountBaselineKey(const nlohmann::json& context) {
  const auto field = [](const nlohmann::json& j, const char* key) -> std::string {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : "unknown";
  };
  const nlohmann::json none;
  const nlohmann::json& count = context.is_object() && context.contains("count") ? context["count"]
                                                                                 : none;
  const std::string raw = field(context, "tinytorch_compiler") + "-" +
                          field(context, "tinytorch_march") + "-" + field(count, "tt_simd_level");
  // A directory name: lower-case letters, digits, dots and single dashes only.
  std::string key;
  for (char c : raw) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.';
    if (keep) {
      key += l;
    } else if (!key.empty() && key.back() != '-') {
      key += '-';
    }
  }
  while (!key.empty() && key.back() == '-') key.pop_back();
  return escape::Shorten(key, 80);
}

bool IsCountMetric(const std::string& metric) {
  for (const char* m : kCountMetrics) {
    if (metric == m) return true;
  }
  return false;
}

CountSet ParseCounts(const nlohmann::json& j, const std::string& source) {
  PERF_CHECK(j.is_object() && j.contains("benchmarks") && j["benchmarks"].is_array(), source,
             ": not Google Benchmark JSON (no 'benchmarks' array)");
  CountSet set;
  set.source = source;
  if (j.contains("context") && j["context"].is_object()) set.context = j["context"];
  size_t index = 0;
  for (const auto& b : j["benchmarks"]) {
    const std::string where = source + ": benchmarks[" + std::to_string(index++) + "]";
    PERF_CHECK(b.is_object() && b.contains("name") && b["name"].is_string(), where,
               ": no string 'name'");
    if (JsonOptional(b, "run_type", std::string("iteration"), where) != "iteration") continue;
    const std::string name = JsonOptional(b, "run_name", b["name"].get<std::string>(), where);
    if (JsonOptional(b, "error_occurred", false, where)) {
      set.errors.emplace_back(name, JsonOptional(b, "error_message", std::string("error"), where));
      continue;
    }
    std::map<std::string, double> counters;
    for (const char* m : kCountMetrics) {
      if (!b.contains(m)) continue;
      PERF_CHECK(b[m].is_number(), where, " (", escape::Shorten(name, 80), "): '", m,
                 "' is not a number");
      const double v = b[m].get<double>();
      PERF_CHECK(std::isfinite(v) && v >= 0, where, " (", escape::Shorten(name, 80), "): '", m,
                 "' is ", v, ", not a count");
      counters[m] = v;
    }
    for (auto& [n, c] : set.benchmarks) {
      PERF_CHECK(n != name, where, ": benchmark '", escape::Shorten(name, 80),
                 "' appears twice (counts have one entry per benchmark)");
    }
    set.benchmarks.emplace_back(name, std::move(counters));
  }
  return set;
}

CountSet ReadCounts(const std::string& path) {
  if (!std::filesystem::is_directory(path)) return ParseCounts(ReadJsonFile(path), path);
  const std::vector<std::string> files = fileio::ListFiles(path, ".json");
  PERF_CHECK(!files.empty(), path, ": no *.json count files in the directory");
  CountSet all;
  all.source = path;
  std::map<std::string, std::string> file_of;  // benchmark -> the file it came from
  for (const std::string& f : files) {
    CountSet one = ParseCounts(ReadJsonFile(f), f);
    if (all.context.is_null()) all.context = one.context;
    for (auto& b : one.benchmarks) {
      const auto [it, fresh] = file_of.emplace(b.first, f);
      PERF_CHECK(fresh, "benchmark '", escape::Shorten(b.first, 80), "' is counted in both ",
                 it->second, " and ", f);
      all.benchmarks.push_back(std::move(b));
    }
    for (auto& e : one.errors) all.errors.push_back(std::move(e));
  }
  return all;
}

CountComparison CompareCounts(const CountSet& baseline, const CountSet& current,
                              const std::string& metric, double threshold_pct, double jitter_pct) {
  PERF_CHECK(IsCountMetric(metric), "CompareCounts: '", metric, "' is not a count metric");
  PERF_CHECK(threshold_pct > 0 && jitter_pct >= 0 && jitter_pct < threshold_pct,
             "CompareCounts: need 0 <= jitter (", jitter_pct, "%) < threshold (", threshold_pct,
             "%)");
  CountComparison out;
  out.metric = metric;
  out.baseline_source = baseline.source;
  out.current_source = current.source;
  out.threshold_pct = threshold_pct;
  out.jitter_pct = jitter_pct;
  // Counts taken differently are different quantities.
  const auto how = [](const CountSet& s, const char* key) -> std::string {
    if (!s.context.contains("count") || !s.context["count"].is_object()) return "not recorded";
    const auto& c = s.context["count"];
    return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : "not recorded";
  };
  for (const char* key : {"tool", "tt_simd_level", "cache_model"}) {
    const std::string a = how(baseline, key), b = how(current, key);
    if (a != b) {
      out.warnings.push_back(std::string("the counts were taken differently (") + key + ": " + a +
                             " vs " + b + "): differences may come from that, not the code");
    }
  }
  for (const auto& [name, reason] : current.errors) {
    out.warnings.push_back(name + " was not counted in " + current.source + ": " + reason);
  }
  // `&name = name`: clang 14 cannot capture a structured binding itself.
  for (const auto& [name, counters] : baseline.benchmarks) {
    const auto it = std::find_if(current.benchmarks.begin(), current.benchmarks.end(),
                                 [&name = name](const auto& c) { return c.first == name; });
    if (it == current.benchmarks.end()) {
      out.only_baseline.push_back(name);
      continue;
    }
    const auto b = counters.find(metric);
    const auto c = it->second.find(metric);
    if (b == counters.end() || c == it->second.end()) {
      out.warnings.push_back(name + ": no " + metric + " on both sides");
      continue;
    }
    CountChange ch;
    ch.name = name;
    ch.baseline = b->second;
    ch.current = c->second;
    ch.change_pct = ch.baseline > 0 ? (ch.current / ch.baseline - 1) * 100
                                    : (ch.current > 0 ? INFINITY : 0);
    if (std::fabs(ch.change_pct) <= jitter_pct) {
      ch.verdict = "identical";
    } else if (ch.change_pct > threshold_pct) {
      ch.verdict = "regression";
      ch.severity = Severity(ch.change_pct, threshold_pct);
      ++out.regressions;
    } else if (ch.change_pct < -threshold_pct) {
      ch.verdict = "improvement";
      ++out.improvements;
    } else {
      ch.verdict = "unchanged";
    }
    for (const auto& [k, v] : counters) {
      if (k == metric) continue;
      if (auto o = it->second.find(k); o != it->second.end()) ch.others[k] = {v, o->second};
    }
    out.changes.push_back(std::move(ch));
  }
  for (const auto& [name, counters] : current.benchmarks) {
    const auto it = std::find_if(baseline.benchmarks.begin(), baseline.benchmarks.end(),
                                 [&name = name](const auto& c) { return c.first == name; });
    if (it == baseline.benchmarks.end()) out.only_current.push_back(name);
  }
  out.not_measured = out.only_baseline;  // the errors of a side are not among its benchmarks
  std::sort(out.not_measured.begin(), out.not_measured.end());
  if (!out.not_measured.empty()) out.warnings.push_back(NotMeasuredWarning(out.not_measured));
  return out;
}

std::string CountComparison::ToText() const {
  std::ostringstream os;
  os << "Count comparison (" << metric << " per iteration; regression above +" << threshold_pct
     << "%, identical within " << jitter_pct << "%)\n"
     << "  baseline: " << escape::Terminal(baseline_source) << "\n"
     << "  current:  " << escape::Terminal(current_source) << "\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-56s %15s %15s %10s  %s\n", "benchmark", "baseline",
                "current", "change", "verdict");
  os << line;
  for (const CountChange& c : changes) {
    std::snprintf(line, sizeof line, "%-56s %15s %15s %10s  %s%s\n",
                  format::TerminalName(escape::Shorten(c.name, 56)).c_str(),
                  Count(c.baseline).c_str(), Count(c.current).c_str(), Pct(c.change_pct).c_str(),
                  c.verdict.c_str(), c.severity.empty() ? "" : (" (" + c.severity + ")").c_str());
    os << line;
  }
  for (const std::string& n : only_baseline) os << "  only in baseline: " << format::TerminalName(n) << "\n";
  for (const std::string& n : only_current) os << "  only in current: " << format::TerminalName(n) << "\n";
  for (const std::string& w : warnings) os << "WARNING: " << escape::Terminal(w) << "\n";
  os << "\n" << regressions << " regression(s), " << improvements << " improvement(s) in "
     << changes.size() << " benchmark(s)\n";
  return os.str();
}

std::string CountComparison::ToMarkdown() const {
  std::ostringstream os;
  os << "### Count comparison: " << metric << " per iteration\n\n"
     << "Regression above +" << format::Num(threshold_pct) << "%, identical within "
     << format::Num(jitter_pct) << "%. Baseline " << escape::MarkdownCode(baseline_source)
     << ", current " << escape::MarkdownCode(current_source) << ".\n\n"
     << "| benchmark | baseline | current | change | verdict |\n|---|---:|---:|---:|---|\n";
  for (const CountChange& c : changes) {
    os << "| " << escape::MarkdownCell(escape::Shorten(c.name, format::kMaxNameChars)) << " | "
       << Count(c.baseline) << " | " << Count(c.current) << " | " << Pct(c.change_pct) << " | "
       << c.verdict << (c.severity.empty() ? "" : " (" + c.severity + ")") << " |\n";
  }
  for (const std::string& w : warnings) os << "\n> WARNING: " << escape::MarkdownCell(w) << "\n";
  os << "\n" << regressions << " regression(s), " << improvements << " improvement(s) in "
     << changes.size() << " benchmark(s).\n";
  return os.str();
}

nlohmann::json CountComparison::ToJson() const {
  nlohmann::json j = {{"metric", metric},
                      {"threshold_pct", threshold_pct},
                      {"jitter_pct", jitter_pct},
                      {"baseline", baseline_source},
                      {"current", current_source},
                      {"regressions", regressions},
                      {"improvements", improvements},
                      {"warnings", warnings},
                      {"only_baseline", only_baseline},
                      {"only_current", only_current},
                      {"not_measured", not_measured}};
  j["comparisons"] = nlohmann::json::array();
  for (const CountChange& c : changes) {
    nlohmann::json e = {{"name", c.name},
                        {"baseline", c.baseline},
                        {"current", c.current},
                        {"change_pct", std::isfinite(c.change_pct) ? nlohmann::json(c.change_pct)
                                                                   : nlohmann::json(nullptr)},
                        {"verdict", c.verdict}};
    if (!c.severity.empty()) e["severity"] = c.severity;
    for (const auto& [k, v] : c.others) e["others"][k] = {v.first, v.second};
    j["comparisons"].push_back(std::move(e));
  }
  return j;
}

}  // namespace perf
