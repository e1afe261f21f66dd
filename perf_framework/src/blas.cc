// The BLAS probe: OpenBLAS's own introspection calls, found by symbol, and its kernel table.
#include "perf_framework/blas.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string_view>

#include "perf_framework/error.h"
#include "perf_framework/suite.h"

namespace perf {

namespace {

// OpenBLAS's x86-64 DYNAMIC_ARCH kernels (driver/others/dynamic.c, 0.3.21) by the widest vector
// ISA they are written for. A fallback shows as a rank below the CPU's.
struct KernelRank {
  std::string_view name;
  int rank;
};
constexpr std::array<KernelRank, 27> kKernels{{
    {"Unknown", 0},     {"Katmai", 0},        {"Coppermine", 0},     {"Northwood", 0},
    {"Prescott", 0},    {"Banias", 0},        {"Atom", 0},           {"Core2", 0},
    {"Penryn", 0},      {"Dunnington", 0},    {"Nehalem", 0},        {"Athlon", 0},
    {"Opteron", 0},     {"Opteron(SSE3)", 0}, {"Barcelona", 0},      {"Nano", 0},
    {"Bobcat", 0},      {"Sandybridge", 1},   {"Bulldozer", 1},      {"Piledriver", 1},
    {"Steamroller", 1}, {"Excavator", 1},     {"Haswell", 2},        {"Zen", 2},
    {"SkylakeX", 3},    {"Cooperlake", 3},    {"SapphireRapids", 3},
}};
constexpr std::array<const char*, 4> kIsaNames{"SSE", "AVX", "AVX2", "AVX-512"};

bool Has(std::span<const std::string> flags, std::string_view flag) {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

int CpuRank(std::span<const std::string> flags) {
  const std::string best = BestOpenBlasKernel(flags);
  return OpenBlasKernelRank(best);
}

template <class Fn>
Fn Symbol(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
}

}  // namespace

std::string BestOpenBlasKernel(std::span<const std::string> flags) {
  const bool avx512 = Has(flags, "avx512f") && Has(flags, "avx512cd") && Has(flags, "avx512bw") &&
                      Has(flags, "avx512dq") && Has(flags, "avx512vl");
  if (avx512) return Has(flags, "avx512_bf16") ? "Cooperlake" : "SkylakeX";
  if (Has(flags, "avx2") && Has(flags, "fma")) return "Haswell";
  if (Has(flags, "avx")) return "Sandybridge";
  return "Nehalem";
}

int OpenBlasKernelRank(const std::string& kernel) {
  for (const KernelRank& k : kKernels) {
    if (k.name == kernel) return k.rank;
  }
  return -1;
}

BlasInfo AssessBlas(BlasInfo info, std::span<const std::string> flags) {
  info.degraded = false;
  info.reason.clear();
  if (info.library != "OpenBLAS") return info;
  info.best_kernel = BestOpenBlasKernel(flags);
  const int have = OpenBlasKernelRank(info.kernel), want = CpuRank(flags);
  if (have < 0) {
    // Not a fallback we can prove; say so rather than call it fine or degraded.
    info.reason = "OpenBLAS kernel '" + info.kernel + "' is not in this build's kernel table";
    return info;
  }
  if (have >= want) return info;
  info.degraded = true;
  std::ostringstream why;
  why << "degraded reference: OpenBLAS " << info.version << " runs its '" << info.kernel << "' ("
      << kIsaNames[have] << ") kernel on a CPU with " << kIsaNames[want] << "; ";
  if (info.coretype_setting.empty()) {
    why << "this OpenBLAS does not recognise the CPU and fell back. Run with OPENBLAS_CORETYPE="
        << info.best_kernel
        << " (the project's scripts set it: eval \"$(tinyperf env --exports)\")";
  } else {
    why << "OPENBLAS_CORETYPE=" << info.coretype_setting
        << " was set explicitly and is respected; unset it or set " << info.best_kernel;
  }
  info.reason = why.str();
  return info;
}

std::string RecommendedCoretype(const BlasInfo& info) {
  const bool fallback =
      info.library == "OpenBLAS" && info.degraded && info.coretype_setting.empty();
  return fallback ? info.best_kernel : "";
}

std::string RecommendedThreadTimeout(const BlasInfo& info) {
  return info.library == "OpenBLAS" && info.threads > 1 && info.thread_timeout_setting.empty()
             ? "17"
             : "";
}

bool KernelComputesRight(const std::string& coretype, const std::vector<std::string>& verifier) {
  if (verifier.empty() || verifier[0].empty()) return false;
  // posix_spawn with its own environment, not fork + setenv: OpenBLAS's threads are running, and
  // a forked child of a threaded process may only exec.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "OPENBLAS_CORETYPE=", 18) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back("OPENBLAS_CORETYPE=" + coretype);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = verifier;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

CoretypeAdvice AdviseCoretype(const BlasInfo& info, const std::vector<std::string>& verifier) {
  CoretypeAdvice advice;
  advice.recommended = RecommendedCoretype(info);
  advice.computes_right =
      !advice.recommended.empty() && KernelComputesRight(advice.recommended, verifier);
  return advice;
}

BlasInfo ProbeBlas(std::span<const std::string> flags) {
  BlasInfo info;
  using Text = char* (*)();
  const auto corename = Symbol<Text>("openblas_get_corename");
  const auto config = Symbol<Text>("openblas_get_config");
  const auto threads = Symbol<int (*)()>("openblas_get_num_threads");
  if (corename == nullptr || config == nullptr) return info;
  info.library = "OpenBLAS";
  info.kernel = corename();
  info.config = config();
  std::istringstream words(info.config);
  std::string name;
  words >> name >> info.version;  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..."
  info.threads = threads != nullptr ? threads() : 0;
  if (const char* set = std::getenv("OPENBLAS_CORETYPE")) info.coretype_setting = set;
  if (const char* set = std::getenv("OPENBLAS_THREAD_TIMEOUT")) info.thread_timeout_setting = set;
  return AssessBlas(std::move(info), flags);
}

std::string BlasInfo::Summary() const {
  if (library != "OpenBLAS") return library;
  return library + " " + version + ", kernel " + kernel + " (this CPU calls for " + best_kernel +
         "), " + std::to_string(threads) + " threads, OPENBLAS_CORETYPE " +
         (coretype_setting.empty() ? "unset" : coretype_setting);
}

nlohmann::json BlasInfo::ToJson() const {
  return {{"library", library},
          {"version", version},
          {"config", config},
          {"kernel", kernel},
          {"best_kernel", best_kernel},
          {"coretype_setting", coretype_setting},
          {"thread_timeout_setting", thread_timeout_setting},
          {"threads", threads},
          {"degraded", degraded},
          {"reason", reason}};
}

BlasInfo BlasInfo::FromJson(const nlohmann::json& j) {
  const std::string where = "environment.blas";
  PERF_CHECK(j.is_object(), where, ": must be an object, got ", j.type_name());
  BlasInfo b;
  b.library = JsonField<std::string>(j, "library", where);
  b.version = JsonOptional(j, "version", std::string(), where);
  b.config = JsonOptional(j, "config", std::string(), where);
  b.kernel = JsonOptional(j, "kernel", std::string(), where);
  b.best_kernel = JsonOptional(j, "best_kernel", std::string(), where);
  b.coretype_setting = JsonOptional(j, "coretype_setting", std::string(), where);
  b.thread_timeout_setting = JsonOptional(j, "thread_timeout_setting", std::string(), where);
  b.threads = JsonOptional(j, "threads", 0, where);
  b.degraded = JsonOptional(j, "degraded", false, where);
  b.reason = JsonOptional(j, "reason", std::string(), where);
  return b;
}

}  // namespace perf
