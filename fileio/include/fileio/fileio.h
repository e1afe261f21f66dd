// Whole-file reads, crash-safe writes and directory listings, shared by tinytorch and
// perf_framework. Dependencies run one way, tinytorch → perf_framework → fileio: perf_framework
// never depends on tinytorch (fileio/CMakeLists.txt says why). Errors are std::runtime_error
// naming the path and the OS error; each library rethrows them as its own exception type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fileio {

// Writes `bytes` to a temporary file beside `path`, flushes it to disk, then renames it over
// `path`: readers see the old file or the new one, never a half-written one.
void WriteAtomically(const std::string& path, std::string_view bytes);

std::string ReadAll(const std::string& path);

// Makes directory `dir` hold exactly copies of the files `sources` (by their file names), in one
// step: they are written into a sibling directory that then trades places with `dir` (Linux's
// renameat2 RENAME_EXCHANGE), so a reader, or a crash, sees the old set or the new one, never a
// mix or an empty directory. `dir` need not exist; its parent is created.
void ReplaceDirectoryWithCopies(const std::string& dir, const std::vector<std::string>& sources);

// The regular files in `dir` whose names end in `suffix` after at least one more character
// (".json" itself does not count), as paths sorted by name. Empty when `dir` is not a directory.
std::vector<std::string> ListFiles(const std::string& dir, std::string_view suffix);

}  // namespace fileio
