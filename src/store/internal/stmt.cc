#include "store/internal/stmt.h"

#include <sqlite3.h>

#include <utility>

namespace kefu::store::internal {

Stmt::Stmt(sqlite3* db, std::string_view sql, bool persistent) : db_(db) {
  const unsigned flags = persistent ? SQLITE_PREPARE_PERSISTENT : 0;
  if (sqlite3_prepare_v3(db, sql.data(), int(sql.size()), flags, &st_, nullptr) != SQLITE_OK) {
    error_ = std::string("sqlite prepare: ") + sqlite3_errmsg(db);
    if (st_) sqlite3_finalize(st_);
    st_ = nullptr;
  }
}

Stmt::~Stmt() {
  if (st_) sqlite3_finalize(st_);
}

Stmt::Stmt(Stmt&& o) noexcept
    : db_(o.db_), st_(std::exchange(o.st_, nullptr)), error_(std::move(o.error_)), idx_(o.idx_) {}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  std::swap(db_, o.db_);
  std::swap(st_, o.st_);
  std::swap(error_, o.error_);
  std::swap(idx_, o.idx_);
  return *this;
}

Stmt& Stmt::Reset() {
  if (st_) {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  idx_ = 0;
  return *this;
}

Stmt& Stmt::Bind(std::string_view v) {
  if (st_) sqlite3_bind_text(st_, ++idx_, v.data(), int(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::Bind(int64_t v) {
  if (st_) sqlite3_bind_int64(st_, ++idx_, v);
  return *this;
}

Stmt& Stmt::Bind(const std::optional<core::Timestamp>& t) {
  if (!st_) return *this;
  if (t)
    sqlite3_bind_int64(st_, ++idx_, Micros(*t));
  else
    sqlite3_bind_null(st_, ++idx_);
  return *this;
}

Stmt& Stmt::BindNull() {
  if (st_) sqlite3_bind_null(st_, ++idx_);
  return *this;
}

core::Result<bool> Stmt::Step() {
  if (!st_) return core::Unavailable(error_);
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Extended result codes may be on for the connection: compare the primary code.
  if ((rc & 0xff) == SQLITE_CONSTRAINT)
    return core::AlreadyExists(std::string("constraint: ") + sqlite3_errmsg(db_));
  return core::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db_));
}

core::Status Stmt::Exec() {
  auto r = Step();
  return r.ok() ? core::Status::Ok() : r.status();
}

std::string Stmt::Text(int col) const { return std::string(TextView(col)); }

std::string_view Stmt::TextView(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  return p ? std::string_view(p, size_t(sqlite3_column_bytes(st_, col))) : std::string_view();
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(st_, col); }

bool Stmt::IsNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

std::optional<core::Timestamp> Stmt::Time(int col) const {
  if (IsNull(col)) return std::nullopt;
  return FromMicros(Int(col));
}

StmtCache::Lease::Lease(Stmt* st, bool* busy, std::unique_ptr<Stmt> own)
    : st_(st), busy_(busy), own_(std::move(own)) {}

StmtCache::Lease::Lease(Lease&& o) noexcept
    : st_(std::exchange(o.st_, nullptr)),
      busy_(std::exchange(o.busy_, nullptr)),
      own_(std::move(o.own_)) {}

StmtCache::Lease::~Lease() {
  if (st_) st_->Reset();
  if (busy_) *busy_ = false;
}

StmtCache::Lease StmtCache::Use(std::string_view sql) {
  auto it = entries_.find(sql);
  if (it == entries_.end()) {
    it = entries_.emplace(std::string(sql), Entry{}).first;
    it->second.stmt = std::make_unique<Stmt>(db_, sql, true);
  }
  Entry& e = it->second;
  if (e.busy) {
    auto own = std::make_unique<Stmt>(db_, sql);
    Stmt* p = own.get();
    return Lease(p, nullptr, std::move(own));
  }
  e.busy = true;
  e.stmt->Reset();
  return Lease(e.stmt.get(), &e.busy, nullptr);
}

core::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown";
    sqlite3_free(err);
    return core::Unavailable("sqlite: " + m);
  }
  return core::Status::Ok();
}

core::Status Atomic(sqlite3* db, const char* name, const std::function<core::Status()>& fn) {
  const std::string n(name);
  KEFU_TRY(Exec(db, ("SAVEPOINT " + n).c_str()));
  core::Status st = fn();
  if (!st.ok()) {
    (void)Exec(db, ("ROLLBACK TO " + n).c_str());
    (void)Exec(db, ("RELEASE " + n).c_str());
    return st;
  }
  return Exec(db, ("RELEASE " + n).c_str());
}

core::Status InTransaction(sqlite3* db, const std::function<core::Status()>& fn) {
  KEFU_TRY(Exec(db, "BEGIN IMMEDIATE"));
  core::Status st = fn();
  if (!st.ok()) {
    (void)Exec(db, "ROLLBACK");
    return st;
  }
  st = Exec(db, "COMMIT");
  if (!st.ok()) (void)Exec(db, "ROLLBACK");
  return st;
}

}  // namespace kefu::store::internal
