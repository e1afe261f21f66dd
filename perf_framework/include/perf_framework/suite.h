// PerformanceTestSuite: registered claims, measured and given an honest verdict.
//
// A claim is a statement with a metric and a threshold, of one of three kinds:
//   contract        what our implementation guarantees; a test asserts it PASSes;
//   published claim a headline number from course material; reported with its verdict, and a test
//                   asserts only that it was validly measured (not ERROR);
//   target          the project's own performance goal against what a user would pick instead
//                   (libtorch, OpenBLAS at its best); reported MET (PASS) or MISSED in a section of
//                   its own, with its interval; like a published claim it never fails a run on
//                   timing, and unlike one it says how far we are from where we mean to be.
// Verdicts:
//   PASS     met, with statistical significance (the whole interval on the right side);
//   PARTIAL  some criteria met, or met by the estimate but not by its interval / significance;
//   FAIL     not met;
//   ERROR    could not be measured (exception, timeout, invalid measurement).
// Each verdict carries a one-sentence reason and the evidence (value, interval, p-value, details).
// Results are written as versioned JSON (schema: docs/results-schema.md), atomically.
#pragma once

#include <exception>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "perf_framework/comparator.h"
#include "perf_framework/environment.h"
#include "perf_framework/error.h"

namespace perf {

inline constexpr const char* kResultsSchema = "tinytorch-perf-results";
inline constexpr int kResultsSchemaVersion = 1;

enum class ClaimKind { kContract, kPublishedClaim, kTarget };
enum class ClaimVerdict { kPass, kPartial, kFail, kError };
const char* ClaimKindName(ClaimKind k);  // "contract", "published_claim", "target"
inline constexpr ClaimKind kAllClaimKinds[] = {ClaimKind::kContract, ClaimKind::kPublishedClaim,
                                               ClaimKind::kTarget};
const char* ClaimVerdictName(ClaimVerdict v);  // "PASS", "PARTIAL", "FAIL", "ERROR"

struct Evidence {
  static constexpr double kNone = kNaN;  // not measured
  double value = kNone;                  // the measured quantity, in `unit`
  double low = kNone;                    // its interval (NaN when there is none)
  double high = kNone;
  double confidence = kNone;
  double p_value = kNone;  // a test of the claim's bound itself; NaN when the interval decides
  std::string unit;
  nlohmann::json details = nlohmann::json::object();  // raw measurements, counts, anything else
};

struct ClaimOutcome {
  ClaimVerdict verdict = ClaimVerdict::kError;
  std::string reason;
  Evidence evidence;
};

struct Claim {
  std::string module;     // e.g. "module_17_acceleration"
  std::string id;         // unique within the suite, e.g. "matmul_blocked_over_reordered"
  std::string statement;  // e.g. "Cache blocking gives 20–50% over the reordered loop"
  std::string metric;     // e.g. "speedup"
  ClaimKind kind = ClaimKind::kContract;
  double threshold = 0;  // the claimed bound, in the metric's unit
  std::function<ClaimOutcome()> measure;
  double timeout_seconds = 120;
};

struct ClaimResult {
  std::string module, id, statement, metric;
  ClaimKind kind = ClaimKind::kContract;
  double threshold = 0;
  ClaimOutcome outcome;
  double elapsed_seconds = 0;
  // Non-empty when a side of the comparison ran on a degraded reference (blas.h): what it was.
  std::string degraded_reference;
};

// Marks `r` as measured on a degraded reference. A published claim or target so measured cannot
// PASS (a win over a crippled reference is no evidence): its verdict becomes PARTIAL and the reason
// says why. A contract keeps its verdict (it is about our code) and carries the flag.
void FlagDegradedReference(ClaimResult& r, const std::string& what);

struct SuiteResults {
  std::string suite;
  Environment environment;
  std::string started_utc;
  double elapsed_seconds = 0;
  std::vector<ClaimResult> claims;

  nlohmann::json ToJson() const;
  // Validates schema name, version, every required field and every enum value; throws perf::Error
  // naming `source` and the offending field.
  static SuiteResults FromJson(const nlohmann::json& j, const std::string& source);
  // Contracts all PASS and nothing is ERROR (published-claim and target verdicts do not count).
  bool Healthy() const;
};

void WriteResults(const SuiteResults& results, const std::string& path);  // atomic
SuiteResults ReadResults(const std::string& path);
// A whole JSON file, parsed; throws perf::Error naming the path when it cannot be read or is not
// valid JSON ("<path>: not valid JSON (...)").
nlohmann::json ReadJsonFile(const std::string& path);
// Every JSON reader's parser (ReadJsonFile's, and tinytorch's for the JSON it is handed): throws
// perf::Error "<source>: not valid JSON (...)" on a syntax error, a number beyond double's range,
// a key given twice in one object (readers disagree on which one counts), and nesting deeper than
// kMaxJsonDepth, which no file of ours has and which would overflow the stack in the recursive
// copies and dumps that follow a parse.
inline constexpr int kMaxJsonDepth = 64;
nlohmann::json ParseJson(std::string_view text, const std::string& source);
// A JSON integer that fits an int, for count and version fields; throws perf::Error naming `what`
// otherwise (converting a float such as 1e10 to int is undefined behaviour, and 2.5 is no count).
int JsonInt(const nlohmann::json& v, const std::string& what);
namespace detail {
template <class T>
inline constexpr bool kIsVector = false;
template <class U>
inline constexpr bool kIsVector<std::vector<U>> = true;

// `v`, the value of field `key` (for an element, "key[i]"), as a T; throws perf::Error
// "<where>: field '<key>' has the wrong type (<JSON type>)". A list is converted element by
// element so that the message names the element; a number is only a number (nlohmann would read
// true as 1); an int is JsonInt's.
template <class T>
T JsonAs(const nlohmann::json& v, const std::string& key, const std::string& where) {
  if constexpr (std::is_same_v<T, int>) {
    return JsonInt(v, where + ": field '" + key + "'");
  } else if constexpr (kIsVector<T>) {
    if (v.is_array()) {
      T out;
      for (size_t i = 0; i < v.size(); ++i) {
        out.push_back(
            JsonAs<typename T::value_type>(v[i], key + "[" + std::to_string(i) + "]", where));
      }
      return out;
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.is_number()) return v.get<T>();
    detail::Throw(where, ": field '", key, "' has the wrong type (", v.type_name(), ")");
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    detail::Throw(where, ": field '", key, "' has the wrong type (", v.type_name(), ")");
  }
}
}  // namespace detail

// A required field of object `j`; throws perf::Error "<where>: missing field '<key>'" or
// "<where>: field '<key>' has the wrong type (...)" (for a list, "field '<key>[i]'").
template <class T>
T JsonField(const nlohmann::json& j, const std::string& key, const std::string& where) {
  PERF_CHECK(j.is_object() && j.contains(key), where, ": missing field '", key, "'");
  return detail::JsonAs<T>(j.at(key), key, where);
}
// An optional field: `fallback` when `j` lacks `key`; throws perf::Error "<where>: field '<key>'
// has the wrong type (...)" when it is there with another type, as a missing required one would.
template <class T>
T JsonOptional(const nlohmann::json& j, const char* key, T fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  return detail::JsonAs<T>(j.at(key), key, where);
}

class PerformanceTestSuite {
 public:
  explicit PerformanceTestSuite(std::string name) : name_(std::move(name)) {}

  void Register(Claim claim);  // throws on a duplicate id or a missing measure function
  // Runs every claim whose "module/id" contains `filter`. A claim that throws, returns an
  // invalid outcome or outlives its timeout gets ERROR; the others still run. A timed-out claim's
  // thread is abandoned (it cannot be stopped safely) and finishes in the background.
  SuiteResults Run(const std::string& filter = "",
                   const std::function<void(const ClaimResult&)>& on_result = nullptr);
  size_t size() const { return claims_.size(); }

 private:
  std::string name_;
  std::vector<Claim> claims_;
};

// ---------------------------------------------------------------------------------------------
// Verdict rules, as small pure functions. `what` names the quantity in the reason.

// "value >= threshold": PASS when the interval's low end is at or above the threshold (and
// p < alpha when a p-value is given); PARTIAL when the estimate meets it but its interval or
// significance does not; FAIL when the estimate misses it; ERROR when the value is not finite.
ClaimOutcome DecideAtLeast(Evidence e, double threshold, const std::string& what,
                           double alpha = 0.05);
// "value <= threshold", mirrored.
ClaimOutcome DecideAtMost(Evidence e, double threshold, const std::string& what,
                          double alpha = 0.05);
// "lo <= value <= hi" (a published range such as "2–4×"): PASS when the interval lies inside,
// PARTIAL when the estimate is inside but the interval crosses a bound, or the estimate is
// outside but the interval overlaps the range; FAIL when the interval is disjoint from it.
ClaimOutcome DecideWithin(Evidence e, double lo, double hi, const std::string& what);
// A claim's bound, written once: the verdict rule above and the threshold the report records both
// come from it (a range records its low end).
struct Bound {
  enum class Side { kAtLeast, kAtMost, kWithin };
  Side side = Side::kAtLeast;
  double lo = 0, hi = 0;

  static Bound AtLeast(double v) { return {Side::kAtLeast, v, v}; }
  static Bound AtMost(double v) { return {Side::kAtMost, v, v}; }
  static Bound Within(double lo, double hi) { return {Side::kWithin, lo, hi}; }
  double threshold() const { return side == Side::kAtMost ? hi : lo; }
  ClaimOutcome Decide(Evidence e, const std::string& what) const;
};
// Everything a claim states before it is measured.
struct ClaimHead {
  std::string module, id, statement, metric;
  ClaimKind kind = ClaimKind::kContract;
  std::string quantity = "";  // what the verdict's reason calls the measured value; default: metric
};
// The claim "the quantity `measure` returns meets `bound`".
Claim MakeClaim(ClaimHead head, Bound bound, std::function<Evidence()> measure,
                double timeout_seconds = Claim{}.timeout_seconds);
// Combines several criteria of one claim: PASS if all pass, FAIL if all fail, ERROR if any is
// ERROR, PARTIAL otherwise; reasons are joined.
ClaimOutcome Combine(const std::vector<ClaimOutcome>& parts);

// A speedup (baseline time / candidate time) with its interval from a comparison. The
// comparator's sign test is of "equally fast", not of a claim's bound (a goal of 0.9× would be
// missed for being equal), so its p-value stays in the details and the interval decides.
Evidence SpeedupEvidence(const ComparisonResult& c);

// Runs `work` on a detached thread so that the caller can stop waiting for it (a hung claim or
// model is abandoned at its time limit). The thread destroys `work`, and all it captured, before
// the future becomes ready: a caller that has its answer may destroy what `work` used at once.
template <class T>
std::future<T> RunDetached(std::function<T()> work) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> result = promise->get_future();
  std::thread([work = std::move(work), promise]() mutable {
    std::exception_ptr failure;
    std::optional<T> value;
    try {
      value.emplace(work());
    } catch (...) {
      failure = std::current_exception();
    }
    work = nullptr;
    if (failure) {
      promise->set_exception(failure);
    } else {
      promise->set_value(std::move(*value));
    }
  }).detach();
  return result;
}

}  // namespace perf
