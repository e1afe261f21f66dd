// The code under test of the downstream example (sorting.h).
#include "sorting.h"

#include <algorithm>
#include <utility>

namespace downstream {

void InsertionSort(std::span<int> values) {
  for (size_t i = 1; i < values.size(); ++i) {
    const int v = values[i];
    size_t j = i;
    for (; j > 0 && values[j - 1] > v; --j) values[j] = values[j - 1];
    values[j] = v;
  }
}

void StandardSort(std::span<int> values) { std::sort(values.begin(), values.end()); }

std::vector<int> ShuffledInts(int n, uint64_t seed) {
  std::vector<int> out(n);
  uint64_t x = seed;
  for (int& v : out) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<int>(x >> 33);
  }
  return out;
}

}  // namespace downstream
