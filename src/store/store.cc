#include "store/store.h"

#include <argon2.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "store/internal/stmt.h"
#include "store/internal/writeback_vfs.h"

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
  // Binds without a copy: `v` must stay alive and unchanged until the statement has run. For
  // the writer's per-message statements, whose arguments outlive the call.
  Stmt& Ref(std::string_view v) {
    sqlite3_bind_text(st_, ++idx_, v.data(), int(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& RefNullable(std::string_view v) {
    if (v.empty()) sqlite3_bind_null(st_, ++idx_);
    else Ref(v);
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
    // 4: a shop's custom compliance words and its reply templates (store/shop_texts_repo.cc).
    R"sql(
CREATE TABLE compliance_words (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, shop_id TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('block','allow')), word TEXT NOT NULL,
  word_key TEXT NOT NULL, suggestion TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (shop_id, word_key));
CREATE TABLE templates (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, shop_id TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
  scene TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, updated_by TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX templates_by_shop ON templates (shop_id, seq);
)sql",
    // 5: the message and event tables as the write rate needs them (rebuilt; SQLite cannot
    // drop a column constraint). A message costs one b-tree per index, so: no unique index on
    // the message id (ids are unique by construction: time + 50 random bits, and nothing looks
    // a message up by it); the idempotency key indexed only where there is one; a buyer's
    // messages found through their conversation (one per shop and buyer) instead of a
    // (shop, buyer) index; a shop's messages by time for the reply-rate reads. No AUTOINCREMENT:
    // it updates sqlite_sequence on every insert, and seq already only grows, since rows are
    // never deleted.
    R"sql(
CREATE TABLE messages_v5 (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL,
  conversation_id TEXT NOT NULL, shop_id TEXT NOT NULL, buyer TEXT NOT NULL,
  sender TEXT NOT NULL, agent_id TEXT, text TEXT NOT NULL, ts INTEGER NOT NULL,
  client_msg_id TEXT, order_id TEXT, dedupe_key TEXT);
INSERT INTO messages_v5 SELECT seq, id, conversation_id, shop_id, buyer, sender, agent_id, text,
  ts, client_msg_id, order_id, dedupe_key FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v5 RENAME TO messages;
CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
CREATE INDEX messages_by_shop_time ON messages (shop_id, ts);
CREATE UNIQUE INDEX messages_by_dedupe_key ON messages (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE TABLE events_v5 (
  seq INTEGER PRIMARY KEY, type TEXT NOT NULL, shop_id TEXT NOT NULL, agent_id TEXT, buyer TEXT,
  buyer_visible INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL, ts INTEGER NOT NULL);
INSERT INTO events_v5 SELECT seq, type, shop_id, agent_id, buyer, buyer_visible, data, ts FROM events;
DROP TABLE events;
ALTER TABLE events_v5 RENAME TO events;
CREATE INDEX events_by_shop ON events (shop_id, seq);
)sql",
    // 6: each shop's permission policy (store/orders_repo.cc), and orders by status
    // for the 审单 queue and the 拼团 sweep.
    R"sql(
CREATE TABLE shop_policies (
  shop_id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL);
CREATE INDEX orders_by_status ON orders (shop_id, status, seq);
)sql",
    // 7: a conversation's messages as a chain instead of an index. An index on
    // (conversation_id, seq) takes one insert at the end of each conversation's range: a busy
    // shop's batch touches a different index page for nearly every message, and each of those
    // pages goes through the WAL, its fsync and the checkpoint (half of what a batch wrote). A
    // message now keeps the seq of its conversation's previous message, and a small table keeps
    // each conversation's newest one; history walks back from there, a rowid lookup a message.
    R"sql(
ALTER TABLE messages ADD COLUMN prev_seq INTEGER;
CREATE TABLE message_heads (conversation_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
UPDATE messages SET prev_seq = (SELECT MAX(p.seq) FROM messages p
  WHERE p.conversation_id = messages.conversation_id AND p.seq < messages.seq);
INSERT INTO message_heads SELECT conversation_id, MAX(seq) FROM messages GROUP BY conversation_id;
DROP INDEX messages_by_conversation;
)sql",
};

sqlite3* OpenConnection(const std::string& path, bool readonly, std::string* err) {
  sqlite3* db = nullptr;
  const int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, internal::WritebackVfsName()) != SQLITE_OK) {
    *err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

// The writer's durable pipeline. The writer thread runs a batch of jobs in one transaction and
// commits it; with --sync full the commit is not fsynced by SQLite (synchronous=NORMAL) but by
// the syncer thread, which fdatasync()s the WAL once for every batch committed so far; only
// then does the completer thread complete their jobs (acknowledge). So the writer runs the next
// batch while the disk flushes the previous one, the disk is flushed again while the sockets
// are fed, and no job is acknowledged before its commit is on disk. The checkpointer copies the
// WAL back into the database file off all three, a few MB at a time, through a VFS that starts
// the disk's writeback as it goes (store/internal/writeback_vfs.h), so no long fsync of the
// database holds up the WAL's.
struct Store::Impl {
  struct Batch {
    std::vector<std::unique_ptr<WriteJob>> jobs;
    bool committed = false;
    std::chrono::steady_clock::time_point at;  // when it was committed
  };

  std::string path;
  Options opt;
  sqlite3* writer = nullptr;

  // Writer statements.
  Stmt ins_shop, ins_user, ins_member, ins_session, del_session, find_dedupe, ins_message, find_head, save_head,
      save_conv, upd_conv, ins_event;
  Stmt begin, commit, rollback, savepoint, release, rollback_to;

  // Reader pool.
  std::mutex readers_mu;
  std::vector<sqlite3*> free_readers;
  std::vector<sqlite3*> all_readers;

  // Group commit. Callers queue jobs; the writer runs them in an open transaction and commits
  // when the syncer is free to flush it (or the batch is full), so there is one commit per
  // fsync and batches grow with the disk's latency; the syncer makes committed batches durable
  // and completes their jobs. One mutex guards both hand-overs.
  mutable std::mutex q_mu;
  std::condition_variable q_cv;  // the writer waits here: jobs queued, or the syncer went idle
  std::deque<std::unique_ptr<WriteJob>> queue;
  bool running = false;
  bool stopping = false;
  std::thread thread;
  std::condition_variable s_cv;  // the syncer waits here: batches committed, or the writer ended
  std::deque<Batch> committed_queue;
  bool syncer_busy = false;  // a batch is committed but not yet durable
  bool writer_done = false;
  std::thread syncer;
  // Durable batches waiting for their completions (syncer -> completer), so the syncer goes
  // straight back to the disk while sockets are fed.
  std::mutex d_mu;
  std::condition_variable d_cv;
  std::deque<Batch> durable_queue;
  bool syncer_done = false;
  std::thread completer;
  int wal_fd = -1;  // fdatasync target when the syncer owns durability; -1: SQLite syncs

  mutable std::mutex stats_mu;
  PipelineStats stats;  // guarded by stats_mu

  // WAL checkpoints (writer's wal hook -> checkpointer).
  std::mutex c_mu;
  std::condition_variable c_cv;
  int wal_frames = 0;
  uint64_t wal_frames_written = 0;  // pages appended to the WAL since start
  bool checkpoint_stop = false;
  std::thread checkpointer;
  sqlite3* checkpoint_db = nullptr;

  ~Impl() {
    // Statements must be finalised before their connection closes.
    ins_shop = Stmt(); ins_user = Stmt(); ins_member = Stmt(); ins_session = Stmt();
    del_session = Stmt(); find_dedupe = Stmt(); ins_message = Stmt(); find_head = Stmt(); save_head = Stmt();
    save_conv = Stmt();
    upd_conv = Stmt(); ins_event = Stmt();
    begin = Stmt(); commit = Stmt(); rollback = Stmt(); savepoint = Stmt(); release = Stmt();
    rollback_to = Stmt();
    for (auto* r : all_readers) sqlite3_close_v2(r);
    if (checkpoint_db) sqlite3_close_v2(checkpoint_db);
    if (wal_fd >= 0) ::close(wal_fd);
    if (writer) sqlite3_close_v2(writer);
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

  bool Run(Stmt& st) { return st.Reset().Exec().ok(); }

  // Hands a finished batch to the syncer (writer thread).
  void Hand(std::vector<std::unique_ptr<WriteJob>>& jobs, bool committed) {
    if (committed && !jobs.empty() && !jobs.front()->OutsideTransaction()) {
      std::lock_guard lock(stats_mu);
      ++stats.commits;
      stats.jobs += jobs.size();
      size_t i = 0;
      while (i < std::size(PipelineStats::kBatchBounds) && double(jobs.size()) > PipelineStats::kBatchBounds[i]) ++i;
      ++stats.batch[i];
    }
    {
      std::lock_guard lock(q_mu);
      committed_queue.push_back(Batch{std::move(jobs), committed, std::chrono::steady_clock::now()});
      syncer_busy = true;
    }
    s_cv.notify_one();
    jobs.clear();  // moved from: valid, emptied for the next batch
  }

  // Runs one job inside the open transaction. Returns false when the whole transaction must be
  // rolled back: a job without a savepoint failed after it had written.
  bool RunInTransaction(WriteJob& job) {
    if (job.FailsOnlyBeforeWriting()) {
      const int64_t before = sqlite3_total_changes64(writer);
      return job.Run() || sqlite3_total_changes64(writer) == before;
    }
    // A job that fails undoes only its own writes; the rest of the batch commits.
    (void)Run(savepoint);
    if (!job.Run()) (void)Run(rollback_to);
    (void)Run(release);
    return true;
  }

  void Loop() {
    std::vector<std::unique_ptr<WriteJob>> todo, txn;  // txn: jobs run in the open transaction
    bool in_txn = false;
    for (;;) {
      bool outside = false, stop = false;
      {
        std::unique_lock lock(q_mu);
        q_cv.wait(lock, [&] { return !queue.empty() || stopping || (in_txn && !syncer_busy); });
        const bool outside_next = !queue.empty() && queue.front()->OutsideTransaction();
        if (outside_next && !in_txn) {
          todo.push_back(std::move(queue.front()));
          queue.pop_front();
          outside = true;
        }
        while (!outside_next && !queue.empty() && !queue.front()->OutsideTransaction() &&
               txn.size() + todo.size() < opt.max_batch) {
          todo.push_back(std::move(queue.front()));
          queue.pop_front();
        }
        stop = stopping && queue.empty();
      }
      if (outside) {
        const bool ok = todo.front()->Run();
        Hand(todo, ok);
        continue;
      }
      if (!todo.empty() && !in_txn) {
        in_txn = Run(begin);
        if (!in_txn) {
          Hand(todo, false);
          continue;
        }
      }
      bool intact = true;
      for (auto& job : todo) {
        intact = intact && RunInTransaction(*job);
        txn.push_back(std::move(job));
      }
      todo.clear();
      if (!intact) {
        (void)Run(rollback);
        in_txn = false;
        Hand(txn, false);
        continue;
      }
      if (!in_txn) {
        if (stop) break;
        continue;
      }
      bool commit_now;
      {
        std::lock_guard lock(q_mu);
        commit_now = !syncer_busy || txn.size() >= opt.max_batch || stopping ||
                     (!queue.empty() && queue.front()->OutsideTransaction());
      }
      if (!commit_now) continue;
      const auto commit_start = std::chrono::steady_clock::now();
      bool ok = Run(commit);
      if (!ok) (void)Run(rollback);
      {
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_start).count();
        std::lock_guard lock(stats_mu);
        stats.commit_seconds += took;
      }
      in_txn = false;
      Hand(txn, ok);
      MaybeRestartWal();
    }
    {
      std::lock_guard lock(q_mu);
      writer_done = true;
    }
    s_cv.notify_one();
  }

  // Makes committed batches durable (one fdatasync for all of them) and hands them to the
  // completer.
  void SyncLoop() {
    std::deque<Batch> ready;
    for (;;) {
      {
        std::unique_lock lock(q_mu);
        if (committed_queue.empty()) {
          syncer_busy = false;
          q_cv.notify_one();  // the writer may commit what it holds
        }
        s_cv.wait(lock, [&] { return !committed_queue.empty() || writer_done; });
        if (committed_queue.empty() && writer_done) break;
        ready.swap(committed_queue);
      }
      bool any_committed = false;
      for (const auto& b : ready) any_committed = any_committed || b.committed;
      const auto sync_start = std::chrono::steady_clock::now();
      if (any_committed && wal_fd >= 0 && ::fdatasync(wal_fd) != 0) {
        // After a failed fsync the page cache may no longer match the disk; acknowledging
        // anything now could lie. Stop, so a restart recovers from what is really on disk.
        std::fprintf(stderr, "kefu store: fdatasync of the WAL failed (%s); stopping\n", std::strerror(errno));
        std::abort();
      }
      {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(stats_mu);
        if (any_committed && wal_fd >= 0) {
          ++stats.fsyncs;
          stats.fsync_seconds += std::chrono::duration<double>(now - sync_start).count();
        }
        for (const auto& b : ready) {
          if (!b.committed) continue;
          const double s = std::chrono::duration<double>(now - b.at).count();
          size_t i = 0;
          while (i < std::size(PipelineStats::kDurableBounds) && s > PipelineStats::kDurableBounds[i]) ++i;
          ++stats.durable[i];
          stats.durable_sum += s;
        }
      }
      {
        std::lock_guard lock(d_mu);
        for (auto& b : ready) durable_queue.push_back(std::move(b));
      }
      d_cv.notify_one();
      ready.clear();
    }
    {
      std::lock_guard lock(d_mu);
      syncer_done = true;
    }
    d_cv.notify_one();
  }

  // Completes durable jobs in commit order, so events reach sockets in sequence order.
  void CompleteLoop() {
    std::deque<Batch> ready;
    for (;;) {
      {
        std::unique_lock lock(d_mu);
        d_cv.wait(lock, [&] { return !durable_queue.empty() || syncer_done; });
        if (durable_queue.empty() && syncer_done) return;
        ready.swap(durable_queue);
      }
      for (auto& b : ready)
        for (auto& job : b.jobs) job->Done(b.committed);
      ready.clear();
    }
  }

  // Passive checkpoints run beside the writer and copy what it committed back into the
  // database file, ~16 MB at a time. Each pass ends in an fsync of the database, and a WAL
  // fdatasync issued meanwhile waits for it: passes of ~4 MB made 25 of those a second at
  // 5,000 msg/s and a p99 of 17-28 ms; ~16 MB, 17-18 ms. Much larger passes end in fsyncs long
  // enough to hold acknowledgements themselves (the writeback VFS keeps that one short).
  void CheckpointLoop() {
    // Background work: on a busy machine it should wait for the CPU, not the acknowledgements.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
    constexpr int kPassiveFrames = 4000;  // ~16 MB of 4 KiB pages between passes
    int backfilled = 0;
    for (;;) {
      {
        std::unique_lock lock(c_mu);
        c_cv.wait(lock, [&] {
          if (wal_frames < backfilled) backfilled = 0;  // the WAL was restarted
          return checkpoint_stop || wal_frames - backfilled >= kPassiveFrames;
        });
        if (checkpoint_stop) return;
      }
      int log = 0, done = 0;
      const int rc = sqlite3_wal_checkpoint_v2(checkpoint_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (rc == SQLITE_OK) {
        std::lock_guard slock(stats_mu);
        ++stats.checkpoints;
      }
      std::unique_lock lock(c_mu);
      if (rc == SQLITE_OK) {
        backfilled = std::max(done, 0);
      } else {
        // Busy: the writer is finishing a pass itself. Try again a little later.
        c_cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return checkpoint_stop; });
      }
    }
  }

  // SQLite starts the WAL over from its beginning only when a write transaction begins with
  // every frame copied back, which under a load that never pauses does not happen by chance:
  // the writer commits while a pass runs. A WAL that has grown large is therefore finished by
  // the writer itself between two batches (the few frames the last pass left, and a small
  // fsync; skipped if a pass is running), and its next transaction restarts the WAL. Rare on
  // purpose: it holds up the writer, and measured on the bench machine, restarting often (to
  // overwrite the WAL in place) cost more in stalls than it saved in cheaper fdatasyncs.
  void MaybeRestartWal() {
    constexpr int kRestartFrames = 64000;  // ~256 MB
    {
      std::lock_guard lock(c_mu);
      if (wal_frames < kRestartFrames) return;
    }
    const auto start = std::chrono::steady_clock::now();
    (void)sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard lock(stats_mu);
    ++stats.wal_restarts;
    stats.wal_restart_seconds += took;
  }

  // sqlite3_wal_hook: runs on the writer thread after each commit with the WAL's frame count.
  static int OnWalCommit(void* self, sqlite3*, const char*, int frames) {
    auto* impl = static_cast<Impl*>(self);
    {
      std::lock_guard lock(impl->c_mu);
      // After a restart the count starts again from this commit's own frames.
      impl->wal_frames_written += uint64_t(frames > impl->wal_frames ? frames - impl->wal_frames : frames);
      impl->wal_frames = frames;
    }
    impl->c_cv.notify_one();
    return SQLITE_OK;
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() { StopWriter(); }

core::Result<std::unique_ptr<Store>> Store::Open(const std::string& data_dir, Options opt) {
  // Memory statistics take a global mutex on every SQLite allocation; nothing reads them. Only
  // possible before SQLite initialises, so it is done once, before the first connection.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
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
  KEFU_TRY(internal::Exec(db, "PRAGMA journal_mode=WAL"));
  const std::string sync = opt.synchronous == "normal" ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL";
  KEFU_TRY(internal::Exec(db, sync.c_str()));
  KEFU_TRY(internal::Exec(db, "PRAGMA foreign_keys=ON"));
  // A batch touches an index page per conversation it writes to; with SQLite's default 2 MB
  // cache those pages are evicted (and dirty ones spilled to the WAL mid-transaction) between
  // batches. 64 MB keeps the working set of a busy shop's indexes in memory.
  KEFU_TRY(internal::Exec(db, "PRAGMA cache_size=-65536"));
  // Each job's savepoint copies the pages it first touches into a sub-journal; in memory it is
  // emptied at every release, in a temp file it grows through the batch with a write per page.
  KEFU_TRY(internal::Exec(db, "PRAGMA temp_store=MEMORY"));
  KEFU_TRY(internal::Exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
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
    KEFU_TRY(internal::Exec(db, "BEGIN IMMEDIATE"));
    core::Status st = internal::Exec(db, kMigrations[v - 1]);
    if (st.ok()) {
      Stmt rec(db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))");
      st = rec.Bind(v).Exec();
    }
    if (!st.ok()) {
      (void)internal::Exec(db, "ROLLBACK");
      return st;
    }
    KEFU_TRY(internal::Exec(db, "COMMIT"));
  }
  impl->ins_shop = Stmt(db, "INSERT INTO shops (id, name, platform, tz, ingest_key_hash, created_at) VALUES (?,?,?,?,?,?)");
  impl->ins_user = Stmt(db, "INSERT INTO users (id, username, display_name, role, password_hash, skills, max_concurrent, created_at) VALUES (?,?,?,?,?,?,?,?)");
  impl->ins_member = Stmt(db, "INSERT OR IGNORE INTO shop_members (shop_id, user_id) VALUES (?,?)");
  impl->ins_session = Stmt(db, "INSERT INTO sessions (token_hash, user_id, expires_at, created_at) VALUES (?,?,?,?)");
  impl->del_session = Stmt(db, "DELETE FROM sessions WHERE token_hash = ?");
  impl->find_dedupe = Stmt(db, "SELECT seq, id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, order_id FROM messages WHERE dedupe_key = ?");
  impl->ins_message = Stmt(db, "INSERT INTO messages (id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, order_id, dedupe_key, prev_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  impl->find_head = Stmt(db, "SELECT last_seq FROM message_heads WHERE conversation_id = ?");
  impl->save_head = Stmt(db, "INSERT INTO message_heads (conversation_id, last_seq) VALUES (?,?) "
                             "ON CONFLICT (conversation_id) DO UPDATE SET last_seq = excluded.last_seq");
  // A new conversation (SaveConversation updates in place first). Not INSERT OR REPLACE: that
  // deletes and re-inserts the row, rewriting both of its index entries.
  impl->save_conv = Stmt(db, "INSERT INTO conversations (id, shop_id, buyer, status, agent_id, skill, created_at, updated_at, waiting_since, last_agent_id, last_agent_at, transfer_note, last_text, last_from, last_ts, unread) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                               "ON CONFLICT (id) DO UPDATE SET status = excluded.status, agent_id = excluded.agent_id, skill = excluded.skill, updated_at = excluded.updated_at, waiting_since = excluded.waiting_since, last_agent_id = excluded.last_agent_id, last_agent_at = excluded.last_agent_at, transfer_note = excluded.transfer_note, last_text = excluded.last_text, last_from = excluded.last_from, last_ts = excluded.last_ts, unread = excluded.unread");
  impl->upd_conv = Stmt(db, "UPDATE conversations SET status = ?, agent_id = ?, skill = ?, updated_at = ?, waiting_since = ?, last_agent_id = ?, last_agent_at = ?, transfer_note = ?, last_text = ?, last_from = ?, last_ts = ?, unread = ? WHERE id = ?");
  impl->ins_event = Stmt(db, "INSERT INTO events (type, shop_id, agent_id, buyer, buyer_visible, data, ts) VALUES (?,?,?,?,?,?,?)");
  impl->begin = Stmt(db, "BEGIN IMMEDIATE");
  impl->commit = Stmt(db, "COMMIT");
  impl->rollback = Stmt(db, "ROLLBACK");
  impl->savepoint = Stmt(db, "SAVEPOINT job");
  impl->release = Stmt(db, "RELEASE job");
  impl->rollback_to = Stmt(db, "ROLLBACK TO job");
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

void Store::StartWriter() {
  std::lock_guard lock(impl_->q_mu);
  if (impl_->running) return;
  Impl& im = *impl_;
  im.running = true;
  im.stopping = false;
  im.writer_done = false;
  im.syncer_done = false;
  im.syncer_busy = false;
  im.checkpoint_stop = false;
  // Durability moves to the syncer (see Impl) when the WAL can be opened for fdatasync;
  // otherwise SQLite keeps syncing each commit itself.
  if (im.opt.synchronous != "normal" && im.wal_fd < 0) {
    im.wal_fd = ::open((im.path + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
  }
  const bool own_sync = im.wal_fd >= 0 || im.opt.synchronous == "normal";
  if (own_sync) (void)internal::Exec(im.writer, "PRAGMA synchronous=NORMAL");
  std::string err;
  if (!im.checkpoint_db) im.checkpoint_db = OpenConnection(im.path, false, &err);
  if (im.checkpoint_db) {
    (void)internal::Exec(im.checkpoint_db, "PRAGMA synchronous=NORMAL");
    sqlite3_wal_hook(im.writer, &Impl::OnWalCommit, &im);  // replaces SQLite's auto-checkpoint
    im.checkpointer = std::thread([&im] { im.CheckpointLoop(); });
  }
  im.completer = std::thread([&im] { im.CompleteLoop(); });
  im.syncer = std::thread([&im] { im.SyncLoop(); });
  im.thread = std::thread([&im] { im.Loop(); });
}

void Store::StopWriter() {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.q_mu);
    if (!im.running) return;
    im.stopping = true;
  }
  im.q_cv.notify_all();
  if (im.thread.joinable()) im.thread.join();
  if (im.syncer.joinable()) im.syncer.join();
  if (im.completer.joinable()) im.completer.join();
  {
    std::lock_guard lock(im.c_mu);
    im.checkpoint_stop = true;
  }
  im.c_cv.notify_all();
  if (im.checkpointer.joinable()) im.checkpointer.join();
  sqlite3_wal_hook(im.writer, nullptr, nullptr);
  sqlite3_wal_autocheckpoint(im.writer, 1000);
  // Writes after this (WriteNow) are synced by SQLite again.
  const std::string sync = im.opt.synchronous == "normal" ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL";
  (void)internal::Exec(im.writer, sync.c_str());
  std::lock_guard lock(im.q_mu);
  im.running = false;
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

Store::PipelineStats Store::Stats() const {
  PipelineStats s;
  {
    std::lock_guard lock(impl_->stats_mu);
    s = impl_->stats;
  }
  std::lock_guard lock(impl_->c_mu);
  s.wal_frames = impl_->wal_frames_written;
  return s;
}

size_t Store::QueueLength() const {
  std::lock_guard lock(impl_->q_mu);
  return impl_->queue.size();
}

core::Status Store::WriteNow(const std::function<core::Status()>& fn) {
  return internal::InTransaction(impl_->writer, fn);
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
  auto& q = impl_->find_dedupe.Reset().Ref(key);
  KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<Message>();
  Message m = ReadMessage(q);
  impl_->find_dedupe.Reset();
  return std::optional<Message>(std::move(m));
}

core::Status Store::InsertMessage(Message& m, const std::string& dedupe_key) {
  // Links the message to its conversation's previous one (see migration 7).
  auto& head = impl_->find_head.Reset().Ref(m.conversation_id);
  KEFU_ASSIGN_OR_RETURN(bool has_prev, head.Step());
  const int64_t prev = has_prev ? head.Int(0) : 0;
  head.Reset();
  auto& ins = impl_->ins_message.Reset().Ref(m.id).Ref(m.conversation_id).Ref(m.shop_id).Ref(m.buyer)
                  .Ref(conversation::SenderName(m.from)).RefNullable(m.agent_id).Ref(m.text)
                  .Bind(Micros(m.ts)).RefNullable(m.client_msg_id).RefNullable(m.order_id)
                  .RefNullable(dedupe_key);
  if (has_prev) ins.Bind(prev);
  else ins.BindNull();
  KEFU_TRY(ins.Exec());
  m.seq = sqlite3_last_insert_rowid(impl_->writer);
  return impl_->save_head.Reset().Ref(m.conversation_id).Bind(m.seq).Exec();
}

core::Status Store::SaveConversation(const Conversation& c) {
  // Nearly every save is of a conversation that exists: update it in place, insert otherwise.
  auto& u = impl_->upd_conv.Reset().Ref(conversation::StatusName(c.status)).RefNullable(c.agent_id)
                .Ref(conversation::SkillName(c.skill)).Bind(Micros(c.updated_at));
  if (c.waiting_since) u.Bind(Micros(*c.waiting_since));
  else u.BindNull();
  KEFU_TRY(u.RefNullable(c.last_agent_id).Bind(Micros(c.last_agent_at)).RefNullable(c.transfer_note)
               .Ref(c.last_text).Ref(conversation::SenderName(c.last_from)).Bind(Micros(c.last_ts))
               .Bind(int64_t(c.unread)).Ref(c.id).Exec());
  if (sqlite3_changes(impl_->writer) > 0) return core::Status::Ok();
  auto& q = impl_->save_conv.Reset().Ref(c.id).Ref(c.shop_id).Ref(c.buyer)
                .Ref(conversation::StatusName(c.status)).RefNullable(c.agent_id)
                .Ref(conversation::SkillName(c.skill)).Bind(Micros(c.created_at))
                .Bind(Micros(c.updated_at));
  if (c.waiting_since) q.Bind(Micros(*c.waiting_since));
  else q.BindNull();
  return q.RefNullable(c.last_agent_id).Bind(Micros(c.last_agent_at)).RefNullable(c.transfer_note)
      .Ref(c.last_text).Ref(conversation::SenderName(c.last_from)).Bind(Micros(c.last_ts))
      .Bind(int64_t(c.unread)).Exec();
}

core::Status Store::AppendEvent(conversation::OutEvent& ev, const std::string& data) {
  KEFU_TRY(impl_->ins_event.Reset().Ref(ev.type).Ref(ev.shop_id).RefNullable(ev.agent_id)
               .RefNullable(ev.buyer).Bind(int64_t(ev.buyer_visible)).Ref(data)
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
// ReadMessage's columns, then the link to the conversation's previous message.
constexpr const char* kMessageBySeq =
    "SELECT seq, id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, "
    "order_id, prev_seq FROM messages WHERE seq = ?";

// Walks a conversation's chain back from the message `from` (0: none), up to `limit` messages,
// and returns them oldest first. Rows never change once written, so the walk needs no
// transaction around it. A link into another conversation would mean a damaged chain: the walk
// stops there rather than show another buyer's message.
core::Result<std::vector<Message>> WalkBack(sqlite3* db, const std::string& conv, int64_t from, int limit) {
  std::vector<Message> out;
  Stmt q(db, kMessageBySeq);
  for (int64_t seq = from; seq > 0 && int(out.size()) < limit;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Reset().Bind(seq).Step());
    if (!row) break;
    Message m = ReadMessage(q);
    if (m.conversation_id != conv) break;
    seq = q.IsNull(11) ? 0 : q.Int(11);
    out.push_back(std::move(m));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// The newest message of a conversation (0: it has none).
core::Result<int64_t> HeadOf(sqlite3* db, const std::string& conv) {
  Stmt q(db, "SELECT last_seq FROM message_heads WHERE conversation_id = ?");
  KEFU_ASSIGN_OR_RETURN(bool row, q.Bind(conv).Step());
  return row ? q.Int(0) : int64_t(0);
}
}  // namespace

core::Result<std::vector<Message>> Store::ListMessages(const std::string& conv, int64_t before,
                                                       int limit) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::vector<Message>> {
    KEFU_ASSIGN_OR_RETURN(int64_t from, HeadOf(db, conv));
    if (before > 0 && from >= before) {
      // The usual cursor is the oldest message of the page before: continue from its link.
      Stmt q(db, "SELECT conversation_id, prev_seq FROM messages WHERE seq = ?");
      KEFU_ASSIGN_OR_RETURN(bool row, q.Bind(before).Step());
      if (row && q.Text(0) == conv) {
        from = q.IsNull(1) ? 0 : q.Int(1);
      } else {
        // Any other number: skip the conversation's messages from `before` on.
        Stmt link(db, "SELECT prev_seq FROM messages WHERE seq = ?");
        while (from >= before) {
          KEFU_ASSIGN_OR_RETURN(bool found, link.Reset().Bind(from).Step());
          from = found && !link.IsNull(0) ? link.Int(0) : 0;
        }
      }
    }
    return WalkBack(db, conv, from, limit);
  });
}

core::Result<std::vector<Message>> Store::BuyerMessages(const std::string& shop,
                                                        const std::string& buyer, int limit) {
  return WithReader(impl_.get(), [&](sqlite3* db) -> core::Result<std::vector<Message>> {
    Stmt q(db, "SELECT c.id, h.last_seq FROM conversations c JOIN message_heads h ON h.conversation_id = c.id "
               "WHERE c.shop_id = ? AND c.buyer = ?");
    KEFU_ASSIGN_OR_RETURN(bool row, q.Bind(shop).Bind(buyer).Step());
    if (!row) return std::vector<Message>();
    return WalkBack(db, q.Text(0), q.Int(1), limit);
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
