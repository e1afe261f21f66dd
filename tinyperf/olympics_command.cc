// tinyperf olympics: submit (measure a baseline and an optimized model, write a submission and/or
// post it to the course's server), validate (check submission files), leaderboard (rank the valid
// ones for an event), event create|list and publish (the instructor's side, on the server's
// database).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/environment.h"
#include "perf_framework/escape.h"
#include "perf_framework/statistics.h"
#include "perf_server/olympics_client.h"
#include "perf_server/olympics_page.h"
#include "perf_store/olympics_store.h"
#include "tinytorch/digits.h"
#include "tinytorch/tinytorch.h"

namespace tinyperf {

// The digits data set: installed, in <prefix>/TT_INSTALL_DATA_DIR beside bin/tinyperf; in the
// build tree, the source tree's data/ (TT_DATA_DIR).
std::string DefaultDigitsCsv() {
  std::error_code ec;
  namespace fs = std::filesystem;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path installed =
      self.parent_path().parent_path() / TT_INSTALL_DATA_DIR / "digits" / "digits.csv";
  if (!ec && fs::is_regular_file(installed, ec)) return installed.string();
  return TT_DATA_DIR "/digits/digits.csv";
}

namespace {

namespace fs = std::filesystem;
using namespace tinytorch;

// ---------------------------------------------------------------------------------------------
// submit

struct SubmitOptions {
  std::string event, athlete, division = "closed", data = DefaultDigitsCsv(), out;
  std::string server, token, from;  // post to a server (as measured, or the file `from`)
  std::string outbox = perf::server::SubmitOptions().outbox_dir;
  bool flush = false;  // only send what waits in the outbox
  std::vector<std::string> techniques;
  double latency_seconds = 1.0;
  int epochs = 20;
  uint64_t seed = 42;
};

// File names, and the names and values errors quote, come from whoever wrote the file: on the
// terminal they are text, never control sequences.
void PrintCheck(const std::string& source, const SubmissionCheck& check) {
  using perf::escape::Terminal;
  std::printf("%s: %s\n", Terminal(source).c_str(), check.valid() ? "valid" : "INVALID");
  for (const std::string& e : check.errors) std::printf("  error: %s\n", Terminal(e).c_str());
  for (const std::string& w : check.warnings) std::printf("  warning: %s\n", Terminal(w).c_str());
}

perf::server::SubmitOptions ClientOptions(const SubmitOptions& o) {
  perf::server::SubmitOptions c;
  c.server_url = o.server;
  c.token = o.token;
  c.outbox_dir = o.outbox;
  return c;
}

// Sends what waits in the outbox; returns how many were refused (one more when the token was).
int Flush(const SubmitOptions& o) {
  using perf::escape::Terminal;
  const perf::server::FlushResult f = perf::server::FlushOlympicsOutbox(ClientOptions(o));
  for (const std::string& m : f.messages) {
    std::fprintf(stderr, "tinyperf olympics submit: %s\n", Terminal(m).c_str());
  }
  if (f.delivered + f.waiting + f.rejected > 0) {
    std::printf("tinyperf olympics submit: outbox %s/olympics: %d delivered, %d still waiting, "
                "%d refused\n",
                Terminal(o.outbox).c_str(), f.delivered, f.waiting, f.rejected);
  }
  return f.rejected + (f.token_refused ? 1 : 0);
}

// Posts `json` to the server as the token's athlete (after what waits in the outbox): kExitOk
// once queued on the server or, when it cannot take it now, in the outbox.
int Post(const SubmitOptions& o, const std::string& event, const std::string& json) {
  using perf::escape::Terminal;
  const int refused = Flush(o);
  const perf::server::SubmitResult r = perf::server::SubmitOlympics(event, json, ClientOptions(o));
  switch (r.delivery) {
    case perf::server::Delivery::kStored:
    case perf::server::Delivery::kAlreadyStored:
      std::printf("queued as submission %lld of %s: the server verifies it by re-measurement (see "
                  "%s/olympics/%s)\n",
                  static_cast<long long>(r.run_id), event.c_str(), Terminal(o.server).c_str(),
                  event.c_str());
      return refused > 0 ? kExitUsage : kExitOk;
    case perf::server::Delivery::kQueued:
      std::printf("not yet delivered: waiting in %s (%s); `tinyperf olympics submit --flush` (or "
                  "the next submit) sends it, under the same key, so it counts once\n",
                  Terminal(r.outbox_file).c_str(), Terminal(r.message).c_str());
      return refused > 0 ? kExitUsage : kExitOk;
    case perf::server::Delivery::kRejected:
      break;
  }
  std::fprintf(stderr, "tinyperf olympics submit: not queued: %s\n", Terminal(r.message).c_str());
  return kExitInvalid;
}

int Submit(const SubmitOptions& o) {
  if (o.out.empty() && o.server.empty()) throw Error("give --out FILE, --server URL, or both");
  if (o.server.empty() != o.token.empty()) throw Error("--server and --token go together");
  if (o.flush) {
    if (o.server.empty()) throw Error("--flush sends the outbox: give --server and --token");
    return Flush(o) > 0 ? kExitUsage : kExitOk;
  }
  if (!o.from.empty()) {
    // An existing submission file, sent as it is (no measurement).
    if (o.server.empty()) throw Error("--from sends a file: give --server and --token");
    const std::string json = ReadFile(o.from);
    const Submission s = Submission::FromJson(json);
    return Post(o, EventName(s.event), json);
  }
  if (o.event.empty() || o.athlete.empty() || o.techniques.empty()) {
    throw Error("--event, --athlete and --technique are required unless --from is given");
  }
  const OlympicEvent event = ParseOlympicEvent(o.event);
  const OlympicRecipe recipe{.techniques = o.techniques, .epochs = o.epochs, .seed = o.seed};
  (void)ParseTechniqueList(recipe.techniques);  // before any training starts
  const digits::Split split = digits::Load(o.data);
  std::printf("training the baseline 64-128-64-10 MLP on %s (%d epochs), measuring it and the "
              "optimized copy...\n",
              o.data.c_str(), o.epochs);
  const RecipeMeasurement m = MeasureRecipe(recipe, split, o.latency_seconds);
  Submission s;
  s.division = o.division;
  s.event = event;
  s.athlete = o.athlete;
  s.baseline = m.baseline;
  s.optimized = m.optimized;
  s.techniques = o.techniques;
  s.environment_json = perf::CaptureEnvironment().ToJson().dump();
  s.timestamp = perf::UtcNow();
  s.epochs = o.epochs;
  s.seed = static_cast<int64_t>(o.seed);

  const OlympicScores scores = ScoreSubmission(event, s.baseline, s.optimized);
  std::printf("baseline  %-40s accuracy %.4f  median %.4f ms  %lld bytes\n",
              s.baseline.model.c_str(), s.baseline.accuracy.value, s.baseline.latency_ms.value,
              static_cast<long long>(s.baseline.size_bytes));
  std::printf("optimized %-40s accuracy %.4f  median %.4f ms  %lld bytes\n",
              s.optimized.model.c_str(), s.optimized.accuracy.value, s.optimized.latency_ms.value,
              static_cast<long long>(s.optimized.size_bytes));
  std::printf(
      "speedup %.2fx [%.2f, %.2f], compression %.2fx, accuracy %+.2f points, "
      "efficiency %.3f, %s score %.4g\n",
      scores.speedup, scores.speedup_low, scores.speedup_high, scores.compression_ratio,
      100 * scores.accuracy_delta, scores.efficiency, EventName(event), scores.event_score);
  const std::string json = s.ToJson();
  const SubmissionCheck check = ValidateSubmission(json);
  if (!o.out.empty()) {
    if (!fs::path(o.out).parent_path().empty()) {
      fs::create_directories(fs::path(o.out).parent_path());
    }
    WriteFileAtomically(o.out, json + "\n");
  }
  PrintCheck(o.out.empty() ? "submission" : o.out, check);
  if (!check.valid()) return kExitInvalid;
  return o.server.empty() ? kExitOk : Post(o, EventName(event), json);
}

// ---------------------------------------------------------------------------------------------
// validate and leaderboard

int Validate(const std::vector<std::string>& files) {
  bool all_valid = true;
  for (const std::string& f : files) {
    const SubmissionCheck check = ValidateSubmission(ReadFile(f));
    PrintCheck(f, check);
    all_valid = all_valid && check.valid();
  }
  return all_valid ? kExitOk : kExitInvalid;
}

// Files as given; directories contribute their *.json files, sorted by name.
std::vector<std::pair<std::string, std::string>> Submissions(
    const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& p : paths) {
    if (!fs::is_directory(p)) {
      out.emplace_back(p, ReadFile(p));
      continue;
    }
    for (const std::string& f : fileio::ListFiles(p, ".json")) out.emplace_back(f, ReadFile(f));
  }
  return out;
}

int ShowLeaderboard(const std::string& event, const std::string& division,
                    const std::string& format, const std::vector<std::string>& paths) {
  const Leaderboard board =
      BuildLeaderboard(ParseOlympicEvent(event), division, Submissions(paths));
  std::printf("%s",
              format == "json" ? (board.ToJson() + "\n").c_str() : board.ToMarkdown().c_str());
  return board.rejected.empty() ? kExitOk : kExitInvalid;
}

// ---------------------------------------------------------------------------------------------
// event create|list and publish: the instructor's side, on the server's database

struct EventOptions {
  std::string db, event, deadline, division = "closed";
  int limit = 5;
};

int CreateEvent(const EventOptions& o) {
  perf::store::Store store = perf::store::Store::Open(o.db);
  perf::store::OlympicsStore(store).CreateEvent(
      {.name = EventName(ParseOlympicEvent(o.event)),
       .division = o.division,
       .deadline_utc = o.deadline,
       .max_submissions = o.limit,
       .rules_json = RulesJson(ParseOlympicEvent(o.event)),
       .created_utc = ""});
  std::printf("created event %s (%s division, deadline %s, %d submissions per athlete)\n",
              o.event.c_str(), o.division.c_str(), perf::escape::Terminal(o.deadline).c_str(),
              o.limit);
  return kExitOk;
}

int ListEvents(const std::string& db) {
  perf::store::Store store = perf::store::Store::Open(db);
  perf::store::OlympicsStore olympics(store);
  for (const perf::store::EventInfo& e : olympics.ListEvents()) {
    const auto counts = olympics.CountByStatus(e.name);
    std::printf("%-18s %-6s deadline %s  limit %d  pending %lld running %lld verified %lld "
                "rejected %lld error %lld\n",
                e.name.c_str(), e.division.c_str(), e.deadline_utc.c_str(), e.max_submissions,
                static_cast<long long>(counts.at("pending")),
                static_cast<long long>(counts.at("running")),
                static_cast<long long>(counts.at("verified")),
                static_cast<long long>(counts.at("rejected")),
                static_cast<long long>(counts.at("error")));
  }
  return kExitOk;
}

int Publish(const std::string& db, const std::string& out) {
  perf::store::Store store = perf::store::Store::Open(db);
  const int n = perf::server::PublishOlympics(store, out);
  std::printf("tinyperf olympics publish: wrote %d event page(s) and %s/index.html\n", n,
              perf::escape::Terminal(out).c_str());
  return kExitOk;
}

void AddEventCommands(CLI::App& olympics, std::function<int()>& run) {
  CLI::App* event = olympics.add_subcommand(
      "event", "Events on the course's results server (instructor): create, list");
  event->require_subcommand(1);
  auto o = std::make_shared<EventOptions>();
  CLI::App* c = event->add_subcommand(
      "create", "Open one of the five events, with its rules from tinytorch/olympics.h");
  c->add_option("--db", o->db, "sqlite:PATH or postgresql://... (the server's)")->required();
  c->add_option("--event", o->event, "latency_sprint, memory_challenge, accuracy_contest, "
                                     "all_around or extreme_push")
      ->required()
      ->check(CLI::IsMember({"latency_sprint", "memory_challenge", "accuracy_contest",
                             "all_around", "extreme_push"}));
  c->add_option("--deadline", o->deadline, "Last accepted submission, YYYY-MM-DDTHH:MM:SSZ (UTC)")
      ->required();
  c->add_option("--limit", o->limit, "Submissions per athlete")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  c->add_option("--division", o->division, "closed or open")
      ->check(CLI::IsMember({"closed", "open"}))
      ->capture_default_str();
  c->callback([o, &run] { run = [o] { return CreateEvent(*o); }; });
  auto db = std::make_shared<std::string>();
  CLI::App* l = event->add_subcommand("list", "Events with their queue's counts");
  l->add_option("--db", *db, "sqlite:PATH or postgresql://...")->required();
  l->callback([db, &run] { run = [db] { return ListEvents(*db); }; });

  auto pub = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* p = olympics.add_subcommand(
      "publish", "Every event's leaderboard as a static site (DIR/index.html, DIR/<event>.html)");
  p->add_option("--db", pub->first, "sqlite:PATH or postgresql://...")->required();
  p->add_option("--out", pub->second, "Directory to write")->required();
  p->callback([pub, &run] { run = [pub] { return Publish(pub->first, pub->second); }; });
}

}  // namespace

void AddOlympicsCommands(CLI::App& app, std::function<int()>& run) {
  CLI::App* olympics = app.add_subcommand(
      "olympics", "TorchPerf Olympics: submit, validate and rank optimization results");
  olympics->require_subcommand(1);
  const auto event_check = CLI::IsMember(
      {"latency_sprint", "memory_challenge", "accuracy_contest", "all_around", "extreme_push"});

  auto submit = std::make_shared<SubmitOptions>();
  CLI::App* s = olympics->add_subcommand(
      "submit",
      "Train the digits MLP baseline, apply the techniques, measure both (latency, accuracy, "
      "size), and write a validated submission (--out) or post it to the course's server "
      "(--server, --token)");
  s->add_option("--event", submit->event, "Olympic event (rules: see tinytorch/olympics.h)")
      ->check(event_check);
  s->add_option("--athlete", submit->athlete, "Your name on the leaderboard");
  s->add_option("--technique", submit->techniques,
                "Applied in order: int8, sparse, prune=<fraction>, structured=<fraction> "
                "(repeatable)");
  s->add_option("--division", submit->division, "closed or open")
      ->check(CLI::IsMember({"closed", "open"}))
      ->capture_default_str();
  s->add_option("--out", submit->out, "Submission file to write");
  s->add_option("--server", submit->server,
                "Also post it to this results server (http://HOST:PORT), which verifies it by "
                "re-measurement");
  s->add_option("--token", submit->token, "Your athlete token (from the instructor)");
  s->add_option("--outbox", submit->outbox,
                "Where submissions the server could not take wait (in olympics/<event>/)")
      ->capture_default_str();
  s->add_flag("--flush", submit->flush,
              "Only send what waits in the outbox (with --server and --token)");
  s->add_option("--from", submit->from,
                "Post this existing submission file instead of measuring (with --server)");
  s->add_option("--data", submit->data, "digits.csv")->capture_default_str();
  s->add_option("--latency-seconds", submit->latency_seconds, "Timer budget per model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  s->add_option("--epochs", submit->epochs, "Baseline training epochs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  s->add_option("--seed", submit->seed, "Seed of the baseline's initialisation and shuffling")
      ->check(CLI::Range(uint64_t{0}, (uint64_t{1} << 53) - 1))  // exact in the JSON recipe
      ->capture_default_str();
  s->callback([submit, &run] { run = [submit] { return Submit(*submit); }; });

  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* v =
      olympics->add_subcommand("validate", "Check submission files; exit 1 if any is invalid");
  v->add_option("files", *files, "Submission JSON files")->required();
  v->callback([files, &run] { run = [files] { return Validate(*files); }; });

  struct BoardOptions {
    std::string event, division = "closed", format = "markdown";
    std::vector<std::string> paths;
  };
  auto board = std::make_shared<BoardOptions>();
  CLI::App* l = olympics->add_subcommand(
      "leaderboard",
      "Rank the valid submissions for one event and division; exit 1 if any was rejected");
  l->add_option("--event", board->event, "Olympic event")->required()->check(event_check);
  l->add_option("--division", board->division, "closed or open")
      ->check(CLI::IsMember({"closed", "open"}))
      ->capture_default_str();
  l->add_option("--format", board->format, "markdown or json")
      ->check(CLI::IsMember({"markdown", "json"}))
      ->capture_default_str();
  l->add_option("paths", board->paths, "Submission files or directories of *.json")->required();
  l->callback([board, &run] {
    run = [board] {
      return ShowLeaderboard(board->event, board->division, board->format, board->paths);
    };
  });
  AddEventCommands(*olympics, run);
}

}  // namespace tinyperf
