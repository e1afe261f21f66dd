// The default MatMul backend per machine and shape class: an override, a cached measurement, or
// the rule "OpenBLAS unless its kernel is degraded". See acceleration.h for the order.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "fileio/fileio.h"
#include "kernels/gemm.h"
#include "perf_framework/environment.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/error.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

namespace {

// The square products TuneMatMul races OpenBLAS on, one thread against its own rule; the largest
// one's work bounds the crossover it can write.
constexpr int64_t kSerialRungs[] = {96, 128, 160, 192, 256};
constexpr int64_t kLargestRung = std::end(kSerialRungs)[-1];
constexpr int64_t kMaxSerialBelow = kLargestRung * kLargestRung * kLargestRung;

// -2: the OpenBLAS crossover (openblas_serial_below) joined the choice; a -1 cache is re-measured.
constexpr const char* kCacheSchema = "tinytorch-matmul-choice-2";

// The choice with its strings under a mutex, and its two backends again as atomics: MatMul reads
// those on every call, so a microsecond-sized product pays for neither a lock nor string copies.
struct State {
  std::mutex mutex;
  bool resolved = false;
  MatMulChoice choice;
  std::atomic<bool> ready{false};
  std::atomic<MatMulBackend> small{MatMulBackend::kOpenBlas}, large{MatMulBackend::kOpenBlas};
  bool overridden = false;  // TT_MATMUL_BACKEND or SetDefaultMatMulBackend: a tune leaves it
  void Set(MatMulChoice c, bool is_override) {  // with mutex held
    choice = std::move(c);
    overridden = is_override;
    resolved = true;
    small.store(choice.small);
    large.store(choice.large);
    kernels::SetOpenBlasSerialBelow(choice.openblas_serial_below);
    ready.store(true, std::memory_order_release);
  }
};
State& Default() {
  static State state;
  return state;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

MatMulChoice Uniform(MatMulBackend backend, std::string source) {
  MatMulChoice c;
  c.small = c.large = backend;
  c.source = std::move(source);
  return c;
}

MatMulChoice Rule() {
  const perf::BlasInfo& blas = perf::ProcessBlas();
  if (blas.degraded) {
    return Uniform(MatMulBackend::kThreaded,
                   "rule: OpenBLAS runs a degraded kernel (" + blas.kernel +
                       " on a CPU that calls for " + blas.best_kernel +
                       "), so our threaded kernel; not measured (tinyperf env --tune)");
  }
  return Uniform(
      MatMulBackend::kOpenBlas,
      "rule: OpenBLAS " + blas.kernel + " matches this CPU; not measured (tinyperf env --tune)");
}

MatMulBackend BackendField(const nlohmann::json& j, const char* key, const std::string& path) {
  const std::optional<MatMulBackend> b = ParseMatMulBackend(j.at(key).get<std::string>());
  TT_CHECK(b.has_value(), path, ": '", key, "' is not a MatMul backend");
  return *b;
}

// The cached measurement for this machine, if there is a readable one. A stale or corrupt cache
// is ignored (and re-measured by the next tune), never trusted.
std::optional<MatMulChoice> ReadCache() {
  const std::string path = MatMulCachePath();
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    // Anything may be in a cache directory: a file far larger than the few hundred bytes TuneMatMul
    // writes is not read, and the parse is perf's bounded one (nesting depth, number range).
    constexpr std::uintmax_t kMaxCacheBytes = 1 << 16;
    if (std::filesystem::file_size(path) > kMaxCacheBytes) return std::nullopt;
    const nlohmann::json j = perf::ParseJson(fileio::ReadAll(path), path);
    if (j.at("schema") != kCacheSchema || j.at("fingerprint") != perf::ThisMachineFingerprint()) {
      return std::nullopt;
    }
    MatMulChoice c;
    c.small = BackendField(j, "small", path);
    c.large = BackendField(j, "large", path);
    c.source = "measured " + j.at("measured_utc").get<std::string>() + " (" + path + ")";
    c.measurements_json = j.at("gflops").dump();
    c.degraded_reason = j.value("degraded_reason", "");
    // An integer up to the largest rung TuneMatMul measures, cubed; nothing else was written by
    // it (and a float's conversion to an integer is undefined out of range).
    const nlohmann::json& below = j.at("openblas_serial_below");
    if (!below.is_number_integer()) return std::nullopt;
    c.openblas_serial_below = below.get<int64_t>();
    if (c.openblas_serial_below < 0 || c.openblas_serial_below > kMaxSerialBelow) {
      return std::nullopt;
    }
    return c;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// "naive, reordered, ...": every name ParseMatMulBackend accepts.
std::string BackendNames() {
  std::string names;
  for (const MatMulBackend b : kAllMatMulBackends) {
    names += (names.empty() ? "" : ", ") + std::string(MatMulBackendName(b));
  }
  return names;
}

// TT_MATMUL_BACKEND reads no cache: a run that names its backend (the count gate's) does not
// depend on what this machine measured earlier.
MatMulChoice Resolve() {
  const std::string forced = EnvOr("TT_MATMUL_BACKEND", "");
  if (!forced.empty()) {
    const std::optional<MatMulBackend> b = ParseMatMulBackend(forced);
    TT_CHECK(b.has_value(), "TT_MATMUL_BACKEND=", forced, " is not a MatMul backend (",
             BackendNames(), ")");
    return Uniform(*b, "TT_MATMUL_BACKEND=" + forced);
  }
  if (std::optional<MatMulChoice> cached = ReadCache()) return *cached;
  return Rule();
}

// Seconds of every call of two products, alternated in blocks of `block` calls over `budget_s`
// (at least 5 rounds), so both run under the same drift.
struct Race {
  std::vector<double> first, second;
};
Race Alternate(const std::function<void()>& first, const std::function<void()>& second,
               double budget_s, int block = 1) {
  Race race;
  const auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  const auto time_block = [&](const std::function<void()>& f, std::vector<double>& out) {
    for (int i = 0; i < block; ++i) {
      const auto start = std::chrono::steady_clock::now();
      f();
      out.push_back(seconds_since(start));
    }
  };
  const auto begin = std::chrono::steady_clock::now();
  for (int round = 0; round < 5 || seconds_since(begin) < budget_s; ++round) {
    time_block(first, race.first);
    time_block(second, race.second);
  }
  return race;
}

double Gflops(int64_t n, double seconds) {
  return 2.0 * static_cast<double>(n * n * n) / seconds / 1e9;
}

// Where OpenBLAS's own threads start to pay: OpenBLAS on one thread against its own rule on square
// products up to kSerialRungs' last, by the median call (a default serves the typical call, and
// the best one flatters threads, whose wake-up cost varies). Blocks of 8 calls: a model's
// products follow each other while OpenBLAS's idle threads still spin, and a call that found
// them asleep behind a long serial one would charge threads for a wake-up they rarely pay. Returns
// the work under which one thread is used: the smallest rung from which threads win by 5% at every
// larger rung (a near tie goes to one thread, which leaves the other cores free); 0 when they win
// from the first.
int64_t MeasureOpenBlasSerialBelow(nlohmann::json& gflops) {
  if (kernels::OpenBlasThreads() <= 1) {
    gflops["openblas_one_thread"] = {{"threads", kernels::OpenBlasThreads()}};
    return 0;
  }
  nlohmann::json rungs = nlohmann::json::array();
  int64_t below = kMaxSerialBelow;
  bool threads_win_above = true;
  for (auto it = std::rbegin(kSerialRungs); it != std::rend(kSerialRungs); ++it) {
    const int64_t n = *it;
    std::vector<float> a(n * n, 1.f), b(n * n, 0.5f), c(n * n);
    const kernels::MatrixRef ra{a.data(), n, 1}, rb{b.data(), n, 1};
    const Race race =
        Alternate([&] { kernels::GemmOpenBlasOn(c.data(), ra, rb, n, n, n, true); },
                  [&] { kernels::GemmOpenBlasOn(c.data(), ra, rb, n, n, n, false); }, 0.08, 8);
    const double one = perf::Median(race.first), own = perf::Median(race.second);
    rungs.insert(rungs.begin(),
                 nlohmann::json::object(
                     {{"n", n}, {"one_thread", Gflops(n, one)}, {"own_rule", Gflops(n, own)}}));
    threads_win_above = threads_win_above && one > 1.05 * own;
    if (threads_win_above) below = n == kSerialRungs[0] ? 0 : n * n * n;
  }
  gflops["openblas_one_thread"] = {{"threads", kernels::OpenBlasThreads()}, {"rungs", rungs}};
  return below;
}

// "160³" for a cube (every crossover TuneMatMul writes), else the plain number.
std::string WorkName(int64_t work) {
  const auto n = static_cast<int64_t>(std::llround(std::cbrt(static_cast<double>(work))));
  return n * n * n == work ? std::to_string(n) + "³" : std::to_string(work);
}

void RecordInEnvironment(perf::Environment& env) {
  const MatMulChoice c = DefaultMatMulChoice();
  env.matmul_default_backend = c.small == c.large
                                   ? MatMulBackendName(c.large)
                                   : std::string("small: ") + MatMulBackendName(c.small) +
                                         ", large: " + MatMulBackendName(c.large);
  if (c.openblas_serial_below > 0) {
    env.matmul_default_backend +=
        "; OpenBLAS on one thread under " + WorkName(c.openblas_serial_below) + " multiply-adds";
  }
  env.matmul_choice = c.source;
  if (!c.degraded_reason.empty()) env.warnings.push_back(c.degraded_reason);
  if (ActiveSimdLevel() != DetectedSimdLevel()) {
    env.warnings.push_back(std::string("tinytorch's kernels run at ") +
                           SimdLevelName(ActiveSimdLevel()) + ", below this CPU's " +
                           SimdLevelName(DetectedSimdLevel()) + " (TT_SIMD_LEVEL or SetSimdLevel)");
  }
}
[[maybe_unused]] const bool kRegistered = (perf::AddEnvironmentProbe(&RecordInEnvironment), true);

}  // namespace

std::optional<MatMulBackend> ParseMatMulBackend(const std::string& name) {
  for (const MatMulBackend b : kAllMatMulBackends) {
    if (name == MatMulBackendName(b)) return b;
  }
  return std::nullopt;
}

std::string MatMulCachePath() {
  std::string dir = EnvOr("TT_CACHE_DIR", "");
  if (dir.empty()) {
    const std::string xdg = EnvOr("XDG_CACHE_HOME", "");
    dir = !xdg.empty() ? xdg + "/tinytorch" : EnvOr("HOME", "/tmp") + "/.cache/tinytorch";
  }
  return dir + "/matmul-" + perf::ThisMachineFingerprint() + ".json";
}

MatMulChoice DefaultMatMulChoice() {
  State& s = Default();
  const std::lock_guard lock(s.mutex);
  if (!s.resolved) s.Set(Resolve(), !EnvOr("TT_MATMUL_BACKEND", "").empty());
  return s.choice;
}

MatMulBackend MatMulBackendFor(int64_t m, int64_t n, int64_t k) {
  State& s = Default();
  if (!s.ready.load(std::memory_order_acquire)) DefaultMatMulChoice();
  return (m * n * k < kSmallMatMulWork ? s.small : s.large).load(std::memory_order_relaxed);
}

void SetDefaultMatMulBackend(MatMulBackend backend) {
  kernels::GemmFor(backend);  // validates
  State& s = Default();
  const std::lock_guard lock(s.mutex);
  MatMulChoice c =
      Uniform(backend, std::string("SetDefaultMatMulBackend(") + MatMulBackendName(backend) + ")");
  if (s.resolved) c.openblas_serial_below = s.choice.openblas_serial_below;  // how OpenBLAS runs
  s.Set(std::move(c), true);
}

int64_t SetOpenBlasSerialBelow(int64_t work) {
  TT_CHECK(work >= 0, "SetOpenBlasSerialBelow: work ", work, " must be at least 0");
  DefaultMatMulChoice();  // resolved first, so a later resolution cannot undo this
  State& s = Default();
  const std::lock_guard lock(s.mutex);
  const int64_t previous = s.choice.openblas_serial_below;
  s.choice.openblas_serial_below = work;
  kernels::SetOpenBlasSerialBelow(work);
  return previous;
}

MatMulBackend DefaultMatMulBackend() { return DefaultMatMulChoice().large; }

double BlasMaxRelativeError() {
  struct Case {
    int64_t m, n, k;
    bool transpose_a;
  };
  constexpr Case kCases[] = {{1, 1, 1, false},      {17, 33, 5, false},  {129, 257, 131, false},
                             {64, 1000, 300, true}, {300, 7, 513, true}, {512, 512, 512, false}};
  Generator gen(20261203);
  double worst = 0;
  for (const Case& c : kCases) {
    const Tensor a = c.transpose_a ? Tensor::RandN({c.k, c.m}, gen).Transpose(0, 1)
                                   : Tensor::RandN({c.m, c.k}, gen);
    const Tensor b = Tensor::RandN({c.k, c.n}, gen);
    const Tensor want = MatMul(a, b, MatMulBackend::kNaive).Contiguous();
    const Tensor got = MatMul(a, b, MatMulBackend::kOpenBlas).Contiguous();
    double scale = 0, diff = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      const double w = want.data<float>()[i], g = got.data<float>()[i];
      scale = std::max(scale, std::abs(w));
      diff = std::isfinite(g) ? std::max(diff, std::abs(g - w)) : INFINITY;
    }
    worst = std::max(worst, diff / std::max(scale, 1e-30));
  }
  return worst;
}

bool BlasComputesRight(double max_relative_error) {
  constexpr double kBlasTolerance = 1e-4;
  return max_relative_error <= kBlasTolerance;
}

MatMulChoice TuneMatMulUnlessMeasured() {
  if (DefaultMatMulChoice().measurements_json.empty()) TuneMatMul();
  return DefaultMatMulChoice();
}

MatMulChoice TuneMatMul() {
  nlohmann::json gflops;
  MatMulChoice c;
  c.openblas_serial_below = MeasureOpenBlasSerialBelow(gflops);
  // One representative square size per class: 64 (small) and 512 (large), against OpenBLAS at
  // the crossover just measured. The best of the alternated calls: the one least disturbed by the
  // other vCPU's tenants.
  struct Class {
    const char* name;
    int64_t n;
  };
  constexpr Class kClasses[] = {{"small", 64}, {"large", 512}};
  static_assert(64 * 64 * 64 < kSmallMatMulWork && 512 * 512 * 512 >= kSmallMatMulWork);
  const bool blas_healthy = !perf::ProcessBlas().degraded;
  for (const Class& cls : kClasses) {
    const int64_t n = cls.n;
    std::vector<float> a(n * n, 1.f), b(n * n, 0.5f), out(n * n);
    const kernels::MatrixRef ra{a.data(), n, 1}, rb{b.data(), n, 1};
    const bool one_thread = n * n * n < c.openblas_serial_below;
    const Race race =
        Alternate([&] { kernels::GemmThreaded(out.data(), ra, rb, n, n, n); },
                  [&] { kernels::GemmOpenBlasOn(out.data(), ra, rb, n, n, n, one_thread); }, 0.3);
    const double ours = Gflops(n, *std::ranges::min_element(race.first));
    const double blas = Gflops(n, *std::ranges::min_element(race.second));
    gflops[cls.name] = {{"n", cls.n}, {"threaded", ours}, {"openblas", blas}};
    // A healthy reference keeps its place unless ours is clearly faster (10%): a near tie under
    // a noisy VM must not flip the default from one run to the next.
    const double margin = blas_healthy ? 1.10 : 1.0;
    (std::string(cls.name) == "small" ? c.small : c.large) =
        ours > margin * blas ? MatMulBackend::kThreaded : MatMulBackend::kOpenBlas;
    if (std::string(cls.name) == "large" && blas < 0.5 * ours) {
      c.degraded_reason = "degraded reference: OpenBLAS (" + perf::ProcessBlas().kernel +
                          ") measured " + std::to_string(static_cast<int>(blas)) +
                          " GFLOP/s at n = 512, under half of our own " + "threaded kernel's " +
                          std::to_string(static_cast<int>(ours)) + " GFLOP/s";
    }
  }
  c.measurements_json = gflops.dump();
  const std::string when = perf::UtcNow();
  c.source = "measured " + when + " (" + MatMulCachePath() + ")";
  const nlohmann::json out = {{"schema", kCacheSchema},
                              {"fingerprint", perf::ThisMachineFingerprint()},
                              {"measured_utc", when},
                              {"small", MatMulBackendName(c.small)},
                              {"large", MatMulBackendName(c.large)},
                              {"gflops", gflops},
                              {"degraded_reason", c.degraded_reason},
                              {"openblas_serial_below", c.openblas_serial_below}};
  // An unwritable cache costs the next process a re-measurement, not this one its choice.
  try {
    std::filesystem::create_directories(std::filesystem::path(MatMulCachePath()).parent_path());
    fileio::WriteAtomically(MatMulCachePath(), out.dump(2) + "\n");
  } catch (const std::exception& e) {
    c.source = "measured " + when + " (not cached: " + e.what() + ")";
  }
  State& s = Default();
  const std::lock_guard lock(s.mutex);
  // An explicit choice (environment or SetDefaultMatMulBackend) still wins in this process.
  if (!s.overridden && EnvOr("TT_MATMUL_BACKEND", "").empty()) s.Set(c, false);
  return c;
}

}  // namespace tinytorch
