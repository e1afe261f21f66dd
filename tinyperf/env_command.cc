// tinyperf env: what a report would record about this machine: the CPU, the build, the reference
// BLAS with its kernel and whether it is degraded, tinytorch's MatMul choice, and the warnings.
//   tinyperf env [--format text|json]   print it
//   tinyperf env --tune                 measure the MatMul choice unless this machine has one
//   cached tinyperf env --retune               measure it again tinyperf env --exports shell lines
//   that run the references at their best:
//                                       `export OPENBLAS_CORETYPE=X` when OpenBLAS fell back and
//                                       nobody set it, after a child process has checked that X
//                                       computes right. Scripts: eval "$(tinyperf env --exports)"
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "perf_framework/environment.h"
#include "tinytorch/acceleration.h"

namespace tinyperf {

namespace {

// Results within this relative error of the naive kernel are right: float32 sums over k <= 513
// terms differ from each other by a few ulps per term, far below it.
constexpr double kBlasTolerance = 1e-4;

std::string SelfPath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Runs `tinyperf env --verify-blas` with OPENBLAS_CORETYPE=coretype (OpenBLAS reads it once, at
// load time, so only a new process can try a kernel). True when it exits 0. posix_spawn, not
// fork + setenv: OpenBLAS's threads are running, and a forked child may only exec.
bool KernelComputesRight(const std::string& coretype) {
  const std::string self = SelfPath();
  if (self.empty()) return false;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "OPENBLAS_CORETYPE=", 18) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back("OPENBLAS_CORETYPE=" + coretype);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string arg0 = self, arg1 = "env", arg2 = "--verify-blas";
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, self.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

std::string CheckedBestCoretype() {
  const std::string coretype = perf::RecommendedCoretype(perf::ProcessBlas());
  return !coretype.empty() && KernelComputesRight(coretype) ? coretype : "";
}

namespace {

int Exports() {
  const perf::BlasInfo& blas = perf::ProcessBlas();
  const std::string coretype = perf::RecommendedCoretype(blas);
  if (coretype.empty()) {
    std::printf("# tinyperf env: %s %s runs kernel '%s'%s; nothing to set\n", blas.library.c_str(),
                blas.version.c_str(), blas.kernel.c_str(),
                blas.coretype_setting.empty() ? "" : " (OPENBLAS_CORETYPE set by the user)");
    return kExitOk;
  }
  if (!KernelComputesRight(coretype)) {
    std::printf("# tinyperf env: OPENBLAS_CORETYPE=%s failed its correctness check; left unset\n",
                coretype.c_str());
    std::fprintf(stderr, "tinyperf env: %s\n", blas.reason.c_str());
    return kExitOk;
  }
  std::printf(
      "# tinyperf env: OpenBLAS fell back to '%s' on this CPU; its '%s' kernel checked "
      "against the naive GEMM\nexport OPENBLAS_CORETYPE=%s\n",
      blas.kernel.c_str(), coretype.c_str(), coretype.c_str());
  return kExitOk;
}

int VerifyBlas() {
  const double error = tinytorch::BlasMaxRelativeError();
  std::printf("{\"kernel\": \"%s\", \"max_relative_error\": %.3g}\n",
              perf::ProcessBlas().kernel.c_str(), error);
  return error <= kBlasTolerance ? kExitOk : kExitInvalid;
}

std::string Text(const perf::Environment& env, const tinytorch::MatMulChoice& choice) {
  const perf::BlasInfo& b = env.blas;
  std::string flags;
  for (const std::string& f : env.cpu_flags) flags += (flags.empty() ? "" : " ") + f;
  std::string out = "machine       " + env.cpu_model + ", " + std::to_string(env.logical_cores) +
                    " logical cores, governor " + env.governor + "\n" + "cpu flags     " + flags +
                    "\n" + "build         " + env.compiler + ", " + env.build_type + "," +
                    env.compile_flags + "\n" + "fingerprint   " + perf::MachineFingerprint(env) +
                    "\n" + "blas          " + b.Summary() + (b.degraded ? "  DEGRADED" : "") +
                    "\n" + "matmul        " + env.matmul_default_backend + " (" +
                    env.matmul_choice + ")\n";
  if (!choice.measurements_json.empty()) out += "measured      " + choice.measurements_json + "\n";
  for (const std::string& w : env.warnings) out += "WARNING       " + w + "\n";
  return out;
}

}  // namespace

void AddEnvCommand(CLI::App& app, std::function<int()>& run) {
  CLI::App* e = app.add_subcommand(
      "env",
      "What a report records about this machine: CPU, build, reference BLAS and its "
      "kernel, tinytorch's MatMul choice, warnings");
  auto format = std::make_shared<std::string>("text");
  auto tune = std::make_shared<bool>(false);
  auto retune = std::make_shared<bool>(false);
  auto exports = std::make_shared<bool>(false);
  auto verify = std::make_shared<bool>(false);
  auto try_kernel = std::make_shared<std::string>();
  e->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  e->add_flag("--tune", *tune,
              "Measure the default MatMul backend per shape class and cache it for this machine, "
              "unless it is cached already");
  e->add_flag("--retune", *retune, "Measure the default MatMul backend again");
  e->add_flag("--exports", *exports,
              "Print shell exports that run the reference libraries at their best kernel");
  e->add_option(
      "--try-kernel", *try_kernel,
      "Check OpenBLAS's kernel NAME (an OPENBLAS_CORETYPE value) against the naive GEMM in "
      "a child process; exit 0 if it computes right, 1 if not");
  e->add_flag("--verify-blas", *verify, "Check OpenBLAS against the naive GEMM (exit 1 if wrong)")
      ->group("");  // internal: the child process of --exports
  e->callback([=, &run] {
    run = [=] {
      if (*verify) return VerifyBlas();
      if (!try_kernel->empty()) {
        const bool ok = KernelComputesRight(*try_kernel);
        std::printf("OPENBLAS_CORETYPE=%s: %s\n", try_kernel->c_str(),
                    ok ? "computes right" : "failed the check against the naive GEMM");
        return ok ? kExitOk : kExitInvalid;
      }
      if (*exports) return Exports();
      const bool measured = tinytorch::DefaultMatMulChoice().source.rfind("measured", 0) == 0;
      if (*retune || (*tune && !measured)) tinytorch::TuneMatMul();
      const perf::Environment env = perf::CaptureEnvironment();
      const tinytorch::MatMulChoice choice = tinytorch::DefaultMatMulChoice();
      if (*format == "json") {
        nlohmann::json j = env.ToJson();
        j["fingerprint"] = perf::MachineFingerprint(env);
        if (!choice.measurements_json.empty()) {
          j["matmul_measured_gflops"] = nlohmann::json::parse(choice.measurements_json);
        }
        std::printf("%s\n", j.dump(2).c_str());
      } else {
        std::fputs(Text(env, choice).c_str(), stdout);
      }
      return kExitOk;
    };
  });
}

}  // namespace tinyperf
