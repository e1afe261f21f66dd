// The results server and its client on loopback, over a throwaway SQLite store: many machines
// submitting at once, retries, every refusal with its status and field, and a server killed in
// the middle of submissions whose runs the client's outbox delivers later — each run stored
// exactly once, counted through the store's own API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "perf_framework/suite.h"
#include "perf_server/server.h"
#include "perf_server/submit.h"
#include "perf_store/store.h"

namespace {

namespace fs = std::filesystem;
using perf::store::RunBundle;
using perf::store::Store;
using ::testing::HasSubstr;

// A fresh directory per test (ctest runs each test in its own process, possibly in parallel).
fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) /
                       ("perf_server_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A small, valid run: one Google Benchmark JSON document with two repetitions.
RunBundle MakeBundle(const std::string& machine, const std::string& run, double ns = 100) {
  nlohmann::json rows = nlohmann::json::array();
  for (int rep = 0; rep < 2; ++rep) {
    rows.push_back({{"name", "BM_Add/64"}, {"family_index", 0}, {"per_family_instance_index", 0},
                    {"run_name", "BM_Add/64"}, {"run_type", "iteration"}, {"repetitions", 2},
                    {"repetition_index", rep}, {"threads", 1}, {"iterations", 1000},
                    {"real_time", ns + rep}, {"cpu_time", ns + rep}, {"time_unit", "ns"}});
  }
  const nlohmann::json doc = {
      {"context", {{"date", "2026-12-03T07:49:00+00:00"}, {"host_name", machine}, {"num_cpus", 2}}},
      {"benchmarks", rows}};
  RunBundle b;
  b.machine = machine;
  b.run = run;
  b.documents.push_back({"tensor_bench.json", doc.dump(2) + "\n"});
  return b;
}

std::string Body(const RunBundle& b) { return b.ToJson().dump(); }

// A loopback port nothing listens on right now.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The store's count of runs, and of distinct (machine, run) pairs among them.
std::pair<size_t, size_t> CountRuns(const std::string& url) {
  Store s = Store::Open(url);
  perf::store::RunQuery q;
  q.limit = 100000;
  const std::vector<perf::store::RunInfo> runs = s.ListRuns(q);
  std::set<std::pair<std::string, std::string>> distinct;
  for (const auto& r : runs) distinct.insert({r.machine, r.run});
  return {runs.size(), distinct.size()};
}

// An in-process server on a free loopback port, with a store holding three machines' tokens.
class ServerTest : public ::testing::Test {
 protected:
  // On a fresh SQLite file, or on `url` (the PostgreSQL cases: a database their wrapper emptied).
  void Start(perf::server::ServerOptions o = {}, const std::string& url = "") {
    dir_ = FreshDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    url_ = url.empty() ? "sqlite:" + (dir_ / "perf.db").string() : url;
    {
      Store s = Store::Open(url_);
      s.Init();
      for (const char* m : {"m1", "m2", "m3"}) tokens_[m] = s.AddToken(m);
    }
    o.db_url = url_;
    o.port = 0;
    server_ = std::make_unique<perf::server::Server>(o);
    port_ = server_->Bind();
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60);
    return c;
  }
  httplib::Result Post(const std::string& body, const std::string& token, const std::string& key) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    return Client().Post("/api/v1/runs", h, body, "application/json");
  }
  // The error document of a refusal: its "error" must be a non-empty string.
  static nlohmann::json Error(const httplib::Result& r) {
    const nlohmann::json j = nlohmann::json::parse(r->body);
    EXPECT_TRUE(j.at("error").is_string() && !j.at("error").get<std::string>().empty()) << r->body;
    return j;
  }

  fs::path dir_;
  std::string url_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<perf::server::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(ServerTest, StoresARunOnceHoweverOftenItIsRetried) {
  Start();
  const RunBundle b = MakeBundle("m1", "20261203T000000Z");
  const auto first = Post(Body(b), tokens_["m1"], "key-1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 201) << first->body;
  const int64_t id = nlohmann::json::parse(first->body).at("run_id");
  for (int i = 0; i < 3; ++i) {
    const auto again = Post(Body(b), tokens_["m1"], "key-1");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200) << again->body;
    EXPECT_EQ(nlohmann::json::parse(again->body).at("run_id"), id);
  }
  // The key reused for another run: refused, not answered with the first run (which would lose
  // this one while the client deletes it from its outbox).
  const auto reused = Post(Body(MakeBundle("m1", "20261204T000000Z")), tokens_["m1"], "key-1");
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->status, 409) << reused->body;
  EXPECT_EQ(nlohmann::json::parse(reused->body).at("field"), "Idempotency-Key");
  EXPECT_EQ(CountRuns(url_), std::make_pair(size_t{1}, size_t{1}));
}

// The SQLite cases, and the PostgreSQL ones where tests/integration/postgres_server_test.sh
// started a throwaway cluster (TT_TEST_POSTGRES_URL; without it these cases do not exist, and
// that ctest entry fails without PostgreSQL instead).
class BackendServerTest : public ServerTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string Url() const {
    if (GetParam() == "sqlite") return "";
    const char* url = std::getenv("TT_TEST_POSTGRES_URL");
    EXPECT_NE(url, nullptr);
    return url ? url : "";
  }
};

TEST_P(BackendServerTest, ThreeMachinesEightClientsFiftyEachAllStoredNoneTwice) {
  perf::server::ServerOptions o;
  o.submissions_per_minute = 0;  // this test is about concurrency, not the rate limit
  Start(o, Url());
  constexpr int kClients = 8, kEach = 50;
  std::atomic<int> created = 0, repeated = 0, failed = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      const std::string machine = "m" + std::to_string(c % 3 + 1);
      for (int i = 0; i < kEach; ++i) {
        const RunBundle b = MakeBundle(machine, "c" + std::to_string(c) + "-" + std::to_string(i), i);
        // Every fifth submission is sent twice, as a client whose answer was lost would.
        for (int attempt = 0; attempt < (i % 5 == 0 ? 2 : 1); ++attempt) {
          const auto r = Post(Body(b), tokens_[machine], b.ContentHash());
          if (r && r->status == 201) {
            ++created;
          } else if (r && r->status == 200) {
            ++repeated;
          } else {
            ++failed;
          }
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(created, kClients * kEach);
  EXPECT_EQ(repeated, kClients * kEach / 5);
  EXPECT_EQ(CountRuns(url_), std::make_pair(size_t{kClients * kEach}, size_t{kClients * kEach}));
  // Each machine holds exactly its clients' runs.
  Store s = Store::Open(url_);
  for (const auto& m : s.ListMachines()) {
    const int clients_of_m = m.name == "m3" ? 2 : 3;  // clients 0..7 over m1, m2, m3
    EXPECT_EQ(m.runs, clients_of_m * kEach) << m.name;
  }
}

// The database stopped under a running server (TT_TEST_POSTGRES_STOP and _START: the wrapper's
// pg_ctl commands): 503 with Retry-After while it is down, the client's run waits in the outbox,
// and once it is back the server reconnects by itself and the outbox delivers.
class DatabaseRestartTest : public BackendServerTest {};

TEST_P(DatabaseRestartTest, RestartedUnderARunningServerIs503ThenRecovers) {
  const char* stop = std::getenv("TT_TEST_POSTGRES_STOP");
  const char* start = std::getenv("TT_TEST_POSTGRES_START");
  ASSERT_TRUE(stop && start) << "run through tests/integration/postgres_server_test.sh";
  Start({}, Url());
  const RunBundle before = MakeBundle("m1", "before");
  ASSERT_EQ(Post(Body(before), tokens_["m1"], before.ContentHash())->status, 201);

  ASSERT_EQ(std::system(stop), 0);
  httplib::Client c = Client();
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Error(r).at("field"), "database");
  EXPECT_EQ(Error(r).at("error"), "database unavailable");  // no host, user or path
  const RunBundle during = MakeBundle("m1", "during");
  r = Post(Body(during), tokens_["m1"], during.ContentHash());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  perf::server::SubmitOptions o;
  o.server_url = "http://127.0.0.1:" + std::to_string(port_);
  o.token = tokens_["m1"];
  o.outbox_dir = (dir_ / "outbox").string();
  EXPECT_EQ(perf::server::SubmitBundle(during, o).delivery, perf::server::Delivery::kQueued);

  ASSERT_EQ(std::system(start), 0);
  // pg_ctl -w returned once the server accepts connections: the next request reconnects.
  r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const perf::server::FlushResult f = perf::server::FlushOutbox(o);
  EXPECT_EQ(f.delivered, 1);
  EXPECT_EQ(CountRuns(url_), std::make_pair(size_t{2}, size_t{2}));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, BackendServerTest, ::testing::Values("sqlite"));
std::vector<std::string> PostgresIfStarted() {
  return std::getenv("TT_TEST_POSTGRES_URL") ? std::vector<std::string>{"postgres"}
                                             : std::vector<std::string>{};
}
INSTANTIATE_TEST_SUITE_P(Postgres, BackendServerTest, ::testing::ValuesIn(PostgresIfStarted()));
// An embedded SQLite file does not go down under its server: PostgreSQL only.
INSTANTIATE_TEST_SUITE_P(Postgres, DatabaseRestartTest, ::testing::ValuesIn(PostgresIfStarted()));
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DatabaseRestartTest);  // no cases without a cluster

TEST_F(ServerTest, RefusesMissingBadRevokedAndOtherMachinesTokens) {
  Start();
  const std::string body = Body(MakeBundle("m1", "r1"));
  auto r = Post(body, "", "k");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Error(r).at("field"), "Authorization");
  r = Post(body, std::string(64, 'a'), "k");  // well-formed, unknown
  EXPECT_EQ(r->status, 401);
  r = Post(body, "not a token", "k");
  EXPECT_EQ(r->status, 401);
  r = Post(body, tokens_["m2"], "k");  // m2's token, m1's bundle
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Error(r).at("field"), "machine");
  // A body of several MiB with a wrong token: the 401 arrives (the server reads the body it
  // refused unread), not a reset the client would take for an outage.
  RunBundle large = MakeBundle("m1", "large");
  large.documents.push_back({"report.md", std::string(6 << 20, 'x')});
  r = Post(Body(large), std::string(64, 'a'), "k");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 401);
  Store::Open(url_).RevokeTokens("m1");
  r = Post(body, tokens_["m1"], "k");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(CountRuns(url_).first, 0u);
}

TEST_F(ServerTest, RefusesMalformedBodiesNamingTheProblem) {
  Start();
  const std::string token = tokens_["m1"];
  auto r = Post(Body(MakeBundle("m1", "r1")), token, "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Error(r).at("field"), "Idempotency-Key");
  r = Post(Body(MakeBundle("m1", "r1")), token, "bad key with spaces");
  EXPECT_EQ(r->status, 400);
  r = Post("{\"schema\": ", token, "k");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Error(r).at("error").get<std::string>().find("not valid JSON"), std::string::npos);
  // Nesting far deeper than any bundle: refused by the bounded reader, not a crashed server.
  r = Post(std::string(100000, '[') + std::string(100000, ']'), token, "k");
  EXPECT_EQ(r->status, 400);
  nlohmann::json wrong = MakeBundle("m1", "r1").ToJson();
  wrong["machine"] = 5;
  r = Post(wrong.dump(), token, "k");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Error(r).at("error").get<std::string>().find("machine"), std::string::npos) << r->body;
  wrong = MakeBundle("m1", "r1").ToJson();
  wrong["documents"][0]["name"] = "../../etc/passwd";
  r = Post(wrong.dump(), token, "k");
  EXPECT_EQ(r->status, 400);
  // A benchmark document whose rows are not rows.
  RunBundle bad = MakeBundle("m1", "r1");
  bad.documents[0].content = "{\"benchmarks\": [{\"run_name\": 7, \"real_time\": \"x\"}]}";
  r = Post(Body(bad), token, "k");
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(CountRuns(url_).first, 0u);
  // The server still answers after all that.
  r = Post(Body(MakeBundle("m1", "r1")), token, "k");
  EXPECT_EQ(r->status, 201) << r->body;
}

TEST_F(ServerTest, RefusesOversizedBodiesDeclaredChunkedOrCompressed) {
  perf::server::ServerOptions o;
  o.max_body_bytes = 64 << 10;
  Start(o);
  RunBundle big = MakeBundle("m1", "big");
  big.documents.push_back({"report.md", std::string(200 << 10, 'x')});
  httplib::Headers h{{"Authorization", "Bearer " + tokens_["m1"]}, {"Idempotency-Key", "k"}};
  auto r = Post(Body(big), tokens_["m1"], "k");  // Content-Length over the limit
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Error(r).at("field"), "body");
  // Chunked: no Content-Length, so the limit is counted while reading.
  const std::string body = Body(big);
  r = Client().Post(
      "/api/v1/runs", h,
      [&](size_t offset, httplib::DataSink& sink) {
        const size_t n = std::min<size_t>(8192, body.size() - offset);
        sink.write(body.data() + offset, n);
        if (offset + n == body.size()) sink.done();
        return true;
      },
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // gzip: 200 KiB of 'x' compress to a few hundred bytes; the limit applies to what they expand to.
  httplib::Client gz = Client();
  gz.set_compress(true);
  r = gz.Post("/api/v1/runs", h, body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(CountRuns(url_).first, 0u);
}

// A body sent where no route reads one is dropped past a bound, not read into memory: httplib
// would buffer it whole before answering 404 or 405, a chunked one without any limit.
TEST_F(ServerTest, BodiesNoRouteReadsAreDroppedPastABound) {
  perf::server::ServerOptions o;
  o.max_body_bytes = 64 << 10;
  Start(o);
  // A small body still gets its answer, as JSON.
  httplib::Client c = Client();
  const std::string small(1000, 'x');
  auto r = c.Post("/no/such/path", small, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  Error(r);
  r = c.Put("/api/v1/olympics/latency_sprint/submissions/1", small, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(Error(r).at("field"), "method");
  // 256 MiB, chunked, to each: the server stops reading after a few times its limit (the socket
  // buffers hold a few MiB more), where buffering it would have taken it all.
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/no/such/path"},
           {"PUT", "/api/v1/runs"},
           {"PATCH", "/api/v1/olympics/latency_sprint/submissions/1"}}) {
    constexpr size_t kTotal = size_t{256} << 20;
    const std::string chunk(64 << 10, 'x');
    size_t sent = 0;
    const auto provider = [&](size_t offset, httplib::DataSink& sink) {
      sent = offset;
      if (!sink.write(chunk.data(), chunk.size())) return false;
      if (offset + chunk.size() >= kTotal) sink.done();
      return true;
    };
    httplib::Client stream = Client();
    if (method == "POST") {
      stream.Post(path, provider, "application/json");
    } else if (method == "PUT") {
      stream.Put(path, provider, "application/json");
    } else {
      stream.Patch(path, provider, "application/json");
    }
    EXPECT_LT(sent, size_t{64} << 20) << method << " " << path;
  }
  // A multipart form goes to httplib's form parser, never to a plain reader: 415, not a 500.
  const httplib::MultipartFormDataItems form{
      {"run", Body(MakeBundle("m1", "r1")), "run.json", "application/json"}};
  r = c.Post("/api/v1/runs",
             {{"Authorization", "Bearer " + tokens_["m1"]}, {"Idempotency-Key", "k"}}, form);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415) << r->body;
  EXPECT_EQ(Error(r).at("field"), "Content-Type");
  // And the server still answers.
  EXPECT_EQ(c.Get("/healthz")->status, 200);
}

TEST_F(ServerTest, RateLimitsEachTokenWithRetryAfter) {
  perf::server::ServerOptions o;
  o.submissions_per_minute = 1;
  o.submission_burst = 2;
  Start(o);
  for (int i = 0; i < 2; ++i) {
    const RunBundle b = MakeBundle("m1", "r" + std::to_string(i));
    EXPECT_EQ(Post(Body(b), tokens_["m1"], b.ContentHash())->status, 201);
  }
  const RunBundle third = MakeBundle("m1", "r2");
  const auto r = Post(Body(third), tokens_["m1"], third.ContentHash());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_GE(std::stoi(r->get_header_value("Retry-After")), 1);
  // Another machine has its own bucket.
  const RunBundle other = MakeBundle("m2", "r0");
  EXPECT_EQ(Post(Body(other), tokens_["m2"], other.ContentHash())->status, 201);
}

TEST_F(ServerTest, ReadApiAnswersJsonAndValidatesItsParameters) {
  Start();
  const RunBundle b = MakeBundle("m1", "20261203T000000Z", 250);
  ASSERT_EQ(Post(Body(b), tokens_["m1"], b.ContentHash())->status, 201);
  httplib::Client c = Client();
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body).at("status"), "ok");
  r = c.Get("/api/v1/machines");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body).at("machines").size(), 3u);
  r = c.Get("/api/v1/runs?machine=m1&limit=5");
  EXPECT_EQ(r->status, 200);
  const nlohmann::json runs = nlohmann::json::parse(r->body).at("runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("run"), "20261203T000000Z");
  r = c.Get("/api/v1/series?benchmark=BM_Add%2F64&machine=m1");
  EXPECT_EQ(r->status, 200) << r->body;
  const nlohmann::json points = nlohmann::json::parse(r->body).at("points");
  ASSERT_EQ(points.size(), 2u) << r->body;
  EXPECT_DOUBLE_EQ(points[0].at("value").get<double>(), 250);
  r = c.Get("/api/v1/regressions");
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(nlohmann::json::parse(r->body).at("changes").is_array());
  // Refusals, each naming its parameter.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"/api/v1/series?machine=m1", "benchmark"},
      {"/api/v1/series?benchmark=BM_Add&machine=..%2Fx", "machine"},
      {"/api/v1/runs?limit=abc", "limit"},
      {"/api/v1/runs?limit=0", "limit"},
      {"/api/v1/runs?machine=m1&machine=m2", "machine"},
      {"/api/v1/machines?x=1", "x"},
      {"/api/v1/series?benchmark=%01&machine=m1", "benchmark"}};
  for (const auto& [path, field] : bad) {
    r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_EQ(Error(r).at("field"), field) << path;
  }
  r = c.Get("/no/such/path");
  EXPECT_EQ(r->status, 404);
  Error(r);
  // The longest name the store takes (512 bytes) can be asked for.
  RunBundle longest = MakeBundle("m1", "20261204T000000Z");
  nlohmann::json doc = nlohmann::json::parse(longest.documents[0].content);
  const std::string name = "BM_" + std::string(509, 'x');
  for (auto& row : doc["benchmarks"]) row["run_name"] = row["name"] = name;
  longest.documents[0].content = doc.dump();
  ASSERT_EQ(Post(Body(longest), tokens_["m1"], longest.ContentHash())->status, 201);
  r = c.Get("/api/v1/series?benchmark=" + name + "&machine=m1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body).at("points").size(), 2u);
  EXPECT_EQ(c.Get("/benchmark?name=" + name)->status, 200);
}

// The dashboard at /: the matrix, a recorded change marked on its cell and listed, each benchmark
// linked to its page at /benchmark?name= with a trend chart per machine, and a hostile benchmark
// name shown as text, never as markup, and percent-encoded in its link.
TEST_F(ServerTest, DashboardShowsMatrixChangesAndHistoryEscaped) {
  Start();
  const std::string hostile = "BM_<script>alert(1)</script>";
  int64_t latest = 0;
  for (int run = 0; run < 3; ++run) {
    for (const char* m : {"m1", "m2"}) {
      RunBundle b = MakeBundle(m, "2026120" + std::to_string(run + 1) + "T000000Z", 100 + run);
      nlohmann::json doc = nlohmann::json::parse(b.documents[0].content);
      doc["benchmarks"][0]["run_name"] = hostile;
      doc["benchmarks"][0]["name"] = hostile;
      b.documents[0].content = doc.dump(2);
      const auto r = Post(Body(b), tokens_[m], b.ContentHash());
      ASSERT_EQ(r->status, 201) << r->body;
      if (std::string(m) == "m1") latest = nlohmann::json::parse(r->body).at("run_id");
    }
  }
  perf::store::Change c;
  c.machine = "m1";
  c.benchmark = "BM_Add/64";
  c.metric = "real_time";
  c.run_id = latest;
  c.ratio = 1.25;
  c.low = 1.2;
  c.high = 1.3;
  c.direction = "regression";
  Store::Open(url_).RecordChange(c);

  // The change with its fleet verdict: alone (no commit recorded to match other machines by),
  // and m1's false-alarm rate beside it: 1 alarm in 2 series x 2 later runs, Wilson's upper end.
  const auto regressions = Client().Get("/api/v1/regressions?machine=m1");
  ASSERT_TRUE(regressions);
  ASSERT_EQ(regressions->status, 200);
  const nlohmann::json changes = nlohmann::json::parse(regressions->body).at("changes");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].at("fleet").at("status"), "unconfirmed");
  EXPECT_EQ(changes[0].at("fleet").at("hardware_class"), "unknown");
  EXPECT_EQ(changes[0].at("fleet").at("seen_on"), 1);
  EXPECT_EQ(changes[0].at("fleet").at("of"), 1);
  EXPECT_EQ(changes[0].at("false_alarm").at("alarms"), 1);
  EXPECT_EQ(changes[0].at("false_alarm").at("tested"), 4);
  EXPECT_NEAR(changes[0].at("false_alarm").at("rate").get<double>(), 0.6993581574175981, 1e-12);
  EXPECT_EQ(changes[0].at("false_alarm").at("source"), "history");  // no run carries a profile
  EXPECT_TRUE(changes[0].at("false_alarm").at("profile_run").is_null());

  const auto r = Client().Get("/");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  const std::string& page = r->body;
  auto count = [&](const std::string& s) {
    size_t n = 0;
    for (size_t at = page.find(s); at != std::string::npos; at = page.find(s, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("BM_&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(count("<th class=\"machine\""), 3u);  // m1, m2, and m3 (no runs: empty cells)
  EXPECT_EQ(count("<tr data-benchmark="), 2u);     // BM_Add/64 and the hostile name
  EXPECT_EQ(count("<td class=\"cell regression\""), 1u);
  EXPECT_EQ(count("<tr class=\"change regression\""), 1u);
  EXPECT_EQ(count("<td class=\"false-alarm history\""), 1u);
  EXPECT_EQ(count("<td class=\"cell empty\""), 2u);  // m3's column
  // The charts are on each benchmark's page, linked from its row (and from the change's).
  EXPECT_EQ(count("trend-chart"), 0u);
  const std::string hostile_query = "BM_%3Cscript%3Ealert%281%29%3C%2Fscript%3E";
  EXPECT_EQ(count("<a href=\"benchmark?name=" + hostile_query + "\">"), 1u);
  EXPECT_EQ(count("<a href=\"benchmark?name=BM_Add%2F64\">"), 2u);
  EXPECT_EQ(Client().Get("/?x=1")->status, 400);

  const auto history = Client().Get("/benchmark?name=" + hostile_query);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->status, 200) << history->body;
  EXPECT_NE(history->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  const std::string& h = history->body;
  EXPECT_EQ(h.find("<script>alert"), std::string::npos);
  EXPECT_NE(h.find("<h1>BM_&lt;script&gt;alert(1)&lt;/script&gt;</h1>"), std::string::npos);
  EXPECT_NE(h.find("<a href=\"./\">"), std::string::npos);  // back to the front page
  size_t charts = 0;
  for (size_t at = h.find("class=\"chart trend-chart\""); at != std::string::npos;
       at = h.find("class=\"chart trend-chart\"", at + 1)) {
    ++charts;
  }
  EXPECT_EQ(charts, 2u);  // m1 and m2; m3 has no runs
  const auto unknown = Client().Get("/benchmark?name=BM_Nope");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Error(unknown).at("field"), "name");
  EXPECT_EQ(Client().Get("/benchmark")->status, 400);
  EXPECT_EQ(Client().Get("/benchmark?name=BM_Add%2F64&x=1")->status, 400);
}

// A run folder on disk, as `tinyperf submit` reads it.
TEST(SubmitTest, QueuesWhileTheServerIsDownAndTheOutboxDeliversOnce) {
  const fs::path dir = FreshDir("outbox");
  const std::string url = "sqlite:" + (dir / "perf.db").string();
  std::string token;
  {
    Store s = Store::Open(url);
    s.Init();
    token = s.AddToken("m1");
  }
  const int port = FreePort();
  perf::server::SubmitOptions o;
  o.server_url = "http://127.0.0.1:" + std::to_string(port);
  o.token = token;
  o.outbox_dir = (dir / "outbox").string();
  o.timeout_s = 10;
  const RunBundle b = MakeBundle("m1", "r1");
  perf::server::SubmitResult r = perf::server::SubmitBundle(b, o);
  EXPECT_EQ(r.delivery, perf::server::Delivery::kQueued) << r.message;
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(fs::exists(r.outbox_file));
  EXPECT_EQ(perf::server::FlushOutbox(o).waiting, 1);  // still down

  perf::server::ServerOptions so;
  so.db_url = url;
  so.port = port;
  perf::server::Server server(so);
  server.Bind();
  std::thread t([&] { server.Run(); });
  const perf::server::FlushResult f = perf::server::FlushOutbox(o);
  EXPECT_EQ(f.delivered, 1);
  EXPECT_EQ(f.waiting, 0);
  EXPECT_FALSE(fs::exists(r.outbox_file));
  EXPECT_EQ(perf::server::FlushOutbox(o).delivered, 0);
  // Submitting it again is the same key: already stored.
  r = perf::server::SubmitBundle(b, o);
  EXPECT_EQ(r.delivery, perf::server::Delivery::kAlreadyStored);
  // A refusal is not queued.
  o.token = std::string(64, 'b');
  r = perf::server::SubmitBundle(MakeBundle("m1", "r2"), o);
  EXPECT_EQ(r.delivery, perf::server::Delivery::kRejected);
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(fs::is_empty(o.outbox_dir));
  server.Stop();
  t.join();
  EXPECT_EQ(CountRuns(url), std::make_pair(size_t{1}, size_t{1}));
}

// A 2xx is a receipt only with the id a results server gives: a captive portal's or a wrong
// port's page keeps the run in the outbox, and so does an answer too long to be a receipt.
TEST(SubmitTest, AnAnswerThatIsNoReceiptKeepsTheRunQueued) {
  const fs::path dir = FreshDir("not_a_server");
  httplib::Server portal;
  portal.Post("/api/v1/runs", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body>Please log in</body></html>", "text/html");
  });
  portal.Post("/long/api/v1/runs", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"run_id\": 1, \"pad\": \"" + std::string(1 << 20, 'x') + "\"}",
                    "application/json");
  });
  const int port = portal.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { portal.listen_after_bind(); });
  perf::server::SubmitOptions o;
  o.server_url = "http://127.0.0.1:" + std::to_string(port);
  o.token = std::string(64, 'a');
  o.outbox_dir = (dir / "outbox").string();
  o.timeout_s = 10;
  perf::server::SubmitResult r = perf::server::SubmitBundle(MakeBundle("m1", "r1"), o);
  EXPECT_EQ(r.delivery, perf::server::Delivery::kQueued) << r.message;
  EXPECT_THAT(r.message, HasSubstr("HTTP 200 without a submission id: not a results server?"));
  EXPECT_TRUE(fs::exists(r.outbox_file));
  const perf::server::FlushResult f = perf::server::FlushOutbox(o);
  EXPECT_EQ(f.delivered, 0);
  EXPECT_EQ(f.waiting, 1);
  EXPECT_TRUE(fs::exists(r.outbox_file));
  o.path = "/long/api/v1/runs";
  r = perf::server::SubmitBundle(MakeBundle("m1", "r2"), o);
  EXPECT_EQ(r.delivery, perf::server::Delivery::kQueued) << r.message;
  EXPECT_THAT(r.message, HasSubstr("longer than 65536 bytes"));
  EXPECT_EQ(perf::server::FlushOutbox(o).waiting, 2);
  portal.stop();
  t.join();
}

// `tinyperf serve` as a child process, as deployed: started, read for its port, killed.
class ServeProcess {
 public:
  ServeProcess(const std::string& url, int port) {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      const std::string listen = "127.0.0.1:" + std::to_string(port);
      ::execl(TINYPERF_BIN, TINYPERF_BIN, "serve", "--db", url.c_str(), "--listen", listen.c_str(),
              "--rate-per-minute", "0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // The first line says it listens; read it byte by byte (a FILE* would buffer past it).
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    out_ = out[0];
    constexpr std::string_view kPrefix = "listening on http://127.0.0.1:";
    const size_t at = line.find(kPrefix);
    EXPECT_NE(at, std::string::npos) << line;
    if (at != std::string::npos) port_ = std::atoi(line.c_str() + at + kPrefix.size());
  }
  ~ServeProcess() {
    if (pid_ > 0) Signal(SIGKILL);
    ::close(out_);
  }
  int port() const { return port_; }
  // Sends `sig` and waits; returns the wait status.
  int Signal(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  std::string RestOfOutput() {
    std::string s;
    char buf[256];
    for (ssize_t n; (n = ::read(out_, buf, sizeof buf)) > 0;) s.append(buf, n);
    return s;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = -1;
};

// Clients submit 100 runs through the client library while the server is stopped under them —
// by `sig` — after 30 answers; the server starts again and the outbox is flushed. Every run is
// stored, none twice, whether its request died before the import, during it, or after it but
// before the answer. Returns how many runs waited in the outbox.
int SubmitThroughAStop(int sig, int* wait_status) {
  const fs::path dir = FreshDir("stop" + std::to_string(sig));
  const std::string url = "sqlite:" + (dir / "perf.db").string();
  std::string token;
  {
    Store s = Store::Open(url);
    s.Init();
    token = s.AddToken("m1");
  }
  auto server = std::make_unique<ServeProcess>(url, 0);
  const int port = server->port();
  perf::server::SubmitOptions o;
  o.server_url = "http://127.0.0.1:" + std::to_string(port);
  o.token = token;
  o.outbox_dir = (dir / "outbox").string();
  o.timeout_s = 10;
  constexpr int kClients = 4, kEach = 25;
  std::atomic<int> answered = 0, queued = 0, refused = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const auto r = perf::server::SubmitBundle(
            MakeBundle("m1", "c" + std::to_string(c) + "-" + std::to_string(i), i), o);
        if (r.delivery == perf::server::Delivery::kQueued) {
          ++queued;
        } else if (r.delivery == perf::server::Delivery::kRejected) {
          ++refused;
        }
        ++answered;
      }
    });
  }
  while (answered < 30) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  *wait_status = server->Signal(sig);
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(refused, 0);
  EXPECT_GT(queued, 0) << "the stop came after every submission: nothing was tested";

  ServeProcess again(url, port);
  EXPECT_EQ(again.port(), port);
  const perf::server::FlushResult f = perf::server::FlushOutbox(o);
  EXPECT_EQ(f.delivered, queued.load());
  EXPECT_EQ(f.waiting, 0);
  EXPECT_EQ(f.rejected, 0);
  EXPECT_EQ(CountRuns(url), std::make_pair(size_t{kClients * kEach}, size_t{kClients * kEach}));
  return queued;
}

TEST(ServeProcessTest, KilledMidSubmissionTheOutboxDeliversLaterNothingLostOrDoubled) {
  int status = 0;
  const int queued = SubmitThroughAStop(SIGKILL, &status);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  std::printf("queued while the server was down: %d of 100\n", queued);
}

TEST(ServeProcessTest, SigtermStopsGracefullyAndNothingIsLost) {
  int status = 0;
  SubmitThroughAStop(SIGTERM, &status);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
