// The measurement framework's exception type, for invalid arguments and unreadable files.
// A failed or suspicious *measurement* is not an exception: it is data (a status and a message).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace perf {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
[[noreturn]] void Throw(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  throw Error(os.str());
}
}  // namespace detail

}  // namespace perf

// Throws perf::Error with the streamed arguments when `cond` is false.
#define PERF_CHECK(cond, ...)             \
  do {                                    \
    if (!(cond)) [[unlikely]]             \
      ::perf::detail::Throw(__VA_ARGS__); \
  } while (0)
