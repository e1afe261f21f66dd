// The CPU knobs of acceleration.h and their one store: the SIMD level (detected through GCC's
// __builtin_cpu_supports: cpuid + the OS's XSAVE state) and the thread count; and the worker pool
// of the threaded kernels.
#include "kernels/cpu.h"

#include <immintrin.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "enum_table.h"
#include "tinytorch/error.h"

namespace tinytorch {

namespace {

// One entry per SimdLevel, in enum order: the names of SimdLevelName and TT_SIMD_LEVEL.
struct SimdLevelInfo {
  SimdLevel level;
  const char* name;
};
constexpr SimdLevelInfo kSimdLevels[] = {
    {SimdLevel::kScalar, "scalar"},
    {SimdLevel::kAvx2, "avx2"},
    {SimdLevel::kAvx512, "avx512"},
};
static_assert(internal::IsEnumTable(kSimdLevels, &SimdLevelInfo::level),
              "kSimdLevels needs one entry per SimdLevel, in enum order");

SimdLevel Detect() {
  __builtin_cpu_init();
  // The AVX-512 level is the one the int8 kernels need too (BW for byte shuffles, VNNI for
  // vpdpbusd), so one level serves both GEMMs.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) {
    return SimdLevel::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

bool Supported(SimdLevel level) { return level <= DetectedSimdLevel(); }

// TT_SIMD_LEVEL=scalar|avx2|avx512 starts a process at a lower level than the CPU's (to measure
// the AVX2 path on an AVX-512 machine, or under a tool that cannot run AVX-512); a level the CPU
// lacks, or a name that is none, is ignored with a message on stderr.
SimdLevel Initial() {
  const SimdLevel detected = DetectedSimdLevel();
  const char* want = std::getenv("TT_SIMD_LEVEL");
  if (want == nullptr || *want == '\0') return detected;
  std::string names;  // "scalar, avx2 or avx512"
  for (size_t i = 0; i < std::size(kSimdLevels); ++i) {
    const auto& [level, name] = kSimdLevels[i];
    if (std::strcmp(want, name) == 0) {
      if (Supported(level)) return level;
      std::fprintf(stderr, "tinytorch: TT_SIMD_LEVEL=%s is not supported by this CPU; ignored\n",
                   want);
      return detected;
    }
    names += (i == 0 ? "" : i + 1 == std::size(kSimdLevels) ? " or " : ", ") + std::string(name);
  }
  std::fprintf(stderr, "tinytorch: TT_SIMD_LEVEL=%s is not %s; ignored\n", want, names.c_str());
  return detected;
}

// The one store of each knob, read by every kernel on every call.
std::atomic<SimdLevel> g_active{Initial()};
// The CPUs this process may run on, not the machine's: under taskset, a cgroup cpuset or
// `tinyperf count` (which pins to one CPU so counts do not depend on scheduling) more threads than
// CPUs only take turns. glibc 2.36's hardware_concurrency counts the machine's.
int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int> g_threads{UsableCpus()};

}  // namespace

const char* SimdLevelName(SimdLevel level) {
  return level < SimdLevel::kCount ? kSimdLevels[static_cast<size_t>(level)].name : "invalid";
}

SimdLevel DetectedSimdLevel() {
  static const SimdLevel detected = Detect();
  return detected;
}

SimdLevel ActiveSimdLevel() { return g_active.load(std::memory_order_relaxed); }

namespace kernels {

bool ByteShufflesAvailable() {
  static const bool vbmi = (__builtin_cpu_init(), __builtin_cpu_supports("avx512vbmi"));
  return vbmi && ActiveSimdLevel() == SimdLevel::kAvx512;
}

}  // namespace kernels

SimdLevel SetSimdLevel(SimdLevel level) {
  TT_CHECK(level < SimdLevel::kCount, "SetSimdLevel: unknown level ", static_cast<int>(level));
  TT_CHECK(Supported(level), "SetSimdLevel: this CPU does not support ", SimdLevelName(level),
           " (best: ", SimdLevelName(DetectedSimdLevel()), ")");
  return g_active.exchange(level);
}

int SetNumThreads(int threads) {
  TT_CHECK(threads >= 1, "SetNumThreads: threads ", threads, " must be at least 1");
  return g_threads.exchange(threads);
}

int NumThreads() { return g_threads.load(std::memory_order_relaxed); }

}  // namespace tinytorch

namespace tinytorch::kernels {

namespace {

// Waits up to kSpin for ready() to become true, polling; false if it did not. Waking a thread
// asleep on a futex takes a system call and, in a VM, an inter-processor interrupt and a
// reschedule on the other side, and back-to-back kernels (the layers of a forward pass, the
// GEMMs of a backward pass) call the pool again within microseconds. So a worker that finishes
// a job polls for the next one, and the caller polls for the workers to finish, before either
// sleeps, as OpenBLAS's and OpenMP's threads do. The window is short enough that an idle
// process gives its cores back at once.
template <class Ready>
bool SpinFor(Ready ready) {
  constexpr auto kSpin = std::chrono::microseconds(50);
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 1;; ++i) {
    if (ready()) return true;
    _mm_pause();
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) return ready();
  }
}

// A job is a body, a task count and a shared counter that every participant (workers and the
// caller) claims tasks from. Workers poll briefly between jobs, then sleep on a condition
// variable; `generation_` and `busy_` are atomics so polling needs no lock, and every change
// that a sleeper waits for is also made under the mutex, so no wake-up is lost.
class Pool {
 public:
  explicit Pool(int workers) {
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this] { Work(); });
  }
  ~Pool() {
    {
      const std::lock_guard lock(mutex_);
      stop_.store(true);
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  int workers() const { return static_cast<int>(threads_.size()); }

  void Run(int64_t tasks, const std::function<void(int64_t)>& body) {
    {
      const std::lock_guard lock(mutex_);
      body_ = &body;
      tasks_ = tasks;
      next_.store(0);
      busy_.store(workers());
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);  // publishes the job to pollers
    }
    wake_.notify_all();
    Claim();
    if (!SpinFor([this] { return busy_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return busy_.load() == 0; });
    }
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void Claim() {
    for (int64_t t = next_.fetch_add(1); t < tasks_; t = next_.fetch_add(1)) {
      try {
        (*body_)(t);
      } catch (...) {
        const std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void Work() {
    uint64_t seen = 0;
    while (true) {
      const auto changed = [&] {
        return stop_.load(std::memory_order_acquire) ||
               generation_.load(std::memory_order_acquire) != seen;
      };
      if (!SpinFor(changed)) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, changed);
      }
      if (stop_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      Claim();
      if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // Through the mutex: a caller between its check and its wait cannot miss this.
        { const std::lock_guard lock(mutex_); }
        done_.notify_one();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* body_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int> busy_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;  // one job at a time; held for the whole ParallelFor

}  // namespace

void ParallelFor(int64_t tasks, const std::function<void(int64_t)>& body) {
  const int64_t threads = std::min<int64_t>(tasks, NumThreads());
  std::unique_lock lock(g_pool_mutex, std::try_to_lock);
  if (threads <= 1 || !lock.owns_lock()) {
    for (int64_t t = 0; t < tasks; ++t) body(t);
    return;
  }
  // Rebuilt when the thread count changes; the caller is one of the participants.
  static std::unique_ptr<Pool> pool;
  if (!pool || pool->workers() != NumThreads() - 1) {
    pool.reset();
    pool = std::make_unique<Pool>(NumThreads() - 1);
  }
  pool->Run(tasks, body);
}

void ParallelFor(int64_t tasks, int64_t work, int64_t min_work,
                 const std::function<void(int64_t)>& body) {
  if (work < min_work) {
    for (int64_t t = 0; t < tasks; ++t) body(t);
  } else {
    ParallelFor(tasks, body);
  }
}

}  // namespace tinytorch::kernels
