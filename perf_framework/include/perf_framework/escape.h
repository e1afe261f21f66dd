// One escaping helper per output format. Benchmark names, claim ids, units, reasons and file names
// come from files anyone can write; a value written into a report must stay a value in that
// format: no markup, no new table row, no terminal control sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace perf::escape {

// Text for HTML element content and double-quoted attribute values: & < > " as entities, and
// control characters, bidi controls and invalid UTF-8 made visible as in Terminal (ESC is the
// text \x1b, a line break \n), so no raw control byte reaches the page.
std::string Html(std::string_view s);

// Text for a cell of a Markdown (GFM) table, or anywhere in a line of Markdown: \ ` * _ [ ] < > &
// and | are backslash-escaped, so a value can neither format, link, open HTML nor end its cell;
// control characters and invalid UTF-8 become visible text as in Terminal (a line break is the
// two characters \n), so it cannot start a new row, and the Markdown is safe to print. An `_`
// between two letters or digits is left alone: CommonMark never reads it as emphasis there, and
// snake_case ids stay readable.
std::string MarkdownCell(std::string_view s);

// A code span for a Markdown table cell: `s`. Inside a code span nothing formats, but a backtick
// would end it, and GFM splits cells at | and reads backslashes before it; a value with any of
// ` | \, a control character or invalid UTF-8 is therefore written as MarkdownCell(s) instead.
std::string MarkdownCode(std::string_view s);

// Text for a terminal: valid UTF-8 is kept, except that control characters become visible
// escapes: \n \r \t, \xHH for the other C0 controls and DEL (ESC is \x1b), \u00HH for C1
// controls, \uHHHH for the bidirectional formatting characters that reorder how a line reads.
// Bytes that are not valid UTF-8 are shown as \xHH. A backslash is kept as it is: the result is
// for reading, not for parsing back.
std::string Terminal(std::string_view s);

// `s` cut to at most `max_chars` characters (code points; a byte of invalid UTF-8 counts as one),
// the last of them "…" when anything was cut. Cuts only between whole UTF-8 sequences. Shorten
// before escaping: an escape is never cut in half.
std::string Shorten(std::string_view s, size_t max_chars);

}  // namespace perf::escape
