// Capstone: TorchPerf Olympics events, scores, submissions and leaderboards.
#include "tinytorch/olympics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "perf_framework/environment.h"
#include "perf_framework/escape.h"
#include "perf_framework/suite.h"
#include "printf.h"
#include "tinytorch/error.h"

namespace tinytorch {

namespace {

constexpr const char* kSchema = "tinyperf.olympics.submission/1";
constexpr double kMaxSpeedup = 50;
constexpr double kMaxCompression = 32;
constexpr double kClosedMaxAccuracyGain = 0.01;

using detail::Printf;

void CheckMeasured(const MeasuredValue& v, const std::string& what) {
  TT_CHECK(std::isfinite(v.value) && std::isfinite(v.low) && std::isfinite(v.high), what,
           " has a non-finite value or bound (", v.value, " in [", v.low, ", ", v.high, "])");
  TT_CHECK(v.low <= v.value && v.value <= v.high, what, " interval [", v.low, ", ", v.high,
           "] does not contain its value ", v.value);
}

void CheckMetrics(const OlympicMetrics& m, const std::string& who) {
  CheckMeasured(m.accuracy, who + " accuracy");
  CheckMeasured(m.latency_ms, who + " latency_ms");
  TT_CHECK(m.accuracy.low >= 0 && m.accuracy.high <= 1, who, " accuracy [", m.accuracy.low, ", ",
           m.accuracy.high, "] is outside [0, 1]");
  TT_CHECK(m.latency_ms.low > 0, who, " latency_ms ", m.latency_ms.value, " (low ",
           m.latency_ms.low, ") must be positive");
  TT_CHECK(m.size_bytes > 0, who, " size_bytes ", m.size_bytes, " must be positive");
  TT_CHECK(m.evaluated >= 0, who, " evaluated ", m.evaluated, " must not be negative");
  // An accuracy measured on N examples is k/N for a whole k; anything else was typed, not
  // measured. The tolerance only absorbs the decimal printing of k/N (17 significant digits).
  if (m.evaluated > 0) {
    const double n = static_cast<double>(m.evaluated);
    const double k = std::round(m.accuracy.value * n);
    TT_CHECK(std::abs(m.accuracy.value - k / n) <= 1e-9, who, " accuracy ", m.accuracy.value,
             " is not a whole count of its ", m.evaluated, " evaluated examples (k/",
             m.evaluated, " for an integer k; the nearest is ", k, "/", m.evaluated, ")");
  }
}

}  // namespace

const char* EventName(OlympicEvent event) {
  switch (event) {
    case OlympicEvent::kLatencySprint:
      return "latency_sprint";
    case OlympicEvent::kMemoryChallenge:
      return "memory_challenge";
    case OlympicEvent::kAccuracyContest:
      return "accuracy_contest";
    case OlympicEvent::kAllAround:
      return "all_around";
    case OlympicEvent::kExtremePush:
      return "extreme_push";
  }
  return "unknown";
}

OlympicEvent ParseOlympicEvent(const std::string& name) {
  for (OlympicEvent e : kAllOlympicEvents) {
    if (name == EventName(e)) return e;
  }
  detail::Throw("ParseOlympicEvent: unknown event '", name,
                "' (events: latency_sprint, memory_challenge, accuracy_contest, all_around, "
                "extreme_push)");
}

EventRules RulesFor(OlympicEvent event) {
  switch (event) {
    case OlympicEvent::kLatencySprint:
      return {.min_accuracy = 0.85, .scored_by = "speedup"};
    case OlympicEvent::kMemoryChallenge:
      return {.min_accuracy = 0.85, .scored_by = "compression ratio"};
    case OlympicEvent::kAccuracyContest:
      return {.max_latency_ms = 100, .max_size_bytes = int64_t{10} << 20, .scored_by = "accuracy"};
    case OlympicEvent::kAllAround:
      return {.scored_by = "efficiency"};
    case OlympicEvent::kExtremePush:
      return {.min_accuracy = 0.80, .scored_by = "speedup x compression ratio"};
  }
  return {};
}

std::string RulesJson(OlympicEvent event) {
  const EventRules r = RulesFor(event);
  return nlohmann::json{{"event", EventName(event)},
                        {"min_accuracy", r.min_accuracy},
                        {"max_latency_ms", r.max_latency_ms},
                        {"max_size_bytes", r.max_size_bytes},
                        {"scored_by", r.scored_by}}
      .dump();
}

Qualification QualifiesEvent(OlympicEvent event, const OlympicMetrics& m) {
  CheckMetrics(m, std::string("QualifiesEvent(") + EventName(event) + "): optimized");
  const EventRules rules = RulesFor(event);
  Qualification q;
  if (rules.min_accuracy > 0 && m.accuracy.value < rules.min_accuracy) {
    q.failures.push_back(Printf("accuracy %.4f < %.2f", m.accuracy.value, rules.min_accuracy));
  }
  if (rules.max_latency_ms > 0 && !(m.latency_ms.value < rules.max_latency_ms)) {
    q.failures.push_back(Printf("median latency %.4g ms is not below %.0f ms", m.latency_ms.value,
                                rules.max_latency_ms));
  }
  if (rules.max_size_bytes > 0 && m.size_bytes >= rules.max_size_bytes) {
    q.failures.push_back(Printf("size %.0f bytes is not below %.0f bytes (10 MiB)",
                                static_cast<double>(m.size_bytes),
                                static_cast<double>(rules.max_size_bytes)));
  }
  q.qualifies = q.failures.empty();
  return q;
}

OlympicScores ScoreSubmission(OlympicEvent event, const OlympicMetrics& baseline,
                              const OlympicMetrics& optimized) {
  CheckMetrics(baseline, "ScoreSubmission: baseline");
  CheckMetrics(optimized, "ScoreSubmission: optimized");
  TT_CHECK(baseline.accuracy.value > 0,
           "ScoreSubmission: baseline accuracy is 0, so accuracy "
           "retention is undefined");
  OlympicScores s;
  s.speedup = baseline.latency_ms.value / optimized.latency_ms.value;
  s.speedup_low = baseline.latency_ms.low / optimized.latency_ms.high;
  s.speedup_high = baseline.latency_ms.high / optimized.latency_ms.low;
  s.compression_ratio =
      static_cast<double>(baseline.size_bytes) / static_cast<double>(optimized.size_bytes);
  s.accuracy_delta = optimized.accuracy.value - baseline.accuracy.value;
  s.efficiency = std::sqrt(s.speedup * s.compression_ratio) * optimized.accuracy.value /
                 baseline.accuracy.value;
  switch (event) {
    case OlympicEvent::kLatencySprint:
      s.event_score = s.speedup;
      break;
    case OlympicEvent::kMemoryChallenge:
      s.event_score = s.compression_ratio;
      break;
    case OlympicEvent::kAccuracyContest:
      s.event_score = optimized.accuracy.value;
      break;
    case OlympicEvent::kAllAround:
      s.event_score = s.efficiency;
      break;
    case OlympicEvent::kExtremePush:
      s.event_score = s.speedup * s.compression_ratio;
      break;
  }
  return s;
}

MeasuredValue EventScoreInterval(OlympicEvent event, const OlympicMetrics& baseline,
                                 const OlympicMetrics& optimized) {
  const OlympicScores s = ScoreSubmission(event, baseline, optimized);
  const double c = s.compression_ratio;
  switch (event) {
    case OlympicEvent::kLatencySprint:
      return {s.speedup, s.speedup_low, s.speedup_high};
    case OlympicEvent::kMemoryChallenge:
      return {c, c, c};
    case OlympicEvent::kAccuracyContest:
      return optimized.accuracy;
    case OlympicEvent::kAllAround: {
      // A baseline accuracy interval reaching 0 would make the upper bound infinite: the
      // estimate stands in for it then.
      const double high_divisor =
          baseline.accuracy.low > 0 ? baseline.accuracy.low : baseline.accuracy.value;
      return {s.efficiency,
              std::min(s.efficiency, std::sqrt(s.speedup_low * c) * optimized.accuracy.low /
                                         baseline.accuracy.high),
              std::max(s.efficiency, std::sqrt(s.speedup_high * c) * optimized.accuracy.high /
                                         high_divisor)};
    }
    case OlympicEvent::kExtremePush:
      return {s.event_score, s.speedup_low * c, s.speedup_high * c};
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// JSON.

namespace {

nlohmann::json Json(const MeasuredValue& v) {
  return {{"value", v.value}, {"low", v.low}, {"high", v.high}};
}

nlohmann::json Json(const OlympicMetrics& m) {
  nlohmann::json accuracy = Json(m.accuracy);
  if (m.evaluated > 0) accuracy["evaluated"] = m.evaluated;
  return {{"model", m.model},
          {"accuracy", accuracy},
          {"latency_ms", Json(m.latency_ms)},
          {"size_bytes", m.size_bytes}};
}

const nlohmann::json& Field(const nlohmann::json& j, const std::string& key,
                            const std::string& path) {
  TT_CHECK(j.is_object() && j.contains(key), "submission: missing field '", path, key, "'");
  return j.at(key);
}

std::string String(const nlohmann::json& j, const std::string& key, const std::string& path = "") {
  const nlohmann::json& v = Field(j, key, path);
  TT_CHECK(v.is_string(), "submission: field '", path, key, "' must be a string, got ", v.dump());
  return v.get<std::string>();
}

double Number(const nlohmann::json& j, const std::string& key, const std::string& path) {
  const nlohmann::json& v = Field(j, key, path);
  TT_CHECK(v.is_number(), "submission: field '", path, key, "' must be a number, got ", v.dump());
  return v.get<double>();
}

int64_t Integer(const nlohmann::json& j, const std::string& key, const std::string& path) {
  const nlohmann::json& v = Field(j, key, path);
  TT_CHECK(v.is_number_integer(), "submission: field '", path, key, "' must be an integer, got ",
           v.dump());
  return v.get<int64_t>();
}

MeasuredValue ParseMeasured(const nlohmann::json& j, const std::string& path) {
  TT_CHECK(j.is_object(), "submission: field '", path, "' must be an object");
  return {Number(j, "value", path + "."), Number(j, "low", path + "."),
          Number(j, "high", path + ".")};
}

OlympicMetrics ParseMetrics(const nlohmann::json& j, const std::string& name) {
  const std::string path = name + ".";
  TT_CHECK(j.is_object(), "submission: field '", name, "' must be an object");
  OlympicMetrics m;
  m.model = String(j, "model", path);
  m.accuracy = ParseMeasured(Field(j, "accuracy", path), path + "accuracy");
  if (j.at("accuracy").contains("evaluated")) {
    m.evaluated = Integer(j.at("accuracy"), "evaluated", path + "accuracy.");
    TT_CHECK(m.evaluated >= 1, "submission: field '", path, "accuracy.evaluated' is ", m.evaluated,
             ": an accuracy is measured on at least one example");
  }
  m.latency_ms = ParseMeasured(Field(j, "latency_ms", path), path + "latency_ms");
  m.size_bytes = Integer(j, "size_bytes", path);
  return m;
}

}  // namespace

std::string Submission::ToJson() const {
  nlohmann::json j = {
      {"schema", kSchema},          {"division", division},
      {"event", EventName(event)},  {"athlete", athlete},
      {"baseline", Json(baseline)}, {"optimized", Json(optimized)},
      {"techniques", techniques},   {"environment", nlohmann::json::parse(environment_json)},
      {"timestamp", timestamp}};
  if (epochs > 0) j["epochs"] = epochs;
  if (seed >= 0) j["seed"] = seed;
  return j.dump(2);
}

OlympicTechnique ParseOlympicTechnique(const std::string& text) {
  const size_t eq = text.find('=');
  OlympicTechnique t{.name = text.substr(0, eq)};
  const bool fraction = t.name == "prune" || t.name == "structured";
  const bool convert = t.name == "int8" || t.name == "sparse";
  TT_CHECK((fraction && eq != std::string::npos) || (convert && eq == std::string::npos),
           "unknown technique '", perf::escape::Shorten(text, 80),
           "' (known: int8, sparse, prune=<fraction>, structured=<fraction>)");
  if (fraction) {
    const std::string value = text.substr(eq + 1);
    char* end = nullptr;
    t.fraction = value.empty() ? -1 : std::strtod(value.c_str(), &end);
    TT_CHECK(end == value.c_str() + value.size() && t.fraction >= 0 && t.fraction < 1,
             "technique '", perf::escape::Shorten(text, 80), "': '",
             perf::escape::Shorten(value, 80), "' is not a fraction in [0, 1)");
  }
  return t;
}

Submission Submission::FromJson(const std::string& text) {
  nlohmann::json j;
  try {
    j = perf::ParseJson(text, "submission");
  } catch (const perf::Error& e) {
    throw Error(e.what());
  }
  TT_CHECK(j.is_object(), "submission: expected a JSON object");
  const std::string schema = String(j, "schema");
  TT_CHECK(schema == kSchema, "submission: schema '", schema, "' is not supported (expected '",
           kSchema, "')");
  Submission s;
  s.division = String(j, "division");
  TT_CHECK(s.division == "closed" || s.division == "open", "submission: division '", s.division,
           "' must be 'closed' or 'open'");
  s.event = ParseOlympicEvent(String(j, "event"));
  s.athlete = String(j, "athlete");
  TT_CHECK(!s.athlete.empty(), "submission: field 'athlete' is empty");
  s.baseline = ParseMetrics(Field(j, "baseline", ""), "baseline");
  s.optimized = ParseMetrics(Field(j, "optimized", ""), "optimized");
  const nlohmann::json& techniques = Field(j, "techniques", "");
  TT_CHECK(techniques.is_array(), "submission: field 'techniques' must be an array of strings");
  for (const nlohmann::json& t : techniques) {
    TT_CHECK(t.is_string(), "submission: field 'techniques' must be an array of strings, got ",
             t.dump());
    s.techniques.push_back(t.get<std::string>());
  }
  const nlohmann::json& env = Field(j, "environment", "");
  TT_CHECK(env.is_object(), "submission: field 'environment' must be an object");
  s.environment_json = env.dump();
  s.timestamp = String(j, "timestamp");
  if (j.contains("epochs")) {
    s.epochs = static_cast<int>(std::clamp<int64_t>(Integer(j, "epochs", ""), -1, 1 << 20));
    TT_CHECK(s.epochs >= 1 && s.epochs <= 1000, "submission: field 'epochs' must be 1 to 1000");
  }
  if (j.contains("seed")) {
    s.seed = Integer(j, "seed", "");
    TT_CHECK(s.seed >= 0 && s.seed < (int64_t{1} << 53),
             "submission: field 'seed' must be an integer in [0, 2^53)");
  }
  return s;
}

namespace {

// The plausibility checks of a parsed submission; its scores go to `scores` when it has any.
SubmissionCheck Check(const Submission& s, OlympicScores& scores) {
  SubmissionCheck check;
  try {
    CheckMetrics(s.baseline, "baseline");
    CheckMetrics(s.optimized, "optimized");
  } catch (const std::exception& e) {
    check.errors.emplace_back(e.what());
    return check;
  }
  const Qualification q = QualifiesEvent(s.event, s.optimized);
  for (const std::string& f : q.failures) {
    check.errors.push_back(std::string("does not qualify for ") + EventName(s.event) + ": " + f);
  }
  if (s.baseline.accuracy.value <= 0) {
    check.errors.emplace_back("baseline accuracy is 0: nothing to normalize against");
    return check;
  }
  scores = ScoreSubmission(s.event, s.baseline, s.optimized);
  const OlympicScores& sc = scores;
  if (sc.speedup > kMaxSpeedup) {
    check.errors.push_back(
        Printf("speedup %.1fx is above the plausible %.0fx", sc.speedup, kMaxSpeedup));
  }
  if (sc.compression_ratio > kMaxCompression) {
    check.errors.push_back(
        Printf("compression %.1fx is above the plausible %.0fx (float32 to "
               "1 bit)",
               sc.compression_ratio, kMaxCompression));
  }
  if (sc.accuracy_delta > kClosedMaxAccuracyGain) {
    (s.division == "closed" ? check.errors : check.warnings)
        .push_back(
            Printf("accuracy gain of %.2f points over the baseline", 100 * sc.accuracy_delta) +
            (s.division == "closed"
                 ? " (more than 1 point is not credible in the closed division)"
                 : " (more than 1 point: check that the baseline was fully trained)"));
  }
  if (s.techniques.empty()) check.errors.emplace_back("no techniques listed");
  for (const std::string& t : s.techniques) {
    try {
      (void)ParseOlympicTechnique(t);
    } catch (const Error& e) {
      check.errors.emplace_back(e.what());
    }
  }
  if (s.event == OlympicEvent::kLatencySprint || s.event == OlympicEvent::kExtremePush) {
    if (sc.speedup_low <= 1 && sc.speedup_high >= 1) {
      check.warnings.push_back(
          Printf("speedup %.2fx is not significant: its interval [%.2f, %.2f] "
                 "includes 1",
                 sc.speedup, sc.speedup_low, sc.speedup_high));
    } else if (sc.speedup_high < 1) {
      check.warnings.push_back(
          Printf("the optimized model is slower than the baseline: speedup "
                 "%.2fx [%.2f, %.2f]",
                 sc.speedup, sc.speedup_low, sc.speedup_high));
    }
  }
  for (const auto* m : {&s.baseline, &s.optimized}) {
    if (m->latency_ms.high - m->latency_ms.low > 0.5 * m->latency_ms.value) {
      check.warnings.push_back(m->model + Printf(" latency interval [%.4g, %.4g] ms is wider than "
                                                 "+-25%% of its median %.4g ms",
                                                 m->latency_ms.low, m->latency_ms.high,
                                                 m->latency_ms.value));
    }
  }
  // ISO 8601 UTC strings of the same form compare in time order.
  if (!perf::IsUtcTimestamp(s.timestamp)) {
    check.errors.push_back("timestamp '" + s.timestamp +
                           "' is not ISO 8601 UTC (YYYY-MM-DDTHH:MM:SSZ) on the calendar");
  } else if (s.timestamp > perf::UtcNow()) {
    check.warnings.push_back("timestamp " + s.timestamp + " is in the future");
  }
  return check;
}

}  // namespace

SubmissionCheck ValidateSubmission(const std::string& json) {
  Submission s;
  try {
    s = Submission::FromJson(json);
  } catch (const std::exception& e) {
    SubmissionCheck check;
    check.errors.emplace_back(e.what());
    return check;
  }
  OlympicScores scores;
  return Check(s, scores);
}

// ---------------------------------------------------------------------------------------------
// Leaderboards.

namespace {

// The score as the board prints it: 4 significant digits.
double Printed(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return std::strtod(buf, nullptr);
}

}  // namespace

Leaderboard BuildLeaderboard(OlympicEvent event, const std::string& division,
                             const std::vector<std::pair<std::string, std::string>>& submissions) {
  TT_CHECK(division == "closed" || division == "open", "BuildLeaderboard: division '", division,
           "' must be 'closed' or 'open'");
  Leaderboard board;
  board.event = event;
  board.division = division;
  for (const auto& [source, text] : submissions) {
    LeaderboardEntry e;
    e.source = source;
    try {
      e.submission = Submission::FromJson(text);
    } catch (const std::exception& error) {
      board.rejected.emplace_back(source, error.what());
      continue;
    }
    const SubmissionCheck check = Check(e.submission, e.scores);
    if (!check.valid()) {
      board.rejected.emplace_back(source, check.errors.front());
    } else if (e.submission.event != event || e.submission.division != division) {
      ++board.skipped_other;
    } else {
      board.entries.push_back(std::move(e));
    }
  }
  std::sort(board.entries.begin(), board.entries.end(),
            [](const LeaderboardEntry& a, const LeaderboardEntry& b) {
              const double sa = Printed(a.scores.event_score), sb = Printed(b.scores.event_score);
              if (sa != sb) return sa > sb;
              // A tie shares its rank; the order within it is alphabetical and means nothing, so
              // no self-reported field (an early timestamp, say) can put anyone first.
              if (a.submission.athlete != b.submission.athlete) {
                return a.submission.athlete < b.submission.athlete;
              }
              return a.source < b.source;
            });
  // One row per athlete: the sort put each one's best first.
  std::set<std::string> seen;
  std::vector<LeaderboardEntry> best;
  for (LeaderboardEntry& e : board.entries) {
    if (seen.insert(e.submission.athlete).second) {
      best.push_back(std::move(e));
    } else {
      ++board.superseded;
    }
  }
  board.entries = std::move(best);
  for (size_t i = 0; i < board.entries.size(); ++i) {
    const bool tie = i > 0 && Printed(board.entries[i].scores.event_score) ==
                                  Printed(board.entries[i - 1].scores.event_score);
    board.entries[i].rank = tie ? board.entries[i - 1].rank : static_cast<int>(i) + 1;
  }
  return board;
}

namespace {
constexpr size_t kMaxCellChars = 80;  // a name longer than this is shortened with "…"
}  // namespace

std::string Leaderboard::ToMarkdown() const {
  std::string s = std::string("# TorchPerf Olympics: ") + EventName(event) + " (" + division +
                  " division)\n\nRanked by " + RulesFor(event).scored_by + ".\n\n";
  s += "| rank | athlete | score | speedup [interval] | compression | accuracy | delta (points) | "
       "efficiency | techniques | submitted |\n|---|---|---|---|---|---|---|---|---|---|\n";
  // Names, techniques and timestamps come from files students wrote: each is shortened visibly
  // and escaped as a Markdown cell, so none can forge a row or break the table.
  const auto cell = [](const std::string& text) {
    return perf::escape::MarkdownCell(perf::escape::Shorten(text, kMaxCellChars));
  };
  for (const LeaderboardEntry& e : entries) {
    std::string techniques;
    for (const std::string& t : e.submission.techniques) {
      techniques += (techniques.empty() ? "" : ", ") + t;
    }
    // Printf sizes its string: a fixed buffer cut a row with a huge interval bound mid-cell and
    // glued the next row to it.
    const std::string numbers = Printf(
        " | %.4g | %.2fx [%.2f, %.2f] | %.2fx | %.4f | %+.2f | %.3f | ", e.scores.event_score,
        e.scores.speedup, e.scores.speedup_low, e.scores.speedup_high, e.scores.compression_ratio,
        e.submission.optimized.accuracy.value, 100 * e.scores.accuracy_delta, e.scores.efficiency);
    s += "| " + std::to_string(e.rank) + " | " + cell(e.submission.athlete) + numbers +
         cell(techniques) + " | " + cell(e.submission.timestamp) + " |\n";
  }
  if (entries.empty()) s += "\nNo valid submissions for this event and division.\n";
  for (const auto& [source, error] : rejected) {
    s += "\nRejected " + perf::escape::MarkdownCell(source) + ": " +
         perf::escape::MarkdownCell(perf::escape::Shorten(error, 4 * kMaxCellChars)) + "\n";
  }
  if (skipped_other > 0) {
    s += "\n" + std::to_string(skipped_other) +
         " valid submission(s) for other events or divisions.\n";
  }
  if (superseded > 0) {
    s += "\n" + std::to_string(superseded) +
         " more valid submission(s) by athletes already ranked: each athlete's best counts.\n";
  }
  return s;
}

std::string Leaderboard::ToJson() const {
  nlohmann::json j = {{"schema", "tinyperf.olympics.leaderboard/1"},
                      {"event", EventName(event)},
                      {"division", division},
                      {"skipped_other", skipped_other},
                      {"superseded", superseded}};
  j["entries"] = nlohmann::json::array();
  for (const LeaderboardEntry& e : entries) {
    j["entries"].push_back({{"rank", e.rank},
                            {"athlete", e.submission.athlete},
                            {"source", e.source},
                            {"event_score", e.scores.event_score},
                            {"speedup", e.scores.speedup},
                            {"speedup_low", e.scores.speedup_low},
                            {"speedup_high", e.scores.speedup_high},
                            {"compression_ratio", e.scores.compression_ratio},
                            {"accuracy", e.submission.optimized.accuracy.value},
                            {"accuracy_delta", e.scores.accuracy_delta},
                            {"efficiency", e.scores.efficiency},
                            {"techniques", e.submission.techniques},
                            {"timestamp", e.submission.timestamp}});
  }
  j["rejected"] = nlohmann::json::array();
  for (const auto& [source, error] : rejected) {
    j["rejected"].push_back({{"source", source}, {"error", error}});
  }
  return j.dump(2);
}

}  // namespace tinytorch
