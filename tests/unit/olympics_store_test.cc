// The Olympics' store (schema migration 2) on both backends: SQLite here, PostgreSQL through
// tests/integration/postgres_olympics_test.sh (TT_TEST_POSTGRES_URL, an emptied database per
// case). Events, athlete tokens, the submission limits, and the verification queue's claims:
// atomic under concurrent workers, released by an expired lease, never finished twice.
#include "perf_store/olympics_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "support/store_backend.h"

namespace perf::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using Backend = perf::testing::StoreBackend;

Outcome Final(const std::string& status, double score = NAN, double low = NAN, double high = NAN) {
  Outcome o;
  o.status = status;
  o.reason = status == "verified" ? "" : "a reason";
  o.score = score;
  o.score_low = low;
  o.score_high = high;
  return o;
}

class OlympicsStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(perf::testing::UseStoreBackend(
        GetParam(), "olympics_store_test", "tests/integration/postgres_olympics_test.sh", dir_,
        url_));
    Store s = Store::Open(url_);
    ASSERT_EQ(s.Init(), SchemaVersion());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // An open event (deadline far ahead) with `limit` submissions per athlete.
  void CreateEvent(OlympicsStore& o, const std::string& name, int limit,
                   const std::string& deadline = "2999-01-01T00:00:00Z") {
    EventInfo e;
    e.name = name;
    e.deadline_utc = deadline;
    e.max_submissions = limit;
    o.CreateEvent(e);
  }
  // Each call's content differs (a counter in the claim), so without a key each is a new
  // submission; `key` makes it a client's keyed request.
  static NewSubmission Sub(const std::string& event, const std::string& athlete,
                           const std::string& key = "") {
    static std::atomic<int> made = 0;
    return {event,
            athlete,
            R"({"techniques":["int8"],"epochs":1,"seed":1})",
            "{\"n\":" + std::to_string(made++) + "}",
            "fp",
            key};
  }

  fs::path dir_;
  std::string url_;
};

TEST_P(OlympicsStoreTest, MigrationTwoCreatesTheOlympicsTables) {
  Store s = Store::Open(url_);
  EXPECT_EQ(s.Version(), 2);
  OlympicsStore o(s);
  EXPECT_TRUE(o.ListEvents().empty());
  EXPECT_EQ(o.CountByStatus().at("pending"), 0);
}

TEST_P(OlympicsStoreTest, EventsAreCreatedOnceAndCheckedOnTheWayIn) {
  Store s = Store::Open(url_);
  OlympicsStore o(s);
  CreateEvent(o, "latency_sprint", 3);
  EXPECT_THAT([&] { CreateEvent(o, "latency_sprint", 3); },
              ::testing::ThrowsMessage<Error>(HasSubstr("already exists")));
  EXPECT_THAT([&] { CreateEvent(o, "x", 3, "tomorrow"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("YYYY-MM-DDTHH:MM:SSZ")));
  EXPECT_THAT([&] { CreateEvent(o, "x", 0); },
              ::testing::ThrowsMessage<Error>(HasSubstr("limit must be 1 to 1000")));
  ASSERT_EQ(o.ListEvents().size(), 1u);
  EXPECT_EQ(o.FindEvent("latency_sprint")->max_submissions, 3);
  EXPECT_FALSE(o.FindEvent("memory_challenge"));
}

TEST_P(OlympicsStoreTest, AthleteTokensAreHashedAndRevocable) {
  Store s = Store::Open(url_);
  OlympicsStore o(s);
  const std::string name = "Ada <b>Lovelace</b> & ü";  // shown escaped; stored as given
  const std::string token = o.AddAthleteToken(name);
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(o.AthleteForToken(token), name);
  EXPECT_FALSE(o.AthleteForToken(std::string(64, 'a')));
  EXPECT_FALSE(s.MachineForToken(token)) << "an athlete token is not a machine token";
  EXPECT_EQ(o.RevokeAthleteTokens(name), 1);
  EXPECT_FALSE(o.AthleteForToken(token));
  EXPECT_THAT([&] { o.AddAthleteToken("tab\there"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("control character")));
  EXPECT_THAT([&] { o.AddAthleteToken("\xff\xfe"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("UTF-8")));
}

TEST_P(OlympicsStoreTest, EnqueueRefusesUnknownLateAndOverLimitSubmissions) {
  Store s = Store::Open(url_);
  OlympicsStore o(s);
  CreateEvent(o, "latency_sprint", 2);
  CreateEvent(o, "memory_challenge", 2, "2001-01-01T00:00:00Z");
  o.AddAthleteToken("ada");
  using Why = SubmissionRefused::Why;
  const auto why = [&](const NewSubmission& n) {
    try {
      o.Enqueue(n);
    } catch (const SubmissionRefused& e) {
      return e.why;
    }
    ADD_FAILURE() << "accepted";
    return Why::kNoEvent;
  };
  EXPECT_EQ(why(Sub("all_around", "ada")), Why::kNoEvent);
  EXPECT_EQ(why(Sub("latency_sprint", "bob")), Why::kNoAthlete);
  EXPECT_EQ(why(Sub("memory_challenge", "ada")), Why::kDeadline);
  EXPECT_GT(o.Enqueue(Sub("latency_sprint", "ada")).id, 0);
  EXPECT_GT(o.Enqueue(Sub("latency_sprint", "ada")).id, 0);
  EXPECT_EQ(why(Sub("latency_sprint", "ada")), Why::kLimit);
  // A verification error is the server's fault: it does not use up the athlete's limit.
  const auto job = o.Claim("w", 60);
  ASSERT_TRUE(job);
  ASSERT_TRUE(o.Finish(job->id, "w", Final("error")));
  EXPECT_GT(o.Enqueue(Sub("latency_sprint", "ada")).id, 0);
  EXPECT_EQ(o.CountByStatus("latency_sprint").at("pending"), 2);
}

TEST_P(OlympicsStoreTest, ConcurrentSubmissionsOfOneAthleteNeverPassTheLimit) {
  {
    Store s = Store::Open(url_);
    OlympicsStore o(s);
    CreateEvent(o, "latency_sprint", 5);
    o.AddAthleteToken("ada");
  }
  std::atomic<int> accepted = 0, refused = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Store s = Store::Open(url_);
      OlympicsStore o(s);
      for (int i = 0; i < 4; ++i) {
        try {
          o.Enqueue(Sub("latency_sprint", "ada"));
          ++accepted;
        } catch (const SubmissionRefused&) {
          ++refused;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(refused, 11);
}

TEST_P(OlympicsStoreTest, ARetryWithTheSameKeyIsStoredAndCountedOnce) {
  Store s = Store::Open(url_);
  OlympicsStore o(s);
  CreateEvent(o, "latency_sprint", 2);
  o.AddAthleteToken("ada");
  o.AddAthleteToken("bob");
  const NewSubmission first = Sub("latency_sprint", "ada", "key-1");
  const EnqueueResult stored = o.Enqueue(first);
  EXPECT_TRUE(stored.created);
  EXPECT_EQ(stored.status, "pending");
  // The response was lost; the client retries: the same submission, nothing new counted.
  for (int retry = 0; retry < 3; ++retry) {
    const EnqueueResult again = o.Enqueue(first);
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.id, stored.id);
    EXPECT_EQ(again.status, "pending");
  }
  EXPECT_EQ(o.ListSubmissions("latency_sprint", "ada").size(), 1u);
  // A list leaves the documents out; the submission itself has them.
  EXPECT_EQ(o.ListSubmissions("latency_sprint", "ada")[0].claimed_json, "");
  EXPECT_EQ(o.GetSubmission(stored.id)->claimed_json, first.claimed_json);
  // The same key with other content is refused, nothing stored.
  NewSubmission other = Sub("latency_sprint", "ada", "key-1");
  EXPECT_THAT([&] { o.Enqueue(other); },
              ::testing::ThrowsMessage<KeyReused>(HasSubstr("key-1")));
  // Keys are per athlete: bob's key-1 is his own.
  EXPECT_TRUE(o.Enqueue(Sub("latency_sprint", "bob", "key-1")).created);
  // The limit (2) counted the retries as one: one more fits, and then the limit holds, while a
  // retry of an accepted one is still answered (not refused as over the limit).
  EXPECT_TRUE(o.Enqueue(Sub("latency_sprint", "ada", "key-2")).created);
  EXPECT_THROW(o.Enqueue(Sub("latency_sprint", "ada", "key-3")), SubmissionRefused);
  EXPECT_EQ(o.Enqueue(first).id, stored.id);
  // The status answered is the current one.
  const auto job = o.Claim("w", 60);
  ASSERT_TRUE(job);
  ASSERT_EQ(job->id, stored.id);
  ASSERT_TRUE(o.Finish(job->id, "w", Final("rejected")));
  EXPECT_EQ(o.Enqueue(first).status, "rejected");
  EXPECT_EQ(o.ListSubmissions("latency_sprint", "ada").size(), 2u);
  // Without a key, the content's hash is the key: the same content twice is stored once.
  CreateEvent(o, "memory_challenge", 5);
  const NewSubmission unkeyed = Sub("memory_challenge", "ada");
  EXPECT_TRUE(o.Enqueue(unkeyed).created);
  EXPECT_FALSE(o.Enqueue(unkeyed).created);
  EXPECT_EQ(o.ListSubmissions("memory_challenge", "ada").size(), 1u);
  EXPECT_THAT([&] { o.Enqueue(Sub("latency_sprint", "ada", std::string(201, 'k'))); },
              ::testing::ThrowsMessage<Error>(HasSubstr("idempotency key must be 1 to 200")));
}

TEST_P(OlympicsStoreTest, ConcurrentRetriesWithOneKeyStoreOneSubmission) {
  {
    Store s = Store::Open(url_);
    OlympicsStore o(s);
    CreateEvent(o, "latency_sprint", 5);
    o.AddAthleteToken("ada");
  }
  const NewSubmission sub = Sub("latency_sprint", "ada", "one-key");
  std::mutex mu;
  std::set<int64_t> ids;
  std::atomic<int> created = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Store s = Store::Open(url_);
      const EnqueueResult r = OlympicsStore(s).Enqueue(sub);
      created += r.created ? 1 : 0;
      std::lock_guard lock(mu);
      ids.insert(r.id);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  Store s = Store::Open(url_);
  EXPECT_EQ(OlympicsStore(s).ListSubmissions("latency_sprint").size(), 1u);
}

TEST_P(OlympicsStoreTest, ConcurrentWorkersClaimEachSubmissionOnce) {
  constexpr int kSubmissions = 40;
  {
    Store s = Store::Open(url_);
    OlympicsStore o(s);
    CreateEvent(o, "latency_sprint", kSubmissions);
    o.AddAthleteToken("ada");
    for (int i = 0; i < kSubmissions; ++i) o.Enqueue(Sub("latency_sprint", "ada"));
  }
  std::mutex mu;
  std::multiset<int64_t> claimed;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      Store s = Store::Open(url_);
      OlympicsStore o(s);
      const std::string name = "worker-" + std::to_string(w);
      while (const auto job = o.Claim(name, 600)) {
        ASSERT_TRUE(o.Finish(job->id, name, Final("verified", 1.0 * job->id, 0, 1e9)));
        std::lock_guard lock(mu);
        claimed.insert(job->id);
      }
    });
  }
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kSubmissions));
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), claimed.size())
      << "a submission was claimed twice";
  Store s = Store::Open(url_);
  EXPECT_EQ(OlympicsStore(s).CountByStatus().at("verified"), kSubmissions);
}

TEST_P(OlympicsStoreTest, AnExpiredLeaseIsReclaimedAndTheOldWorkerCannotFinish) {
  Store s = Store::Open(url_);
  OlympicsStore o(s);
  CreateEvent(o, "latency_sprint", 5);
  o.AddAthleteToken("ada");
  const int64_t id = o.Enqueue(Sub("latency_sprint", "ada")).id;
  const auto first = o.Claim("dead", 0);  // a lease of 0 s: expired at once, as if it died
  ASSERT_TRUE(first);
  const auto second = o.Claim("alive", 600);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, id);
  EXPECT_EQ(second->attempts, 2);
  EXPECT_FALSE(o.Claim("third", 600)) << "a live lease must not be claimed";
  EXPECT_FALSE(o.Finish(id, "dead", Final("rejected")));
  EXPECT_TRUE(o.Finish(id, "alive", Final("verified", 2, 1, 3)));
  EXPECT_FALSE(o.Finish(id, "alive", Final("rejected"))) << "finished twice";
  const SubmissionInfo info = *o.GetSubmission(id);
  EXPECT_EQ(info.status, "verified");
  EXPECT_EQ(info.score, 2);
}

TEST_P(OlympicsStoreTest, ASubmissionWhoseWorkersKeepDyingEndsAsAnError) {
  Store s = Store::Open(url_);
  OlympicsStore o(s);
  CreateEvent(o, "latency_sprint", 5);
  o.AddAthleteToken("ada");
  const int64_t id = o.Enqueue(Sub("latency_sprint", "ada")).id;
  for (int i = 0; i < kMaxVerifyAttempts; ++i) ASSERT_TRUE(o.Claim("dies", 0));
  EXPECT_FALSE(o.Claim("next", 600));
  const SubmissionInfo info = *o.GetSubmission(id);
  EXPECT_EQ(info.status, "error");
  EXPECT_THAT(info.reason, HasSubstr("did not finish in 3 attempts"));
}

TEST_P(OlympicsStoreTest, TheLeaderboardRanksEachAthletesBestAndSharesOverlappingRanks) {
  Store s = Store::Open(url_);
  OlympicsStore o(s);
  CreateEvent(o, "latency_sprint", 5);
  for (const char* a : {"ada", "bob", "cy", "dee"}) o.AddAthleteToken(a);
  // score [low, high]: ada 3.0 [2.8, 3.2] and 2.0; bob 2.9 [2.7, 3.1]; cy 2.0 [1.9, 2.1];
  // dee rejected.
  const std::vector<std::tuple<const char*, const char*, double, double, double>> plan = {
      {"ada", "verified", 2.0, 1.9, 2.1},
      {"ada", "verified", 3.0, 2.8, 3.2},
      {"bob", "verified", 2.9, 2.7, 3.1},
      {"cy", "verified", 2.0, 1.9, 2.1},
      {"dee", "rejected", NAN, NAN, NAN}};
  for (const auto& [athlete, status, score, low, high] : plan) {
    o.Enqueue(Sub("latency_sprint", athlete));
    const auto job = o.Claim("w", 60);
    ASSERT_TRUE(job);
    ASSERT_TRUE(o.Finish(job->id, "w", Final(status, score, low, high)));
  }
  const std::vector<LeaderboardRow> board = o.Leaderboard("latency_sprint");
  ASSERT_EQ(board.size(), 3u);
  EXPECT_EQ(board[0].best.athlete, "ada");
  EXPECT_EQ(board[0].best.score, 3.0);
  EXPECT_EQ(board[0].submissions, 2);
  EXPECT_EQ(board[0].rank, 1);
  EXPECT_EQ(board[1].best.athlete, "bob");
  EXPECT_EQ(board[1].rank, 1) << "bob's interval overlaps ada's";
  EXPECT_EQ(board[2].best.athlete, "cy");
  EXPECT_EQ(board[2].rank, 3);
}

TEST(SharedRanksTest, ComparesWithTheRanksOpenerNotAChainOfNeighbours) {
  // a [9, 11]; b [8.5, 10] overlaps a; c [7, 8.8] overlaps b but not a: it opens rank 3.
  EXPECT_EQ(SharedRanks({{9, 11}, {8.5, 10}, {7, 8.8}}), (std::vector<int>{1, 1, 3}));
  EXPECT_EQ(SharedRanks({{3, 3}, {2, 2}, {2, 2}, {1, 1}}), (std::vector<int>{1, 2, 2, 4}));
  EXPECT_TRUE(SharedRanks({}).empty());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OlympicsStoreTest, ::testing::Values(Backend::kSqlite));
// Only where the wrapper started a cluster (tests/integration/postgres_olympics_test.sh).
INSTANTIATE_TEST_SUITE_P(Postgres, OlympicsStoreTest,
                         ::testing::ValuesIn(perf::testing::PostgresIfStarted()));

}  // namespace
}  // namespace perf::store
