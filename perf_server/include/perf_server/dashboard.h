// The fleet dashboard, rendered from the results store as self-contained HTML pages (inline SVG
// and CSS, a few lines of script; nothing fetched from outside):
//   - the front page: a machine × benchmark matrix of the latest median time (one query:
//     Store::LatestValues; marked where a detected change lands on that run; each machine's
//     commit in its header), each machine's latest claim verdicts, and the detected changes with
//     their fleet verdicts (perf_store/fleet.h: k of n machines of the hardware class, confirmed /
//     hardware-specific / unconfirmed, the machine's false-alarm rate and whether it comes from
//     its noise profile or its history); a filter box hides the benchmarks not asked for;
//   - one page per benchmark, linked from its name in the matrix and the changes: its history
//     on every machine (inline SVG trend charts with the recorded changes and their commits, as
//     in history.html). A fleet has thousands of charts (20 machines × 150 benchmarks): on one
//     page they would make it far too heavy to open, so each page draws one benchmark's.
// `tinyperf serve` answers the front page at / and a benchmark's at /benchmark?name=NAME;
// `tinyperf publish` writes them as a static site (PublishDashboard).
#pragma once

#include <string>

#include "perf_store/store.h"

namespace perf::server {

// How the pages link to one another: the server's routes, or a static site's files.
enum class Site { kServer, kStatic };

// The front page. Every name from the store is HTML-escaped (and percent-encoded in links).
// Throws StoreError when the database fails.
std::string DashboardHtml(store::Store& store, Site site = Site::kServer);
// One benchmark's page: its history on every machine that measured it (what the scale
// benchmark renders for a year of a fleet).
std::string BenchmarkHistoryHtml(store::Store& store, const std::string& benchmark,
                                 Site site = Site::kServer);
// The static site's file of a benchmark's page, relative to the site's root:
// "benchmarks/BM_Matmul_n_64-<16 hex digits>.html" (the name's letters, digits, - and _, the rest
// as _, cut to 96 characters; the hash of the whole name keeps names apart).
std::string BenchmarkPageFile(const std::string& benchmark);
// Writes the static site: DIR/index.html and DIR/<BenchmarkPageFile> for every benchmark in the
// store, each file atomically, the pages first; removes the pages under DIR/benchmarks/ of
// benchmarks no longer in the store. Returns the benchmark pages written. Throws StoreError when
// the database fails, perf::Error when DIR cannot be written.
int PublishDashboard(store::Store& store, const std::string& dir);

}  // namespace perf::server
