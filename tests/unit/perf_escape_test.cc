// Escaping per output format: names, ids and reasons come from files anyone can write, so hostile
// values (markup, forged table rows, terminal control sequences, invalid UTF-8, huge names) must
// come out as visible text that stays in its cell, row or line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "support/report_testing.h"

namespace perf {
namespace {

using escape::Html;
using escape::MarkdownCell;
using escape::MarkdownCode;
using escape::Shorten;
using escape::Terminal;
using ::testing::HasSubstr;
using ::testing::Not;
using tinytorch::testing::TableCellBorders;

const std::string kForgedRow = "BM_A\n| 1 | forged |";

// Code points, a byte of invalid UTF-8 counted as one (as Shorten counts).
size_t Chars(const std::string& s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

TEST(PerfEscapeTest, HtmlTurnsMarkupIntoText) {
  EXPECT_EQ(Html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(Html("a\" onload=\"x & y"), "a&quot; onload=&quot;x &amp; y");
  EXPECT_EQ(Html("BM_MatMul/n:256 é"), "BM_MatMul/n:256 é");
}

// A page saved from a browser or viewed as source is text too: control characters, bidi
// overrides and invalid UTF-8 become visible escapes as in Terminal, never raw bytes.
TEST(PerfEscapeTest, HtmlShowsControlCharactersAsText) {
  EXPECT_EQ(Html("\x1b[31m<red>"), "\\x1b[31m&lt;red&gt;");
  EXPECT_EQ(Html(std::string("a\0b\x7f\n\"", 6)), "a\\x00b\\x7f\\n&quot;");
  EXPECT_EQ(Html("abc\xe2\x80\xae"
                 "fed"),
            "abc\\u202efed");
  EXPECT_EQ(Html("\xff&"), "\\xff&amp;");
}

TEST(PerfEscapeTest, MarkdownCellEscapesMarkupAndStaysInItsCell) {
  EXPECT_EQ(MarkdownCell("a|b"), "a\\|b");
  EXPECT_EQ(MarkdownCell("<script>"), "\\<script\\>");
  EXPECT_EQ(MarkdownCell("*b* [l](http://x) `c` &amp; \\"),
            "\\*b\\* \\[l\\](http://x) \\`c\\` \\&amp; \\\\");
  EXPECT_EQ(MarkdownCell("_em_ a__b"), "\\_em\\_ a\\_\\_b");
  // Between letters or digits an underscore cannot emphasize: ids stay as they are.
  EXPECT_EQ(MarkdownCell("naive_to_library_5_to_100x"), "naive_to_library_5_to_100x");
  // A line break is the two characters \n (the backslash escaped), never a new row.
  EXPECT_EQ(MarkdownCell(kForgedRow), "BM_A\\\\n\\| 1 \\| forged \\|");
  const std::string row = "| " + MarkdownCell(kForgedRow) + " | 2 |";
  EXPECT_THAT(row, Not(HasSubstr("\n")));
  EXPECT_EQ(TableCellBorders(row), 3);
  // A backslash right before a pipe cannot unescape it.
  EXPECT_EQ(TableCellBorders("| " + MarkdownCell("a\\|b\\") + " |"), 2);
  // Terminal controls are shown, so Markdown printed to a terminal is safe too.
  EXPECT_EQ(MarkdownCell("\x1b[31mred"), "\\\\x1b\\[31mred");
}

TEST(PerfEscapeTest, MarkdownCodeKeepsPlainNamesAsCodeSpans) {
  EXPECT_EQ(MarkdownCode("BM_MatMul/n:256/real_time"), "`BM_MatMul/n:256/real_time`");
  EXPECT_EQ(MarkdownCode("<b>*x*</b>"), "`<b>*x*</b>`");  // nothing formats inside a code span
  // What a code span cannot hold is written as an escaped cell instead.
  for (const std::string s : {"a|b", "a`b", "a\\b", kForgedRow.c_str(), "\x1b[2J", "\xff"}) {
    EXPECT_EQ(MarkdownCode(s), MarkdownCell(s)) << s;
  }
  EXPECT_EQ(TableCellBorders("| " + MarkdownCode(kForgedRow) + " |"), 2);
  EXPECT_EQ(MarkdownCode(""), "");
}

TEST(PerfEscapeTest, TerminalShowsControlCharactersAndKeepsUtf8) {
  EXPECT_EQ(Terminal("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(Terminal("a\rb\nc\td"), "a\\rb\\nc\\td");
  EXPECT_EQ(Terminal(std::string("a\0b\x7f", 4)), "a\\x00b\\x7f");
  EXPECT_EQ(Terminal("\xc2\x9b"
                     "2J"),
            "\\u009b2J");  // C1 CSI, as UTF-8
  EXPECT_EQ(Terminal("abc\xe2\x80\xae"
                     "fed"),
            "abc\\u202efed");  // right-to-left override
  EXPECT_EQ(Terminal("héllo ✓ 日本 😀 a\\b"), "héllo ✓ 日本 😀 a\\b");
  // Invalid UTF-8, byte by byte: a lone byte, a cut sequence, an overlong '/', a surrogate, a
  // code point beyond U+10FFFF, a stray continuation byte.
  EXPECT_EQ(Terminal("\xff"), "\\xff");
  EXPECT_EQ(Terminal("a\xc3"), "a\\xc3");
  EXPECT_EQ(Terminal("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(Terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(Terminal("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  EXPECT_EQ(Terminal("\x80z"), "\\x80z");
}

TEST(PerfEscapeTest, ShortenCutsVisiblyAtACharacterBoundary) {
  EXPECT_EQ(Shorten("abcdef", 4), "abc…");
  EXPECT_EQ(Shorten("abcd", 4), "abcd");
  EXPECT_EQ(Shorten("abcd", 1), "…");
  EXPECT_EQ(Shorten("abcd", 0), "");
  const std::string long_name(500, 'x');
  const std::string shortened = Shorten(long_name, 80);
  EXPECT_EQ(shortened, std::string(79, 'x') + "…");
  EXPECT_EQ(Chars(shortened), 80u);
  EXPECT_EQ(Shorten("ééééé", 3), "éé…");  // 2-byte characters
  EXPECT_EQ(Shorten("日本語テキスト", 4), "日本語…");
  EXPECT_EQ(Shorten("😀😀😀", 2), "😀…");
  EXPECT_EQ(Shorten("\xff\xfe\xfd", 2), "\xff…");  // an invalid byte is one character
  // At every length the cut leaves valid UTF-8 (Terminal keeps valid UTF-8 as it is).
  const std::string mixed = "aé日😀b€";
  for (size_t n = 0; n <= 7; ++n) {
    const std::string s = Shorten(mixed, n);
    EXPECT_EQ(Terminal(s), s) << n;
    EXPECT_LE(Chars(s), n);
  }
}

TEST(PerfEscapeTest, NamesForTablesAreShortenedEscapedAndPadded) {
  const std::string hostile = "\x1b[31m" + std::string(500, 'y');
  const std::string name = format::TerminalName(hostile);
  EXPECT_EQ(name.rfind("\\x1b[31m", 0), 0u);
  EXPECT_THAT(name, HasSubstr("…"));
  EXPECT_LT(name.size(), 100u);
  EXPECT_EQ(format::MarkdownName("BM_A/8"), "`BM_A/8`");
  EXPECT_EQ(format::PadRight("é", 3), "é  ");
  EXPECT_EQ(format::PadRight("abcd", 3), "abcd");
}

}  // namespace
}  // namespace perf
