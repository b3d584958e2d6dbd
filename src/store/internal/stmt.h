// store/internal/stmt.h: the SQLite statement wrapper shared by the store's repositories
// (orders_repo.cc, robot_repo.cc): prepared statements with chained binds and Result-valued
// steps, a per-connection statement cache, and savepoint / transaction helpers. Private to store/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/core.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kefu::store::internal {

// Timestamps are stored as integer microseconds since the Unix epoch.
inline int64_t Micros(core::Timestamp t) { return t.time_since_epoch().count(); }
inline core::Timestamp FromMicros(int64_t v) { return core::Timestamp(core::Duration(v)); }

// One prepared statement, finalised with the object. Binds are positional and chained
// (q.Bind(a).Bind(b)); Reset() rewinds and clears them. A statement that failed to prepare
// answers every Step() with kUnavailable naming the SQLite error. Not thread-safe.
class Stmt {
 public:
  // `persistent` hints SQLite that the statement is kept for many uses (cached statements).
  Stmt(sqlite3* db, std::string_view sql, bool persistent = false);
  ~Stmt();
  Stmt(Stmt&& o) noexcept;
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // True when the statement was prepared.
  bool ok() const { return st_ != nullptr; }

  // Rewinds the statement (ending its read, so no snapshot is kept) and clears the binds.
  Stmt& Reset();
  Stmt& Bind(std::string_view v);
  Stmt& Bind(const char* v) { return Bind(std::string_view(v)); }
  Stmt& Bind(const std::string& v) { return Bind(std::string_view(v)); }
  Stmt& Bind(int64_t v);
  Stmt& Bind(const std::optional<core::Timestamp>& t);  // NULL when absent
  Stmt& BindNull();

  // true: a row is ready; false: done. kAlreadyExists on a constraint violation,
  // kUnavailable on any other SQLite error.
  core::Result<bool> Step();
  // Steps once and drops any row; the status of Step().
  core::Status Exec();

  std::string Text(int col) const;
  // The column's bytes, valid until the next Step/Reset.
  std::string_view TextView(int col) const;
  int64_t Int(int col) const;
  bool IsNull(int col) const;
  std::optional<core::Timestamp> Time(int col) const;  // nullopt for NULL

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
  std::string error_;
  int idx_ = 0;
};

// Prepared statements of one connection, kept for reuse by their SQL text. Use() leases the
// statement; the lease resets it when it ends, so no cached statement holds a read open
// between calls. A statement already leased (a nested use of the same SQL) is prepared afresh
// for the inner lease. Not thread-safe: one per connection, used by one thread at a time.
class StmtCache {
 public:
  class Lease {
   public:
    Lease(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Stmt& operator*() { return *st_; }
    Stmt* operator->() { return st_; }
    // The statement's own calls, so a lease reads like a Stmt.
    Stmt& Reset() { return st_->Reset(); }
    Stmt& Bind(std::string_view v) { return st_->Bind(v); }
    Stmt& Bind(const char* v) { return st_->Bind(v); }
    Stmt& Bind(const std::string& v) { return st_->Bind(v); }
    Stmt& Bind(int64_t v) { return st_->Bind(v); }
    Stmt& Bind(const std::optional<core::Timestamp>& t) { return st_->Bind(t); }
    Stmt& BindNull() { return st_->BindNull(); }
    core::Result<bool> Step() { return st_->Step(); }
    core::Status Exec() { return st_->Exec(); }
    std::string Text(int col) const { return st_->Text(col); }
    std::string_view TextView(int col) const { return st_->TextView(col); }
    int64_t Int(int col) const { return st_->Int(col); }
    bool IsNull(int col) const { return st_->IsNull(col); }
    std::optional<core::Timestamp> Time(int col) const { return st_->Time(col); }

   private:
    friend class StmtCache;
    Lease(Stmt* st, bool* busy, std::unique_ptr<Stmt> own);
    Stmt* st_;
    bool* busy_;
    std::unique_ptr<Stmt> own_;
  };

  explicit StmtCache(sqlite3* db) : db_(db) {}
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;

  // The statement for `sql`, reset and without binds.
  Lease Use(std::string_view sql);
  sqlite3* db() const { return db_; }

 private:
  struct Entry {
    std::unique_ptr<Stmt> stmt;
    bool busy = false;
  };
  sqlite3* db_;
  std::map<std::string, Entry, std::less<>> entries_;
};

// Runs SQL text without results (several statements allowed); kUnavailable with SQLite's
// message on failure.
core::Status Exec(sqlite3* db, const char* sql);

// Runs fn inside SAVEPOINT `name`: all of its writes or none. Inside an open transaction the
// savepoint nests and its rows commit with that transaction.
core::Status Atomic(sqlite3* db, const char* name, const std::function<core::Status()>& fn);

// Runs fn in a transaction of its own (BEGIN IMMEDIATE ... COMMIT); rolls back when fn or the
// commit fails.
core::Status InTransaction(sqlite3* db, const std::function<core::Status()>& fn);

}  // namespace kefu::store::internal
