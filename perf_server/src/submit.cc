// The submission client and its outbox (submit.h).
#include "perf_server/submit.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "fileio/fileio.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/suite.h"

namespace perf::server {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxMessageChars = 500;
constexpr size_t kMaxAnswerBytes = 64 << 10;  // a results server answers in a few hundred

struct Answer {
  int status = 0;       // 0: no answer
  std::string message;  // the error, when not 2xx
  int64_t run_id = 0;
};

// One POST of `body` under `key`.
Answer Post(const std::string& body, const std::string& key, const SubmitOptions& o) {
  httplib::Client client(CheckServerUrl(o.server_url));
  client.set_connection_timeout(o.timeout_s);
  client.set_read_timeout(o.timeout_s);
  client.set_write_timeout(o.timeout_s);
  // The answer is read as hostile as any other input: bounded, and only what we need.
  httplib::Request req;
  req.method = "POST";
  req.path = o.path;
  req.headers = {{"Authorization", "Bearer " + o.token},
                 {"Idempotency-Key", key},
                 {"Content-Type", "application/json"}};
  req.body = body;
  std::string answer;
  bool too_long = false;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    too_long = answer.size() + n > kMaxAnswerBytes;
    if (!too_long) answer.append(data, n);
    return !too_long;
  };
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  if (!client.send(req, res, error)) {
    // Not an answer: the request may have been stored, so it is sent again under its key.
    return {0,
            too_long ? "the server's answer is longer than " + std::to_string(kMaxAnswerBytes) +
                           " bytes: not a results server?"
                     : "server unreachable (" + httplib::to_string(error) + ")",
            0};
  }
  Answer a{res.status, "", 0};
  nlohmann::json j;
  try {
    j = perf::ParseJson(answer, "the server's answer");
  } catch (const perf::Error&) {
  }
  if (a.status / 100 == 2) {
    for (const char* id : {"run_id", "id"}) {
      if (j.is_object() && j.contains(id) && j[id].is_number_integer()) {
        a.run_id = j[id].get<int64_t>();
        return a;
      }
    }
    // A proxy's or a captive portal's page is no receipt: kept, and sent again under its key.
    return {0,
            "HTTP " + std::to_string(a.status) +
                " without a submission id: not a results server? (" +
                escape::Shorten(answer, kMaxMessageChars) + ")",
            0};
  }
  const bool has_error = j.is_object() && j.contains("error") && j["error"].is_string();
  a.message = "HTTP " + std::to_string(a.status) + ": " +
              escape::Shorten(has_error ? j["error"].get<std::string>() : answer, kMaxMessageChars);
  if (has_error && j.contains("field") && j["field"].is_string()) {
    a.message += " (field " + escape::Shorten(j["field"].get<std::string>(), 64) + ")";
  }
  return a;
}

// Post, again with the same key after no answer or a 5xx, o.retries times with doubling waits.
Answer PostWithRetries(const std::string& body, const std::string& key, const SubmitOptions& o) {
  Answer a = Post(body, key, o);
  double wait_s = o.first_backoff_s;
  for (int retry = 0; retry < o.retries && (a.status == 0 || a.status >= 500); ++retry) {
    std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
    wait_s *= 2;
    a = Post(body, key, o);
  }
  return a;
}

// The server cannot take anything now, or will take this very request later.
bool Retryable(int status) { return status == 0 || status == 429 || status >= 500; }

std::string OutboxPath(const SubmitOptions& o, const std::string& key) {
  return o.outbox_dir + "/" + key + ".json";
}

bool IsKey(const std::string& s) {
  static const std::regex kHex("[0-9a-f]{64}");
  return std::regex_match(s, kHex);
}

// Moves an outbox entry the server refused for itself aside, with the answer beside it.
void Reject(const SubmitOptions& o, const fs::path& entry, const std::string& key,
            const std::string& message) {
  const fs::path dir = fs::path(o.outbox_dir) / "rejected";
  fs::create_directories(dir);
  fileio::WriteAtomically((dir / (key + ".error.txt")).string(), message + "\n");
  fs::rename(entry, dir / (key + ".json"));
}

}  // namespace

std::string CheckServerUrl(const std::string& url) {
  static const std::regex kUrl(R"((https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?/?)");
  std::smatch m;
  PERF_CHECK(std::regex_match(url, m, kUrl), "--server '", escape::Shorten(url, 200),
             "': expected http://HOST[:PORT] or https://HOST[:PORT]");
  if (m[3].matched) {
    const int port = std::stoi(m[3].str().substr(1));
    PERF_CHECK(port >= 1 && port <= 65535, "--server '", url, "': port ", port, " out of range");
  }
  return m[1].str() + "://" + m[2].str() + m[3].str();
}

SubmitResult SubmitBundle(const store::RunBundle& bundle, const SubmitOptions& o) {
  return SubmitBody(bundle.ToJson().dump(), bundle.ContentHash(), "run '" + bundle.run + "'", o);
}

SubmitResult SubmitBody(const std::string& body, const std::string& key, const std::string& what,
                        const SubmitOptions& o) {
  PERF_CHECK(IsKey(key), "submit: the key of ", what, " must be 64 lowercase hex digits");
  SubmitResult r;
  r.key = key;
  const Answer a = PostWithRetries(body, r.key, o);
  r.status = a.status;
  r.message = a.message;
  r.run_id = a.run_id;
  if (a.status / 100 == 2) {
    r.delivery = a.status == 200 ? Delivery::kAlreadyStored : Delivery::kStored;
  } else if (Retryable(a.status)) {
    r.delivery = Delivery::kQueued;
    r.outbox_file = OutboxPath(o, r.key);
    try {
      fs::create_directories(o.outbox_dir);
      fileio::WriteAtomically(r.outbox_file, body);
    } catch (const std::exception& e) {
      detail::Throw("submit: the server could not take ", what, " (", a.message,
                    ") and the outbox cannot hold it: ", e.what());
    }
  } else {
    r.delivery = Delivery::kRejected;
  }
  return r;
}

FlushResult FlushOutbox(const SubmitOptions& o) {
  FlushResult f;
  std::vector<fs::path> entries;
  for (const std::string& p : fileio::ListFiles(o.outbox_dir, ".json")) {
    if (IsKey(fs::path(p).stem().string())) entries.emplace_back(p);
  }
  // Oldest first: runs reach the server in the order they were made, as far as the outbox knows.
  std::error_code ec;
  std::stable_sort(entries.begin(), entries.end(), [&](const fs::path& a, const fs::path& b) {
    return fs::last_write_time(a, ec) < fs::last_write_time(b, ec);
  });
  for (size_t i = 0; i < entries.size(); ++i) {
    const fs::path& entry = entries[i];
    const std::string key = entry.stem().string();
    std::string body;
    try {
      PERF_CHECK(fs::file_size(entry) <= store::kMaxBundleBytes, entry.string(),
                 ": larger than a bundle can be (", store::kMaxBundleBytes, " bytes)");
      body = fileio::ReadAll(entry.string());
    } catch (const std::exception& e) {
      ++f.waiting;
      f.messages.push_back(entry.string() + ": cannot be read: " + e.what());
      continue;
    }
    const Answer a = PostWithRetries(body, key, o);
    if (a.status / 100 == 2) {
      fs::remove(entry);
      ++f.delivered;
    } else if (Retryable(a.status) || a.status == 401 || a.status == 403) {
      f.token_refused = a.status == 401 || a.status == 403;
      f.waiting += static_cast<int>(entries.size() - i);
      f.messages.push_back(entry.string() + ": " + a.message + "; " +
                           std::to_string(entries.size() - i) + " run(s) still wait");
      break;
    } else {
      Reject(o, entry, key, a.message);
      ++f.rejected;
      f.messages.push_back(entry.string() + ": " + a.message + "; moved to " + o.outbox_dir +
                           "/rejected/");
    }
  }
  return f;
}

}  // namespace perf::server
