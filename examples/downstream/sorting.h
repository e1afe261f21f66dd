// Two ways to sort integers in place: the insertion sort a first version might use, and
// std::sort. Quadratic against n log n: on 2048 values, an order of magnitude apart.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace downstream {

void InsertionSort(std::span<int> values);
void StandardSort(std::span<int> values);

// n values from a fixed-seed linear congruential generator (the same on every machine).
std::vector<int> ShuffledInts(int n, uint64_t seed);

}  // namespace downstream
