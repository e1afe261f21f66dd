// A harness without libFuzzer, for replaying seeds: `<reader>_replay FILE...` gives each file once
// to the harness's LLVMFuzzerTestOneInput, as libFuzzer does when it is given files. It links into
// the ASan + UBSan build the unit tests already compiled (the asan preset), so CI's replay of every
// committed seed (scripts/fuzz.sh --replay) builds no second, clang-instrumented copy of the
// libraries. libFuzzer's limits are kept: an input running longer than TT_REPLAY_TIMEOUT seconds
// (default 10) is a hang, reported with its file; the allocation and memory limits are ASan's
// (max_allocation_size_mb, hard_rss_limit_mb), which fuzz.sh sets.
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being run, for the alarm's message; its length is taken beforehand, so the handler
// calls only write and _exit (async-signal-safe).
const char* current_input = "";
size_t current_input_length = 0;

void OnAlarm(int) {
  constexpr char kPrefix[] = "replay: timeout: ";
  constexpr char kSuffix[] = " ran longer than TT_REPLAY_TIMEOUT seconds (a hang)\n";
  (void)!write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  (void)!write(STDERR_FILENO, current_input, current_input_length);
  (void)!write(STDERR_FILENO, kSuffix, sizeof kSuffix - 1);
  _exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned timeout = 10;
  if (const char* t = std::getenv("TT_REPLAY_TIMEOUT"); t != nullptr && *t) {
    timeout = static_cast<unsigned>(std::strtoul(t, nullptr, 10));
  }
  std::signal(SIGALRM, OnAlarm);
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: cannot read %s\n", argv[i]);
      return 1;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // An allocation of exactly the input's size, as libFuzzer makes: a read one byte past the end
    // is an ASan report, not a read into spare capacity.
    const auto data = std::make_unique<uint8_t[]>(bytes.size());
    std::memcpy(data.get(), bytes.data(), bytes.size());
    current_input = argv[i];
    current_input_length = std::strlen(argv[i]);
    alarm(timeout);
    const int rc = LLVMFuzzerTestOneInput(data.get(), bytes.size());
    alarm(0);
    if (rc != 0) {
      std::fprintf(stderr, "replay: %s: the harness returned %d\n", argv[i], rc);
      return 1;
    }
  }
  std::printf("replay: %d inputs, no findings\n", argc - 1);
  return 0;
}
