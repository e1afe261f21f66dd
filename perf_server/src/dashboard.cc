// The fleet dashboard (dashboard.h): store rows → per-run medians → the matrix, the change list
// and the trend charts.
#include "perf_server/dashboard.h"

#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/history.h"
#include "perf_framework/statistics.h"

namespace perf::server {

namespace {

using escape::Html;
using format::Num;

constexpr const char* kMetric = "real_time";

// One benchmark on one machine: the median of each run's repetitions, oldest run first.
struct RunMedians {
  std::vector<int64_t> run_ids;
  std::vector<std::string> runs;
  std::vector<double> medians;
};

RunMedians Medians(const std::vector<store::SeriesPoint>& points) {
  RunMedians out;
  std::vector<double> current;
  auto close = [&] {
    if (!current.empty()) out.medians.push_back(Median(current));
    current.clear();
  };
  for (const store::SeriesPoint& p : points) {
    if (out.run_ids.empty() || out.run_ids.back() != p.run_id) {
      close();
      out.run_ids.push_back(p.run_id);
      out.runs.push_back(p.run);
    }
    current.push_back(p.value);
  }
  close();
  return out;
}

const char* kStyle =
    "body{font-family:sans-serif;margin:2em;color:#222}svg text{font-size:11px}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right}th{background:#f4f4f4}td.name,th.name{text-align:left}"
    ".regression{background:#ffcdd2}.improvement{background:#c8e6c9}.empty{color:#999}"
    "input{font-size:1em;padding:3px;width:24em}";

// Hides the matrix rows and history sections whose benchmark name lacks the filter text.
const char* kFilterScript =
    "document.getElementById('filter').addEventListener('input',function(e){"
    "var q=e.target.value.toLowerCase();"
    "document.querySelectorAll('[data-benchmark]').forEach(function(el){"
    "el.style.display=el.getAttribute('data-benchmark').toLowerCase().indexOf(q)<0?'none':'';"
    "});});";

}  // namespace

std::string DashboardHtml(store::Store& store) {
  const std::vector<store::MachineInfo> machines = store.ListMachines();
  const std::vector<std::string> benchmarks = store.ListBenchmarks();
  const std::vector<store::Change> changes = store.ListChanges();
  // (machine, benchmark, run id) → the direction of a change detected there.
  std::map<std::tuple<std::string, std::string, int64_t>, std::string> change_at;
  for (const store::Change& c : changes) {
    if (c.metric == kMetric) change_at[{c.machine, c.benchmark, c.run_id}] = c.direction;
  }
  std::map<std::pair<std::string, std::string>, RunMedians> series;  // (benchmark, machine)
  for (const std::string& b : benchmarks) {
    for (const store::MachineInfo& m : machines) {
      RunMedians r = Medians(store.Series(b, m.name, kMetric));
      if (!r.medians.empty()) series.emplace(std::make_pair(b, m.name), std::move(r));
    }
  }

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<title>Fleet performance</title>\n<style>" << kStyle << "</style></head><body>\n"
       << "<h1>Fleet performance</h1>\n<p>" << machines.size() << " machines, "
       << benchmarks.size() << " benchmarks, " << changes.size()
       << " detected changes. Times are the median of a run's repetitions ("
       << kMetric << ", ns).</p>\n"
       << "<p><input id=\"filter\" type=\"search\" placeholder=\"Filter benchmarks\" "
          "aria-label=\"Filter benchmarks\"></p>\n";

  html << "<h2>Latest run per machine</h2>\n<table class=\"matrix\"><tr><th class=\"name\">"
          "benchmark</th>";
  for (const store::MachineInfo& m : machines) {
    html << "<th class=\"machine\" title=\"" << Html(m.fingerprint) << "\">" << Html(m.name)
         << "</th>";
  }
  html << "</tr>\n";
  for (size_t i = 0; i < benchmarks.size(); ++i) {
    const std::string& b = benchmarks[i];
    html << "<tr data-benchmark=\"" << Html(b) << "\"><td class=\"name\"><a href=\"#b" << i
         << "\">" << Html(b) << "</a></td>";
    for (const store::MachineInfo& m : machines) {
      const auto it = series.find({b, m.name});
      if (it == series.end()) {
        html << "<td class=\"cell empty\">–</td>";
        continue;
      }
      const RunMedians& r = it->second;
      const auto change = change_at.find({m.name, b, r.run_ids.back()});
      const std::string direction = change == change_at.end() ? "" : change->second;
      html << "<td class=\"cell " << direction << "\" title=\"run " << Html(r.runs.back())
           << (direction.empty() ? "" : ": " + direction) << "\">" << Num(r.medians.back())
           << "</td>";
    }
    html << "</tr>\n";
  }
  html << "</table>\n";

  html << "<h2>Detected changes</h2>\n";
  if (changes.empty()) {
    html << "<p class=\"no-changes\">No change detected yet.</p>\n";
  } else {
    html << "<table class=\"changes\"><tr><th class=\"name\">machine</th><th class=\"name\">"
            "benchmark</th><th>metric</th><th>run</th><th>commit</th><th>ratio</th>"
            "<th>interval</th><th>direction</th><th>detected</th></tr>\n";
    for (const store::Change& c : changes) {
      html << "<tr class=\"change " << (c.direction == "regression" ? "regression" : "improvement")
           << "\" data-benchmark=\"" << Html(c.benchmark) << "\"><td class=\"name\">"
           << Html(c.machine) << "</td><td class=\"name\">" << Html(c.benchmark) << "</td><td>"
           << Html(c.metric) << "</td><td>" << c.run_id << "</td><td>"
           << Html(c.commit.substr(0, 12)) << "</td><td>" << Num(c.ratio) << "</td><td>["
           << Num(c.low) << ", " << Num(c.high) << "]</td><td>" << Html(c.direction)
           << "</td><td>" << Html(c.detected_utc) << "</td></tr>\n";
    }
    html << "</table>\n";
  }

  html << "<h2>History per benchmark</h2>\n<p>One chart per machine: a point per run (its "
          "median), dashed red lines at change points (a shift of more than 10% that holds, "
          "Mann–Whitney p &lt; 0.01).</p>\n";
  for (size_t i = 0; i < benchmarks.size(); ++i) {
    const std::string& b = benchmarks[i];
    html << "<section class=\"benchmark\" id=\"b" << i << "\" data-benchmark=\"" << Html(b)
         << "\"><h3>" << Html(b) << "</h3>\n";
    for (const store::MachineInfo& m : machines) {
      const auto it = series.find({b, m.name});
      if (it == series.end()) continue;
      const RunMedians& r = it->second;
      HistorySeries h;
      h.metric = m.name + ": " + b;
      h.unit = "ns";
      h.values = r.medians;
      for (size_t k = 0; k < r.medians.size(); ++k) h.runs.push_back(k);
      h.change_points = FindChangePoints(h.values);
      html << TrendSvg(h, r.medians.size()) << "<p class=\"span\">" << r.runs.size()
           << " runs, " << Html(r.runs.front()) << " to " << Html(r.runs.back()) << "</p>\n";
    }
    html << "</section>\n";
  }
  html << "<script>" << kFilterScript << "</script>\n</body></html>\n";
  return html.str();
}

}  // namespace perf::server
