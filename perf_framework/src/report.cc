// Merging per-claim results files and rendering the validation report.
#include "perf_framework/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "fileio/fileio.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"

namespace perf {

SuiteResults MergeResultsDirectory(const std::string& directory, const std::string& suite) {
  namespace fs = std::filesystem;
  PERF_CHECK(fs::is_directory(directory), "MergeResultsDirectory: '", directory,
             "' is not a directory");
  const std::vector<std::string> files = fileio::ListFiles(directory, ".json");
  PERF_CHECK(!files.empty(), "MergeResultsDirectory: no results files (*.json) in '", directory,
             "'");
  SuiteResults merged;
  merged.suite = suite;
  std::set<std::string> seen;
  for (const std::string& file : files) {
    const SuiteResults part = ReadResults(file);
    if (merged.started_utc.empty()) {
      merged.environment = part.environment;
      merged.started_utc = part.started_utc;
    }
    merged.started_utc = std::min(merged.started_utc, part.started_utc);
    merged.elapsed_seconds += part.elapsed_seconds;
    for (const ClaimResult& c : part.claims) {
      PERF_CHECK(seen.insert(c.module + "/" + c.id).second, "MergeResultsDirectory: claim ",
                 c.module, "/", c.id, " appears twice (again in '", file, "')");
      merged.claims.push_back(c);
    }
  }
  std::sort(merged.claims.begin(), merged.claims.end(),
            [](const ClaimResult& a, const ClaimResult& b) {
              return std::tie(a.module, a.id) < std::tie(b.module, b.id);
            });
  return merged;
}

VerdictCounts CountVerdicts(const std::vector<ClaimResult>& claims, ClaimKind kind) {
  VerdictCounts counts;
  for (const ClaimResult& c : claims) {
    if (c.kind != kind) continue;
    switch (c.outcome.verdict) {
      case ClaimVerdict::kPass:
        ++counts.pass;
        break;
      case ClaimVerdict::kPartial:
        ++counts.partial;
        break;
      case ClaimVerdict::kFail:
        ++counts.fail;
        break;
      case ClaimVerdict::kError:
        ++counts.error;
        break;
    }
  }
  return counts;
}

namespace {

using format::Measured;
using format::Num;

using escape::MarkdownCell;

// "2.123 x [2.05, 2.4]": the numbers and brackets are ours, the unit is the claim's.
std::string MeasuredCell(Evidence e) {
  e.unit = MarkdownCell(e.unit);
  return Measured(e);
}

std::string CountsRow(const char* what, const VerdictCounts& c) {
  return std::string("| ") + what + " | " + std::to_string(c.pass) + " | " +
         std::to_string(c.partial) + " | " + std::to_string(c.fail) + " | " +
         std::to_string(c.error) + " |\n";
}

// The reference libraries as measured, and a loud section when one ran degraded.
std::string ReferencesMarkdown(const SuiteResults& r) {
  const BlasInfo& blas = r.environment.blas;
  std::ostringstream md;
  // Every field came from a results file: escaped like any other name.
  md << "\n- reference BLAS: " << MarkdownCell(blas.Summary());
  if (!r.environment.matmul_default_backend.empty()) {
    md << "\n- tinytorch MatMul default: " << MarkdownCell(r.environment.matmul_default_backend)
       << " (" << MarkdownCell(r.environment.matmul_choice) << ")";
  }
  md << "\n";
  std::vector<const ClaimResult*> flagged;
  for (const ClaimResult& c : r.claims) {
    if (!c.degraded_reference.empty()) flagged.push_back(&c);
  }
  if (r.environment.warnings.empty() && flagged.empty()) return md.str();
  md << "\n### WARNING: degraded reference\n\n";
  for (const std::string& w : r.environment.warnings) md << "- " << MarkdownCell(w) << "\n";
  if (!flagged.empty()) {
    md << "\nMeasured against it (published claims and targets here cannot PASS):\n\n";
    for (const ClaimResult* c : flagged) {
      md << "- " << MarkdownCell(c->module + "/" + c->id) << ": "
         << MarkdownCell(c->degraded_reference) << "\n";
    }
  }
  return md.str();
}

// Targets as MET / MISSED with their intervals, apart from the claims they are not.
std::string TargetsMarkdown(const SuiteResults& r) {
  std::ostringstream md;
  bool any = false;
  for (const ClaimResult& c : r.claims) {
    if (c.kind != ClaimKind::kTarget) continue;
    if (!any) {
      md << "\n### Targets\n\n| target | goal | measured | status |\n|---|---|---|---|\n";
      any = true;
    }
    md << "| " << MarkdownCell(c.id) << ": " << MarkdownCell(c.statement)
       << " | >= " << Num(c.threshold) << " | " << MeasuredCell(c.outcome.evidence) << " | **"
       << TargetStatus(c) << "** |\n";
  }
  return md.str();
}

}  // namespace

const char* TargetStatus(const ClaimResult& c) {
  switch (c.outcome.verdict) {
    case ClaimVerdict::kPass:
      return "MET";
    case ClaimVerdict::kError:
      return "ERROR";
    case ClaimVerdict::kPartial:
      // Against a degraded reference a goal that looks met is not shown met, nor missed: a
      // faster reference could change it. A FAIL stays MISSED (the reference only got slower).
      if (!c.degraded_reference.empty()) return "NOT JUDGED";
      break;
    case ClaimVerdict::kFail:
      break;
  }
  return "MISSED";
}

std::string ResultsMarkdown(const SuiteResults& r) {
  std::ostringstream md;
  const Environment& env = r.environment;
  md << "## Claims: " << (r.Healthy() ? "healthy" : "NOT healthy")
     << " (every contract PASS and nothing ERROR)\n\n"
     << "- machine: " << MarkdownCell(env.cpu_model) << ", " << env.logical_cores
     << " logical cores, governor " << MarkdownCell(env.governor) << "\n"
     << "- build: " << MarkdownCell(env.compiler) << ", " << MarkdownCell(env.build_type)
     << ", commit " << MarkdownCell(env.git_commit) << "\n- measured from "
     << MarkdownCell(r.started_utc) << ", " << Num(r.elapsed_seconds) << " s of claim time\n\n"
     << "| kind | PASS | PARTIAL | FAIL | ERROR |\n|---|---|---|---|---|\n"
     << CountsRow("contracts", CountVerdicts(r.claims, ClaimKind::kContract))
     << CountsRow("published claims", CountVerdicts(r.claims, ClaimKind::kPublishedClaim))
     << CountsRow("targets", CountVerdicts(r.claims, ClaimKind::kTarget)) << "\n"
     << "Contracts are what this implementation guarantees (a test asserts PASS). Published claims "
        "are the course material's headline numbers, given the verdict this machine shows. "
        "Targets are this project's own goals against the libraries a user would pick instead "
        "(MET when the whole interval meets the goal).\n"
     << ReferencesMarkdown(r) << TargetsMarkdown(r);
  std::map<std::string, std::vector<const ClaimResult*>> by_module;
  for (const ClaimResult& c : r.claims) by_module[c.module].push_back(&c);
  for (const auto& [module, claims] : by_module) {
    md << "\n### " << MarkdownCell(module) << "\n\n"
       << "| claim | kind | verdict | measured | threshold | reason |\n"
       << "|---|---|---|---|---|---|\n";
    for (const ClaimResult* c : claims) {
      md << "| " << MarkdownCell(c->id) << ": " << MarkdownCell(c->statement) << " | "
         << ClaimKindName(c->kind) << (c->degraded_reference.empty() ? "" : " (degraded reference)")
         << " | **" << ClaimVerdictName(c->outcome.verdict) << "** | "
         << MeasuredCell(c->outcome.evidence) << " | " << Num(c->threshold) << " | "
         << MarkdownCell(c->outcome.reason) << " |\n";
    }
  }
  return md.str();
}

}  // namespace perf

namespace perf {

namespace {

int Rank(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::kPass:
      return 3;
    case ClaimVerdict::kPartial:
      return 2;
    case ClaimVerdict::kFail:
      return 1;
    case ClaimVerdict::kError:
      return 0;
  }
  return 0;
}

}  // namespace

std::vector<VerdictChange> CompareToBaseline(const SuiteResults& baseline,
                                             const SuiteResults& current) {
  std::map<std::pair<std::string, std::string>, const ClaimResult*> now;
  for (const ClaimResult& c : current.claims) now[{c.module, c.id}] = &c;
  std::vector<VerdictChange> changes;
  for (const ClaimResult& b : baseline.claims) {
    const auto it = now.find({b.module, b.id});
    if (it == now.end()) {
      // Whatever its kind: a claim that silently stops being measured is how a broken build
      // (an optional dependency lost, a test filtered out) hides in a green report.
      changes.push_back(
          {b.module, b.id, b.kind, ClaimVerdictName(b.outcome.verdict), "missing", true});
      continue;
    }
    const ClaimResult& c = *it->second;
    now.erase(it);
    if (c.outcome.verdict == b.outcome.verdict) continue;
    changes.push_back(
        {b.module, b.id, c.kind, ClaimVerdictName(b.outcome.verdict),
         ClaimVerdictName(c.outcome.verdict),
         c.kind == ClaimKind::kContract && Rank(c.outcome.verdict) < Rank(b.outcome.verdict)});
  }
  for (const auto& [key, c] : now) {
    changes.push_back(
        {c->module, c->id, c->kind, "new", ClaimVerdictName(c->outcome.verdict), false});
  }
  std::stable_sort(
      changes.begin(), changes.end(),
      [](const VerdictChange& a, const VerdictChange& b) { return a.worse > b.worse; });
  return changes;
}

std::string BaselineMarkdown(const std::vector<VerdictChange>& changes,
                             const std::string& baseline_name) {
  std::ostringstream md;
  const auto worse =
      std::count_if(changes.begin(), changes.end(), [](const VerdictChange& c) { return c.worse; });
  md << "## Against the baseline report (" << escape::MarkdownCell(baseline_name) << ")\n\n";
  if (changes.empty()) {
    md << "Every claim has the verdict it had in the baseline.\n";
    return md.str();
  }
  md << worse << " worse than the baseline (a contract's verdict lower, or a claim missing); "
     << changes.size()
     << " change(s) in all.\n\n| claim | kind | baseline | now | worse |\n|---|---|---|---|---|\n";
  for (const VerdictChange& c : changes) {
    md << "| " << escape::MarkdownCell(c.module + "/" + c.id) << " | " << ClaimKindName(c.kind)
       << " | " << c.before << " | " << c.after << " | " << (c.worse ? "**yes**" : "no") << " |\n";
  }
  return md.str();
}

}  // namespace perf
