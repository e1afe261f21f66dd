// Query validation and JSON rendering of the read API (api.h).
#include "api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

#include "perf_framework/suite.h"

namespace perf::server {

namespace {

// As long as the longest name the store takes (perf_store's normalise.cc), so that every stored
// benchmark can be looked up; stored names have no control character either.
constexpr size_t kMaxParamBytes = 512;
constexpr size_t kMaxTokenBytes = 256;
constexpr size_t kMaxKeyBytes = 128;

bool TokenChar(char c) {  // RFC 6750's b64token alphabet
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~+/=").find(c) !=
                                                            std::string_view::npos;
}

}  // namespace

nlohmann::json Embedded(const std::string& text) {
  try {
    return perf::ParseJson(text, "stored JSON");
  } catch (const perf::Error&) {
    return text;
  }
}

nlohmann::json ErrorJson(const std::string& message, const std::string& field) {
  return {{"error", message}, {"field", field.empty() ? nlohmann::json(nullptr) : nlohmann::json(field)}};
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string BearerToken(const std::optional<std::string>& value) {
  if (!value) throw HttpError{401, "missing Authorization: Bearer TOKEN header", "Authorization"};
  const std::string& h = *value;
  constexpr std::string_view kScheme = "bearer ";
  std::string scheme = h.substr(0, kScheme.size());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != kScheme) {
    throw HttpError{401, "Authorization must be 'Bearer TOKEN'", "Authorization"};
  }
  std::string token = h.substr(kScheme.size());
  if (token.empty() || token.size() > kMaxTokenBytes ||
      !std::all_of(token.begin(), token.end(), TokenChar)) {
    throw HttpError{401, "malformed bearer token", "Authorization"};
  }
  return token;
}

std::string IdempotencyKey(const std::optional<std::string>& value) {
  if (!value) {
    throw HttpError{400, "missing Idempotency-Key header (the same key for every retry of a run)",
                    "Idempotency-Key"};
  }
  const std::string& key = *value;
  const bool ok = !key.empty() && key.size() <= kMaxKeyBytes &&
                  std::all_of(key.begin(), key.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                           c == ':' || c == '-';
                  });
  if (!ok) throw HttpError{400, "Idempotency-Key must be 1 to 128 of [A-Za-z0-9._:-]", "Idempotency-Key"};
  return key;
}

void CheckParams(const std::multimap<std::string, std::string>& params,
                 const std::set<std::string>& allowed) {
  for (const auto& [name, value] : params) {
    if (!allowed.contains(name)) {
      std::string names;
      for (const std::string& a : allowed) names += (names.empty() ? "" : ", ") + a;
      throw HttpError{400,
                      "unknown query parameter (expected " + (names.empty() ? "none" : names) + ")",
                      name.substr(0, kMaxParamBytes)};
    }
  }
}

std::string Param(const std::multimap<std::string, std::string>& params, const std::string& name,
                  bool required) {
  const size_t n = params.count(name);
  if (n == 0) {
    if (required) throw HttpError{400, "missing query parameter", name};
    return "";
  }
  if (n > 1) throw HttpError{400, "query parameter given more than once", name};
  const std::string& v = params.find(name)->second;
  if (v.empty() && required) throw HttpError{400, "empty query parameter", name};
  if (v.size() > kMaxParamBytes) {
    throw HttpError{400, "query parameter longer than " + std::to_string(kMaxParamBytes) + " bytes",
                    name};
  }
  for (const unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) throw HttpError{400, "control character in query parameter", name};
  }
  return v;
}

std::string MachineParam(const std::multimap<std::string, std::string>& params, bool required) {
  std::string m = Param(params, "machine", required);
  if (m.empty()) return m;
  try {
    store::CheckName(m, "machine");
  } catch (const perf::Error& e) {
    throw HttpError{400, e.what(), "machine"};
  }
  return m;
}

int LimitParam(const std::multimap<std::string, std::string>& params, int fallback, int max) {
  const std::string s = Param(params, "limit", false);
  if (s.empty()) return fallback;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > max) {
    throw HttpError{400, "limit must be an integer from 1 to " + std::to_string(max), "limit"};
  }
  return v;
}

nlohmann::json MachinesJson(const std::vector<store::MachineInfo>& machines) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::MachineInfo& m : machines) {
    out.push_back({{"name", m.name},
                   {"fingerprint", m.fingerprint},
                   {"environment", Embedded(m.environment_json)},
                   {"first_seen_utc", m.first_seen_utc},
                   {"last_seen_utc", m.last_seen_utc},
                   {"runs", m.runs}});
  }
  return {{"machines", out}};
}

nlohmann::json RunsJson(const std::vector<store::RunInfo>& runs) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::RunInfo& r : runs) {
    out.push_back({{"id", r.id},
                   {"machine", r.machine},
                   {"run", r.run},
                   {"commit", r.commit},
                   {"started_utc", r.started_utc},
                   {"imported_utc", r.imported_utc},
                   {"idempotency_key", r.idempotency_key},
                   {"content_sha256", r.content_sha256},
                   {"verdicts",
                    {{"PASS", r.pass}, {"PARTIAL", r.partial}, {"FAIL", r.fail}, {"ERROR", r.error}}},
                   {"samples", r.samples}});
  }
  return {{"runs", out}};
}

nlohmann::json SeriesJson(const std::vector<store::SeriesPoint>& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::SeriesPoint& p : points) {
    out.push_back({{"run_id", p.run_id},
                   {"run", p.run},
                   {"commit", p.commit},
                   {"started_utc", p.started_utc},
                   {"document", p.document},
                   {"repetition", p.repetition},
                   {"value", p.value}});
  }
  return out;
}

namespace {

// A number, or null for NaN (JSON has no NaN: nlohmann would write null anyway, said here).
nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json ChangeJson(const store::Change& c) {
  return {{"id", c.id},
          {"machine", c.machine},
          {"benchmark", c.benchmark},
          {"metric", c.metric},
          {"run_id", c.run_id},
          {"commit", c.commit},
          {"detected_utc", c.detected_utc},
          {"ratio", c.ratio},
          {"interval", {Number(c.low), Number(c.high)}},
          {"direction", c.direction},
          {"details", Embedded(c.details_json)}};
}

}  // namespace

nlohmann::json FleetChangesJson(const std::vector<store::FleetChange>& changes) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::FleetChange& f : changes) {
    nlohmann::json others = nlohmann::json::array();
    for (const store::ClassEvidence& c : f.other_classes) {
      others.push_back({{"hardware_class", c.hardware_class},
                        {"seen_on", c.k},
                        {"of", c.n},
                        {"p_value", c.p_value}});
    }
    nlohmann::json j = ChangeJson(f.change);
    j["fleet"] = {{"status", store::FleetStatusName(f.status)},
                  {"hardware_class", f.hardware_class},
                  {"seen_on", f.own.k},
                  {"of", f.own.n},
                  {"p_value", f.own.p_value},
                  {"alpha", store::kFleetAlpha},
                  {"other_classes", others}};
    const store::FalseAlarmRate& a = f.false_alarm;
    j["false_alarm"] = {
        {"rate", a.rate},
        {"alarms", a.alarms},
        {"tested", a.tested},
        {"source", store::FalseAlarmSourceName(a.source)},
        {"profile_run", a.profile_run.empty() ? nlohmann::json() : nlohmann::json(a.profile_run)}};
    out.push_back(std::move(j));
  }
  return {{"changes", out}};
}

}  // namespace perf::server
