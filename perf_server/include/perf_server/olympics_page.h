// The Olympics' leaderboard as JSON and as a self-contained page: per event, each athlete's best
// verified submission ranked by the server-measured score, with its interval, recipe and status,
// athletes whose intervals overlap sharing a rank (perf::store::SharedRanks), and every athlete's
// history of submissions. Every name from the store is HTML-escaped; the page loads nothing.
// `tinyperf serve` answers it at /olympics/<event>, `tinyperf olympics publish` writes it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "perf_store/olympics_store.h"

namespace perf::server {

// The rank rule, as the page and the JSON state it.
inline constexpr const char* kRankRule =
    "ranked by the server-measured score; an athlete whose score interval overlaps the interval "
    "of the athlete who opened the rank shares that rank (1, 1, 3)";

// One submission: id, status, times, score and interval (null until verified), reason, recipe;
// with the claimed submission as sent when `with_claim` (for its own athlete only).
nlohmann::json SubmissionJson(const store::SubmissionInfo& s, bool with_claim);
nlohmann::json EventsJson(const std::vector<store::EventInfo>& events);
nlohmann::json LeaderboardJson(store::OlympicsStore& o, const store::EventInfo& event);
std::string OlympicsPageHtml(store::OlympicsStore& o, const store::EventInfo& event);

// Writes DIR/<event>.html for every event and DIR/index.html linking them (atomically, one file
// at a time); returns how many events. Throws StoreError when the database fails, perf::Error
// when DIR cannot be written.
int PublishOlympics(store::Store& store, const std::string& dir);

}  // namespace perf::server
