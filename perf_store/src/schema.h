// The schema, as an ordered table of migrations: migration k takes the database from version
// k - 1 to k. Append to the table; never edit an applied one.
#pragma once

#include <span>

namespace perf::store {

struct Migration {
  int version;
  const char* name;
  // DDL statements separated by ';', in the words of both backends; {id}, {blob} and {real} are
  // the three that differ (Dialect::Expand).
  const char* ddl;
};

std::span<const Migration> Migrations();

// The table that records them, created before the first migration.
inline constexpr const char* kMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
    "name TEXT NOT NULL, applied_utc TEXT NOT NULL)";

}  // namespace perf::store
