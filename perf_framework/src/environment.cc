// Environment capture from /proc, /sys, the compiler and git.
#include "perf_framework/environment.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "perf_framework/error.h"
#include "perf_framework/suite.h"

#ifndef PERF_COMPILE_FLAGS
#define PERF_COMPILE_FLAGS "unknown"
#endif
#ifndef PERF_BUILD_TYPE
#define PERF_BUILD_TYPE "unknown"
#endif

namespace perf {

namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string CpuInfoField(const std::string& field) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) {
      const size_t colon = line.find(':');
      return colon == std::string::npos ? ""
                                        : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

std::string Run(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    std::array<char, 256> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::vector<std::string> KernelFlags() {
  std::vector<std::string> out;
  std::istringstream flags(CpuInfoField("flags"));
  for (std::string f; flags >> f;) {
    if (f == "sse4_2" || f == "avx" || f == "avx2" || f == "fma" || f.rfind("avx512", 0) == 0 ||
        f == "avx_vnni") {
      out.push_back(f);
    }
  }
  return out;
}

struct Probes {
  std::mutex mutex;
  std::vector<EnvironmentProbe> list;
};
Probes& Registry() {
  static Probes probes;  // constructed on first use: registration may run at static init
  return probes;
}

}  // namespace

void AddEnvironmentProbe(EnvironmentProbe probe) {
  Probes& r = Registry();
  const std::lock_guard lock(r.mutex);
  if (std::find(r.list.begin(), r.list.end(), probe) == r.list.end()) r.list.push_back(probe);
}

const BlasInfo& ProcessBlas() {
  static const BlasInfo blas = ProbeBlas(KernelFlags());
  return blas;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool IsUtcTimestamp(std::string_view s) {
  // Positions of the digits and of the separators of "YYYY-MM-DDTHH:MM:SSZ".
  constexpr std::string_view kForm = "0000-00-00T00:00:00Z";
  if (s.size() != kForm.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '9';
    if (kForm[i] == '0' ? !digit : s[i] != kForm[i]) return false;
  }
  const auto number = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  return number(11, 2) <= 23 && number(14, 2) <= 59 && number(17, 2) <= 60;
}

namespace {

// What the fingerprint is made of: the CPU, the compiler and the BLAS kernel. No git, no probes.
Environment MachineBasics() {
  Environment env;
  env.cpu_model = CpuInfoField("model name");
  env.cpu_flags = KernelFlags();
  env.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  env.compiler = std::string("g++ ") + __VERSION__;
  env.blas = ProcessBlas();
  return env;
}

}  // namespace

Environment CaptureEnvironment() {
  Environment env = MachineBasics();
  env.governor = ReadFirstLine("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  if (env.governor.empty()) env.governor = "unavailable";
  env.compile_flags = PERF_COMPILE_FLAGS;
  env.build_type = PERF_BUILD_TYPE;
  // The checkout the process runs in, i.e. the measured project's: a path fixed at build time
  // would name this library's source tree in every installed user's results.
  env.git_commit = Run("git rev-parse HEAD 2>/dev/null");
  if (env.git_commit.empty()) env.git_commit = "unknown";
  env.utc_time = UtcNow();
  std::istringstream(ReadFirstLine("/proc/loadavg")) >> env.load_average_1min;
  if (env.blas.degraded) env.warnings.push_back(env.blas.reason);
  std::vector<EnvironmentProbe> probes;
  {
    const std::lock_guard lock(Registry().mutex);
    probes = Registry().list;
  }
  for (EnvironmentProbe probe : probes) probe(env);
  return env;
}

std::vector<std::string> MachineWarnings() {
  Environment env;
  env.governor = ReadFirstLine("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  if (env.governor.empty()) env.governor = "unavailable";
  env.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  std::istringstream(ReadFirstLine("/proc/loadavg")) >> env.load_average_1min;
  std::vector<std::string> w;
  if (env.governor != "unavailable" && env.governor != "performance") {
    w.push_back("CPU frequency governor is '" + env.governor +
                "': clock speed changes under load; set it to 'performance' "
                "(cpupower frequency-set -g performance)");
  }
#if !defined(__OPTIMIZE__) || !defined(NDEBUG)
  w.push_back(
      "the measurement framework was built without optimisation or with assertions; "
      "measure with the release preset");
#endif
  // Our own measurement keeps about one core busy; load beyond that is someone else's.
  if (env.logical_cores > 0 && env.load_average_1min > env.logical_cores - 0.5) {
    std::ostringstream os;
    os.precision(2);
    os << "system load " << env.load_average_1min << " on " << env.logical_cores
       << " cores: other processes compete for the CPU; stop them or expect wider intervals";
    w.push_back(os.str());
  }
  if (ProcessBlas().degraded) w.push_back(ProcessBlas().reason);
  return w;
}

nlohmann::json Environment::ToJson() const {
  return {{"cpu_model", cpu_model},         {"cpu_flags", cpu_flags},
          {"logical_cores", logical_cores}, {"governor", governor},
          {"compiler", compiler},           {"compile_flags", compile_flags},
          {"build_type", build_type},       {"git_commit", git_commit},
          {"utc_time", utc_time},           {"load_average_1min", load_average_1min},
          {"blas", blas.ToJson()},          {"matmul_default_backend", matmul_default_backend},
          {"matmul_choice", matmul_choice}, {"warnings", warnings}};
}

Environment Environment::FromJson(const nlohmann::json& j) {
  // Every field through JsonField / JsonOptional, so a wrong type names the field (issue 23)
  // rather than reaching the user as nlohmann's "type must be string, but is number".
  const std::string where = "environment";
  PERF_CHECK(j.is_object(), where, ": must be an object, got ", j.type_name());
  Environment env;
  env.cpu_model = JsonField<std::string>(j, "cpu_model", where);
  env.cpu_flags = JsonField<std::vector<std::string>>(j, "cpu_flags", where);
  env.logical_cores = JsonField<int>(j, "logical_cores", where);
  env.governor = JsonField<std::string>(j, "governor", where);
  env.compiler = JsonField<std::string>(j, "compiler", where);
  env.compile_flags = JsonField<std::string>(j, "compile_flags", where);
  env.build_type = JsonField<std::string>(j, "build_type", where);
  env.git_commit = JsonField<std::string>(j, "git_commit", where);
  env.utc_time = JsonField<std::string>(j, "utc_time", where);
  env.load_average_1min = JsonField<double>(j, "load_average_1min", where);
  if (j.contains("blas")) {
    env.blas = BlasInfo::FromJson(j.at("blas"));
  } else {
    env.blas.library = "not recorded";
  }
  env.matmul_default_backend = JsonOptional(j, "matmul_default_backend", std::string(), where);
  env.matmul_choice = JsonOptional(j, "matmul_choice", std::string(), where);
  env.warnings = JsonOptional(j, "warnings", std::vector<std::string>(), where);
  return env;
}

std::string MachineFingerprint(const Environment& env) {
  std::string raw = env.cpu_model + " " + std::to_string(env.logical_cores) + "c " + env.compiler;
  if (env.blas.library != "none" && env.blas.library != "not recorded") {
    raw += " " + env.blas.library + " " + env.blas.kernel;
  }
  std::string key;
  for (const char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!key.empty() && key.back() != '-') {
      key += '-';
    }
  }
  while (!key.empty() && key.back() == '-') key.pop_back();
  return key.empty() ? "unknown-machine" : key;
}

std::string ThisMachineFingerprint() { return MachineFingerprint(MachineBasics()); }

}  // namespace perf
