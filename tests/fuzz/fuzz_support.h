// What every harness shares: the fuzz input as a file, for readers that only take a path. The
// reader's documented error type (perf::Error, tinytorch::Error) is a normal outcome and each
// harness catches exactly that; anything else escaping — another exception type, a crash, a
// sanitizer report, a hang, a giant allocation — is a finding libFuzzer stops on.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace fuzz {

// A directory of this process's own (parallel fuzzers do not share files), made once.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("tt-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Writes `bytes` to `path` (replacing it) and returns the path as a string.
inline std::string WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) std::abort();  // the harness itself failed, not the reader
  return path.string();
}

// The input as a file named `name` in the scratch directory.
inline std::string AsFile(const uint8_t* data, size_t size, const char* name) {
  return WriteFile(ScratchDir() / name, {reinterpret_cast<const char*>(data), size});
}

// A reader that returned something its own writer cannot read back is a finding too.
[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

}  // namespace fuzz
