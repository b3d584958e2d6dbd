// The orders, 审单 review queue, after-sales, compensation/approval and audit HTTP API
// (docs/api/openapi.yaml, tag "orders"). Handlers parse, call one domain service over the
// SQLite ports (store/orders_repo.h) and encode; every mutation runs on the store's writer
// inside its transaction, together with its audit rows. In demo mode the demo shop gets orders
// at start, and `at=` (RFC 3339 or HH:MM shop-local today) sets the review queue's "now".
#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <sstream>

#include "aftersales/aftersales.h"
#include "orders/orders.h"
#include "server/app.h"
#include "server/extensions.h"
#include "server/json.h"
#include "store/store.h"

namespace kefu::server {
namespace {

using aftersales::ActionRequest;
using aftersales::Case;
using orders::Order;
using orders::ReviewEntry;
using store::OrdersDb;

// The domain's own JSON texts, embedded as values.
json::value Embed(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

std::string Param(const Request& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

core::Result<int> IntParam(const Request& req, const char* name, int def, int lo, int hi) {
  const std::string s = Param(req, name);
  if (s.empty()) return def;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > 1000000000)
      return core::InvalidArgument(std::string(name) + " must be an integer", name);
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi)
    return core::InvalidArgument(std::string(name) + " must be between " + std::to_string(lo) +
                                     " and " + std::to_string(hi), name);
  return int(v);
}

core::Result<int64_t> CursorParam(const Request& req, const char* name) {
  const std::string s = Param(req, name);
  if (s.empty()) return int64_t(0);
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > (int64_t(1) << 55))
      return core::InvalidArgument(std::string(name) + " must be a cursor from `next`", name);
    v = v * 10 + (c - '0');
  }
  return v;
}

// Money as a string "12.30" (or an integer number of yuan); floats are refused so no amount
// ever passes through binary floating point.
core::Result<core::Money> MoneyField(const json::object& o, const char* name, bool required) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) {
    if (required) return core::InvalidArgument(std::string(name) + " is required", name);
    return core::Money();
  }
  const auto& v = it->value();
  if (v.is_int64()) return core::Money::Yuan(v.get_int64());
  if (v.is_string()) {
    auto m = core::Money::Parse(std::string(v.get_string()));
    if (!m.ok())
      return core::InvalidArgument(std::string(name) + ": 金额格式错误 bad amount \"" +
                                       std::string(v.get_string()) + "\" (e.g. \"12.30\")",
                                   name);
    return *m;
  }
  return core::InvalidArgument(std::string(name) + " must be a string like \"12.30\"", name);
}

core::Result<int64_t> IntField(const json::object& o, const char* name, int64_t def) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return def;
  if (!it->value().is_int64()) return core::InvalidArgument(std::string(name) + " must be an integer", name);
  return it->value().get_int64();
}

std::string Opt(const json::object& o, const char* name) {
  auto s = StringField(o, name, false);
  return s.ok() ? *s : std::string();
}

// Who is acting in which shop, and that shop's rules.
struct Ctx {
  std::string shop_id;
  core::Platform platform = core::Platform::kPdd;
  orders::Actor actor;
  aftersales::PlatformProfile profile;
  core::TimeZone tz = core::TimeZone::Fixed(480);
};

orders::Actor ActorOf(const User& u, const std::string& shop_id) {
  orders::Actor a;
  a.user_id = u.row.id;
  a.shop_id = shop_id;
  a.role = orders::ParseRole(u.row.role).value_or(orders::Role::kAgent);
  bool pre = false, after = false;
  for (const auto& s : u.row.skills) {
    if (s == "presale") pre = true;
    if (s == "aftersale") after = true;
  }
  // 售后 when the agent works after-sales only; the 满赠 rule differs by department.
  a.department = after && !pre ? orders::Department::kAfterSales : orders::Department::kPreSales;
  return a;
}

json::object CountdownJson(const aftersales::Countdown& c, const core::TimeZone& tz) {
  json::object o;
  if (!c.deadline) {
    o["deadline"] = nullptr;
    return o;
  }
  o["deadline"] = tz.Format(c.deadline->at);
  o["who"] = c.deadline->who == aftersales::Party::kSeller ? "seller" : "buyer";
  o["what"] = c.deadline->what;
  o["on_expiry"] = std::string(aftersales::CaseStateName(c.deadline->on_expiry));
  o["remaining_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(c.remaining).count();
  o["overdue"] = c.overdue;
  return o;
}

json::value CaseJson(const Case& c, const Ctx& ctx, core::Timestamp now) {
  json::value v = Embed(aftersales::CaseToJson(c));
  auto& o = v.as_object();
  o["type_zh"] = std::string(aftersales::CaseTypeZh(c.type));
  o["state_zh"] = std::string(aftersales::CaseStateZh(c.state));
  if (auto r = aftersales::FindReason(c.reason_code)) o["reason_zh"] = std::string(r->zh);
  o["final"] = aftersales::IsFinal(c.state);
  o["countdown"] = CountdownJson(aftersales::CountdownAt(c, ctx.profile.aftersales, now), ctx.tz);
  return v;
}

json::value OrderJson(const Order& o) {
  json::value v = Embed(orders::OrderToJson(o));
  v.as_object()["status_zh"] = std::string(orders::OrderStatusZh(o.status));
  v.as_object()["total"] = o.Total().ToString();
  return v;
}

json::value ReviewJson(const ReviewEntry& e, const Order* o) {
  json::value v = Embed(orders::ReviewEntryToJson(e));
  if (o) v.as_object()["order"] = OrderJson(*o);
  return v;
}

json::object CutoffJson(const orders::CutoffStatus& s, core::Timestamp now, const Ctx& ctx,
                        OrdersDb& db) {
  json::object counts;
  for (const auto& [b, n] : s.counts) counts[orders::ReviewBucketName(b)] = n;
  json::array left;
  for (const auto& e : s.left) {
    auto o = db.orders().Get(ctx.shop_id, e.order_id);
    left.push_back(ReviewJson(e, o.ok() ? &*o : nullptr));
  }
  return json::object{
      {"now", ctx.tz.Format(now)},
      {"cutoff", ctx.tz.Format(s.cutoff)},
      {"remaining_seconds", std::chrono::duration_cast<std::chrono::seconds>(s.remaining).count()},
      {"counts", std::move(counts)},
      {"left", std::move(left)}};
}

// A clock fixed at one instant: the review queue's "now" in demo mode.
class FixedClock final : public core::Clock {
 public:
  explicit FixedClock(core::Timestamp t) : t_(t) {}
  core::Timestamp Now() const override { return t_; }

 private:
  core::Timestamp t_;
};

core::Result<ActionRequest> ParseAction(const json::object& b) {
  ActionRequest a;
  KEFU_ASSIGN_OR_RETURN(std::string kind, StringField(b, "kind", true));
  auto k = aftersales::ParseActionKind(kind);
  if (!k)
    return core::InvalidArgument("kind must be gift_topup, gift_objection, price_diff_refund, "
                                 "goodwill_refund, small_payment or small_collection", "kind");
  a.kind = *k;
  KEFU_ASSIGN_OR_RETURN(a.order_id, StringField(b, "order_id", true));
  KEFU_ASSIGN_OR_RETURN(a.amount, MoneyField(b, "amount", false));
  a.gift_sku = Opt(b, "gift_sku");
  KEFU_ASSIGN_OR_RETURN(a.gift_qty, IntField(b, "gift_qty", 1));
  if (auto c = Opt(b, "cause"); !c.empty()) {
    auto cause = aftersales::ParseGoodwillCause(c);
    if (!cause)
      return core::InvalidArgument("cause must be delivery, campaign, warehouse, product or buyer",
                                   "cause");
    a.cause = *cause;
  }
  a.item_sku = Opt(b, "item_sku");
  KEFU_ASSIGN_OR_RETURN(a.old_price, MoneyField(b, "old_price", false));
  KEFU_ASSIGN_OR_RETURN(a.new_price, MoneyField(b, "new_price", false));
  if (auto t = Opt(b, "price_lowered_at"); !t.empty()) {
    auto ts = core::ParseRfc3339(t);
    if (!ts.ok()) return core::InvalidArgument(ts.status().message(), "price_lowered_at");
    a.price_lowered_at = *ts;
  }
  a.reason = Opt(b, "reason");
  return a;
}

std::string CsvCell(const std::string& s) {
  // Formula-looking cells are prefixed so a spreadsheet does not run them.
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// ---- permission policy JSON ----

core::Status PolicyBad(const std::string& field, const std::string& why) {
  return core::InvalidArgument(field + ": " + why, field);
}

core::Result<core::Money> PolicyMoney(const json::value& v, const std::string& field) {
  if (v.is_int64()) return core::Money::Yuan(v.get_int64());
  if (v.is_string()) {
    auto m = core::Money::Parse(std::string(v.get_string()));
    if (m.ok()) return *m;
    return PolicyBad(
        field, "金额格式错误 bad amount \"" + std::string(v.get_string()) + "\" (e.g. \"5.00\")");
  }
  return PolicyBad(field, "应为金额字符串，如 \"5.00\" must be a string like \"5.00\"");
}

core::Result<int> PolicyInt(const json::value& v, const std::string& field) {
  if (!v.is_int64() || v.get_int64() < -1000000 || v.get_int64() > 1000000)
    return PolicyBad(field, "应为整数 must be an integer");
  return int(v.get_int64());
}

core::Result<bool> PolicyBool(const json::value& v, const std::string& field) {
  if (!v.is_bool()) return PolicyBad(field, "应为 true/false must be true or false");
  return v.get_bool();
}

core::Result<std::string> PolicyStr(const json::value& v, const std::string& field) {
  if (!v.is_string()) return PolicyBad(field, "应为字符串 must be a string");
  return std::string(v.get_string());
}

core::Status ReadRole(const json::value& v, const std::string& role, aftersales::RoleLimits& r) {
  if (!v.is_object()) return PolicyBad(role, "应为对象 must be an object");
  for (const auto& [key, val] : v.get_object()) {
    const std::string f = role + "." + std::string(key);
    if (key == "unlimited") {
      KEFU_ASSIGN_OR_RETURN(r.unlimited, PolicyBool(val, f));
    } else if (key == "gift_topup_gap") {
      KEFU_ASSIGN_OR_RETURN(r.gift_topup_gap, PolicyMoney(val, f));
    } else if (key == "price_protect_days") {
      KEFU_ASSIGN_OR_RETURN(r.price_protect_days, PolicyInt(val, f));
    } else if (key == "small_payment_cap") {
      KEFU_ASSIGN_OR_RETURN(r.small_payment_cap, PolicyMoney(val, f));
    } else if (key == "small_payments_per_order") {
      KEFU_ASSIGN_OR_RETURN(r.small_payments_per_order, PolicyInt(val, f));
    } else if (key == "small_collection_cap") {
      KEFU_ASSIGN_OR_RETURN(r.small_collection_cap, PolicyMoney(val, f));
    } else if (key == "goodwill_caps") {
      if (!val.is_object()) return PolicyBad(f, "应为对象 {\"delivery\": \"5.00\", ...}");
      std::map<aftersales::GoodwillCause, core::Money> caps;
      for (const auto& [cause, cap] : val.get_object()) {
        auto c = aftersales::ParseGoodwillCause(std::string(cause));
        const std::string cf = f + "." + std::string(cause);
        if (!c)
          return PolicyBad(
              cf, "未知原因 unknown cause (delivery, campaign, warehouse, product, buyer)");
        KEFU_ASSIGN_OR_RETURN(caps[*c], PolicyMoney(cap, cf));
      }
      r.goodwill_cap = std::move(caps);
    } else {
      return PolicyBad(f, "未知字段 unknown field");
    }
  }
  return core::Status::Ok();
}

// Reads a shop's permission policy from JSON: the body of PUT /api/v1/settings/permissions and
// the stored form (aftersales::PermissionPolicyToJson writes both). The fields present in `o`
// change `base`: "agent" and "lead" merge field by field; a role's "goodwill_caps" replaces its
// causes (a cause left out needs a lead); "gift_thresholds", "gift_table" and
// "price_protect_excluded" are replaced whole. Money is a string "5.00" or an integer number of
// yuan (never a float). kInvalidArgument naming the field ("agent.goodwill_caps.buyer") for an
// unknown field, a wrong type or a bad amount; aftersales::ValidatePermissionPolicy checks the
// values.
core::Result<aftersales::PermissionPolicy> PolicyFromJson(const json::object& o,
                                                          aftersales::PermissionPolicy p) {
  for (const auto& [key, val] : o) {
    const std::string f(key);
    if (key == "agent") {
      KEFU_TRY(ReadRole(val, f, p.agent));
    } else if (key == "lead") {
      KEFU_TRY(ReadRole(val, f, p.lead));
    } else if (key == "campaign_active") {
      KEFU_ASSIGN_OR_RETURN(p.campaign_active, PolicyBool(val, f));
    } else if (key == "campaign_gift_warning") {
      KEFU_ASSIGN_OR_RETURN(p.campaign_gift_warning, PolicyBool(val, f));
    } else if (key == "price_protect_excluded") {
      if (!val.is_array()) return PolicyBad(f, "应为数组 [\"big_sale\", \"flash_sale\"]");
      std::vector<orders::Campaign> out;
      for (const auto& item : val.get_array()) {
        KEFU_ASSIGN_OR_RETURN(std::string name, PolicyStr(item, f));
        auto c = orders::ParseCampaign(name);
        if (!c || *c == orders::Campaign::kNone) return PolicyBad(f, "应为 big_sale / flash_sale");
        out.push_back(*c);
      }
      p.price_protect_excluded = std::move(out);
    } else if (key == "gift_thresholds") {
      if (!val.is_array())
        return PolicyBad(f, "应为数组 [{\"threshold\": \"199.00\", \"gift_sku\": ...}]");
      std::vector<aftersales::GiftThreshold> out;
      for (size_t i = 0; i < val.get_array().size(); ++i) {
        const auto& item = val.get_array()[i];
        const std::string itf = f + "[" + std::to_string(i) + "]";
        if (!item.is_object()) return PolicyBad(itf, "应为对象 must be an object");
        aftersales::GiftThreshold t;
        for (const auto& [k, v] : item.get_object()) {
          if (k == "threshold") {
            KEFU_ASSIGN_OR_RETURN(t.threshold, PolicyMoney(v, itf + ".threshold"));
          } else if (k == "gift_sku") {
            KEFU_ASSIGN_OR_RETURN(t.gift_sku, PolicyStr(v, itf + ".gift_sku"));
          } else {
            return PolicyBad(itf + "." + std::string(k), "未知字段 unknown field");
          }
        }
        out.push_back(std::move(t));
      }
      p.gift_thresholds = std::move(out);
    } else if (key == "gift_table") {
      if (!val.is_object()) return PolicyBad(f, "应为对象 {\"SKU\": [\"GIFT-SKU\", ...]}");
      std::map<std::string, std::vector<std::string>> out;
      for (const auto& [sku, gifts] : val.get_object()) {
        const std::string gf = f + "." + std::string(sku);
        if (!gifts.is_array()) return PolicyBad(gf, "应为数组 must be an array of gift SKUs");
        auto& list = out[std::string(sku)];
        for (const auto& g : gifts.get_array()) {
          KEFU_ASSIGN_OR_RETURN(std::string s, PolicyStr(g, gf));
          list.push_back(std::move(s));
        }
      }
      p.gift_table = std::move(out);
    } else {
      return PolicyBad(f, "未知字段 unknown field");
    }
  }
  return p;
}

// The shop's effective policy: the stored one (read onto the platform's defaults) or the
// platform's defaults, with the platform's hard limits from its file.
core::Result<aftersales::PermissionPolicy> LoadPolicy(OrdersDb& db, const std::string& shop_id,
                                                      const aftersales::AftersalesProfile& p) {
  const aftersales::PermissionPolicy defaults = aftersales::DefaultPermissionPolicy(p);
  KEFU_ASSIGN_OR_RETURN(auto stored, db.policies().GetPolicy(shop_id));
  if (!stored) return defaults;
  auto obj = ParseObject(stored->json);
  if (!obj.ok()) return core::Internal("stored permission policy of " + shop_id + " is unreadable");
  KEFU_ASSIGN_OR_RETURN(auto policy, PolicyFromJson(*obj, defaults));
  return aftersales::WithPlatformLimits(std::move(policy), p);
}

class OrdersApi final : public Extension {
 public:
  explicit OrdersApi(App& app) : app_(app) {}

  core::Status Start() override {
    repo_ = std::make_unique<store::OrdersStore>(app_.store());
    if (app_.options().demo) KEFU_TRY(SeedDemo());
    return core::Status::Ok();
  }

  void Tick(core::Timestamp now) override {
    // Every kSweepEvery: the platform's after-sales deadlines and expired 拼团, applied as the
    // platform would. One job on the writer (never the I/O thread), one at a time.
    if (!repo_ || now - last_sweep_ < kSweepEvery || sweeping_.exchange(true)) return;
    last_sweep_ = now;
    app_.Write([this] { return Sweep(); }, [this](bool) { sweeping_ = false; });
  }

  bool Handle(const Request& req, const std::vector<std::string>& seg, const User& user,
              const Respond& respond) override {
    if (seg.size() < 3) return false;
    const std::string& top = seg[2];
    // Of /settings only the permission policy is answered here; other settings are left to
    // the capabilities that own them.
    const bool settings = top == "settings" && seg.size() == 4 && seg[3] == "permissions";
    if (top != "orders" && top != "review" && top != "aftersales" && top != "compensations" &&
        top != "approvals" && top != "audit" && top != "catalog" && !settings)
      return false;
    auto body = req.body.empty() ? core::Result<json::object>(json::object())
                                 : ParseObject(req.body);
    const bool is_import = top == "orders" && seg.size() == 4 && seg[3] == "import";
    if (!is_import && (req.method == "POST" || req.method == "PUT") && !body.ok()) {
      respond(Router::Error(body.status()));
      return true;
    }
    std::string shop = Param(req, "shop");
    if (shop.empty() && body.ok()) shop = Opt(*body, "shop");
    auto ctx = Context(user, shop);
    if (!ctx.ok()) {
      respond(Router::Error(ctx.status()));
      return true;
    }
    const json::object b = body.ok() ? *body : json::object();
    if (top == "orders") Orders(req, seg, *ctx, b, respond);
    else if (top == "review") Review(req, seg, *ctx, b, respond);
    else if (top == "aftersales") Aftersales(req, seg, *ctx, b, respond);
    else if (top == "compensations") Compensations(req, seg, *ctx, b, respond);
    else if (top == "approvals") Approvals(req, seg, *ctx, b, respond);
    else if (top == "audit") Audit(req, seg, *ctx, respond);
    else if (settings) Permissions(req, *ctx, b, respond);
    else Catalog(req, seg, *ctx, respond);
    return true;
  }

 private:
  // On the writer, inside the job's transaction: every change is stored with its "system" audit
  // row in a savepoint of its own, so one shop's failure leaves the others' changes committed.
  bool Sweep() {
    auto shops = app_.store().ListShops();
    if (!shops.ok()) {
      spdlog::warn("orders sweep: cannot list shops: {}", shops.status().message());
      return true;
    }
    OrdersDb& db = repo_->Writer();
    for (const auto& s : *shops) {
      Ctx ctx = MakeCtx(s.id, s.platform);
      ctx.actor.user_id = "system";
      ctx.actor.role = orders::Role::kOwner;
      aftersales::AftersalesService cases(db.cases(), app_.clock(), ctx.profile.aftersales);
      if (auto a = cases.ApplyDeadlines(ctx.actor); !a.ok())
        spdlog::warn("orders sweep: deadlines of shop {}: {}", s.id, a.status().message());
      orders::OrderService svc(db.orders(), db.reviews(), db.catalog(), db.blacklist(),
                               app_.clock(), ctx.tz, ctx.profile.orders);
      if (auto b = svc.ExpireGroups(ctx.actor); !b.ok())
        spdlog::warn("orders sweep: 拼团 of shop {}: {}", s.id, b.status().message());
    }
    return true;
  }

  Ctx MakeCtx(const std::string& shop_id, const std::string& platform) {
    Ctx c;
    c.shop_id = shop_id;
    c.platform = core::ParsePlatform(platform).value_or(core::Platform::kPdd);
    // The platform's [orders] and [aftersales] tables of config/platforms/<p>.toml (embedded).
    c.profile = aftersales::DefaultProfile(c.platform);
    c.tz = app_.ZoneOf(shop_id);
    c.actor.shop_id = shop_id;
    return c;
  }

  core::Result<Ctx> Context(const User& user, std::string shop_id) {
    if (shop_id.empty() && !user.row.shop_ids.empty()) shop_id = user.row.shop_ids.front();
    // Another shop's data is not found, never forbidden: its existence is not revealed.
    if (!user.actor.shop_ids.count(shop_id))
      return core::NotFound("shop " + shop_id + " not found");
    KEFU_ASSIGN_OR_RETURN(auto shop, app_.ShopById(shop_id));
    Ctx c = MakeCtx(shop.id, shop.platform);
    c.actor = ActorOf(user, shop.id);
    return c;
  }

  void Fail(const Respond& respond, const core::Status& st) { respond(Router::Error(st)); }

  // Runs `op` on the writer inside the batch's transaction (rolled back when it fails) and
  // answers with encode(result) after the commit.
  template <typename T>
  void Write(std::function<core::Result<T>(OrdersDb&)> op, int status,
             std::function<json::value(const T&)> encode, const Respond& respond) {
    auto result = std::make_shared<core::Result<T>>(core::Internal("not run"));
    app_.Write([this, result, op = std::move(op)] {
                 *result = op(repo_->Writer());
                 return result->ok();
               },
               [result, respond, status, encode = std::move(encode)](bool committed) {
                 if (!result->ok()) return respond(Router::Error(result->status()));
                 if (!committed) return respond(Router::Error(core::Unavailable("not stored; retry")));
                 respond(JsonResponse(status, encode(**result)));
               });
  }

  // Runs `fn` on a reader connection and answers with its value.
  void Read(const std::function<core::Result<json::value>(OrdersDb&)>& fn, const Respond& respond) {
    core::Result<json::value> out = core::Internal("not run");
    auto st = repo_->Read([&](OrdersDb& db) {
      out = fn(db);
      return core::Status::Ok();
    });
    if (!st.ok()) return Fail(respond, st);
    if (!out.ok()) return Fail(respond, out.status());
    respond(JsonResponse(200, std::move(*out)));
  }

  orders::OrderService OrderSvc(OrdersDb& db, const Ctx& c, const core::Clock& clock) {
    return orders::OrderService(db.orders(), db.reviews(), db.catalog(), db.blacklist(), clock,
                                c.tz, c.profile.orders);
  }

  // ---- orders ----
  void Orders(const Request& req, const std::vector<std::string>& seg, const Ctx& c,
              const json::object& b, const Respond& respond) {
    const std::string& m = req.method;
    if (seg.size() == 3 && m == "GET") {
      store::OrderQuery q;
      q.shop_id = c.shop_id;
      if (auto s = Param(req, "status"); !s.empty()) {
        q.status = orders::ParseOrderStatus(s);
        if (!q.status) return Fail(respond, core::InvalidArgument("unknown status " + s, "status"));
      }
      q.buyer = Param(req, "buyer");
      q.q = Param(req, "q");
      auto limit = IntParam(req, "limit", 50, 1, 200);
      if (!limit.ok()) return Fail(respond, limit.status());
      q.limit = *limit;
      auto before = CursorParam(req, "before");
      if (!before.ok()) return Fail(respond, before.status());
      q.before = *before;
      return Read([&](OrdersDb& db) -> core::Result<json::value> {
        KEFU_ASSIGN_OR_RETURN(auto page, db.QueryOrders(q));
        json::array items;
        for (const auto& o : page.items) {
          json::value v = OrderJson(o);
          auto e = db.reviews().Get(c.shop_id, o.id);
          v.as_object()["review"] = e.ok() ? ReviewJson(*e, nullptr) : json::value(nullptr);
          items.push_back(std::move(v));
        }
        json::object out{{"items", std::move(items)}};
        out["next"] = page.next ? json::value(std::to_string(page.next)) : json::value(nullptr);
        return json::value(std::move(out));
      }, respond);
    }
    if (seg.size() == 4 && seg[3] == "import" && m == "POST") return Import(req, c, respond);
    if (seg.size() < 4) return Fail(respond, core::NotFound("no route " + m + " " + req.path));
    const std::string id = seg[3];
    if (seg.size() == 4 && m == "GET") {
      return Read([&](OrdersDb& db) -> core::Result<json::value> {
        KEFU_ASSIGN_OR_RETURN(Order o, db.orders().Get(c.shop_id, id));
        const auto now = app_.clock().Now();
        json::object out{{"order", OrderJson(o)}};
        auto e = db.reviews().Get(c.shop_id, id);
        out["review"] = e.ok() ? ReviewJson(*e, nullptr) : json::value(nullptr);
        out["group"] = nullptr;
        if (o.group) {
          auto g = orders::CheckGroup(o, now, c.profile.orders);
          out["group"] = json::object{
              {"deadline", g.deadline ? json::value(c.tz.Format(*g.deadline)) : json::value(nullptr)},
              {"expired", g.outcome == orders::GroupOutcome::kExpired},
              {"formed", g.outcome == orders::GroupOutcome::kFormed}};
        }
        json::array cases, comps, approvals;
        for (const auto& k : db.cases().List(c.shop_id))
          if (k.order_id == id) cases.push_back(CaseJson(k, c, now));
        for (const auto& p : db.compensations().ListCompensations(c.shop_id, id))
          comps.push_back(Embed(aftersales::CompensationToJson(p)));
        for (const auto& a : db.compensations().ListApprovals(c.shop_id, false))
          if (a.order_id == id) approvals.push_back(Embed(aftersales::ApprovalToJson(a)));
        out["cases"] = std::move(cases);
        out["compensations"] = std::move(comps);
        out["approvals"] = std::move(approvals);
        out["price_floor"] = orders::GoodsTotalFloor(o, c.profile.orders.price_change).ToString();
        return json::value(std::move(out));
      }, respond);
    }
    const std::string action = seg.size() == 5 ? seg[4] : "";
    if (m != "POST" || action.empty())
      return Fail(respond, core::NotFound("no route " + m + " " + req.path));
    auto encode = [](const Order& o) { return OrderJson(o); };
    const core::Clock& clock = app_.clock();
    if (action == "remark") {
      auto text = StringField(b, "remark", false);
      if (!text.ok()) return Fail(respond, text.status());
      auto flag = orders::ParseFlagColor(Opt(b, "flag"));
      if (!flag) return Fail(respond, core::InvalidArgument("flag must be red, yellow, green, blue or purple", "flag"));
      return Write<Order>([this, c, id, t = *text, f = *flag, n = Opt(b, "flag_note"), &clock](OrdersDb& db) {
        return OrderSvc(db, c, clock).SetRemark(c.actor, id, t, f, n);
      }, 200, encode, respond);
    }
    if (action == "price") {
      const bool has_fee = b.contains("shipping_fee"), has_total = b.contains("goods_total");
      if (!has_fee && !has_total)
        return Fail(respond, core::InvalidArgument("shipping_fee or goods_total is required", "goods_total"));
      auto fee = MoneyField(b, "shipping_fee", false);
      if (!fee.ok()) return Fail(respond, fee.status());
      auto total = MoneyField(b, "goods_total", false);
      if (!total.ok()) return Fail(respond, total.status());
      return Write<Order>([this, c, id, has_fee, has_total, fee = *fee, total = *total, &clock](OrdersDb& db) -> core::Result<Order> {
        auto svc = OrderSvc(db, c, clock);
        core::Result<Order> out = core::Internal("nothing changed");
        if (has_fee) {
          out = svc.ChangeShippingFee(c.actor, id, fee);
          if (!out.ok()) return out;
        }
        if (has_total) out = svc.ChangeGoodsTotal(c.actor, id, total);
        return out;
      }, 200, encode, respond);
    }
    if (action == "address") {
      orders::Address a{Opt(b, "province"), Opt(b, "city"), Opt(b, "district"), Opt(b, "detail"),
                        Opt(b, "recipient"), orders::NormalizeMobile(Opt(b, "phone"))};
      return Write<Order>([this, c, id, a, &clock](OrdersDb& db) {
        return OrderSvc(db, c, clock).ChangeAddress(c.actor, id, a);
      }, 200, encode, respond);
    }
    if (action == "form-group") {
      return Write<Order>([this, c, id, &clock](OrdersDb& db) {
        return OrderSvc(db, c, clock).FormGroup(c.actor, id);
      }, 200, encode, respond);
    }
    Fail(respond, core::NotFound("no route " + m + " " + req.path));
  }

  void Import(const Request& req, const Ctx& c, const Respond& respond) {
    std::string format = Param(req, "format");
    if (format.empty()) {
      size_t i = 0;
      if (req.body.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
      while (i < req.body.size() && isspace(static_cast<unsigned char>(req.body[i]))) ++i;
      format = i < req.body.size() && req.body[i] == '{' ? "jsonl" : "csv";
    }
    if (format != "csv" && format != "jsonl")
      return Fail(respond, core::InvalidArgument("format must be csv or jsonl", "format"));
    orders::ImportOptions opt;
    opt.shop_id = c.shop_id;
    opt.platform = c.platform;
    opt.local_offset_minutes = c.tz.OffsetMinutes(app_.clock().Now());
    auto parsed = std::make_shared<orders::ImportResult>(
        format == "csv" ? orders::ParseOrdersCsv(req.body, opt) : orders::ParseOrdersJsonl(req.body, opt));
    // Rows naming another shop are refused rather than stored under this one.
    orders::KeepShop(*parsed, c.shop_id);
    auto& ok = parsed->orders;
    auto errors_json = [parsed] {
      json::array errs;
      for (const auto& e : parsed->errors)
        errs.push_back(json::object{{"line", e.line}, {"order_id", e.order_id},
                                    {"field", e.field}, {"message", e.message},
                                    {"text", e.ToString()}});
      return errs;
    };
    if (ok.empty()) {
      json::object o = ErrorJson(core::InvalidArgument(
          parsed->errors.empty() ? "文件中没有订单 the file holds no orders"
                                 : "没有可导入的订单 no row could be imported", "body"));
      o["errors"] = errors_json();
      return respond(JsonResponse(400, std::move(o)));
    }
    const core::Clock& clock = app_.clock();
    Write<int>([this, c, parsed, &clock](OrdersDb& db) -> core::Result<int> {
      auto svc = OrderSvc(db, c, clock);
      const int n = int(parsed->orders.size());
      // New orders join the review queue at once, in the same transaction.
      KEFU_TRY(svc.ImportAndReview(c.actor, std::move(parsed->orders)).status());
      return n;
    }, 201, [errors_json](const int& n) -> json::value {
      return json::object{{"imported", n}, {"errors", errors_json()}};
    }, respond);
  }

  // ---- 审单 review queue ----
  void Review(const Request& req, const std::vector<std::string>& seg, const Ctx& c,
              const json::object& b, const Respond& respond) {
    const std::string& m = req.method;
    auto now = ReviewNow(req, c);
    if (!now.ok()) return Fail(respond, now.status());
    auto snapshot = [this, c, now = *now, bucket = Param(req, "bucket")](OrdersDb& db) -> core::Result<json::value> {
      FixedClock clock(now);
      auto svc = OrderSvc(db, c, clock);
      json::object out = CutoffJson(svc.LeftBeforeCutoff(c.actor), now, c, db);
      json::array items;
      for (const auto& e : db.reviews().List(c.shop_id)) {
        if (!bucket.empty() && orders::ReviewBucketName(e.bucket) != bucket) continue;
        auto o = db.orders().Get(c.shop_id, e.order_id);
        items.push_back(ReviewJson(e, o.ok() ? &*o : nullptr));
      }
      out["items"] = std::move(items);
      return json::value(std::move(out));
    };
    if (seg.size() == 3 && m == "GET") {
      if (auto bk = Param(req, "bucket"); !bk.empty() && !orders::ParseReviewBucket(bk))
        return Fail(respond, core::InvalidArgument("unknown bucket " + bk, "bucket"));
      return Read(snapshot, respond);
    }
    if (seg.size() == 4 && seg[3] == "run" && m == "POST") {
      const core::Clock& clock = app_.clock();
      return Write<json::value>([this, c, &clock, snapshot](OrdersDb& db) -> core::Result<json::value> {
        KEFU_TRY(OrderSvc(db, c, clock).ReviewPending(c.actor).status());
        return snapshot(db);
      }, 200, [](const json::value& v) { return v; }, respond);
    }
    if (seg.size() != 5 || m != "POST")
      return Fail(respond, core::NotFound("no route " + m + " " + req.path));
    const std::string id = seg[3], action = seg[4];
    const core::Clock& clock = app_.clock();
    std::function<core::Result<ReviewEntry>(OrdersDb&)> op;
    if (action == "fix-sku") {
      auto old_sku = StringField(b, "old_sku", true);
      if (!old_sku.ok()) return Fail(respond, old_sku.status());
      auto new_sku = StringField(b, "new_sku", true);
      if (!new_sku.ok()) return Fail(respond, new_sku.status());
      op = [this, c, id, o = *old_sku, n = *new_sku, &clock](OrdersDb& db) {
        return OrderSvc(db, c, clock).FixSku(c.actor, id, o, n);
      };
    } else if (action == "approve") {
      op = [this, c, id, &clock](OrdersDb& db) { return OrderSvc(db, c, clock).Approve(c.actor, id); };
    } else if (action == "intercept") {
      op = [this, c, id, n = Opt(b, "note"), &clock](OrdersDb& db) {
        return OrderSvc(db, c, clock).Intercept(c.actor, id, n);
      };
    } else {
      return Fail(respond, core::NotFound("no route " + m + " " + req.path));
    }
    Write<json::value>([this, c, id, op](OrdersDb& db) -> core::Result<json::value> {
      KEFU_ASSIGN_OR_RETURN(ReviewEntry e, op(db));
      auto o = db.orders().Get(c.shop_id, id);
      return ReviewJson(e, o.ok() ? &*o : nullptr);
    }, 200, [](const json::value& v) { return v; }, respond);
  }

  // The review queue's "now": the clock, or in demo mode `at` (RFC 3339, or HH:MM today in the
  // shop's zone) so a demo or a browser test can look at the queue as it stands at 15:30.
  core::Result<core::Timestamp> ReviewNow(const Request& req, const Ctx& c) {
    const auto now = app_.clock().Now();
    const std::string at = Param(req, "at");
    if (at.empty()) return now;
    if (!app_.options().demo)
      return core::InvalidArgument("at is only accepted by `kefu demo`", "at");
    if (at.size() == 5 && at[2] == ':') {
      const int h = (at[0] - '0') * 10 + (at[1] - '0'), mi = (at[3] - '0') * 10 + (at[4] - '0');
      if (h < 0 || h > 23 || mi < 0 || mi > 59)
        return core::InvalidArgument("at must be HH:MM or RFC 3339", "at");
      return c.tz.At(c.tz.DateOf(now), std::chrono::hours(h) + std::chrono::minutes(mi));
    }
    auto t = core::ParseRfc3339(at);
    if (!t.ok()) return core::InvalidArgument("at must be HH:MM or RFC 3339", "at");
    return *t;
  }

  // ---- after-sales ----
  void Aftersales(const Request& req, const std::vector<std::string>& seg, const Ctx& c,
                  const json::object& b, const Respond& respond) {
    const std::string& m = req.method;
    const core::Clock& clock = app_.clock();
    auto encode = [this, c](const Case& k) { return CaseJson(k, c, app_.clock().Now()); };
    if (seg.size() == 4 && seg[3] == "cases" && m == "GET") {
      const std::string state = Param(req, "state"), order = Param(req, "order_id");
      const bool open_only = Param(req, "open") == "1";
      return Read([&](OrdersDb& db) -> core::Result<json::value> {
        const auto now = app_.clock().Now();
        json::array items;
        for (const auto& k :
             open_only ? db.cases().ListOpen(c.shop_id) : db.cases().List(c.shop_id)) {
          if (!state.empty() && aftersales::CaseStateName(k.state) != state) continue;
          if (!order.empty() && k.order_id != order) continue;
          if (open_only && aftersales::IsFinal(k.state)) continue;
          items.push_back(CaseJson(k, c, now));
        }
        return json::value(json::object{{"items", std::move(items)}});
      }, respond);
    }
    if (seg.size() == 4 && seg[3] == "cases" && m == "POST") {
      aftersales::NewCase in;
      auto order = StringField(b, "order_id", true);
      if (!order.ok()) return Fail(respond, order.status());
      in.order_id = *order;
      auto type = aftersales::ParseCaseType(Opt(b, "type"));
      if (!type) return Fail(respond, core::InvalidArgument("type must be refund_only, return_refund, exchange, resend or problem", "type"));
      in.type = *type;
      if (auto p = Opt(b, "problem"); !p.empty()) {
        auto k = aftersales::ParseProblemKind(p);
        if (!k) return Fail(respond, core::InvalidArgument("problem must be lost, stuck or damaged", "problem"));
        in.problem = *k;
      }
      in.reason_code = Opt(b, "reason");
      auto amount = MoneyField(b, "amount", false);
      if (!amount.ok()) return Fail(respond, amount.status());
      in.amount = *amount;
      in.note = Opt(b, "note");
      return Write<Case>([this, c, in, &clock](OrdersDb& db) mutable -> core::Result<Case> {
        // The order must be this shop's; the buyer and whether it shipped come from it.
        KEFU_ASSIGN_OR_RETURN(Order o, db.orders().Get(c.shop_id, in.order_id));
        in.buyer = o.buyer;
        in.order_shipped = o.status == orders::OrderStatus::kShipped ||
                           o.status == orders::OrderStatus::kDelivered;
        aftersales::AftersalesService svc(db.cases(), clock, c.profile.aftersales);
        return svc.Open(c.actor, in);
      }, 201, encode, respond);
    }
    if (seg.size() == 4 && seg[3] == "returns" && m == "POST") {
      auto tracking = StringField(b, "tracking_no", true);
      if (!tracking.ok()) return Fail(respond, tracking.status());
      auto cond = ParseCondition(Opt(b, "condition"));
      if (!cond.ok()) return Fail(respond, cond.status());
      return Write<Case>([this, c, t = *tracking, k = *cond, &clock](OrdersDb& db) {
        aftersales::AftersalesService svc(db.cases(), clock, c.profile.aftersales);
        return svc.RegisterReturn(c.actor, t, k);
      }, 200, encode, respond);
    }
    if (seg.size() >= 5 && seg[3] == "cases") {
      const std::string id = seg[4];
      if (seg.size() == 5 && m == "GET") {
        return Read([&](OrdersDb& db) -> core::Result<json::value> {
          KEFU_ASSIGN_OR_RETURN(Case k, db.cases().Get(c.shop_id, id));
          return CaseJson(k, c, app_.clock().Now());
        }, respond);
      }
      if (seg.size() == 6 && seg[5] == "events" && m == "POST") {
        static const std::map<std::string, aftersales::CaseEvent> kEvents = {
            {"approve", aftersales::CaseEvent::kSellerApprove},
            {"reject", aftersales::CaseEvent::kSellerReject},
            {"buyer_ship_return", aftersales::CaseEvent::kBuyerShipReturn},
            {"return_arrived", aftersales::CaseEvent::kReturnArrived},
            {"refund", aftersales::CaseEvent::kRefund},
            {"ship_replacement", aftersales::CaseEvent::kShipReplacement},
            {"follow_up", aftersales::CaseEvent::kFollowUp},
            {"resolve", aftersales::CaseEvent::kResolve},
            {"buyer_cancel", aftersales::CaseEvent::kBuyerCancel}};
        auto it = kEvents.find(Opt(b, "event"));
        if (it == kEvents.end())
          return Fail(respond, core::InvalidArgument("event must be one of approve, reject, buyer_ship_return, return_arrived, refund, ship_replacement, follow_up, resolve, buyer_cancel", "event"));
        aftersales::CaseEventData e;
        e.event = it->second;
        e.text = Opt(b, "text");
        e.carrier = Opt(b, "carrier");
        auto cond = ParseCondition(Opt(b, "condition"));
        if (!cond.ok()) return Fail(respond, cond.status());
        e.condition = *cond;
        return Write<Case>([this, c, id, e, &clock](OrdersDb& db) {
          aftersales::AftersalesService svc(db.cases(), clock, c.profile.aftersales);
          return svc.Apply(c.actor, id, e);
        }, 200, encode, respond);
      }
    }
    Fail(respond, core::NotFound("no route " + m + " " + req.path));
  }

  static core::Result<aftersales::ReturnCondition> ParseCondition(const std::string& s) {
    if (s.empty() || s == "intact") return aftersales::ReturnCondition::kIntact;
    if (s == "damaged") return aftersales::ReturnCondition::kDamaged;
    if (s == "wrong_item") return aftersales::ReturnCondition::kWrongItem;
    if (s == "missing_parts") return aftersales::ReturnCondition::kMissingParts;
    return core::InvalidArgument("condition must be intact, damaged, wrong_item or missing_parts", "condition");
  }

  // ---- compensations and approvals ----
  static json::value OutcomeJson(const aftersales::PermissionService::Outcome& o) {
    json::array reasons, warnings;
    for (const auto& r : o.decision.reasons) reasons.push_back(json::value(r));
    for (const auto& w : o.decision.warnings) warnings.push_back(json::value(w));
    return json::object{
        {"verdict", std::string(aftersales::VerdictName(o.decision.verdict))},
        {"rule", o.decision.rule},
        {"reasons", std::move(reasons)},
        {"warnings", std::move(warnings)},
        {"compensation", o.compensation ? Embed(aftersales::CompensationToJson(*o.compensation)) : json::value(nullptr)},
        {"approval", o.approval ? Embed(aftersales::ApprovalToJson(*o.approval)) : json::value(nullptr)}};
  }

  void Compensations(const Request& req, const std::vector<std::string>& seg, const Ctx& c,
                     const json::object& b, const Respond& respond) {
    const std::string& m = req.method;
    if (seg.size() == 3 && m == "GET") {
      const std::string order = Param(req, "order_id");
      return Read([&](OrdersDb& db) -> core::Result<json::value> {
        json::array items;
        for (const auto& p : db.compensations().ListCompensations(c.shop_id, order))
          items.push_back(Embed(aftersales::CompensationToJson(p)));
        return json::value(json::object{{"items", std::move(items)}});
      }, respond);
    }
    if (seg.size() == 3 && m == "POST") {
      auto action = ParseAction(b);
      if (!action.ok()) return Fail(respond, action.status());
      const core::Clock& clock = app_.clock();
      auto result = std::make_shared<core::Result<aftersales::PermissionService::Outcome>>(core::Internal("not run"));
      app_.Write([this, c, a = *action, result, &clock] {
                   OrdersDb& db = repo_->Writer();
                   aftersales::PermissionService svc(db.orders(), db.compensations(), clock);
                   // The shop's policy as stored now: a lead's change applies to the next request.
                   auto policy = LoadPolicy(db, c.shop_id, c.profile.aftersales);
                   *result =
                       policy.ok()
                           ? svc.Request(c.actor, a, *policy)
                           : core::Result<aftersales::PermissionService::Outcome>(policy.status());
                   return result->ok();
                 },
                 [result, respond](bool committed) {
                   if (!result->ok()) return respond(Router::Error(result->status()));
                   if (!committed) return respond(Router::Error(core::Unavailable("not stored; retry")));
                   // 201: the compensation is made; 202: a lead must decide first.
                   respond(JsonResponse((*result)->approval ? 202 : 201, OutcomeJson(**result)));
                 });
      return;
    }
    Fail(respond, core::NotFound("no route " + m + " " + req.path));
  }

  void Approvals(const Request& req, const std::vector<std::string>& seg, const Ctx& c,
                 const json::object& b, const Respond& respond) {
    const std::string& m = req.method;
    if (seg.size() == 3 && m == "GET") {
      const std::string state = Param(req, "state");
      return Read([&](OrdersDb& db) -> core::Result<json::value> {
        json::array items;
        for (const auto& a : db.compensations().ListApprovals(c.shop_id, state.empty() || state == "pending")) {
          if (!state.empty() && state != "all" && aftersales::ApprovalStateName(a.state) != state) continue;
          items.push_back(Embed(aftersales::ApprovalToJson(a)));
        }
        return json::value(json::object{{"items", std::move(items)}});
      }, respond);
    }
    if (seg.size() == 5 && m == "POST" && (seg[4] == "approve" || seg[4] == "reject")) {
      const bool approve = seg[4] == "approve";
      const std::string id = seg[3];
      const core::Clock& clock = app_.clock();
      return Write<aftersales::PermissionService::Outcome>(
          [this, c, id, approve, note = Opt(b, "note"),
           &clock](OrdersDb& db) -> core::Result<aftersales::PermissionService::Outcome> {
            aftersales::PermissionService svc(db.orders(), db.compensations(), clock);
            KEFU_ASSIGN_OR_RETURN(auto policy, LoadPolicy(db, c.shop_id, c.profile.aftersales));
            return svc.Decide(c.actor, id, approve, note, policy);
          },
          200, [](const aftersales::PermissionService::Outcome& o) { return OutcomeJson(o); },
          respond);
    }
    Fail(respond, core::NotFound("no route " + m + " " + req.path));
  }

  // ---- the shop's permission policy (设置 → 权限) ----
  json::value PolicyView(OrdersDb& db, const Ctx& c, const aftersales::PermissionPolicy& policy) {
    const auto& ap = c.profile.aftersales;
    json::object out{
        {"shop", c.shop_id},
        {"platform", std::string(core::PlatformName(c.platform))},
        {"policy", Embed(aftersales::PermissionPolicyToJson(policy))},
        {"defaults",
         Embed(aftersales::PermissionPolicyToJson(aftersales::DefaultPermissionPolicy(ap)))},
        {"platform_limits", json::object{{"small_payments_per_order", ap.small_payments_per_order},
                                         {"small_payment_cap", ap.small_payment_cap.ToString()}}},
        {"customized", false},
        {"updated_at", nullptr},
        {"updated_by", ""},
        {"updated_by_name", ""}};
    if (auto stored = db.policies().GetPolicy(c.shop_id); stored.ok() && *stored) {
      out["customized"] = true;
      out["updated_at"] = c.tz.Format((*stored)->updated_at);
      out["updated_by"] = (*stored)->updated_by;
      out["updated_by_name"] = ActorName((*stored)->updated_by);
    }
    return out;
  }

  void Permissions(const Request& req, const Ctx& c, const json::object& b,
                   const Respond& respond) {
    if (req.method == "GET") {
      return Read(
          [&](OrdersDb& db) -> core::Result<json::value> {
            KEFU_ASSIGN_OR_RETURN(auto policy, LoadPolicy(db, c.shop_id, c.profile.aftersales));
            return PolicyView(db, c, policy);
          },
          respond);
    }
    if (req.method != "PUT")
      return Fail(respond, core::NotFound("no route " + req.method + " " + req.path));
    // Read, change and store in one write job, so two leads' saves cannot interleave.
    Write<json::value>(
        [this, c, b](OrdersDb& db) -> core::Result<json::value> {
          KEFU_ASSIGN_OR_RETURN(auto before, LoadPolicy(db, c.shop_id, c.profile.aftersales));
          KEFU_ASSIGN_OR_RETURN(auto after, PolicyFromJson(b, before));
          KEFU_TRY(aftersales::UpdatePolicy(db.policies(), c.actor, before, after,
                                            c.profile.aftersales, app_.clock().Now()));
          return PolicyView(db, c, after);
        },
        200, [](const json::value& v) { return v; }, respond);
  }

  // ---- audit log ----
  void Audit(const Request& req, const std::vector<std::string>& seg, const Ctx& c,
             const Respond& respond) {
    if (seg.size() != 3 || req.method != "GET")
      return Fail(respond, core::NotFound("no route " + req.method + " " + req.path));
    store::AuditQuery q;
    q.shop_id = c.shop_id;
    q.actor_id = Param(req, "actor");
    q.action = Param(req, "action");
    q.entity_type = Param(req, "entity_type");
    q.entity_id = Param(req, "entity_id");
    for (const char* name : {"from", "to"}) {
      const std::string v = Param(req, name);
      if (v.empty()) continue;
      core::Result<core::Timestamp> t = core::ParseRfc3339(v);
      if (!t.ok()) {
        auto d = core::ParseLocalDate(v);
        if (!d.ok()) return Fail(respond, core::InvalidArgument(std::string(name) + " must be RFC 3339 or YYYY-MM-DD", name));
        // A date means the shop's local day: `to` is exclusive, so to=D covers up to D's end.
        t = c.tz.At(*d, std::chrono::hours(0)) +
            (std::string(name) == "to" ? std::chrono::hours(24) : std::chrono::hours(0));
      }
      (std::string(name) == "from" ? q.from : q.to) = *t;
    }
    const bool csv = Param(req, "format") == "csv";
    auto limit = IntParam(req, "limit", csv ? 10000 : 100, 1, csv ? 100000 : 500);
    if (!limit.ok()) return Fail(respond, limit.status());
    q.limit = *limit;
    auto before = CursorParam(req, "before");
    if (!before.ok()) return Fail(respond, before.status());
    q.before = *before;
    if (csv) {
      store::AuditPage page;
      auto st = repo_->Read([&](OrdersDb& db) -> core::Status {
        KEFU_ASSIGN_OR_RETURN(page, db.QueryAudit(q));
        return core::Status::Ok();
      });
      if (!st.ok()) return Fail(respond, st);
      std::ostringstream out;
      out << "\xEF\xBB\xBF"  // BOM: Excel opens UTF-8 Chinese text correctly
          << "at,actor,actor_name,action,entity_type,entity_id,before,after\r\n";
      for (const auto& r : page.items) {
        const auto& a = r.record;
        out << c.tz.Format(a.at) << ',' << CsvCell(a.actor_id) << ',' << CsvCell(ActorName(a.actor_id))
            << ',' << CsvCell(a.action) << ',' << CsvCell(a.entity_type) << ','
            << CsvCell(a.entity_id) << ',' << CsvCell(a.before_json) << ','
            << CsvCell(a.after_json) << "\r\n";
      }
      Response r;
      r.body = out.str();
      r.content_type = "text/csv; charset=utf-8";
      r.headers.emplace_back("Content-Disposition", "attachment; filename=\"audit-" + c.shop_id + ".csv\"");
      return respond(std::move(r));
    }
    Read([&](OrdersDb& db) -> core::Result<json::value> {
      KEFU_ASSIGN_OR_RETURN(auto page, db.QueryAudit(q));
      json::array items;
      for (const auto& r : page.items) {
        json::value v = Embed(orders::AuditToJson(r.record));
        v.as_object()["at"] = c.tz.Format(r.record.at);
        v.as_object()["actor_name"] = ActorName(r.record.actor_id);
        items.push_back(std::move(v));
      }
      json::object out{{"items", std::move(items)}};
      out["next"] = page.next ? json::value(std::to_string(page.next)) : json::value(nullptr);
      return json::value(std::move(out));
    }, respond);
  }

  std::string ActorName(const std::string& id) {
    if (id == "system") return "系统 system";
    auto u = app_.UserById(id);
    return u.ok() ? u->row.display_name : id;
  }

  void Catalog(const Request& req, const std::vector<std::string>& seg, const Ctx& c,
               const Respond& respond) {
    if (seg.size() != 3 || req.method != "GET")
      return Fail(respond, core::NotFound("no route " + req.method + " " + req.path));
    Read([&](OrdersDb& db) -> core::Result<json::value> {
      KEFU_ASSIGN_OR_RETURN(auto items, db.ListCatalog(c.shop_id));
      json::array out;
      for (const auto& i : items)
        out.push_back(json::object{{"sku", i.sku}, {"name", i.name}, {"stock", i.stock},
                                   {"price", i.price.ToString()}});
      return json::value(json::object{{"items", std::move(out)}});
    }, respond);
  }

  // ---- demo data ----
  core::Status SeedDemo();

  App& app_;
  std::unique_ptr<store::OrdersStore> repo_;
  // Deadlines are hours to days long; 10 s keeps the countdowns and the board in step.
  static constexpr core::Duration kSweepEvery = std::chrono::seconds(10);
  core::Timestamp last_sweep_{};       // the ticker's thread only
  std::atomic<bool> sweeping_{false};  // a sweep job is queued or running
};

// The demo shop's catalogue, orders (one per review bucket, plus unpaid, 拼团, shipped and
// delivered ones), after-sales cases and a pending approval, written through the services so
// the audit log starts with them. Payment times lie 8-30 hours back, so every order to review
// was paid before today's 16:00 cut-off whenever the demo starts.
core::Status OrdersApi::SeedDemo() {
  KEFU_ASSIGN_OR_RETURN(auto shops, app_.store().ListShops());
  KEFU_ASSIGN_OR_RETURN(auto users, app_.store().ListUsers());
  for (const auto& shop : shops) {
    int64_t count = 0;
    KEFU_TRY(repo_->Read([&](OrdersDb& db) -> core::Status {
      KEFU_ASSIGN_OR_RETURN(count, db.CountOrders(shop.id));
      return core::Status::Ok();
    }));
    if (count > 0) continue;
    Ctx c = MakeCtx(shop.id, shop.platform);
    c.actor.user_id = "system";
    c.actor.role = orders::Role::kOwner;
    std::string agent_id = "system";
    for (const auto& u : users)
      if (u.username == "demo-agent2") agent_id = u.id;
    const auto now = app_.clock().Now();
    using std::chrono::hours;
    using std::chrono::minutes;
    auto order = [&](std::string id, std::string buyer, std::vector<orders::OrderItem> items,
                     orders::OrderStatus status, core::Duration paid_ago) {
      Order o;
      o.id = std::move(id);
      o.shop_id = shop.id;
      o.platform = c.platform;
      o.buyer = std::move(buyer);
      o.items = std::move(items);
      o.goods_total = orders::ItemsTotal(o);
      o.original_goods_total = o.goods_total;
      o.address = {"广东省", "深圳市", "南山区", "科技园科苑路15号", "张三", "13800138000"};
      o.status = status;
      o.created_at = now - paid_ago - minutes(3);
      if (status != orders::OrderStatus::kUnpaid) o.paid_at = now - paid_ago;
      return o;
    };
    const core::Money dress(12900), tee(5900), jeans(15900), belt(3900);
    std::vector<Order> list;
    list.push_back(order("PDD20260301001", "buyer-1", {{"DRESS-RED-M", "碎花连衣裙 红色 M", 1, dress}}, orders::OrderStatus::kPaid, hours(26)));
    list.push_back(order("PDD20260301002", "小红", {{"DRESS-RED-MM", "碎花连衣裙 红色 M", 1, dress}}, orders::OrderStatus::kPaid, hours(20)));
    list.push_back(order("PDD20260301003", "老王", {{"JEANS-BLUE-30", "直筒牛仔裤 蓝色 30", 1, jeans}}, orders::OrderStatus::kPaid, hours(18)));
    auto no_district = order("PDD20260301004", "buyer-2", {{"TEE-WHITE-M", "纯棉T恤 白色 M", 2, tee}}, orders::OrderStatus::kToShip, hours(14));
    no_district.address.district.clear();
    list.push_back(no_district);
    list.push_back(order("PDD20260301005", "黑名单买家", {{"TEE-WHITE-M", "纯棉T恤 白色 M", 1, tee}}, orders::OrderStatus::kPaid, hours(12)));
    list.push_back(order("PDD20260301006", "buyer-3", {{"BELT-BLACK", "真皮腰带 黑色", 1, belt}, {"TEE-WHITE-M", "纯棉T恤 白色 M", 1, tee}}, orders::OrderStatus::kToShip, hours(9)));
    auto delivered = order("PDD20260228007", "buyer-1", {{"DRESS-RED-L", "碎花连衣裙 红色 L", 1, dress}}, orders::OrderStatus::kDelivered, hours(24 * 5));
    delivered.shipped_at = now - hours(24 * 4);
    delivered.delivered_at = now - hours(24 * 2);
    delivered.tracking_no = "YT7788990011";
    delivered.carrier = "圆通速递";
    list.push_back(delivered);
    auto unpaid = order("PDD20260301008", "小红", {{"DRESS-RED-L", "碎花连衣裙 红色 L", 1, dress}}, orders::OrderStatus::kUnpaid, hours(1));
    unpaid.shipping_fee = core::Money(800);
    list.push_back(unpaid);
    auto group = order("PDD20260301009", "buyer-2", {{"TEE-WHITE-M", "纯棉T恤 白色 M", 1, core::Money(3990)}}, orders::OrderStatus::kGroupPending, hours(2));
    group.group = orders::GroupInfo{"G-5521", 2, 1, std::nullopt};
    list.push_back(group);
    auto shipped = order("PDD20260227010", "老王", {{"JEANS-BLUE-32", "直筒牛仔裤 蓝色 32", 1, jeans}}, orders::OrderStatus::kShipped, hours(24 * 3));
    shipped.shipped_at = now - hours(24 * 2);
    shipped.tracking_no = "SF1400223344";
    shipped.carrier = "顺丰速运";
    shipped.remark = "顾客要求周末送达";
    shipped.flag = orders::FlagColor::kYellow;
    list.push_back(shipped);

    KEFU_TRY(app_.store().WriteNow([&]() -> core::Status {
      OrdersDb& db = repo_->Writer();
      const orders::CatalogItem catalog[] = {
          {"DRESS-RED-M", "碎花连衣裙 红色 M", 50, dress}, {"DRESS-RED-L", "碎花连衣裙 红色 L", 3, dress},
          {"TEE-WHITE-M", "纯棉T恤 白色 M", 100, tee},      {"JEANS-BLUE-30", "直筒牛仔裤 蓝色 30", 0, jeans},
          {"JEANS-BLUE-32", "直筒牛仔裤 蓝色 32", 12, jeans}, {"BELT-BLACK", "真皮腰带 黑色", 20, belt},
          {"SOCKS-GIFT", "赠品 棉袜", 500, core::Money(0)}};
      for (const auto& item : catalog) KEFU_TRY(db.PutCatalogItem(shop.id, item));
      KEFU_TRY(db.BlockBuyer(shop.id, "黑名单买家"));
      auto svc = OrderSvc(db, c, app_.clock());
      KEFU_TRY(svc.Import(c.actor, list));
      KEFU_TRY(svc.ReviewPending(c.actor).status());
      aftersales::AftersalesService cases(db.cases(), app_.clock(), c.profile.aftersales);
      orders::Actor agent = c.actor;
      agent.user_id = agent_id;
      agent.role = orders::Role::kAgent;
      aftersales::NewCase refund;
      refund.order_id = "PDD20260228007";
      refund.buyer = "buyer-1";
      refund.type = aftersales::CaseType::kRefundOnly;
      refund.reason_code = "quality";
      refund.amount = core::Money(3000);
      refund.note = "裙摆有线头，买家要求部分退款";
      KEFU_TRY(cases.Open(agent, refund).status());
      aftersales::NewCase ret = refund;
      ret.order_id = "PDD20260227010";
      ret.buyer = "老王";
      ret.type = aftersales::CaseType::kReturnRefund;
      ret.reason_code = "no_reason_7d";
      ret.amount = jeans;
      ret.note = "尺码不合适";
      KEFU_ASSIGN_OR_RETURN(Case opened, cases.Open(agent, ret));
      KEFU_TRY(cases.Apply(agent, opened.id, {aftersales::CaseEvent::kSellerApprove}).status());
      // The demo shop's 满赠 threshold and SKU gift table, saved as its policy (audited).
      const auto defaults = aftersales::DefaultPermissionPolicy(c.profile.aftersales);
      auto demo_policy = defaults;
      demo_policy.gift_thresholds = {{core::Money::Yuan(199), "SOCKS-GIFT"}};
      demo_policy.gift_table = {{"DRESS-RED-M", {"SOCKS-GIFT"}}, {"DRESS-RED-L", {"SOCKS-GIFT"}}};
      KEFU_TRY(aftersales::UpdatePolicy(db.policies(), c.actor, defaults, demo_policy,
                                        c.profile.aftersales, now));
      aftersales::PermissionService perm(db.orders(), db.compensations(), app_.clock());
      ActionRequest goodwill;
      goodwill.kind = aftersales::ActionKind::kGoodwillRefund;
      goodwill.order_id = "PDD20260228007";
      goodwill.amount = core::Money::Yuan(20);
      goodwill.cause = aftersales::GoodwillCause::kProduct;
      goodwill.reason = "线头问题，补偿20元";
      return perm.Request(agent, goodwill, demo_policy).status();
    }));
  }
  return core::Status::Ok();
}

}  // namespace

std::unique_ptr<Extension> MakeOrdersApi(App& app) { return std::make_unique<OrdersApi>(app); }

}  // namespace kefu::server
