// The Olympics' routes (olympics_routes.h): validate → one OlympicsStore call → render.
#include "olympics_routes.h"

#include <charconv>

#include "api.h"
#include "http_request.h"
#include "perf_framework/environment.h"
#include "perf_framework/escape.h"
#include "perf_framework/suite.h"
#include "perf_server/olympics_page.h"
#include "perf_store/olympics_store.h"
#include "tinytorch/olympics_recipe.h"

namespace perf::server {

namespace {

// A submission with its environment is a few KiB: 256 KiB leaves room and bounds the parse.
constexpr size_t kMaxSubmissionBytes = 256u << 10;
constexpr const char* kEventPattern = "([a-z_]{1,64})";

// The submitter's machine and binary, from the environment it sent (what `tinyperf env` prints):
// the machine fingerprint (CPU, cores, compiler, BLAS kernel), the build type and the commit;
// "unknown" when that environment is not one.
std::string FingerprintOf(const tinytorch::Submission& s) {
  try {
    const Environment env = Environment::FromJson(ParseJson(s.environment_json, "environment"));
    // Display text from the athlete's file: shortened by whole characters, and with control
    // characters made visible, so that it is valid UTF-8 without a NUL, which PostgreSQL's text
    // refuses (SQLite would take it: one submission stored by one backend and not the other).
    return escape::Terminal(escape::Shorten(
        MachineFingerprint(env) + " " + env.build_type + " " + escape::Shorten(env.git_commit, 12),
        200));
  } catch (const std::exception&) {
    return "unknown";
  }
}

store::EventInfo EventOr404(store::OlympicsStore& o, const std::string& name) {
  std::optional<store::EventInfo> e = o.FindEvent(name);
  if (!e) throw HttpError{404, "no event '" + name + "' on this server", "event"};
  return *e;
}

// The athlete the bearer token belongs to; 401 otherwise.
std::string Athlete(OlympicsRouteContext& c, const httplib::Request& req) {
  const std::string token = BearerToken(req);
  const std::optional<std::string> athlete =
      c.pool.With([&](store::Store& s) { return store::OlympicsStore(s).AthleteForToken(token); });
  if (!athlete) throw HttpError{401, "unknown or revoked athlete token", "Authorization"};
  return *athlete;
}

// The parsed and checked submission of `athlete` to `event`: 400 naming the field for what is
// malformed, 403 for another athlete's name, 422 for claimed numbers that break the rules.
tinytorch::Submission CheckedSubmission(const std::string& body, const std::string& athlete,
                                        const store::EventInfo& event) {
  tinytorch::Submission s;
  try {
    s = tinytorch::Submission::FromJson(body);
  } catch (const std::exception& e) {
    throw HttpError{400, e.what(), "body"};
  }
  if (s.athlete != athlete) {
    throw HttpError{403,
                    "this token submits as athlete '" + athlete + "', the submission names '" +
                        escape::Shorten(s.athlete, 80) + "'",
                    "athlete"};
  }
  if (tinytorch::EventName(s.event) != event.name) {
    throw HttpError{400,
                    std::string("the submission is for event '") + tinytorch::EventName(s.event) +
                        "', posted to '" + event.name + "'",
                    "event"};
  }
  if (s.division != event.division) {
    throw HttpError{400,
                    "event '" + event.name + "' is in the " + event.division +
                        " division, the submission in the " + s.division,
                    "division"};
  }
  try {
    (void)tinytorch::OlympicRecipe::FromJson(tinytorch::RecipeOf(s).ToJson());
  } catch (const std::exception& e) {
    throw HttpError{400, e.what(), "recipe"};
  }
  const tinytorch::SubmissionCheck check = tinytorch::ValidateSubmission(body);
  if (!check.valid()) throw HttpError{422, check.errors.front(), "body"};
  return s;
}

void Submit(OlympicsRouteContext& c, const httplib::Request& req, httplib::Response& res,
            const httplib::ContentReader& reader) {
  std::string athlete, key;
  store::EventInfo event;
  try {
    // Checked as the runs route checks it; absent, Enqueue keys the content's hash.
    if (const std::optional<std::string> header = Header(req, "Idempotency-Key")) {
      key = IdempotencyKey(header);
    }
    athlete = Athlete(c, req);
    if (const int wait_s = c.limiter.Take("athlete:" + athlete); wait_s > 0) {
      res.set_header("Retry-After", std::to_string(wait_s));
      throw HttpError{429,
                      "too many submissions from athlete '" + athlete + "'; retry in " +
                          std::to_string(wait_s) + " s",
                      "Authorization"};
    }
    event = c.pool.With([&](store::Store& s) {
      store::OlympicsStore o(s);
      return EventOr404(o, req.matches[1]);
    });
    // Refused before the body is read; Enqueue checks again in its transaction. A keyed request
    // may be the retry of one accepted in time: Enqueue answers it with that one.
    if (key.empty() && UtcNow() > event.deadline_utc) {
      throw HttpError{403, "event '" + event.name + "' closed at " + event.deadline_utc,
                      "deadline"};
    }
  } catch (...) {
    DrainBody(req, reader, kMaxSubmissionBytes);  // refused unread: see server.cc's SubmitRun
    res.set_header("Connection", "close");
    throw;
  }
  const std::string body = ReadBody(req, res, reader, kMaxSubmissionBytes);
  const tinytorch::Submission s = CheckedSubmission(body, athlete, event);
  store::EnqueueResult r;
  try {
    r = c.pool.With([&](store::Store& st) {
      return store::OlympicsStore(st).Enqueue(
          {event.name, athlete, tinytorch::RecipeOf(s).ToJson(), body, FingerprintOf(s), key});
    });
  } catch (const store::KeyReused& e) {
    throw HttpError{409, e.what(), "Idempotency-Key"};
  } catch (const store::SubmissionRefused& e) {
    using Why = store::SubmissionRefused::Why;
    switch (e.why) {
      case Why::kNoEvent:
      case Why::kNoAthlete:
        throw HttpError{404, e.what(), e.why == Why::kNoEvent ? "event" : "athlete"};
      case Why::kDeadline:
        throw HttpError{403, e.what(), "deadline"};
      case Why::kLimit:
        throw HttpError{409, e.what(), "limit"};
    }
  }
  Reply(res, r.created ? 202 : 200,
        {{"id", r.id},
         {"status", r.status},
         {"created", r.created},
         {"event", event.name},
         {"athlete", athlete},
         {"url", "/api/v1/olympics/" + event.name + "/submissions/" + std::to_string(r.id)}});
}

int64_t IdParam(const std::string& text) {
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 1) {
    throw HttpError{400, "submission id must be a positive integer", "id"};
  }
  return id;
}

}  // namespace

void AddOlympicsRoutes(httplib::Server& http, OlympicsRouteContext ctx) {
  auto c = std::make_shared<OlympicsRouteContext>(std::move(ctx));
  const std::string base = std::string("/api/v1/olympics/") + kEventPattern;
  http.Post(base + "/submissions", [c](const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& reader) {
    c->guarded(res, [&] { Submit(*c, req, res, reader); });
  });
  const std::string one = base + "/submissions/([0-9]{1,18})";
  http.Get(one, [c](const httplib::Request& req, httplib::Response& res) {
    c->guarded(res, [&] {
      CheckParams(req.params, {});
      const std::string athlete = Athlete(*c, req);
      const int64_t id = IdParam(req.matches[2]);
      const std::optional<store::SubmissionInfo> s = c->pool.With(
          [&](store::Store& st) { return store::OlympicsStore(st).GetSubmission(id); });
      // Another athlete's submission is answered exactly as a missing one.
      if (!s || s->athlete != athlete || s->event != req.matches[1]) {
        throw HttpError{404, "no submission " + std::to_string(id) + " of yours in this event",
                        "id"};
      }
      Reply(res, 200, SubmissionJson(*s, /*with_claim=*/true));
    });
  });
  // With a content reader, so that httplib does not read the body into memory first.
  const auto immutable = [c](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) {
    c->guarded(res, [&] {
      DrainBody(req, reader, kMaxSubmissionBytes);
      res.set_header("Connection", "close");
      throw HttpError{405, "a queued submission cannot be changed or withdrawn: submit a new one",
                      "method"};
    });
  };
  http.Put(one, immutable);
  http.Patch(one, immutable);
  http.Delete(one, immutable);
  http.Get("/api/v1/olympics/events", [c](const httplib::Request& req, httplib::Response& res) {
    c->guarded(res, [&] {
      CheckParams(req.params, {});
      Reply(res, 200, EventsJson(c->pool.With([](store::Store& s) {
              return store::OlympicsStore(s).ListEvents();
            })));
    });
  });
  http.Get(base + "/leaderboard", [c](const httplib::Request& req, httplib::Response& res) {
    c->guarded(res, [&] {
      CheckParams(req.params, {});
      Reply(res, 200, c->pool.With([&](store::Store& s) {
        store::OlympicsStore o(s);
        return LeaderboardJson(o, EventOr404(o, req.matches[1]));
      }));
    });
  });
  http.Get(std::string("/olympics/") + kEventPattern, [c](const httplib::Request& req,
                                                          httplib::Response& res) {
    c->guarded(res, [&] {
      CheckParams(req.params, {});
      const std::string page = c->pool.With([&](store::Store& s) {
        store::OlympicsStore o(s);
        return OlympicsPageHtml(o, EventOr404(o, req.matches[1]));
      });
      res.status = 200;
      res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(page, "text/html; charset=utf-8");
    });
  });
}

}  // namespace perf::server
