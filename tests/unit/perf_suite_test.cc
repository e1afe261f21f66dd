// PerformanceTestSuite: verdict rules on known evidence, claims that throw or hang, and the
// versioned results file (lossless round trip, clear errors for damaged or foreign files).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "perf_framework/comparator.h"
#include "perf_framework/report.h"
#include "perf_framework/suite.h"
#include "support/report_testing.h"

namespace perf {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::ThrowsMessage;
using tinytorch::testing::Occurrences;
using tinytorch::testing::SvgAttributesThatAreNotNumbers;

Evidence E(double value, double low, double high, double p = Evidence::kNone) {
  Evidence e;
  e.value = value;
  e.low = low;
  e.high = high;
  e.p_value = p;
  e.unit = "x";
  return e;
}

TEST(PerfSuiteTest, AtLeastRule) {
  EXPECT_EQ(DecideAtLeast(E(2.5, 2.2, 2.8, 0.001), 2, "speedup").verdict, ClaimVerdict::kPass);
  const ClaimOutcome wide = DecideAtLeast(E(2.5, 1.8, 3.2, 0.001), 2, "speedup");
  EXPECT_EQ(wide.verdict, ClaimVerdict::kPartial);
  EXPECT_THAT(wide.reason, HasSubstr("its interval reaches below"));
  const ClaimOutcome weak = DecideAtLeast(E(2.5, 2.2, 2.8, 0.2), 2, "speedup");
  EXPECT_EQ(weak.verdict, ClaimVerdict::kPartial);
  EXPECT_THAT(weak.reason, HasSubstr("not significantly"));
  const ClaimOutcome miss = DecideAtLeast(E(1.5, 1.4, 1.6, 0.001), 2, "speedup");
  EXPECT_EQ(miss.verdict, ClaimVerdict::kFail);
  EXPECT_THAT(miss.reason, HasSubstr("speedup 1.5 x [1.4, 1.6], p = 0.001 misses >= 2"));
  // Digits enough that a value never prints equal to the bound it misses or barely meets.
  EXPECT_THAT(DecideAtLeast(E(1.19996, 1.1, 1.3), 1.2, "speedup").reason,
              HasSubstr("speedup 1.19996 x [1.1, 1.3] misses >= 1.2"));
  EXPECT_THAT(
      DecideAtLeast(E(1.3, 1.19999, 1.4), 1.2, "speedup").reason,
      HasSubstr("[1.19999, 1.4] meets >= 1.2 by its estimate, but its interval reaches below"));
  EXPECT_EQ(DecideAtLeast(E(NAN, 0, 0), 2, "speedup").verdict, ClaimVerdict::kError);
  // Exact counts have no interval and no p-value: the value alone decides.
  EXPECT_EQ(DecideAtLeast(E(4.0, NAN, NAN), 3.9, "compression").verdict, ClaimVerdict::kPass);
  // An interval with an undefined end (too few samples) cannot establish the bound.
  EXPECT_EQ(DecideAtLeast(E(2.5, NAN, 3.0), 2, "speedup").verdict, ClaimVerdict::kPartial);
  EXPECT_EQ(DecideWithin(E(2.5, NAN, 3.0), 2, 4, "speedup").verdict, ClaimVerdict::kPartial);
  EXPECT_EQ(DecideWithin(E(2.5, NAN, NAN), 2, 4, "speedup").verdict, ClaimVerdict::kPass);
}

// The comparator's sign test is of "equally fast"; a goal below 1× must not be missed for being
// met with no difference, nor may that p-value stand beside a bound it did not test.
TEST(PerfSuiteTest, SpeedupEvidenceLetsTheIntervalTestTheGoal) {
  std::vector<double> equal;
  for (int i = 0; i < 16; ++i) equal.push_back(i % 2 ? 1.01 : 0.99);
  const Evidence e = SpeedupEvidence(DecideFromSpeedups(equal, 0.99, 0.05));
  EXPECT_TRUE(std::isnan(e.p_value));
  EXPECT_EQ(e.details["p_value"], 1.0);  // the comparator's test stays in the details
  const ClaimOutcome goal = DecideAtLeast(e, 0.9, "speed ratio");
  EXPECT_EQ(goal.verdict, ClaimVerdict::kPass) << goal.reason;
  EXPECT_THAT(goal.reason, Not(HasSubstr("p =")));
}

TEST(PerfSuiteTest, AtMostAndWithinRules) {
  EXPECT_EQ(DecideAtMost(E(0.03, 0.02, 0.04), 0.05, "overhead").verdict, ClaimVerdict::kPass);
  EXPECT_EQ(DecideAtMost(E(0.04, 0.02, 0.06), 0.05, "overhead").verdict, ClaimVerdict::kPartial);
  EXPECT_EQ(DecideAtMost(E(0.07, 0.06, 0.08), 0.05, "overhead").verdict, ClaimVerdict::kFail);
  EXPECT_EQ(DecideWithin(E(3, 2.5, 3.5), 2, 4, "speedup").verdict, ClaimVerdict::kPass);
  EXPECT_EQ(DecideWithin(E(3.8, 3.5, 4.3), 2, 4, "speedup").verdict, ClaimVerdict::kPartial);
  EXPECT_EQ(DecideWithin(E(4.2, 3.9, 4.5), 2, 4, "speedup").verdict, ClaimVerdict::kPartial);
  EXPECT_EQ(DecideWithin(E(1.3, 1.2, 1.4), 2, 4, "speedup").verdict, ClaimVerdict::kFail);
}

// The builder writes each bound once: it is both the recorded threshold and the decision.
TEST(PerfSuiteTest, MakeClaimDecidesAndRecordsTheOneBound) {
  const Claim at_least = MakeClaim({"m", "fast", "fast enough", "speedup", ClaimKind::kContract},
                                   Bound::AtLeast(2), [] { return E(2.5, 2.2, 2.8); });
  EXPECT_EQ(at_least.threshold, 2);
  EXPECT_EQ(at_least.measure().verdict, ClaimVerdict::kPass);
  const Claim at_most =
      MakeClaim({"m", "small", "small enough", "overhead", ClaimKind::kContract, "dispatch cost"},
                Bound::AtMost(0.05), [] { return E(0.07, 0.06, 0.08); });
  EXPECT_EQ(at_most.threshold, 0.05);
  const ClaimOutcome miss = at_most.measure();
  EXPECT_EQ(miss.verdict, ClaimVerdict::kFail);
  EXPECT_THAT(miss.reason, HasSubstr("dispatch cost 0.07"));  // the quantity names the value
  const Claim within = MakeClaim(
      {"m", "range", "2-4x", "speedup", ClaimKind::kPublishedClaim}, Bound::Within(2, 4),
      [] { return E(4.2, 3.9, 4.5); }, 7);
  EXPECT_EQ(within.threshold, 2);  // a range records its low end
  EXPECT_EQ(within.timeout_seconds, 7);
  EXPECT_EQ(within.measure().verdict, ClaimVerdict::kPartial);
  EXPECT_THAT(within.measure().reason, HasSubstr("speedup 4.2"));  // default quantity: the metric
}

TEST(PerfSuiteTest, CombineNeedsEveryCriterionForPass) {
  const ClaimOutcome pass = DecideAtLeast(E(4, NAN, NAN), 3.9, "ratio");
  const ClaimOutcome fail = DecideAtMost(E(0.02, NAN, NAN), 0.01, "accuracy loss");
  EXPECT_EQ(Combine({pass, pass}).verdict, ClaimVerdict::kPass);
  EXPECT_EQ(Combine({pass, fail}).verdict, ClaimVerdict::kPartial);
  EXPECT_EQ(Combine({fail, fail}).verdict, ClaimVerdict::kFail);
  const ClaimOutcome mixed = Combine({pass, fail});
  EXPECT_THAT(mixed.reason, HasSubstr("; accuracy loss"));
  EXPECT_EQ(mixed.evidence.details["criteria"].size(), 2u);
}

Claim MakeClaim(const std::string& id, ClaimKind kind, std::function<ClaimOutcome()> fn) {
  Claim c;
  c.module = "perf_framework";
  c.id = id;
  c.statement = "statement of " + id;
  c.metric = "speedup";
  c.kind = kind;
  c.threshold = 2;
  c.measure = std::move(fn);
  return c;
}

TEST(PerfSuiteTest, ThrowingAndHangingClaimsBecomeErrorsAndOthersStillRun) {
  PerformanceTestSuite suite("errors");
  suite.Register(MakeClaim("throws", ClaimKind::kContract,
                           []() -> ClaimOutcome { throw std::runtime_error("no such kernel"); }));
  Claim hang = MakeClaim("hangs", ClaimKind::kContract, [] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    return DecideAtLeast(E(3, 3, 3), 2, "speedup");
  });
  hang.timeout_seconds = 0.1;
  suite.Register(hang);
  suite.Register(MakeClaim("fine", ClaimKind::kContract,
                           [] { return DecideAtLeast(E(3, 2.5, 3.5, 1e-4), 2, "speedup"); }));
  std::vector<std::string> seen;
  const SuiteResults r = suite.Run("", [&](const ClaimResult& c) { seen.push_back(c.id); });
  ASSERT_EQ(r.claims.size(), 3u);
  EXPECT_EQ(seen, (std::vector<std::string>{"throws", "hangs", "fine"}));
  EXPECT_EQ(r.claims[0].outcome.verdict, ClaimVerdict::kError);
  EXPECT_THAT(r.claims[0].outcome.reason, HasSubstr("threw: no such kernel"));
  EXPECT_EQ(r.claims[1].outcome.verdict, ClaimVerdict::kError);
  EXPECT_THAT(r.claims[1].outcome.reason, HasSubstr("timed out after 0.1 s"));
  EXPECT_LT(r.claims[1].elapsed_seconds, 1.0);
  EXPECT_EQ(r.claims[2].outcome.verdict, ClaimVerdict::kPass);
  EXPECT_FALSE(r.Healthy());
}

TEST(PerfSuiteTest, PublishedClaimsDoNotDecideHealth) {
  PerformanceTestSuite suite("kinds");
  suite.Register(MakeClaim("contract", ClaimKind::kContract,
                           [] { return DecideAtLeast(E(3, 2.5, 3.5), 2, "speedup"); }));
  suite.Register(MakeClaim("published", ClaimKind::kPublishedClaim,
                           [] { return DecideAtLeast(E(1.2, 1.1, 1.3), 2, "speedup"); }));
  const SuiteResults r = suite.Run();
  EXPECT_EQ(r.claims[1].outcome.verdict, ClaimVerdict::kFail);
  EXPECT_TRUE(r.Healthy());
  EXPECT_EQ(suite.Run("published").claims.size(), 1u);
}

TEST(PerfSuiteTest, RegistrationRejectsDuplicatesAndMissingFunctions) {
  PerformanceTestSuite suite("reg");
  suite.Register(MakeClaim("a", ClaimKind::kContract, [] { return ClaimOutcome{}; }));
  EXPECT_THAT(
      [&] { suite.Register(MakeClaim("a", ClaimKind::kContract, [] { return ClaimOutcome{}; })); },
      ThrowsMessage<Error>(HasSubstr("duplicate claim id 'a'")));
  EXPECT_THAT([&] { suite.Register(MakeClaim("b", ClaimKind::kContract, nullptr)); },
              ThrowsMessage<Error>(HasSubstr("has no measure function")));
}

SuiteResults Sample() {
  PerformanceTestSuite suite("roundtrip");
  suite.Register(MakeClaim("with_details", ClaimKind::kContract, [] {
    Evidence e = E(2.123456789012345, 2.05, 2.4, 3.2e-7);
    e.details = {{"samples", {1.5, 2.5}}, {"note", "kept"}};
    return DecideAtLeast(e, 2, "speedup");
  }));
  suite.Register(MakeClaim("no_interval", ClaimKind::kPublishedClaim,
                           [] { return DecideAtLeast(E(1.0, NAN, NAN), 2, "speedup"); }));
  return suite.Run();
}

TEST(PerfSuiteTest, ResultsRoundTripLosslesslyThroughJson) {
  const SuiteResults r = Sample();
  const std::string path = ::testing::TempDir() + "suite_results.json";
  WriteResults(r, path);
  const SuiteResults back = ReadResults(path);
  EXPECT_EQ(back.suite, "roundtrip");
  EXPECT_EQ(back.environment.cpu_model, r.environment.cpu_model);
  ASSERT_EQ(back.claims.size(), 2u);
  const Evidence& e = back.claims[0].outcome.evidence;
  EXPECT_EQ(e.value, 2.123456789012345);  // doubles print to round-trip precision
  EXPECT_EQ(e.p_value, 3.2e-7);
  EXPECT_EQ(e.details["note"], "kept");
  EXPECT_EQ(back.claims[0].outcome.reason, r.claims[0].outcome.reason);
  EXPECT_TRUE(std::isnan(back.claims[1].outcome.evidence.low));
  EXPECT_EQ(back.claims[1].kind, ClaimKind::kPublishedClaim);
  EXPECT_EQ(back.claims[1].outcome.verdict, ClaimVerdict::kFail);
  EXPECT_EQ(back.ToJson()["summary"]["PASS"], 1);
  EXPECT_EQ(back.ToJson(), r.ToJson());
}

TEST(PerfSuiteTest, DamagedOrForeignResultsGiveClearErrors) {
  const std::string path = ::testing::TempDir() + "bad_results.json";
  const auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  const nlohmann::json good = Sample().ToJson();

  write(good.dump().substr(0, 100));
  EXPECT_THAT([&] { ReadResults(path); }, ThrowsMessage<Error>(HasSubstr("not valid JSON")));
  nlohmann::json j = good;
  j["schema"] = "something-else";
  write(j.dump());
  EXPECT_THAT([&] { ReadResults(path); },
              ThrowsMessage<Error>(HasSubstr("schema 'something-else'")));
  j = good;
  j["schema_version"] = 99;
  write(j.dump());
  EXPECT_THAT([&] { ReadResults(path); }, ThrowsMessage<Error>(HasSubstr("written by a newer")));
  j = good;
  j["claims"][1].erase("verdict");
  write(j.dump());
  EXPECT_THAT([&] { ReadResults(path); },
              ThrowsMessage<Error>(HasSubstr("claims[1]: missing field 'verdict'")));
  j = good;
  j["claims"][0]["verdict"] = "MAYBE";
  write(j.dump());
  EXPECT_THAT([&] { ReadResults(path); },
              ThrowsMessage<Error>(HasSubstr("unknown verdict 'MAYBE'")));
  j = good;
  j["claims"][0]["evidence"]["value"] = "fast";
  write(j.dump());
  EXPECT_THAT(
      [&] { ReadResults(path); },
      ThrowsMessage<Error>(HasSubstr("claims[0].evidence: field 'value' must be a number")));
  EXPECT_THAT([&] { ReadResults(path + ".missing"); },
              ThrowsMessage<Error>(HasSubstr("cannot open")));
}

// What a results file claims must be possible (issue 23): a forged or corrupted file is an error
// naming the file and the field, never a "healthy" run.
TEST(PerfSuiteTest, ResultsThatClaimTheImpossibleAreErrors) {
  const nlohmann::json good = Sample().ToJson();
  const auto read = [](const nlohmann::json& j) { SuiteResults::FromJson(j, "r.json"); };
  struct Case {
    const char* what;
    std::function<void(nlohmann::json&)> edit;
    const char* error;
  };
  const Case cases[] = {
      {"reversed interval", [](auto& j) { j["claims"][0]["evidence"]["low"] = 2.5; },
       "r.json: claims[0].evidence.low 2.5 is above .high 2.4 (a reversed interval)"},
      {"value below its interval", [](auto& j) { j["claims"][0]["evidence"]["value"] = 1.0; },
       "claims[0].evidence.value 1 lies below its interval's low 2.05"},
      {"value above its interval", [](auto& j) { j["claims"][0]["evidence"]["value"] = 9.0; },
       "claims[0].evidence.value 9 lies above its interval's high 2.4"},
      {"p-value 7", [](auto& j) { j["claims"][0]["evidence"]["p_value"] = 7; },
       "claims[0].evidence.p_value 7 is not a probability"},
      {"negative p-value", [](auto& j) { j["claims"][0]["evidence"]["p_value"] = -0.5; },
       "claims[0].evidence.p_value -0.5 is not a probability"},
      {"confidence 95", [](auto& j) { j["claims"][0]["evidence"]["confidence"] = 95; },
       "claims[0].evidence.confidence 95 is not a confidence level"},
      {"month 99", [](auto& j) { j["started_utc"] = "2026-99-01T00:00:00Z"; },
       "r.json: started_utc '2026-99-01T00:00:00Z' is not a UTC time"},
      {"February 30", [](auto& j) { j["environment"]["utc_time"] = "2026-02-30T00:00:00Z"; },
       "r.json: environment.utc_time '2026-02-30T00:00:00Z' is not a UTC time"},
      {"negative duration", [](auto& j) { j["claims"][1]["elapsed_seconds"] = -1; },
       "claims[1].elapsed_seconds must be a finite number of seconds >= 0, got -1"},
      {"a claim twice", [](auto& j) { j["claims"][1]["id"] = j["claims"][0]["id"]; },
       "r.json: claims[1]: claim 'perf_framework.with_details' is listed more than once"},
      {"NUL in an id", [](auto& j) { j["claims"][1]["id"] = std::string("a\0b", 3); },
       "claims[1]: field 'module' or 'id' holds a NUL character"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = good;
    c.edit(j);
    EXPECT_THAT([&] { read(j); }, ThrowsMessage<Error>(HasSubstr(c.error))) << c.what;
  }
  nlohmann::json unmeasured = good;  // NaN (null) is "not measured", checked against nothing
  unmeasured["claims"][0]["evidence"]["low"] = nullptr;
  unmeasured["claims"][0]["evidence"]["high"] = nullptr;
  unmeasured["claims"][0]["evidence"]["value"] = 100.0;
  unmeasured["started_utc"] = "2028-02-29T23:59:60Z";  // a leap day and a leap second exist
  EXPECT_NO_THROW(read(unmeasured));
}

// A field of the wrong type in the environment (issue 23) names the file and the field's path,
// never only nlohmann's "type must be string, but is number", which says neither.
TEST(PerfSuiteTest, WrongTypedEnvironmentFieldsNameTheFileAndTheField) {
  const std::string path = ::testing::TempDir() + "bad_environment.json";
  const nlohmann::json good = Sample().ToJson();
  struct Case {
    const char* what;
    std::function<void(nlohmann::json&)> edit;
    const char* error;
  };
  const Case cases[] = {
      {"number for a string", [](auto& j) { j["environment"]["cpu_model"] = 7; },
       ": environment: field 'cpu_model' has the wrong type (number)"},
      {"object for a number",
       [](auto& j) {
         j["environment"]["load_average_1min"] = {{"a", 1}};
       },
       ": environment: field 'load_average_1min' has the wrong type (object)"},
      {"boolean for a number", [](auto& j) { j["environment"]["load_average_1min"] = true; },
       ": environment: field 'load_average_1min' has the wrong type (boolean)"},
      {"string for a count", [](auto& j) { j["environment"]["logical_cores"] = "2"; },
       ": environment: field 'logical_cores' must be an integer that fits an int"},
      {"number among the flags",
       [](auto& j) {
         j["environment"]["cpu_flags"] = {"avx", 2};
       },
       ": environment: field 'cpu_flags[1]' has the wrong type (number)"},
      {"string for the flags", [](auto& j) { j["environment"]["cpu_flags"] = "avx"; },
       ": environment: field 'cpu_flags' has the wrong type (string)"},
      {"optional field wrong", [](auto& j) { j["environment"]["matmul_choice"] = 1.5; },
       ": environment: field 'matmul_choice' has the wrong type (number)"},
      {"optional list wrong",
       [](auto& j) {
         j["environment"]["warnings"] = {{{"x", 1}}};
       },
       ": environment: field 'warnings[0]' has the wrong type (object)"},
      {"missing field", [](auto& j) { j["environment"].erase("governor"); },
       ": environment: missing field 'governor'"},
      {"not an object",
       [](auto& j) {
         j["environment"] = {1, 2};
       },
       ": environment: must be an object, got array"},
      {"blas not an object", [](auto& j) { j["environment"]["blas"] = 3; },
       ": environment.blas: must be an object, got number"},
      {"blas field wrong", [](auto& j) { j["environment"]["blas"]["kernel"] = {1}; },
       ": environment.blas: field 'kernel' has the wrong type (array)"},
      {"blas flag wrong", [](auto& j) { j["environment"]["blas"]["degraded"] = "no"; },
       ": environment.blas: field 'degraded' has the wrong type (string)"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = good;
    c.edit(j);
    std::ofstream(path, std::ios::trunc) << j.dump();
    EXPECT_THAT([&] { ReadResults(path); }, ThrowsMessage<Error>(HasSubstr(path + c.error)))
        << c.what;
    EXPECT_THAT([&] { ReadResults(path); }, ThrowsMessage<Error>(Not(HasSubstr("json.exception"))))
        << c.what;
  }
}

// A directory of one-claim results files, as the validation suites write them, merged in
// module/id order; the report counts verdicts by kind and tabulates each module.
TEST(PerfReportTest, MergesPerClaimFilesAndRendersTheVerdictTables) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "perf_report_merge";
  fs::remove_all(dir);
  fs::create_directories(dir);
  SuiteResults a = Sample();  // with_details PASS (contract), no_interval FAIL (published)
  SuiteResults b = a;
  b.claims = {a.claims[1]};
  b.claims[0].module = "a_module";
  b.claims[0].outcome.reason = "a reason | with a pipe";
  a.claims.resize(1);
  WriteResults(a, (dir / "m.with_details.json").string());
  WriteResults(b, (dir / "a_module.no_interval.json").string());
  std::ofstream(dir / "notes.txt") << "not a results file";

  const SuiteResults merged = MergeResultsDirectory(dir.string(), "validation");
  ASSERT_EQ(merged.claims.size(), 2u);
  EXPECT_EQ(merged.suite, "validation");
  EXPECT_EQ(merged.claims[0].module, "a_module");  // sorted by module
  EXPECT_TRUE(merged.Healthy());                   // the FAIL is a published claim
  const VerdictCounts contracts = CountVerdicts(merged.claims, ClaimKind::kContract);
  EXPECT_EQ(contracts.pass, 1);
  EXPECT_EQ(CountVerdicts(merged.claims, ClaimKind::kPublishedClaim).fail, 1);

  const std::string md = ResultsMarkdown(merged);
  EXPECT_THAT(md, HasSubstr("## Claims: healthy"));
  EXPECT_THAT(md, HasSubstr("| contracts | 1 | 0 | 0 | 0 |"));
  EXPECT_THAT(md, HasSubstr("| published claims | 0 | 0 | 1 | 0 |"));
  EXPECT_THAT(md, HasSubstr("### a_module"));
  EXPECT_THAT(md, HasSubstr("| **PASS** | 2.123 x [2.05, 2.4] | 2 |"));
  EXPECT_THAT(md, HasSubstr("| a reason \\| with a pipe |"));  // an escaped '|' stays in its cell

  // The same claim twice, an invalid file and an empty directory are errors naming the cause.
  WriteResults(a, (dir / "m.with_details.again.json").string());
  EXPECT_THAT([&] { MergeResultsDirectory(dir.string(), "v"); },
              ThrowsMessage<Error>(HasSubstr("claim perf_framework/with_details appears twice")));
  fs::remove(dir / "m.with_details.again.json");
  std::ofstream(dir / "broken.json") << "{";
  EXPECT_THAT([&] { MergeResultsDirectory(dir.string(), "v"); },
              ThrowsMessage<Error>(HasSubstr("broken.json")));
  const fs::path empty = fs::path(::testing::TempDir()) / "perf_report_empty";
  fs::create_directories(empty);
  EXPECT_THAT([&] { MergeResultsDirectory(empty.string(), "v"); },
              ThrowsMessage<Error>(HasSubstr("no results files")));
}

// A contract that drops from PASS, or disappears, is worse; a published claim's change is only
// reported; a new claim is listed.
TEST(PerfReportTest, ComparesVerdictsWithTheBaselineReport) {
  const SuiteResults baseline = Sample();  // with_details PASS (contract), no_interval FAIL (pub.)
  SuiteResults current = baseline;
  EXPECT_TRUE(CompareToBaseline(baseline, current).empty());
  EXPECT_THAT(BaselineMarkdown({}, "b.json"), HasSubstr("Every claim has the verdict it had"));

  current.claims[0].outcome.verdict = ClaimVerdict::kPartial;
  current.claims[1].outcome.verdict = ClaimVerdict::kPass;
  std::vector<VerdictChange> changes = CompareToBaseline(baseline, current);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].id, "with_details");
  EXPECT_TRUE(changes[0].worse);
  EXPECT_EQ(changes[0].before, "PASS");
  EXPECT_EQ(changes[0].after, "PARTIAL");
  EXPECT_FALSE(changes[1].worse);  // published: FAIL -> PASS is news, not a regression
  EXPECT_THAT(BaselineMarkdown(changes, "b.json"), HasSubstr("1 worse than the baseline"));

  current.claims[0].outcome.verdict = ClaimVerdict::kPass;
  current.claims[1].outcome.verdict = ClaimVerdict::kError;  // published: never "worse"
  current.claims[1].id = "renamed";
  changes = CompareToBaseline(baseline, current);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].after, "missing");
  EXPECT_TRUE(changes[0].worse) << "a published claim that disappears is an error too";
  EXPECT_EQ(changes[1].before, "new");

  current = baseline;
  current.claims.erase(current.claims.begin());
  changes = CompareToBaseline(baseline, current);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].worse) << "a contract that disappears is worse";
}

TEST(PerfSuiteTest, TargetsRoundTripAndNeverDecideHealth) {
  PerformanceTestSuite suite("s");
  Claim target{"m", "goal", "as fast as the library", "ratio", ClaimKind::kTarget, 1.0, [] {
                 return DecideAtLeast(E(0.8, 0.7, 0.9), 1.0, "ratio");
               }};
  suite.Register(target);
  const SuiteResults r = suite.Run();
  EXPECT_TRUE(r.Healthy());
  EXPECT_STREQ(TargetStatus(r.claims[0]), "MISSED");
  const SuiteResults back = SuiteResults::FromJson(r.ToJson(), "t.json");
  EXPECT_EQ(back.claims[0].kind, ClaimKind::kTarget);
  EXPECT_EQ(r.ToJson()["claims"][0]["kind"], "target");
  const std::string md = ResultsMarkdown(r);
  EXPECT_THAT(md, HasSubstr("### Targets"));
  EXPECT_THAT(md, HasSubstr("| **MISSED** |"));
  EXPECT_THAT(ResultsHtml(r), HasSubstr("id=\"targets\""));
}

TEST(PerfSuiteTest, DegradedReferenceCapsPublishedClaimsAndTargetsButNotContracts) {
  ClaimResult published;
  published.kind = ClaimKind::kPublishedClaim;
  published.outcome = DecideAtLeast(E(3, 2.5, 3.5), 2, "speedup");
  ASSERT_EQ(published.outcome.verdict, ClaimVerdict::kPass);
  FlagDegradedReference(published, "OpenBLAS Prescott kernel");
  EXPECT_EQ(published.outcome.verdict, ClaimVerdict::kPartial);
  EXPECT_THAT(published.outcome.reason, HasSubstr("degraded reference (OpenBLAS Prescott kernel)"));

  ClaimResult target = published;
  target.kind = ClaimKind::kTarget;
  target.outcome = DecideAtLeast(E(3, 2.5, 3.5), 2, "speedup");
  FlagDegradedReference(target, "x");
  EXPECT_STREQ(TargetStatus(target), "NOT JUDGED");  // met, but against a slowed reference
  target.outcome = DecideAtLeast(E(1.5, 1.4, 1.6), 2, "speedup");
  FlagDegradedReference(target, "x");
  EXPECT_STREQ(TargetStatus(target), "MISSED");  // missed even against a slowed reference

  ClaimResult contract = published;
  contract.kind = ClaimKind::kContract;
  contract.outcome = DecideAtLeast(E(3, 2.5, 3.5), 2, "speedup");
  FlagDegradedReference(contract, "x");
  EXPECT_EQ(contract.outcome.verdict, ClaimVerdict::kPass);
  EXPECT_EQ(contract.degraded_reference, "x");

  SuiteResults r;
  r.environment.warnings = {"degraded reference: OpenBLAS runs Prescott"};
  published.module = "m";
  published.id = "p";
  r.claims = {published};
  const SuiteResults back = SuiteResults::FromJson(r.ToJson(), "d.json");
  EXPECT_EQ(back.claims[0].degraded_reference, "OpenBLAS Prescott kernel");
  EXPECT_EQ(back.environment.warnings, r.environment.warnings);
  EXPECT_THAT(ResultsMarkdown(r), HasSubstr("WARNING: degraded reference"));
  EXPECT_THAT(ResultsMarkdown(r), HasSubstr("- m/p: OpenBLAS Prescott kernel"));
  EXPECT_THAT(ResultsHtml(r), HasSubstr("id=\"degraded\""));
}

TEST(PerfReportTest, ReadsScalingSeriesFromGoogleBenchmarkJson) {
  const nlohmann::json j = nlohmann::json::parse(R"({
    "context": {"date": "x"},
    "benchmarks": [
      {"name": "BM_A/n:64/real_time", "run_type": "iteration", "real_time": 2.0, "time_unit": "us"},
      {"name": "BM_A/n:256/real_time", "run_type": "iteration", "real_time": 1.0, "time_unit": "ms"},
      {"name": "BM_A/n:256/real_time", "run_type": "iteration", "real_time": 3.0, "time_unit": "ms"},
      {"name": "BM_A/n:256/real_time", "run_type": "iteration", "real_time": 2.0, "time_unit": "ms"},
      {"name": "BM_A/n:256/real_time_mean", "run_type": "aggregate", "real_time": 9.0, "time_unit": "ms"},
      {"name": "BM_B/8", "real_time": 5, "time_unit": "ns"},
      {"name": "BM_NoArgs", "real_time": 5, "time_unit": "ns"}
    ]})");
  const ScalingChart chart = ScalingChartFromGoogleBenchmark(j, "a.json");
  ASSERT_EQ(chart.series.size(), 1u) << "BM_B has one size, BM_NoArgs none";
  EXPECT_EQ(chart.series[0].name, "BM_A");
  EXPECT_EQ(chart.series[0].x, (std::vector<double>{64, 256}));
  EXPECT_EQ(chart.series[0].y, (std::vector<double>{2e3, 2e6}));  // ns; median of repetitions
  EXPECT_THAT([] { ScalingChartFromGoogleBenchmark(nlohmann::json::object(), "b.json"); },
              ThrowsMessage<Error>(HasSubstr("b.json: not Google Benchmark JSON")));
  nlohmann::json bad = j;
  bad["benchmarks"][0]["time_unit"] = "fortnights";
  EXPECT_THAT(
      [&] { ScalingChartFromGoogleBenchmark(bad, "c.json"); },
      ThrowsMessage<Error>(HasSubstr("c.json: benchmarks[0]: unknown time_unit 'fortnights'")));
}

// The page holds every claim, escapes text, and draws a bar per speedup and a line per series.
TEST(PerfReportTest, HtmlReportIsSelfContained) {
  SuiteResults r = Sample();
  r.claims[0].statement = "a <b>bold</b> & risky claim";
  r.claims[0].outcome.evidence.unit = "x";
  ScalingChart chart{"matmul", "n", "ns", {{"BM_A", {64, 256}, {2e3, 2e6}}}};
  const std::string html = ResultsHtml(r, {chart}, CompareToBaseline(r, r));
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("a &lt;b&gt;bold&lt;/b&gt; &amp; risky claim"));
  EXPECT_THAT(html, HasSubstr("id=\"speedup-chart\""));
  EXPECT_THAT(html, HasSubstr("class=\"whisker\""));
  EXPECT_THAT(html, HasSubstr("class=\"chart scaling-chart\""));
  EXPECT_THAT(html, HasSubstr("<polyline"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("src=")));  // nothing loaded from elsewhere
  EXPECT_THAT(html, ::testing::Not(HasSubstr("href=")));
  EXPECT_THAT(html, HasSubstr("no_interval"));
}

// A claim id, statement or series name with terminal escapes reaches the page as visible text.
TEST(PerfReportTest, HtmlReportShowsControlCharactersInNames) {
  SuiteResults r = Sample();
  r.claims[0].id = "evil\x1b[2J";
  r.claims[0].statement = "bell\x07 and\rreturn";
  ScalingChart chart{"matmul", "n", "ns", {{"BM_\x1b]0;title\x07", {64, 256}, {2e3, 2e6}}}};
  const std::string html = ResultsHtml(r, {chart}, CompareToBaseline(r, r));
  EXPECT_EQ(html.find_first_of("\x1b\x07\r"), std::string::npos);
  EXPECT_THAT(html, HasSubstr("evil\\x1b[2J"));
  EXPECT_THAT(html, HasSubstr("bell\\x07 and\\rreturn"));
  EXPECT_THAT(html, HasSubstr("BM_\\x1b]0;title\\x07"));
}

// A run folder's counts beside its times: one row per counted benchmark, whole instruction
// counts, a missing time shown as such, names escaped; a run without counts says how to count it.
TEST(PerfReportTest, HtmlReportPutsInstructionsBesideTimes) {
  const SuiteResults r = Sample();
  RunBenchmarks b;
  b.median_ns = {{"BM_A/64", 1234.25}, {"BM_NotCounted", 9}};
  b.counts = {{"BM_A/64", {{"instructions", 123456789}, {"l1d_misses", 12.5}}},
              {"BM_<b>&|x", {{"instructions", 7}}}};
  b.warnings = {"counts/x.json skipped: <bad>"};
  const std::string html = ResultsHtml(r, {}, {}, &b);
  EXPECT_THAT(html, HasSubstr("<table id=\"bench-counts\">"));
  EXPECT_THAT(html, HasSubstr("<tr><td>BM_A/64</td><td class=\"time\">1234 ns</td><td "
                              "class=\"instructions\">123456789</td><td>12.50</td><td>–</td>"));
  EXPECT_THAT(html, HasSubstr("<td>BM_&lt;b&gt;&amp;|x</td><td class=\"time\">–</td><td "
                              "class=\"instructions\">7.00</td>"));
  EXPECT_THAT(html, HasSubstr("counts/x.json skipped: &lt;bad&gt;"));
  EXPECT_EQ(Occurrences(html, "class=\"instructions\""), 2u);  // the not-counted one has no row
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<b>&")));
  EXPECT_THAT(ResultsHtml(r, {}, {}, nullptr), ::testing::Not(HasSubstr("bench-counts")));
  const RunBenchmarks none;
  EXPECT_THAT(ResultsHtml(r, {}, {}, &none), HasSubstr("This run was not counted"));
}

// Log axes get what a benchmark file or a claim can hold: zero, negative, subnormal, huge, NaN and
// infinite values, one point, a flat series. A zero once sent the tick loop from decade INT_MIN
// and allocated gigabytes. Points a log axis cannot show are left out and counted; the rest draw
// on a bounded number of ticks with finite coordinates.
TEST(PerfReportTest, LogChartsSurviveHostileValues) {
  const double nan = NAN, inf = INFINITY;
  const std::vector<ScalingChart> charts = {
      {"zero_and_negative", "n", "ns", {{"BM_A", {1, 2, 4, 8}, {0, -5, 1e3, 2e3}}}},
      {"subnormal", "n", "ns", {{"BM_B", {1, 2}, {1e-310, 5e-324}}}},
      {"huge", "n", "ns", {{"BM_C", {1, 1e300}, {1e300, 1.7e308}}}},
      {"every_decade", "n", "ns", {{"BM_D", {5e-324, 1.7e308}, {1, 2}}}},
      {"not_finite", "n", "ns", {{"BM_E", {1, nan, inf, 4, 8}, {nan, 2, 3, inf, 16}}}},
      {"one_point", "n", "ns", {{"BM_F", {64}, {1e3}}}},
      {"flat", "n", "ns", {{"BM_G", {64, 64, 64}, {5, 5, 5}}}},
      {"unpaired", "n", "ns", {{"BM_H", {1, 2, 3}, {1}}}},
      {"nothing_drawable", "n", "ns", {{"BM_I", {0, -1}, {nan, 1}}}},
  };
  // Speedup claims: subnormal, huge with an infinite interval, zero and NaN (not speedups).
  SuiteResults r = Sample();
  for (const double v : {1e-310, 1e300, 0.0, nan}) {
    ClaimResult c = r.claims[0];
    c.id = "speedup_" + std::to_string(r.claims.size());
    c.outcome.evidence = E(v, 0, inf);
    r.claims.push_back(c);
  }
  for (const ScalingChart& chart : charts) {
    SCOPED_TRACE(chart.title);
    const std::string html = ResultsHtml(r, {chart});
    EXPECT_LT(html.size(), 200'000u);
    EXPECT_THAT(SvgAttributesThatAreNotNumbers(html), IsEmpty());
    EXPECT_THAT(html, HasSubstr(chart.title));
    // At most 17 decades a log axis, or 3 ticks a decade over at most 4 decades.
    EXPECT_LE(Occurrences(html, "stroke=\"#eee\""), 2 * 17);  // the scaling chart's two axes
    EXPECT_LE(Occurrences(html, "stroke=\"#ddd\""), 17);      // the speedup chart's
  }
  EXPECT_THAT(ResultsHtml(r, {charts[0]}),
              HasSubstr("2 point(s) left out: a log axis has no place for zero, negative or "
                        "non-finite values"));
  EXPECT_THAT(ResultsHtml(r, {charts[4]}), HasSubstr("4 point(s) left out"));
  EXPECT_THAT(ResultsHtml(r, {charts[7]}), HasSubstr("2 point(s) left out"));
  EXPECT_THAT(ResultsHtml(r, {charts[8]}),
              HasSubstr("<p class=\"warn\">nothing_drawable: 2 point(s) left out"));
  EXPECT_THAT(ResultsHtml(r, {charts[5]}), HasSubstr("<circle"));  // one point is drawn
}

// Inputs tests/fuzz/results_fuzzer found or that its harness confirmed: each was a crash, an
// escaping nlohmann exception or undefined behaviour before the reader rejected it by name.
TEST(PerfSuiteTest, FuzzFoundResultsFilesGiveClearErrors) {
  const std::string path = ::testing::TempDir() + "fuzzed_results.json";
  const auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  write(R"({"claims": [{"elapsed_seconds": 0.007094261e904460}]})");  // out_of_range.406
  EXPECT_THAT([&] { ReadResults(path); }, ThrowsMessage<Error>(HasSubstr("not valid JSON")));
  const nlohmann::json good = Sample().ToJson();
  nlohmann::json j = good;
  j["schema_version"] = 1e10;  // converting it to int was undefined behaviour
  write(j.dump());
  EXPECT_THAT([&] { ReadResults(path); },
              ThrowsMessage<Error>(HasSubstr("field 'schema_version' must be an integer")));
  j = good;
  j["environment"]["logical_cores"] = -1e300;
  write(j.dump());
  EXPECT_THAT([&] { ReadResults(path); },
              ThrowsMessage<Error>(HasSubstr("field 'logical_cores' must be an integer")));
  // 100000 nested arrays overflowed the stack in the copies after the parse.
  write(good.dump().insert(
      1, R"("deep": )" + std::string(100000, '[') + std::string(100000, ']') + ","));
  EXPECT_THAT([&] { ReadResults(path); },
              ThrowsMessage<Error>(HasSubstr("nested deeper than 64 levels")));
  const std::string nested(kMaxJsonDepth, '[');
  EXPECT_EQ(ParseJson(nested + std::string(kMaxJsonDepth, ']'), "ok").size(), 1u);
  EXPECT_EQ(JsonInt(nlohmann::json::parse("-7"), "n"), -7);
  EXPECT_THAT([] { JsonInt(nlohmann::json::parse("4294967296"), "n"); },
              ThrowsMessage<Error>(HasSubstr("n must be an integer that fits an int")));
  EXPECT_THAT([] { JsonInt(2.5, "n"); }, ThrowsMessage<Error>(HasSubstr("got 2.5")));
}

// Issue 23: a key given twice reads as the last value in nlohmann and as the first in other
// parsers, so a contract could be FAIL to one reader and PASS to another. Every reader refuses it.
TEST(PerfSuiteTest, ParseJsonRejectsDuplicateKeys) {
  EXPECT_THAT([] { ParseJson(R"({"a": 1, "b": 2, "a": 3})", "dup.json"); },
              ThrowsMessage<Error>(
                  HasSubstr("dup.json: not valid JSON (duplicate key 'a' in one object)")));
  EXPECT_THAT([] { ParseJson(R"({"x": [{"v": 1}, {"w": {"k": 1, "k": 1}}]})", "deep.json"); },
              ThrowsMessage<Error>(HasSubstr("duplicate key 'k'")));
  // The same key in different objects, or as a value, is fine.
  EXPECT_EQ(ParseJson(R"({"a": {"a": "a"}, "b": [{"a": 1}, {"a": 2}]})", "ok")["b"].size(), 2u);
  EXPECT_EQ(ParseJson(R"([{}, {"": 0}])", "ok").size(), 2u);
}

// The JSON library's own errors (a number out of range, a syntax error) name the field as a JSON
// pointer beside the file, so that `1e999` deep in a results file can be found (issue 23).
TEST(PerfSuiteTest, ParseJsonNamesTheFieldOfItsErrors) {
  EXPECT_THAT([] { ParseJson(R"({"claims": [{"id": "a"}, {"evidence": {"value": 1e999}}]})", "r.json"); },
              ThrowsMessage<Error>(HasSubstr(
                  "r.json: not valid JSON at /claims/1/evidence/value ([json.exception.out_of_range.406] "
                  "number overflow parsing '1e999')")));
  EXPECT_THAT([] { ParseJson(R"({"a/b": {"t~": [1, 2, -1e400]}})", "p.json"); },
              ThrowsMessage<Error>(HasSubstr("p.json: not valid JSON at /a~1b/t~0/2 (")));
  EXPECT_THAT([] { ParseJson(R"({"a": [1, {)", "cut.json"); },
              ThrowsMessage<Error>(HasSubstr("cut.json: not valid JSON at /a/1 (")));
  EXPECT_THAT([] { ParseJson("", "empty.json"); },
              ThrowsMessage<Error>(HasSubstr("empty.json: not valid JSON ([json.exception")));
}

}  // namespace
}  // namespace perf
