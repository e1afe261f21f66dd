// Capstone: TorchPerf Olympics rules at their boundaries, scores by hand, the submission schema
// and its plausibility checks, and leaderboards whose ranking does not depend on input order.
#include "tinytorch/olympics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tinytorch/error.h"
#include "tinytorch/olympics_recipe.h"

namespace tinytorch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

OlympicMetrics Metrics(std::string model, double accuracy, double latency_ms, int64_t bytes) {
  return {.model = std::move(model),
          .accuracy = {accuracy, std::max(0.0, accuracy - 0.01), std::min(1.0, accuracy + 0.01)},
          .latency_ms = {latency_ms, 0.95 * latency_ms, 1.05 * latency_ms},
          .size_bytes = bytes,
          // Every accuracy these tests use has at most four decimals: a whole count of 10,000.
          .evaluated = 10000};
}

TEST(OlympicsTest, EventsEnforceTheirRulesAtTheBoundaries) {
  EXPECT_TRUE(QualifiesEvent(OlympicEvent::kLatencySprint, Metrics("m", 0.85, 5, 100)).qualifies);
  const Qualification slow =
      QualifiesEvent(OlympicEvent::kLatencySprint, Metrics("m", 0.849, 5, 100));
  EXPECT_FALSE(slow.qualifies);
  EXPECT_THAT(slow.failures, ElementsAre("accuracy 0.8490 < 0.85"));
  EXPECT_FALSE(QualifiesEvent(OlympicEvent::kMemoryChallenge, Metrics("m", 0.8, 5, 100)).qualifies);
  EXPECT_TRUE(QualifiesEvent(OlympicEvent::kExtremePush, Metrics("m", 0.8, 5, 100)).qualifies);
  EXPECT_FALSE(QualifiesEvent(OlympicEvent::kExtremePush, Metrics("m", 0.79, 5, 100)).qualifies);
  EXPECT_TRUE(QualifiesEvent(OlympicEvent::kAllAround, Metrics("m", 0.1, 500, 1 << 30)).qualifies);
  // Accuracy contest: strictly under 100 ms and 10 MiB.
  EXPECT_TRUE(
      QualifiesEvent(OlympicEvent::kAccuracyContest, Metrics("m", 0.5, 99.9, (10 << 20) - 1))
          .qualifies);
  const Qualification big =
      QualifiesEvent(OlympicEvent::kAccuracyContest, Metrics("m", 0.5, 100, 10 << 20));
  EXPECT_EQ(big.failures.size(), 2u);

  // Not measurements: errors, not disqualifications.
  OlympicMetrics nan = Metrics("m", 0.9, 5, 100);
  nan.latency_ms.value = NAN;
  EXPECT_THAT([&] { QualifiesEvent(OlympicEvent::kAllAround, nan); },
              ThrowsMessage<Error>(HasSubstr("latency_ms has a non-finite value")));
  OlympicMetrics over = Metrics("m", 0.9, 5, 100);
  over.accuracy = {1.2, 1.1, 1.3};
  EXPECT_THAT([&] { QualifiesEvent(OlympicEvent::kAllAround, over); },
              ThrowsMessage<Error>(HasSubstr("outside [0, 1]")));
  OlympicMetrics outside = Metrics("m", 0.9, 5, 100);
  outside.latency_ms = {5, 6, 7};
  EXPECT_THAT([&] { QualifiesEvent(OlympicEvent::kAllAround, outside); },
              ThrowsMessage<Error>(HasSubstr("does not contain its value 5")));
  EXPECT_THROW(QualifiesEvent(OlympicEvent::kAllAround, Metrics("m", 0.9, 5, 0)), Error);
  EXPECT_THROW(ParseOlympicEvent("marathon"), Error);
  for (OlympicEvent e : kAllOlympicEvents) EXPECT_EQ(ParseOlympicEvent(EventName(e)), e);
}

TEST(OlympicsTest, ScoresByHand) {
  const OlympicMetrics base = Metrics("fp32", 0.90, 10, 4000);
  const OlympicMetrics opt = Metrics("int8", 0.90, 4, 1000);
  const OlympicScores s = ScoreSubmission(OlympicEvent::kAllAround, base, opt);
  EXPECT_DOUBLE_EQ(s.speedup, 2.5);
  EXPECT_DOUBLE_EQ(s.speedup_low, 9.5 / 4.2);
  EXPECT_DOUBLE_EQ(s.speedup_high, 10.5 / 3.8);
  EXPECT_DOUBLE_EQ(s.compression_ratio, 4);
  EXPECT_DOUBLE_EQ(s.accuracy_delta, 0);
  EXPECT_DOUBLE_EQ(s.efficiency, std::sqrt(10.0));
  EXPECT_DOUBLE_EQ(s.event_score, s.efficiency);
  EXPECT_DOUBLE_EQ(ScoreSubmission(OlympicEvent::kLatencySprint, base, opt).event_score, 2.5);
  EXPECT_DOUBLE_EQ(ScoreSubmission(OlympicEvent::kMemoryChallenge, base, opt).event_score, 4);
  EXPECT_DOUBLE_EQ(ScoreSubmission(OlympicEvent::kAccuracyContest, base, opt).event_score, 0.9);
  EXPECT_DOUBLE_EQ(ScoreSubmission(OlympicEvent::kExtremePush, base, opt).event_score, 10);
  // Losing accuracy discounts efficiency by the retention.
  const OlympicScores lossy =
      ScoreSubmission(OlympicEvent::kAllAround, base, Metrics("int4", 0.45, 4, 1000));
  EXPECT_DOUBLE_EQ(lossy.efficiency, std::sqrt(10.0) * 0.5);
}

Submission Valid(std::string athlete = "alice", double speedup = 2.5) {
  Submission s;
  s.division = "closed";
  s.event = OlympicEvent::kLatencySprint;
  s.athlete = std::move(athlete);
  s.baseline = Metrics("digits_mlp", 0.97, 10, 40000);
  s.optimized = Metrics("digits_mlp_int8", 0.97, 10 / speedup, 10000);
  s.techniques = {"int8"};
  s.environment_json = R"({"cpu_model":"test"})";
  s.timestamp = "2025-06-01T10:00:00Z";
  return s;
}

TEST(OlympicsTest, SubmissionJsonRoundTripsAndNamesBadFields) {
  const Submission s = Valid();
  const Submission back = Submission::FromJson(s.ToJson());
  EXPECT_EQ(back.ToJson(), s.ToJson());
  EXPECT_EQ(back.optimized.latency_ms.high, s.optimized.latency_ms.high);
  EXPECT_EQ(back.baseline.evaluated, 10000);

  const auto broken = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = nlohmann::json::parse(s.ToJson());
    edit(j);
    return j.dump();
  };
  EXPECT_THAT(
      [&] {
        Submission::FromJson(broken([](auto& j) { j["optimized"]["latency_ms"].erase("low"); }));
      },
      ThrowsMessage<Error>(HasSubstr("missing field 'optimized.latency_ms.low'")));
  EXPECT_THAT(
      [&] {
        Submission::FromJson(
            broken([](auto& j) { j["schema"] = "tinyperf.olympics.submission/0"; }));
      },
      ThrowsMessage<Error>(HasSubstr("schema 'tinyperf.olympics.submission/0' is not supported")));
  EXPECT_THAT([&] { Submission::FromJson(broken([](auto& j) { j["division"] = "unlimited"; })); },
              ThrowsMessage<Error>(HasSubstr("division 'unlimited'")));
  EXPECT_THAT(
      [&] { Submission::FromJson(broken([](auto& j) { j["baseline"]["size_bytes"] = 1.5; })); },
      ThrowsMessage<Error>(HasSubstr("'baseline.size_bytes' must be an integer")));
  EXPECT_THAT([&] { Submission::FromJson(s.ToJson().substr(0, 100)); },
              ThrowsMessage<Error>(HasSubstr("not valid JSON")));
}

std::vector<std::string> Errors(const Submission& s) {
  return ValidateSubmission(s.ToJson()).errors;
}

TEST(OlympicsTest, ValidationRejectsImplausibleSubmissions) {
  const SubmissionCheck ok = ValidateSubmission(Valid().ToJson());
  EXPECT_TRUE(ok.valid()) << ok.errors.front();
  EXPECT_TRUE(ok.warnings.empty());

  EXPECT_THAT(Errors(Valid("a", 60)),
              ElementsAre(HasSubstr("speedup 60.0x is above the plausible 50x")));
  Submission tiny = Valid();
  tiny.optimized.size_bytes = 1000;  // 40×
  EXPECT_THAT(Errors(tiny), ElementsAre(HasSubstr("compression 40.0x")));
  Submission better = Valid();
  better.optimized.accuracy = {0.99, 0.98, 1.0};  // +2 points
  EXPECT_THAT(Errors(better), ElementsAre(HasSubstr("not credible in the closed division")));
  better.division = "open";
  const SubmissionCheck open = ValidateSubmission(better.ToJson());
  EXPECT_TRUE(open.valid());
  EXPECT_THAT(open.warnings, ElementsAre(HasSubstr("accuracy gain of 2.00 points")));
  Submission unqualified = Valid();
  unqualified.optimized.accuracy = {0.80, 0.79, 0.81};
  EXPECT_THAT(Errors(unqualified),
              ElementsAre("does not qualify for latency_sprint: accuracy 0.8000 < 0.85"));
  Submission nothing = Valid();
  nothing.techniques.clear();
  EXPECT_THAT(Errors(nothing), ElementsAre("no techniques listed"));
  Submission when = Valid();
  when.timestamp = "yesterday";
  EXPECT_THAT(Errors(when), ElementsAre(HasSubstr("is not ISO 8601 UTC")));
  when.timestamp = "2999-01-01T00:00:00Z";
  EXPECT_THAT(ValidateSubmission(when.ToJson()).warnings, ElementsAre(HasSubstr("in the future")));
  const SubmissionCheck noise = ValidateSubmission(Valid("a", 1.02).ToJson());
  EXPECT_TRUE(noise.valid());
  EXPECT_THAT(noise.warnings, ElementsAre(HasSubstr("is not significant")));
  EXPECT_THAT(ValidateSubmission(Valid("a", 0.5).ToJson()).warnings,
              ElementsAre(HasSubstr("slower than the baseline: speedup 0.50x")));
  EXPECT_THAT(ValidateSubmission("{").errors, ElementsAre(HasSubstr("not valid JSON")));
}

std::pair<std::string, std::string> File(const std::string& name, const Submission& s) {
  return {name, s.ToJson()};
}

// An accuracy measured on N examples is k/N (issue 23): 0.9705 of 1000 examples was typed, not
// measured; so is an accuracy of no examples at all.
TEST(OlympicsTest, AccuracyMustBeAWholeCountOfTheEvaluatedExamples) {
  Submission s = Valid();
  s.baseline.evaluated = s.optimized.evaluated = 1000;
  s.baseline.accuracy = s.optimized.accuracy = {0.97, 0.96, 0.98};  // 970/1000
  EXPECT_THAT(Errors(s), ElementsAre());
  s.optimized.accuracy.value = 6.0 / 7.0;
  s.optimized.accuracy.low = 0.85;
  s.optimized.evaluated = 7;  // 6/7, as a double prints it
  EXPECT_THAT(Errors(s), ElementsAre());
  s.optimized.accuracy.value = 0.8571;  // 6/7 rounded by hand is no count of 7
  EXPECT_THAT(Errors(s), ElementsAre(HasSubstr(
                             "optimized accuracy 0.8571 is not a whole count of its 7 evaluated "
                             "examples (k/7 for an integer k; the nearest is 6/7)")));
  s.optimized.accuracy.value = 0.9705;
  s.optimized.evaluated = 1000;
  EXPECT_THAT(Errors(s), ElementsAre(HasSubstr("not a whole count of its 1000 evaluated")));
  s.optimized.evaluated = 0;  // not stated: nothing to check against
  EXPECT_THAT(Errors(s), ElementsAre());
  nlohmann::json j = nlohmann::json::parse(Valid().ToJson());
  j["baseline"]["accuracy"]["evaluated"] = 0;
  EXPECT_THAT([&] { Submission::FromJson(j.dump()); },
              ThrowsMessage<Error>(HasSubstr("'baseline.accuracy.evaluated' is 0")));
}

TEST(OlympicsTest, LeaderboardRanksWithSharedRanksAndDeterministicOrder) {
  Submission a = Valid("alice", 3.0), b = Valid("bob", 3.0), c = Valid("carol", 2.0);
  b.timestamp = "2025-06-01T09:00:00Z";  // same score as alice, earlier: no advantage
  Submission d = Valid("dave", 2.0);
  d.event = OlympicEvent::kMemoryChallenge;
  Submission e = Valid("eve", 70);  // implausible
  Submission f = Valid("frank", 2.0);
  f.division = "open";
  std::vector<std::pair<std::string, std::string>> files = {
      File("a.json", a), File("b.json", b), File("c.json", c),     File("d.json", d),
      File("e.json", e), File("f.json", f), {"g.json", "not json"}};
  const Leaderboard board = BuildLeaderboard(OlympicEvent::kLatencySprint, "closed", files);
  ASSERT_EQ(board.entries.size(), 3u);
  EXPECT_EQ(board.entries[0].submission.athlete, "alice");  // a tie is listed by name
  EXPECT_EQ(board.entries[1].submission.athlete, "bob");
  EXPECT_EQ(board.entries[2].submission.athlete, "carol");
  EXPECT_EQ(board.entries[0].rank, 1);
  EXPECT_EQ(board.entries[1].rank, 1);
  EXPECT_EQ(board.entries[2].rank, 3);
  EXPECT_EQ(board.skipped_other, 2);
  ASSERT_EQ(board.rejected.size(), 2u);
  EXPECT_EQ(board.rejected[0].first, "e.json");
  EXPECT_THAT(board.rejected[1].second, HasSubstr("not valid JSON"));

  // Any input order gives the same board.
  std::reverse(files.begin(), files.end());
  EXPECT_EQ(BuildLeaderboard(OlympicEvent::kLatencySprint, "closed", files).ToMarkdown(), [&] {
    Leaderboard reordered = board;
    std::reverse(reordered.rejected.begin(), reordered.rejected.end());
    return reordered.ToMarkdown();
  }());
  const std::string md = board.ToMarkdown();
  EXPECT_THAT(md, HasSubstr("| 1 | bob | 3 |"));
  EXPECT_THAT(md, HasSubstr("| 3 | carol | 2 |"));
  EXPECT_THAT(md, HasSubstr("Rejected e.json: speedup 70.0x"));
  const nlohmann::json j = nlohmann::json::parse(board.ToJson());
  EXPECT_EQ(j["entries"][1]["rank"], 1);
  EXPECT_THROW(BuildLeaderboard(OlympicEvent::kLatencySprint, "unlimited", files), Error);
}

// Athlete names and techniques come from files students write: on the Markdown board they stay
// inside their cells, whatever they hold (a forged row, HTML, a pipe, a 500-character name).
TEST(OlympicsTest, LeaderboardMarkdownEscapesHostileNames) {
  Submission forger = Valid("mallory\n| 1 | forged | 99 |", 3.0);
  Submission html = Valid("<script>alert(1)</script>|x", 2.5);
  Submission longname = Valid(std::string(500, 'L'), 2.0);
  const std::vector<std::pair<std::string, std::string>> files = {
      File("m.json", forger),
      File("h.json", html),
      File("l.json", longname),
      {"evil|name\n| 1 | forged |.json", "not json"}};
  const Leaderboard board = BuildLeaderboard(OlympicEvent::kLatencySprint, "closed", files);
  const std::string md = board.ToMarkdown();
  int table_lines = 0;
  for (size_t at = 0; at < md.size();) {
    const size_t end = std::min(md.find('\n', at), md.size());
    const std::string line = md.substr(at, end - at);
    if (line.rfind("|", 0) == 0) ++table_lines;
    EXPECT_EQ(line.rfind("| 1 | forged", 0), std::string::npos) << "forged row: " << line;
    at = end + 1;
  }
  ASSERT_EQ(board.entries.size(), 3u) << "the names themselves are not grounds to reject";
  EXPECT_EQ(table_lines, 2 + static_cast<int>(board.entries.size()));
  EXPECT_THAT(md, ::testing::Not(HasSubstr("<script>")));
  EXPECT_THAT(md, ::testing::Not(HasSubstr(std::string(81, 'L'))));
  EXPECT_THAT(md, HasSubstr("…"));
}

// Issue 23: a key given twice reads one way here and another way elsewhere (a second "athlete"
// or "optimized" object); the file is rejected naming the key, wherever submissions are read.
TEST(OlympicsTest, DuplicateKeysAreRejectedNamingTheKey) {
  const std::string valid = Valid().ToJson();
  const std::string twice = std::string(valid).insert(1, R"("athlete": "mallory",)");
  EXPECT_THAT([&] { Submission::FromJson(twice); },
              ThrowsMessage<Error>(HasSubstr("duplicate key 'athlete'")));
  EXPECT_THAT(ValidateSubmission(twice).errors, ElementsAre(HasSubstr("duplicate key 'athlete'")));
  const Leaderboard board =
      BuildLeaderboard(OlympicEvent::kLatencySprint, "closed", {{"twice.json", twice}});
  EXPECT_TRUE(board.entries.empty());
  ASSERT_EQ(board.rejected.size(), 1u);
  EXPECT_THAT(board.rejected[0].second, HasSubstr("duplicate key 'athlete'"));
}

TEST(OlympicsTest, UnknownTechniquesAreRejectedListingTheKnownOnes) {
  EXPECT_EQ(ParseOlympicTechnique("int8").name, "int8");
  EXPECT_DOUBLE_EQ(ParseOlympicTechnique("prune=0.25").fraction, 0.25);
  EXPECT_THAT([] { ParseOlympicTechnique("fp16"); },
              ThrowsMessage<Error>(
                  HasSubstr("unknown technique 'fp16' (known: int8, sparse, prune=<fraction>, "
                            "structured=<fraction>)")));
  for (const char* bad : {"int8=1", "prune", "prune=", "prune=1", "prune=-0.1", "prune=nan",
                          "prune=0.5x", "structured=inf"}) {
    EXPECT_THROW(ParseOlympicTechnique(bad), Error) << bad;
  }
  Submission s = Valid();
  s.techniques = {"int8", "magic\x1b[31m"};
  EXPECT_THAT(ValidateSubmission(s.ToJson()).errors,
              ElementsAre(HasSubstr("unknown technique 'magic")));
}

// Issue 23: equal scores share a rank, and the order within a tie is by name, so a self-reported
// timestamp or efficiency decides nothing; a different score at the 4th digit is a different rank.
TEST(OlympicsTest, TiesShareARankWhateverTheSelfReportedFields) {
  Submission zed = Valid("zed", 3.0), amy = Valid("amy", 3.0), max = Valid("max", 3.0004);
  zed.timestamp = "2001-01-01T00:00:00Z";  // claims to be first
  const Leaderboard board = BuildLeaderboard(OlympicEvent::kLatencySprint, "closed",
                                             {File("z.json", zed), File("a.json", amy),
                                              File("m.json", max), File("b.json", Valid("bo", 2))});
  ASSERT_EQ(board.entries.size(), 4u);
  std::vector<std::pair<int, std::string>> ranks;
  for (const LeaderboardEntry& e : board.entries) ranks.emplace_back(e.rank, e.submission.athlete);
  EXPECT_THAT(ranks, ElementsAre(std::pair(1, "amy"), std::pair(1, "max"), std::pair(1, "zed"),
                                 std::pair(4, "bo")));
}

// Issue 23: one athlete appears once, with their best submission; the others are counted.
TEST(OlympicsTest, OneAthleteAppearsOnceWithTheirBest) {
  const Leaderboard board = BuildLeaderboard(
      OlympicEvent::kLatencySprint, "closed",
      {File("a1.json", Valid("alice", 2.0)), File("b.json", Valid("bob", 2.5)),
       File("a2.json", Valid("alice", 3.0)), File("a3.json", Valid("alice", 3.0))});
  ASSERT_EQ(board.entries.size(), 2u);
  EXPECT_EQ(board.entries[0].submission.athlete, "alice");
  EXPECT_EQ(board.entries[0].source, "a2.json");  // of two equal bests, the first source
  EXPECT_EQ(board.entries[1].submission.athlete, "bob");
  EXPECT_EQ(board.entries[1].rank, 2);
  EXPECT_EQ(board.superseded, 2);
  EXPECT_THAT(board.ToMarkdown(), HasSubstr("2 more valid submission(s) by athletes already"));
  EXPECT_EQ(nlohmann::json::parse(board.ToJson())["superseded"], 2);
}

// Issue 23: the numbers of a row went through a 256-byte buffer; an interval bound of 1e300 cut
// the row mid-cell, and the next row was glued to it.
TEST(OlympicsTest, LeaderboardRowsAreNeverCutByABuffer) {
  Submission wide = Valid("wide", 2.0);
  wide.optimized.latency_ms.low = 1e-300;  // positive, so valid; the speedup bound is ~1e301
  const Leaderboard board = BuildLeaderboard(OlympicEvent::kLatencySprint, "closed",
                                             {File("w.json", wide), File("n.json", Valid("next"))});
  ASSERT_EQ(board.entries.size(), 2u);
  const std::string md = board.ToMarkdown();
  const size_t row = md.find("| 2 | wide |");
  ASSERT_NE(row, std::string::npos) << md;
  const std::string line = md.substr(row, md.find('\n', row) - row);
  EXPECT_GT(line.size(), 300u);
  EXPECT_THAT(line, ::testing::EndsWith("| 2025-06-01T10:00:00Z |"));
  EXPECT_THAT(md, HasSubstr("\n| 1 | next |"));
}

// Terminal escape sequences in a name reach neither the Markdown board nor (see the CLI test) the
// terminal as control characters.
TEST(OlympicsTest, LeaderboardMarkdownShowsControlCharactersAsText) {
  const Leaderboard board = BuildLeaderboard(OlympicEvent::kLatencySprint, "closed",
                                             {File("e.json", Valid("\x1b[2J\x1b]0;pwned\a"))});
  const std::string md = board.ToMarkdown();
  EXPECT_EQ(md.find('\x1b'), std::string::npos);
  EXPECT_EQ(md.find('\a'), std::string::npos);
  EXPECT_THAT(md, HasSubstr("\\x1b"));
}

// Inputs tests/fuzz/olympics_submission_fuzzer found or its harness confirmed: a number beyond
// double's range escaped as nlohmann::out_of_range, and a deeply nested environment ran out of
// stack. Both are now tinytorch::Error, and ValidateSubmission reports them as errors.
TEST(OlympicsTest, FuzzFoundSubmissionsAreErrors) {
  const std::string valid = Valid().ToJson();
  const std::string huge = std::string(valid).insert(1, R"("x": 1e999,)");
  EXPECT_THAT([&] { Submission::FromJson(huge); },
              ThrowsMessage<Error>(HasSubstr("submission: not valid JSON")));
  const std::string deep = std::string(valid).insert(
      1, R"("x": )" + std::string(100000, '[') + std::string(100000, ']') + ",");
  EXPECT_THAT([&] { Submission::FromJson(deep); },
              ThrowsMessage<Error>(HasSubstr("nested deeper than")));
  EXPECT_FALSE(ValidateSubmission(huge).valid());
  EXPECT_FALSE(ValidateSubmission(deep).valid());
}


// ---- Verification by re-measurement (olympics_recipe.h): the claim against the server's numbers.

RecipeMeasurement Remeasured(const Submission& s, double speedup) {
  return {Metrics("digits_mlp", s.baseline.accuracy.value, 12, s.baseline.size_bytes),
          Metrics("digits_mlp_int8", s.optimized.accuracy.value, 12 / speedup,
                  s.optimized.size_bytes)};
}

TEST(OlympicsVerifyTest, AClaimTheServerReproducesIsVerifiedWithTheServersScore) {
  const Submission claimed = Valid("alice", 2.5);
  // Another machine: slower overall and a smaller speedup, within the factor allowed.
  const VerificationResult v = VerifyClaim(claimed, Remeasured(claimed, 1.5));
  ASSERT_TRUE(v.verified) << ::testing::PrintToString(v.reasons);
  EXPECT_NEAR(v.score.value, 1.5, 1e-12) << "the server's speedup is ranked, not the claim's";
  EXPECT_NEAR(v.score.low, 0.95 * 12 / (1.05 * 12 / 1.5), 1e-12);
  EXPECT_NEAR(v.score.high, 1.05 * 12 / (0.95 * 12 / 1.5), 1e-12);
  EXPECT_EQ(v.measured.baseline.latency_ms.value, 12);
}

TEST(OlympicsVerifyTest, ForgedNumbersAreRejectedWithTheRuleAndItsTolerance) {
  const Submission honest = Valid("alice", 2.5);
  Submission forged = honest;
  forged.optimized.accuracy = {0.985, 0.975, 0.995};  // edited after measuring 0.97
  VerificationResult v = VerifyClaim(forged, Remeasured(honest, 2.5));
  EXPECT_FALSE(v.verified);
  EXPECT_THAT(v.reasons, ElementsAre(HasSubstr("claimed optimized accuracy 0.9850, re-measured "
                                               "0.9700 (tolerance 1.00 points)")));
  forged = honest;
  forged.optimized.size_bytes = 9000;
  v = VerifyClaim(forged, Remeasured(honest, 2.5));
  EXPECT_THAT(v.reasons, ElementsAre(HasSubstr("claimed optimized size 9000 bytes, re-measured "
                                               "10000 bytes")));
  // A speedup claim of 10x where the server measures 2x [1.81, 2.21]: beyond 3 x 2.21.
  forged = Valid("alice", 10);
  v = VerifyClaim(forged, Remeasured(honest, 2));
  EXPECT_THAT(v.reasons, ElementsAre(HasSubstr("claimed speedup 10.00x is more than 3x")));
  // Half a point of accuracy is float rounding on another CPU, not a forgery.
  forged = honest;
  forged.optimized.accuracy = {0.975, 0.965, 0.985};
  EXPECT_TRUE(VerifyClaim(forged, Remeasured(honest, 2.5)).verified);
}

TEST(OlympicsVerifyTest, TheServersNumbersMustKeepTheRules) {
  const Submission claimed = Valid("alice", 2.5);
  RecipeMeasurement m = Remeasured(claimed, 2.5);
  m.optimized.accuracy = {0.84, 0.83, 0.85};  // below latency_sprint's 0.85 on the server
  Submission c = claimed;
  c.optimized.accuracy = m.optimized.accuracy;
  const VerificationResult v = VerifyClaim(c, m);
  EXPECT_FALSE(v.verified);
  EXPECT_THAT(v.reasons, ::testing::Contains(HasSubstr("rule broken by the re-measured model")));
}

TEST(OlympicsVerifyTest, RecipesRoundTripAndNameTheirBadFields) {
  const OlympicRecipe r{.techniques = {"prune=0.5", "int8"}, .epochs = 7, .seed = 9};
  const OlympicRecipe back = OlympicRecipe::FromJson(r.ToJson());
  EXPECT_EQ(back.techniques, r.techniques);
  EXPECT_EQ(back.epochs, 7);
  EXPECT_EQ(back.seed, 9u);
  EXPECT_THAT([] { OlympicRecipe::FromJson(R"({"techniques":["int8"],"epochs":0,"seed":1})"); },
              ThrowsMessage<Error>(HasSubstr("'epochs' must be an integer from 1 to 1000")));
  EXPECT_THAT([] { OlympicRecipe::FromJson(R"({"techniques":["int8","prune=0.5"],"epochs":1,"seed":1})"); },
              ThrowsMessage<Error>(HasSubstr("cannot follow int8 or sparse")));
  EXPECT_THAT([] { OlympicRecipe::FromJson(R"({"techniques":["int8"],"epochs":1,"seed":-1})"); },
              ThrowsMessage<Error>(HasSubstr("'seed'")));
  Submission s = Valid();
  EXPECT_THAT([&] { RecipeOf(s); }, ThrowsMessage<Error>(HasSubstr("states no recipe")));
  s.epochs = 3;
  s.seed = 4;
  const Submission parsed = Submission::FromJson(s.ToJson());
  EXPECT_EQ(RecipeOf(parsed).epochs, 3);
  EXPECT_EQ(RecipeOf(parsed).seed, 4u);
}

TEST(OlympicsVerifyTest, EventScoreIntervalsContainTheirScore) {
  const Submission s = Valid("alice", 2.5);
  for (OlympicEvent e : kAllOlympicEvents) {
    const MeasuredValue v = EventScoreInterval(e, s.baseline, s.optimized);
    EXPECT_EQ(v.value, ScoreSubmission(e, s.baseline, s.optimized).event_score) << EventName(e);
    EXPECT_LE(v.low, v.value) << EventName(e);
    EXPECT_GE(v.high, v.value) << EventName(e);
  }
  EXPECT_EQ(EventScoreInterval(OlympicEvent::kMemoryChallenge, s.baseline, s.optimized).low, 4);
}

}  // namespace
}  // namespace tinytorch
