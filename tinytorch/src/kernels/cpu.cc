// CPU feature detection through GCC's __builtin_cpu_supports (cpuid + the OS's XSAVE state), and
// the worker pool of the threaded kernels.
#include "kernels/cpu.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tinytorch::kernels {

namespace {

Isa Detect() {
  __builtin_cpu_init();
  // The AVX-512 level is the one the int8 kernels need too (BW for byte shuffles, VNNI for
  // vpdpbusd), so one level serves both GEMMs.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) {
    return Isa::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
  return Isa::kScalar;
}

// TT_SIMD_LEVEL=scalar|avx2|avx512 starts a process at a lower level than the CPU's (to measure
// the AVX2 path on an AVX-512 machine, or under a tool that cannot run AVX-512); a level the CPU
// lacks, or a name that is none, is ignored with a message on stderr.
Isa Initial() {
  const Isa detected = DetectedIsa();
  const char* want = std::getenv("TT_SIMD_LEVEL");
  if (want == nullptr || *want == '\0') return detected;
  constexpr std::pair<const char*, Isa> kNames[] = {
      {"scalar", Isa::kScalar}, {"avx2", Isa::kAvx2}, {"avx512", Isa::kAvx512}};
  for (const auto& [name, isa] : kNames) {
    if (std::strcmp(want, name) != 0) continue;
    if (IsaSupported(isa)) return isa;
    std::fprintf(stderr, "tinytorch: TT_SIMD_LEVEL=%s is not supported by this CPU; ignored\n",
                 want);
    return detected;
  }
  std::fprintf(stderr, "tinytorch: TT_SIMD_LEVEL=%s is not scalar, avx2 or avx512; ignored\n",
               want);
  return detected;
}

std::atomic<Isa> g_active{Initial()};
std::atomic<int> g_threads{static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))};

// Workers sleep on a condition variable between jobs; a job is a body, a task count and a shared
// counter that every participant (workers and the caller) claims tasks from.
class Pool {
 public:
  explicit Pool(int workers) {
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this] { Work(); });
  }
  ~Pool() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
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
      busy_ = workers();
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    Claim();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
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
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      Claim();
      const std::lock_guard lock(mutex_);
      if (--busy_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* body_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int64_t> next_{0};
  int busy_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;  // one job at a time; held for the whole ParallelFor

}  // namespace

Isa DetectedIsa() {
  static const Isa detected = Detect();
  return detected;
}

bool IsaSupported(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(DetectedIsa()); }

Isa ActiveIsa() { return g_active.load(std::memory_order_relaxed); }
void SetActiveIsa(Isa isa) { g_active.store(isa); }

int ThreadCount() { return g_threads.load(std::memory_order_relaxed); }
void SetThreadCount(int threads) { g_threads.store(threads); }

void ParallelFor(int64_t tasks, const std::function<void(int64_t)>& body) {
  const int64_t threads = std::min<int64_t>(tasks, ThreadCount());
  std::unique_lock lock(g_pool_mutex, std::try_to_lock);
  if (threads <= 1 || !lock.owns_lock()) {
    for (int64_t t = 0; t < tasks; ++t) body(t);
    return;
  }
  // Rebuilt when the thread count changes; the caller is one of the participants.
  static std::unique_ptr<Pool> pool;
  if (!pool || pool->workers() != ThreadCount() - 1) {
    pool.reset();
    pool = std::make_unique<Pool>(ThreadCount() - 1);
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
