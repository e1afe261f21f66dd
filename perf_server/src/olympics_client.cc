// The Olympics' submission client (olympics_client.h).
#include "perf_server/olympics_client.h"

#include <httplib.h>

#include "perf_framework/escape.h"
#include "perf_framework/suite.h"
#include "perf_server/submit.h"

namespace perf::server {

OlympicsPostResult PostOlympicsSubmission(const std::string& server_url, const std::string& token,
                                          const std::string& event, const std::string& body,
                                          int timeout_s) {
  httplib::Client client(CheckServerUrl(server_url));
  client.set_connection_timeout(timeout_s);
  client.set_read_timeout(timeout_s);
  client.set_write_timeout(timeout_s);
  const httplib::Result res =
      client.Post("/api/v1/olympics/" + event + "/submissions",
                  {{"Authorization", "Bearer " + token}}, body, "application/json");
  if (!res) return {0, 0, "server unreachable (" + httplib::to_string(res.error()) + ")"};
  OlympicsPostResult r{res->status, 0, ""};
  // The answer is as hostile as any input: bounded, and only what is needed.
  nlohmann::json j;
  try {
    j = ParseJson(res->body, "the server's answer");
  } catch (const Error&) {
  }
  if (r.status == 202 && j.is_object() && j.contains("id") && j["id"].is_number_integer()) {
    r.id = j["id"].get<int64_t>();
    return r;
  }
  const bool has_error = j.is_object() && j.contains("error") && j["error"].is_string();
  r.message = "HTTP " + std::to_string(r.status) + ": " +
              escape::Shorten(has_error ? j["error"].get<std::string>() : res->body, 500);
  if (has_error && j.contains("field") && j["field"].is_string()) {
    r.message += " (field " + escape::Shorten(j["field"].get<std::string>(), 64) + ")";
  }
  return r;
}

}  // namespace perf::server
