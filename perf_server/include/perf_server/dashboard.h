// The fleet dashboard: one self-contained HTML page rendered from the results store — a machine ×
// benchmark matrix of the latest median time (one query: Store::LatestValues; marked where a
// detected change lands on that run; each machine's commit in its header), each machine's latest
// claim verdicts, the detected changes with their fleet verdicts (perf_store/fleet.h: k of n
// machines of the hardware class, confirmed / hardware-specific / unconfirmed, the machine's
// false-alarm rate), and each benchmark's history per machine (inline SVG trend charts with the
// recorded changes and their commits, as in history.html). Nothing is fetched from outside; a few lines of
// script filter the benchmarks. `tinyperf serve` answers it at /, `tinyperf publish` writes it.
#pragma once

#include <string>

#include "perf_store/store.h"

namespace perf::server {

// The page. Every name from the store is HTML-escaped. Throws StoreError when the database fails.
std::string DashboardHtml(store::Store& store);
// One benchmark's history on every machine (the page's section for it, standing alone): what the
// scale benchmark renders for a year of a fleet.
std::string BenchmarkHistoryHtml(store::Store& store, const std::string& benchmark);

}  // namespace perf::server
