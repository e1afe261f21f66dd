// One escaping helper per output format (see escape.h for what each guarantees).
#include "perf_framework/escape.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace perf::escape {

namespace {

// One well-formed UTF-8 sequence (Unicode Table 3-7): its code point and its length in bytes.
// Length 0 when the bytes at `at` do not start one: a stray continuation byte, an overlong form,
// a surrogate, a code point beyond U+10FFFF, or a sequence cut short.
struct Utf8Char {
  char32_t code_point = 0;
  size_t length = 0;
};

Utf8Char DecodeUtf8(std::string_view s, size_t at) {
  const auto lead = static_cast<uint8_t>(s[at]);
  if (lead < 0x80) return {lead, 1};
  // After E0, ED, F0 and F4 the second byte's range is narrower: that excludes overlong forms,
  // surrogates and code points beyond U+10FFFF.
  size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {};
  }
  if (at + length > s.size()) return {};
  char32_t code_point = lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    const auto b = static_cast<uint8_t>(s[at + k]);
    if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) return {};
    code_point = code_point << 6 | (b & 0x3F);
  }
  return {code_point, length};
}

// Bytes to step over at `at`: a whole sequence, or one byte that is not valid UTF-8.
size_t CharLength(std::string_view s, size_t at) {
  return std::max<size_t>(DecodeUtf8(s, at).length, 1);
}

// Characters that reorder how the rest of a line reads ("Trojan Source", CVE-2021-42574).
bool IsBidiControl(char32_t c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

std::string Hex(const char* format, unsigned value) {
  char buf[16];  // the longest result, "\u2069", is 6 characters
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::string Html(std::string_view s) {
  // Control characters first, as in Terminal: a page is read as source and copied into
  // terminals too, and a bidi override reorders a line in a browser as in a terminal.
  const std::string text = Terminal(s);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const Utf8Char c = DecodeUtf8(s, i);
    const char32_t cp = c.code_point;
    if (c.length == 0) {
      out += Hex("\\x%02x", static_cast<uint8_t>(s[i]));
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7F) {
      out += Hex("\\x%02x", cp);
    } else if ((cp >= 0x80 && cp <= 0x9F) || IsBidiControl(cp)) {
      out += Hex("\\u%04x", cp);
    } else {
      out += s.substr(i, c.length);
    }
    i += c.length;
  }
  return out;
}

std::string MarkdownCell(std::string_view s) {
  const std::string text = Terminal(s);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool intraword_underscore = c == '_' && i > 0 && i + 1 < text.size() &&
                                      IsAsciiAlnum(text[i - 1]) && IsAsciiAlnum(text[i + 1]);
    if (std::string_view("\\`*_[]<>&|").find(c) != std::string_view::npos &&
        !intraword_underscore) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string MarkdownCode(std::string_view s) {
  const bool plain =
      !s.empty() && s.find_first_of("`|\\") == std::string_view::npos && Terminal(s) == s;
  return plain ? "`" + std::string(s) + "`" : MarkdownCell(s);
}

std::string Shorten(std::string_view s, size_t max_chars) {
  size_t keep = 0;  // bytes before the character the ellipsis replaces
  for (size_t i = 0, chars = 0; i < s.size(); i += CharLength(s, i), ++chars) {
    if (chars + 1 == max_chars) keep = i;
    if (chars == max_chars) return max_chars == 0 ? "" : std::string(s.substr(0, keep)) + "…";
  }
  return std::string(s);
}

}  // namespace perf::escape
