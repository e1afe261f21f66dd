// The compile-time check behind "one table per enumeration": an enum ending in kCount and a table
// of entries, one per enumerator, each naming the enumerator it describes.
#pragma once

#include <cstddef>

namespace tinytorch::internal {

// True when `table` has Enum::kCount entries and entry i describes enumerator i (its `key` member
// equals Enum(i)), so the table can be indexed by the enum. Use in a static_assert beside the
// table: adding an enumerator, or an entry out of place, then fails to compile.
template <class Enum, class Entry, size_t N>
constexpr bool IsEnumTable(const Entry (&table)[N], Enum Entry::*key) {
  if (N != static_cast<size_t>(Enum::kCount)) return false;
  for (size_t i = 0; i < N; ++i) {
    if (table[i].*key != static_cast<Enum>(i)) return false;
  }
  return true;
}

}  // namespace tinytorch::internal
