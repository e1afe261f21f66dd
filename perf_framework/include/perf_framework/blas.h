// The BLAS this process runs, and whether it runs at its best for this CPU.
//
// Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH: at load time it picks a kernel for the
// CPU it recognises, and silently falls back to a generic SSE3 kernel ("Prescott") for one it
// does not (an Intel Xeon of CPUID family 6 model 207, for one), which runs a GEMM about 5x slower
// than the machine allows. Every speed measured against such a reference is a strawman, so the
// kernel is part of what a measurement records, and a kernel below the CPU's ISA is flagged.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace perf {

struct BlasInfo {
  std::string library = "none";  // "OpenBLAS" when the process has it loaded, else "none"
  std::string version;           // "0.3.21"
  std::string config;            // openblas_get_config(), verbatim
  std::string kernel;            // the core kernel it runs (openblas_get_corename()), "Cooperlake"
  std::string best_kernel;       // the kernel this CPU's ISA calls for, "SkylakeX"
  std::string coretype_setting;  // OPENBLAS_CORETYPE as the process saw it; empty when unset
  std::string thread_timeout_setting;  // OPENBLAS_THREAD_TIMEOUT likewise
  int threads = 0;
  bool degraded = false;
  std::string reason;  // why it is degraded, with what to do; empty when it is not

  // "OpenBLAS 0.3.21, kernel Cooperlake (this CPU calls for Cooperlake), 2 threads,
  // OPENBLAS_CORETYPE unset", or just the library when it is not OpenBLAS ("none", "not recorded").
  std::string Summary() const;

  nlohmann::json ToJson() const;
  // Throws perf::Error naming the field ("environment.blas: field 'kernel' has the wrong type").
  static BlasInfo FromJson(const nlohmann::json& j);
};

// Which OpenBLAS kernel (OPENBLAS_CORETYPE value) this CPU's ISA calls for, from /proc/cpuinfo
// flag names: "Cooperlake" (AVX-512 with BF16), "SkylakeX" (AVX-512 F/CD/BW/DQ/VL), "Haswell"
// (AVX2 + FMA), "Sandybridge" (AVX), "Nehalem" (anything older).
std::string BestOpenBlasKernel(std::span<const std::string> cpu_flags);

// The vector ISA an OpenBLAS kernel is written for, as a rank: 0 SSE, 1 AVX, 2 AVX2, 3 AVX-512;
// -1 for a name this table does not know (OpenBLAS's x86-64 DYNAMIC_ARCH targets are all in it).
int OpenBlasKernelRank(const std::string& kernel);

// Fills `kernel`'s degraded flag and reason from the kernel and the CPU's flags: degraded when the
// kernel is written for a narrower ISA than the CPU has.
BlasInfo AssessBlas(BlasInfo info, std::span<const std::string> cpu_flags);

// The OPENBLAS_CORETYPE that would run `info`'s OpenBLAS at its best: its best kernel when the
// kernel it runs is degraded and nobody set OPENBLAS_CORETYPE; empty otherwise (an explicit
// setting is respected, a healthy kernel left alone).
std::string RecommendedCoretype(const BlasInfo& info);

// The OPENBLAS_THREAD_TIMEOUT that lets a threaded OpenBLAS yield its cores as soon as the other
// pools in a race do: "17" for a threaded OpenBLAS when nobody set it, empty otherwise. OpenBLAS's
// idle threads spin 2^28 TSC cycles (0.1 s at 2.6 GHz) before they sleep; tinytorch's pool polls
// 50 µs (kernels/cpu.cc) and libtorch's OpenMP threads sleep at once (OMP_WAIT_POLICY=PASSIVE,
// which ctest sets). A comparison that alternates the two sides otherwise charges OpenBLAS's spin
// to whichever runs next: 2^17 cycles is the same 50 µs. Calls back to back (OpenBLAS's own
// benchmarks) never wait that long, so they keep their speed.
std::string RecommendedThreadTimeout(const BlasInfo& info);

// Whether OpenBLAS computes right on kernel `coretype` (an OPENBLAS_CORETYPE value): runs
// `verifier` (argv, argv[0] a path; a program that checks the BLAS it loads and exits 0 when it
// computes right, as `tinyperf env --verify-blas` does) in a child process whose environment is
// this one's with OPENBLAS_CORETYPE=coretype, its stdout discarded. OpenBLAS reads the variable
// once, at load time, so only a new process can try a kernel. False when the child cannot start
// or does not exit 0.
bool KernelComputesRight(const std::string& coretype, const std::vector<std::string>& verifier);

// What to set to run `info`'s OpenBLAS at its best: the recommended kernel, exported only once a
// child process has shown it computes right (a kernel for a CPU that OpenBLAS does not recognise
// is exactly the case no one has tested).
struct CoretypeAdvice {
  std::string recommended;      // RecommendedCoretype(info): empty when there is nothing to set
  bool computes_right = false;  // `recommended` passed KernelComputesRight
  // The OPENBLAS_CORETYPE to set: `recommended` when it computes right, else empty.
  std::string ToExport() const { return computes_right ? recommended : ""; }
};
// Runs the check only when there is a kernel to recommend.
CoretypeAdvice AdviseCoretype(const BlasInfo& info, const std::vector<std::string>& verifier);

// The OpenBLAS loaded in this process (found by symbol, so perf_framework does not link it), with
// its kernel assessed for this CPU. library is "none" when no OpenBLAS is loaded.
BlasInfo ProbeBlas(std::span<const std::string> cpu_flags);

}  // namespace perf
