// The SQLite backend: one file, WAL mode (readers never block the writer, and a crash leaves the
// database consistent), a 10 s busy timeout so concurrent writers wait instead of failing.
#include <sqlite3.h>

#include <cctype>
#include <string>

#include "database.h"

namespace perf::store {

namespace {

constexpr int kBusyTimeoutMs = 10'000;

const Dialect kSqliteDialect{"INTEGER PRIMARY KEY", "BLOB", "REAL", ""};

// "$1" -> "?1": one parameter syntax in the shared SQL; SQLite's numbered form is ?NNN.
std::string NumberedParameters(const std::string& sql) {
  std::string out = sql;
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && std::isdigit(static_cast<unsigned char>(out[i + 1]))) out[i] = '?';
  }
  return out;
}

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(const std::string& path) : path_(path) {
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw StoreError("sqlite:" + path + ": cannot open (" + why + ")");
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db_, 1);
    // WAL persists in the file; synchronous=NORMAL is durable across a process crash in WAL mode
    // (only a power loss can drop the last commits); foreign keys are off unless asked for.
    Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
  }
  ~SqliteDatabase() override { sqlite3_close(db_); }

  const Dialect& dialect() const override { return kSqliteDialect; }

  void Exec(const std::string& sql) override {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string why = message ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      Fail(why, sql);
    }
  }

  std::vector<Row> Query(const std::string& sql, const std::vector<Param>& params) override {
    sqlite3_stmt* stmt = nullptr;
    const std::string text = NumberedParameters(sql);
    if (sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      Fail(sqlite3_errmsg(db_), sql);
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
    for (size_t i = 0; i < params.size(); ++i) Bind(stmt, static_cast<int>(i + 1), params[i], sql);
    std::vector<Row> rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) Fail(sqlite3_errmsg(db_), sql);
      rows.push_back(ReadRow(stmt));
    }
    return rows;
  }

  void Begin() override { Exec("BEGIN IMMEDIATE"); }
  void LockForMigration() override {}  // BEGIN IMMEDIATE already excludes every other writer
  bool HasTable(const std::string& name) override {
    return !Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1", {name})
                .empty();
  }

 private:
  [[noreturn]] void Fail(const std::string& why, const std::string& sql) const {
    throw StoreError("sqlite:" + path_ + ": " + why + " (in: " + sql.substr(0, 80) + ")");
  }

  void Bind(sqlite3_stmt* stmt, int i, const Param& p, const std::string& sql) const {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(p)) {
      rc = sqlite3_bind_null(stmt, i);
    } else if (const auto* n = std::get_if<int64_t>(&p)) {
      rc = sqlite3_bind_int64(stmt, i, *n);
    } else if (const auto* d = std::get_if<double>(&p)) {
      rc = sqlite3_bind_double(stmt, i, *d);
    } else if (const auto* s = std::get_if<std::string>(&p)) {
      rc = sqlite3_bind_text64(stmt, i, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      const std::string& bytes = std::get<Blob>(p).bytes;
      rc = sqlite3_bind_blob64(stmt, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) Fail(sqlite3_errmsg(db_), sql);
  }

  static Row ReadRow(sqlite3_stmt* stmt) {
    Row row;
    const int n = sqlite3_column_count(stmt);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_NULL:
          row.emplace_back(nullptr);
          break;
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(stmt, c));
          break;
        default: {  // TEXT or BLOB: bytes either way (a zero-length blob has a null pointer)
          const void* data = sqlite3_column_blob(stmt, c);
          const int size = sqlite3_column_bytes(stmt, c);
          row.emplace_back(data ? std::string(static_cast<const char*>(data), size)
                                : std::string());
        }
      }
    }
    return row;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Database> OpenSqlite(const std::string& path) {
  return std::make_unique<SqliteDatabase>(path);
}

}  // namespace perf::store
