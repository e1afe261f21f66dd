#include "perf_framework/counts.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "fileio/fileio.h"
#include "perf_framework/error.h"
#include "perf_framework/suite.h"

extern char** environ;

namespace perf {
namespace {

namespace fs = std::filesystem;

// One table: each reported counter and the callgrind events it sums.
struct CounterEvents {
  const char* counter;
  std::array<const char*, 3> events;  // nullptr-padded
};
constexpr CounterEvents kCountCounters[] = {
    {"instructions", {"Ir", nullptr, nullptr}},
    {"l1d_misses", {"D1mr", "D1mw", nullptr}},
    {"ll_misses", {"DLmr", "DLmw", "ILmr"}},
    {"branch_mispredicts", {"Bcm", "Bim", nullptr}},
};

// The dumps that hold exactly one benchmark loop (see counts.h).
constexpr const char* kLoopStart = "benchmark::State::StartKeepRunning*";
constexpr const char* kLoopEnd = "benchmark::State::FinishKeepRunning*";
constexpr std::string_view kLoopEndTrigger = "--dump-before=benchmark::State::FinishKeepRunning";
// The simulated caches, fixed so that counts do not depend on the host's caches: a 32 KiB 8-way
// L1 for instructions and data and an 8 MiB 16-way last level, 64-byte lines.
constexpr const char* kCacheModel[] = {"--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64"};
constexpr int64_t kProbeIterations = 1000;
constexpr std::string_view kSigillError = "it executed an instruction Valgrind cannot run";

std::vector<std::string> Split(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream is{std::string(line)};
  for (std::string w; is >> w;) out.push_back(w);
  return out;
}

// --- running a child process ----------------------------------------------------------------

struct ChildResult {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  bool timed_out = false;
};

// Runs argv (argv[0] looked up on PATH) with `env` added to this process's environment, stdout
// and stderr to files. posix_spawn, not fork: the caller may have threads running.
ChildResult Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& out_path, const std::string& err_path, double timeout_seconds) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const std::string key(kv.substr(0, kv.find('=')));
    if (!env.contains(key)) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  PERF_CHECK(spawned == 0, "cannot start ", argv[0], ": ", std::strerror(spawned));

  ChildResult result;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(timeout_seconds);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) detail::Throw("waitpid failed for ", argv[0], ": ", std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string ReadOrEmpty(const std::string& path) {
  try {
    return fileio::ReadAll(path);
  } catch (const std::exception&) {
    return {};
  }
}

// The last `lines` lines of a log, for error messages.
std::string Tail(const std::string& text, int lines) {
  size_t pos = text.size();
  for (int i = 0; i <= lines && pos != std::string::npos && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

// Google Benchmark's filter is a regex: a listed name must match only itself.
std::string ExactFilter(const std::string& name) {
  std::string out = "^";
  for (char c : name) {
    if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr) out += '\\';
    out += c;
  }
  return out + "$";
}

// Pins this process (and so its children) to the lowest CPU it may run on.
void PinToOneCpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  PERF_CHECK(::sched_getaffinity(0, sizeof set, &set) == 0, "sched_getaffinity: ",
             std::strerror(errno));
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    PERF_CHECK(::sched_setaffinity(0, sizeof one, &one) == 0, "sched_setaffinity: ",
               std::strerror(errno));
    return;
  }
}

struct Counter {
  const CountOptions& options;
  std::string dir;
  std::map<std::string, std::string> env;
  int serial = 0;
  nlohmann::json context;  // the first benchmark's, from its JSON output

  std::vector<std::string> List(const std::string& binary, const std::string& filter) {
    const std::string out = dir + "/list.out", err = dir + "/list.err";
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), options.benchmark_args.begin(), options.benchmark_args.end());
    argv.push_back("--benchmark_list_tests=true");
    argv.push_back("--benchmark_filter=" + filter);
    const ChildResult r = Run(argv, env, out, err, 120);
    PERF_CHECK(!r.timed_out && r.exit_code == 0, binary,
               " --benchmark_list_tests failed (is it a Google Benchmark binary?): ",
               Tail(ReadOrEmpty(err), 5));
    std::vector<std::string> names;
    std::istringstream is(ReadOrEmpty(out));
    for (std::string line; std::getline(is, line);) {
      if (!line.empty()) names.push_back(line);
    }
    return names;
  }

  // Runs one benchmark under callgrind: the counted loop's events and its iteration count.
  BenchmarkCount Measure(const std::string& binary, const std::string& name) {
    BenchmarkCount count;
    count.name = name;
    const std::string base = dir + "/b" + std::to_string(serial++);
    const std::string cg = base + ".callgrind", json_out = base + ".json", log = base + ".log";
    std::vector<std::string> argv = {options.valgrind,
                                     "--tool=callgrind",
                                     "--log-file=" + log,
                                     "--callgrind-out-file=" + cg,
                                     std::string("--dump-after=") + kLoopStart,
                                     std::string("--dump-before=") + kLoopEnd,
                                     "--dump-instr=no",
                                     "--dump-line=no"};
    if (options.cache_sim) {
      argv.insert(argv.end(), {"--cache-sim=yes", "--branch-sim=yes"});
      argv.insert(argv.end(), std::begin(kCacheModel), std::end(kCacheModel));
    }
    argv.push_back(binary);
    argv.insert(argv.end(), options.benchmark_args.begin(), options.benchmark_args.end());
    argv.insert(argv.end(), {"--benchmark_filter=" + ExactFilter(name), "--benchmark_min_time=0",
                             "--benchmark_repetitions=2", "--benchmark_out_format=json",
                             "--benchmark_out=" + json_out, "--benchmark_format=console"});
    const ChildResult r = Run(argv, env, base + ".stdout", base + ".stderr", options.timeout_seconds);
    const std::string valgrind_log = ReadOrEmpty(log);
    if (r.timed_out) {
      count.error = "killed after " + std::to_string(static_cast<int>(options.timeout_seconds)) +
                    " s under Valgrind (--timeout)";
      return count;
    }
    if (valgrind_log.find("unhandled instruction bytes") != std::string::npos || r.signal == SIGILL ||
        valgrind_log.find("signal 4 (SIGILL)") != std::string::npos) {
      count.error = std::string(kSigillError) +
                    " (an AVX-512 or newer encoding: built with -march=native?); build it with "
                    "the `portable` preset (cmake --preset portable) and keep runtime dispatch at "
                    "AVX2 or below (TT_SIMD_LEVEL=avx2)";
      return count;
    }
    if (r.exit_code != 0) {
      count.error = "exited with status " + std::to_string(r.exit_code) +
                    (r.signal != 0 ? " (signal " + std::to_string(r.signal) + ")" : "") + ": " +
                    Tail(ReadOrEmpty(base + ".stderr") + valgrind_log, 4);
      return count;
    }
    // The benchmark's own JSON: iterations per repetition, errors, the context.
    // What a binary writes is read like any file: bounded parse, fields checked by type.
    nlohmann::json j;
    const nlohmann::json* last = nullptr;
    try {
      j = ParseJson(ReadOrEmpty(json_out), json_out);
      if (context.is_null() && j.is_object() && j.contains("context")) context = j["context"];
      PERF_CHECK(j.is_object() && j.contains("benchmarks") && j["benchmarks"].is_array(),
                 json_out, ": no benchmarks array");
      for (const auto& b : j["benchmarks"]) {
        if (!b.is_object()) continue;
        if (JsonOptional(b, "run_type", std::string("iteration"), json_out) != "iteration") continue;
        if (JsonOptional(b, "error_occurred", false, json_out)) {
          count.error = "the benchmark reported an error: " +
                        JsonOptional(b, "error_message", std::string(), json_out);
          return count;
        }
        last = &b;
      }
    } catch (const Error& e) {
      count.error = std::string("its --benchmark_out JSON is unusable: ") + e.what();
      return count;
    }
    if (last == nullptr || !last->contains("iterations") ||
        !(*last)["iterations"].is_number_integer()) {
      count.error = "its JSON has no repetition with an iteration count";
      return count;
    }
    count.iterations = (*last)["iterations"].get<int64_t>();
    // Parts are numbered in order; the last loop dump is the last call's loop.
    for (int part = 1;; ++part) {
      const std::string path = cg + "." + std::to_string(part);
      if (!fs::exists(path)) break;
      CallgrindPart p = ParseCallgrindPart(fileio::ReadAll(path), path);
      if (p.trigger.starts_with(kLoopEndTrigger)) count.loop = std::move(p.events);
    }
    if (count.loop.empty() || count.iterations <= 0) {
      count.error = "no benchmark loop was dumped (Google Benchmark's State::StartKeepRunning and "
                    "FinishKeepRunning must be visible to Valgrind: a dynamically linked or "
                    "unstripped libbenchmark)";
    }
    return count;
  }
};

std::string DefaultProbe() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  PERF_CHECK(!ec, "cannot locate this executable to find tinyperf-count-probe beside it");
  return (self.parent_path() / "tinyperf-count-probe").string();
}

std::string ValgrindVersion(Counter& counter) {
  const std::string out = counter.dir + "/valgrind-version.out";
  ChildResult r;
  try {
    r = Run({counter.options.valgrind, "--version"}, {}, out, counter.dir + "/valgrind-version.err",
            30);
  } catch (const Error&) {
    detail::Throw("Valgrind is not installed or not on PATH (", counter.options.valgrind,
          "); `tinyperf count` needs it: apt-get install valgrind (scripts/setup-deps.sh does)");
  }
  PERF_CHECK(r.exit_code == 0, counter.options.valgrind, " --version failed");
  std::string v = ReadOrEmpty(out);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

}  // namespace

CallgrindPart ParseCallgrindPart(std::string_view text, const std::string& source) {
  CallgrindPart part;
  std::vector<std::string> names, totals;
  bool have_totals = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.starts_with("events:")) {
      names = Split(line.substr(7));
    } else if (line.starts_with("totals:") || (line.starts_with("summary:") && !have_totals)) {
      totals = Split(line.substr(line.find(':') + 1));
      have_totals = line.starts_with("totals:");
    } else if (line.starts_with("desc: Trigger:")) {
      std::string_view t = line.substr(14);
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      part.trigger = std::string(t);
    }
  }
  PERF_CHECK(!names.empty(), source, ": not a callgrind output file (no `events:` line)");
  PERF_CHECK(!totals.empty(), source, ": no `totals:` or `summary:` line");
  PERF_CHECK(totals.size() <= names.size(), source, ": ", totals.size(), " totals for ",
             names.size(), " events");
  for (size_t i = 0; i < names.size(); ++i) {
    double v = 0;  // callgrind leaves trailing zero totals out
    if (i < totals.size()) {
      char* end = nullptr;
      v = std::strtod(totals[i].c_str(), &end);
      PERF_CHECK(end != totals[i].c_str() && *end == '\0' && v >= 0 && std::isfinite(v), source,
                 ": total of event ", names[i], " is '", totals[i], "', not a count");
    }
    part.events[names[i]] = v;
  }
  return part;
}

std::map<std::string, double> CountersFromEvents(const std::map<std::string, double>& events) {
  std::map<std::string, double> out;
  for (const auto& c : kCountCounters) {
    double sum = 0;
    bool any = false;
    for (const char* e : c.events) {
      if (e == nullptr) continue;
      if (auto it = events.find(e); it != events.end()) {
        sum += it->second;
        any = true;
      }
    }
    if (any) out[c.counter] = sum;
  }
  return out;
}

HarnessCost HarnessFromProbe(const std::map<std::string, double>& one_iteration,
                             const std::map<std::string, double>& many_iterations, int64_t many) {
  PERF_CHECK(many > 1, "HarnessFromProbe: the long probe needs more than one iteration, got ", many);
  HarnessCost h;
  for (const auto& [k, one] : one_iteration) {
    const auto it = many_iterations.find(k);
    if (it == many_iterations.end()) continue;
    const double per = std::max(0.0, (it->second - one) / static_cast<double>(many - 1));
    h.per_iteration[k] = per;
    h.fixed[k] = std::max(0.0, one - per);
  }
  return h;
}

std::map<std::string, double> PerIteration(const std::map<std::string, double>& loop,
                                           int64_t iterations, const HarnessCost& harness) {
  PERF_CHECK(iterations > 0, "PerIteration: iterations ", iterations, " must be positive");
  std::map<std::string, double> out;
  for (const auto& [k, total] : loop) {
    const auto f = harness.fixed.find(k);
    const auto p = harness.per_iteration.find(k);
    const double fixed = f == harness.fixed.end() ? 0 : f->second;
    const double per = p == harness.per_iteration.end() ? 0 : p->second;
    out[k] = std::max(0.0, (total - fixed) / static_cast<double>(iterations) - per);
  }
  return out;
}

CountRun CountBenchmarks(const CountOptions& options,
                         const std::function<void(const std::string&)>& progress) {
  PERF_CHECK(!options.binary.empty(), "tinyperf count: no benchmark binary given");
  PERF_CHECK(fs::is_regular_file(options.binary), options.binary, ": no such file");
  PERF_CHECK(::access(options.binary.c_str(), X_OK) == 0, options.binary, ": not executable");
  const std::string probe = options.probe.empty() ? DefaultProbe() : options.probe;
  PERF_CHECK(fs::is_regular_file(probe), probe,
             ": the empty-benchmark probe is missing (build the tinyperf-count-probe target)");

  Counter counter{options, options.work_dir, {}, 0, nullptr};
  if (counter.dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "tinyperf-count-XXXXXX").string();
    PERF_CHECK(::mkdtemp(tmpl.data()) != nullptr, "cannot create a temporary directory: ",
               std::strerror(errno));
    counter.dir = tmpl;
  } else {
    fs::create_directories(counter.dir);
  }
  // Valgrind's files go with the temporary directory, on an error too.
  struct RemoveTemporary {
    std::string dir;
    ~RemoveTemporary() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{options.work_dir.empty() ? counter.dir : std::string()};
  const char* simd = std::getenv("TT_SIMD_LEVEL");
  const std::string simd_level = simd != nullptr && *simd != '\0' ? simd : "avx2";
  counter.env["TT_SIMD_LEVEL"] = simd_level;
  // OpenBLAS sizes its pool from the CPUs too, but says so only through this variable.
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr) counter.env["OPENBLAS_NUM_THREADS"] = "1";
  const std::string valgrind_version = ValgrindVersion(counter);
  PinToOneCpu();

  CountRun run;
  run.binary = options.binary;
  // The harness, measured on the probe's empty loop in the same way.
  const BenchmarkCount one = counter.Measure(probe, "BM_EmptyLoop/iterations:1");
  const BenchmarkCount many =
      counter.Measure(probe, "BM_EmptyLoop/iterations:" + std::to_string(kProbeIterations));
  PERF_CHECK(one.error.empty() && many.error.empty(), "the harness probe ", probe,
             " could not be counted: ", one.error.empty() ? many.error : one.error);
  PERF_CHECK(one.iterations == 1 && many.iterations == kProbeIterations, "the harness probe ran ",
             one.iterations, " and ", many.iterations, " iterations, not 1 and ", kProbeIterations);
  run.harness = HarnessFromProbe(CountersFromEvents(one.loop), CountersFromEvents(many.loop),
                                 kProbeIterations);
  counter.context = nullptr;  // the probe's context is not the binary's

  const std::vector<std::string> names = counter.List(options.binary, options.filter);
  PERF_CHECK(!names.empty(), options.binary, ": no benchmark matches --filter '", options.filter,
             "'");
  for (const std::string& name : names) {
    BenchmarkCount c = counter.Measure(options.binary, name);
    // Every other benchmark of the binary would stop the same way.
    PERF_CHECK(!c.error.starts_with(kSigillError), options.binary, ": ", c.error);
    if (c.error.empty()) c.counters = PerIteration(CountersFromEvents(c.loop), c.iterations, run.harness);
    if (progress) {
      std::ostringstream line;
      line << name << ": ";
      if (c.error.empty()) {
        line << static_cast<int64_t>(std::llround(c.counters["instructions"]))
             << " instructions per iteration";
      } else {
        line << "ERROR " << c.error;
      }
      progress(line.str());
    }
    run.benchmarks.push_back(std::move(c));
  }

  run.context = counter.context.is_object() ? counter.context : nlohmann::json::object();
  nlohmann::json how = {
      {"tool", valgrind_version + " --tool=callgrind"},
      {"method",
       "one process per benchmark, pinned to one CPU; --benchmark_min_time=0 "
       "--benchmark_repetitions=2; the second (warm) call's loop, dumped from "
       "State::StartKeepRunning to State::FinishKeepRunning; harness removed"},
      {"harness_fixed", run.harness.fixed},
      {"harness_per_iteration", run.harness.per_iteration},
      {"cache_model", options.cache_sim ? "I1 32 KiB 8-way, D1 32 KiB 8-way, LL 8 MiB 16-way, "
                                          "64 B lines"
                                        : "off"},
      {"isa_limit", "Valgrind executes up to AVX2; TT_SIMD_LEVEL=" + simd_level},
      {"tt_simd_level", simd_level},
      {"threads", "pinned to one CPU"},
  };
  run.context["count"] = how;
  return run;
}

nlohmann::json CountRunToJson(const CountRun& run) {
  nlohmann::json out;
  out["context"] = run.context;
  out["context"]["executable"] = run.binary;
  nlohmann::json list = nlohmann::json::array();
  for (const BenchmarkCount& b : run.benchmarks) {
    nlohmann::json e = {{"name", b.name},       {"run_name", b.name},  {"run_type", "iteration"},
                        {"repetitions", 1},     {"repetition_index", 0}, {"threads", 1},
                        {"iterations", b.iterations}};
    if (!b.error.empty()) {
      e["error_occurred"] = true;
      e["error_message"] = b.error;
    }
    for (const auto& [k, v] : b.counters) e[k] = v;
    list.push_back(std::move(e));
  }
  out["benchmarks"] = std::move(list);
  return out;
}

}  // namespace perf
