// tinyperf env: what a report would record about this machine: the CPU, the build, the reference
// BLAS with its kernel and whether it is degraded, tinytorch's MatMul choice, and the warnings.
//   tinyperf env [--format text|json]   print it
//   tinyperf env --tune                 measure the MatMul choice unless this machine has one
//                                       cached (--retune: measure it again)
//   tinyperf env --exports              shell lines that run the references at their best:
//                                       `export OPENBLAS_CORETYPE=X` when OpenBLAS fell back and
//                                       nobody set it, after a child process has checked that X
//                                       computes right. Scripts: eval "$(tinyperf env --exports)"
// The policies are the libraries': which kernel to recommend and the child-process check
// (perf_framework/blas.h), what computes right and when to tune (tinytorch/acceleration.h).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "perf_framework/blas.h"
#include "perf_framework/environment.h"
#include "tinytorch/acceleration.h"

namespace tinyperf {

namespace {

std::string SelfPath() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// `tinyperf env --verify-blas`: the child process perf::KernelComputesRight runs to try a kernel.
std::vector<std::string> BlasVerifier() { return {SelfPath(), "env", "--verify-blas"}; }

}  // namespace

std::string CheckedBestCoretype() {
  return perf::AdviseCoretype(perf::ProcessBlas(), BlasVerifier()).ToExport();
}

namespace {

int Exports() {
  const perf::BlasInfo& blas = perf::ProcessBlas();
  const std::string timeout = perf::RecommendedThreadTimeout(blas);
  if (!timeout.empty()) {
    std::printf(
        "# tinyperf env: OpenBLAS's idle threads yield their cores after 2^%s cycles (~50 us), "
        "as tinytorch's pool does, not after 2^28\nexport OPENBLAS_THREAD_TIMEOUT=%s\n",
        timeout.c_str(), timeout.c_str());
  }
  const perf::CoretypeAdvice advice = perf::AdviseCoretype(blas, BlasVerifier());
  if (advice.recommended.empty()) {
    std::printf("# tinyperf env: %s %s runs kernel '%s'%s; nothing to set\n", blas.library.c_str(),
                blas.version.c_str(), blas.kernel.c_str(),
                blas.coretype_setting.empty() ? "" : " (OPENBLAS_CORETYPE set by the user)");
    return kExitOk;
  }
  if (!advice.computes_right) {
    std::printf("# tinyperf env: OPENBLAS_CORETYPE=%s failed its correctness check; left unset\n",
                advice.recommended.c_str());
    std::fprintf(stderr, "tinyperf env: %s\n", blas.reason.c_str());
    return kExitOk;
  }
  std::printf(
      "# tinyperf env: OpenBLAS fell back to '%s' on this CPU; its '%s' kernel checked "
      "against the naive GEMM\nexport OPENBLAS_CORETYPE=%s\n",
      blas.kernel.c_str(), advice.recommended.c_str(), advice.recommended.c_str());
  return kExitOk;
}

int VerifyBlas() {
  const double error = tinytorch::BlasMaxRelativeError();
  std::printf("{\"kernel\": \"%s\", \"max_relative_error\": %.3g}\n",
              perf::ProcessBlas().kernel.c_str(), error);
  return tinytorch::BlasComputesRight(error) ? kExitOk : kExitInvalid;
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
        const bool ok = perf::KernelComputesRight(*try_kernel, BlasVerifier());
        std::printf("OPENBLAS_CORETYPE=%s: %s\n", try_kernel->c_str(),
                    ok ? "computes right" : "failed the check against the naive GEMM");
        return ok ? kExitOk : kExitInvalid;
      }
      if (*exports) return Exports();
      if (*retune) {
        tinytorch::TuneMatMul();
      } else if (*tune) {
        tinytorch::TuneMatMulUnlessMeasured();
      }
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
