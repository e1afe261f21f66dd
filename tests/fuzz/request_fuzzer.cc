// What a client of `tinyperf serve` controls before any body is read: the query string of the
// read API (/api/v1/runs, /series, /regressions), parsed by httplib as the server has it parsed,
// then validated by the routes' parameter functions; and the Authorization and Idempotency-Key
// headers of POST /api/v1/runs. Input: the query string, then the Authorization value, then the
// Idempotency-Key value, one per line; a missing line is an absent header.
// Every refusal must be an HttpError with a 4xx status naming a bounded field, rendered as JSON
// that the bounded reader reads back; every accepted value must keep the promise of api.h.
#include <httplib.h>

#include <optional>
#include <string>

#include "api.h"
#include "fuzz_support.h"
#include "perf_framework/error.h"
#include "perf_framework/suite.h"
#include "perf_store/run_bundle.h"

namespace {

using perf::server::HttpError;

constexpr size_t kMaxParamBytes = 256;  // api.cc's bound on a value and on a named field

// The error as the server would send it, read back: it must be a JSON object naming the field.
void CheckRefusal(const HttpError& e) {
  if (e.status != 400 && e.status != 401) fuzz::Fail("a request refusal that is not 400 or 401");
  if (e.message.empty() || e.field.size() > kMaxParamBytes) {
    fuzz::Fail("a request refusal without a message, or naming an unbounded field");
  }
  nlohmann::json back;
  try {
    back = perf::ParseJson(perf::server::Dump(perf::server::ErrorJson(e.message, e.field)),
                           "error body");
  } catch (const perf::Error& x) {
    std::fprintf(stderr, "%s\n", x.what());
    fuzz::Fail("an error answer that is not valid JSON");
  }
  if (!back.is_object() || !back.contains("error")) fuzz::Fail("an error answer without 'error'");
}

// Runs `f`; its refusals are checked, its results returned (nullopt when refused).
template <class F>
auto Try(F&& f) -> std::optional<decltype(f())> {
  try {
    return f();
  } catch (const HttpError& e) {
    CheckRefusal(e);
    return std::nullopt;
  }
}

bool Printable(const std::string& s) {
  for (const unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The next line of `rest`, or nullopt when nothing is left.
std::optional<std::string> NextLine(std::string_view& rest, bool& ended) {
  if (ended) return std::nullopt;
  const size_t nl = rest.find('\n');
  std::string line(rest.substr(0, nl));
  if (nl == std::string_view::npos) {
    ended = true;
  } else {
    rest.remove_prefix(nl + 1);
  }
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  bool ended = false;
  const std::string query = NextLine(rest, ended).value_or("");
  const std::optional<std::string> authorization = NextLine(rest, ended);
  const std::optional<std::string> key = NextLine(rest, ended);

  httplib::Params params;
  httplib::detail::parse_query_text(query, params);
  (void)Try([&] { perf::server::CheckParams(params, {}); return 0; });
  (void)Try([&] {
    perf::server::CheckParams(params, {"benchmark", "machine", "metric", "limit"});
    return 0;
  });
  for (const char* name : {"benchmark", "metric"}) {
    for (const bool required : {false, true}) {
      if (const auto v = Try([&] { return perf::server::Param(params, name, required); })) {
        if (v->size() > kMaxParamBytes || !Printable(*v) || (required && v->empty())) {
          fuzz::Fail("Param accepted an empty, long or unprintable value");
        }
      }
    }
  }
  for (const bool required : {false, true}) {
    if (const auto m = Try([&] { return perf::server::MachineParam(params, required); })) {
      if (!m->empty() || required) {
        try {
          perf::store::CheckName(*m, "machine");
        } catch (const perf::Error&) {
          fuzz::Fail("MachineParam accepted a name CheckName refuses");
        }
      }
    }
  }
  if (const auto limit = Try([&] { return perf::server::LimitParam(params, 100, 10000); })) {
    if (*limit < 1 || *limit > 10000) fuzz::Fail("LimitParam out of [1, 10000]");
  }
  if (const auto token = Try([&] { return perf::server::BearerToken(authorization); })) {
    if (token->empty() || token->size() > 256 || !Printable(*token)) {
      fuzz::Fail("BearerToken accepted an empty, long or unprintable token");
    }
  }
  if (const auto k = Try([&] { return perf::server::IdempotencyKey(key); })) {
    if (k->empty() || k->size() > 128 || !Printable(*k)) {
      fuzz::Fail("IdempotencyKey accepted an empty, long or unprintable key");
    }
  }
  return 0;
}
