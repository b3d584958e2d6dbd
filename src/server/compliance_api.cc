// A shop's custom compliance words (店铺自定义词) in the running server: the HTTP API
// (GET/POST/DELETE /api/v1/compliance/words), and App::CheckOutgoing, through which every text
// for buyers passes (agent replies, robot answers, FAQ and template saves, rendered templates,
// the check endpoint). Each shop's words are one immutable compliance::CustomWordSet swapped on
// change, so a lead's edit applies to the very next check and checks never wait for an edit.
//
// Persistence: rows and their audit_log rows are written through store::ShopTextsDb on the
// store's writer connection, inside a write job, so they commit together (group commit).
#include <future>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "compliance/compliance.h"
#include "server/app.h"
#include "server/extensions.h"
#include "server/json.h"
#include "server/routes.h"
#include "server/shop_texts.h"

namespace kefu::server {

// ---------------------------------------------------------------------------------------------
// Helpers shared with templates_api.cc

namespace texts {

core::Status Persist(App& app, std::function<core::Status(store::ShopTextsDb&)> fn) {
  auto result = std::make_shared<core::Status>(core::Internal("not run"));
  auto done = std::make_shared<std::promise<core::Status>>();
  auto fut = done->get_future();
  app.Write(
      [&app, result, fn = std::move(fn)] {
        store::ShopTextsDb db(app.store().WriterConnection());
        *result = fn(db);
        return result->ok();
      },
      [result, done](bool committed) {
        done->set_value(committed ? *result : core::Unavailable("not stored; retry"));
      });
  return fut.get();
}

core::Result<std::string> ShopOf(const Request& req, const json::object* body, const User& user) {
  std::string shop;
  if (auto it = req.query.find("shop"); it != req.query.end()) shop = it->second;
  if (shop.empty() && body != nullptr) {
    KEFU_ASSIGN_OR_RETURN(shop, StringField(*body, "shop", false));
  }
  if (shop.empty() && !user.row.shop_ids.empty()) shop = user.row.shop_ids.front();
  if (!user.actor.shop_ids.count(shop)) return core::NotFound("shop " + shop + " not found");
  return shop;
}

core::Status RequireLead(const User& user, const char* what) {
  if (user.actor.role == conversation::Role::kAgent)
    return core::PermissionDenied(std::string("only leads and owners may change ") + what);
  return core::Status::Ok();
}

json::array ViolationsJson(const std::vector<compliance::Violation>& vs) {
  json::array out;
  for (const auto& v : vs) {
    out.push_back(json::object{{"category", v.category},
                               {"rule", v.rule},
                               {"severity", std::string(compliance::SeverityName(v.severity))},
                               {"start", v.start},
                               {"end", v.end},
                               {"match", v.match},
                               {"suggestion", v.suggestion},
                               {"replacements", json::array(v.replacements.begin(), v.replacements.end())}});
  }
  return out;
}

Response Blocked(const std::string& field, const std::string& message, const std::vector<compliance::Violation>& vs) {
  json::object o = ErrorJson(core::Status(core::Code::kInvalidArgument, message, field, "compliance_blocked"));
  o["violations"] = ViolationsJson(vs);
  return JsonResponse(422, o);
}

std::string UserName(App& app, const std::string& id) {
  auto u = app.UserById(id);
  return u.ok() ? u->row.display_name : id;
}

}  // namespace texts

// ---------------------------------------------------------------------------------------------
// App: the outgoing check

core::Result<compliance::CheckResult> App::CheckOutgoing(const std::string& shop_id, std::string_view text) {
#if KEFU_HAVE_COMPLIANCE
  if (!guard_) return compliance::CheckResult{};
  auto shop = ShopById(shop_id);
  const auto platform =
      shop.ok() ? core::ParsePlatform(shop->platform).value_or(core::Platform::kPdd) : core::Platform::kPdd;
  std::shared_ptr<const compliance::CustomWordSet> words;
  {
    std::shared_lock lock(words_mu_);
    if (auto it = custom_words_.find(shop_id); it != custom_words_.end()) words = it->second;
  }
  auto res = words ? guard_->Check(text, platform, *words) : guard_->Check(text, platform);
  if (!res.ok()) return core::InvalidArgument(res.status().message(), "text");
  return res;
#else
  (void)shop_id;
  (void)text;
  return compliance::CheckResult{};
#endif
}

void App::SetCustomWords(const std::string& shop_id, std::shared_ptr<const compliance::CustomWordSet> words) {
  std::unique_lock lock(words_mu_);
  if (words) custom_words_[shop_id] = std::move(words);
  else custom_words_.erase(shop_id);
}

namespace {

using Rows = std::vector<store::CustomWordRow>;
using RowsPtr = std::shared_ptr<const Rows>;

compliance::CustomWordEntry EntryOf(const store::CustomWordRow& r) {
  return compliance::CustomWordEntry{r.id, compliance::ParseWordKind(r.kind).value_or(compliance::WordKind::kBlock),
                                     r.word, r.suggestion, r.note};
}

std::vector<compliance::CustomWordEntry> EntriesOf(const Rows& rows) {
  std::vector<compliance::CustomWordEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(EntryOf(r));
  return out;
}

class ComplianceWordsApi final : public Extension {
 public:
  explicit ComplianceWordsApi(App& app) : app_(app), empty_(std::make_shared<Rows>()) {}

  core::Status Start() override {
    // Before the writer starts: read on the writer connection, in a transaction of its own.
    Rows all;
    KEFU_TRY(app_.store().WriteNow([&]() -> core::Status {
      store::ShopTextsDb db(app_.store().WriterConnection());
      KEFU_ASSIGN_OR_RETURN(all, db.AllWords());
      return core::Status::Ok();
    }));
    std::unordered_map<std::string, Rows> by_shop;
    for (auto& r : all) by_shop[r.shop_id].push_back(std::move(r));
    for (auto& [shop, rows] : by_shop) Install(shop, std::make_shared<const Rows>(std::move(rows)));
    return core::Status::Ok();
  }

  bool Handle(const Request& req, const std::vector<std::string>& seg, const User& user,
              const Respond& respond) override {
    if (seg.size() < 4 || seg[2] != "compliance" || seg[3] != "words") return false;
    const std::string& m = req.method;
    if (seg.size() == 4 && m == "GET") List(req, user, respond);
    else if (seg.size() == 4 && m == "POST") Add(req, user, respond);
    else if (seg.size() == 5 && m == "DELETE") Delete(req, seg[4], user, respond);
    else return false;
    return true;
  }

 private:
  RowsPtr Words(const std::string& shop) const {
    std::shared_lock lock(mu_);
    auto it = words_.find(shop);
    return it == words_.end() ? empty_ : it->second;
  }

  // Publishes a shop's words to this API and to the guard (App::CheckOutgoing).
  void Install(const std::string& shop, RowsPtr rows) {
    auto set = rows->empty() ? nullptr
                             : std::make_shared<const compliance::CustomWordSet>(compliance::ToCustomWords(EntriesOf(*rows)));
    {
      std::unique_lock lock(mu_);
      words_[shop] = rows;
    }
    app_.SetCustomWords(shop, std::move(set));
  }

  json::object WordJson(const store::CustomWordRow& r, const std::string& shop) {
    return json::object{{"id", r.id},
                        {"kind", r.kind},
                        {"word", r.word},
                        {"suggestion", r.suggestion},
                        {"note", r.note},
                        {"created_by", r.created_by},
                        {"created_by_name", texts::UserName(app_, r.created_by)},
                        {"created_at", app_.ZoneOf(shop).Format(r.created_at)}};
  }

  void List(const Request& req, const User& user, const Respond& respond) {
    auto shop = texts::ShopOf(req, nullptr, user);
    if (!shop.ok()) return respond(Router::Error(shop.status()));
    json::array items;
    for (const auto& r : *Words(*shop)) items.push_back(WordJson(r, *shop));
    respond(JsonResponse(200, json::object{{"shop", *shop},
                                                  {"items", std::move(items)},
                                                  {"max", compliance::kMaxCustomWords}}));
  }

  void Add(const Request& req, const User& user, const Respond& respond) {
    auto body = ParseObject(req.body);
    if (!body.ok()) return respond(Router::Error(body.status()));
    auto shop = texts::ShopOf(req, &*body, user);
    if (!shop.ok()) return respond(Router::Error(shop.status()));
    if (auto st = texts::RequireLead(user, "custom words"); !st.ok()) return respond(Router::Error(st));
    auto kind_s = StringField(*body, "kind", true);
    if (!kind_s.ok()) return respond(Router::Error(kind_s.status()));
    auto kind = compliance::ParseWordKind(*kind_s);
    if (!kind) return respond(Router::Error(core::InvalidArgument("kind must be block or allow", "kind")));
    compliance::CustomWordEntry entry;
    entry.id = core::NewId("cw_");
    entry.kind = *kind;
    for (auto [field, out] : {std::pair{"word", &entry.word}, std::pair{"suggestion", &entry.suggestion},
                              std::pair{"note", &entry.note}}) {
      auto v = StringField(*body, field, std::string_view(field) == "word");
      if (!v.ok()) return respond(Router::Error(v.status()));
      *out = std::move(*v);
    }

    std::lock_guard lock(edit_mu_);
    const RowsPtr cur = Words(*shop);
    if (auto st = compliance::ValidateCustomWord(entry, EntriesOf(*cur)); !st.ok()) return respond(Router::Error(st));
    auto key = compliance::CustomWordKey(entry.word);
    if (!key.ok()) return respond(Router::Error(key.status()));
    const core::Timestamp now = app_.clock().Now();
    const store::CustomWordRow row{*shop, entry.id, std::string(compliance::WordKindName(entry.kind)), entry.word,
                                   *key, entry.suggestion, entry.note, user.row.id, now};
    auto next = std::make_shared<Rows>(*cur);
    next->push_back(row);
    json::array lifts;
#if KEFU_HAVE_COMPLIANCE
    if (const auto* guard = app_.guard()) {
      auto s = app_.ShopById(*shop);
      const auto platform = s.ok() ? core::ParsePlatform(s->platform).value_or(core::Platform::kPdd) : core::Platform::kPdd;
      if (entry.kind == compliance::WordKind::kBlock && !entry.suggestion.empty()) {
        // One click puts the suggestion into a reply: it must pass with the new word in place.
        const compliance::CustomWordSet with(compliance::ToCustomWords(EntriesOf(*next)));
        auto v = guard->Check(entry.suggestion, platform, with);
        if (!v.ok()) return respond(Router::Error(core::InvalidArgument(v.status().message(), "suggestion")));
        if (!v->ok)
          return respond(texts::Blocked("suggestion", "替换建议本身含违规内容 / the suggestion itself breaks the rules",
                                        v->violations));
      }
      if (entry.kind == compliance::WordKind::kAllow) {
        // What the shop's allow word lets through that the guard would block on its own.
        auto v = guard->Check(entry.word, platform);
        if (v.ok()) {
          std::vector<compliance::Violation> blocks;
          for (auto& x : v->violations)
            if (x.severity == compliance::Severity::kBlock) blocks.push_back(std::move(x));
          lifts = texts::ViolationsJson(blocks);
        }
      }
    }
#endif
    const json::object after = WordJson(row, *shop);
    const store::ChangeAudit audit{*shop, user.row.id, now, "compliance_word.add", "compliance_word", row.id, "",
                                   json::serialize(after)};
    auto st = texts::Persist(app_, [row, audit](store::ShopTextsDb& db) { return db.InsertWord(row, audit); });
    if (!st.ok()) return respond(Router::Error(st));
    Install(*shop, std::move(next));
    respond(JsonResponse(201, json::object{{"word", after}, {"lifts", std::move(lifts)}}));
  }

  void Delete(const Request& req, const std::string& id, const User& user, const Respond& respond) {
    auto shop = texts::ShopOf(req, nullptr, user);
    if (!shop.ok()) return respond(Router::Error(shop.status()));
    if (auto st = texts::RequireLead(user, "custom words"); !st.ok()) return respond(Router::Error(st));
    std::lock_guard lock(edit_mu_);
    const RowsPtr cur = Words(*shop);
    auto it = std::find_if(cur->begin(), cur->end(), [&](const auto& r) { return r.id == id; });
    if (it == cur->end()) return respond(Router::Error(core::NotFound("custom word " + id + " not found")));
    const store::ChangeAudit audit{*shop, user.row.id, app_.clock().Now(), "compliance_word.delete", "compliance_word",
                                   id, json::serialize(WordJson(*it, *shop)), ""};
    auto next = std::make_shared<Rows>();
    for (const auto& r : *cur)
      if (r.id != id) next->push_back(r);
    const std::string shop_id = *shop;
    auto st = texts::Persist(app_, [shop_id, id, audit](store::ShopTextsDb& db) { return db.DeleteWord(shop_id, id, audit); });
    if (!st.ok()) return respond(Router::Error(st));
    Install(*shop, std::move(next));
    respond(NoContent());
  }

  App& app_;
  const RowsPtr empty_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, RowsPtr> words_;  // shop -> words, oldest first; guarded by mu_
  // Serialises edits (rare), so each one starts from the words the previous one left.
  std::mutex edit_mu_;
};

}  // namespace

std::unique_ptr<Extension> MakeComplianceWordsApi(App& app) { return std::make_unique<ComplianceWordsApi>(app); }

}  // namespace kefu::server
