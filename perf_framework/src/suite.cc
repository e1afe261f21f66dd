// PerformanceTestSuite: running claims, verdict rules, and the versioned results file.
#include "perf_framework/suite.h"

#include <chrono>
#include <cmath>
#include <future>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <type_traits>

#include "fileio/fileio.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"

namespace perf {

const char* ClaimKindName(ClaimKind k) {
  constexpr const char* kNames[] = {"contract", "published_claim", "target"};
  static_assert(std::size(kNames) == std::size(kAllClaimKinds));
  return kNames[static_cast<size_t>(k)];
}

void FlagDegradedReference(ClaimResult& r, const std::string& what) {
  r.degraded_reference = what;
  if (r.kind != ClaimKind::kContract && r.outcome.verdict == ClaimVerdict::kPass) {
    r.outcome.verdict = ClaimVerdict::kPartial;
    r.outcome.reason =
        "not PASS: measured against a degraded reference (" + what + "); " + r.outcome.reason;
  }
}

const char* ClaimVerdictName(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::kPass:
      return "PASS";
    case ClaimVerdict::kPartial:
      return "PARTIAL";
    case ClaimVerdict::kFail:
      return "FAIL";
    case ClaimVerdict::kError:
      return "ERROR";
  }
  return "invalid";
}

namespace {

using format::JsonNumber;

// Reasons show an unbounded interval as [-inf, inf], so not format::Num's "–".
std::string Num(double v) { return format::Significant(v, 4); }

// `v` to 4 significant digits, or as many more as it takes not to print equal to a bound it is
// not equal to: "1.19996 x misses >= 1.2", never "1.2 x misses >= 1.2".
std::string NumBeside(double v, std::initializer_list<double> bounds) {
  int digits = 4;
  for (const double b : bounds) {
    while (digits < 17 && v != b &&
           format::Significant(v, digits) == format::Significant(b, digits)) {
      ++digits;
    }
  }
  return format::Significant(v, digits);
}

std::string WithInterval(const Evidence& e, std::initializer_list<double> bounds = {}) {
  const auto num = [&](double v) { return NumBeside(v, bounds); };
  std::string s = num(e.value) + (e.unit.empty() ? "" : " " + e.unit);
  if (!std::isnan(e.low) || !std::isnan(e.high)) s += " [" + num(e.low) + ", " + num(e.high) + "]";
  if (!std::isnan(e.p_value)) s += ", p = " + Num(e.p_value);
  return s;
}

ClaimOutcome Outcome(ClaimVerdict v, std::string reason, Evidence e) {
  return {v, std::move(reason), std::move(e)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Verdict rules.

namespace {

// One rule for both directions of a one-sided bound.
ClaimOutcome DecideBound(Evidence e, double threshold, const std::string& what, double alpha,
                         bool at_least) {
  if (!std::isfinite(e.value)) {
    return Outcome(ClaimVerdict::kError, what + " is not a finite number", std::move(e));
  }
  const auto meets = [&](double v) { return at_least ? v >= threshold : v <= threshold; };
  const std::string measured = what + " " + WithInterval(e, {threshold});
  const std::string bound = (at_least ? " >= " : " <= ") + Num(threshold);
  if (!meets(e.value)) {
    return Outcome(ClaimVerdict::kFail, measured + " misses" + bound, std::move(e));
  }
  // No interval at all is an exact measurement; an interval with an undefined end (too few
  // samples for it) cannot show the bound is met.
  const bool has_interval = !std::isnan(e.low) || !std::isnan(e.high);
  const double edge = at_least ? e.low : e.high;  // the interval end that could miss
  const bool interval_ok = !has_interval || (!std::isnan(edge) && meets(edge));
  const bool significant = std::isnan(e.p_value) || e.p_value < alpha;
  if (interval_ok && significant) {
    return Outcome(ClaimVerdict::kPass, measured + " meets" + bound, std::move(e));
  }
  return Outcome(
      ClaimVerdict::kPartial,
      measured + " meets" + bound + " by its estimate, but " +
          (interval_ok ? "not significantly"
                       : std::string("its interval reaches ") + (at_least ? "below" : "above")),
      std::move(e));
}

}  // namespace

ClaimOutcome DecideAtLeast(Evidence e, double threshold, const std::string& what, double alpha) {
  return DecideBound(std::move(e), threshold, what, alpha, /*at_least=*/true);
}

ClaimOutcome DecideAtMost(Evidence e, double threshold, const std::string& what, double alpha) {
  return DecideBound(std::move(e), threshold, what, alpha, /*at_least=*/false);
}

ClaimOutcome DecideWithin(Evidence e, double lo, double hi, const std::string& what) {
  if (!std::isfinite(e.value)) {
    return Outcome(ClaimVerdict::kError, what + " is not a finite number", std::move(e));
  }
  const std::string measured = what + " " + WithInterval(e, {lo, hi});
  const std::string range = " [" + Num(lo) + ", " + Num(hi) + "]";
  // As above: no interval means exact; an undefined end of an interval is unbounded.
  const bool has_interval = !std::isnan(e.low) || !std::isnan(e.high);
  const double unbounded = std::numeric_limits<double>::infinity();
  const double low = !has_interval ? e.value : std::isnan(e.low) ? -unbounded : e.low;
  const double high = !has_interval ? e.value : std::isnan(e.high) ? unbounded : e.high;
  const bool inside = e.value >= lo && e.value <= hi;
  if (inside && low >= lo && high <= hi) {
    return Outcome(ClaimVerdict::kPass, measured + " lies within" + range, std::move(e));
  }
  if (high < lo || low > hi) {
    return Outcome(ClaimVerdict::kFail, measured + " lies outside" + range, std::move(e));
  }
  return Outcome(ClaimVerdict::kPartial,
                 measured + (inside ? " is within" : " is outside") + range + " but its interval " +
                     (inside ? "crosses a bound" : "overlaps it"),
                 std::move(e));
}

ClaimOutcome Bound::Decide(Evidence e, const std::string& what) const {
  switch (side) {
    case Side::kAtLeast:
      return DecideAtLeast(std::move(e), lo, what);
    case Side::kAtMost:
      return DecideAtMost(std::move(e), hi, what);
    case Side::kWithin:
      return DecideWithin(std::move(e), lo, hi, what);
  }
  detail::Throw("Bound: invalid side");
}

Claim MakeClaim(ClaimHead head, Bound bound, std::function<Evidence()> measure,
                double timeout_seconds) {
  PERF_CHECK(measure != nullptr, "claim '", head.id, "': no measure function");
  std::string quantity = head.quantity.empty() ? head.metric : head.quantity;
  return {std::move(head.module),
          std::move(head.id),
          std::move(head.statement),
          std::move(head.metric),
          head.kind,
          bound.threshold(),
          [bound, quantity = std::move(quantity), measure = std::move(measure)] {
            return bound.Decide(measure(), quantity);
          },
          timeout_seconds};
}

ClaimOutcome Combine(const std::vector<ClaimOutcome>& parts) {
  PERF_CHECK(!parts.empty(), "Combine: no criteria");
  ClaimOutcome out;
  size_t pass = 0, fail = 0, error = 0;
  for (const ClaimOutcome& p : parts) {
    pass += p.verdict == ClaimVerdict::kPass;
    fail += p.verdict == ClaimVerdict::kFail;
    error += p.verdict == ClaimVerdict::kError;
    out.reason += (out.reason.empty() ? "" : "; ") + p.reason;
  }
  out.verdict = error                  ? ClaimVerdict::kError
                : pass == parts.size() ? ClaimVerdict::kPass
                : fail == parts.size() ? ClaimVerdict::kFail
                                       : ClaimVerdict::kPartial;
  out.evidence = parts.front().evidence;
  nlohmann::json criteria = nlohmann::json::array();
  for (const ClaimOutcome& p : parts) {
    criteria.push_back({{"verdict", ClaimVerdictName(p.verdict)},
                        {"reason", p.reason},
                        {"value", JsonNumber(p.evidence.value)},
                        {"unit", p.evidence.unit}});
  }
  out.evidence.details["criteria"] = criteria;
  return out;
}

Evidence SpeedupEvidence(const ComparisonResult& c) {
  Evidence e;
  e.value = c.speedup.estimate;
  e.low = c.speedup.low;
  e.high = c.speedup.high;
  e.confidence = c.speedup.confidence;
  e.unit = "x";
  e.details = c.ToJson();
  return e;
}

// ---------------------------------------------------------------------------------------------
// Running.

void PerformanceTestSuite::Register(Claim claim) {
  PERF_CHECK(!claim.id.empty() && !claim.module.empty(), "PerformanceTestSuite::Register: claim '",
             claim.id, "' needs a module and an id");
  PERF_CHECK(static_cast<bool>(claim.measure), "PerformanceTestSuite::Register: claim '", claim.id,
             "' has no measure function");
  for (const Claim& c : claims_) {
    PERF_CHECK(c.id != claim.id, "PerformanceTestSuite::Register: duplicate claim id '", claim.id,
               "'");
  }
  claims_.push_back(std::move(claim));
}

SuiteResults PerformanceTestSuite::Run(const std::string& filter,
                                       const std::function<void(const ClaimResult&)>& on_result) {
  SuiteResults results;
  results.suite = name_;
  results.environment = CaptureEnvironment();
  results.started_utc = UtcNow();
  const auto suite_start = std::chrono::steady_clock::now();
  for (const Claim& claim : claims_) {
    if (!filter.empty() && (claim.module + "/" + claim.id).find(filter) == std::string::npos) {
      continue;
    }
    ClaimResult r{claim.module, claim.id,   claim.statement,
                  claim.metric, claim.kind, claim.threshold,
                  {},           0,          {}};
    const auto start = std::chrono::steady_clock::now();
    // The measurement runs on its own thread so a hung claim can be abandoned at its timeout.
    std::future<ClaimOutcome> future = RunDetached(claim.measure);
    const auto timeout = std::chrono::duration<double>(claim.timeout_seconds);
    if (future.wait_for(timeout) != std::future_status::ready) {
      r.outcome = {ClaimVerdict::kError,
                   "timed out after " + Num(claim.timeout_seconds) + " s; measurement abandoned",
                   {}};
    } else {
      try {
        r.outcome = future.get();
        if (r.outcome.reason.empty()) {
          r.outcome = {ClaimVerdict::kError, "the measurement returned no reason",
                       r.outcome.evidence};
        }
      } catch (const std::exception& e) {
        r.outcome = {ClaimVerdict::kError, std::string("threw: ") + e.what(), {}};
      } catch (...) {
        r.outcome = {ClaimVerdict::kError, "threw a non-standard exception", {}};
      }
    }
    r.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (on_result) on_result(r);
    results.claims.push_back(std::move(r));
  }
  results.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - suite_start).count();
  return results;
}

// ---------------------------------------------------------------------------------------------
// The results file.

bool SuiteResults::Healthy() const {
  for (const ClaimResult& c : claims) {
    if (c.outcome.verdict == ClaimVerdict::kError) return false;
    if (c.kind == ClaimKind::kContract && c.outcome.verdict != ClaimVerdict::kPass) return false;
  }
  return true;
}

nlohmann::json SuiteResults::ToJson() const {
  nlohmann::json claims_json = nlohmann::json::array();
  nlohmann::json summary = {{"PASS", 0}, {"PARTIAL", 0}, {"FAIL", 0}, {"ERROR", 0}};
  for (const ClaimResult& c : claims) {
    const Evidence& e = c.outcome.evidence;
    claims_json.push_back({{"module", c.module},
                           {"id", c.id},
                           {"statement", c.statement},
                           {"metric", c.metric},
                           {"kind", ClaimKindName(c.kind)},
                           {"threshold", JsonNumber(c.threshold)},
                           {"verdict", ClaimVerdictName(c.outcome.verdict)},
                           {"reason", c.outcome.reason},
                           {"evidence",
                            {{"value", JsonNumber(e.value)},
                             {"low", JsonNumber(e.low)},
                             {"high", JsonNumber(e.high)},
                             {"confidence", JsonNumber(e.confidence)},
                             {"p_value", JsonNumber(e.p_value)},
                             {"unit", e.unit},
                             {"details", e.details}}},
                           {"elapsed_seconds", c.elapsed_seconds}});
    if (!c.degraded_reference.empty()) {
      claims_json.back()["degraded_reference"] = c.degraded_reference;
    }
    summary[ClaimVerdictName(c.outcome.verdict)] =
        summary[ClaimVerdictName(c.outcome.verdict)].get<int>() + 1;
  }
  return {{"schema", kResultsSchema},
          {"schema_version", kResultsSchemaVersion},
          {"suite", suite},
          {"environment", environment.ToJson()},
          {"started_utc", started_utc},
          {"elapsed_seconds", elapsed_seconds},
          {"summary", summary},
          {"claims", claims_json}};
}

namespace {

double NumberOrNaN(const nlohmann::json& j, const std::string& key, const std::string& where) {
  PERF_CHECK(j.is_object() && j.contains(key), where, ": missing field '", key, "'");
  const nlohmann::json& v = j.at(key);
  if (v.is_null()) return Evidence::kNone;
  PERF_CHECK(v.is_number(), where, ": field '", key, "' must be a number or null, got ",
             v.type_name());
  return v.get<double>();
}

// What a claim's evidence says of itself must hold (issue 23: a forged or corrupted file is not
// "healthy"): bounds ordered, the value inside them, probabilities in [0, 1]. NaN is "not
// measured" and is checked against nothing.
void CheckEvidence(const Evidence& e, const std::string& where) {
  const auto finite_or_none = [&](double v, const char* key) {
    PERF_CHECK(std::isnan(v) || std::isfinite(v), where, ".", key, " must be finite, got ", v);
  };
  finite_or_none(e.value, "value");
  finite_or_none(e.low, "low");
  finite_or_none(e.high, "high");
  PERF_CHECK(std::isnan(e.low) || std::isnan(e.high) || e.low <= e.high, where, ".low ", e.low,
             " is above .high ", e.high, " (a reversed interval)");
  PERF_CHECK(std::isnan(e.value) || std::isnan(e.low) || e.value >= e.low, where, ".value ",
             e.value, " lies below its interval's low ", e.low);
  PERF_CHECK(std::isnan(e.value) || std::isnan(e.high) || e.value <= e.high, where, ".value ",
             e.value, " lies above its interval's high ", e.high);
  PERF_CHECK(std::isnan(e.p_value) || (e.p_value >= 0 && e.p_value <= 1), where, ".p_value ",
             e.p_value, " is not a probability (0 to 1)");
  PERF_CHECK(std::isnan(e.confidence) || (e.confidence > 0 && e.confidence < 1), where,
             ".confidence ", e.confidence, " is not a confidence level (between 0 and 1)");
}

// A recorded time: UtcNow's form, on the calendar; "" is "not recorded" (results built in code).
std::string Timestamp(const std::string& s, const std::string& where) {
  PERF_CHECK(s.empty() || IsUtcTimestamp(s), where, " '", escape::Shorten(s, 40),
             "' is not a UTC time YYYY-MM-DDTHH:MM:SSZ on the calendar");
  return s;
}

// A duration in seconds: finite and not negative.
double Seconds(double s, const std::string& where) {
  PERF_CHECK(std::isfinite(s) && s >= 0, where, " must be a finite number of seconds >= 0, got ",
             s);
  return s;
}

ClaimVerdict ParseVerdict(const std::string& s, const std::string& where) {
  for (ClaimVerdict v :
       {ClaimVerdict::kPass, ClaimVerdict::kPartial, ClaimVerdict::kFail, ClaimVerdict::kError}) {
    if (s == ClaimVerdictName(v)) return v;
  }
  detail::Throw(where, ": unknown verdict '", s, "' (PASS, PARTIAL, FAIL or ERROR)");
}

ClaimKind ParseKind(const std::string& s, const std::string& where) {
  for (const ClaimKind k : kAllClaimKinds) {
    if (s == ClaimKindName(k)) return k;
  }
  detail::Throw(where, ": unknown claim kind '", s, "' (contract, published_claim or target)");
}

}  // namespace

SuiteResults SuiteResults::FromJson(const nlohmann::json& j, const std::string& source) {
  PERF_CHECK(j.is_object(), source, ": not a JSON object");
  const auto schema = JsonField<std::string>(j, "schema", source);
  PERF_CHECK(schema == kResultsSchema, source, ": schema '", schema, "' is not '", kResultsSchema,
             "'");
  const int version = JsonField<int>(j, "schema_version", source);
  PERF_CHECK(version <= kResultsSchemaVersion, source, ": schema_version ", version,
             " was written by a newer tinytorch; this build reads up to ", kResultsSchemaVersion);
  PERF_CHECK(version >= 1, source, ": invalid schema_version ", version);
  SuiteResults r;
  r.suite = JsonField<std::string>(j, "suite", source);
  PERF_CHECK(j.contains("environment"), source, ": missing field 'environment'");
  try {
    r.environment = Environment::FromJson(j["environment"]);
  } catch (const Error& e) {
    detail::Throw(source, ": ", e.what());
  }
  Timestamp(r.environment.utc_time, source + ": environment.utc_time");
  r.started_utc =
      Timestamp(JsonField<std::string>(j, "started_utc", source), source + ": started_utc");
  r.elapsed_seconds =
      Seconds(JsonField<double>(j, "elapsed_seconds", source), source + ": elapsed_seconds");
  const auto claims = JsonField<nlohmann::json>(j, "claims", source);
  PERF_CHECK(claims.is_array(), source, ": 'claims' must be an array");
  std::set<std::string> seen;  // module NUL id of each claim read
  for (size_t i = 0; i < claims.size(); ++i) {
    const std::string where = source + ": claims[" + std::to_string(i) + "]";
    const nlohmann::json& c = claims[i];
    ClaimResult cr;
    cr.module = JsonField<std::string>(c, "module", where);
    cr.id = JsonField<std::string>(c, "id", where);
    PERF_CHECK(cr.module.find('\0') == std::string::npos && cr.id.find('\0') == std::string::npos,
               where, ": field 'module' or 'id' holds a NUL character");
    // A claim listed twice would be read one way here and another way elsewhere (a FAIL hidden
    // behind a later PASS): a forgery, not a result.
    PERF_CHECK(seen.insert(cr.module + '\0' + cr.id).second, where, ": claim '",
               escape::Shorten(cr.module, 80), ".", escape::Shorten(cr.id, 80),
               "' is listed more than once");
    cr.statement = JsonField<std::string>(c, "statement", where);
    cr.metric = JsonField<std::string>(c, "metric", where);
    cr.kind = ParseKind(JsonField<std::string>(c, "kind", where), where);
    cr.threshold = NumberOrNaN(c, "threshold", where);
    cr.outcome.verdict = ParseVerdict(JsonField<std::string>(c, "verdict", where), where);
    cr.outcome.reason = JsonField<std::string>(c, "reason", where);
    const auto e = JsonField<nlohmann::json>(c, "evidence", where);
    const std::string ewhere = where + ".evidence";
    cr.outcome.evidence.value = NumberOrNaN(e, "value", ewhere);
    cr.outcome.evidence.low = NumberOrNaN(e, "low", ewhere);
    cr.outcome.evidence.high = NumberOrNaN(e, "high", ewhere);
    cr.outcome.evidence.confidence = NumberOrNaN(e, "confidence", ewhere);
    cr.outcome.evidence.p_value = NumberOrNaN(e, "p_value", ewhere);
    cr.outcome.evidence.unit = JsonField<std::string>(e, "unit", ewhere);
    cr.outcome.evidence.details = JsonField<nlohmann::json>(e, "details", ewhere);
    CheckEvidence(cr.outcome.evidence, ewhere);
    cr.elapsed_seconds =
        Seconds(JsonField<double>(c, "elapsed_seconds", where), where + ".elapsed_seconds");
    if (c.contains("degraded_reference")) {
      cr.degraded_reference = JsonField<std::string>(c, "degraded_reference", where);
    }
    r.claims.push_back(std::move(cr));
  }
  return r;
}

void WriteResults(const SuiteResults& results, const std::string& path) {
  try {
    fileio::WriteAtomically(path, results.ToJson().dump(2) + "\n");
  } catch (const std::runtime_error& e) {
    throw Error(e.what());
  }
}

nlohmann::json ParseJson(std::string_view text, const std::string& source) {
  // Where the reader is, one frame per open object or array: an object's keys so far (nlohmann
  // would keep the last of two equal keys, another parser the first: a file that reads
  // differently to different readers is a forgery waiting to happen, so a repeated key is an
  // error) and its current key; an array's count of finished elements. The frames name the field
  // of an error the JSON library finds itself (1e999 overflows wherever it stands).
  struct Frame {
    bool array = false;
    size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };
  std::vector<Frame> frames;
  const auto finished_element = [&] {
    if (!frames.empty() && frames.back().array) ++frames.back().index;
  };
  const auto bounded = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    PERF_CHECK(depth <= kMaxJsonDepth, source, ": not valid JSON (nested deeper than ",
               kMaxJsonDepth, " levels)");
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        frames.push_back({event == Event::array_start, 0, "", {}});
        break;
      case Event::object_end:
      case Event::array_end:
        frames.pop_back();
        finished_element();
        break;
      case Event::key:
        frames.back().key = parsed.get<std::string>();
        if (!frames.back().keys.insert(frames.back().key).second) {
          detail::Throw(source, ": not valid JSON (duplicate key '",
                        escape::Shorten(frames.back().key, 80), "' in one object)");
        }
        break;
      case Event::value:
        finished_element();
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, bounded);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    // The field as a JSON pointer (RFC 6901: '~' as "~0", '/' as "~1"), each key shortened.
    std::string pointer;
    for (const Frame& f : frames) {
      if (!f.array && f.keys.empty()) break;  // an object before its first key is the place
      pointer += '/';
      if (f.array) {
        pointer += std::to_string(f.index);
        continue;
      }
      for (const char c : escape::Shorten(f.key, 80)) {
        pointer += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      }
    }
    detail::Throw(source, ": not valid JSON", pointer.empty() ? "" : " at " + pointer, " (",
                  e.what(), ")");
  }
}

int JsonInt(const nlohmann::json& v, const std::string& what) {
  const bool fits = v.is_number_unsigned() ? v.get<uint64_t>() <= std::numeric_limits<int>::max()
                    : v.is_number_integer()
                        ? v.get<int64_t>() >= std::numeric_limits<int>::min() &&
                              v.get<int64_t>() <= std::numeric_limits<int>::max()
                        : false;
  PERF_CHECK(fits, what, " must be an integer that fits an int, got ", v.dump());
  return static_cast<int>(v.get<int64_t>());
}

nlohmann::json ReadJsonFile(const std::string& path) {
  std::string text;
  try {
    text = fileio::ReadAll(path);
  } catch (const std::runtime_error& e) {
    throw Error(e.what());
  }
  return ParseJson(text, path);
}

SuiteResults ReadResults(const std::string& path) {
  return SuiteResults::FromJson(ReadJsonFile(path), path);
}

}  // namespace perf
