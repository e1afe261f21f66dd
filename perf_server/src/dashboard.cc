// The fleet dashboard (dashboard.h): the front page (the matrix of latest values and claim
// verdicts, the detected changes with their fleet verdicts) and one page per benchmark with its
// history per machine.
#include "perf_server/dashboard.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "fileio/fileio.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/history.h"
#include "perf_store/fleet.h"

namespace perf::server {

namespace {

using escape::Html;
using format::Num;

constexpr const char* kMetric = "real_time";
constexpr size_t kShortCommit = 10;
// A static site's benchmark pages: DIR/benchmarks/<name, at most kMaxFileStem characters of it,
// each outside [A-Za-z0-9_-] as _>-<16 hex digits of a hash of the whole name>.html.
constexpr const char* kPagesDir = "benchmarks";
constexpr size_t kMaxFileStem = 96;

const char* kStyle =
    "body{font-family:sans-serif;margin:2em;color:#222}svg text{font-size:11px}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right}th{background:#f4f4f4}td.name,th.name{text-align:left}"
    ".regression{background:#ffcdd2}.improvement{background:#c8e6c9}.empty{color:#999}"
    ".PASS{background:#c8e6c9}.PARTIAL{background:#fff9c4}.FAIL,.ERROR{background:#ffcdd2}"
    ".fleet.confirmed{font-weight:bold}.fleet.hardware-specific{font-weight:bold;color:#6a1b9a}"
    ".fleet.unconfirmed{color:#777}.commit{font-family:monospace;font-weight:normal}"
    "input{font-size:1em;padding:3px;width:24em}";

// Hides the matrix rows and the detected changes whose benchmark name lacks the filter text.
const char* kFilterScript =
    "document.getElementById('filter').addEventListener('input',function(e){"
    "var q=e.target.value.toLowerCase();"
    "document.querySelectorAll('[data-benchmark]').forEach(function(el){"
    "el.style.display=el.getAttribute('data-benchmark').toLowerCase().indexOf(q)<0?'none':'';"
    "});});";

// Every byte but RFC 3986's unreserved characters as %XX: any benchmark name as a query value.
std::string QueryValue(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// Where the front page links a benchmark's page, relative to the front page.
std::string BenchmarkHref(const std::string& benchmark, Site site) {
  return site == Site::kServer ? "benchmark?name=" + QueryValue(benchmark)
                               : BenchmarkPageFile(benchmark);
}

std::string Short(const std::string& commit) {
  return commit.empty() ? "unknown" : commit.substr(0, kShortCommit);
}

// "+30.0%" for a ratio of 1.3.
std::string Pct(double ratio) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << std::showpos << 100 * (ratio - 1) << "%";
  return s.str();
}

// (machine, benchmark) → the recorded time changes of that series.
using ChangesBySeries = std::map<std::pair<std::string, std::string>, std::vector<store::Change>>;

// One machine's chart of one benchmark: a point per run, the recorded changes as change points
// and, below it, the runs' span and each change with its commit.
void MachineChart(std::ostream& html, const std::string& machine, const std::string& benchmark,
                  const std::vector<store::RunValue>& values,
                  const std::vector<store::Change>& changes) {
  HistorySeries h;
  h.metric = machine + ": " + benchmark;
  h.unit = "ns";
  std::map<int64_t, size_t> index;  // run id → position
  for (size_t k = 0; k < values.size(); ++k) {
    h.values.push_back(values[k].value);
    h.runs.push_back(k);
    index[values[k].run_id] = k;
  }
  for (const store::Change& c : changes) {
    const auto at = index.find(c.run_id);
    if (at == index.end()) continue;
    ChangePoint p;
    p.index = at->second;
    p.change_pct = 100 * (c.ratio - 1);
    p.p_value = kNaN;
    try {
      const nlohmann::json d = nlohmann::json::parse(c.details_json);
      if (d.contains("p_value") && d["p_value"].is_number()) p.p_value = d["p_value"].get<double>();
    } catch (const nlohmann::json::exception&) {
      // Details written by hand or by another build: the change is drawn without its p.
    }
    h.change_points.push_back(p);
  }
  html << TrendSvg(h, values.size()) << "<p class=\"span\">" << values.size() << " runs, "
       << Html(values.front().run) << " to " << Html(values.back().run) << " (commits <span "
       << "class=\"commit\">" << Html(Short(values.front().commit)) << "</span> to <span "
       << "class=\"commit\">" << Html(Short(values.back().commit)) << "</span>)</p>\n";
  if (h.change_points.empty()) return;
  html << "<ul class=\"chart-changes\">";
  for (const ChangePoint& p : h.change_points) {
    const store::RunValue& v = values[p.index];
    html << "<li>" << Html(v.run) << ", commit <span class=\"commit\">" << Html(Short(v.commit))
         << "</span>: " << Pct(1 + p.change_pct / 100) << "</li>";
  }
  html << "</ul>\n";
}

// One chart per machine that measured `benchmark`; returns how many.
int BenchmarkSection(std::ostream& html, store::Store& store, const std::string& benchmark,
                     const std::vector<store::MachineInfo>& machines,
                     const ChangesBySeries& changes) {
  html << "<section class=\"benchmark\" data-benchmark=\"" << Html(benchmark) << "\">\n";
  static const std::vector<store::Change> kNone;
  int charts = 0;
  for (const store::MachineInfo& m : machines) {
    const std::vector<store::RunValue> values = store.RunValues(benchmark, m.name, kMetric);
    if (values.empty()) continue;
    const auto c = changes.find({m.name, benchmark});
    MachineChart(html, m.name, benchmark, values, c == changes.end() ? kNone : c->second);
    ++charts;
  }
  html << "</section>\n";
  return charts;
}

ChangesBySeries TimeChanges(const std::vector<store::Change>& changes) {
  ChangesBySeries out;
  for (const store::Change& c : changes) {
    if (c.metric == kMetric) out[{c.machine, c.benchmark}].push_back(c);
  }
  return out;
}

const char* kHead = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>";

// The machine × benchmark matrix of latest median times, one query for all of it.
void LatestMatrix(std::ostream& html, const std::vector<store::MachineInfo>& machines,
                  const std::vector<std::string>& benchmarks,
                  const std::vector<store::LatestValue>& latest,
                  const std::map<std::string, std::string>& class_of,
                  const std::vector<store::Change>& changes, Site site) {
  std::map<std::pair<std::string, std::string>, const store::LatestValue*> cell;
  std::map<std::string, const store::LatestValue*> run_of;  // machine → its latest run's row
  for (const store::LatestValue& v : latest) {
    cell[{v.machine, v.benchmark}] = &v;
    run_of.emplace(v.machine, &v);
  }
  std::map<std::tuple<std::string, std::string, int64_t>, std::string> change_at;
  for (const store::Change& c : changes) {
    if (c.metric == kMetric) change_at[{c.machine, c.benchmark, c.run_id}] = c.direction;
  }
  html << "<h2>Latest run per machine</h2>\n<table class=\"matrix\"><tr><th class=\"name\">"
          "benchmark</th>";
  for (const store::MachineInfo& m : machines) {
    const auto run = run_of.find(m.name);
    html << "<th class=\"machine\" title=\"" << Html(class_of.at(m.name)) << "\">" << Html(m.name);
    if (run != run_of.end()) {
      html << "<br><span class=\"commit\" title=\"run " << Html(run->second->run) << "\">"
           << Html(Short(run->second->commit)) << "</span>";
    }
    html << "</th>";
  }
  html << "</tr>\n";
  for (const std::string& b : benchmarks) {
    html << "<tr data-benchmark=\"" << Html(b) << "\"><td class=\"name\"><a href=\""
         << Html(BenchmarkHref(b, site)) << "\">" << Html(b) << "</a></td>";
    for (const store::MachineInfo& m : machines) {
      const auto it = cell.find({m.name, b});
      if (it == cell.end()) {
        html << "<td class=\"cell empty\">–</td>";
        continue;
      }
      const store::LatestValue& v = *it->second;
      const auto change = change_at.find({m.name, b, v.run_id});
      const std::string direction = change == change_at.end() ? "" : change->second;
      html << "<td class=\"cell " << direction << "\" title=\"run " << Html(v.run) << ", commit "
           << Html(Short(v.commit)) << (direction.empty() ? "" : ": " + direction) << "\">"
           << Num(v.value) << "</td>";
    }
    html << "</tr>\n";
  }
  html << "</table>\n";
}

// Each machine's newest run with claim verdicts: a claim per row, a machine per column.
void ClaimMatrix(std::ostream& html, store::Store& store,
                 const std::vector<store::MachineInfo>& machines) {
  std::map<std::string, store::RunInfo> run_of;
  std::map<std::pair<std::string, std::string>, store::VerdictInfo> verdict;  // (claim, machine)
  std::set<std::string> claims;
  for (const store::MachineInfo& m : machines) {
    for (const store::RunInfo& r : store.ListRuns({m.name, 30})) {
      if (r.pass + r.partial + r.fail + r.error == 0) continue;
      run_of[m.name] = r;
      for (const store::VerdictInfo& v : store.ListVerdicts(r.id)) {
        const std::string claim = v.module + "/" + v.claim;
        claims.insert(claim);
        verdict[{claim, m.name}] = v;
      }
      break;
    }
  }
  html << "<h2>Claim verdicts</h2>\n";
  if (claims.empty()) {
    html << "<p class=\"no-claims\">No run with claim verdicts yet.</p>\n";
    return;
  }
  html << "<table class=\"claims\"><tr><th class=\"name\">claim</th>";
  for (const store::MachineInfo& m : machines) {
    const auto r = run_of.find(m.name);
    html << "<th class=\"claims-machine\">" << Html(m.name);
    if (r != run_of.end()) {
      html << "<br><span class=\"commit\" title=\"run " << Html(r->second.run) << "\">"
           << Html(Short(r->second.commit)) << "</span>";
    }
    html << "</th>";
  }
  html << "</tr>\n";
  for (const std::string& claim : claims) {
    html << "<tr class=\"claim\"><td class=\"name\">" << Html(claim) << "</td>";
    for (const store::MachineInfo& m : machines) {
      const auto v = verdict.find({claim, m.name});
      if (v == verdict.end()) {
        html << "<td class=\"verdict empty\">–</td>";
        continue;
      }
      html << "<td class=\"verdict " << Html(v->second.verdict) << "\" title=\""
           << Html(v->second.reason) << "\">" << Html(v->second.verdict) << "</td>";
    }
    html << "</tr>\n";
  }
  html << "</table>\n";
}

// The false-alarm rate's cell: the rate, where it comes from, and what it is measured on.
void FalseAlarmCell(std::ostream& html, const store::FalseAlarmRate& a) {
  const bool profile = a.source == store::FalseAlarmSource::kNoiseProfile;
  html << "<td class=\"false-alarm " << store::FalseAlarmSourceName(a.source) << "\" title=\"";
  if (profile) {
    html << "its noise profile (run " << Html(a.profile_run) << "): " << a.alarms
         << " false alarms in " << a.tested << " A/A comparisons";
  } else {
    html << "its stored history: " << a.alarms << " recorded changes in " << a.tested
         << " series-runs";
  }
  html << "\">" << Num(a.rate) << (profile ? " (noise profile)" : " (history)") << "</td>";
}

void ChangeList(std::ostream& html, const std::vector<store::FleetChange>& fleet, Site site) {
  html << "<h2>Detected changes</h2>\n";
  if (fleet.empty()) {
    html << "<p class=\"no-changes\">No change detected yet.</p>\n";
    return;
  }
  html << "<p>Fleet verdict: seen on k of the n machines of the change's hardware class that "
          "measured its commit; confirmed when the others' agreement is beyond their own "
          "false-alarm rates (Poisson-binomial tail p &lt; "
       << Num(store::kFleetAlpha)
       << "), hardware-specific when the machines of other classes measured it and stayed "
          "within their noise. A machine's false-alarm rate is the upper 95% bound of the false "
          "alarms of its noise profile's A/A comparisons (times, when its runs carry a profile "
          "measured on it as it is now), else of its recorded changes per series and run "
          "searched; the column says which.</p>\n"
       << "<table class=\"changes\"><tr><th class=\"name\">machine</th><th class=\"name\">"
          "benchmark</th><th>metric</th><th>run</th><th>commit</th><th>ratio</th>"
          "<th>interval</th><th>direction</th><th>fleet</th><th>seen on</th>"
          "<th class=\"name\">hardware class</th><th>p</th><th class=\"name\">other classes</th>"
          "<th>false-alarm rate</th><th>detected</th></tr>\n";
  for (const store::FleetChange& f : fleet) {
    const store::Change& c = f.change;
    const std::string status = store::FleetStatusName(f.status);
    std::string others;
    for (const store::ClassEvidence& o : f.other_classes) {
      others += (others.empty() ? "" : "; ") + o.hardware_class + ": " + std::to_string(o.k) +
                " of " + std::to_string(o.n);
    }
    const bool interval = std::isfinite(c.low) && std::isfinite(c.high);
    html << "<tr class=\"change " << (c.direction == "regression" ? "regression" : "improvement")
         << "\" data-benchmark=\"" << Html(c.benchmark) << "\" data-fleet=\"" << status
         << "\"><td class=\"name\">" << Html(c.machine) << "</td><td class=\"name\"><a href=\""
         << Html(BenchmarkHref(c.benchmark, site)) << "\">" << Html(c.benchmark) << "</a></td><td>"
         << Html(c.metric) << "</td><td>" << c.run_id << "</td><td class=\"commit\">"
         << Html(Short(c.commit)) << "</td><td>" << Num(c.ratio) << "</td><td>"
         << (interval ? "[" + Num(c.low) + ", " + Num(c.high) + "]" : std::string("–"))
         << "</td><td>" << Html(c.direction) << "</td><td class=\"fleet " << status << "\">"
         << status << "</td><td class=\"seen-on\">" << f.own.k << " of " << f.own.n
         << "</td><td class=\"name\">" << Html(f.hardware_class) << "</td><td>"
         << Num(f.own.p_value) << "</td><td class=\"name\">"
         << (others.empty() ? "–" : Html(others)) << "</td>";
    FalseAlarmCell(html, f.false_alarm);
    html << "<td>" << Html(c.detected_utc) << "</td></tr>\n";
  }
  html << "</table>\n";
}

std::map<std::string, std::string> Classes(const std::vector<store::MachineInfo>& machines) {
  std::map<std::string, std::string> out;
  for (const store::MachineInfo& m : machines)
    out[m.name] = store::HardwareClassOf(m.environment_json);
  return out;
}

// The front page, linking the pages of `benchmarks`.
std::string FrontPage(store::Store& store, const std::vector<std::string>& benchmarks, Site site) {
  const std::vector<store::MachineInfo> machines = store.ListMachines();
  const std::vector<store::LatestValue> latest = store.LatestValues(kMetric);
  const std::vector<store::FleetChange> fleet = store::FleetChanges(store);
  std::vector<store::Change> changes;
  for (const store::FleetChange& f : fleet) changes.push_back(f.change);
  const std::map<std::string, std::string> class_of = Classes(machines);

  std::ostringstream html;
  html << kHead << "Fleet performance</title>\n<style>" << kStyle << "</style></head><body>\n"
       << "<h1>Fleet performance</h1>\n<p>" << machines.size() << " machines, " << benchmarks.size()
       << " benchmarks, " << changes.size()
       << " detected changes. Times are the median of a run's repetitions (" << kMetric
       << ", ns). Each benchmark's history, one chart per machine, is on its own page: follow "
          "its name.</p>\n"
       << "<p><input id=\"filter\" type=\"search\" placeholder=\"Filter benchmarks\" "
          "aria-label=\"Filter benchmarks\"></p>\n";
  LatestMatrix(html, machines, benchmarks, latest, class_of, changes, site);
  ClaimMatrix(html, store, machines);
  ChangeList(html, fleet, site);
  html << "<script>" << kFilterScript << "</script>\n</body></html>\n";
  return html.str();
}

std::string BenchmarkPage(store::Store& store, const std::string& benchmark,
                          const std::vector<store::MachineInfo>& machines,
                          const ChangesBySeries& changes, Site site) {
  std::ostringstream html;
  html << kHead << Html(benchmark) << " – fleet performance</title>\n<style>" << kStyle
       << "</style></head><body>\n<p class=\"nav\"><a href=\""
       << (site == Site::kServer ? "./" : "../index.html") << "\">Fleet performance</a></p>\n<h1>"
       << Html(benchmark)
       << "</h1>\n<p>One chart per machine: a point per run (the median of its repetitions, "
       << kMetric
       << ", ns), dashed red lines at the changes detected and recorded (a shift of more than "
          "10% that holds, Mann–Whitney p &lt; 0.01), each listed below its chart with its "
          "commit.</p>\n";
  if (BenchmarkSection(html, store, benchmark, machines, changes) == 0) {
    html << "<p class=\"no-runs\">No machine has measured this benchmark.</p>\n";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace

std::string DashboardHtml(store::Store& store, Site site) {
  return FrontPage(store, store.ListBenchmarks(), site);
}

std::string BenchmarkHistoryHtml(store::Store& store, const std::string& benchmark, Site site) {
  return BenchmarkPage(store, benchmark, store.ListMachines(), TimeChanges(store.ListChanges()),
                       site);
}

std::string BenchmarkPageFile(const std::string& benchmark) {
  std::string name;
  for (const char c : benchmark.substr(0, kMaxFileStem)) {
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  }
  // FNV-1a over the whole name: names that differ only in the replaced or cut characters get
  // different files.
  uint64_t h = 14695981039346656037ull;
  for (const char c : benchmark) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string(kPagesDir) + "/" + name + "-" + hex + ".html";
}

int PublishDashboard(store::Store& store, const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path pages = fs::path(dir) / kPagesDir;
  std::error_code ec;
  fs::create_directories(pages, ec);
  PERF_CHECK(!ec, "publish: cannot create ", pages.string(), ": ", ec.message());
  const std::vector<std::string> benchmarks = store.ListBenchmarks();
  const std::vector<store::MachineInfo> machines = store.ListMachines();
  const ChangesBySeries changes = TimeChanges(store.ListChanges());
  std::set<std::string> written;
  for (const std::string& b : benchmarks) {
    const std::string file = BenchmarkPageFile(b);
    PERF_CHECK(written.insert(fs::path(file).filename().string()).second,
               "publish: two benchmarks map to the page ", file, " (a hash collision)");
    fileio::WriteAtomically((fs::path(dir) / file).string(),
                            BenchmarkPage(store, b, machines, changes, Site::kStatic));
  }
  // The site shows the store as it is now: a page of a benchmark no longer in it goes.
  for (const fs::directory_entry& e : fs::directory_iterator(pages)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.ends_with(".html") && !written.contains(name)) {
      fs::remove(e.path());
    }
  }
  fileio::WriteAtomically((fs::path(dir) / "index.html").string(),
                          FrontPage(store, benchmarks, Site::kStatic));
  return static_cast<int>(written.size());
}

}  // namespace perf::server
