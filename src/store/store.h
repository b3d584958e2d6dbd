// store: the SQLite store (one file in the data directory, WAL, migrations at start). One
// writer thread runs write jobs in group-committed transactions; reads use a pool of reader
// connections and may run on any thread. Implements the domains' repository ports.
#pragma once

#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conversation/conversation.h"
#include "core/core.h"

struct sqlite3;

namespace kefu::store {

struct ShopRow {
  std::string id;
  std::string name;
  std::string platform;  // pdd | taobao | kuaishou | jd
  std::string tz;
  std::string ingest_key_hash;  // SHA-256 hex of the ingest key; the key itself is not stored
  core::Timestamp created_at;
};

struct UserRow {
  std::string id;
  std::string username;
  std::string display_name;
  std::string role;  // owner | lead | agent
  std::string password_hash;  // argon2id encoded
  std::vector<std::string> skills;
  int max_concurrent = 8;
  std::vector<std::string> shop_ids;
  core::Timestamp created_at;
};

struct SessionRow {
  std::string token_hash;
  std::string user_id;
  core::Timestamp expires_at;
};

struct EventRow {
  int64_t seq = 0;
  std::string type;
  std::string shop_id;
  std::string agent_id;
  std::string buyer;
  bool buyer_visible = false;
  std::string data;
  core::Timestamp ts;
};

struct Options {
  // "full" fsyncs every commit (survives power loss); "normal" survives a process crash only.
  std::string synchronous = "full";
  int readers = 4;
  size_t max_batch = 2048;  // jobs per group commit
};

// A unit of work for the writer thread. Run() executes inside the batch's transaction, in a
// savepoint of its own: returning false rolls back just this job's writes. Done(committed) is
// called on the store's completion thread, in commit order, once the batch's commit is durable
// (committed=true) or it rolled back.
class WriteJob {
 public:
  virtual ~WriteJob() = default;
  virtual bool Run() = 0;
  virtual void Done(bool committed) = 0;
  // True: Run() is called alone between two batches with no transaction open, for writes made
  // through another connection (which would otherwise wait for the writer's lock). Done gets
  // Run's result.
  virtual bool OutsideTransaction() const { return false; }
  // True: the job promises to write nothing when it fails, so it runs without a savepoint of
  // its own (saving the page copies a savepoint makes). If it fails after writing after all,
  // the whole batch is rolled back and every job in it completes with committed=false.
  virtual bool FailsOnlyBeforeWriting() const { return false; }
};

class Store : public conversation::ReceptionRepository {
 public:
  // Opens or creates DIR/kefu.db and applies migrations. Errors are startup failures.
  static core::Result<std::unique_ptr<Store>> Open(const std::string& data_dir, Options opt = {});
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Starts the writer thread (and its completion and checkpoint threads); until then writes run
  // synchronously via WriteNow.
  void StartWriter();
  // Stops the writer after draining queued jobs.
  void StopWriter();
  // Queues a job for the writer thread (thread-safe). Jobs submitted after StopWriter are
  // completed with committed=false.
  void Submit(std::unique_ptr<WriteJob> job);
  size_t QueueLength() const;

  // How the writer's pipeline is doing, for /metrics: counts since start, and histograms with
  // cumulative-free buckets (bucket i counts values <= kDurableBounds[i]; the last, the rest).
  struct PipelineStats {
    static constexpr double kDurableBounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5};
    static constexpr double kBatchBounds[] = {1, 4, 16, 64, 256, 1024};
    uint64_t commits = 0, jobs = 0, fsyncs = 0, checkpoints = 0;
    double commit_seconds = 0;  // the writer inside COMMIT (writing the WAL frames)
    double fsync_seconds = 0;   // the syncer inside fdatasync
    uint64_t wal_frames = 0;    // pages written to the WAL
    uint64_t wal_restarts = 0;  // the writer finishing a checkpoint so the WAL starts over
    double wal_restart_seconds = 0;
    // Seconds from COMMIT to the commit being durable (its fdatasync done).
    uint64_t durable[std::size(kDurableBounds) + 1] = {};
    double durable_sum = 0;
    // Jobs per committed batch.
    uint64_t batch[std::size(kBatchBounds) + 1] = {};
  };
  PipelineStats Stats() const;
  // Runs fn in its own transaction on the calling thread. Only before StartWriter (CLI,
  // startup). Rolls back when fn returns an error.
  core::Status WriteNow(const std::function<core::Status()>& fn);
  // The writer connection, for the repositories in store/orders_repo.cc: use it only on the
  // writer thread (inside a WriteJob) or inside WriteNow, so its writes join that transaction.
  sqlite3* WriterConnection();

  // Writes (writer thread or WriteNow only).
  core::Status InsertShop(const ShopRow& s);
  core::Status InsertUser(const UserRow& u);
  core::Status InsertSession(const SessionRow& s);
  core::Status DeleteSession(const std::string& token_hash);
  // ReceptionRepository
  core::Result<std::optional<conversation::Message>> FindMessageByDedupeKey(const std::string& key) override;
  core::Status InsertMessage(conversation::Message& msg, const std::string& dedupe_key) override;
  core::Status SaveConversation(const conversation::Conversation& c) override;
  core::Status AppendEvent(conversation::OutEvent& ev, const std::string& data_json) override;

  // Reads (any thread).
  core::Result<std::vector<ShopRow>> ListShops();
  core::Result<std::optional<ShopRow>> ShopById(const std::string& id);
  core::Result<std::optional<ShopRow>> ShopByKeyHash(const std::string& hash);
  core::Result<std::optional<ShopRow>> ShopByName(const std::string& name);
  core::Result<std::vector<UserRow>> ListUsers(const std::string& shop_id = {});
  core::Result<std::optional<UserRow>> UserByUsername(const std::string& username);
  core::Result<std::optional<UserRow>> UserById(const std::string& id);
  core::Result<std::optional<SessionRow>> SessionByHash(const std::string& token_hash);
  core::Result<std::vector<conversation::Conversation>> LoadConversations();
  // A conversation's messages with seq < before (0 = newest), newest `limit` of them, returned
  // oldest first.
  core::Result<std::vector<conversation::Message>> ListMessages(const std::string& conversation_id,
                                                                int64_t before, int limit);
  // Messages of a buyer in a shop, newest `limit`, oldest first.
  core::Result<std::vector<conversation::Message>> BuyerMessages(const std::string& shop_id,
                                                                 const std::string& buyer, int limit);
  // Events with seq > after in the given shops, oldest first, at most `limit`.
  core::Result<std::vector<EventRow>> EventsAfter(int64_t after, const std::vector<std::string>& shop_ids,
                                                  int limit);
  // Calls fn(buyer, sender, ts) for every message of a shop with from <= ts < to, in store order.
  core::Status ForEachMessage(const std::string& shop_id, core::Timestamp from, core::Timestamp to,
                              const std::function<void(const std::string& buyer,
                                                       conversation::Sender from,
                                                       core::Timestamp ts)>& fn);
  core::Result<int64_t> LastEventSeq();
  core::Result<int64_t> CountMessages();

  struct Impl;  // private to store.cc

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// SHA-256 of `text`, lower-case hex.
std::string Sha256Hex(std::string_view text);
// argon2id (OWASP parameters: m=19 MiB, t=2, p=1), encoded with its salt.
core::Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view encoded, std::string_view password);

}  // namespace kefu::store

// SQLite implementations of the orders/after-sales ports (OrdersStore).
#include "store/orders_repo.h"  // IWYU pragma: export
