// The fleet dashboard: one self-contained HTML page rendered from the results store — a machine ×
// benchmark matrix of the latest median time (marked where a detected change lands on that run),
// the list of detected changes, and each benchmark's history per machine (inline SVG trend
// charts with change points, as in history.html). Nothing is fetched from outside; a few lines of
// script filter the benchmarks. `tinyperf serve` answers it at /, `tinyperf publish` writes it.
#pragma once

#include <string>

#include "perf_store/store.h"

namespace perf::server {

// The page. Every name from the store is HTML-escaped. Throws StoreError when the database fails.
std::string DashboardHtml(store::Store& store);

}  // namespace perf::server
