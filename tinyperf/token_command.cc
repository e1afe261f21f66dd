// tinyperf token add|revoke --db URL --machine NAME | --athlete NAME: the tokens machines submit
// runs with, or students submit Olympics entries with. `add` prints a new token once (only its
// SHA-256 is stored); `revoke` revokes every token of the machine or athlete. Exit 0; 2 when the
// database cannot be used or the name is invalid.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "perf_framework/escape.h"
#include "perf_store/olympics_store.h"
#include "perf_store/store.h"

namespace tinyperf {

namespace {

struct TokenOptions {
  std::string db, machine, athlete;
};

// An athlete's token: the same protocol on the Olympics' own table.
int AthleteToken(const TokenOptions& o, bool add) {
  perf::store::CheckAthleteName(o.athlete, "--athlete");
  perf::store::Store store = perf::store::Store::Open(o.db);
  perf::store::OlympicsStore olympics(store);
  const std::string name = perf::escape::Terminal(o.athlete);
  if (add) {
    std::printf("%s\n", olympics.AddAthleteToken(o.athlete).c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "tinyperf token: a new token for athlete '%s' (shown once; only its hash is "
                 "stored)\n",
                 name.c_str());
  } else {
    std::printf("tinyperf token: revoked %d token(s) of athlete '%s'\n",
                olympics.RevokeAthleteTokens(o.athlete), name.c_str());
  }
  return kExitOk;
}

int Token(const TokenOptions& o, bool add) {
  try {
    PERF_CHECK(!o.machine.empty() || !o.athlete.empty(), "give --machine NAME or --athlete NAME");
    if (!o.athlete.empty()) return AthleteToken(o, add);
    perf::store::CheckName(o.machine, "--machine");
    perf::store::Store store = perf::store::Store::Open(o.db);
    if (add) {
      std::printf("%s\n", store.AddToken(o.machine).c_str());
      std::fflush(stdout);  // the token first, whatever stdout and stderr are joined into
      std::fprintf(stderr,
                   "tinyperf token: a new token for machine '%s' (shown once; only its hash is "
                   "stored)\n",
                   o.machine.c_str());
    } else {
      const int n = store.RevokeTokens(o.machine);
      std::printf("tinyperf token: revoked %d token(s) of machine '%s'\n", n, o.machine.c_str());
    }
  } catch (const perf::Error& e) {
    std::fprintf(stderr, "tinyperf token: %s\n", perf::escape::Terminal(e.what()).c_str());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void AddTokenCommands(CLI::App& app, std::function<int()>& run) {
  CLI::App* token = app.add_subcommand("token", "Submission tokens of the results server");
  token->require_subcommand(1);
  for (const bool add : {true, false}) {
    auto o = std::make_shared<TokenOptions>();
    CLI::App* c = token->add_subcommand(
        add ? "add" : "revoke",
        add ? "Print a new token for a machine or an athlete"
            : "Revoke every token of a machine or an athlete");
    c->add_option("--db", o->db, "sqlite:PATH or postgresql://...")->required();
    CLI::Option* machine =
        c->add_option("--machine", o->machine, "The machine's name ([A-Za-z0-9._-]{1,64})");
    CLI::Option* athlete = c->add_option(
        "--athlete", o->athlete, "An Olympics athlete's name (1 to 64 bytes of text)");
    machine->excludes(athlete);  // and Token asks for one of them
    c->callback([o, add, &run] { run = [o, add] { return Token(*o, add); }; });
  }
}

}  // namespace tinyperf
