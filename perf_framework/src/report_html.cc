// The validation report as one self-contained HTML page: inline CSS and SVG, no script, nothing
// fetched from the network, so it can be attached to a CI run or mailed as it is.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/history.h"
#include "perf_framework/regression.h"
#include "perf_framework/report.h"
#include "perf_framework/statistics.h"

namespace perf {

namespace {

using escape::Html;
using format::Num;

const char* Color(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::kPass:
      return "#2e7d32";
    case ClaimVerdict::kPartial:
      return "#e0a800";
    case ClaimVerdict::kFail:
      return "#c62828";
    case ClaimVerdict::kError:
      return "#6a1b9a";
  }
  return "#000";
}

// A log axis spans whole decades between these: 10^-323 is the smallest power of ten above zero
// (a subnormal), 10^308 the largest below infinity. (A zero time once started the tick loop at
// decade INT_MIN, log10(0) being -inf, and filled gigabytes with ticks.)
constexpr int kMinDecade = -323, kMaxDecade = 308;
// An axis over more decades labels every second, third, ... one, so at most this many.
constexpr int kMaxDecadeTicks = 16;

// What a log axis can show: a positive, finite value.
bool OnLogAxis(double v) { return v > 0 && std::isfinite(v); }

// Maps [log10 lo, log10 hi] onto [a, b] pixels; lo < hi are whole decades from Decades().
struct LogAxis {
  double lo, hi, a, b;
  double operator()(double v) const {
    return a + (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * (b - a);
  }
  // Powers of ten inside the range, and 2× and 5× of them when there are few decades.
  std::vector<double> Ticks() const {
    std::vector<double> t;
    const bool dense = std::log10(hi / lo) <= 3;
    // lo and hi are powers of ten: their logs are whole numbers up to rounding.
    const int first = static_cast<int>(std::lround(std::log10(lo)));
    const int last = static_cast<int>(std::lround(std::log10(hi)));
    const int step = std::max(1, (last - first + kMaxDecadeTicks - 1) / kMaxDecadeTicks);
    for (int e = first; e <= last; e += step) {
      for (const double m : {1.0, 2.0, 5.0}) {
        if (m != 1.0 && !dense) continue;
        const double v = m * std::pow(10.0, e);
        if (v >= lo * 0.999 && v <= hi * 1.001) t.push_back(v);
      }
    }
    return t;
  }
};

// Widens [lo, hi] (positive, finite) to whole decades, at least one, inside
// [10^kMinDecade, 10^kMaxDecade].
std::pair<double, double> Decades(double lo, double hi) {
  const double first =
      std::clamp(std::floor(std::log10(lo)), double{kMinDecade}, double{kMaxDecade - 1});
  const double last = std::clamp(std::ceil(std::log10(hi)), first, double{kMaxDecade});
  lo = std::pow(10.0, first);
  hi = std::pow(10.0, last);
  if (hi <= lo) hi = lo * 10;
  return {lo, hi};
}

bool IsSpeedup(const ClaimResult& c) {
  const Evidence& e = c.outcome.evidence;
  return e.unit == "x" && OnLogAxis(e.value);
}

std::string SpeedupChart(const std::vector<ClaimResult>& claims) {
  std::vector<const ClaimResult*> rows;
  for (const ClaimResult& c : claims) {
    if (IsSpeedup(c)) rows.push_back(&c);
  }
  if (rows.empty()) return "<p>No speedup claims were measured.</p>\n";
  double lo = 1, hi = 1;
  for (const ClaimResult* c : rows) {
    const Evidence& e = c->outcome.evidence;
    for (const double v : {e.value, e.low, e.high}) {
      if (OnLogAxis(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  std::tie(lo, hi) = Decades(lo, hi);
  const double label_w = 330, plot_w = 480, row_h = 22, top = 10;
  const double height = top + row_h * static_cast<double>(rows.size()) + 40;
  const LogAxis x{lo, hi, label_w, label_w + plot_w};
  std::ostringstream svg;
  svg << "<svg id=\"speedup-chart\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
      << label_w + plot_w + 20 << "\" height=\"" << height << "\" role=\"img\" "
      << "aria-label=\"Speedups with their confidence intervals\">\n";
  const double bottom = top + row_h * static_cast<double>(rows.size());
  for (const double t : x.Ticks()) {
    svg << "<line x1=\"" << x(t) << "\" y1=\"" << top << "\" x2=\"" << x(t) << "\" y2=\"" << bottom
        << "\" stroke=\"" << (t == 1 ? "#333" : "#ddd") << "\"/>"
        << "<text x=\"" << x(t) << "\" y=\"" << bottom + 14 << "\" text-anchor=\"middle\">"
        << Num(t) << "×</text>\n";
  }
  svg << "<text x=\"" << label_w + plot_w / 2 << "\" y=\"" << bottom + 32
      << "\" text-anchor=\"middle\">speedup (log scale); whiskers: confidence interval</text>\n";
  double y = top;
  for (const ClaimResult* c : rows) {
    const Evidence& e = c->outcome.evidence;
    const double mid = y + row_h / 2, v = std::clamp(e.value, lo, hi);
    const char* color = Color(c->outcome.verdict);
    svg << "<g class=\"bar\"><title>" << Html(c->module + "/" + c->id) << ": " << Num(e.value)
        << "× (" << ClaimVerdictName(c->outcome.verdict) << ")</title>"
        << "<text x=\"" << label_w - 6 << "\" y=\"" << mid + 4 << "\" text-anchor=\"end\">"
        << Html(c->id) << "</text>"
        << "<rect x=\"" << std::min(x(1), x(v)) << "\" y=\"" << y + 4 << "\" width=\""
        << std::abs(x(v) - x(1)) << "\" height=\"" << row_h - 8 << "\" fill=\"" << color
        << "\" fill-opacity=\"0.75\"/>";
    if (std::isfinite(e.low) && std::isfinite(e.high) && e.low > 0) {
      const double l = x(std::clamp(e.low, lo, hi)), h = x(std::clamp(e.high, lo, hi));
      svg << "<line class=\"whisker\" x1=\"" << l << "\" y1=\"" << mid << "\" x2=\"" << h
          << "\" y2=\"" << mid << "\" stroke=\"#000\"/>"
          << "<line x1=\"" << l << "\" y1=\"" << mid - 5 << "\" x2=\"" << l << "\" y2=\"" << mid + 5
          << "\" stroke=\"#000\"/>"
          << "<line x1=\"" << h << "\" y1=\"" << mid - 5 << "\" x2=\"" << h << "\" y2=\"" << mid + 5
          << "\" stroke=\"#000\"/>";
    }
    svg << "</g>\n";
    y += row_h;
  }
  svg << "</svg>\n";
  return svg.str();
}

// The points of a series: pairs of x and y (an unpaired value is no point).
size_t Points(const ScalingSeries& s) { return std::min(s.x.size(), s.y.size()); }
// Whether point i has a place on log-log axes.
bool Drawable(const ScalingSeries& s, size_t i) { return OnLogAxis(s.x[i]) && OnLogAxis(s.y[i]); }

std::string ScalingSvg(const ScalingChart& chart) {
  double xlo = INFINITY, xhi = 0, ylo = INFINITY, yhi = 0;
  size_t left_out = 0;
  for (const ScalingSeries& s : chart.series) {
    left_out += std::max(s.x.size(), s.y.size()) - Points(s);
    for (size_t i = 0; i < Points(s); ++i) {
      if (!Drawable(s, i)) {
        ++left_out;
        continue;
      }
      xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
    }
  }
  const std::string left_out_note =
      std::to_string(left_out) +
      " point(s) left out: a log axis has no place for zero, negative or non-finite values";
  if (!(xhi > 0) || !(yhi > 0)) {
    if (left_out == 0) return "";
    return "<p class=\"warn\">" + Html(chart.title) + ": " + Html(left_out_note) + "</p>\n";
  }
  std::tie(xlo, xhi) = Decades(xlo, xhi);
  std::tie(ylo, yhi) = Decades(ylo, yhi);
  const double left = 70, right = 470, top = 30, bottom = 300;
  const LogAxis x{xlo, xhi, left, right}, y{ylo, yhi, bottom, top};
  static const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::ostringstream svg;
  svg << "<svg class=\"chart scaling-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"700\" "
         "height=\""
      << (left_out > 0 ? 365 : 345) << "\" role=\"img\" aria-label=\"" << Html(chart.title)
      << "\">\n<text x=\"" << (left + right) / 2 << "\" y=\"18\" "
      << "text-anchor=\"middle\" font-weight=\"bold\">" << Html(chart.title) << "</text>\n";
  if (left_out > 0) {
    svg << "<text class=\"left-out\" x=\"" << left << "\" y=\"358\">" << Html(left_out_note)
        << "</text>\n";
  }
  for (const double t : x.Ticks()) {
    svg << "<line x1=\"" << x(t) << "\" y1=\"" << top << "\" x2=\"" << x(t) << "\" y2=\"" << bottom
        << "\" stroke=\"#eee\"/><text x=\"" << x(t) << "\" y=\"" << bottom + 15
        << "\" text-anchor=\"middle\">" << Num(t) << "</text>\n";
  }
  for (const double t : y.Ticks()) {
    svg << "<line x1=\"" << left << "\" y1=\"" << y(t) << "\" x2=\"" << right << "\" y2=\"" << y(t)
        << "\" stroke=\"#eee\"/><text x=\"" << left - 5 << "\" y=\"" << y(t) + 4
        << "\" text-anchor=\"end\">" << Num(t) << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\""
      << bottom - top << "\" fill=\"none\" stroke=\"#333\"/>\n"
      << "<text x=\"" << (left + right) / 2 << "\" y=\"" << bottom + 35
      << "\" text-anchor=\"middle\">" << Html(chart.x_label) << " (log)</text>\n"
      << "<text transform=\"translate(14," << (top + bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << Html(chart.y_label) << " (log)</text>\n";
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const ScalingSeries& s = chart.series[k];
    const char* color = kPalette[k % std::size(kPalette)];
    svg << "<g class=\"series\"><title>" << Html(s.name) << "</title><polyline fill=\"none\" "
        << "stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < Points(s); ++i) {
      if (Drawable(s, i)) svg << x(s.x[i]) << "," << y(s.y[i]) << " ";
    }
    svg << "\"/>";
    for (size_t i = 0; i < Points(s); ++i) {
      if (!Drawable(s, i)) continue;
      svg << "<circle cx=\"" << x(s.x[i]) << "\" cy=\"" << y(s.y[i]) << "\" r=\"3\" fill=\""
          << color << "\"><title>" << Html(s.name) << " at " << Num(s.x[i]) << ": " << Num(s.y[i])
          << "</title></circle>";
    }
    svg << "<rect x=\"" << right + 15 << "\" y=\"" << top + 18 * static_cast<double>(k)
        << "\" width=\"12\" height=\"12\" fill=\"" << color << "\"/><text x=\"" << right + 32
        << "\" y=\"" << top + 18 * static_cast<double>(k) + 10 << "\">" << Html(s.name)
        << "</text></g>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

// Every string under a "warnings" key anywhere in the details.
void CollectWarnings(const nlohmann::json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (key == "warnings" && value.is_array()) {
        for (const auto& w : value) {
          if (w.is_string()) out.insert(w.get<std::string>());
        }
      } else {
        CollectWarnings(value, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) CollectWarnings(v, out);
  }
}

}  // namespace

ScalingChart ScalingChartFromGoogleBenchmark(const nlohmann::json& j, const std::string& source) {
  // family → size → median time
  std::map<std::string, std::map<double, double>> families;
  for (const BenchmarkSamples& b : ParseGoogleBenchmark(j, source).benchmarks) {
    const size_t slash = b.name.find('/');
    if (b.samples.empty() || slash == std::string::npos) continue;
    std::string arg = b.name.substr(slash + 1);
    arg = arg.substr(0, arg.find('/'));
    arg = arg.substr(arg.find(':') == std::string::npos ? 0 : arg.find(':') + 1);
    char* end = nullptr;
    const double size = std::strtod(arg.c_str(), &end);
    if (end == arg.c_str() || *end != '\0' || !(size > 0)) continue;
    // Repetitions' own samples win over an aggregate reported for the same size.
    auto& sizes = families[b.name.substr(0, slash)];
    if (!b.aggregate_only || sizes.count(size) == 0) sizes[size] = Median(b.samples);
  }
  ScalingChart chart;
  chart.x_label = "size (first argument)";
  chart.y_label = "time per iteration, ns";
  for (const auto& [family, sizes] : families) {
    if (sizes.size() < 2) continue;
    ScalingSeries s{family, {}, {}};
    for (const auto& [size, time] : sizes) {
      s.x.push_back(size);
      s.y.push_back(time);
    }
    chart.series.push_back(std::move(s));
  }
  return chart;
}

namespace {

// A loud banner when a reference ran degraded, with the claims measured against it.
std::string DegradedHtml(const SuiteResults& r) {
  std::ostringstream html;
  std::vector<const ClaimResult*> flagged;
  for (const ClaimResult& c : r.claims) {
    if (!c.degraded_reference.empty()) flagged.push_back(&c);
  }
  if (r.environment.warnings.empty() && flagged.empty()) return "";
  html << "<div id=\"degraded\" class=\"warn\" style=\"border-left-color:#c62828\"><h2>WARNING: "
          "degraded reference</h2>\n";
  for (const std::string& w : r.environment.warnings) html << "<p>" << Html(w) << "</p>\n";
  if (!flagged.empty()) {
    html << "<p>Measured against it (published claims and targets here cannot PASS):</p><ul>";
    for (const ClaimResult* c : flagged) {
      html << "<li>" << Html(c->module + "/" + c->id) << ": " << Html(c->degraded_reference)
           << "</li>";
    }
    html << "</ul>";
  }
  html << "</div>\n";
  return html.str();
}

// The targets as MET / MISSED with their intervals.
std::string TargetsHtml(const std::vector<ClaimResult>& claims) {
  std::ostringstream html;
  bool any = false;
  for (const ClaimResult& c : claims) {
    if (c.kind != ClaimKind::kTarget) continue;
    if (!any) {
      html << "<h2>Targets</h2>\n<p>The project's own goals against the libraries a user would "
              "pick instead; MET when the whole interval meets the goal. They never fail a "
              "run.</p>\n<table id=\"targets\"><tr><th>target</th><th>goal</th><th>measured "
              "[interval]</th><th>status</th></tr>\n";
      any = true;
    }
    const char* status = TargetStatus(c);
    html << "<tr><td><b>" << Html(c.id) << "</b><br>" << Html(c.statement) << "</td><td>&ge; "
         << Num(c.threshold) << "</td><td>" << Html(format::Measured(c.outcome.evidence))
         << "</td><td><span class=\"status\" style=\"background:"
         << (std::string(status) == "MET"          ? "#2e7d32"
             : std::string(status) == "NOT JUDGED" ? "#616161"
                                                   : "#c62828")
         << "\">" << status << "</span></td></tr>\n";
  }
  if (any) html << "</table>\n";
  return html.str();
}

// Each counted benchmark's median time beside its counts; the counts' own conditions said, since
// they are not the timed build's (a count is comparable between runs, not a cycle count of the
// time beside it).
std::string BenchmarkCountsHtml(const RunBenchmarks& b) {
  std::ostringstream html;
  html << "<h2>Benchmarks: time and instructions</h2>\n";
  for (const std::string& w : b.warnings) html << "<p class=\"warn\">" << Html(w) << "</p>\n";
  if (b.counts.empty()) {
    html << "<p>This run was not counted (<code>TT_COUNTS=1 scripts/validate.sh</code> counts "
            "it, or <code>scripts/count.sh --out RUN_DIR/counts</code>).</p>\n";
    return html.str();
  }
  html << "<p>Median time per iteration as this run measured it; instructions, simulated cache "
          "misses and branch mispredictions per iteration as <code>tinyperf count</code> "
          "measured them under Valgrind (the <code>count</code> build, AVX2 path, one CPU). The "
          "count is exact and comparable from run to run; the time is what this machine gave, "
          "noise included.</p>\n<table id=\"bench-counts\"><tr><th>benchmark</th><th>median "
          "time</th><th>instructions</th><th>L1d misses</th><th>LL misses</th><th>branch "
          "mispredicts</th></tr>\n";
  const auto counter = [](const std::map<std::string, double>& c, const char* k) {
    const auto it = c.find(k);
    // Whole instructions of large counts (4 significant digits would hide a 0.1% change).
    if (it == c.end()) return std::string("–");
    return std::isfinite(it->second) && std::abs(it->second) < 1e15
               ? format::Fixed(it->second, std::abs(it->second) >= 100 ? 0 : 2)
               : Num(it->second);
  };
  for (const auto& [name, counts] : b.counts) {
    const auto t = std::find_if(b.median_ns.begin(), b.median_ns.end(),
                                [&name = name](const auto& m) { return m.first == name; });
    html << "<tr><td>" << Html(name) << "</td><td class=\"time\">"
         << (t == b.median_ns.end() ? "–" : Num(t->second) + " ns")
         << "</td><td class=\"instructions\">" << counter(counts, "instructions") << "</td><td>"
         << counter(counts, "l1d_misses") << "</td><td>" << counter(counts, "ll_misses")
         << "</td><td>" << counter(counts, "branch_mispredicts") << "</td></tr>\n";
  }
  html << "</table>\n";
  return html.str();
}

}  // namespace

std::string ResultsHtml(const SuiteResults& r, const std::vector<ScalingChart>& charts,
                        const std::vector<VerdictChange>& changes,
                        const RunBenchmarks* benchmarks) {
  const Environment& env = r.environment;
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Validation "
          "report "
       << Html(r.started_utc) << "</title>\n<style>\n"
       << "body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}\n"
       << "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px "
          "8px;text-align:left;vertical-align:top}\n"
       << "th{background:#f4f4f4}.verdict,.status{font-weight:bold;color:#fff;border-radius:3px;"
          "padding:"
          "1px 6px}\n"
       << "svg text{font-size:12px}.warn{background:#fff8e1;border-left:4px solid "
          "#e0a800;padding:4px 10px}\n"
       << "</style></head><body>\n<h1>Validation report</h1>\n";
  html << "<p id=\"health\"><b>" << (r.Healthy() ? "Healthy" : "NOT healthy")
       << "</b>: every contract must PASS and nothing may be ERROR; published-claim and target "
          "verdicts report what this machine shows and never change the status.</p>\n";
  html << "<h2>Environment</h2>\n<table id=\"environment\">";
  const std::pair<const char*, std::string> env_rows[] = {
      {"CPU", env.cpu_model},
      {"logical cores", std::to_string(env.logical_cores)},
      {"governor", env.governor},
      {"compiler", env.compiler},
      {"flags", env.compile_flags},
      {"build type", env.build_type},
      {"commit", env.git_commit},
      {"started", r.started_utc},
      {"claim time", Num(r.elapsed_seconds) + " s"},
      {"load average (1 min)", Num(env.load_average_1min)},
      {"reference BLAS", env.blas.Summary()},
      {"tinytorch MatMul default", env.matmul_default_backend + " (" + env.matmul_choice + ")"}};
  for (const auto& [k, v] : env_rows) {
    html << "<tr><th>" << k << "</th><td>" << Html(v) << "</td></tr>";
  }
  html << "</table>\n";
  html << DegradedHtml(r);

  std::set<std::string> warnings;
  if (env.logical_cores > 0 && env.load_average_1min > 0.5 * env.logical_cores) {
    warnings.insert("The 1-minute load average was " + Num(env.load_average_1min) + " on " +
                    std::to_string(env.logical_cores) +
                    " cores when measuring started: other work competed for the CPU.");
  }
  if (env.governor != "performance" && env.governor != "unavailable") {
    warnings.insert("CPU frequency governor '" + env.governor +
                    "': clock speed may change during measurements.");
  }
  for (const ClaimResult& c : r.claims) CollectWarnings(c.outcome.evidence.details, warnings);
  html << "<h2>Stability warnings</h2>\n";
  if (warnings.empty()) html << "<p>None.</p>\n";
  for (const std::string& w : warnings) html << "<p class=\"warn\">" << Html(w) << "</p>\n";

  html << "<h2>Verdicts</h2>\n<table id=\"counts\"><tr><th>kind</th><th>PASS</th><th>PARTIAL</"
          "th><th>FAIL</th><th>ERROR</th></tr>";
  for (const ClaimKind kind : kAllClaimKinds) {
    const VerdictCounts n = CountVerdicts(r.claims, kind);
    html << "<tr><td>" << ClaimKindName(kind) << "</td><td>" << n.pass << "</td><td>" << n.partial
         << "</td><td>" << n.fail << "</td><td>" << n.error << "</td></tr>";
  }
  html << "</table>\n";

  if (!changes.empty()) {
    html << "<h2>Against the baseline report</h2>\n<table id=\"baseline\"><tr><th>claim</th><th>"
            "kind</th><th>baseline</th><th>now</th><th>worse</th></tr>";
    for (const VerdictChange& c : changes) {
      html << "<tr><td>" << Html(c.module + "/" + c.id) << "</td><td>" << ClaimKindName(c.kind)
           << "</td><td>" << c.before << "</td><td>" << c.after << "</td><td>"
           << (c.worse ? "<b>yes</b>" : "no") << "</td></tr>";
    }
    html << "</table>\n";
  }

  html << TargetsHtml(r.claims);
  html << "<h2>Speedups</h2>\n" << SpeedupChart(r.claims);
  if (!charts.empty()) html << "<h2>Scaling</h2>\n";
  for (const ScalingChart& chart : charts) html << ScalingSvg(chart);
  if (benchmarks != nullptr) html << BenchmarkCountsHtml(*benchmarks);

  std::map<std::string, std::vector<const ClaimResult*>> by_module;
  for (const ClaimResult& c : r.claims) by_module[c.module].push_back(&c);
  html << "<h2>Claims by module</h2>\n";
  for (const auto& [module, claims] : by_module) {
    html << "<h3>" << Html(module)
         << "</h3>\n<table class=\"claims\"><tr><th>claim</th><th>"
            "kind</th><th>verdict</th><th>measured [interval]</th><th>threshold</th><th>reason"
            "</th></tr>\n";
    for (const ClaimResult* c : claims) {
      html << "<tr><td><b>" << Html(c->id) << "</b><br>" << Html(c->statement) << "</td><td>"
           << ClaimKindName(c->kind)
           << (c->degraded_reference.empty() ? ""
                                             : "<br><b class=\"degraded\">degraded reference</b>")
           << "</td><td><span class=\"verdict\" style=\"background:" << Color(c->outcome.verdict)
           << "\">" << ClaimVerdictName(c->outcome.verdict) << "</span></td><td>"
           << Html(format::Measured(c->outcome.evidence)) << "</td><td>" << Num(c->threshold)
           << "</td><td>" << Html(c->outcome.reason) << "</td></tr>\n";
    }
    html << "</table>\n";
  }
  html << "</body></html>\n";
  return html.str();
}

namespace {

// A trend chart draws a value beyond ±kMaxTrendValue at that bound (its title still says what it
// is), so the padded range and every position stay finite.
constexpr double kMaxTrendValue = 1e300;

}  // namespace

std::string TrendSvg(const HistorySeries& s, size_t runs) {
  // The y labels end 4 px left of the plot: 84 px holds the longest Num() gives ("-1.234e+305")
  // at 11-12 px; at 60 the first digit of "1.044e+05" was cut off in the dashboard's screenshots.
  const double left = 84, right = 600, top = 24, bottom = 130;
  const size_t points = std::min(s.values.size(), s.runs.size());
  std::vector<size_t> drawn;  // the finite values
  for (size_t i = 0; i < points; ++i) {
    if (std::isfinite(s.values[i])) drawn.push_back(i);
  }
  const size_t left_out = s.values.size() - drawn.size();
  if (drawn.empty()) {
    return "<p class=\"warn\">" + Html(s.metric) + ": no finite value to draw (" +
           std::to_string(left_out) + " left out)</p>\n";
  }
  const auto value = [&s](size_t i) {
    return std::clamp(s.values[i], -kMaxTrendValue, kMaxTrendValue);
  };
  double lo = INFINITY, hi = -INFINITY;
  for (const size_t i : drawn) lo = std::min(lo, value(i)), hi = std::max(hi, value(i));
  const double pad = hi > lo ? 0.1 * (hi - lo) : std::max(std::abs(hi) * 0.05, 1e-12);
  lo -= pad;
  hi += pad;
  const auto x = [&](size_t run) {
    return runs > 1
               ? left + (right - left) * static_cast<double>(run) / static_cast<double>(runs - 1)
               : (left + right) / 2;
  };
  const auto y = [&](double v) { return bottom - (v - lo) / (hi - lo) * (bottom - top); };
  std::ostringstream svg;
  svg << "<svg class=\"chart trend-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"620\" "
         "height=\"150\" role=\"img\" aria-label=\""
      << Html(s.metric) << "\"><text x=\"" << left << "\" y=\"14\" font-weight=\"bold\">"
      << Html(s.metric) << (s.unit.empty() ? "" : " (" + Html(s.unit) + ")") << "</text>\n";
  if (left_out > 0) {
    svg << "<text class=\"left-out\" x=\"" << right << "\" y=\"14\" text-anchor=\"end\">"
        << left_out << " value(s) left out: not finite</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\""
      << bottom - top << "\" fill=\"none\" stroke=\"#999\"/>"
      << "<text x=\"" << left - 4 << "\" y=\"" << top + 8 << "\" text-anchor=\"end\">" << Num(hi)
      << "</text><text x=\"" << left - 4 << "\" y=\"" << bottom << "\" text-anchor=\"end\">"
      << Num(lo) << "</text>\n";
  for (const ChangePoint& c : s.change_points) {
    if (c.index == 0 || c.index >= points) continue;  // not a boundary between two runs
    const double at = (x(s.runs[c.index - 1]) + x(s.runs[c.index])) / 2;
    svg << "<line class=\"change-point\" x1=\"" << at << "\" y1=\"" << top << "\" x2=\"" << at
        << "\" y2=\"" << bottom << "\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"><title>"
        << Num(c.change_pct) << "% ("
        << (std::isfinite(c.p_value) ? "p = " + Num(c.p_value) : std::string("exact count"))
        << ")</title></line>";
  }
  svg << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
  for (const size_t i : drawn) svg << x(s.runs[i]) << "," << y(value(i)) << " ";
  svg << "\"/>";
  for (const size_t i : drawn) {
    svg << "<circle cx=\"" << x(s.runs[i]) << "\" cy=\"" << y(value(i))
        << "\" r=\"2.5\" fill=\"#1f77b4\"><title>" << Num(s.values[i]) << "</title></circle>";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string History::ToHtml() const {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<title>Performance history</title>\n<style>body{font-family:sans-serif;margin:2em;"
          "color:#222}svg text{font-size:11px}.warn{background:#fff8e1;padding:4px 10px}"
          ".time-and-count{display:flex;flex-wrap:wrap}"
          "</style></head><body>\n<h1>Performance history</h1>\n<p>"
       << runs.size() << " runs";
  if (!runs.empty()) html << ", " << Html(runs.front()) << " to " << Html(runs.back());
  html << ". Dashed red lines: change points (a shift of more than 10% between two stretches "
          "of runs, Mann–Whitney p &lt; 0.01; in an instruction count, any step of more than "
          "1%). A benchmark's instructions per iteration, when the runs were counted, stand "
          "beside its time.</p>\n";
  for (const std::string& w : warnings) html << "<p class=\"warn\">" << Html(w) << "</p>\n";
  // A benchmark's instruction series goes beside its time series, in one row.
  std::map<std::string, const HistorySeries*> counts;
  for (const HistorySeries& s : series) {
    if (s.metric.rfind(kInstructionsSeries, 0) == 0) {
      counts[s.metric.substr(std::strlen(kInstructionsSeries))] = &s;
    }
  }
  const auto partner = [&counts](const HistorySeries& s) -> const HistorySeries* {
    if (s.metric.rfind(kBenchSeries, 0) != 0) return nullptr;
    const auto it = counts.find(s.metric.substr(std::strlen(kBenchSeries)));
    return it == counts.end() ? nullptr : it->second;
  };
  std::set<const HistorySeries*> paired;
  for (const HistorySeries& s : series) {
    if (const HistorySeries* p = partner(s)) paired.insert(p);
  }
  const auto flags = [&partner](const HistorySeries* s) {
    const HistorySeries* p = partner(*s);
    return s->change_points.size() + (p ? p->change_points.size() : 0);
  };
  std::vector<const HistorySeries*> order;
  for (const HistorySeries& s : series) {
    if (paired.count(&s) == 0) order.push_back(&s);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&flags](const HistorySeries* a, const HistorySeries* b) {
                     return flags(a) > flags(b);
                   });
  for (const HistorySeries* s : order) {
    const HistorySeries* p = partner(*s);
    if (p == nullptr) {
      html << TrendSvg(*s, runs.size());
      continue;
    }
    html << "<div class=\"time-and-count\">" << TrendSvg(*s, runs.size())
         << TrendSvg(*p, runs.size()) << "</div>\n";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace perf
