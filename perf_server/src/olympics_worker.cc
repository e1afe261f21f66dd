// The verification worker (olympics_worker.h).
#include "perf_server/olympics_worker.h"

#include <unistd.h>

#include <chrono>
#include <thread>

#include "perf_framework/escape.h"
#include "perf_framework/suite.h"
#include "tinytorch/olympics_recipe.h"

namespace perf::server {

namespace {

constexpr size_t kMaxCachedBaselines = 32;  // each ~70 KB of float weights

std::string DefaultWorkerId() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

// The server's numbers beside the claim, for the submission's page.
std::string MeasuredJson(const tinytorch::VerificationResult& v) {
  nlohmann::json j = ParseJson(v.measured.ToJson(), "measured submission");
  j.erase("environment");  // the submitter's; the claim keeps it
  j["schema"] = "tinyperf.olympics.measured/1";
  j["reasons"] = v.reasons;
  return j.dump();
}

}  // namespace

store::Outcome VerifyJob(const store::Job& job, const tinytorch::digits::Split& split,
                         double latency_seconds, BaselineCache* baselines) {
  store::Outcome out;
  tinytorch::Submission claimed;
  tinytorch::OlympicRecipe recipe;
  try {
    claimed = tinytorch::Submission::FromJson(job.claimed_json);
    recipe = tinytorch::OlympicRecipe::FromJson(job.recipe_json);
  } catch (const std::exception& e) {
    // The server checked both on the way in: only a changed database gets here.
    return {"rejected", std::string("malformed submission or recipe: ") + e.what()};
  }
  tinytorch::RecipeMeasurement measured;
  try {
    std::shared_ptr<tinytorch::Sequential> baseline;
    if (baselines) {
      std::shared_ptr<tinytorch::Sequential>& cached = (*baselines)[{recipe.epochs, recipe.seed}];
      if (!cached) cached = tinytorch::TrainRecipeBaseline(recipe, split);
      baseline = cached;
    }
    measured = tinytorch::MeasureRecipe(recipe, split, latency_seconds, baseline);
  } catch (const std::exception& e) {
    return {"error", std::string("re-measurement failed: ") + e.what()};
  }
  const tinytorch::VerificationResult v = tinytorch::VerifyClaim(claimed, measured);
  out.measured_json = MeasuredJson(v);
  if (!v.verified) {
    out.status = "rejected";
    for (const std::string& r : v.reasons) out.reason += (out.reason.empty() ? "" : "; ") + r;
    return out;
  }
  out.status = "verified";
  out.score = v.score.value;
  out.score_low = v.score.low;
  out.score_high = v.score.high;
  return out;
}

WorkerStats RunWorker(
    const WorkerOptions& o, const std::atomic<bool>& stop,
    const std::function<void(const store::Job&, const store::Outcome&)>& on_finished) {
  PERF_CHECK(o.latency_seconds > 0 && o.lease_seconds > 0 && o.poll_ms > 0,
             "worker: the latency budget, lease and poll interval must be positive");
  const std::string id = o.worker_id.empty() ? DefaultWorkerId() : o.worker_id;
  const tinytorch::digits::Split split = [&] {
    try {
      return tinytorch::digits::Load(o.digits_csv);
    } catch (const std::exception& e) {
      throw Error(std::string("worker: ") + e.what());
    }
  }();
  store::Store s = store::Store::Open(o.db_url);
  PERF_CHECK(s.Version() == store::SchemaVersion(), "worker: the database at ", o.db_url,
             " has schema version ", s.Version(), ", this build needs ", store::SchemaVersion(),
             ": run tinyperf db init");
  store::OlympicsStore queue(s);
  WorkerStats stats;
  BaselineCache baselines;
  const auto idle = [&] { std::this_thread::sleep_for(std::chrono::milliseconds(o.poll_ms)); };
  while (!stop) {
    std::optional<store::Job> job;
    try {
      job = queue.Claim(id, o.lease_seconds);
    } catch (const store::StoreError&) {
      idle();  // the database went away: ask again later
      continue;
    }
    if (!job) {
      if (o.drain) break;
      idle();
      continue;
    }
    if (baselines.size() >= kMaxCachedBaselines) baselines.clear();
    const store::Outcome outcome = VerifyJob(*job, split, o.latency_seconds, &baselines);
    bool recorded = false;
    for (int attempt = 0; attempt < 3 && !recorded; ++attempt) {
      try {
        if (!queue.Finish(job->id, id, outcome)) break;
        recorded = true;
      } catch (const store::StoreError&) {
        idle();
      }
    }
    if (!recorded) {
      ++stats.lost;
      continue;
    }
    ++(outcome.status == "verified"   ? stats.verified
       : outcome.status == "rejected" ? stats.rejected
                                      : stats.errors);
    if (on_finished) on_finished(*job, outcome);
  }
  return stats;
}

}  // namespace perf::server
