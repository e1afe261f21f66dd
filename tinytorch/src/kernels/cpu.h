// The CPU knobs the fast kernels read, SimdLevel and the thread count (declared in acceleration.h,
// stored in cpu.cc: ActiveSimdLevel(), NumThreads()), and the worker pool of the threaded kernels.
#pragma once

#include <cstdint>
#include <functional>

#include "tinytorch/acceleration.h"

namespace tinytorch::kernels {

// Whether the AVX-512 level may use byte permutes across a whole vector (AVX-512 VBMI: vpermb),
// which the level itself does not require (Cascade Lake has VNNI without them). False below it.
bool ByteShufflesAvailable();

// Runs body(t) for every t in [0, tasks) on up to NumThreads() threads (the caller's included)
// and waits; the first exception thrown by a task is rethrown after all have finished. Workers
// persist between calls, so a call costs a wake-up, not a thread start. A call made while
// another is running (from a task or another thread) runs its tasks serially on the caller.
void ParallelFor(int64_t tasks, const std::function<void(int64_t)>& body);
// The same when the call's `work` (a count in the caller's unit) reaches `min_work`; a smaller
// call runs its tasks on the caller, where waking the workers would cost more than they save.
void ParallelFor(int64_t tasks, int64_t work, int64_t min_work,
                 const std::function<void(int64_t)>& body);

}  // namespace tinytorch::kernels
