#include "server/app.h"

#include <algorithm>
#include <future>

#include "server/extensions.h"
#include "server/json.h"
#if KEFU_HAVE_COMPLIANCE
#include "compliance/compliance.h"
#endif
#if KEFU_HAVE_REPLYRATE
#include "server/live.h"
#endif

namespace kefu::server {

void Histogram::Observe(core::Duration d) {
  const double s = std::chrono::duration<double>(d).count();
  size_t i = 0;
  while (i < std::size(kBounds) && s > kBounds[i]) ++i;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
  sum_us.fetch_add(uint64_t(d.count()), std::memory_order_relaxed);
}

void Hub::Add(const std::shared_ptr<Subscriber>& s) {
  auto keys = s->Keys();
  std::lock_guard lock(mu_);
  for (const auto& k : keys) by_key_[k][s.get()] = s;
  keys_[s.get()] = std::move(keys);
}

void Hub::Remove(const Subscriber* s) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(s);
  if (it == keys_.end()) return;
  for (const auto& k : it->second) {
    auto b = by_key_.find(k);
    if (b == by_key_.end()) continue;
    b->second.erase(s);
    if (b->second.empty()) by_key_.erase(b);
  }
  keys_.erase(it);
}

size_t Hub::Count() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

void Hub::Collect(const std::string& key, const EventAudience& ev,
                  std::vector<std::shared_ptr<Subscriber>>& out) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  for (const auto& [ptr, w] : it->second)
    if (auto s = w.lock(); s && s->Wants(ev)) out.push_back(std::move(s));
}

void Hub::Publish(const EventAudience& ev, std::string_view data) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    const std::string shop(ev.shop_id), agent(ev.agent_id), buyer(ev.buyer);
    std::lock_guard lock(mu_);
    Collect(LeadsKey(shop), ev, targets);
    if (agent.empty()) Collect(AgentsKey(shop), ev, targets);
    else Collect(AgentKey(shop, agent), ev, targets);
    if (ev.buyer_visible) Collect(BuyerKey(shop, buyer), ev, targets);
  }
  if (targets.empty()) return;
  // One encoded frame shared by every receiver.
  std::string frame;
  frame.reserve(data.size() + ev.type.size() + 48);
  frame += "{\"id\":\"";
  frame += std::to_string(ev.seq);
  frame += "\",\"type\":\"";
  frame += ev.type;
  frame += "\",\"data\":";
  frame += data;
  frame += '}';
  auto shared = std::make_shared<const std::string>(std::move(frame));
  for (auto& s : targets) s->Deliver(ev.seq, shared);
}

App::App(const ServerOptions& opt, core::Clock& clock, std::unique_ptr<store::Store> store)
    : opt_(opt), clock_(clock), store_(std::move(store)), default_zone_(core::TimeZone::Fixed(480)) {
  if (auto z = core::TimeZone::Load("Asia/Shanghai"); z.ok()) default_zone_ = *z;
  conversation::RoutingSettings rs;
  rs.sticky_window = opt.sticky_window;
  reception_ = std::make_unique<conversation::ReceptionService>(clock_, *store_, *this, rs);
}

App::~App() {
  Stop();
  extensions_.clear();
}

core::Status App::Start() {
#if KEFU_HAVE_COMPLIANCE
  KEFU_ASSIGN_OR_RETURN(auto guard, compliance::Guard::Create());
  guard_ = std::shared_ptr<const compliance::Guard>(std::move(guard));
#endif
  KEFU_ASSIGN_OR_RETURN(auto shops, store_->ListShops());
  for (const auto& s : shops) {
    shops_[s.id] = s;
    shop_by_key_[s.ingest_key_hash] = s.id;
    if (auto z = core::TimeZone::Load(s.tz); z.ok()) zones_.emplace(s.id, *z);
  }
  KEFU_ASSIGN_OR_RETURN(auto users, store_->ListUsers());
  for (const auto& u : users) {
    users_[u.id] = u;
    reception_->LoadAgent(AgentOf(u));
  }
  KEFU_ASSIGN_OR_RETURN(auto convs, store_->LoadConversations());
  for (const auto& c : convs) reception_->LoadConversation(c);
#if KEFU_HAVE_REPLYRATE
  live_ = std::make_shared<LiveGuard>(*this);
  live_->Load(convs);
#endif
  // Custom words first: the others check texts against them from their Start on.
  extensions_.push_back(MakeComplianceWordsApi(*this));
  extensions_.push_back(MakeRobotApi(*this));
  extensions_.push_back(MakeOrdersApi(*this));
  extensions_.push_back(MakeTemplatesApi(*this));
  for (auto& e : extensions_) KEFU_TRY(e->Start());
  store_->StartWriter();
  return core::Status::Ok();
}

void App::Stop() {
  if (store_) store_->StopWriter();
}

conversation::Agent App::AgentOf(const store::UserRow& row) const {
  conversation::Agent a;
  a.id = row.id;
  a.username = row.username;
  a.display_name = row.display_name;
  a.role = conversation::ParseRole(row.role).value_or(conversation::Role::kAgent);
  a.shop_ids = {row.shop_ids.begin(), row.shop_ids.end()};
  for (const auto& s : row.skills)
    if (auto k = conversation::ParseSkill(s)) a.skills.insert(*k);
  a.max_concurrent = row.max_concurrent;
  return a;
}

User App::MakeUser(const store::UserRow& row) const {
  User u;
  u.row = row;
  u.actor.user_id = row.id;
  u.actor.role = conversation::ParseRole(row.role).value_or(conversation::Role::kAgent);
  u.actor.shop_ids = {row.shop_ids.begin(), row.shop_ids.end()};
  return u;
}

void App::CacheUser(const store::UserRow& row) {
  {
    std::unique_lock lock(mu_);
    users_[row.id] = row;
  }
  reception_->UpsertAgent(AgentOf(row));
}

core::Result<std::pair<std::string, User>> App::Login(const std::string& username,
                                                      const std::string& password) {
  KEFU_ASSIGN_OR_RETURN(auto row, store_->UserByUsername(username));
  // The same answer for an unknown user and a wrong password, so usernames cannot be probed.
  if (!row || !store::VerifyPassword(row->password_hash, password))
    return core::Unauthenticated("wrong username or password");
  CacheUser(*row);
  const std::string token = core::NewSecret(24);
  store::SessionRow s{store::Sha256Hex(token), row->id, clock_.Now() + opt_.token_ttl};
  // Sessions survive restarts; the insert goes through the writer like every write.
  // The promise is shared with the writer thread, which may still be inside set_value when
  // get() returns here.
  auto committed = std::make_shared<std::promise<bool>>();
  auto fut = committed->get_future();
  auto status = std::make_shared<core::Status>();
  Write([this, s, status] { *status = store_->InsertSession(s); return status->ok(); },
        [committed, status](bool ok) { committed->set_value(ok && status->ok()); });
  if (!fut.get()) return core::Unavailable("could not store the session");
  {
    std::unique_lock lock(mu_);
    sessions_[s.token_hash] = Session{s.user_id, s.expires_at};
  }
  return std::make_pair(token, MakeUser(*row));
}

core::Result<User> App::Authenticate(const std::string& token) {
  if (token.empty()) return core::Unauthenticated("missing bearer token");
  const std::string hash = store::Sha256Hex(token);
  Session session;
  bool found = false;
  {
    std::shared_lock lock(mu_);
    if (revoked_.count(hash)) return core::Unauthenticated("the session has ended (logged out)");
    if (auto it = sessions_.find(hash); it != sessions_.end()) {
      session = it->second;
      found = true;
    }
  }
  if (!found) {
    KEFU_ASSIGN_OR_RETURN(auto row, store_->SessionByHash(hash));
    if (!row) return core::Unauthenticated("unknown or expired token");
    session = Session{row->user_id, row->expires_at};
    std::unique_lock lock(mu_);
    if (revoked_.count(hash)) return core::Unauthenticated("the session has ended (logged out)");
    sessions_[hash] = session;
  }
  if (session.expires_at <= clock_.Now()) return core::Unauthenticated("the session has expired");
  return UserById(session.user_id);
}

core::Result<User> App::UserById(const std::string& id) {
  {
    std::shared_lock lock(mu_);
    if (auto it = users_.find(id); it != users_.end()) return MakeUser(it->second);
  }
  KEFU_ASSIGN_OR_RETURN(auto row, store_->UserById(id));
  if (!row) return core::Unauthenticated("the user no longer exists");
  CacheUser(*row);
  return MakeUser(*row);
}

void App::Logout(const std::string& token) {
  const std::string hash = store::Sha256Hex(token);
  {
    // Remembered so that a lookup racing the delete below cannot bring the session back.
    std::unique_lock lock(mu_);
    sessions_.erase(hash);
    revoked_.insert(hash);
  }
  Write([this, hash] { return store_->DeleteSession(hash).ok(); }, [](bool) {});
}

core::Result<store::ShopRow> App::ShopByIngestKey(const std::string& key) {
  if (key.empty()) return core::Unauthenticated("missing X-Kefu-Key");
  const std::string hash = store::Sha256Hex(key);
  {
    std::shared_lock lock(mu_);
    if (auto it = shop_by_key_.find(hash); it != shop_by_key_.end()) return shops_.at(it->second);
  }
  KEFU_ASSIGN_OR_RETURN(auto row, store_->ShopByKeyHash(hash));
  if (!row) return core::Unauthenticated("unknown ingest key");
  std::unique_lock lock(mu_);
  shops_[row->id] = *row;
  shop_by_key_[hash] = row->id;
  if (auto z = core::TimeZone::Load(row->tz); z.ok()) zones_.emplace(row->id, *z);
  return *row;
}

std::optional<store::ShopRow> App::CachedShopByIngestKey(const std::string& key) {
  if (key.empty()) return std::nullopt;
  {
    // Keys that checked out before skip the hash: a bridge sends the same key with every message.
    std::shared_lock lock(mu_);
    if (auto it = verified_keys_.find(key); it != verified_keys_.end()) return shops_.at(it->second);
  }
  const std::string hash = store::Sha256Hex(key);
  std::unique_lock lock(mu_);
  auto it = shop_by_key_.find(hash);
  if (it == shop_by_key_.end()) return std::nullopt;
  if (verified_keys_.size() >= 4096) verified_keys_.clear();  // bounded; keys rarely change
  verified_keys_.emplace(key, it->second);
  return shops_.at(it->second);
}

core::Result<store::ShopRow> App::ShopById(const std::string& id) {
  {
    std::shared_lock lock(mu_);
    if (auto it = shops_.find(id); it != shops_.end()) return it->second;
  }
  KEFU_ASSIGN_OR_RETURN(auto row, store_->ShopById(id));
  if (!row) return core::NotFound("shop " + id + " not found");
  std::unique_lock lock(mu_);
  shops_[row->id] = *row;
  shop_by_key_[row->ingest_key_hash] = row->id;
  if (auto z = core::TimeZone::Load(row->tz); z.ok()) zones_.emplace(row->id, *z);
  return *row;
}

std::vector<store::ShopRow> App::ShopsOf(const User& u) {
  std::vector<store::ShopRow> out;
  for (const auto& id : u.row.shop_ids)
    if (auto s = ShopById(id); s.ok()) out.push_back(*s);
  return out;
}

const core::TimeZone& App::ZoneOf(const std::string& shop_id) {
  std::shared_lock lock(mu_);
  auto it = zones_.find(shop_id);
  return it == zones_.end() ? default_zone_ : it->second;
}

namespace {
class FnJob final : public store::WriteJob {
 public:
  FnJob(std::function<bool()> run, std::function<void(bool)> done, bool outside, bool no_undo)
      : run_(std::move(run)), done_(std::move(done)), outside_(outside), no_undo_(no_undo) {}
  bool Run() override { return run_(); }
  void Done(bool committed) override { done_(committed); }
  bool OutsideTransaction() const override { return outside_; }
  bool FailsOnlyBeforeWriting() const override { return no_undo_; }

 private:
  std::function<bool()> run_;
  std::function<void(bool)> done_;
  bool outside_, no_undo_;
};
}  // namespace

void App::Write(std::function<bool()> fn, std::function<void(bool)> done, Undo undo) {
  store_->Submit(std::make_unique<FnJob>(std::move(fn), std::move(done), false, undo == Undo::kNothingToUndo));
}

void App::WriteBetweenBatches(std::function<bool()> fn, std::function<void(bool)> done) {
  store_->Submit(std::make_unique<FnJob>(std::move(fn), std::move(done), true, false));
}

void App::Tick() {
#if KEFU_HAVE_REPLYRATE
  if (live_) live_->Tick(clock_.Now());
#endif
  for (auto& e : extensions_) e->Tick(clock_.Now());
}

void App::Publish(const conversation::Outcome& out) {
  for (const auto& ev : out.events) {
#if KEFU_HAVE_REPLYRATE
    if (live_) live_->OnEvent(ev);
#endif
    for (auto& e : extensions_) e->OnCommitted(ev);
    hub_.Publish(EventAudience{ev.seq, ev.type, ev.shop_id, ev.agent_id, ev.buyer, ev.buyer_visible},
                 ev.data_json);
  }
}

std::string App::Encode(const conversation::OutEvent& ev) const {
  // Called on the writer thread for every event, so it writes JSON straight into the string.
  auto& self = const_cast<App&>(*this);
  const core::TimeZone& tz = self.ZoneOf(ev.shop_id);
  std::string out;
  out.reserve(1024);
  JsonWriter w(out);
  w.BeginObject();
  if (ev.message) WriteMessage(w.Key("message"), *ev.message, tz);
  if (ev.conversation) {
    std::string agent_name;
    if (!ev.conversation->agent_id.empty()) {
      std::shared_lock lock(self.mu_);
      if (auto it = users_.find(ev.conversation->agent_id); it != users_.end()) agent_name = it->second.display_name;
    }
    WriteConversation(w.Key("conversation"), *ev.conversation, tz, agent_name);
  }
  if (!ev.presence_agent.empty()) {
    w.Key("agent").String(ev.presence_agent);
    w.Key("presence").String(conversation::PresenceName(ev.presence));
    w.Key("load").Int(ev.load);
  }
  w.EndObject();
  return out;
}

}  // namespace kefu::server
