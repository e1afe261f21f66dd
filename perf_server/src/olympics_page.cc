// The Olympics' leaderboard (olympics_page.h): store rows → JSON, and the page.
#include "perf_server/olympics_page.h"

#include <filesystem>
#include <map>

#include "api.h"
#include "fileio/fileio.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/suite.h"

namespace perf::server {

namespace {

using escape::Html;
using format::Num;

constexpr size_t kMaxNameChars = 64;
constexpr size_t kMaxReasonChars = 300;

// A stored JSON document (api.h's Embedded); null when none was stored yet.
nlohmann::json EmbeddedOrNull(const std::string& text) {
  return text.empty() ? nlohmann::json() : Embedded(text);
}

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// "int8, prune=0.5 (20 epochs, seed 42)" from a stored recipe.
std::string RecipeText(const std::string& recipe_json) {
  const nlohmann::json r = EmbeddedOrNull(recipe_json);
  if (!r.is_object() || !r.contains("techniques") || !r["techniques"].is_array())
    return recipe_json;
  std::string s;
  for (const nlohmann::json& t : r["techniques"]) {
    s += (s.empty() ? "" : ", ") + (t.is_string() ? t.get<std::string>() : t.dump());
  }
  if (r.contains("epochs") && r.contains("seed")) {
    s += " (" + r["epochs"].dump() + " epochs, seed " + r["seed"].dump() + ")";
  }
  return s;
}

std::string ScoreText(const store::SubmissionInfo& s) {
  if (!std::isfinite(s.score)) return "–";
  return Num(s.score) + " [" + Num(s.score_low) + ", " + Num(s.score_high) + "]";
}

const char* kStyle = R"css(
body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.status-verified { color: #1a7f37; } .status-rejected { color: #b42318; }
.status-error { color: #9a6700; } .status-pending, .status-running { color: #555; }
td.score { font-variant-numeric: tabular-nums; white-space: nowrap; }
details { margin: 0; } ol { margin: 0.3em 0; padding-left: 1.5em; }
.rule { color: #555; }
)css";

}  // namespace

nlohmann::json SubmissionJson(const store::SubmissionInfo& s, bool with_claim) {
  nlohmann::json j = {
      {"id", s.id},
      {"event", s.event},
      {"athlete", s.athlete},
      {"status", s.status},
      {"submitted_utc", s.submitted_utc},
      {"finished_utc", s.finished_utc.empty() ? nlohmann::json() : nlohmann::json(s.finished_utc)},
      {"attempts", s.attempts},
      {"score", Number(s.score)},
      {"interval", std::isfinite(s.score)
                       ? nlohmann::json::array({Number(s.score_low), Number(s.score_high)})
                       : nlohmann::json()},
      {"reason", s.reason},
      {"recipe", EmbeddedOrNull(s.recipe_json)},
      {"fingerprint", s.fingerprint}};
  if (with_claim) {
    j["claimed"] = EmbeddedOrNull(s.claimed_json);
    j["measured"] = EmbeddedOrNull(s.measured_json);
  }
  return j;
}

nlohmann::json EventsJson(const std::vector<store::EventInfo>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::EventInfo& e : events) {
    out.push_back({{"name", e.name},
                   {"division", e.division},
                   {"deadline_utc", e.deadline_utc},
                   {"max_submissions", e.max_submissions},
                   {"rules", EmbeddedOrNull(e.rules_json)},
                   {"created_utc", e.created_utc}});
  }
  return {{"events", out}};
}

nlohmann::json LeaderboardJson(store::OlympicsStore& o, const store::EventInfo& event) {
  const std::vector<store::LeaderboardRow> rows = o.Leaderboard(event.name);
  std::map<std::string, nlohmann::json> history;
  for (const store::SubmissionInfo& s : o.ListSubmissions(event.name)) {
    history[s.athlete].push_back(SubmissionJson(s, false));
  }
  nlohmann::json entries = nlohmann::json::array();
  for (const store::LeaderboardRow& r : rows) {
    entries.push_back({{"rank", r.rank},
                       {"athlete", r.best.athlete},
                       {"score", Number(r.best.score)},
                       {"interval", {Number(r.best.score_low), Number(r.best.score_high)}},
                       {"submission_id", r.best.id},
                       {"recipe", EmbeddedOrNull(r.best.recipe_json)},
                       {"status", r.best.status},
                       {"submissions", r.submissions},
                       {"history", history[r.best.athlete]}});
  }
  nlohmann::json unranked = nlohmann::json::object();
  for (auto& [athlete, h] : history) {
    const bool ranked = std::any_of(rows.begin(), rows.end(),
                                    [&a = athlete](const auto& r) { return r.best.athlete == a; });
    if (!ranked) unranked[athlete] = h;
  }
  return {{"event", event.name},
          {"division", event.division},
          {"deadline_utc", event.deadline_utc},
          {"max_submissions", event.max_submissions},
          {"rules", EmbeddedOrNull(event.rules_json)},
          {"rank_rule", kRankRule},
          {"queue", o.CountByStatus(event.name)},
          {"entries", entries},
          {"unranked", unranked}};
}

namespace {

// One athlete's submissions, oldest first, folded away.
std::string HistoryHtml(const std::vector<const store::SubmissionInfo*>& subs) {
  std::string h = "<details><summary>" + std::to_string(subs.size()) +
                  " submission(s)</summary><ol class=\"history\">";
  for (const store::SubmissionInfo* s : subs) {
    h += "<li data-id=\"" + std::to_string(s->id) + "\"><span class=\"status-" + Html(s->status) +
         "\">" + Html(s->status) + "</span> " + Html(s->submitted_utc) + " " + Html(ScoreText(*s)) +
         " · " + Html(RecipeText(s->recipe_json));
    if (!s->reason.empty()) h += " — " + Html(escape::Shorten(s->reason, kMaxReasonChars));
    h += "</li>";
  }
  return h + "</ol></details>";
}

}  // namespace

std::string OlympicsPageHtml(store::OlympicsStore& o, const store::EventInfo& event) {
  const std::vector<store::LeaderboardRow> rows = o.Leaderboard(event.name);
  const std::vector<store::SubmissionInfo> all = o.ListSubmissions(event.name);
  std::map<std::string, std::vector<const store::SubmissionInfo*>> by_athlete;
  for (const store::SubmissionInfo& s : all) by_athlete[s.athlete].push_back(&s);
  const std::map<std::string, int64_t> queue = o.CountByStatus(event.name);

  const std::string title = "TorchPerf Olympics: " + event.name;
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html(title) +
      "</title><style>" + kStyle + "</style></head><body>\n<h1>" + Html(title) + "</h1>\n<p>" +
      Html(event.division) + " division · deadline " + Html(event.deadline_utc) + " · at most " +
      std::to_string(event.max_submissions) +
      " submissions per athlete</p>\n<p class=\"rule\" id=\"rank-rule\">" +
      Html(std::string("Scores are measured by the server, not claimed: ") + kRankRule) +
      ".</p>\n<p id=\"queue\">";
  for (const auto& [status, n] : queue) h += Html(status) + " " + std::to_string(n) + " · ";
  h += std::to_string(all.size()) + " submissions</p>\n";
  h += "<table class=\"leaderboard\"><thead><tr><th>rank</th><th>athlete</th><th>score "
       "[interval]</th><th>recipe</th><th>status</th><th>history</th></tr></thead><tbody>\n";
  for (const store::LeaderboardRow& r : rows) {
    const std::string name = escape::Shorten(r.best.athlete, kMaxNameChars);
    h += "<tr class=\"entry\" data-rank=\"" + std::to_string(r.rank) + "\"><td>" +
         std::to_string(r.rank) + "</td><td class=\"athlete\">" + Html(name) +
         "</td><td class=\"score\">" + Html(ScoreText(r.best)) + "</td><td class=\"recipe\">" +
         Html(RecipeText(r.best.recipe_json)) + "</td><td class=\"status-" + Html(r.best.status) +
         "\">" + Html(r.best.status) + "</td><td>" + HistoryHtml(by_athlete[r.best.athlete]) +
         "</td></tr>\n";
  }
  if (rows.empty()) h += "<tr><td colspan=\"6\">No verified submission yet.</td></tr>\n";
  h += "</tbody></table>\n<h2>Not ranked yet</h2>\n<table class=\"unranked\"><thead><tr><th>"
       "athlete</th><th>history</th></tr></thead><tbody>\n";
  bool waiting = false;
  for (const auto& [athlete, subs] : by_athlete) {
    const bool ranked = std::any_of(rows.begin(), rows.end(),
                                    [&a = athlete](const auto& r) { return r.best.athlete == a; });
    if (ranked) continue;
    waiting = true;
    h += "<tr class=\"waiting\"><td class=\"athlete\">" +
         Html(escape::Shorten(athlete, kMaxNameChars)) + "</td><td>" + HistoryHtml(subs) +
         "</td></tr>\n";
  }
  if (!waiting) h += "<tr><td colspan=\"2\">Every athlete who submitted is ranked.</td></tr>\n";
  return h + "</tbody></table>\n</body></html>\n";
}

int PublishOlympics(store::Store& store, const std::string& dir) {
  store::OlympicsStore o(store);
  const std::vector<store::EventInfo> events = o.ListEvents();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  PERF_CHECK(!ec, "publish: cannot create ", dir, ": ", ec.message());
  std::string index = std::string(
                          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                          "<title>TorchPerf Olympics</title><style>") +
                      kStyle + "</style></head><body><h1>TorchPerf Olympics</h1><ul>\n";
  for (const store::EventInfo& e : events) {
    // Event names are identifiers (CheckName): safe as file names.
    fileio::WriteAtomically(dir + "/" + e.name + ".html", OlympicsPageHtml(o, e));
    index += "<li><a href=\"" + Html(e.name) + ".html\">" + Html(e.name) + "</a> (" +
             Html(e.division) + ", deadline " + Html(e.deadline_utc) + ")</li>\n";
  }
  fileio::WriteAtomically(dir + "/index.html", index + "</ul></body></html>\n");
  return static_cast<int>(events.size());
}

}  // namespace perf::server
