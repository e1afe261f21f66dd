// The JSON API's pieces that know nothing of HTTP: errors as data, query validation, and the
// rendering of store rows. server.cc wires them to routes.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "perf_store/fleet.h"
#include "perf_store/store.h"

namespace perf::server {

// A request the server refuses: rendered as {"error": message, "field": field or null}.
struct HttpError {
  int status;
  std::string message;
  std::string field;  // the header, query parameter or body field at fault; "" for none
};

nlohmann::json ErrorJson(const std::string& message, const std::string& field);
// `j` as the response body: UTF-8 kept, invalid bytes replaced (names come from files anyone
// wrote; a dump must never throw half-way through an answer).
std::string Dump(const nlohmann::json& j);

// A JSON document the store kept as text (an environment, a change's details), embedded as JSON;
// as a string when it does not parse (it was written by another build, or by hand).
nlohmann::json Embedded(const std::string& text);
// The request headers the submission route reads; `value` is nullopt when the header is absent.
// The token of an "Authorization: Bearer TOKEN" header (scheme case-insensitive; the token 1 to 256
// of RFC 6750's b64token alphabet); throws HttpError 401 naming the header otherwise.
std::string BearerToken(const std::optional<std::string>& value);
// The Idempotency-Key header: 1 to 128 of [A-Za-z0-9._:-]; throws HttpError 400 naming it otherwise.
std::string IdempotencyKey(const std::optional<std::string>& value);

// Throws HttpError 400 naming the first parameter not in `allowed`.
void CheckParams(const std::multimap<std::string, std::string>& params,
                 const std::set<std::string>& allowed);
// The value of `name` ("" when absent and not required); throws HttpError 400 when required and
// missing, repeated, longer than 256 bytes, or holding a control character.
std::string Param(const std::multimap<std::string, std::string>& params, const std::string& name,
                  bool required);
// A machine name parameter, checked like perf_store's names (400 otherwise).
std::string MachineParam(const std::multimap<std::string, std::string>& params, bool required);
// `limit` as an integer in [1, max] (`fallback` when absent); 400 otherwise.
int LimitParam(const std::multimap<std::string, std::string>& params, int fallback, int max);

nlohmann::json MachinesJson(const std::vector<store::MachineInfo>& machines);
nlohmann::json RunsJson(const std::vector<store::RunInfo>& runs);
nlohmann::json SeriesJson(const std::vector<store::SeriesPoint>& points);
// The recorded changes (Store::ListChanges's fields), each with its fleet verdict
// (perf_store/fleet.h) and its machine's false-alarm rate: "fleet": {"status", "hardware_class",
// "seen_on": k, "of": n, "p_value", "alpha", "other_classes": [{"hardware_class", "seen_on", "of",
// "p_value"}]}, "false_alarm": {"rate", "alarms", "tested", "source": "noise-profile" or
// "history", "profile_run": the run whose noise profile it is, or null}.
nlohmann::json FleetChangesJson(const std::vector<store::FleetChange>& changes);

}  // namespace perf::server
