// Reply templates (话术) in the running server: the shop's library (GET/POST /api/v1/templates,
// GET/PUT/DELETE /api/v1/templates/{id}), the variable list (GET /api/v1/templates/variables) and
// quick replies (POST /api/v1/templates/{id}/render): the template filled from the open
// conversation and its order, checked by the guard like any reply. Every saved text passes the
// guard with the shop's custom words (422 compliance_blocked otherwise). The logic (syntax,
// validation, rendering) is outreach::; this file parses, calls it and encodes.
//
// State: each shop's templates are one immutable list swapped on change; rows and their
// audit_log rows commit together through store::ShopTextsDb on the writer connection.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "compliance/compliance.h"
#include "orders/orders.h"
#include "outreach/outreach.h"
#include "server/app.h"
#include "server/extensions.h"
#include "server/json.h"
#include "server/routes.h"
#include "server/shop_texts.h"

namespace kefu::server {
namespace {

using outreach::ReplyTemplate;
using List = std::vector<ReplyTemplate>;
using ListPtr = std::shared_ptr<const List>;

ReplyTemplate FromRow(const store::TemplateRow& r) {
  ReplyTemplate t;
  t.id = r.id;
  t.shop_id = r.shop_id;
  t.scene = outreach::ParseScene(r.scene).value_or(outreach::Scene::kGeneral);
  t.title = r.title;
  t.text = r.text;
  t.updated_by = r.updated_by;
  t.created_at = r.created_at;
  t.updated_at = r.updated_at;
  return t;
}

store::TemplateRow ToRow(const ReplyTemplate& t) {
  return store::TemplateRow{t.shop_id, t.id, std::string(outreach::SceneName(t.scene)), t.title, t.text,
                            t.updated_by, t.created_at, t.updated_at};
}

// The demo shop's starter library; each passes the guard before it is stored.
struct DemoTemplate {
  outreach::Scene scene;
  const char* title;
  const char* text;
};
const DemoTemplate kDemoTemplates[] = {
    {outreach::Scene::kPaymentReminder, "催付提醒",
     "亲爱的{买家昵称}，您在{店铺名称}拍下的{商品名称}还没有付款哦～库存有限，付款后我们会尽快为您发货"},
    {outreach::Scene::kShippingNotice, "发货通知",
     "亲，您的订单{订单号}已于{发货时间}由{快递公司}发出，运单号{快递单号}，请留意查收哦"},
    {outreach::Scene::kLogistics, "物流安抚",
     "亲，已为您查询订单{订单号}的物流，包裹正在路上，预计很快送达，请您耐心等待～"},
    {outreach::Scene::kReviewInvite, "评价邀请",
     "亲，{商品名称}用得还满意吗？如果喜欢，欢迎给我们留下评价，您的反馈对我们很重要～"},
    {outreach::Scene::kAftersales, "售后安抚",
     "非常抱歉给您带来不便，{客服昵称}这边马上为您处理，请您放心"},
    {outreach::Scene::kPresale, "尺码推荐", "亲，告诉我们您的身高体重，{客服昵称}帮您推荐合适的尺码哦"},
};

class TemplatesApi final : public Extension {
 public:
  explicit TemplatesApi(App& app) : app_(app), empty_(std::make_shared<List>()) {}

  core::Status Start() override;
  bool Handle(const Request& req, const std::vector<std::string>& seg, const User& user,
              const Respond& respond) override;

 private:
  ListPtr Templates(const std::string& shop) const {
    std::shared_lock lock(mu_);
    auto it = lists_.find(shop);
    return it == lists_.end() ? empty_ : it->second;
  }
  void Swap(const std::string& shop, ListPtr next) {
    std::unique_lock lock(mu_);
    lists_[shop] = std::move(next);
  }

  json::object TemplateJson(const ReplyTemplate& t);
  // The guard's verdict for a template's text: an error response, or the warnings to return.
  std::optional<Response> CheckText(const std::string& shop, const std::string& text, json::array* warnings);
  // Reads scene/title/text present in `body` onto `t`.
  core::Status ApplyFields(const json::object& body, ReplyTemplate& t, bool create);

  void ListTemplates(const Request& req, const User& user, const Respond& respond);
  void Create(const Request& req, const User& user, const Respond& respond);
  void Update(const Request& req, const std::string& id, const User& user, const Respond& respond);
  void Delete(const Request& req, const std::string& id, const User& user, const Respond& respond);
  void Render(const Request& req, const std::string& id, const User& user, const Respond& respond);
  // The order a quick reply is about: `order_id` when given (the buyer's order in the shop, or an
  // order card of this conversation), else the buyer's latest order card here, else the buyer's
  // newest order in the shop. nullopt when there is none; kNotFound for an unknown `order_id`.
  core::Result<std::optional<outreach::OrderFacts>> OrderFor(const conversation::Conversation& c,
                                                             const std::string& order_id);

  App& app_;
  const ListPtr empty_;
  std::unique_ptr<store::OrdersStore> orders_;  // read-only here
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, ListPtr> lists_;  // shop -> templates, oldest first; guarded by mu_
  std::mutex edit_mu_;  // serialises edits (rare), so each starts from the previous one's list
};

core::Status TemplatesApi::Start() {
  orders_ = std::make_unique<store::OrdersStore>(app_.store());
  // Before the writer starts: reads and the demo seed run on the writer connection directly.
  std::vector<store::TemplateRow> rows;
  KEFU_TRY(app_.store().WriteNow([&]() -> core::Status {
    store::ShopTextsDb db(app_.store().WriterConnection());
    KEFU_ASSIGN_OR_RETURN(rows, db.AllTemplates());
    return core::Status::Ok();
  }));
  std::unordered_map<std::string, List> by_shop;
  for (const auto& r : rows) by_shop[r.shop_id].push_back(FromRow(r));
  if (app_.options().demo) {
    KEFU_ASSIGN_OR_RETURN(auto shops, app_.store().ListShops());
    const core::Timestamp now = app_.clock().Now();
    for (const auto& s : shops) {
      if (by_shop.count(s.id)) continue;
      List seeded;
      KEFU_TRY(app_.store().WriteNow([&]() -> core::Status {
        store::ShopTextsDb db(app_.store().WriterConnection());
        for (const auto& d : kDemoTemplates) {
          ReplyTemplate t;
          t.id = core::NewId("tpl_");
          t.shop_id = s.id;
          t.scene = d.scene;
          t.title = d.title;
          t.text = d.text;
          t.updated_by = "system";
          t.created_at = t.updated_at = now;
          KEFU_TRY(outreach::ValidateTemplate(t));
          auto v = app_.CheckOutgoing(s.id, t.text);
          if (!v.ok() || !v->ok) {
            spdlog::warn("demo template {} skipped: blocked by the compliance guard", d.title);
            continue;
          }
          KEFU_TRY(db.InsertTemplate(ToRow(t), store::ChangeAudit{s.id, "system", now, "template.create", "template",
                                                                  t.id, "", json::serialize(TemplateJson(t))}));
          seeded.push_back(std::move(t));
        }
        return core::Status::Ok();
      }));
      by_shop[s.id] = std::move(seeded);
    }
  }
  for (auto& [shop, list] : by_shop) Swap(shop, std::make_shared<const List>(std::move(list)));
  return core::Status::Ok();
}

bool TemplatesApi::Handle(const Request& req, const std::vector<std::string>& seg, const User& user,
                          const Respond& respond) {
  if (seg.size() < 3 || seg[2] != "templates") return false;
  const std::string& m = req.method;
  if (seg.size() == 3 && m == "GET") {
    ListTemplates(req, user, respond);
  } else if (seg.size() == 3 && m == "POST") {
    Create(req, user, respond);
  } else if (seg.size() == 4 && seg[3] == "variables" && m == "GET") {
    json::array items;
    for (const auto& v : outreach::Variables())
      items.push_back(json::object{{"name", v.name}, {"key", v.key}, {"description", v.description},
                                   {"example", v.example}});
    json::array scenes;
    for (auto s : outreach::AllScenes()) scenes.push_back(json::value(outreach::SceneName(s)));
    respond(JsonResponse(200, json::object{{"items", std::move(items)}, {"scenes", std::move(scenes)}}));
  } else if (seg.size() == 4 && m == "GET") {
    auto shop = texts::ShopOf(req, nullptr, user);
    if (!shop.ok()) return respond(Router::Error(shop.status())), true;
    auto list = Templates(*shop);
    auto it = std::find_if(list->begin(), list->end(), [&](const auto& t) { return t.id == seg[3]; });
    if (it == list->end()) return respond(Router::Error(core::NotFound("template " + seg[3] + " not found"))), true;
    respond(JsonResponse(200, TemplateJson(*it)));
  } else if (seg.size() == 4 && m == "PUT") {
    Update(req, seg[3], user, respond);
  } else if (seg.size() == 4 && m == "DELETE") {
    Delete(req, seg[3], user, respond);
  } else if (seg.size() == 5 && seg[4] == "render" && m == "POST") {
    Render(req, seg[3], user, respond);
  } else {
    return false;
  }
  return true;
}

json::object TemplatesApi::TemplateJson(const ReplyTemplate& t) {
  json::array vars;
  if (auto pieces = outreach::ParseTemplateText(t.text); pieces.ok()) {
    std::vector<std::string> seen;
    for (const auto& p : *pieces) {
      if (!p.variable || std::find(seen.begin(), seen.end(), p.text) != seen.end()) continue;
      seen.push_back(p.text);
      vars.push_back(json::value(p.text));
    }
  }
  const auto& tz = app_.ZoneOf(t.shop_id);
  return json::object{{"id", t.id},
                      {"shop", t.shop_id},
                      {"scene", outreach::SceneName(t.scene)},
                      {"title", t.title},
                      {"text", t.text},
                      {"variables", std::move(vars)},
                      {"updated_by", t.updated_by},
                      {"updated_by_name", t.updated_by == "system" ? std::string("系统 system")
                                                                    : texts::UserName(app_, t.updated_by)},
                      {"created_at", tz.Format(t.created_at)},
                      {"updated_at", tz.Format(t.updated_at)}};
}

std::optional<Response> TemplatesApi::CheckText(const std::string& shop, const std::string& text,
                                                json::array* warnings) {
  // The text as written, variables included: the fixed words are what a template adds; filled
  // values are checked again when the reply is sent.
  auto v = app_.CheckOutgoing(shop, text);
  if (!v.ok()) return Router::Error(v.status());
  if (!v->ok) {
    app_.metrics().compliance_blocked++;
    return texts::Blocked("text", "话术含违规内容，未保存 / the template breaks platform rules and was not saved",
                          v->violations);
  }
  *warnings = texts::ViolationsJson(v->violations);
  return std::nullopt;
}

core::Status TemplatesApi::ApplyFields(const json::object& body, ReplyTemplate& t, bool create) {
  KEFU_ASSIGN_OR_RETURN(auto scene, StringField(body, "scene", false));
  if (!scene.empty()) {
    auto s = outreach::ParseScene(scene);
    if (!s) {
      std::string names;
      for (auto x : outreach::AllScenes()) names += (names.empty() ? "" : ", ") + std::string(outreach::SceneName(x));
      return core::InvalidArgument("scene must be one of " + names, "scene");
    }
    t.scene = *s;
  }
  for (auto [field, out] : {std::pair{"title", &t.title}, std::pair{"text", &t.text}}) {
    if (!create && !body.contains(field)) continue;
    KEFU_ASSIGN_OR_RETURN(*out, StringField(body, field, true));
  }
  return outreach::ValidateTemplate(t);
}

void TemplatesApi::ListTemplates(const Request& req, const User& user, const Respond& respond) {
  auto shop = texts::ShopOf(req, nullptr, user);
  if (!shop.ok()) return respond(Router::Error(shop.status()));
  std::optional<outreach::Scene> scene;
  if (auto it = req.query.find("scene"); it != req.query.end() && !it->second.empty()) {
    scene = outreach::ParseScene(it->second);
    if (!scene) return respond(Router::Error(core::InvalidArgument("unknown scene " + it->second, "scene")));
  }
  std::string q;
  if (auto it = req.query.find("q"); it != req.query.end()) q = it->second;
  json::array items;
  for (const auto& t : *Templates(*shop))
    if ((!scene || t.scene == *scene) && outreach::MatchesQuery(t, q)) items.push_back(TemplateJson(t));
  respond(JsonResponse(200, json::object{{"shop", *shop}, {"items", std::move(items)}}));
}

void TemplatesApi::Create(const Request& req, const User& user, const Respond& respond) {
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(Router::Error(body.status()));
  auto shop = texts::ShopOf(req, &*body, user);
  if (!shop.ok()) return respond(Router::Error(shop.status()));
  if (auto st = texts::RequireLead(user, "reply templates"); !st.ok()) return respond(Router::Error(st));
  ReplyTemplate t;
  t.id = core::NewId("tpl_");
  t.shop_id = *shop;
  if (auto st = ApplyFields(*body, t, true); !st.ok()) return respond(Router::Error(st));
  json::array warnings;
  if (auto blocked = CheckText(*shop, t.text, &warnings)) return respond(std::move(*blocked));

  std::lock_guard lock(edit_mu_);
  const ListPtr cur = Templates(*shop);
  if (cur->size() >= outreach::kMaxTemplatesPerShop)
    return respond(Router::Error(core::FailedPrecondition(
        "a shop may keep at most " + std::to_string(outreach::kMaxTemplatesPerShop) + " templates")));
  t.updated_by = user.row.id;
  t.created_at = t.updated_at = app_.clock().Now();
  const json::object after = TemplateJson(t);
  const store::ChangeAudit audit{*shop, user.row.id, t.updated_at, "template.create", "template", t.id, "",
                                 json::serialize(after)};
  auto st = texts::Persist(app_, [row = ToRow(t), audit](store::ShopTextsDb& db) { return db.InsertTemplate(row, audit); });
  if (!st.ok()) return respond(Router::Error(st));
  auto next = std::make_shared<List>(*cur);
  next->push_back(t);
  Swap(*shop, std::move(next));
  respond(JsonResponse(201, json::object{{"template", after}, {"warnings", std::move(warnings)}}));
}

void TemplatesApi::Update(const Request& req, const std::string& id, const User& user, const Respond& respond) {
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(Router::Error(body.status()));
  auto shop = texts::ShopOf(req, &*body, user);
  if (!shop.ok()) return respond(Router::Error(shop.status()));
  if (auto st = texts::RequireLead(user, "reply templates"); !st.ok()) return respond(Router::Error(st));
  std::lock_guard lock(edit_mu_);
  const ListPtr cur = Templates(*shop);
  auto it = std::find_if(cur->begin(), cur->end(), [&](const auto& t) { return t.id == id; });
  if (it == cur->end()) return respond(Router::Error(core::NotFound("template " + id + " not found")));
  ReplyTemplate t = *it;
  if (auto st = ApplyFields(*body, t, false); !st.ok()) return respond(Router::Error(st));
  json::array warnings;
  if (auto blocked = CheckText(*shop, t.text, &warnings)) return respond(std::move(*blocked));
  t.updated_by = user.row.id;
  t.updated_at = app_.clock().Now();
  const json::object after = TemplateJson(t);
  const store::ChangeAudit audit{*shop, user.row.id, t.updated_at, "template.update", "template", t.id,
                                 json::serialize(TemplateJson(*it)), json::serialize(after)};
  auto st = texts::Persist(app_, [row = ToRow(t), audit](store::ShopTextsDb& db) { return db.UpdateTemplate(row, audit); });
  if (!st.ok()) return respond(Router::Error(st));
  auto next = std::make_shared<List>(*cur);
  for (auto& x : *next)
    if (x.id == id) x = t;
  Swap(*shop, std::move(next));
  respond(JsonResponse(200, json::object{{"template", after}, {"warnings", std::move(warnings)}}));
}

void TemplatesApi::Delete(const Request& req, const std::string& id, const User& user, const Respond& respond) {
  auto shop = texts::ShopOf(req, nullptr, user);
  if (!shop.ok()) return respond(Router::Error(shop.status()));
  if (auto st = texts::RequireLead(user, "reply templates"); !st.ok()) return respond(Router::Error(st));
  std::lock_guard lock(edit_mu_);
  const ListPtr cur = Templates(*shop);
  auto it = std::find_if(cur->begin(), cur->end(), [&](const auto& t) { return t.id == id; });
  if (it == cur->end()) return respond(Router::Error(core::NotFound("template " + id + " not found")));
  const store::ChangeAudit audit{*shop, user.row.id, app_.clock().Now(), "template.delete", "template", id,
                                 json::serialize(TemplateJson(*it)), ""};
  const std::string shop_id = *shop;
  auto st = texts::Persist(app_, [shop_id, id, audit](store::ShopTextsDb& db) { return db.DeleteTemplate(shop_id, id, audit); });
  if (!st.ok()) return respond(Router::Error(st));
  auto next = std::make_shared<List>();
  for (const auto& x : *cur)
    if (x.id != id) next->push_back(x);
  Swap(*shop, std::move(next));
  respond(NoContent());
}

outreach::OrderFacts FactsOf(const orders::Order& o) {
  outreach::OrderFacts f;
  f.id = o.id;
  for (const auto& i : o.items) f.goods.push_back(i.name.empty() ? i.sku : i.name);
  f.total = o.Total();
  f.paid_at = o.paid_at;
  f.shipped_at = o.shipped_at;
  f.promised_ship_time = o.promised_ship_time;
  f.carrier = o.carrier;
  f.tracking_no = o.tracking_no;
  return f;
}

core::Result<std::optional<outreach::OrderFacts>> TemplatesApi::OrderFor(const conversation::Conversation& c,
                                                                        const std::string& order_id) {
  // The order cards the buyer sent in this conversation, newest last.
  std::vector<std::string> cards;
  KEFU_ASSIGN_OR_RETURN(auto msgs, app_.store().ListMessages(c.id, 0, 200));
  for (const auto& m : msgs)
    if (m.from == conversation::Sender::kBuyer && !m.order_id.empty()) cards.push_back(m.order_id);
  auto known = [&](const std::string& id) -> std::optional<orders::Order> {
    std::optional<orders::Order> out;
    (void)orders_->Read([&](store::OrdersDb& db) -> core::Status {
      auto r = db.orders().Get(c.shop_id, id);
      if (r.ok() && r->buyer == c.buyer) out = *r;
      return core::Status::Ok();
    });
    return out;
  };
  std::string id = order_id;
  if (id.empty() && !cards.empty()) id = cards.back();
  if (!id.empty()) {
    if (auto o = known(id)) return std::optional<outreach::OrderFacts>(FactsOf(*o));
    // An order Kefu has not imported yet (a card from the platform): its id is all we know.
    if (std::find(cards.begin(), cards.end(), id) != cards.end()) {
      outreach::OrderFacts f;
      f.id = id;
      return std::optional<outreach::OrderFacts>(std::move(f));
    }
    return core::NotFound("order " + id + " not found");
  }
  std::optional<outreach::OrderFacts> newest;
  KEFU_TRY(orders_->Read([&](store::OrdersDb& db) -> core::Status {
    store::OrderQuery q;
    q.shop_id = c.shop_id;
    q.buyer = c.buyer;
    q.limit = 1;
    KEFU_ASSIGN_OR_RETURN(auto page, db.QueryOrders(q));
    if (!page.items.empty()) newest = FactsOf(page.items.front());
    return core::Status::Ok();
  }));
  return newest;
}

void TemplatesApi::Render(const Request& req, const std::string& id, const User& user, const Respond& respond) {
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(Router::Error(body.status()));
  auto conv_id = StringField(*body, "conversation_id", true);
  if (!conv_id.ok()) return respond(Router::Error(conv_id.status()));
  auto order_id = StringField(*body, "order_id", false);
  if (!order_id.ok()) return respond(Router::Error(order_id.status()));
  auto conv = app_.reception().Find(user.actor, *conv_id);
  if (!conv) return respond(Router::Error(core::NotFound("conversation " + *conv_id + " not found")));
  auto list = Templates(conv->shop_id);
  auto it = std::find_if(list->begin(), list->end(), [&](const auto& t) { return t.id == id; });
  if (it == list->end()) return respond(Router::Error(core::NotFound("template " + id + " not found")));
  auto order = OrderFor(*conv, *order_id);
  if (!order.ok()) return respond(Router::Error(order.status()));

  outreach::RenderContext ctx;
  ctx.buyer_name = conv->buyer;
  ctx.agent_name = user.row.display_name;
  if (auto shop = app_.ShopById(conv->shop_id); shop.ok()) ctx.shop_name = shop->name;
  ctx.order = *order;
  ctx.utc_offset_minutes = app_.ZoneOf(conv->shop_id).OffsetMinutes(app_.clock().Now());
  auto rendered = outreach::RenderText(it->text, outreach::ValuesFor(ctx));
  if (!rendered.ok()) return respond(Router::Error(core::Internal("stored template " + id + ": " + rendered.status().message())));
  // Checked like any reply; the send path enforces the verdict again.
  auto v = app_.CheckOutgoing(conv->shop_id, rendered->text);
  if (!v.ok()) return respond(Router::Error(v.status()));
  json::array missing;
  for (const auto& name : rendered->missing) missing.push_back(json::value(name));
  respond(JsonResponse(
      200, json::object{{"template_id", id},
                        {"conversation_id", conv->id},
                        {"order_id", *order ? json::value((*order)->id) : json::value(nullptr)},
                        {"text", rendered->text},
                        {"missing", std::move(missing)},
                        {"ok", v->ok},
                        {"violations", texts::ViolationsJson(v->violations)}}));
}

}  // namespace

std::unique_ptr<Extension> MakeTemplatesApi(App& app) { return std::make_unique<TemplatesApi>(app); }

}  // namespace kefu::server
