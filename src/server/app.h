// The application behind the HTTP layer: accounts and sessions, the reception service, the
// WebSocket hub, metrics. Private to server/.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "conversation/conversation.h"
#include "core/core.h"
#include "core/time_zone.h"
#include "server/server.h"
#include "store/store.h"

namespace kefu::compliance {
class Guard;
class CustomWordSet;
struct CheckResult;
}  // namespace kefu::compliance
namespace kefu::server {
class LiveGuard;
class Extension;
}  // namespace kefu::server

namespace kefu::server {

struct User {
  store::UserRow row;
  conversation::Actor actor;
};

// Who an event is for: the fields the hub and the sockets decide on, borrowed from a live event
// or a stored row.
struct EventAudience {
  int64_t seq = 0;
  std::string_view type, shop_id, agent_id, buyer;
  bool buyer_visible = false;
};

// A WebSocket connection as the hub sees it. Deliver() is thread-safe.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual bool Wants(const EventAudience& ev) const = 0;
  virtual void Deliver(int64_t seq, std::shared_ptr<const std::string> frame) = 0;
  // The hub's index keys this socket listens on (Hub::LeadsKey, AgentsKey, AgentKey, BuyerKey).
  virtual std::vector<std::string> Keys() const = 0;
};

// Fan-out of committed events to the sockets that may see them. Sockets are indexed by who
// they are (a shop's leads, its agents, one agent, one buyer), so an event touches only its
// audience, not every socket of the shop. Thread-safe.
class Hub {
 public:
  static std::string LeadsKey(const std::string& shop) { return shop + "|leads"; }
  static std::string AgentsKey(const std::string& shop) { return shop + "|agents"; }
  static std::string AgentKey(const std::string& shop, const std::string& agent) { return shop + "|a|" + agent; }
  static std::string BuyerKey(const std::string& shop, const std::string& buyer) { return shop + "|b|" + buyer; }

  void Add(const std::shared_ptr<Subscriber>& s);
  void Remove(const Subscriber* s);
  // Sends the event (its encoded `data`) to the sockets of its audience.
  void Publish(const EventAudience& ev, std::string_view data);
  size_t Count() const;

 private:
  void Collect(const std::string& key, const EventAudience& ev,
               std::vector<std::shared_ptr<Subscriber>>& out) const;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unordered_map<const Subscriber*, std::weak_ptr<Subscriber>>> by_key_;
  std::unordered_map<const Subscriber*, std::vector<std::string>> keys_;
};

// A latency histogram for Prometheus (seconds buckets).
struct Histogram {
  static constexpr double kBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  std::atomic<uint64_t> buckets[std::size(kBounds) + 1] = {};
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_us{0};
  void Observe(core::Duration d);
};

struct Metrics {
  std::atomic<uint64_t> requests_2xx{0}, requests_4xx{0}, requests_5xx{0};
  std::atomic<uint64_t> messages_ingested{0}, messages_sent{0}, compliance_blocked{0};
  std::atomic<int64_t> open_sockets{0};
  std::atomic<uint64_t> dropped_sockets{0};
  Histogram latency;
};

class App final : public conversation::EventEncoder {
 public:
  App(const ServerOptions& opt, core::Clock& clock, std::unique_ptr<store::Store> store);
  ~App() override;
  // Loads accounts and conversations; starts the writer.
  core::Status Start();
  void Stop();

  const ServerOptions& options() const { return opt_; }
  core::Clock& clock() { return clock_; }
  store::Store& store() { return *store_; }
  conversation::ReceptionService& reception() { return *reception_; }
  Hub& hub() { return hub_; }
  Metrics& metrics() { return metrics_; }
  const compliance::Guard* guard() const { return guard_.get(); }
  // The compliance verdict for `text` sent to buyers of `shop_id`: the shop's platform profile
  // and its custom words as they are at this call (server/compliance_api.cc). kInvalidArgument
  // (field "text") for invalid UTF-8. Without a guard built in, every text is ok.
  core::Result<compliance::CheckResult> CheckOutgoing(const std::string& shop_id, std::string_view text);
  // Replaces a shop's custom words (null: none); the next CheckOutgoing uses them. Thread-safe.
  void SetCustomWords(const std::string& shop_id, std::shared_ptr<const compliance::CustomWordSet> words);
  // The reply-rate guard; null when not built in.
  LiveGuard* live() { return live_.get(); }
  // About once a second: reply-rate warnings and escalations, extensions' timers.
  void Tick();
  // Capabilities in their own files (robot, orders); see server/extensions.h.
  const std::vector<std::unique_ptr<Extension>>& extensions() const { return extensions_; }

  // Accounts (thread-safe). Blocking store reads: call off the event loop.
  core::Result<std::pair<std::string, User>> Login(const std::string& username, const std::string& password);
  // The user behind a bearer token; kUnauthenticated when missing, unknown or expired.
  core::Result<User> Authenticate(const std::string& token);
  core::Result<User> UserById(const std::string& id);
  void Logout(const std::string& token);
  core::Result<store::ShopRow> ShopByIngestKey(const std::string& key);
  // The shop of an ingest key when it is cached (never blocks); nullopt means "ask the store".
  std::optional<store::ShopRow> CachedShopByIngestKey(const std::string& key);
  core::Result<store::ShopRow> ShopById(const std::string& id);
  std::vector<store::ShopRow> ShopsOf(const User& u);
  // The shop's time zone for formatting (Asia/Shanghai when unknown).
  const core::TimeZone& ZoneOf(const std::string& shop_id);

  // Runs `fn` on the writer thread inside a group-committed transaction (its writes are undone
  // when it returns false); `done` is called on the store's completion thread, in commit order,
  // once the commit is durable (committed=true) or rolled back, and must only post work.
  // `undo`: kSavepoint gives fn a savepoint so its writes are undone alone when it fails;
  // kNothingToUndo is for fn that fails only before its first write (it skips the savepoint's
  // page copies; a failure after a write after all rolls back the whole batch).
  enum class Undo { kSavepoint, kNothingToUndo };
  void Write(std::function<bool()> fn, std::function<void(bool)> done, Undo undo = Undo::kSavepoint);
  // Like Write, but `fn` runs on the writer thread between two batches with no transaction
  // open (for writes through another SQLite connection); `done` gets fn's result.
  void WriteBetweenBatches(std::function<bool()> fn, std::function<void(bool)> done);
  // Publishes an outcome's events (after commit).
  void Publish(const conversation::Outcome& out);

  std::string Encode(const conversation::OutEvent& ev) const override;

 private:
  struct Session {
    std::string user_id;
    core::Timestamp expires_at;
  };
  void CacheUser(const store::UserRow& row);
  conversation::Agent AgentOf(const store::UserRow& row) const;
  User MakeUser(const store::UserRow& row) const;

  ServerOptions opt_;
  core::Clock& clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<conversation::ReceptionService> reception_;
  std::shared_ptr<const compliance::Guard> guard_;  // null when not built in
  std::shared_ptr<LiveGuard> live_;                 // null when not built in
  std::shared_mutex words_mu_;
  // Shop id -> its custom words; guarded by words_mu_.
  std::unordered_map<std::string, std::shared_ptr<const compliance::CustomWordSet>> custom_words_;
  std::vector<std::unique_ptr<Extension>> extensions_;
  Hub hub_;
  Metrics metrics_;

  std::shared_mutex mu_;
  std::unordered_map<std::string, Session> sessions_;         // token hash -> session
  std::unordered_set<std::string> revoked_;                   // logged-out token hashes
  std::unordered_map<std::string, store::UserRow> users_;     // by id
  std::unordered_map<std::string, store::ShopRow> shops_;     // by id
  std::unordered_map<std::string, std::string> shop_by_key_;  // key hash -> shop id
  std::unordered_map<std::string, std::string> verified_keys_;  // ingest key -> shop id (memory only)
  std::unordered_map<std::string, core::TimeZone> zones_;     // shop id -> zone
  core::TimeZone default_zone_;
};

}  // namespace kefu::server
