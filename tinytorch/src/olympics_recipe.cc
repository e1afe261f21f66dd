// The Olympics recipe: rebuilding a submission's optimized model and checking its claims against
// a re-measurement (olympics_recipe.h).
#include "tinytorch/olympics_recipe.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "perf_framework/escape.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"
#include "printf.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/compression.h"
#include "tinytorch/error.h"
#include "tinytorch/quantization.h"

namespace tinytorch {

namespace {

using detail::Printf;

constexpr int64_t kMaxSeed = int64_t{1} << 53;  // exact in a JSON double

// A float copy of the digits MLP with `model`'s weights.
std::shared_ptr<Sequential> FloatCopy(const Sequential& model, uint64_t seed) {
  Generator gen(seed);
  std::shared_ptr<Sequential> copy = digits::BuildMlp(gen);
  copy->LoadState(model.GetStateDict());
  return copy;
}

// Applies the techniques in order to a copy of `base`.
std::shared_ptr<Sequential> ApplyTechniques(const std::shared_ptr<Sequential>& base,
                                            const std::vector<OlympicTechnique>& techniques,
                                            const Tensor& calibration, uint64_t seed) {
  std::shared_ptr<Sequential> model = FloatCopy(*base, seed);
  for (const OlympicTechnique& t : techniques) {
    if (t.name == "int8") {
      model = QuantizeModel(*model, {}, calibration);
    } else if (t.name == "sparse") {
      model = ToSparse(*model);
    } else if (t.name == "prune") {
      MagnitudePrune(*model, t.fraction, /*global=*/true);
    } else {
      model = StructuredPrune(*model, t.fraction);
    }
  }
  return model;
}

OlympicMetrics MetricsOf(const ModelBenchmark& r) {
  TT_CHECK(r.ok, "benchmark of '", r.model, "' failed: ", r.error);
  const perf::Interval median = perf::OrderStatisticMedianInterval(r.latency.values);
  TT_CHECK(std::isfinite(median.low) && std::isfinite(median.high), "benchmark of '", r.model,
           "' took too few latency samples (", r.latency.count,
           ") for an interval; raise the latency budget");
  return {.model = r.model,
          .accuracy = {r.accuracy, r.accuracy_low, r.accuracy_high},
          .latency_ms = {median.estimate, median.low, median.high},
          .size_bytes = r.state_bytes,
          .evaluated = r.evaluated};
}

}  // namespace

std::string OlympicRecipe::ToJson() const {
  return nlohmann::json{{"techniques", techniques}, {"epochs", epochs}, {"seed", seed}}.dump();
}

OlympicRecipe OlympicRecipe::FromJson(const std::string& text) {
  nlohmann::json j;
  try {
    j = perf::ParseJson(text, "recipe");
  } catch (const perf::Error& e) {
    throw Error(e.what());
  }
  TT_CHECK(j.is_object() && j.contains("techniques") && j.contains("epochs") && j.contains("seed"),
           "recipe: expected an object with 'techniques', 'epochs' and 'seed'");
  OlympicRecipe r;
  TT_CHECK(j["techniques"].is_array(), "recipe: field 'techniques' must be an array of strings");
  for (const nlohmann::json& t : j["techniques"]) {
    TT_CHECK(t.is_string(), "recipe: field 'techniques' must be an array of strings");
    r.techniques.push_back(t.get<std::string>());
  }
  TT_CHECK(!r.techniques.empty(), "recipe: field 'techniques' is empty");
  (void)ParseTechniqueList(r.techniques);
  TT_CHECK(j["epochs"].is_number_integer() && j["epochs"].get<int64_t>() >= 1 &&
               j["epochs"].get<int64_t>() <= 1000,
           "recipe: field 'epochs' must be an integer from 1 to 1000");
  r.epochs = static_cast<int>(j["epochs"].get<int64_t>());
  TT_CHECK(j["seed"].is_number_integer() && j["seed"].get<int64_t>() >= 0 &&
               j["seed"].get<int64_t>() < kMaxSeed,
           "recipe: field 'seed' must be an integer in [0, 2^53)");
  r.seed = static_cast<uint64_t>(j["seed"].get<int64_t>());
  return r;
}

OlympicRecipe RecipeOf(const Submission& s) {
  TT_CHECK(s.epochs > 0 && s.seed >= 0,
           "submission states no recipe (fields 'epochs' and 'seed'): write it with tinyperf "
           "olympics submit");
  return {.techniques = s.techniques, .epochs = s.epochs, .seed = static_cast<uint64_t>(s.seed)};
}

std::vector<OlympicTechnique> ParseTechniqueList(const std::vector<std::string>& techniques) {
  std::vector<OlympicTechnique> out;
  bool converted = false;  // int8 or sparse seen: no float Linear layers left after it
  for (const std::string& t : techniques) {
    OlympicTechnique step = ParseOlympicTechnique(t);
    TT_CHECK(!converted, "technique '", perf::escape::Shorten(t, 80),
             "' cannot follow int8 or sparse (pruning needs float layers; int8 and sparse are "
             "alternatives)");
    converted = step.name == "int8" || step.name == "sparse";
    out.push_back(std::move(step));
  }
  return out;
}

std::shared_ptr<Sequential> TrainRecipeBaseline(const OlympicRecipe& recipe,
                                                const digits::Split& split) {
  TT_CHECK(recipe.epochs >= 1 && recipe.epochs <= 1000, "TrainRecipeBaseline: epochs ",
           recipe.epochs, " outside 1..1000");
  Generator gen(recipe.seed);
  std::shared_ptr<Sequential> base = digits::BuildMlp(gen);
  digits::Train(*base, split, /*images=*/false, recipe.epochs, 2e-3f, recipe.seed);
  return base;
}

RecipeMeasurement MeasureRecipe(const OlympicRecipe& recipe, const digits::Split& split,
                                double latency_seconds,
                                std::shared_ptr<Sequential> trained_baseline) {
  const std::vector<OlympicTechnique> techniques = ParseTechniqueList(recipe.techniques);
  const std::shared_ptr<Sequential> base =
      trained_baseline ? std::move(trained_baseline) : TrainRecipeBaseline(recipe, split);
  std::shared_ptr<Sequential> optimized =
      ApplyTechniques(base, techniques, split.train_x, recipe.seed);
  std::string label = "digits_mlp";
  for (const std::string& t : recipe.techniques) label += "+" + t;
  const EvaluationSet eval{.name = "digits/test", .inputs = split.test_x, .labels = split.test_y};
  const Tensor query = split.test_x.Slice(0, 0, 1);
  const Benchmark bench({.latency_seconds = latency_seconds});
  return {MetricsOf(bench.Run(BenchmarkModel::Of("digits_mlp", base), query, &eval)),
          MetricsOf(bench.Run(BenchmarkModel::Of(label, optimized), query, &eval))};
}

VerificationResult VerifyClaim(const Submission& claimed, const RecipeMeasurement& measured) {
  VerificationResult v;
  v.measured = claimed;
  v.measured.baseline = measured.baseline;
  v.measured.optimized = measured.optimized;
  for (const auto& [name, c, m] :
       {std::tuple{"baseline", &claimed.baseline, &measured.baseline},
        std::tuple{"optimized", &claimed.optimized, &measured.optimized}}) {
    if (c->size_bytes != m->size_bytes) {
      v.reasons.push_back(Printf(
          "claimed %s size %lld bytes, re-measured %lld bytes (sizes are "
          "deterministic for a recipe: no tolerance)",
          name, static_cast<long long>(c->size_bytes), static_cast<long long>(m->size_bytes)));
    }
    if (!(std::fabs(c->accuracy.value - m->accuracy.value) <= kAccuracyClaimTolerance)) {
      v.reasons.push_back(
          Printf("claimed %s accuracy %.4f, re-measured %.4f (tolerance %.2f "
                 "points)",
                 name, c->accuracy.value, m->accuracy.value, 100 * kAccuracyClaimTolerance));
    }
  }
  try {
    const OlympicScores server =
        ScoreSubmission(claimed.event, measured.baseline, measured.optimized);
    const double claimed_speedup =
        claimed.baseline.latency_ms.value / claimed.optimized.latency_ms.value;
    if (!(claimed_speedup <= kSpeedupClaimFactor * server.speedup_high)) {
      v.reasons.push_back(
          Printf("claimed speedup %.2fx is more than %.0fx the re-measured "
                 "speedup's upper bound %.2fx",
                 claimed_speedup, kSpeedupClaimFactor, server.speedup_high));
    }
  } catch (const std::exception& e) {
    v.reasons.push_back(std::string("claimed or re-measured numbers cannot be scored: ") +
                        e.what());
  }
  // The server's own numbers must keep the event's rules (qualification, plausibility, the
  // closed division's accuracy gain).
  for (const std::string& e : ValidateSubmission(v.measured.ToJson()).errors) {
    v.reasons.push_back("rule broken by the re-measured model: " + e);
  }
  if (v.reasons.empty()) {
    try {
      v.scores = ScoreSubmission(claimed.event, measured.baseline, measured.optimized);
      v.score = EventScoreInterval(claimed.event, measured.baseline, measured.optimized);
    } catch (const std::exception& e) {
      v.reasons.push_back(std::string("re-measured numbers cannot be scored: ") + e.what());
    }
  }
  v.verified = v.reasons.empty();
  return v;
}

}  // namespace tinytorch
