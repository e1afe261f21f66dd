// The body of POST /api/v1/runs (`tinyperf serve`) and of `tinyperf db import`: everything the
// server does to a bundle before a database transaction starts — the bounded JSON reader, the
// bundle's checks (RunBundle::FromJson) and the documents' rows (Normalise). The same bytes are
// also tried as the content of each kind of document, since a fuzzer rarely finds its way into a
// JSON string's escapes: results.json, environment.json and a benchmark file.
#include "fuzz_support.h"
#include "normalise.h"
#include "perf_framework/error.h"
#include "perf_framework/suite.h"
#include "perf_store/run_bundle.h"

namespace {

using perf::store::RunBundle;

void NormaliseIfValid(const RunBundle& bundle) {
  try {
    perf::store::CheckBundle(bundle, "fuzz bundle");  // the server only normalises checked bundles
  } catch (const perf::Error&) {
    return;
  }
  try {
    (void)perf::store::Normalise(bundle);
  } catch (const perf::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"results.json", "environment.json", "matmul_bench.json"}) {
    NormaliseIfValid(RunBundle{"fuzz-machine", "fuzz-run", {{name, body}}});
  }
  RunBundle bundle;
  try {
    bundle = RunBundle::FromJson(perf::ParseJson(body, "request body"), "request body");
  } catch (const perf::Error&) {
    return 0;
  }
  // An accepted bundle survives its own writer unchanged: the idempotency of a retried POST and
  // the byte-identical `db export` rest on it.
  RunBundle again;
  try {
    again = RunBundle::FromJson(perf::ParseJson(bundle.ToJson().dump(), "again"), "again");
  } catch (const perf::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    fuzz::Fail("RunBundle::FromJson rejects what ToJson wrote from an accepted bundle");
  }
  if (again.ContentHash() != bundle.ContentHash()) {
    fuzz::Fail("a bundle's content hash changed through ToJson/FromJson");
  }
  try {
    (void)perf::store::Normalise(bundle);
  } catch (const perf::Error&) {
  }
  return 0;
}
