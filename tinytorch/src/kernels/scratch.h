// Per-thread scratch buffers that are reused between calls.
#pragma once

#include <cstdint>
#include <vector>

namespace tinytorch::kernels {

// buffer's data, holding at least n elements. It only grows: std::vector::resize value-initialises
// each element it adds, so a buffer cut to each call's size was zero-filled again whenever a
// larger call followed a smaller one (every layer of an MLP after the first: 7% of the fp32 digits
// MLP at batch 1). The kernels never read an element they have not written in the same call.
template <class T>
T* AtLeast(std::vector<T>& buffer, int64_t n) {
  if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
  return buffer.data();
}

}  // namespace tinytorch::kernels
