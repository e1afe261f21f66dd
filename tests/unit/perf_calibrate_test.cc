// The calibration protocol (calibrate.h) on stand-in benchmark binaries, shell scripts that write
// Google Benchmark JSON: the runs alternate and land where the protocol says, the options reach
// the binary's command line, the profile sums up every pair, and a binary that fails or runs
// nothing is an error naming it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "perf_framework/calibrate.h"
#include "perf_framework/error.h"

namespace perf {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// An executable script `name` in a fresh directory `dir`.
std::string Script(const fs::path& dir, const std::string& name, const std::string& body) {
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << "#!/bin/sh\n" << body;
  fs::permissions(path, fs::perms::owner_all);
  return path.string();
}

// A benchmark binary stand-in: BM_Fake/1 with 4 repetitions, 1% slower on each call (so the runs
// drift), its arguments appended to <dir>/args.txt.
std::string FakeBench(const fs::path& dir) {
  return Script(dir, "fake_bench", R"(d=$(dirname "$0")
echo "$*" >>"$d/args.txt"
n=$(wc -l <"$d/args.txt")
for a in "$@"; do case $a in --benchmark_out=*) out=${a#*=} ;; esac; done
{
  echo '{"context": {"host_name": "box"}, "benchmarks": ['
  for i in 0 1 2 3; do
    t=$((1000 + 10 * n + i))
    [ $i -gt 0 ] && echo ','
    echo "{\"name\": \"BM_Fake/1\", \"run_name\": \"BM_Fake/1\", \"run_type\": \"iteration\","
    echo " \"repetitions\": 4, \"repetition_index\": $i, \"iterations\": 100,"
    echo " \"real_time\": $t, \"cpu_time\": $t, \"time_unit\": \"ns\"}"
  done
  echo ']}'
} >"$out"
)");
}

TEST(PerfCalibrateTest, RunsEachBinaryAlternatelyAndProfilesEveryPair) {
  const fs::path dir = fs::path(::testing::TempDir()) / "calibrate_protocol";
  fs::remove_all(dir);
  const std::string bench = FakeBench(dir / "bin");
  const CalibrateOptions o{.rounds = 3,
                           .repetitions = 4,
                           .min_time_s = 0.01,
                           .filter = "BM_Fake",
                           .work_dir = (dir / "work").string()};
  std::vector<std::string> started;
  size_t pairs_compared = 0;
  const NoiseProfile profile = Calibrate(
      {bench}, "box-fingerprint", o,
      {.starting = [&](const std::string& name) { started.push_back(name); },
       .compared = [&](const std::string&,
                       const ComparisonReport& pairs) { pairs_compared = pairs.changes.size(); }});
  EXPECT_EQ(started, std::vector<std::string>{"fake_bench"});
  EXPECT_EQ(pairs_compared, 3u);  // one benchmark, three pairs
  EXPECT_EQ(profile.fingerprint, "box-fingerprint");
  EXPECT_EQ(profile.rounds, 3);
  EXPECT_EQ(profile.repetitions, 4);
  EXPECT_EQ(profile.benchmarks, 3);
  ASSERT_EQ(profile.families.size(), 1u);
  EXPECT_EQ(profile.families[0].family, "BM_Fake");
  ASSERT_EQ(profile.drift.size(), 1u);
  EXPECT_EQ(profile.drift[0].runs, 6);
  // Six runs, alternating a0 b0 a1 b1 a2 b2, each with the options on its command line.
  std::ifstream args(dir / "bin" / "args.txt");
  std::vector<std::string> lines;
  for (std::string line; std::getline(args, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);
  const fs::path work = dir / "work" / "fake_bench";
  for (size_t k = 0; k < lines.size(); ++k) {
    const fs::path out = work / (k % 2 == 0 ? "a" : "b") / (std::to_string(k / 2) + ".json");
    EXPECT_THAT(lines[k], HasSubstr("--benchmark_out=" + out.string()));
    EXPECT_THAT(lines[k], HasSubstr("--benchmark_repetitions=4 "));
    EXPECT_THAT(lines[k], HasSubstr("--benchmark_filter=BM_Fake "));
    EXPECT_TRUE(fs::exists(out)) << out;
  }
}

TEST(PerfCalibrateTest, ABinaryThatFailsOrRunsNothingIsNamed) {
  const fs::path dir = fs::path(::testing::TempDir()) / "calibrate_errors";
  fs::remove_all(dir);
  CalibrateOptions o;
  o.work_dir = (dir / "work").string();
  const std::string failing = Script(dir, "failing_bench", "exit 3\n");
  EXPECT_THAT([&] { Calibrate({failing}, "box", o); },
              ThrowsMessage<Error>(HasSubstr("failing_bench failed (")));
  const std::string empty = Script(dir, "empty_bench", R"(for a in "$@"; do
  case $a in --benchmark_out=*) echo '{"benchmarks": []}' >"${a#*=}" ;; esac
done
)");
  EXPECT_THAT([&] { Calibrate({empty}, "box", o); },
              ThrowsMessage<Error>(HasSubstr("empty_bench ran zero benchmarks")));
}

TEST(PerfCalibrateTest, TheCommandQuotesWhatItIsGiven) {
  const std::string cmd =
      CalibrationCommand("/opt/it's/bench", "/tmp/o.json", {.repetitions = 7, .filter = "a b"});
  EXPECT_EQ(cmd,
            "'/opt/it'\\''s/bench' --benchmark_repetitions=7 --benchmark_min_time=0.100000 "
            "--benchmark_filter='a b' --benchmark_out='/tmp/o.json' --benchmark_out_format=json "
            ">/dev/null 2>&1");
}

}  // namespace
}  // namespace perf
