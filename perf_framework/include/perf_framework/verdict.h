// The verdict on "is one side faster than the other?", one vocabulary for both places that ask:
// the in-process comparator (comparator.h: a candidate callable against a baseline one) and
// regression detection between runs (regression.h: the current run against its baseline), which
// names the same verdicts as changes of the current run: slower is a regression.
#pragma once

#include <cstddef>
#include <iterator>

namespace perf {

enum class Verdict {
  kFaster,
  kSlower,
  kEquivalent,    // the interval lies inside the margin: no practical difference
  kInconclusive,  // neither a difference nor equivalence shown; more samples would decide
  kError,         // not measured (the comparator only: regression detection warns instead)
  // Regression detection's names for the first three (ChangeVerdictName).
  kImprovement = kFaster,
  kRegression = kSlower,
  kUnchanged = kEquivalent,
};
using ChangeVerdict = Verdict;

inline constexpr Verdict kAllVerdicts[] = {Verdict::kFaster, Verdict::kSlower, Verdict::kEquivalent,
                                           Verdict::kInconclusive, Verdict::kError};

// One row per verdict, in kAllVerdicts order: its name as a comparison and as a change.
struct VerdictNames {
  const char* comparison;
  const char* change;
};
inline constexpr VerdictNames kVerdictNames[] = {
    {"faster", "improvement"},        {"slower", "regression"}, {"equivalent", "unchanged"},
    {"inconclusive", "inconclusive"}, {"error", "error"},
};
static_assert(std::size(kVerdictNames) == std::size(kAllVerdicts));

// "faster", "slower", "equivalent", "inconclusive", "error"
constexpr const char* VerdictName(Verdict v) {
  return kVerdictNames[static_cast<size_t>(v)].comparison;
}
// "improvement", "regression", "unchanged", "inconclusive", "error"
constexpr const char* ChangeVerdictName(Verdict v) {
  return kVerdictNames[static_cast<size_t>(v)].change;
}

}  // namespace perf
