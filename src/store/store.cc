#include "store/store.h"

#include <argon2.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

namespace kefu::store {

namespace {

using conversation::Conversation;
using conversation::Message;

int64_t Micros(core::Timestamp t) { return t.time_since_epoch().count(); }
core::Timestamp FromMicros(int64_t v) { return core::Timestamp(core::Duration(v)); }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}
std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// A prepared statement bound to one connection.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db) + " in " + sql);
  }
  Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(st_, o.st_);
    return *this;
  }
  ~Stmt() { if (st_) sqlite3_finalize(st_); }

  Stmt& Reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    idx_ = 0;
    return *this;
  }
  Stmt& Bind(const std::string& v) {
    sqlite3_bind_text(st_, ++idx_, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindNullable(const std::string& v) {
    if (v.empty()) sqlite3_bind_null(st_, ++idx_);
    else Bind(v);
    return *this;
  }
  Stmt& Bind(int64_t v) {
    sqlite3_bind_int64(st_, ++idx_, v);
    return *this;
  }
  Stmt& BindNull() {
    sqlite3_bind_null(st_, ++idx_);
    return *this;
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false, errors -> status.
  core::Result<bool> Step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_CONSTRAINT)
      return core::AlreadyExists(std::string("constraint: ") + sqlite3_errmsg(db_));
    return core::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  core::Status Exec() {
    auto r = Step();
    if (!r.ok()) return r.status();
    return core::Status::Ok();
  }
  std::string Text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string(p, size_t(sqlite3_column_bytes(st_, col))) : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(st_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
  int idx_ = 0;
};

core::Status ExecSql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown";
    sqlite3_free(err);
    return core::Unavailable("sqlite: " + m);
  }
  return core::Status::Ok();
}

// Migrations in order; each runs once, recorded in schema_migrations.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE shops (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, platform TEXT NOT NULL, tz TEXT NOT NULL,
  ingest_key_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE users (
  id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner','lead','agent')), password_hash TEXT NOT NULL,
  skills TEXT NOT NULL DEFAULT 'presale', max_concurrent INTEGER NOT NULL DEFAULT 8,
  created_at INTEGER NOT NULL);
CREATE TABLE shop_members (
  shop_id TEXT NOT NULL REFERENCES shops(id), user_id TEXT NOT NULL REFERENCES users(id),
  PRIMARY KEY (shop_id, user_id));
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY, shop_id TEXT NOT NULL, buyer TEXT NOT NULL, status TEXT NOT NULL,
  agent_id TEXT, skill TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  waiting_since INTEGER, last_agent_id TEXT, last_agent_at INTEGER NOT NULL DEFAULT 0,
  transfer_note TEXT, last_text TEXT, last_from TEXT, last_ts INTEGER NOT NULL DEFAULT 0,
  unread INTEGER NOT NULL DEFAULT 0, UNIQUE (shop_id, buyer));
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL, shop_id TEXT NOT NULL, buyer TEXT NOT NULL,
  sender TEXT NOT NULL, agent_id TEXT, text TEXT NOT NULL, ts INTEGER NOT NULL,
  client_msg_id TEXT, order_id TEXT, dedupe_key TEXT UNIQUE);
CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
CREATE INDEX messages_by_buyer ON messages (shop_id, buyer, seq);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, shop_id TEXT NOT NULL,
  agent_id TEXT, buyer TEXT, buyer_visible INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL,
  ts INTEGER NOT NULL);
CREATE INDEX events_by_shop ON events (shop_id, seq);
)sql",
    // 2: orders, 审单, after-sales, compensations and the audit log (store/orders_repo.cc).
    R"sql(
CREATE TABLE orders (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, shop_id TEXT NOT NULL, id TEXT NOT NULL,
  platform TEXT NOT NULL, buyer TEXT NOT NULL, status TEXT NOT NULL,
  shipping_fee INTEGER NOT NULL, goods_total INTEGER NOT NULL,
  original_goods_total INTEGER NOT NULL, goods_total_changes INTEGER NOT NULL DEFAULT 0,
  shipping_fee_changes INTEGER NOT NULL DEFAULT 0, province TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '', district TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '', created_at INTEGER,
  paid_at INTEGER, promised_ship_time INTEGER, shipped_at INTEGER, delivered_at INTEGER,
  tracking_no TEXT NOT NULL DEFAULT '', carrier TEXT NOT NULL DEFAULT '',
  campaign TEXT NOT NULL DEFAULT '', group_id TEXT, group_required INTEGER,
  group_joined INTEGER, group_formed_at INTEGER, UNIQUE (shop_id, id));
CREATE INDEX orders_by_buyer ON orders (shop_id, buyer, seq);
CREATE TABLE order_items (
  shop_id TEXT NOT NULL, order_id TEXT NOT NULL, idx INTEGER NOT NULL, sku TEXT NOT NULL,
  name TEXT NOT NULL, qty INTEGER NOT NULL, unit_price INTEGER NOT NULL,
  PRIMARY KEY (shop_id, order_id, idx));
CREATE TABLE order_remarks (
  shop_id TEXT NOT NULL, order_id TEXT NOT NULL, text TEXT NOT NULL,
  PRIMARY KEY (shop_id, order_id));
CREATE TABLE order_flags (
  shop_id TEXT NOT NULL, order_id TEXT NOT NULL, color TEXT NOT NULL, note TEXT NOT NULL,
  PRIMARY KEY (shop_id, order_id));
CREATE TABLE review_queue (
  shop_id TEXT NOT NULL, order_id TEXT NOT NULL, bucket TEXT NOT NULL, findings TEXT NOT NULL,
  paid_at INTEGER, decided_by TEXT NOT NULL DEFAULT '', decided_at INTEGER,
  note TEXT NOT NULL DEFAULT '', PRIMARY KEY (shop_id, order_id));
CREATE TABLE catalog_items (
  shop_id TEXT NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL, stock INTEGER NOT NULL,
  price INTEGER NOT NULL, PRIMARY KEY (shop_id, sku));
CREATE TABLE blacklist (
  shop_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (shop_id, kind, value));
CREATE TABLE aftersales_cases (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, shop_id TEXT NOT NULL,
  order_id TEXT NOT NULL, buyer TEXT NOT NULL, type TEXT NOT NULL, problem TEXT NOT NULL,
  reason_code TEXT NOT NULL, category TEXT NOT NULL, amount INTEGER NOT NULL,
  order_shipped INTEGER NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL,
  state_since INTEGER NOT NULL, next_followup_at INTEGER, followups TEXT NOT NULL,
  return_tracking_no TEXT NOT NULL, return_carrier TEXT NOT NULL, return_condition INTEGER,
  replacement_tracking_no TEXT NOT NULL, note TEXT NOT NULL, auto_resolved INTEGER NOT NULL);
CREATE INDEX cases_by_shop ON aftersales_cases (shop_id, seq);
CREATE TABLE approval_requests (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, shop_id TEXT NOT NULL,
  order_id TEXT NOT NULL, action TEXT NOT NULL, requested_by TEXT NOT NULL,
  reasons TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL,
  decided_by TEXT NOT NULL DEFAULT '', decided_at INTEGER, note TEXT NOT NULL DEFAULT '');
CREATE INDEX approvals_by_shop ON approval_requests (shop_id, state, seq);
CREATE TABLE compensations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, shop_id TEXT NOT NULL,
  order_id TEXT NOT NULL, kind TEXT NOT NULL, amount INTEGER NOT NULL, action TEXT NOT NULL,
  requested_by TEXT NOT NULL, approved_by TEXT NOT NULL, approval_id TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX compensations_by_order ON compensations (shop_id, order_id, seq);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, shop_id TEXT NOT NULL,
  actor_id TEXT NOT NULL, at INTEGER NOT NULL, action TEXT NOT NULL, entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL, before_json TEXT NOT NULL, after_json TEXT NOT NULL);
CREATE INDEX audit_by_shop ON audit_log (shop_id, seq);
CREATE INDEX audit_by_entity ON audit_log (shop_id, entity_id, seq);
)sql",
    // 3: the FAQ robot: knowledge base, settings, questions for the learning loop
    // (store/robot_repo.cc).
    R"sql(
CREATE TABLE faq_entries (
  shop_id TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (shop_id, id));
CREATE TABLE robot_settings (
  shop_id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE robot_questions (
  id TEXT PRIMARY KEY, shop_id TEXT NOT NULL, conversation_id TEXT NOT NULL, text TEXT NOT NULL,
  agent_answer TEXT NOT NULL DEFAULT '', robot_abstained INTEGER NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX robot_questions_by_shop ON robot_questions (shop_id, ts);
)sql",
    // 4 (h/orders): each shop's permission policy (store/orders_repo.cc), and orders by status
    // for the 审单 queue and the 拼团 sweep.
    R"sql(
CREATE TABLE shop_policies (
  shop_id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL);
CREATE INDEX orders_by_status ON orders (shop_id, status, seq);
)sql",
};

sqlite3* OpenConnection(const std::string& path, bool readonly, std::string* err) {
  sqlite3* db = nullptr;
  const int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    *err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

struct Store::Impl {
  std::string path;
  Options opt;
  sqlite3* writer = nullptr;

  // Writer statements.
  Stmt ins_shop, ins_user, ins_member, ins_session, del_session, find_dedupe, ins_message,
      save_conv, ins_event;

  // Reader pool.
  std::mutex readers_mu;
  std::vector<sqlite3*> free_readers;
  std::vector<sqlite3*> all_readers;

  // Group-commit queue.
  mutable std::mutex q_mu;
  std::condition_variable q_cv;
  std::deque<std::unique_ptr<WriteJob>> queue;
  bool running = false;
  bool stopping = false;
  std::thread thread;

  ~Impl() {
    // Statements must be finalised before their connection closes.
    ins_shop = Stmt(); ins_user = Stmt(); ins_member = Stmt(); ins_session = Stmt();
    del_session = Stmt(); find_dedupe = Stmt(); ins_message = Stmt(); save_conv = Stmt();
    ins_event = Stmt();
    for (auto* r : all_readers) sqlite3_close(r);
    if (writer) sqlite3_close(writer);
  }

  sqlite3* AcquireReader() {
    std::lock_guard lock(readers_mu);
    if (!free_readers.empty()) {
      auto* r = free_readers.back();
      free_readers.pop_back();
      return r;
    }
    std::string err;
    sqlite3* r = OpenConnection(path, true, &err);
    if (r) all_readers.push_back(r);
    return r;
  }
  void ReleaseReader(sqlite3* r) {
    std::lock_guard lock(readers_mu);
    free_readers.push_back(r);
  }

  void Loop() {
    std::vector<std::unique_ptr<WriteJob>> batch;
    for (;;) {
      {
        std::unique_lock lock(q_mu);
        q_cv.wait(lock, [&] { return !queue.empty() || stopping; });
        if (queue.empty() && stopping) return;
        while (!queue.empty() && batch.size() < opt.max_batch) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      bool ok = ExecSql(writer, "BEGIN IMMEDIATE").ok();
      if (ok) {
        for (auto& job : batch) {
          (void)ExecSql(writer, "SAVEPOINT job");
          if (job->Run()) {
            (void)ExecSql(writer, "RELEASE job");
          } else {
            (void)ExecSql(writer, "ROLLBACK TO job");
            (void)ExecSql(writer, "RELEASE job");
          }
        }
        ok = ExecSql(writer, "COMMIT").ok();
        if (!ok) (void)ExecSql(writer, "ROLLBACK");
      }
      for (auto& job : batch) job->Done(ok);
      batch.clear();
    }
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() { StopWriter(); }

core::Result<std::unique_ptr<Store>> Store::Open(const std::string& data_dir, Options opt) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return core::Unavailable("cannot create data directory " + data_dir + ": " + ec.message());
  auto impl = std::make_unique<Impl>();
  impl->path = (std::filesystem::path(data_dir) / "kefu.db").string();
  impl->opt = opt;
  std::string err;
  impl->writer = OpenConnection(impl->path, false, &err);
  if (!impl->writer) return core::Unavailable("cannot open " + impl->path + ": " + err);
  sqlite3* db = impl->writer;
  KEFU_TRY(ExecSql(db, "PRAGMA journal_mode=WAL"));
  const std::string sync = opt.synchronous == "normal" ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL";
  KEFU_TRY(ExecSql(db, sync.c_str()));
  KEFU_TRY(ExecSql(db, "PRAGMA foreign_keys=ON"));
  KEFU_TRY(ExecSql(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
  int64_t applied = 0;
  {
    Stmt q(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    auto r = q.Step();
    if (!r.ok()) return r.status();
    applied = q.Int(0);
  }
  const int64_t total = int64_t(std::size(kMigrations));
  if (applied > total)
    return core::FailedPrecondition("the data directory was written by a newer kefu (schema " +
                                    std::to_string(applied) + ")");
  for (int64_t v = applied + 1; v <= total; ++v) {
    KEFU_TRY(ExecSql(db, "BEGIN IMMEDIATE"));
    core::Status st = ExecSql(db, kMigrations[v - 1]);
    if (st.ok()) {
      Stmt rec(db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))");
      st = rec.Bind(v).Exec();
    }
    if (!st.ok()) {
      (void)ExecSql(db, "ROLLBACK");
      return st;
    }
    KEFU_TRY(ExecSql(db, "COMMIT"));
  }
  impl->ins_shop = Stmt(db, "INSERT INTO shops (id, name, platform, tz, ingest_key_hash, created_at) VALUES (?,?,?,?,?,?)");
  impl->ins_user = Stmt(db, "INSERT INTO users (id, username, display_name, role, password_hash, skills, max_concurrent, created_at) VALUES (?,?,?,?,?,?,?,?)");
  impl->ins_member = Stmt(db, "INSERT OR IGNORE INTO shop_members (shop_id, user_id) VALUES (?,?)");
  impl->ins_session = Stmt(db, "INSERT INTO sessions (token_hash, user_id, expires_at, created_at) VALUES (?,?,?,?)");
  impl->del_session = Stmt(db, "DELETE FROM sessions WHERE token_hash = ?");
  impl->find_dedupe = Stmt(db, "SELECT seq, id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, order_id FROM messages WHERE dedupe_key = ?");
  impl->ins_message = Stmt(db, "INSERT INTO messages (id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, order_id, dedupe_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  impl->save_conv = Stmt(db, "INSERT OR REPLACE INTO conversations (id, shop_id, buyer, status, agent_id, skill, created_at, updated_at, waiting_since, last_agent_id, last_agent_at, transfer_note, last_text, last_from, last_ts, unread) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  impl->ins_event = Stmt(db, "INSERT INTO events (type, shop_id, agent_id, buyer, buyer_visible, data, ts) VALUES (?,?,?,?,?,?,?)");
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

void Store::StartWriter() {
  std::lock_guard lock(impl_->q_mu);
  if (impl_->running) return;
  impl_->running = true;
  impl_->stopping = false;
  impl_->thread = std::thread([this] { impl_->Loop(); });
}

void Store::StopWriter() {
  {
    std::lock_guard lock(impl_->q_mu);
    if (!impl_->running) return;
    impl_->stopping = true;
  }
  impl_->q_cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::lock_guard lock(impl_->q_mu);
  impl_->running = false;
}

void Store::Submit(std::unique_ptr<WriteJob> job) {
  {
    std::lock_guard lock(impl_->q_mu);
    if (impl_->running && !impl_->stopping) {
      impl_->queue.push_back(std::move(job));
      impl_->q_cv.notify_one();
      return;
    }
  }
  job->Done(false);
}

size_t Store::QueueLength() const {
  std::lock_guard lock(impl_->q_mu);
  return impl_->queue.size();
}

core::Status Store::WriteNow(const std::function<core::Status()>& fn) {
  KEFU_TRY(ExecSql(impl_->writer, "BEGIN IMMEDIATE"));
  core::Status st = fn();
  if (!st.ok()) {
    (void)ExecSql(impl_->writer, "ROLLBACK");
    return st;
  }
  return ExecSql(impl_->writer, "COMMIT");
}

sqlite3* Store::WriterConnection() { return impl_->writer; }

core::Status Store::InsertShop(const ShopRow& s) {
  auto st = impl_->ins_shop.Reset().Bind(s.id).Bind(s.name).Bind(s.platform).Bind(s.tz)
                .Bind(s.ingest_key_hash).Bind(Micros(s.created_at)).Exec();
  if (st.code() == core::Code::kAlreadyExists) return core::AlreadyExists("shop exists", "name");
  return st;
}

core::Status Store::InsertUser(const UserRow& u) {
  auto st = impl_->ins_user.Reset().Bind(u.id).Bind(u.username).Bind(u.display_name).Bind(u.role)
                .Bind(u.password_hash).Bind(Join(u.skills)).Bind(int64_t(u.max_concurrent))
                .Bind(Micros(u.created_at)).Exec();
  if (st.code() == core::Code::kAlreadyExists)
    return core::AlreadyExists("username " + u.username + " is taken", "username");
  KEFU_TRY(st);
  for (const auto& shop : u.shop_ids) KEFU_TRY(impl_->ins_member.Reset().Bind(shop).Bind(u.id).Exec());
  return core::Status::Ok();
}

core::Status Store::InsertSession(const SessionRow& s) {
  return impl_->ins_session.Reset().Bind(s.token_hash).Bind(s.user_id).Bind(Micros(s.expires_at))
      .Bind(Micros(core::SystemClock().Now())).Exec();
}

core::Status Store::DeleteSession(const std::string& token_hash) {
  return impl_->del_session.Reset().Bind(token_hash).Exec();
}

namespace {
Message ReadMessage(const Stmt& q) {
  Message m;
  m.seq = q.Int(0);
  m.id = q.Text(1);
  m.conversation_id = q.Text(2);
  m.shop_id = q.Text(3);
  m.buyer = q.Text(4);
  m.from = conversation::ParseSender(q.Text(5)).value_or(conversation::Sender::kSystem);
  m.agent_id = q.Text(6);
  m.text = q.Text(7);
  m.ts = FromMicros(q.Int(8));
  m.client_msg_id = q.Text(9);
  m.order_id = q.Text(10);
  return m;
}
}  // namespace

core::Result<std::optional<Message>> Store::FindMessageByDedupeKey(const std::string& key) {
  auto& q = impl_->find_dedupe.Reset().Bind(key);
  KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<Message>();
  Message m = ReadMessage(q);
  impl_->find_dedupe.Reset();
  return std::optional<Message>(std::move(m));
}

core::Status Store::InsertMessage(Message& m, const std::string& dedupe_key) {
  auto& q = impl_->ins_message.Reset().Bind(m.id).Bind(m.conversation_id).Bind(m.shop_id)
                .Bind(m.buyer).Bind(std::string(conversation::SenderName(m.from)))
                .BindNullable(m.agent_id).Bind(m.text).Bind(Micros(m.ts))
                .BindNullable(m.client_msg_id).BindNullable(m.order_id).BindNullable(dedupe_key);
  KEFU_TRY(q.Exec());
  m.seq = sqlite3_last_insert_rowid(impl_->writer);
  return core::Status::Ok();
}

core::Status Store::SaveConversation(const Conversation& c) {
  auto& q = impl_->save_conv.Reset().Bind(c.id).Bind(c.shop_id).Bind(c.buyer)
                .Bind(std::string(conversation::StatusName(c.status))).BindNullable(c.agent_id)
                .Bind(std::string(conversation::SkillName(c.skill))).Bind(Micros(c.created_at))
                .Bind(Micros(c.updated_at));
  if (c.waiting_since) q.Bind(Micros(*c.waiting_since));
  else q.BindNull();
  q.BindNullable(c.last_agent_id).Bind(Micros(c.last_agent_at)).BindNullable(c.transfer_note)
      .Bind(c.last_text).Bind(std::string(conversation::SenderName(c.last_from)))
      .Bind(Micros(c.last_ts)).Bind(int64_t(c.unread));
  return q.Exec();
}

core::Status Store::AppendEvent(conversation::OutEvent& ev, const std::string& data) {
  KEFU_TRY(impl_->ins_event.Reset().Bind(ev.type).Bind(ev.shop_id).BindNullable(ev.agent_id)
               .BindNullable(ev.buyer).Bind(int64_t(ev.buyer_visible)).Bind(data)
               .Bind(Micros(ev.ts)).Exec());
  ev.seq = sqlite3_last_insert_rowid(impl_->writer);
  return core::Status::Ok();
}

// ------------------------------------------------------------------------------------------
// Reads

namespace {
// Runs fn with a pooled reader connection.
template <typename Fn>
auto WithReader(Store::Impl* impl, Fn&& fn) -> decltype(fn(static_cast<sqlite3*>(nullptr))) {
  sqlite3* r = impl->AcquireReader();
  if (!r) return core::Unavailable("cannot open a reader connection");
  try {
    auto out = fn(r);
    impl->ReleaseReader(r);
    return out;
  } catch (const std::exception& e) {
    impl->ReleaseReader(r);
    return core::Internal(e.what());
  }
}

ShopRow ReadShop(const Stmt& q) {
  return ShopRow{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), FromMicros(q.Int(5))};
}
constexpr const char* kShopCols = "SELECT id, name, platform, tz, ingest_key_hash, created_at FROM shops";

core::Result<std::vector<ShopRow>> QueryShops(sqlite3* db, const std::string& where,
                                              const std::string& arg) {
  Stmt q(db, (std::string(kShopCols) + where + " ORDER BY created_at, id").c_str());
  if (!arg.empty()) q.Bind(arg);
  std::vector<ShopRow> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(ReadShop(q));
  }
  return out;
}

core::Result<std::vector<UserRow>> QueryUsers(sqlite3* db, const std::string& where,
                                              const std::string& arg) {
  Stmt q(db, ("SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.skills, "
              "u.max_concurrent, u.created_at, (SELECT group_concat(shop_id) FROM shop_members m "
              "WHERE m.user_id = u.id) FROM users u " + where + " ORDER BY u.created_at, u.id").c_str());
  if (!arg.empty()) q.Bind(arg);
  std::vector<UserRow> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    UserRow u;
    u.id = q.Text(0);
    u.username = q.Text(1);
    u.display_name = q.Text(2);
    u.role = q.Text(3);
    u.password_hash = q.Text(4);
    u.skills = Split(q.Text(5));
    u.max_concurrent = int(q.Int(6));
    u.created_at = FromMicros(q.Int(7));
    u.shop_ids = Split(q.Text(8));
    out.push_back(std::move(u));
  }
  return out;
}

template <typename T>
std::optional<T> First(std::vector<T>&& v) {
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}
}  // namespace

core::Result<std::vector<ShopRow>> Store::ListShops() {
  return WithReader(impl_.get(), [](sqlite3* db) { return QueryShops(db, "", ""); });
}

core::Result<std::optional<ShopRow>> Store::ShopById(const std::string& id) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::optional<ShopRow>> {
    KEFU_ASSIGN_OR_RETURN(auto v, QueryShops(db, " WHERE id = ?", id));
    return First(std::move(v));
  });
}

core::Result<std::optional<ShopRow>> Store::ShopByKeyHash(const std::string& hash) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::optional<ShopRow>> {
    KEFU_ASSIGN_OR_RETURN(auto v, QueryShops(db, " WHERE ingest_key_hash = ?", hash));
    return First(std::move(v));
  });
}

core::Result<std::optional<ShopRow>> Store::ShopByName(const std::string& name) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::optional<ShopRow>> {
    KEFU_ASSIGN_OR_RETURN(auto v, QueryShops(db, " WHERE name = ?", name));
    return First(std::move(v));
  });
}

core::Result<std::vector<UserRow>> Store::ListUsers(const std::string& shop_id) {
  return WithReader(impl_.get(), [&](sqlite3* db) {
    return shop_id.empty()
               ? QueryUsers(db, "", "")
               : QueryUsers(db, "WHERE u.id IN (SELECT user_id FROM shop_members WHERE shop_id = ?)", shop_id);
  });
}

core::Result<std::optional<UserRow>> Store::UserByUsername(const std::string& username) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::optional<UserRow>> {
    KEFU_ASSIGN_OR_RETURN(auto v, QueryUsers(db, "WHERE u.username = ?", username));
    return First(std::move(v));
  });
}

core::Result<std::optional<UserRow>> Store::UserById(const std::string& id) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::optional<UserRow>> {
    KEFU_ASSIGN_OR_RETURN(auto v, QueryUsers(db, "WHERE u.id = ?", id));
    return First(std::move(v));
  });
}

core::Result<std::optional<SessionRow>> Store::SessionByHash(const std::string& hash) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::optional<SessionRow>> {
    Stmt q(db, "SELECT token_hash, user_id, expires_at FROM sessions WHERE token_hash = ?");
    q.Bind(hash);
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<SessionRow>();
    return std::optional<SessionRow>(SessionRow{q.Text(0), q.Text(1), FromMicros(q.Int(2))});
  });
}

core::Result<std::vector<Conversation>> Store::LoadConversations() {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::vector<Conversation>> {
    Stmt q(db, "SELECT id, shop_id, buyer, status, agent_id, skill, created_at, updated_at, "
               "waiting_since, last_agent_id, last_agent_at, transfer_note, last_text, last_from, "
               "last_ts, unread FROM conversations");
    std::vector<Conversation> out;
    for (;;) {
      KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Conversation c;
      c.id = q.Text(0);
      c.shop_id = q.Text(1);
      c.buyer = q.Text(2);
      c.status = conversation::ParseStatus(q.Text(3)).value_or(conversation::ConversationStatus::kWaiting);
      c.agent_id = q.Text(4);
      c.skill = conversation::ParseSkill(q.Text(5)).value_or(conversation::Skill::kPresale);
      c.created_at = FromMicros(q.Int(6));
      c.updated_at = FromMicros(q.Int(7));
      if (!q.IsNull(8)) c.waiting_since = FromMicros(q.Int(8));
      c.last_agent_id = q.Text(9);
      c.last_agent_at = FromMicros(q.Int(10));
      c.transfer_note = q.Text(11);
      c.last_text = q.Text(12);
      c.last_from = conversation::ParseSender(q.Text(13)).value_or(conversation::Sender::kBuyer);
      c.last_ts = FromMicros(q.Int(14));
      c.unread = int(q.Int(15));
      out.push_back(std::move(c));
    }
    return out;
  });
}

namespace {
constexpr const char* kMsgCols =
    "SELECT seq, id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, "
    "order_id FROM messages ";

// Reads a page queried newest first (so LIMIT keeps the newest) and returns it oldest first.
core::Result<std::vector<Message>> NewestFirstToOldestFirst(Stmt& q) {
  std::vector<Message> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(ReadMessage(q));
  }
  std::reverse(out.begin(), out.end());
  return out;
}
}  // namespace

core::Result<std::vector<Message>> Store::ListMessages(const std::string& conv, int64_t before,
                                                       int limit) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::vector<Message>> {
    Stmt q(db, (std::string(kMsgCols) +
                "WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?").c_str());
    q.Bind(conv).Bind(before > 0 ? before : INT64_MAX).Bind(int64_t(limit));
    return NewestFirstToOldestFirst(q);
  });
}

core::Result<std::vector<Message>> Store::BuyerMessages(const std::string& shop,
                                                        const std::string& buyer, int limit) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::vector<Message>> {
    Stmt q(db, (std::string(kMsgCols) + "WHERE shop_id = ? AND buyer = ? ORDER BY seq DESC LIMIT ?").c_str());
    q.Bind(shop).Bind(buyer).Bind(int64_t(limit));
    return NewestFirstToOldestFirst(q);
  });
}

core::Result<std::vector<EventRow>> Store::EventsAfter(int64_t after,
                                                       const std::vector<std::string>& shops,
                                                       int limit) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::vector<EventRow>> {
    std::string sql = "SELECT seq, type, shop_id, agent_id, buyer, buyer_visible, data, ts FROM events "
                      "WHERE seq > ? AND shop_id IN (";
    for (size_t i = 0; i < shops.size(); ++i) sql += i ? ",?" : "?";
    sql += ") ORDER BY seq LIMIT ?";
    std::vector<EventRow> out;
    if (shops.empty()) return out;
    Stmt q(db, sql.c_str());
    q.Bind(after);
    for (const auto& s : shops) q.Bind(s);
    q.Bind(int64_t(limit));
    for (;;) {
      KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(EventRow{q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Int(5) != 0,
                             q.Text(6), FromMicros(q.Int(7))});
    }
    return out;
  });
}

core::Status Store::ForEachMessage(
    const std::string& shop, core::Timestamp from, core::Timestamp to,
    const std::function<void(const std::string&, conversation::Sender, core::Timestamp)>& fn) {
  auto r = WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<bool> {
    Stmt q(db, "SELECT buyer, sender, ts FROM messages WHERE shop_id = ? AND ts >= ? AND ts < ? ORDER BY seq");
    q.Bind(shop).Bind(Micros(from)).Bind(Micros(to));
    for (;;) {
      KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      fn(q.Text(0), conversation::ParseSender(q.Text(1)).value_or(conversation::Sender::kSystem),
         FromMicros(q.Int(2)));
    }
    return true;
  });
  return r.status();
}

core::Result<int64_t> Store::LastEventSeq() {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<int64_t> {
    Stmt q(db, "SELECT COALESCE(MAX(seq), 0) FROM events");
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  });
}

core::Result<int64_t> Store::CountMessages() {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<int64_t> {
    Stmt q(db, "SELECT COUNT(*) FROM messages");
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  });
}

// ------------------------------------------------------------------------------------------

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

core::Result<std::string> HashPassword(std::string_view password) {
  std::random_device rd;
  unsigned char salt[16];
  for (auto& b : salt) b = static_cast<unsigned char>(rd() & 0xff);
  constexpr uint32_t kTime = 2, kMemKiB = 19 * 1024, kLanes = 1, kHashLen = 32;
  const size_t enc_len = argon2_encodedlen(kTime, kMemKiB, kLanes, sizeof salt, kHashLen, Argon2_id);
  std::string encoded(enc_len, '\0');
  const int rc = argon2id_hash_encoded(kTime, kMemKiB, kLanes, password.data(), password.size(),
                                       salt, sizeof salt, kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return core::Internal(std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  const std::string enc(encoded);
  return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace kefu::store
