// Checks on rendered reports: the cells of a Markdown table row, the lines of a text table, the
// numbers of an SVG chart, how often something occurs.
#pragma once

#include <algorithm>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace tinytorch::testing {

// Cell borders of a GFM table row: every | that no backslash escapes (an escaped backslash
// escapes nothing after it).
inline int TableCellBorders(std::string_view row) {
  int borders = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
    } else if (row[i] == '|') {
      ++borders;
    }
  }
  return borders;
}

// The lines of `text` that start with `prefix`.
inline std::vector<std::string> LinesStartingWith(std::string_view text, std::string_view prefix) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, end - at);
    if (line.substr(0, prefix.size()) == prefix) lines.emplace_back(line);
    at = end + 1;
  }
  return lines;
}

// How often `what` occurs in `text`.
inline size_t Occurrences(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// Geometry attributes of SVG elements (x="…", cy="…", points="…", …) whose value is not made of
// numbers alone, e.g. x="nan" or points="inf,-nan": what a chart draws from an unguarded log or
// division.
inline std::vector<std::string> SvgAttributesThatAreNotNumbers(const std::string& svg) {
  static const std::regex kAttribute(
      R"re(\s(x|y|x1|y1|x2|y2|cx|cy|r|width|height|points)="([^"]*)")re");
  static const std::regex kNumbers(R"re([-+0-9.e, ]*)re");
  std::vector<std::string> bad;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kAttribute);
       it != std::sregex_iterator(); ++it) {
    if (!std::regex_match((*it)[2].str(), kNumbers)) bad.push_back((*it)[0].str());
  }
  return bad;
}

}  // namespace tinytorch::testing
