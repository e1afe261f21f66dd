// Number and name formatting shared by the report writers (Markdown, HTML, comparisons, JSON,
// tinyperf's messages), so a value reads the same in every output. Every number perf_framework
// writes as text or JSON goes through one of these.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ios>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "perf_framework/escape.h"
#include "perf_framework/suite.h"

namespace perf::format {

// `digits` significant digits, as a stream writes them ("0.1235", "1.235e+06", "nan", "inf").
inline std::string Significant(double v, int digits) {
  std::ostringstream os;
  os.precision(digits);
  os << v;
  return os.str();
}

// `digits` digits after the point ("2.50", "nan").
inline std::string Fixed(double v, int digits) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

// 4 significant digits; "–" for a value that is not finite (not measured).
inline std::string Num(double v) { return std::isfinite(v) ? Significant(v, 4) : "–"; }

// A signed change in %, one decimal ("+12.3%", "-4.0%"); "n/a" when not finite.
inline std::string SignedPercent(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  // %+.1f of a huge change would have hundreds of digits (and not fit); three significant digits
  // say as much about a change beyond a billion percent.
  std::snprintf(buf, sizeof buf, std::abs(v) < 1e9 ? "%+.1f%%" : "%+.3g%%", v);
  return buf;
}

// A number in JSON, or null for NaN and infinities (JSON has neither); readers take null as NaN.
inline nlohmann::json JsonNumber(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nullptr;
}

// "2.123 x [2.05, 2.4]": the value, its unit and, when there is one, its interval; an end the
// interval does not have (too few samples for it) is "–", so that it cannot pass for exact.
inline std::string Measured(const Evidence& e) {
  if (!std::isfinite(e.value)) return "–";
  std::string s = Num(e.value) + (e.unit.empty() ? "" : " " + e.unit);
  if (std::isfinite(e.low) || std::isfinite(e.high)) {
    s += " [" + Num(e.low) + ", " + Num(e.high) + "]";
  }
  return s;
}

// A benchmark or metric name in a report: whole up to kMaxNameChars characters (the longest name
// this project writes, a history metric "claim module_19_benchmarking/<40-character id>", has
// 69), shortened visibly beyond (a hostile name cannot fill a screen), escaped for the format.
inline constexpr size_t kMaxNameChars = 80;
inline std::string TerminalName(std::string_view name) {
  return escape::Terminal(escape::Shorten(name, kMaxNameChars));
}
inline std::string MarkdownName(std::string_view name) {
  return escape::MarkdownCode(escape::Shorten(name, kMaxNameChars));
}

// `s` and spaces up to `width` characters (code points, so UTF-8 names line up); a longer `s` is
// kept whole.
inline std::string PadRight(std::string_view s, size_t width) {
  size_t chars = 0;
  for (const char c : s) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  std::string out(s);
  if (chars < width) out.append(width - chars, ' ');
  return out;
}

}  // namespace perf::format
