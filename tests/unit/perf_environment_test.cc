// The environment knows its references: which OpenBLAS kernel a CPU calls for, when the one that
// runs is a fallback (the Xeon that Debian's OpenBLAS 0.3.21 does not recognise), what to set, and
// that the fingerprint and the results file keep it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "perf_framework/blas.h"
#include "perf_framework/environment.h"

namespace perf {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kXeonAvx512Vnni = {
    "sse4_2",   "avx",      "avx2",     "fma",         "avx512f",    "avx512cd",
    "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16"};
const std::vector<std::string> kSkylakeX = {"avx",      "avx2",     "fma",      "avx512f",
                                            "avx512cd", "avx512bw", "avx512dq", "avx512vl"};
const std::vector<std::string> kAvx2 = {"sse4_2", "avx", "avx2", "fma"};

BlasInfo OpenBlas(const std::string& kernel, const std::string& coretype = "") {
  BlasInfo b;
  b.library = "OpenBLAS";
  b.version = "0.3.21";
  b.kernel = kernel;
  b.coretype_setting = coretype;
  return b;
}

TEST(PerfEnvironmentTest, BestKernelFollowsTheIsa) {
  EXPECT_EQ(BestOpenBlasKernel(kXeonAvx512Vnni), "Cooperlake");
  EXPECT_EQ(BestOpenBlasKernel(kSkylakeX), "SkylakeX");
  EXPECT_EQ(BestOpenBlasKernel(kAvx2), "Haswell");
  EXPECT_EQ(BestOpenBlasKernel(std::vector<std::string>{"avx"}), "Sandybridge");
  EXPECT_EQ(BestOpenBlasKernel(std::vector<std::string>{"sse4_2"}), "Nehalem");
  EXPECT_EQ(OpenBlasKernelRank("Prescott"), 0);
  EXPECT_EQ(OpenBlasKernelRank("Zen"), 2);
  EXPECT_EQ(OpenBlasKernelRank("SapphireRapids"), 3);
  EXPECT_EQ(OpenBlasKernelRank("NoSuchCore"), -1);
}

TEST(PerfEnvironmentTest, FallbackKernelIsADegradedReferenceWithWhatToSet) {
  const BlasInfo b = AssessBlas(OpenBlas("Prescott"), kXeonAvx512Vnni);
  EXPECT_TRUE(b.degraded);
  EXPECT_EQ(b.best_kernel, "Cooperlake");
  EXPECT_THAT(b.reason, HasSubstr("'Prescott' (SSE) kernel on a CPU with AVX-512"));
  EXPECT_THAT(b.reason, HasSubstr("OPENBLAS_CORETYPE=Cooperlake"));
  EXPECT_EQ(RecommendedCoretype(b), "Cooperlake");

  // AVX2 kernels on an AVX-512 CPU are a fallback too; the matching ones are not.
  EXPECT_TRUE(AssessBlas(OpenBlas("Haswell"), kSkylakeX).degraded);
  EXPECT_FALSE(AssessBlas(OpenBlas("SkylakeX"), kSkylakeX).degraded);
  EXPECT_FALSE(AssessBlas(OpenBlas("Cooperlake"), kXeonAvx512Vnni).degraded);
  EXPECT_FALSE(AssessBlas(OpenBlas("Zen"), kAvx2).degraded);
  EXPECT_EQ(RecommendedCoretype(AssessBlas(OpenBlas("Zen"), kAvx2)), "");
}

TEST(PerfEnvironmentTest, AnExplicitSettingIsRespectedAndReported) {
  const BlasInfo b = AssessBlas(OpenBlas("Prescott", "Prescott"), kXeonAvx512Vnni);
  EXPECT_TRUE(b.degraded);
  EXPECT_THAT(b.reason, HasSubstr("OPENBLAS_CORETYPE=Prescott was set explicitly"));
  EXPECT_EQ(RecommendedCoretype(b), "") << "never override the user's setting";
}

TEST(PerfEnvironmentTest, AThreadedOpenBlasYieldsItsCoresAsSoonAsTheOtherPools) {
  BlasInfo b = AssessBlas(OpenBlas("Cooperlake"), kXeonAvx512Vnni);
  b.threads = 2;
  EXPECT_EQ(RecommendedThreadTimeout(b), "17");
  b.threads = 1;  // no idle threads to spin
  EXPECT_EQ(RecommendedThreadTimeout(b), "");
  b.threads = 2;
  b.thread_timeout_setting = "28";
  EXPECT_EQ(RecommendedThreadTimeout(b), "") << "never override the user's setting";
  EXPECT_EQ(BlasInfo::FromJson(b.ToJson()).thread_timeout_setting, "28");
  EXPECT_EQ(RecommendedThreadTimeout(BlasInfo{}), "") << "not OpenBLAS";
}

// The child-process check runs the verifier with the kernel to try in its environment, in place
// of the parent's own OPENBLAS_CORETYPE; a shell that tests the variable stands in for
// `tinyperf env --verify-blas`.
std::vector<std::string> AcceptsOnly(const std::string& coretype) {
  return {"/bin/sh", "-c", "test \"$OPENBLAS_CORETYPE\" = " + coretype};
}

TEST(PerfEnvironmentTest, AKernelIsTriedInAChildWithTheCoretypeSet) {
  EXPECT_TRUE(KernelComputesRight("Haswell", AcceptsOnly("Haswell")));
  EXPECT_FALSE(KernelComputesRight("Prescott", AcceptsOnly("Haswell")));
  EXPECT_FALSE(KernelComputesRight("Haswell", {"/nonexistent/verifier"})) << "cannot start";
  EXPECT_FALSE(KernelComputesRight("Haswell", {})) << "no verifier";
  // The parent's setting is replaced in the child, not passed on beside the kernel tried.
  const char* had = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = had != nullptr ? had : "";
  ::setenv("OPENBLAS_CORETYPE", "Prescott", 1);
  EXPECT_TRUE(KernelComputesRight("Haswell", {"/bin/sh", "-c",
                                              "env | grep -qx OPENBLAS_CORETYPE=Haswell && "
                                              "! env | grep -q =Prescott"}));
  if (had != nullptr) {
    ::setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  } else {
    ::unsetenv("OPENBLAS_CORETYPE");
  }
}

TEST(PerfEnvironmentTest, AdviceExportsTheBestKernelOnlyWhenItComputesRight) {
  const BlasInfo fallback = AssessBlas(OpenBlas("Prescott"), kXeonAvx512Vnni);
  const CoretypeAdvice good = AdviseCoretype(fallback, AcceptsOnly("Cooperlake"));
  EXPECT_EQ(good.recommended, "Cooperlake");
  EXPECT_TRUE(good.computes_right);
  EXPECT_EQ(good.ToExport(), "Cooperlake");

  const CoretypeAdvice wrong = AdviseCoretype(fallback, {"/bin/false"});
  EXPECT_EQ(wrong.recommended, "Cooperlake");
  EXPECT_FALSE(wrong.computes_right);
  EXPECT_EQ(wrong.ToExport(), "") << "a kernel that computes wrong is never exported";

  // Nothing to set: a healthy kernel, or the user's own setting (the verifier is not consulted).
  for (const BlasInfo& b : {AssessBlas(OpenBlas("Cooperlake"), kXeonAvx512Vnni),
                            AssessBlas(OpenBlas("Prescott", "Prescott"), kXeonAvx512Vnni)}) {
    const CoretypeAdvice none = AdviseCoretype(b, {"/bin/true"});
    EXPECT_EQ(none.recommended, "") << b.kernel;
    EXPECT_FALSE(none.computes_right) << b.kernel;
    EXPECT_EQ(none.ToExport(), "") << b.kernel;
  }
}

TEST(PerfEnvironmentTest, UnknownKernelIsReportedNotGuessed) {
  const BlasInfo b = AssessBlas(OpenBlas("FutureLake"), kSkylakeX);
  EXPECT_FALSE(b.degraded);
  EXPECT_THAT(b.reason, HasSubstr("not in this build's kernel table"));
  BlasInfo none;
  EXPECT_FALSE(AssessBlas(none, kSkylakeX).degraded);
}

TEST(PerfEnvironmentTest, FingerprintSeparatesBlasKernels) {
  Environment env;
  env.cpu_model = "Intel(R) Xeon(R) Platinum";
  env.logical_cores = 2;
  env.compiler = "g++ 12.2.0";
  env.blas = OpenBlas("Prescott");
  const std::string prescott = MachineFingerprint(env);
  env.blas = OpenBlas("Cooperlake");
  EXPECT_NE(MachineFingerprint(env), prescott);
  EXPECT_THAT(MachineFingerprint(env), HasSubstr("openblas-cooperlake"));
}

TEST(PerfEnvironmentTest, BlasAndWarningsRoundTripAndOldFilesStillRead) {
  Environment env = CaptureEnvironment();
  env.blas = AssessBlas(OpenBlas("Prescott"), kXeonAvx512Vnni);
  env.warnings = {env.blas.reason};
  env.matmul_default_backend = "threaded";
  const Environment back = Environment::FromJson(env.ToJson());
  EXPECT_EQ(back.blas.kernel, "Prescott");
  EXPECT_TRUE(back.blas.degraded);
  EXPECT_EQ(back.warnings, env.warnings);
  EXPECT_EQ(back.matmul_default_backend, "threaded");

  nlohmann::json old = env.ToJson();
  old.erase("blas");
  old.erase("warnings");
  old.erase("matmul_default_backend");
  const Environment before = Environment::FromJson(old);
  EXPECT_EQ(before.blas.library, "not recorded");
  EXPECT_TRUE(before.warnings.empty());
}

TEST(PerfEnvironmentTest, TheProbeReportsTheLoadedOpenBlasOrNone) {
  // Whether this binary loads OpenBLAS depends on the linker; either answer must be complete.
  const BlasInfo& b = ProcessBlas();
  if (b.library == "none") {
    EXPECT_TRUE(b.kernel.empty());
    EXPECT_FALSE(b.degraded);
  } else {
    EXPECT_EQ(b.library, "OpenBLAS");
    EXPECT_FALSE(b.kernel.empty());
    EXPECT_THAT(b.version, ::testing::StartsWith("0."));
    EXPECT_GE(b.threads, 1);
    EXPECT_GE(OpenBlasKernelRank(b.kernel), 0) << b.kernel;
  }
}

// Recorded times are read back as written by UtcNow; a time the calendar does not have (month
// 99, February 30, hour 25) is a forgery or a corruption, and so is any other form.
TEST(PerfEnvironmentTest, UtcTimestampsMustExistOnTheCalendar) {
  EXPECT_TRUE(IsUtcTimestamp(UtcNow()));
  for (const char* ok : {"2026-12-03T07:50:51Z", "2024-02-29T00:00:00Z", "2000-02-29T23:59:59Z",
                         "2016-12-31T23:59:60Z", "0001-01-01T00:00:00Z"}) {
    EXPECT_TRUE(IsUtcTimestamp(ok)) << ok;
  }
  for (const char* bad :
       {"2026-99-03T07:50:51Z", "2026-00-03T07:50:51Z", "2026-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-12-00T00:00:00Z", "2026-12-03T24:00:00Z", "2026-12-03T07:60:00Z",
        "2026-12-03T07:50:61Z", "2026-12-03 07:50:51Z", "2026-12-03T07:50:51+00:00",
        "2026-12-03T07:50:51", "2026-12-03T07:50:51.5Z", "yesterday", "", "2026-1a-03T07:50:51Z"}) {
    EXPECT_FALSE(IsUtcTimestamp(bad)) << bad;
  }
}

}  // namespace
}  // namespace perf
