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
#include <system_error>

namespace fuzz {

// A directory of this process's own (parallel fuzzers do not share files), made once and removed
// at exit. In memory (/dev/shm, a tmpfs) when the machine has one: the readers still open, read,
// write and rename real files by path, the same calls as on a user's disk, but no input waits on
// a block device. perf on this project's VM (ext4 root mounted with `discard`) showed the disk as
// the cost: each O_TRUNC rewrite of the input file freeing blocks and waiting for their discard,
// and history's run directories and files (up to 16 of each per input) created and deleted in
// ext4 taking about a third of its samples (docs/fuzzing.md). TT_FUZZ_SCRATCH=DIR overrides
// the parent directory.
inline const std::filesystem::path& ScratchDir() {
  namespace fs = std::filesystem;
  struct Scratch {
    fs::path dir;
    Scratch() {
      std::error_code ec;
      fs::path parent;
      if (const char* chosen = std::getenv("TT_FUZZ_SCRATCH"); chosen != nullptr && *chosen) {
        parent = chosen;
      } else if (fs::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK | X_OK) == 0) {
        parent = "/dev/shm";
      } else {
        parent = fs::temp_directory_path();
      }
      dir = parent / ("tt-fuzz-" + std::to_string(getpid()));
      fs::create_directories(dir);
    }
    ~Scratch() {
      std::error_code ec;  // at exit: a leftover directory is no reason to fail a clean run
      fs::remove_all(dir, ec);
    }
  };
  static const Scratch scratch;
  return scratch.dir;
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
