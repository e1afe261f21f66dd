// One backend's connection, the only place SQLite and PostgreSQL differ: how a statement with
// parameters reaches the database, how a transaction starts, and the few DDL words that differ
// (Dialect). Everything above it (schema.cc, store.cc) is the same SQL on both.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "perf_store/store.h"

namespace perf::store {

// A failure that may not recur if the transaction runs again: a PostgreSQL deadlock or
// serialization failure between concurrent imports.
class RetryableError : public StoreError {
 public:
  using StoreError::StoreError;
};

// A value bound to a statement or read from a row. Blob is bytes stored as a BLOB / BYTEA (the
// documents); std::string is TEXT.
struct Blob {
  std::string bytes;
};
using Param = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;
using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;  // blobs read as string
using Row = std::vector<Value>;

// Typed access to a row's column; throws StoreError when the column holds another type (a schema
// mismatch, never the user's input).
int64_t AsInt(const Value& v);
double AsDouble(const Value& v);     // NULL reads as NaN; an integer converts
std::string AsText(const Value& v);  // NULL reads as ""
std::optional<int64_t> AsOptionalInt(const Value& v);

// The DDL words that differ. Migrations write {id}, {blob} and {real}; Dialect::Expand replaces
// them (an auto-assigned 64-bit primary key, a byte string, an 8-byte float: SQLite's REAL is
// PostgreSQL's DOUBLE PRECISION, PostgreSQL's REAL is 4 bytes). Queries write {skip_locked} after
// a SELECT whose rows a queue's consumers claim: PostgreSQL's FOR UPDATE SKIP LOCKED, nothing on
// SQLite, where the write transaction (BEGIN IMMEDIATE) already excludes every other writer.
struct Dialect {
  const char* id;
  const char* blob;
  const char* real;
  const char* skip_locked;
  std::string Expand(const std::string& ddl) const;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual const Dialect& dialect() const = 0;
  // Statements without parameters, several separated by ';' (the migrations).
  virtual void Exec(const std::string& sql) = 0;
  // One statement, parameters written $1, $2, ... (never values spliced into the text).
  virtual std::vector<Row> Query(const std::string& sql, const std::vector<Param>& params) = 0;
  // A write transaction: SQLite takes the write lock at once (BEGIN IMMEDIATE), so two writers
  // never deadlock upgrading a read lock; PostgreSQL runs READ COMMITTED.
  virtual void Begin() = 0;
  // Within a migration's transaction: other processes' migrations wait until it commits.
  virtual void LockForMigration() = 0;
  virtual bool HasTable(const std::string& name) = 0;
  // Before each call: reconnects a PostgreSQL connection the server dropped (a restart), throws
  // StoreError if it still cannot connect.
  virtual void EnsureConnected() {}
  void Commit() { Exec("COMMIT"); }
  void Rollback() noexcept;

  std::mutex mutex;             // Store serialises its calls on one connection with it
  bool schema_current = false;  // RequireCurrent has seen this build's schema version
};

// path: the PATH of "sqlite:PATH".
std::unique_ptr<Database> OpenSqlite(const std::string& path);
// uri: "postgresql://..." or "postgres://...".
std::unique_ptr<Database> OpenPostgres(const std::string& uri);

// Throws StoreError ("run tinyperf db init") unless the database has this build's schema;
// reconnects a dropped connection first. Checked once per connection.
void RequireCurrent(Database& db);

// Rolls back unless committed: an exception anywhere in a transaction leaves nothing behind.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) { db_.Begin(); }
  ~Transaction() {
    if (!done_) db_.Rollback();
  }
  void Commit() {
    db_.Commit();
    done_ = true;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace perf::store
