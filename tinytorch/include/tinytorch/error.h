// The one exception type tinytorch throws for user mistakes (bad shapes, axes, values, files).
// Messages name the operation, the arguments and their shapes, e.g.
//   "MatMul: shapes [2, 3] and [4, 5] cannot be multiplied (inner dims 3 != 4)".
#pragma once

#include <cstdint>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tinytorch {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "[2, 3, 4]"; "[]" for a scalar.
std::string ShapeToString(std::span<const int64_t> shape);

namespace detail {

inline void AppendTo(std::ostringstream& os, const std::vector<int64_t>& v) {
  os << ShapeToString(v);
}
template <class T>
void AppendTo(std::ostringstream& os, const T& v) {
  os << v;
}

template <class... Args>
[[noreturn]] void Throw(const Args&... args) {
  std::ostringstream os;
  (AppendTo(os, args), ...);
  throw Error(os.str());
}

}  // namespace detail
}  // namespace tinytorch

// Throws tinytorch::Error with the streamed arguments when `cond` is false. The message is built
// only on failure, so checks are free on the happy path. Shapes (std::vector<int64_t>) print as [a,
// b].
#define TT_CHECK(cond, ...)                    \
  do {                                         \
    if (!(cond)) [[unlikely]]                  \
      ::tinytorch::detail::Throw(__VA_ARGS__); \
  } while (0)
