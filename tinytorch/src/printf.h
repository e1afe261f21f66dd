// printf into a std::string, for reports and messages with fixed-precision numbers (GCC 12 has no
// <format>). The format attribute lets the compiler check every call's arguments.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <string>

namespace tinytorch::detail {

__attribute__((format(printf, 1, 2))) inline std::string Printf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string s(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(s.data(), s.size() + 1, format, args);
  va_end(args);
  return s;
}

}  // namespace tinytorch::detail
