// The robot in the running product: its HTTP API (FAQ CRUD, import/export, settings, the test
// box, the learning loop) and its reception, which reacts to committed buyer messages. Each
// shop's knowledge base, settings and matcher form one immutable snapshot that is swapped on
// change (copy on write), so matching never takes a lock while an edit is being saved.
//
// Persistence: the robot's tables are written through store::RobotRepo's own connection, by
// App::WriteBetweenBatches jobs: on the writer thread while it holds no transaction, so the two
// connections never wait for each other's lock.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "orders/orders.h"
#include "robot/robot.h"
#include "server/app.h"
#include "server/extensions.h"
#include "server/json.h"
#include "server/routes.h"
#include "server/shop_texts.h"
#include "store/robot_repo.h"
#if KEFU_HAVE_COMPLIANCE
#include "compliance/compliance.h"
#endif

namespace kefu::server {
namespace {

using conversation::Outcome;
using conversation::Sender;

constexpr size_t kMaxQuestion = 600;   // bytes (~200 Chinese characters)
constexpr size_t kMaxAnswer = 3000;    // bytes (~1000 Chinese characters)
constexpr size_t kMaxSimilar = 100;
constexpr size_t kMaxOptions = 10;     // hot questions / menu items
constexpr size_t kMaxOption = 90;      // bytes (~30 characters)
// 拼多多 promises shipping within 48 hours of payment unless a listing says otherwise; it is the
// stand-in promise while orders do not reach the robot (see OrderFor).
constexpr auto kDefaultShipPromise = std::chrono::hours(48);
const char* const kMenuItems[] = {"查物流", "催发货", "改地址", "申请退款", "开发票"};

// ---------------------------------------------------------------------------------------------
// Per-shop state

struct ShopConfig {
  robot::RobotSettings robot;
  bool configured = false;           // saved by a lead (or the demo); the robot is off until then
  bool robot_first = false;          // answer even when an agent has the buyer
  bool greet_when_assigned = false;  // opening message also when an agent has the buyer
  std::vector<std::vector<std::string>> synonyms;
  std::vector<std::string> product_names;
  std::optional<core::Timestamp> updated_at;
};

struct ShopState {
  ShopConfig config;
  std::vector<robot::FaqEntry> kb;  // in list order
  std::unordered_map<std::string, core::Timestamp> updated;  // entry id -> last saved
  std::shared_ptr<const robot::Matcher> matcher;              // over kb; never null
  bool Active() const { return config.configured && config.robot.enabled; }
  const robot::FaqEntry* Find(const std::string& id) const {
    for (const auto& e : kb)
      if (e.id == id) return &e;
    return nullptr;
  }
};
using StatePtr = std::shared_ptr<const ShopState>;

core::Result<std::shared_ptr<const robot::Matcher>> BuildMatcher(const std::vector<robot::FaqEntry>& kb,
                                                                 const ShopConfig& c) {
  robot::MatcherOptions opt;
  opt.shop_synonyms = c.synonyms;
  opt.product_names = c.product_names;
  KEFU_ASSIGN_OR_RETURN(auto m, robot::Matcher::Build(kb, robot::DefaultLexicon(), opt));
  return std::shared_ptr<const robot::Matcher>(std::make_shared<robot::Matcher>(std::move(m)));
}

// ---------------------------------------------------------------------------------------------
// JSON

json::value Ts(const std::optional<core::Timestamp>& t, const core::TimeZone& tz) {
  return t ? json::value(tz.Format(*t)) : json::value(nullptr);
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::value(s));
  return a;
}

std::string Trim(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return std::string(s);
}

json::object FaqJson(const robot::FaqEntry& e, const ShopState& st, const core::TimeZone& tz) {
  json::object o{{"id", e.id},
                 {"question", e.question},
                 {"similar", Strings(e.similar)},
                 {"answer", e.answer},
                 {"category", e.category},
                 {"enabled", e.enabled},
                 {"valid_from", Ts(e.valid_from, tz)},
                 {"valid_to", Ts(e.valid_to, tz)}};
  auto it = st.updated.find(e.id);
  o["updated_at"] = it == st.updated.end() ? json::value(nullptr) : json::value(tz.Format(it->second));
  return o;
}

std::string HourText(int minutes) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

core::Result<int> ParseHour(const std::string& s, const char* field, bool allow_24) {
  int h = 0, m = 0;
  if (s.size() != 5 || s[2] != ':' || std::sscanf(s.c_str(), "%2d:%2d", &h, &m) != 2 || h < 0 ||
      m < 0 || m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
    return core::InvalidArgument(std::string(field) + " must be HH:MM", field);
  return h * 60 + m;
}

// Settings as the API shows them and as they are stored (stored form: without shop/updated_at).
json::object SettingsJson(const ShopConfig& c) {
  const auto& r = c.robot;
  json::array syn;
  for (const auto& g : c.synonyms) syn.push_back(Strings(g));
  return json::object{{"enabled", c.configured && r.enabled},
                      {"configured", c.configured},
                      {"robot_first", c.robot_first},
                      {"greet_when_assigned", c.greet_when_assigned},
                      {"opening_message", r.opening_message},
                      {"hot_questions", Strings(r.hot_questions)},
                      {"self_service_menu", Strings(r.self_service_menu)},
                      {"human_hours", json::object{{"start", HourText(r.human_hours_start)},
                                                   {"end", HourText(r.human_hours_end)}}},
                      {"delay_coupon_id", r.delay_coupon_id},
                      {"delay_coupon_text", r.delay_coupon_text},
                      {"late_promise_hours", r.late_promise_hours},
                      {"invoice_answer", r.invoice_answer},
                      {"synonyms", std::move(syn)},
                      {"product_names", Strings(c.product_names)}};
}

core::Result<std::optional<bool>> BoolField(const json::object& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return std::optional<bool>();
  if (!it->value().is_bool()) return core::InvalidArgument(std::string(name) + " must be true or false", name);
  return std::optional<bool>(it->value().get_bool());
}

core::Result<std::optional<std::string>> OptString(const json::object& o, const char* name, size_t max) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>();
  if (!it->value().is_string()) return core::InvalidArgument(std::string(name) + " must be a string", name);
  std::string s(it->value().get_string());
  if (s.size() > max) return core::InvalidArgument(std::string(name) + " is too long", name);
  return std::optional<std::string>(std::move(s));
}

// A list of short strings; `options` lists are shown as buttons, so they may not contain the
// 【】 brackets that mark buttons in a message, nor line breaks.
core::Result<std::optional<std::vector<std::string>>> StringList(const json::object& o, const char* name,
                                                                 size_t max_items, size_t max_len,
                                                                 bool options) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return std::optional<std::vector<std::string>>();
  if (!it->value().is_array()) return core::InvalidArgument(std::string(name) + " must be a list of strings", name);
  std::vector<std::string> out;
  for (const auto& v : it->value().get_array()) {
    if (!v.is_string()) return core::InvalidArgument(std::string(name) + " must be a list of strings", name);
    std::string s = Trim(std::string(v.get_string()));
    if (s.empty()) continue;
    if (s.size() > max_len) return core::InvalidArgument(std::string(name) + ": \"" + s.substr(0, 30) + "\" is too long", name);
    if (options && (s.find("【") != std::string::npos || s.find("】") != std::string::npos ||
                    s.find('\n') != std::string::npos))
      return core::InvalidArgument(std::string(name) + " may not contain 【】 or line breaks", name);
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  if (out.size() > max_items)
    return core::InvalidArgument(std::string(name) + " has more than " + std::to_string(max_items) + " items", name);
  return std::optional<std::vector<std::string>>(std::move(out));
}

// Applies the fields present in `o` onto `c`.
core::Status ApplySettings(const json::object& o, ShopConfig& c) {
  auto& r = c.robot;
  KEFU_ASSIGN_OR_RETURN(auto enabled, BoolField(o, "enabled"));
  if (enabled) r.enabled = *enabled;
  KEFU_ASSIGN_OR_RETURN(auto first, BoolField(o, "robot_first"));
  if (first) c.robot_first = *first;
  KEFU_ASSIGN_OR_RETURN(auto greet, BoolField(o, "greet_when_assigned"));
  if (greet) c.greet_when_assigned = *greet;
  KEFU_ASSIGN_OR_RETURN(auto opening, OptString(o, "opening_message", kMaxAnswer));
  if (opening) r.opening_message = Trim(*opening);
  KEFU_ASSIGN_OR_RETURN(auto hot, StringList(o, "hot_questions", kMaxOptions, kMaxOption, true));
  if (hot) r.hot_questions = *hot;
  KEFU_ASSIGN_OR_RETURN(auto menu, StringList(o, "self_service_menu", kMaxOptions, kMaxOption, true));
  if (menu) {
    for (const auto& m : *menu)
      if (std::find(std::begin(kMenuItems), std::end(kMenuItems), m) == std::end(kMenuItems))
        return core::InvalidArgument("self_service_menu: \"" + m + "\" is not one of 查物流, 催发货, 改地址, 申请退款, 开发票",
                                     "self_service_menu");
    r.self_service_menu = *menu;
  }
  if (auto it = o.find("human_hours"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return core::InvalidArgument("human_hours must be {\"start\",\"end\"}", "human_hours");
    const auto& h = it->value().get_object();
    KEFU_ASSIGN_OR_RETURN(auto start, StringField(h, "start", true));
    KEFU_ASSIGN_OR_RETURN(auto end, StringField(h, "end", true));
    KEFU_ASSIGN_OR_RETURN(int s, ParseHour(start, "human_hours.start", false));
    KEFU_ASSIGN_OR_RETURN(int e, ParseHour(end, "human_hours.end", true));
    if (s == e) return core::InvalidArgument("human_hours.end must differ from start", "human_hours.end");
    r.human_hours_start = s;
    r.human_hours_end = e;
  }
  KEFU_ASSIGN_OR_RETURN(auto coupon, OptString(o, "delay_coupon_id", 64));
  if (coupon) r.delay_coupon_id = Trim(*coupon);
  KEFU_ASSIGN_OR_RETURN(auto coupon_text, OptString(o, "delay_coupon_text", kMaxOption));
  if (coupon_text) {
    if (Trim(*coupon_text).empty()) return core::InvalidArgument("delay_coupon_text must not be empty", "delay_coupon_text");
    r.delay_coupon_text = Trim(*coupon_text);
  }
  if (auto it = o.find("late_promise_hours"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_int64() || it->value().get_int64() < 1 || it->value().get_int64() > 168)
      return core::InvalidArgument("late_promise_hours must be an integer from 1 to 168", "late_promise_hours");
    r.late_promise_hours = int(it->value().get_int64());
  }
  KEFU_ASSIGN_OR_RETURN(auto invoice, OptString(o, "invoice_answer", kMaxAnswer));
  if (invoice) {
    if (Trim(*invoice).empty()) return core::InvalidArgument("invoice_answer must not be empty", "invoice_answer");
    r.invoice_answer = Trim(*invoice);
  }
  if (auto it = o.find("synonyms"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) return core::InvalidArgument("synonyms must be a list of word lists", "synonyms");
    std::vector<std::vector<std::string>> groups;
    for (const auto& g : it->value().get_array()) {
      if (!g.is_array()) return core::InvalidArgument("synonyms must be a list of word lists", "synonyms");
      json::object tmp{{"g", g}};
      KEFU_ASSIGN_OR_RETURN(auto words, StringList(tmp, "g", 50, 60, false));
      if (words->size() == 1) return core::InvalidArgument("a synonym group needs at least two words", "synonyms");
      if (words->size() >= 2) groups.push_back(*words);
    }
    if (groups.size() > 500) return core::InvalidArgument("at most 500 synonym groups", "synonyms");
    c.synonyms = std::move(groups);
  }
  KEFU_ASSIGN_OR_RETURN(auto products, StringList(o, "product_names", 2000, 90, false));
  if (products) c.product_names = *products;
  return core::Status::Ok();
}

core::Result<std::optional<core::Timestamp>> TimeField(const json::object& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return std::optional<core::Timestamp>();
  if (!it->value().is_string()) return core::InvalidArgument(std::string(name) + " must be an RFC 3339 time", name);
  auto t = core::ParseRfc3339(std::string(it->value().get_string()));
  if (!t.ok()) return core::InvalidArgument(std::string(name) + " must be an RFC 3339 time", name);
  return std::optional<core::Timestamp>(*t);
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id == "import" || id == "export") return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

// Checks an entry's fields (also for imported entries). `where` prefixes messages.
core::Status ValidateEntry(robot::FaqEntry& e, const std::string& where = {}) {
  e.question = Trim(e.question);
  e.answer = Trim(e.answer);
  e.category = Trim(e.category);
  if (!ValidId(e.id))
    return core::InvalidArgument(where + "id must be 1-64 letters, digits, '_', '-' or '.' (not import/export)", "id");
  if (e.question.empty()) return core::InvalidArgument(where + "question must not be empty", "question");
  if (e.question.size() > kMaxQuestion) return core::InvalidArgument(where + "question is too long", "question");
  if (e.answer.empty()) return core::InvalidArgument(where + "answer must not be empty", "answer");
  if (e.answer.size() > kMaxAnswer) return core::InvalidArgument(where + "answer is too long", "answer");
  if (e.category.size() > 60) return core::InvalidArgument(where + "category is too long", "category");
  std::vector<std::string> similar;
  for (auto& s : e.similar) {
    std::string t = Trim(s);
    if (t.empty() || t == e.question || std::find(similar.begin(), similar.end(), t) != similar.end()) continue;
    if (t.size() > kMaxQuestion) return core::InvalidArgument(where + "a similar question is too long", "similar");
    similar.push_back(std::move(t));
  }
  if (similar.size() > kMaxSimilar) return core::InvalidArgument(where + "at most 100 similar questions", "similar");
  e.similar = std::move(similar);
  if (e.valid_from && e.valid_to && *e.valid_to <= *e.valid_from)
    return core::InvalidArgument(where + "valid_to must be after valid_from", "valid_to");
  return core::Status::Ok();
}

core::Result<robot::FaqEntry> EntryFromJson(const json::object& o, const std::string& id) {
  robot::FaqEntry e;
  e.id = id;
  KEFU_ASSIGN_OR_RETURN(e.question, StringField(o, "question", true));
  KEFU_ASSIGN_OR_RETURN(e.answer, StringField(o, "answer", true));
  KEFU_ASSIGN_OR_RETURN(e.category, StringField(o, "category", false));
  KEFU_ASSIGN_OR_RETURN(auto similar, StringList(o, "similar", 1000, kMaxQuestion * 2, false));
  if (similar) e.similar = *similar;
  KEFU_ASSIGN_OR_RETURN(auto enabled, BoolField(o, "enabled"));
  e.enabled = enabled.value_or(true);
  KEFU_ASSIGN_OR_RETURN(e.valid_from, TimeField(o, "valid_from"));
  KEFU_ASSIGN_OR_RETURN(e.valid_to, TimeField(o, "valid_to"));
  KEFU_TRY(ValidateEntry(e));
  return e;
}

std::string EntryData(const robot::FaqEntry& e) {
  std::string line = robot::KbToJsonl({e});
  while (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

// The buttons of a robot message: a prompt line and a last line of 【option】 groups. Options
// never contain 【】 or line breaks (validated), so the simulator can split them back safely.
std::string ButtonsText(const std::string& prompt, const std::vector<std::string>& options) {
  std::string s = prompt + "\n";
  for (const auto& o : options) s += "【" + o + "】";
  return s;
}

std::string ReasonZh(const std::string& reason) {
  if (reason == "buyer_asked_for_human") return "买家要求人工";
  if (reason == "robot_unsure") return "机器人没有把握回答";
  if (reason == "answer_needs_order") return "答案需要订单信息";
  if (reason == "robot_disabled") return "机器人未启用";
  if (reason == "compliance_blocked") return "机器人的回答未通过合规检查";
  if (reason == "unknown_menu_item") return "未知的自助菜单项";
  return reason;
}

std::string Excerpt(const std::string& s, size_t max_bytes = 120) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // UTF-8 boundary
  return s.substr(0, n) + "…";
}

// ---------------------------------------------------------------------------------------------

class RobotApi final : public Extension {
 public:
  explicit RobotApi(App& app) : app_(app), empty_(std::make_shared<ShopState>()) {
    auto m = BuildMatcher({}, ShopConfig{});
    if (m.ok()) const_cast<ShopState&>(*empty_).matcher = *m;
  }

  core::Status Start() override;
  bool Handle(const Request& req, const std::vector<std::string>& seg, const User& user,
              const Respond& respond) override;
  void OnCommitted(const conversation::OutEvent& ev) override;

 private:
  struct Pending {
    std::string question_id;  // stored already (the robot abstained) or empty
    std::string text;
  };
  struct RecordOp {
    std::string conversation_id, shop_id, text;
    bool abstained = false;
  };

  StatePtr State(const std::string& shop) const {
    std::shared_lock lock(states_mu_);
    auto it = states_.find(shop);
    return it == states_.end() ? empty_ : it->second;
  }
  void Swap(const std::string& shop, StatePtr next) {
    std::unique_lock lock(states_mu_);
    states_[shop] = std::move(next);
  }
  std::mutex& MutationLock(const std::string& shop) {
    std::lock_guard lock(locks_mu_);
    auto& p = locks_[shop];
    if (!p) p = std::make_unique<std::mutex>();
    return *p;
  }
  core::Result<StatePtr> Load(const std::string& shop);
  core::Status LoadDemo(const std::string& shop);

  // Runs fn on the writer thread while the store holds no transaction; waits for it. Only from
  // the blocking pool (never from the writer or completion thread).
  core::Status PersistNow(std::function<core::Status(store::RobotRepo&)> fn) {
    auto p = std::make_shared<std::promise<core::Status>>();
    auto f = p->get_future();
    auto status = std::make_shared<core::Status>(core::Unavailable("not stored; retry"));
    app_.WriteBetweenBatches([this, status, fn = std::move(fn)] {
      *status = fn(*repo_);
      return status->ok();
    }, [p, status](bool) { p->set_value(*status); });
    return f.get();
  }

  // The compliance verdict for a text sent to buyers of `shop`: ok, or 422 compliance_blocked.
  struct Verdict {
    bool ok = true;
    json::array violations;
  };
  core::Result<Verdict> Check(const std::string& shop, const std::string& text) const;
  Response Blocked(const std::string& field, const std::string& message, json::array violations) const;

  // Handlers.
  void ListFaq(const Request& req, const std::string& shop, const Respond& respond);
  void SaveFaq(const std::string& shop, const std::string& id, const json::object& body, bool create,
               const Respond& respond);
  void DeleteFaq(const std::string& shop, const std::string& id, const Respond& respond);
  void ImportFaq(const Request& req, const std::string& shop, const Respond& respond);
  void ExportFaq(const Request& req, const std::string& shop, const Respond& respond);
  void PutSettings(const std::string& shop, const json::object& body, const Respond& respond);
  void Ask(const std::string& shop, const json::object& body, const Respond& respond);
  void Suggestions(const Request& req, const std::string& shop, const Respond& respond);

  // Reception (writer thread).
  bool Turn(const ShopState& st, const conversation::Message& m, std::vector<Outcome>& outs,
            std::vector<RecordOp>& records, std::optional<std::string>& await_address);
  std::optional<robot::OrderSnapshot> OrderFor(const conversation::Message& m, std::string* order_id);
  void OnAgentReply(const conversation::Message& m);

  App& app_;
  std::unique_ptr<store::RobotRepo> repo_;
  std::unique_ptr<store::OrdersStore> orders_;  // the shop's imported orders, read-only here
  StatePtr empty_;
  mutable std::shared_mutex states_mu_;
  std::unordered_map<std::string, StatePtr> states_;  // guarded by states_mu_
  std::mutex locks_mu_;
  std::unordered_map<std::string, std::unique_ptr<std::mutex>> locks_;  // guarded by locks_mu_
  std::mutex pending_mu_;
  std::unordered_map<std::string, Pending> pending_;              // conversation -> question
  std::unordered_map<std::string, std::string> await_address_;    // conversation -> order id
};

core::Result<StatePtr> RobotApi::Load(const std::string& shop) {
  auto st = std::make_shared<ShopState>();
  KEFU_ASSIGN_OR_RETURN(auto settings, repo_->GetSettings(shop));
  if (settings) {
    auto body = ParseObject(settings->data);
    if (!body.ok()) return core::Internal("robot settings of " + shop + ": " + body.status().message());
    KEFU_TRY(ApplySettings(*body, st->config));
    st->config.configured = true;
    st->config.updated_at = settings->updated_at;
  }
  KEFU_ASSIGN_OR_RETURN(auto rows, repo_->ListFaqs(shop));
  std::string all;
  for (const auto& r : rows) {
    all += r.data;
    all += '\n';
    st->updated[r.id] = r.updated_at;
  }
  KEFU_ASSIGN_OR_RETURN(st->kb, robot::ParseKbJsonl(all));
  KEFU_ASSIGN_OR_RETURN(st->matcher, BuildMatcher(st->kb, st->config));
  return StatePtr(std::move(st));
}

core::Status RobotApi::LoadDemo(const std::string& shop) {
  // The demo shop's robot: the default apparel FAQ and settings that show every behaviour.
  KEFU_ASSIGN_OR_RETURN(auto kb, robot::ParseKbJsonl(store::DemoRobotKb()));
  auto shop_row = app_.ShopById(shop);
  std::vector<store::FaqRow> rows;
  const core::Timestamp now = app_.clock().Now();
  for (auto& e : kb) {
    if (!ValidateEntry(e).ok()) continue;
    auto v = Check(shop, e.answer);
    if (v.ok() && !v->ok) {
      spdlog::warn("demo FAQ {} skipped: blocked by the compliance guard", e.id);
      continue;
    }
    rows.push_back(store::FaqRow{shop, e.id, EntryData(e), now});
  }
  ShopConfig c;
  c.configured = true;
  c.robot.opening_message = "亲，欢迎光临" + (shop_row.ok() ? shop_row->name : std::string("本店")) +
                            "～我是智能客服小蜜，发送订单卡片可以自助查物流、催发货、改地址哦";
  c.robot.hot_questions = {"什么时候发货", "发什么快递", "包邮吗", "尺码怎么选", "支持七天无理由退货吗"};
  c.robot.delay_coupon_id = "cp_demo_5";
  c.robot.delay_coupon_text = "一张5元无门槛优惠券";
  // Agents are "on duty" around the clock in the demo, so its behaviour does not depend on the
  // hour a visitor (or a browser test) runs it; set human_hours to see the off-hours mode.
  c.robot.human_hours_start = 0;
  c.robot.human_hours_end = 24 * 60;
  c.synonyms = {{"连衣裙", "裙子"}};
  const store::RobotSettingsRow settings{shop, json::serialize(SettingsJson(c)), now};
  KEFU_TRY(repo_->PutFaqs(shop, rows, true));
  return repo_->PutSettings(settings);
}

core::Status RobotApi::Start() {
  KEFU_ASSIGN_OR_RETURN(repo_, store::RobotRepo::Open(app_.options().data_dir));
  orders_ = std::make_unique<store::OrdersStore>(app_.store());
  // Called before the store's writer starts: direct writes do not contend with it.
  if (app_.options().demo) {
    KEFU_ASSIGN_OR_RETURN(auto shops, app_.store().ListShops());
    auto with = repo_->ShopsWithRobot();
    if (!with.ok()) return with.status();
    for (const auto& s : shops)
      if (std::find(with->begin(), with->end(), s.id) == with->end()) KEFU_TRY(LoadDemo(s.id));
  }
  KEFU_ASSIGN_OR_RETURN(auto shops, repo_->ShopsWithRobot());
  for (const auto& shop : shops) {
    KEFU_ASSIGN_OR_RETURN(auto st, Load(shop));
    Swap(shop, std::move(st));
  }
  return core::Status::Ok();
}

core::Result<RobotApi::Verdict> RobotApi::Check(const std::string& shop, const std::string& text) const {
  Verdict v;
#if KEFU_HAVE_COMPLIANCE
  if (!app_.guard()) return v;
  // With the shop's custom words, as they are at this call.
  auto res = const_cast<App&>(app_).CheckOutgoing(shop, text);
  if (!res.ok()) return core::InvalidArgument(res.status().message());
  v.ok = res->ok;
  v.violations = texts::ViolationsJson(res->violations);
#else
  (void)shop;
  (void)text;
#endif
  return v;
}

Response RobotApi::Blocked(const std::string& field, const std::string& message, json::array violations) const {
  json::object o = ErrorJson(core::Status(core::Code::kInvalidArgument, message, field, "compliance_blocked"));
  o["violations"] = std::move(violations);
  return JsonResponse(422, o);
}

// ---------------------------------------------------------------------------------------------
// HTTP

bool RobotApi::Handle(const Request& req, const std::vector<std::string>& seg, const User& user,
                      const Respond& respond) {
  if (seg.size() < 3 || (seg[2] != "faq" && seg[2] != "robot")) return false;
  const std::string& m = req.method;
  const bool faq = seg[2] == "faq";
  // Which route, before any work, so an unknown one falls through to the router's 404.
  enum class R { kNone, kList, kCreate, kGet, kUpdate, kDelete, kImport, kExport, kSettingsGet,
                 kSettingsPut, kAsk, kSuggestions, kAccept };
  R r = R::kNone;
  if (faq && seg.size() == 3) r = m == "GET" ? R::kList : m == "POST" ? R::kCreate : R::kNone;
  else if (faq && seg.size() == 4 && seg[3] == "import") r = m == "POST" ? R::kImport : R::kNone;
  else if (faq && seg.size() == 4 && seg[3] == "export") r = m == "GET" ? R::kExport : R::kNone;
  else if (faq && seg.size() == 4)
    r = m == "GET" ? R::kGet : m == "PUT" ? R::kUpdate : m == "DELETE" ? R::kDelete : R::kNone;
  else if (!faq && seg.size() == 4 && seg[3] == "settings")
    r = m == "GET" ? R::kSettingsGet : m == "PUT" ? R::kSettingsPut : R::kNone;
  else if (!faq && seg.size() == 4 && seg[3] == "ask") r = m == "POST" ? R::kAsk : R::kNone;
  else if (!faq && seg.size() == 4 && seg[3] == "suggestions") r = m == "GET" ? R::kSuggestions : R::kNone;
  else if (!faq && seg.size() == 5 && seg[3] == "suggestions" && seg[4] == "accept")
    r = m == "POST" ? R::kAccept : R::kNone;
  if (r == R::kNone) return false;

  // JSON bodies (import takes raw text).
  const bool has_body = r == R::kCreate || r == R::kUpdate || r == R::kSettingsPut || r == R::kAsk || r == R::kAccept;
  json::object body;
  if (has_body) {
    auto b = ParseObject(req.body);
    if (!b.ok()) return respond(Router::Error(b.status())), true;
    body = std::move(*b);
  }
  // The shop: ?shop=, else the body's "shop", else the caller's first shop. Not a member: 404.
  std::string shop;
  if (auto it = req.query.find("shop"); it != req.query.end()) shop = it->second;
  if (shop.empty() && has_body) {
    auto s = StringField(body, "shop", false);
    if (!s.ok()) return respond(Router::Error(s.status())), true;
    shop = *s;
  }
  if (shop.empty() && !user.row.shop_ids.empty()) shop = user.row.shop_ids.front();
  if (!user.actor.shop_ids.count(shop)) return respond(Router::Error(core::NotFound("shop " + shop + " not found"))), true;
  const bool lead = user.actor.role != conversation::Role::kAgent;
  const bool mutation = r == R::kCreate || r == R::kUpdate || r == R::kDelete || r == R::kImport ||
                        r == R::kSettingsPut || r == R::kAccept || r == R::kSuggestions;
  if (mutation && !lead)
    return respond(Router::Error(core::PermissionDenied("only leads and owners manage the robot"))), true;

  switch (r) {
    case R::kList: ListFaq(req, shop, respond); break;
    case R::kCreate: {
      auto id = StringField(body, "id", false);
      if (!id.ok()) return respond(Router::Error(id.status())), true;
      SaveFaq(shop, id->empty() ? core::NewId("faq_") : Trim(*id), body, true, respond);
      break;
    }
    case R::kAccept: SaveFaq(shop, core::NewId("faq_"), body, true, respond); break;
    case R::kGet: {
      auto st = State(shop);
      const auto* e = st->Find(seg[3]);
      if (!e) return respond(Router::Error(core::NotFound("faq " + seg[3] + " not found"))), true;
      respond(JsonResponse(200, FaqJson(*e, *st, app_.ZoneOf(shop))));
      break;
    }
    case R::kUpdate: SaveFaq(shop, seg[3], body, false, respond); break;
    case R::kDelete: DeleteFaq(shop, seg[3], respond); break;
    case R::kImport: ImportFaq(req, shop, respond); break;
    case R::kExport: ExportFaq(req, shop, respond); break;
    case R::kSettingsGet: {
      auto st = State(shop);
      json::object o = SettingsJson(st->config);
      o["shop"] = shop;
      o["updated_at"] = Ts(st->config.updated_at, app_.ZoneOf(shop));
      respond(JsonResponse(200, o));
      break;
    }
    case R::kSettingsPut: PutSettings(shop, body, respond); break;
    case R::kAsk: Ask(shop, body, respond); break;
    case R::kSuggestions: Suggestions(req, shop, respond); break;
    case R::kNone: return false;
  }
  return true;
}

void RobotApi::ListFaq(const Request& req, const std::string& shop, const Respond& respond) {
  auto st = State(shop);
  auto param = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  auto number = [&](const char* k, int def, int lo, int hi) -> core::Result<int> {
    const std::string v = param(k);
    if (v.empty()) return def;
    if (v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return core::InvalidArgument(std::string(k) + " must be an integer", k);
    const int n = std::stoi(v);
    if (n < lo || n > hi)
      return core::InvalidArgument(std::string(k) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi), k);
    return n;
  };
  auto limit = number("limit", 50, 1, 500);
  if (!limit.ok()) return respond(Router::Error(limit.status()));
  auto offset = number("before", 0, 0, 100000000);
  if (!offset.ok()) return respond(Router::Error(offset.status()));
  const std::string q = robot::Normalize(Trim(param("q")));
  const std::string category = param("category");
  const std::string enabled = param("enabled");
  if (!enabled.empty() && enabled != "true" && enabled != "false")
    return respond(Router::Error(core::InvalidArgument("enabled must be true or false", "enabled")));
  std::vector<const robot::FaqEntry*> hits;
  std::set<std::string> categories;
  for (const auto& e : st->kb) {
    if (!e.category.empty()) categories.insert(e.category);
    if (!category.empty() && e.category != category) continue;
    if (!enabled.empty() && e.enabled != (enabled == "true")) continue;
    if (!q.empty()) {
      std::string hay = e.id + "\n" + e.question + "\n" + e.answer + "\n" + e.category;
      for (const auto& s : e.similar) hay += "\n" + s;
      if (robot::Normalize(hay).find(q) == std::string::npos) continue;
    }
    hits.push_back(&e);
  }
  const auto& tz = app_.ZoneOf(shop);
  json::array items;
  const size_t begin = std::min(hits.size(), size_t(*offset));
  const size_t end = std::min(hits.size(), begin + size_t(*limit));
  for (size_t i = begin; i < end; ++i) items.push_back(FaqJson(*hits[i], *st, tz));
  json::array cats;
  for (const auto& c : categories) cats.push_back(json::value(c));
  respond(JsonResponse(200, json::object{{"items", std::move(items)},
                                         {"next", end < hits.size() ? json::value(std::to_string(end)) : json::value(nullptr)},
                                         {"total", hits.size()},
                                         {"categories", std::move(cats)}}));
}

void RobotApi::SaveFaq(const std::string& shop, const std::string& id, const json::object& body,
                       bool create, const Respond& respond) {
  auto entry = EntryFromJson(body, id);
  if (!entry.ok()) return respond(Router::Error(entry.status()));
  auto verdict = Check(shop, entry->answer);
  if (!verdict.ok()) return respond(Router::Error(core::InvalidArgument(verdict.status().message(), "answer")));
  if (!verdict->ok) {
    app_.metrics().compliance_blocked++;
    return respond(Blocked("answer", "答案含违规内容，未保存 / the answer breaks platform rules and was not saved",
                           std::move(verdict->violations)));
  }
  std::lock_guard lock(MutationLock(shop));
  auto cur = State(shop);
  auto next = std::make_shared<ShopState>(*cur);
  auto it = std::find_if(next->kb.begin(), next->kb.end(), [&](const auto& e) { return e.id == id; });
  if (create && it != next->kb.end())
    return respond(Router::Error(core::AlreadyExists("faq " + id + " already exists", "id")));
  if (!create && it == next->kb.end()) return respond(Router::Error(core::NotFound("faq " + id + " not found")));
  if (it == next->kb.end()) next->kb.push_back(*entry);
  else *it = *entry;
  const core::Timestamp now = app_.clock().Now();
  next->updated[id] = now;
  auto matcher = BuildMatcher(next->kb, next->config);
  if (!matcher.ok()) return respond(Router::Error(matcher.status()));
  next->matcher = *matcher;
  const store::FaqRow row{shop, id, EntryData(*entry), now};
  auto st = PersistNow([row](store::RobotRepo& repo) { return repo.PutFaq(row); });
  if (!st.ok()) return respond(Router::Error(st));
  Swap(shop, next);
  respond(JsonResponse(create ? 201 : 200, FaqJson(*next->Find(id), *next, app_.ZoneOf(shop))));
}

void RobotApi::DeleteFaq(const std::string& shop, const std::string& id, const Respond& respond) {
  std::lock_guard lock(MutationLock(shop));
  auto cur = State(shop);
  if (!cur->Find(id)) return respond(Router::Error(core::NotFound("faq " + id + " not found")));
  auto next = std::make_shared<ShopState>(*cur);
  next->kb.erase(std::remove_if(next->kb.begin(), next->kb.end(), [&](const auto& e) { return e.id == id; }),
                 next->kb.end());
  next->updated.erase(id);
  auto matcher = BuildMatcher(next->kb, next->config);
  if (!matcher.ok()) return respond(Router::Error(matcher.status()));
  next->matcher = *matcher;
  auto st = PersistNow([shop, id](store::RobotRepo& repo) { return repo.DeleteFaq(shop, id); });
  if (!st.ok()) return respond(Router::Error(st));
  Swap(shop, next);
  respond(NoContent());
}

void RobotApi::ImportFaq(const Request& req, const std::string& shop, const Respond& respond) {
  // The body is {"content","format"?,"mode"?} (the web client) or the file itself with
  // ?format=&mode= (scripts, curl --data-binary).
  auto body = ParseObject(req.body);
  std::string content = req.body;
  auto param = [&](const char* k, const char* def) -> core::Result<std::string> {
    if (body.ok()) {
      KEFU_ASSIGN_OR_RETURN(auto v, StringField(*body, k, false));
      if (!v.empty()) return v;
    }
    auto it = req.query.find(k);
    return it == req.query.end() || it->second.empty() ? std::string(def) : it->second;
  };
  if (body.ok()) {
    auto c = StringField(*body, "content", true);
    if (!c.ok()) return respond(Router::Error(c.status()));
    content = *c;
  }
  auto format = param("format", "jsonl");
  if (!format.ok()) return respond(Router::Error(format.status()));
  auto mode_r = param("mode", "merge");
  if (!mode_r.ok()) return respond(Router::Error(mode_r.status()));
  const std::string mode = *mode_r;
  if (*format != "jsonl" && *format != "csv")
    return respond(Router::Error(core::InvalidArgument("format must be jsonl or csv", "format")));
  if (mode != "merge" && mode != "replace")
    return respond(Router::Error(core::InvalidArgument("mode must be merge or replace", "mode")));
  auto kb = *format == "csv" ? robot::ParseKbCsv(content) : robot::ParseKbJsonl(content);
  if (!kb.ok()) return respond(Router::Error(core::InvalidArgument(kb.status().message(), "body")));
  if (kb->empty()) return respond(Router::Error(core::InvalidArgument("the file holds no entries", "body")));
  for (auto& e : *kb) {
    auto st = ValidateEntry(e, "entry " + e.id + ": ");
    if (!st.ok()) return respond(Router::Error(st));
    auto verdict = Check(shop, e.answer);
    if (!verdict.ok()) return respond(Router::Error(core::InvalidArgument("entry " + e.id + ": " + verdict.status().message(), "answer")));
    if (!verdict->ok) {
      app_.metrics().compliance_blocked++;
      return respond(Blocked("answer", "entry " + e.id + ": 答案含违规内容，未导入 / the answer breaks platform rules; nothing was imported",
                             std::move(verdict->violations)));
    }
  }
  std::lock_guard lock(MutationLock(shop));
  auto cur = State(shop);
  auto next = std::make_shared<ShopState>(*cur);
  if (mode == "replace") {
    next->kb.clear();
    next->updated.clear();
  }
  const core::Timestamp now = app_.clock().Now();
  int created = 0, updated = 0;
  std::vector<store::FaqRow> rows;
  for (const auto& e : *kb) {
    auto it = std::find_if(next->kb.begin(), next->kb.end(), [&](const auto& x) { return x.id == e.id; });
    if (it == next->kb.end()) {
      next->kb.push_back(e);
      ++created;
    } else {
      *it = e;
      ++updated;
    }
    next->updated[e.id] = now;
    rows.push_back(store::FaqRow{shop, e.id, EntryData(e), now});
  }
  auto matcher = BuildMatcher(next->kb, next->config);
  if (!matcher.ok()) return respond(Router::Error(matcher.status()));
  next->matcher = *matcher;
  const bool replace = mode == "replace";
  auto st = PersistNow([shop, rows = std::move(rows), replace](store::RobotRepo& repo) {
    return repo.PutFaqs(shop, rows, replace);
  });
  if (!st.ok()) return respond(Router::Error(st));
  const size_t total = next->kb.size();
  Swap(shop, next);
  respond(JsonResponse(200, json::object{{"imported", kb->size()}, {"created", created}, {"updated", updated},
                                         {"total", total}}));
}

void RobotApi::ExportFaq(const Request& req, const std::string& shop, const Respond& respond) {
  auto it = req.query.find("format");
  const std::string format = it == req.query.end() || it->second.empty() ? "jsonl" : it->second;
  if (format != "jsonl" && format != "csv")
    return respond(Router::Error(core::InvalidArgument("format must be jsonl or csv", "format")));
  auto st = State(shop);
  const std::string content = format == "csv" ? robot::KbToCsv(st->kb) : robot::KbToJsonl(st->kb);
  const std::string type = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
  const std::string filename = "faq-" + shop + "." + format;
  if (auto w = req.query.find("wrap"); w != req.query.end() && w->second == "json") {
    // For clients whose HTTP layer speaks JSON only (the web workbench).
    return respond(JsonResponse(200, json::object{{"filename", filename}, {"content_type", type}, {"content", content},
                                                  {"count", st->kb.size()}}));
  }
  Response r;
  r.body = content;
  r.content_type = type;
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  respond(std::move(r));
}

void RobotApi::PutSettings(const std::string& shop, const json::object& body, const Respond& respond) {
  std::lock_guard lock(MutationLock(shop));
  auto cur = State(shop);
  auto next = std::make_shared<ShopState>(*cur);
  auto st = ApplySettings(body, next->config);
  if (!st.ok()) return respond(Router::Error(st));
  // Texts the robot sends to buyers pass the guard before they are saved.
  std::vector<std::pair<std::string, std::string>> texts = {
      {"opening_message", next->config.robot.opening_message},
      {"invoice_answer", next->config.robot.invoice_answer},
      {"delay_coupon_text", next->config.robot.delay_coupon_text}};
  for (const auto& h : next->config.robot.hot_questions) texts.emplace_back("hot_questions", h);
  for (const auto& [field, text] : texts) {
    if (text.empty()) continue;
    auto v = Check(shop, text);
    if (!v.ok()) return respond(Router::Error(core::InvalidArgument(v.status().message(), field)));
    if (!v->ok) {
      app_.metrics().compliance_blocked++;
      return respond(Blocked(field, field + ": 含违规内容，未保存 / breaks platform rules; not saved", std::move(v->violations)));
    }
  }
  next->config.configured = true;
  const core::Timestamp now = app_.clock().Now();
  next->config.updated_at = now;
  if (next->config.synonyms != cur->config.synonyms || next->config.product_names != cur->config.product_names) {
    auto matcher = BuildMatcher(next->kb, next->config);
    if (!matcher.ok()) return respond(Router::Error(matcher.status()));
    next->matcher = *matcher;
  }
  const store::RobotSettingsRow row{shop, json::serialize(SettingsJson(next->config)), now};
  auto saved = PersistNow([row](store::RobotRepo& repo) { return repo.PutSettings(row); });
  if (!saved.ok()) return respond(Router::Error(saved));
  Swap(shop, next);
  json::object o = SettingsJson(next->config);
  o["shop"] = shop;
  o["updated_at"] = Ts(next->config.updated_at, app_.ZoneOf(shop));
  respond(JsonResponse(200, o));
}

void RobotApi::Ask(const std::string& shop, const json::object& body, const Respond& respond) {
  auto text = StringField(body, "text", true);
  if (!text.ok()) return respond(Router::Error(text.status()));
  if (Trim(*text).empty()) return respond(Router::Error(core::InvalidArgument("text must not be empty", "text")));
  if (text->size() > kMaxAnswer) return respond(Router::Error(core::InvalidArgument("text is too long", "text")));
  auto st = State(shop);
  const auto r = st->matcher->Match(*text, app_.clock().Now());
  json::array candidates;
  for (const auto& c : r.candidates) {
    const auto* e = st->Find(c.faq_id);
    candidates.push_back(json::object{{"faq_id", c.faq_id}, {"score", c.score},
                                      {"question", e ? json::value(e->question) : json::value(nullptr)}});
  }
  json::object o{{"faq_id", r.faq_id ? json::value(*r.faq_id) : json::value(nullptr)},
                 {"score", r.score},
                 {"reason", r.reason},
                 {"matched_question", r.matched_question},
                 {"matched_terms", Strings(r.matched_terms)},
                 {"words", Strings(st->matcher->Words(*text))},
                 {"candidates", std::move(candidates)},
                 {"answer", nullptr},
                 {"blocked", false},
                 {"violations", json::array()},
                 {"robot_enabled", st->Active()}};
  if (r.faq_id) {
    if (const auto* e = st->Find(*r.faq_id)) {
      o["answer"] = e->answer;
      o["question"] = e->question;
      auto v = Check(shop, e->answer);
      if (v.ok()) {
        o["blocked"] = !v->ok;
        o["violations"] = std::move(v->violations);
      }
    }
  }
  respond(JsonResponse(200, o));
}

void RobotApi::Suggestions(const Request& req, const std::string& shop, const Respond& respond) {
  const auto& tz = app_.ZoneOf(shop);
  auto param = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  std::string date = param("date");
  if (date.empty()) date = core::FormatLocalDate(tz.DateOf(app_.clock().Now()));
  auto day = core::ParseLocalDate(date);
  if (!day.ok()) return respond(Router::Error(core::InvalidArgument("date must be YYYY-MM-DD", "date")));
  auto small = [&](const char* k, int def, int lo, int hi) -> core::Result<int> {
    const std::string v = param(k);
    if (v.empty()) return def;
    if (v.size() > 3 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(v) < lo || std::stoi(v) > hi)
      return core::InvalidArgument(std::string(k) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi), k);
    return std::stoi(v);
  };
  auto days = small("days", 1, 1, 31);
  if (!days.ok()) return respond(Router::Error(days.status()));
  auto min_count = small("min_count", 2, 1, 100);
  if (!min_count.ok()) return respond(Router::Error(min_count.status()));
  // The window [date 00:00, date+days 00:00) in the shop's zone.
  const auto first = std::chrono::sys_days(*day);
  const core::Timestamp from = tz.At(std::chrono::year_month_day(first), core::Duration(0));
  const core::Timestamp to = tz.At(std::chrono::year_month_day(first + std::chrono::days(*days)), core::Duration(0));
  auto rows = repo_->ListQuestions(shop, from, to, 20000);
  if (!rows.ok()) return respond(Router::Error(rows.status()));
  std::vector<robot::QuestionRecord> records;
  for (const auto& r : *rows) records.push_back(robot::QuestionRecord{r.text, r.agent_answer, r.robot_abstained});
  auto st = State(shop);
  const auto suggestions = robot::SuggestFaqs(*st->matcher, records, *min_count);
  json::array items;
  for (const auto& s : suggestions)
    items.push_back(json::object{{"question", s.question}, {"similar", Strings(s.similar)}, {"count", s.count},
                                 {"example_answers", Strings(s.example_answers)}});
  respond(JsonResponse(200, json::object{{"shop", shop}, {"date", date}, {"days", *days},
                                         {"questions", rows->size()}, {"items", std::move(items)}}));
}

// ---------------------------------------------------------------------------------------------
// Reception

// The order a buyer's turn is about: the latest order card of the conversation. Its state
// comes from the shop's orders (imported or ingested through the orders API); an order Kefu
// does not know yet (the simulator's random cards) falls back to a stand-in: the seeded demo
// order is shipped, any other is paid and waits for shipping within 拼多多's default 48-hour
// promise counted from its card (see docs/robot-server.md).
std::optional<robot::OrderSnapshot> RobotApi::OrderFor(const conversation::Message& m, std::string* order_id) {
  std::string id = m.order_id;
  core::Timestamp card_ts = m.ts;
  if (id.empty()) {
    auto msgs = app_.store().ListMessages(m.conversation_id, m.seq + 1, 40);
    if (!msgs.ok()) return std::nullopt;
    for (auto it = msgs->rbegin(); it != msgs->rend(); ++it) {
      if (it->from == Sender::kBuyer && !it->order_id.empty()) {
        id = it->order_id;
        card_ts = it->ts;
        break;
      }
    }
  }
  if (id.empty()) return std::nullopt;
  if (order_id) *order_id = id;
  robot::OrderSnapshot o;
  o.order_id = id;
  std::optional<orders::Order> known;
  if (orders_) {
    (void)orders_->Read([&](store::OrdersDb& db) -> core::Status {
      auto r = db.orders().Get(m.shop_id, id);
      if (r.ok()) known = *r;
      return core::Status::Ok();
    });
  }
  if (known) {
    using S = orders::OrderStatus;
    switch (known->status) {
      case S::kUnpaid: o.status = robot::OrderStatus::kUnpaid; break;
      case S::kPaid: o.status = robot::OrderStatus::kPaid; break;
      case S::kGroupPending: o.status = robot::OrderStatus::kGroupPending; break;
      case S::kToShip: o.status = robot::OrderStatus::kToShip; break;
      case S::kShipped: o.status = robot::OrderStatus::kShipped; break;
      case S::kDelivered: o.status = robot::OrderStatus::kDelivered; break;
      case S::kClosed: o.status = robot::OrderStatus::kClosed; break;
    }
    o.promised_ship_time = known->promised_ship_time;
    o.tracking_no = known->tracking_no;
    o.carrier = known->carrier;
    const auto& a = known->address;
    o.address = a.province + a.city + a.district + a.detail;
    return o;
  }
  if (id == "240611-5823901") {  // the demo's seeded order (老王): shipped
    o.status = robot::OrderStatus::kShipped;
    o.carrier = "中通快递";
    o.tracking_no = "78312345678901";
    return o;
  }
  o.status = robot::OrderStatus::kToShip;
  o.promised_ship_time = card_ts + kDefaultShipPromise;
  return o;
}

bool RobotApi::Turn(const ShopState& st, const conversation::Message& m, std::vector<Outcome>& outs,
                    std::vector<RecordOp>& records, std::optional<std::string>& await_address) {
  auto& rx = app_.reception();
  conversation::Actor robot_actor;
  robot_actor.user_id = "robot";
  robot_actor.role = conversation::Role::kLead;
  robot_actor.shop_ids = {m.shop_id};
  auto conv = rx.Find(robot_actor, m.conversation_id);
  if (!conv || conv->status == conversation::ConversationStatus::kClosed) return true;

  const core::Timestamp now = app_.clock().Now();
  robot::RobotSettings settings = st.config.robot;
  settings.utc_offset_minutes = app_.ZoneOf(m.shop_id).OffsetMinutes(now);
  const bool assigned = conv->status == conversation::ConversationStatus::kOpen && !conv->agent_id.empty();
  const bool humans = robot::WithinHumanHours(settings, now);
  const bool active = !assigned || st.config.robot_first || !humans;
  auto earlier = app_.store().ListMessages(m.conversation_id, m.seq, 1);
  const bool first = earlier.ok() && earlier->empty();
  const std::string text = Trim(m.text);
  const std::string norm = robot::Normalize(text);

  std::vector<robot::Action> greeting;  // opening message and hot questions: auto-replies
  std::vector<robot::Action> actions;
  auto add = [&](std::vector<robot::Action> more) {
    for (auto& a : more) actions.push_back(std::move(a));
  };
  if (first && (active || st.config.greet_when_assigned)) {
    robot::BuyerTurn enter;
    enter.kind = robot::BuyerTurn::Kind::kEnter;
    enter.first_visit = true;
    enter.buyer_name = m.buyer;
    greeting = robot::Respond(settings, *st.matcher, enter, now);
  }
  std::string order_id;
  std::string flow_item;  // the self-service item the buyer picked
  bool question = false;  // a free-text question (for the learning loop)
  const bool wants_human = norm.find("人工") != std::string::npos || norm.find("真人") != std::string::npos;
  if (!m.order_id.empty()) {
    robot::BuyerTurn card;
    card.kind = robot::BuyerTurn::Kind::kOrderCard;
    card.order = OrderFor(m, &order_id);
    add(robot::Respond(settings, *st.matcher, card, now));
  } else {
    const bool menu_pick = std::any_of(settings.self_service_menu.begin(), settings.self_service_menu.end(),
                                       [&](const std::string& item) { return norm == robot::Normalize(item); });
    std::string awaiting;
    {
      std::lock_guard lock(pending_mu_);
      if (auto it = await_address_.find(m.conversation_id); it != await_address_.end()) {
        awaiting = it->second;
        await_address_.erase(it);
      }
    }
    // An address has a house number or phone, or names a place (省/市/区/县/路/街/号...).
    static const char* const kPlaceWords[] = {"省", "市", "区", "县", "路", "街", "号", "镇", "村"};
    const bool looks_like_address =
        text.size() >= 12 && (std::any_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
                              std::any_of(std::begin(kPlaceWords), std::end(kPlaceWords),
                                          [&](const char* w) { return text.find(w) != std::string::npos; }));
    std::optional<robot::OrderSnapshot> order;
    if (!awaiting.empty() && !wants_human && looks_like_address) {
      order = OrderFor(m, &order_id);
      if (!order || order->order_id != awaiting) order.reset();
    }
    if (menu_pick) {
      // Self-service is the buyer's explicit choice: the robot runs it even beside an agent.
      robot::BuyerTurn pick;
      pick.kind = robot::BuyerTurn::Kind::kMenuPick;
      pick.text = text;
      pick.buyer_name = m.buyer;
      pick.order = OrderFor(m, &order_id);
      flow_item = text;
      add(robot::Respond(settings, *st.matcher, pick, now));
    } else if (order) {
      flow_item = "改地址";
      add(robot::RunFlow(settings, "改地址", *order, now, text));
    } else if (active || (wants_human && !assigned)) {
      robot::BuyerTurn turn;
      turn.kind = robot::BuyerTurn::Kind::kText;
      turn.text = text;
      turn.buyer_name = m.buyer;
      turn.order = OrderFor(m, &order_id);
      add(robot::Respond(settings, *st.matcher, turn, now));
      question = true;
    } else {
      question = !wants_human;  // an agent has the buyer: the robot stays quiet and learns
    }
  }

  // Execute. Replies that come with a hand-over are notices (auto-replies: they do not count
  // as an answer, so the buyer stays waiting for a person); the others are the robot's answers.
  bool handover = std::any_of(actions.begin(), actions.end(),
                              [](const auto& a) { return a.kind == robot::ActionKind::kHandover; });
  std::string handover_reason;
  for (const auto& a : actions)
    if (a.kind == robot::ActionKind::kHandover) handover_reason = a.text;
  std::vector<std::string> log;  // internal steps, recorded as one system message
  auto post = [&](Sender from, const std::string& body) -> bool {
    auto out = rx.PostAs(from, m.conversation_id, body);
    if (!out.ok()) {
      spdlog::error("robot: cannot post into {}: {}", m.conversation_id, out.status().message());
      return false;
    }
    outs.push_back(std::move(*out));
    return true;
  };
  // Every text a buyer sees passes the compliance guard; a blocked one is not sent.
  auto allowed = [&](const std::string& body) {
    auto v = Check(m.shop_id, body);
    if (v.ok() && !v->ok) {
      app_.metrics().compliance_blocked++;
      log.push_back("机器人的回答未通过合规检查，未发送");
      return false;
    }
    return true;
  };
  for (const auto& a : greeting) {
    if (a.kind == robot::ActionKind::kReply && allowed(a.text) && !post(Sender::kAuto, a.text)) return false;
    if (a.kind == robot::ActionKind::kButtons && !a.options.empty() && !post(Sender::kAuto, ButtonsText(a.text, a.options)))
      return false;
  }
  bool replied = false, logged = false;
  for (const auto& a : actions) {
    switch (a.kind) {
      case robot::ActionKind::kReply: {
        if (!allowed(a.text)) {
          if (!handover) {
            handover = true;
            handover_reason = "compliance_blocked";
          }
          continue;
        }
        if (!post(handover ? Sender::kAuto : Sender::kRobot, a.text)) return false;
        replied = true;
        break;
      }
      case robot::ActionKind::kButtons:
        if (!a.options.empty() && !post(Sender::kAuto, ButtonsText(a.text, a.options))) return false;
        break;
      case robot::ActionKind::kHandover: break;  // below, after the notices
      case robot::ActionKind::kOrderLog:
        logged = true;
        log.push_back("订单日志：" + a.text);
        break;
      case robot::ActionKind::kOrderRemark:
        logged = true;
        log.push_back("订单备注：" + a.text);
        break;
      case robot::ActionKind::kStartRefund: log.push_back("发起退款：订单" + a.text); break;
      case robot::ActionKind::kOfferCoupon: log.push_back("发放优惠券：" + a.text); break;
      case robot::ActionKind::kNotifyAgent: log.push_back("请客服处理：" + a.text); break;
      case robot::ActionKind::kRouteAftersales: log.push_back("转售后：订单" + a.text); break;
      case robot::ActionKind::kLeaveNote: log.push_back("留言（交下一班）：" + a.text); break;
    }
  }
  const bool asked_address = flow_item == "改地址" && replied && !logged && !handover;
  // The 改地址 flow asked for the address (a reply, no step logged): the next text is that address.
  if (asked_address && !order_id.empty()) await_address = order_id;
  const bool aftersales = std::any_of(actions.begin(), actions.end(),
                                      [](const auto& a) { return a.kind == robot::ActionKind::kRouteAftersales; });
  if (handover) log.push_back("机器人转人工：" + ReasonZh(handover_reason));
  if (!log.empty()) {
    std::string body = "【机器人】";
    for (size_t i = 0; i < log.size(); ++i) body += (i ? "；" : "") + log[i];
    if (!post(Sender::kSystem, body)) return false;
  }
  if ((handover || aftersales) && !assigned) {
    // Back to the queue (or to a free agent) with the reason as the transfer note; the robot's
    // exchange stays in the conversation for whoever takes it.
    const auto skill = aftersales ? conversation::Skill::kAftersale : conv->skill;
    const std::string note = "机器人转人工：" + ReasonZh(aftersales ? "转售后" : handover_reason) +
                             (text.empty() ? "" : "｜买家：" + Excerpt(text, 60));
    auto out = rx.Transfer(robot_actor, m.conversation_id, "", skill, note);
    if (out.ok()) outs.push_back(std::move(*out));
    else spdlog::warn("robot: hand-over of {} failed: {}", m.conversation_id, out.status().message());
  }
  if (question && !text.empty()) {
    const bool abstained = handover && (handover_reason == "robot_unsure" || handover_reason == "answer_needs_order" ||
                                        handover_reason == "compliance_blocked");
    const bool answered = !handover && std::any_of(actions.begin(), actions.end(), [](const auto& a) {
      return a.kind == robot::ActionKind::kReply;
    });
    if (abstained || (!answered && !handover)) records.push_back(RecordOp{m.conversation_id, m.shop_id, text, abstained});
  }
  return true;
}

void RobotApi::OnAgentReply(const conversation::Message& m) {
  Pending p;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(m.conversation_id);
    if (it == pending_.end()) return;
    p = std::move(it->second);
    pending_.erase(it);
  }
  // Stored through the writer like every robot write (this runs on the completion thread, so
  // the write is queued rather than run here).
  const std::string answer = m.text;
  const std::string shop = m.shop_id, conv = m.conversation_id;
  const core::Timestamp ts = app_.clock().Now();
  app_.WriteBetweenBatches([this, p, answer, shop, conv, ts] {
    core::Status st = p.question_id.empty()
                          ? repo_->AddQuestion({core::NewId("rq_"), shop, conv, p.text, answer, false, ts})
                          : repo_->SetAgentAnswer(p.question_id, answer);
    if (!st.ok()) spdlog::warn("robot: learning-loop record not stored: {}", st.message());
    return st.ok();
  }, [](bool) {});
}

void RobotApi::OnCommitted(const conversation::OutEvent& ev) {
  if (ev.type != "message.created" || !ev.message) return;
  const conversation::Message m = *ev.message;
  if (m.from == Sender::kAgent) return OnAgentReply(m);
  if (m.from != Sender::kBuyer) return;
  StatePtr st = State(m.shop_id);
  if (!st->Active()) return;
  auto outs = std::make_shared<std::vector<Outcome>>();
  auto records = std::make_shared<std::vector<RecordOp>>();
  auto await = std::make_shared<std::optional<std::string>>();
  // Decided and executed inside one write job (writer thread, one transaction); published
  // after commit. Matching is CPU only (well under a millisecond), so it runs there too.
  app_.Write([this, st, m, outs, records, await] { return Turn(*st, m, *outs, *records, *await); },
             [this, outs, records, await, conv = m.conversation_id](bool committed) {
               if (!committed) return;
               if (*await) {
                 std::lock_guard lock(pending_mu_);
                 await_address_[conv] = **await;
               }
               for (const auto& o : *outs) app_.Publish(o);
               if (records->empty()) return;
               // Remembered at once, so an agent's reply that follows finds it; the question
               // rows go through the robot's own connection, between two of the writer's
               // batches, queued before any later answer to them.
               auto questions = std::make_shared<std::vector<store::RobotQuestionRow>>();
               for (const auto& r : *records) {
                 std::string id;
                 if (r.abstained) {
                   id = core::NewId("rq_");
                   questions->push_back({id, r.shop_id, r.conversation_id, r.text, "", true, app_.clock().Now()});
                 }
                 std::lock_guard lock(pending_mu_);
                 pending_[r.conversation_id] = Pending{id, r.text};
               }
               if (questions->empty()) return;
               app_.WriteBetweenBatches([this, questions] {
                 for (const auto& q : *questions) {
                   auto st = repo_->AddQuestion(q);
                   if (!st.ok()) spdlog::warn("robot: learning-loop record not stored: {}", st.message());
                 }
                 return true;
               }, [](bool) {});
             });
}

}  // namespace

std::unique_ptr<Extension> MakeRobotApi(App& app) { return std::make_unique<RobotApi>(app); }

}  // namespace kefu::server
