// The TorchPerf Olympics' recipe and its verification by re-measurement: what a submission did to
// the digits MLP (the techniques in order, the baseline's training epochs and seed) is
// deterministic, so a server rebuilds the optimized model, measures it with the same Benchmark
// runner, and ranks its own numbers, not the submitted ones.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/digits.h"
#include "tinytorch/olympics.h"

namespace tinytorch {

struct OlympicRecipe {
  std::vector<std::string> techniques;  // ParseOlympicTechnique's grammar, applied in order
  int epochs = 20;                      // the baseline's training epochs, 1..1000
  uint64_t seed = 42;                   // the baseline's initialisation and shuffling

  std::string ToJson() const;  // {"techniques": [...], "epochs": n, "seed": n}
  // Throws Error naming the field (a missing one, a wrong type, epochs outside 1..1000, a seed
  // outside [0, 2^53), an invalid technique list).
  static OlympicRecipe FromJson(const std::string& json);
};

// The recipe of a submission written by `tinyperf olympics submit` (its techniques, epochs and
// seed); throws Error when the submission states no epochs or seed.
OlympicRecipe RecipeOf(const Submission& s);

// The techniques parsed and their order checked: pruning needs float Linear layers, so it must
// come before int8 and sparse, which are alternatives to each other. Throws Error naming the
// technique.
std::vector<OlympicTechnique> ParseTechniqueList(const std::vector<std::string>& techniques);

struct RecipeMeasurement {
  OlympicMetrics baseline, optimized;
};

// The recipe's baseline: the digits MLP trained on `split` with recipe.epochs and recipe.seed.
// Deterministic for one build, so a verifier may keep it for the next recipe with the same two.
std::shared_ptr<Sequential> TrainRecipeBaseline(const OlympicRecipe& recipe,
                                                const digits::Split& split);

// Applies the techniques to a copy of the trained baseline (TrainRecipeBaseline's, trained here
// when `trained_baseline` is null; it is not modified), and measures both with Benchmark: accuracy
// on the test rows (deterministic for one build), the median latency of a one-example query over
// `latency_seconds` per model with its interval, and the state size. Throws Error for an invalid
// recipe, a failed benchmark, or too few latency samples for an interval.
RecipeMeasurement MeasureRecipe(const OlympicRecipe& recipe, const digits::Split& split,
                                double latency_seconds,
                                std::shared_ptr<Sequential> trained_baseline = nullptr);

// How far a claim may stray from the re-measurement before it is implausible. Accuracy and size
// are deterministic for a recipe: the tolerance only absorbs float rounding of another CPU or
// compiler (1 point is 3.6 of the 359 test examples). Timing differs between machines, so only a
// speedup claimed beyond kSpeedupClaimFactor times the upper end of the server's own speedup
// interval is refused; a lower claim costs nothing, since the server's numbers are the ones ranked.
inline constexpr double kAccuracyClaimTolerance = 0.01;  // fraction (1 percentage point)
inline constexpr double kSpeedupClaimFactor = 3.0;

struct VerificationResult {
  bool verified = false;
  std::vector<std::string> reasons;  // why not: each implausible claim, each rule broken
  Submission measured;               // the claim with the server's numbers in place of its own
  OlympicScores scores;              // of `measured` (only when the rules allow scoring)
  MeasuredValue score;               // the event score and its interval (EventScoreInterval)
};

// Compares `claimed` with the server's `measured` numbers for its recipe: rejected when a claimed
// size differs at all, a claimed accuracy by more than kAccuracyClaimTolerance, or the claimed
// speedup exceeds kSpeedupClaimFactor × the server's speedup interval's upper end; and when the
// server's own numbers break the event's rules (ValidateSubmission's errors). Never throws.
VerificationResult VerifyClaim(const Submission& claimed, const RecipeMeasurement& measured);

}  // namespace tinytorch
