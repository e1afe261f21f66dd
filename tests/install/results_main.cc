// Linked against the installed perf_store and perf_server alone (install_test.sh: once through
// their CMake package configs, once through pkg-config): creates a SQLite results database and
// its schema (SQLite; the token table's SHA-256 through libcrypto), and checks a server URL (the
// HTTP client's library). Prints "schema N, token for box, http://localhost:8080".
#include <cstdio>
#include <string>

#include "perf_server/submit.h"
#include "perf_store/store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: results_main DB_PATH\n");
    return 2;
  }
  perf::store::Store store = perf::store::Store::Open(std::string("sqlite:") + argv[1]);
  const int version = store.Init();
  const std::string token = store.AddToken("box");
  const std::string url = perf::server::CheckServerUrl("http://localhost:8080/");
  std::printf("schema %d, token for %s, %s\n", version,
              store.MachineForToken(token).value_or("nobody").c_str(), url.c_str());
  return 0;
}
