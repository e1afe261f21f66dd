// Number formatting shared by the report writers (Markdown, HTML, comparisons, tinyperf's
// messages), so a value reads the same in every output.
#pragma once

#include <cmath>
#include <sstream>
#include <string>

#include "perf_framework/suite.h"

namespace perf::format {

// 4 significant digits; "–" for a value that is not finite (not measured).
inline std::string Num(double v) {
  if (!std::isfinite(v)) return "–";
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

// "2.123 x [2.05, 2.4]": the value, its unit and, when there is one, its interval.
inline std::string Measured(const Evidence& e) {
  if (!std::isfinite(e.value)) return "–";
  std::string s = Num(e.value) + (e.unit.empty() ? "" : " " + e.unit);
  if (std::isfinite(e.low) && std::isfinite(e.high)) {
    s += " [" + Num(e.low) + ", " + Num(e.high) + "]";
  }
  return s;
}

}  // namespace perf::format
