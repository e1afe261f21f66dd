// The validation report: claim results gathered from many processes (one file per claim, as the
// validation suites write them) merged into one results file and rendered as Markdown.
#pragma once

#include <string>
#include <vector>

#include "perf_framework/suite.h"

namespace perf {

// Every *.json results file in `directory`, merged into one SuiteResults named `suite`, claims
// sorted by module then id. The environment is the first file's; elapsed is the sum; started is
// the earliest. Throws perf::Error naming the file on an unreadable or invalid one, on a claim
// that appears twice, and when the directory holds no results file.
SuiteResults MergeResultsDirectory(const std::string& directory, const std::string& suite);

struct VerdictCounts {
  int pass = 0, partial = 0, fail = 0, error = 0;
};
VerdictCounts CountVerdicts(const std::vector<ClaimResult>& claims, ClaimKind kind);

// Markdown: the environment, verdict counts for contracts and for published claims, then one
// table per module (claim, kind, verdict, measured value with interval, threshold, reason).
std::string ResultsMarkdown(const SuiteResults& results);

}  // namespace perf
