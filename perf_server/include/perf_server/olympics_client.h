// The student's side of the Olympics server: `tinyperf olympics submit --server URL --token T`
// posts a submission to /api/v1/olympics/<event>/submissions. No outbox: a submission is small,
// made by a person at a terminal, and counts against a limit, so a failure is reported, never
// retried behind the student's back.
#pragma once

#include <cstdint>
#include <string>

namespace perf::server {

struct OlympicsPostResult {
  int status = 0;       // the HTTP status; 0 when the server did not answer
  int64_t id = 0;       // the queued submission's id (202)
  std::string message;  // the server's error and the field it names, or why there was no answer
                        // (as received: escape to show)
};

// Throws perf::Error only for a malformed server URL (CheckServerUrl).
OlympicsPostResult PostOlympicsSubmission(const std::string& server_url, const std::string& token,
                                          const std::string& event, const std::string& body,
                                          int timeout_s = 60);

}  // namespace perf::server
