// Whole-file reads and crash-safe writes, shared by tinytorch and perf_framework (which must not
// depend on each other). Errors are std::runtime_error naming the path and the OS error; each
// library rethrows them as its own exception type.
#pragma once

#include <string>
#include <string_view>

namespace fileio {

// Writes `bytes` to a temporary file beside `path`, flushes it to disk, then renames it over
// `path`: readers see the old file or the new one, never a half-written one.
void WriteAtomically(const std::string& path, std::string_view bytes);

std::string ReadAll(const std::string& path);

}  // namespace fileio
