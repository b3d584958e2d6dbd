#include "server/routes.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/extensions.h"
#include "server/json.h"
#include "server/shop_texts.h"
#if KEFU_HAVE_COMPLIANCE
#include "compliance/compliance.h"
#endif
#if KEFU_HAVE_REPLYRATE
#include "server/live.h"
#endif

namespace kefu::server {

namespace {

// Prometheus text exposition: each metric with its HELP and TYPE lines.
struct PromText {
  std::ostringstream o;
  void Head(std::string_view name, std::string_view type, std::string_view help) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  template <class V>
  void One(std::string_view name, std::string_view type, std::string_view help, const V& value) {
    Head(name, type, help);
    o << name << ' ' << value << '\n';
  }
  // counts: one per bound, then the rest (not cumulative; the exposition is).
  template <size_t N, class C>
  void Histogram(std::string_view name, std::string_view help, const double (&bounds)[N], const C (&counts)[N + 1],
                 double sum) {
    Head(name, "histogram", help);
    uint64_t acc = 0;
    for (size_t i = 0; i < N; ++i) {
      acc += uint64_t(counts[i]);
      o << name << "_bucket{le=\"" << bounds[i] << "\"} " << acc << '\n';
    }
    acc += uint64_t(counts[N]);
    o << name << "_bucket{le=\"+Inf\"} " << acc << '\n' << name << "_sum " << sum << '\n'
      << name << "_count " << acc << '\n';
  }
};

using conversation::Outcome;
namespace fs = std::filesystem;

std::string BearerToken(const std::string& header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() > kPrefix.size() && header.compare(0, kPrefix.size(), kPrefix) == 0)
    return header.substr(kPrefix.size());
  return {};
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

core::Result<int> IntParam(const std::map<std::string, std::string>& q, const char* name, int def,
                           int lo, int hi) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return def;
  int v = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9' || v > 1000000)
      return core::InvalidArgument(std::string(name) + " must be an integer", name);
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi)
    return core::InvalidArgument(std::string(name) + " must be between " + std::to_string(lo) +
                                     " and " + std::to_string(hi), name);
  return v;
}

std::string Param(const std::map<std::string, std::string>& q, const char* name) {
  auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

json::object UserJson(App& app, const User& u) {
  json::object o;
  o["id"] = u.row.id;
  o["username"] = u.row.username;
  o["display_name"] = u.row.display_name;
  o["role"] = u.row.role;
  json::array skills;
  for (const auto& s : u.row.skills) skills.push_back(json::value(s));
  o["skills"] = std::move(skills);
  json::array shops;
  for (const auto& s : app.ShopsOf(u)) shops.push_back(ShopJson(s));
  o["shops"] = std::move(shops);
  auto st = app.reception().AgentById(u.row.id);
  o["presence"] = std::string(conversation::PresenceName(st ? st->presence : conversation::Presence::kOffline));
  o["max_concurrent"] = u.row.max_concurrent;
  return o;
}

std::string AgentName(App& app, const std::string& id) {
  if (id.empty()) return {};
  auto st = app.reception().AgentById(id);
  return st ? st->agent.display_name : std::string();
}

json::object ConvJson(App& app, const conversation::Conversation& c) {
  return ConversationJson(c, app.ZoneOf(c.shop_id), AgentName(app, c.agent_id));
}

#if KEFU_HAVE_COMPLIANCE
using texts::ViolationsJson;  // one encoding of violations for every route (server/shop_texts.h)
#endif

std::string ContentType(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".ttf") return "font/ttf";
  if (ext == ".mp3") return "audio/mpeg";
  if (ext == ".wav") return "audio/wav";
  return "application/octet-stream";
}

bool Compressible(const std::string& type) {
  return type.rfind("text/", 0) == 0 || type == "image/svg+xml" || type == "application/json";
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Static files of the web workbench, read once and kept (with their gzip form) in memory.
class StaticFiles {
 public:
  struct File {
    std::string type, raw, gz;
  };
  const File* Get(const fs::path& p) {
    std::lock_guard lock(mu_);
    auto key = p.string();
    if (auto it = cache_.find(key); it != cache_.end()) return &it->second;
    std::ifstream in(p, std::ios::binary);
    if (!in) return nullptr;
    std::stringstream ss;
    ss << in.rdbuf();
    File f;
    f.type = ContentType(p);
    f.raw = ss.str();
    if (Compressible(f.type) && f.raw.size() > 512) f.gz = Gzip(f.raw);
    return &cache_.emplace(key, std::move(f)).first->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, File> cache_;
};

StaticFiles& Statics() {
  static StaticFiles s;
  return s;
}

}  // namespace

std::map<std::string, std::string> ParseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  auto decode = [](std::string_view s) {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        r += ' ';
      } else if (s[i] == '%') {
        auto hex = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        const int h = i + 1 < s.size() ? hex(s[i + 1]) : -1;
        const int l = i + 2 < s.size() ? hex(s[i + 2]) : -1;
        if (h >= 0 && l >= 0) {
          r += char(h * 16 + l);
          i += 2;
        } else {
          r += '%';
        }
      } else {
        r += s[i];
      }
    }
    return r;
  };
  size_t i = 0;
  while (i <= q.size()) {
    size_t j = q.find('&', i);
    if (j == std::string_view::npos) j = q.size();
    auto part = q.substr(i, j - i);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string_view::npos) out[decode(part)] = "";
      else out[decode(part.substr(0, eq))] = decode(part.substr(eq + 1));
    }
    i = j + 1;
  }
  return out;
}

int Router::HttpStatus(const core::Status& st) {
  if (st.error() == "compliance_blocked") return 422;
  if (st.error() == "payload_too_large") return 413;
  switch (st.code()) {
    case core::Code::kOk: return 200;
    case core::Code::kInvalidArgument: return 400;
    case core::Code::kUnauthenticated: return 401;
    case core::Code::kPermissionDenied: return 403;
    case core::Code::kNotFound: return 404;
    case core::Code::kAlreadyExists: return 409;
    case core::Code::kFailedPrecondition: return 409;
    case core::Code::kUnavailable: return 503;
    case core::Code::kInternal: return 500;
  }
  return 500;
}

Response Router::Error(const core::Status& st) { return JsonResponse(HttpStatus(st), ErrorJson(st)); }

Router::Router(App& app, Offload offload) : app_(app), offload_(std::move(offload)) {
  web_dir_ = app.options().web_dir;
  if (app.options().demo) {
    std::ifstream in(fs::path(app.options().data_dir) / "demo-keys.json");
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto v = json::parse(ss.str(), ec);
    if (!ec && v.is_object())
      for (const auto& [k, val] : v.get_object())
        if (val.is_string()) demo_keys_[std::string(k)] = std::string(val.get_string());
  }
}

void Router::IngestMessage(const store::ShopRow& shop, const Request& req, const Respond& respond) {
  App& app = app_;
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(Error(body.status()));
  auto buyer = StringField(*body, "buyer", true);
  if (!buyer.ok()) return respond(Error(buyer.status()));
  auto text = StringField(*body, "text", true);
  if (!text.ok()) return respond(Error(text.status()));
  auto ts_text = StringField(*body, "ts", false);
  if (!ts_text.ok()) return respond(Error(ts_text.status()));
  auto cmid = StringField(*body, "client_msg_id", false);
  if (!cmid.ok()) return respond(Error(cmid.status()));
  auto order = StringField(*body, "order_id", false);
  if (!order.ok()) return respond(Error(order.status()));
  if (buyer->empty() || buyer->size() > 128)
    return respond(Error(core::InvalidArgument("buyer must be 1-128 bytes", "buyer")));
  if (text->empty()) return respond(Error(core::InvalidArgument("text must not be empty", "text")));
  if (cmid->size() > 128)
    return respond(Error(core::InvalidArgument("client_msg_id is longer than 128 bytes", "client_msg_id")));
  std::optional<core::Timestamp> ts;
  if (!ts_text->empty()) {
    auto t = core::ParseRfc3339(*ts_text);
    if (!t.ok()) return respond(Error(core::InvalidArgument(t.status().message(), "ts")));
    ts = *t;
  }
  auto result = std::make_shared<core::Result<Outcome>>(core::Internal("not run"));
  app.Write(
      [&app, result, shop_id = shop.id, b = std::move(*buyer), t = std::move(*text), ts,
       c = std::move(*cmid), o = std::move(*order)] {
        *result = app.reception().IngestBuyerMessage(shop_id, b, t, ts, c, o);
        return result->ok();
      },
      [&app, result, respond, shop_id = shop.id](bool committed) {
        if (!committed) return respond(Error(core::Unavailable("the message was not stored; retry")));
        if (!result->ok()) return respond(Error(result->status()));
        app.Publish(**result);
        if (!(*result)->duplicate) app.metrics().messages_ingested++;
        Response r;
        r.status = 201;
        r.body.reserve(512);
        JsonWriter w(r.body);
        w.BeginObject();
        WriteMessage(w.Key("message"), *(*result)->message, app.ZoneOf(shop_id));
        w.EndObject();
        respond(std::move(r));
      },
      App::Undo::kNothingToUndo);  // a buyer message is rejected before its first write
}

void Router::Handle(Request req, Respond respond) {
  const auto seg = Segments(req.path);
  const std::string& m = req.method;
  App& app = app_;

  if (req.path == "/healthz") {
    respond(JsonResponse(200, json::object{{"status", "ok"}}));
    return;
  }
  if (req.path == "/metrics" && m == "GET") {
    auto& mt = app.metrics();
    PromText p;
    p.Head("kefu_http_requests_total", "counter", "HTTP requests by status class.");
    p.o << "kefu_http_requests_total{class=\"2xx\"} " << mt.requests_2xx << "\n"
        << "kefu_http_requests_total{class=\"4xx\"} " << mt.requests_4xx << "\n"
        << "kefu_http_requests_total{class=\"5xx\"} " << mt.requests_5xx << "\n";
    p.Histogram("kefu_http_request_duration_seconds", "Request latency.", Histogram::kBounds, mt.latency.buckets,
                double(mt.latency.sum_us) / 1e6);
    p.One("kefu_messages_ingested_total", "counter", "Buyer messages accepted.", mt.messages_ingested.load());
    p.One("kefu_messages_sent_total", "counter", "Agent replies accepted.", mt.messages_sent.load());
    p.One("kefu_compliance_blocked_total", "counter", "Replies blocked by the compliance guard.",
          mt.compliance_blocked.load());
    p.One("kefu_websockets_open", "gauge", "Open WebSocket connections.", mt.open_sockets.load());
    p.One("kefu_websockets_dropped_total", "counter", "Slow sockets dropped.", mt.dropped_sockets.load());
    p.One("kefu_queue_waiting", "gauge", "Conversations waiting for an agent.", app.reception().WaitingCount());
    p.One("kefu_store_write_queue", "gauge", "Write jobs queued for the store writer.", app.store().QueueLength());
    const auto ps = app.store().Stats();
    using PS = store::Store::PipelineStats;
    p.One("kefu_store_commits_total", "counter", "Group commits.", ps.commits);
    p.One("kefu_store_fsyncs_total", "counter", "fdatasync calls on the WAL (each covers every commit before it).",
          ps.fsyncs);
    p.One("kefu_store_commit_seconds_total", "counter", "Time the writer spent in COMMIT (writing WAL frames).",
          ps.commit_seconds);
    p.One("kefu_store_fsync_seconds_total", "counter", "Time the syncer spent in fdatasync of the WAL.",
          ps.fsync_seconds);
    p.One("kefu_store_wal_frames_total", "counter",
          "Pages written to the WAL (each commit writes every page it changed).", ps.wal_frames);
    p.One("kefu_store_wal_restarts_total", "counter", "Checkpoints finished by the writer so the WAL starts over.",
          ps.wal_restarts);
    p.One("kefu_store_wal_restart_seconds_total", "counter", "Time the writer spent on them.",
          ps.wal_restart_seconds);
    p.One("kefu_store_checkpoints_total", "counter", "Passive WAL checkpoints.", ps.checkpoints);
    p.Histogram("kefu_store_durable_seconds", "From a commit to its fdatasync done.", PS::kDurableBounds, ps.durable,
                ps.durable_sum);
    p.Histogram("kefu_store_batch_jobs", "Jobs per group commit.", PS::kBatchBounds, ps.batch, double(ps.jobs));
    Response r;
    r.body = p.o.str();
    r.content_type = "text/plain; version=0.0.4";
    respond(std::move(r));
    return;
  }

  if (seg.size() < 2 || seg[0] != "api" || seg[1] != "v1") {
    if (seg.empty() || seg[0] != "api") {
      // The web workbench: files from web/dist, index.html for client-side routes.
      if (m != "GET" && m != "HEAD") {
        respond(Error(core::NotFound("no route " + m + " " + req.path)));
        return;
      }
      for (const auto& s : seg) {
        if (s == ".." || s.find('\\') != std::string::npos) {
          respond(Error(core::InvalidArgument("bad path", "path")));
          return;
        }
      }
      fs::path p = fs::path(web_dir_);
      for (const auto& s : seg) p /= s;
      std::error_code ec;
      if (seg.empty() || !fs::is_regular_file(p, ec)) p = fs::path(web_dir_) / "index.html";
      const auto* f = Statics().Get(p);
      if (!f) {
        respond(Error(core::NotFound("the web workbench is not built (run make web)")));
        return;
      }
      Response r;
      r.content_type = f->type;
      const bool gz = !f->gz.empty() && req.accept_encoding.find("gzip") != std::string::npos;
      r.body = gz ? f->gz : f->raw;
      if (gz) r.headers.emplace_back("Content-Encoding", "gzip");
      r.headers.emplace_back("Vary", "Accept-Encoding");
      const bool hashed = seg.size() >= 1 && seg[0] == "assets";
      r.headers.emplace_back("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
      respond(std::move(r));
      return;
    }
    respond(Error(core::NotFound("no route " + m + " " + req.path)));
    return;
  }

  // The busiest route is answered from the event loop when the shop's key is cached (it is after
  // the shop's first message): it only parses and queues a write, so it needs no pool hop.
  if (m == "POST" && req.path == "/api/v1/ingest/messages") {
    if (auto shop = app.CachedShopByIngestKey(req.ingest_key)) return IngestMessage(*shop, req, respond);
  }

  // Everything below runs on the blocking pool: store reads and password hashing may block.
  offload_([this, req = std::move(req), respond = std::move(respond), seg]() mutable {
    App& app = app_;
    const std::string& m = req.method;
    auto route = [&](size_t n, std::initializer_list<const char*> parts) {
      if (seg.size() != n) return false;
      size_t i = 2;
      for (const char* p : parts) {
        if (i >= seg.size()) return false;
        if (std::string_view(p) != "*" && seg[i] != p) return false;
        ++i;
      }
      return true;
    };

    for (const auto& e : app.extensions())
      if (e->HandlePublic(req, seg, respond)) return;

    // ---- buyer side (ingest key) ----
    if (route(4, {"ingest", "messages"}) && m == "POST") {
      auto shop = app.ShopByIngestKey(req.ingest_key);
      if (!shop.ok()) return respond(Error(shop.status()));
      return IngestMessage(*shop, req, respond);
    }
    if (route(4, {"ingest", "history"}) && m == "GET") {
      std::string key = req.ingest_key.empty() ? Param(req.query, "key") : req.ingest_key;
      auto shop = app.ShopByIngestKey(key);
      if (!shop.ok()) return respond(Error(shop.status()));
      const std::string buyer = Param(req.query, "buyer");
      if (buyer.empty()) return respond(Error(core::InvalidArgument("buyer is required", "buyer")));
      auto limit = IntParam(req.query, "limit", 50, 1, 200);
      if (!limit.ok()) return respond(Error(limit.status()));
      auto msgs = app.store().BuyerMessages(shop->id, buyer, *limit);
      if (!msgs.ok()) return respond(Error(msgs.status()));
      json::array items;
      for (const auto& msg : *msgs)
        if (msg.from != conversation::Sender::kSystem)  // team notes stay with the team
          items.push_back(MessageJson(msg, app.ZoneOf(shop->id)));
      return respond(JsonResponse(200, json::object{{"items", std::move(items)}}));
    }
    if (route(4, {"sim", "config"}) && m == "GET") {
      if (!app.options().demo) return respond(Error(core::NotFound("the simulator runs only in kefu demo")));
      json::array shops;
      for (const auto& [id, key] : demo_keys_) {
        auto s = app.ShopById(id);
        if (!s.ok()) continue;
        json::object o = ShopJson(*s);
        o["ingest_key"] = key;
        json::array buyers;
        for (const char* b : {"buyer-1", "buyer-2", "buyer-3", "小红", "老王"}) buyers.push_back(json::value(b));
        o["buyers"] = std::move(buyers);
        shops.push_back(std::move(o));
      }
      return respond(JsonResponse(200, json::object{{"shops", std::move(shops)}}));
    }

    // ---- login ----
    if (route(4, {"auth", "login"}) && m == "POST") {
      auto body = ParseObject(req.body);
      if (!body.ok()) return respond(Error(body.status()));
      auto username = StringField(*body, "username", true);
      if (!username.ok()) return respond(Error(username.status()));
      auto password = StringField(*body, "password", true);
      if (!password.ok()) return respond(Error(password.status()));
      auto r = app.Login(*username, *password);
      if (!r.ok()) return respond(Error(r.status()));
      const auto& [token, user] = *r;
      json::object o{{"token", token},
                     {"expires_at", core::FormatRfc3339(app.clock().Now() + app.options().token_ttl, 480)},
                     {"user", UserJson(app, user)}};
      return respond(JsonResponse(200, o));
    }

    // ---- everything else needs a user ----
    const std::string token = BearerToken(req.authorization);
    auto user_r = app.Authenticate(token);
    if (!user_r.ok()) return respond(Error(user_r.status()));
    const User user = *user_r;
    const auto& actor = user.actor;

    // Runs a reception operation on the writer and answers with `encode(outcome)`.
    auto write = [&app, respond](std::function<core::Result<Outcome>()> op, int status,
                                 std::function<json::object(const Outcome&)> encode) {
      auto result = std::make_shared<core::Result<Outcome>>(core::Internal("not run"));
      app.Write([result, op = std::move(op)] { *result = op(); return result->ok(); },
                [&app, result, respond, status, encode = std::move(encode)](bool committed) {
                  if (!committed) return respond(Error(core::Unavailable("not stored; retry")));
                  if (!result->ok()) return respond(Error(result->status()));
                  app.Publish(**result);
                  if (status == 204) {
                    Response r;
                    r.status = 204;
                    return respond(std::move(r));
                  }
                  respond(JsonResponse(status, encode(**result)));
                });
    };
    auto conv_answer = [&app](const Outcome& o) { return ConvJson(app, *o.conversation); };

    if (route(4, {"auth", "logout"}) && m == "POST") {
      app.Logout(token);
      Response r;
      r.status = 204;
      return respond(std::move(r));
    }
    if (route(3, {"me"}) && m == "GET") return respond(JsonResponse(200, UserJson(app, user)));
    if (route(4, {"me", "presence"}) && m == "PUT") {
      auto body = ParseObject(req.body);
      if (!body.ok()) return respond(Error(body.status()));
      auto status = StringField(*body, "status", true);
      if (!status.ok()) return respond(Error(status.status()));
      auto p = conversation::ParsePresence(*status);
      if (!p) return respond(Error(core::InvalidArgument("status must be online, busy, away or offline", "status")));
      const std::string uid = user.row.id;
      return write([&app, uid, p] { return app.reception().SetPresence(uid, *p); }, 200,
                   [&app, user](const Outcome&) { return UserJson(app, user); });
    }
    if (route(3, {"shops"}) && m == "GET") {
      json::array items;
      for (const auto& s : app.ShopsOf(user)) items.push_back(ShopJson(s));
      return respond(JsonResponse(200, json::object{{"items", std::move(items)}}));
    }
    if (route(4, {"team", "board"}) && m == "GET") {
      std::string shop_id = Param(req.query, "shop");
      if (shop_id.empty() && !user.row.shop_ids.empty()) shop_id = user.row.shop_ids.front();
      if (!actor.shop_ids.count(shop_id)) return respond(Error(core::NotFound("shop " + shop_id + " not found")));
      auto shop = app.ShopById(shop_id);
      if (!shop.ok()) return respond(Error(shop.status()));
      json::array agents;
      for (const auto& a : app.reception().Agents(shop_id)) {
        json::array skills;
        for (auto s : a.agent.skills) skills.push_back(json::value(std::string(conversation::SkillName(s))));
        agents.push_back(json::object{{"id", a.agent.id}, {"username", a.agent.username},
                                      {"display_name", a.agent.display_name},
                                      {"role", std::string(conversation::RoleName(a.agent.role))},
                                      {"skills", std::move(skills)},
                                      {"presence", std::string(conversation::PresenceName(a.presence))},
                                      {"load", a.load}, {"max_concurrent", a.agent.max_concurrent}});
      }
      conversation::Actor lead = actor;
      lead.role = conversation::Role::kLead;  // the board counts the whole shop
      const auto all = app.reception().List(lead, std::nullopt, false, shop_id);
      int waiting = 0, open = 0;
      std::optional<core::Timestamp> oldest;
      for (const auto& c : all) {
        if (c.status == conversation::ConversationStatus::kOpen) ++open;
        if (c.status == conversation::ConversationStatus::kWaiting) ++waiting;
        if (c.status != conversation::ConversationStatus::kClosed && c.waiting_since &&
            (!oldest || *c.waiting_since < *oldest))
          oldest = c.waiting_since;
      }
      json::object o{{"shop", ShopJson(*shop)}, {"agents", std::move(agents)}, {"waiting", waiting}, {"open", open}};
      if (oldest) o["oldest_wait_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(app.clock().Now() - *oldest).count();
      else o["oldest_wait_seconds"] = nullptr;
      return respond(JsonResponse(200, o));
    }
    if (route(4, {"compliance", "check"}) && m == "POST") {
#if KEFU_HAVE_COMPLIANCE
      auto body = ParseObject(req.body);
      if (!body.ok()) return respond(Error(body.status()));
      auto text = StringField(*body, "text", true);
      if (!text.ok()) return respond(Error(text.status()));
      auto shop_field = StringField(*body, "shop", false);
      if (!shop_field.ok()) return respond(Error(shop_field.status()));
      std::string shop_id = *shop_field;
      if (shop_id.empty() && !user.row.shop_ids.empty()) shop_id = user.row.shop_ids.front();
      if (!actor.shop_ids.count(shop_id)) return respond(Error(core::NotFound("shop " + shop_id + " not found")));
      auto shop = app.ShopById(shop_id);
      if (!shop.ok()) return respond(Error(shop.status()));
      auto res = app.CheckOutgoing(shop_id, *text);  // with the shop's custom words
      if (!res.ok()) return respond(Error(res.status()));
      return respond(JsonResponse(200, json::object{{"ok", res->ok}, {"violations", ViolationsJson(res->violations)}}));
#else
      return respond(Error(core::NotFound("the compliance guard is not built into this binary")));
#endif
    }

    for (const auto& e : app.extensions())
      if (e->Handle(req, seg, user, respond)) return;

    // ---- reply rate ----
    if (route(4, {"metrics", "live"}) || route(4, {"metrics", "reply-rate"})) {
      if (m != "GET") return respond(Error(core::NotFound("no route " + m + " " + req.path)));
      std::string shop_id = Param(req.query, "shop");
      if (shop_id.empty() && !user.row.shop_ids.empty()) shop_id = user.row.shop_ids.front();
      if (!actor.shop_ids.count(shop_id)) return respond(Error(core::NotFound("shop " + shop_id + " not found")));
#if KEFU_HAVE_REPLYRATE
      if (seg[3] == "live") {
        Response r;
        r.body = app.live()->LiveJson(shop_id, app.clock().Now());
        return respond(std::move(r));
      }
      auto days = IntParam(req.query, "days", 1, 1, 90);
      if (!days.ok()) return respond(Error(days.status()));
      std::string date = Param(req.query, "date");
      if (date.empty()) date = core::FormatLocalDate(app.ZoneOf(shop_id).DateOf(app.clock().Now()));
      if (!core::ParseLocalDate(date).ok())
        return respond(Error(core::InvalidArgument("date must be YYYY-MM-DD", "date")));
      const std::string daily = Param(req.query, "daily");
      if (!daily.empty() && daily != "0" && daily != "1")
        return respond(Error(core::InvalidArgument("daily must be 0 or 1", "daily")));
      auto body = app.live()->ReplyRateJson(shop_id, date, *days, daily == "1");
      if (!body.ok()) return respond(Error(body.status()));
      Response r;
      r.body = *body;
      return respond(std::move(r));
#else
      return respond(Error(core::NotFound("the reply-rate guard is not built into this binary")));
#endif
    }

    // ---- conversations ----
    if (route(3, {"conversations"}) && m == "GET") {
      std::optional<conversation::ConversationStatus> status;
      if (auto s = Param(req.query, "status"); !s.empty()) {
        status = conversation::ParseStatus(s);
        if (!status) return respond(Error(core::InvalidArgument("status must be waiting, open or closed", "status")));
      }
      auto limit = IntParam(req.query, "limit", 50, 1, 500);
      if (!limit.ok()) return respond(Error(limit.status()));
      // Keyset cursor "<updated_at µs>_<id>": stable while conversations move up the list.
      const std::string before = Param(req.query, "before");
      int64_t before_us = 0;
      std::string before_id;
      if (!before.empty()) {
        const auto us = before.find('_');
        bool ok = us != std::string::npos && us > 0;
        for (size_t i = 0; ok && i < us; ++i) ok = before[i] >= '0' && before[i] <= '9';
        if (!ok) return respond(Error(core::InvalidArgument("before must be a cursor from next", "before")));
        before_us = std::stoll(before.substr(0, us));
        before_id = before.substr(us + 1);
      }
      const std::string shop_id = Param(req.query, "shop");
      if (!shop_id.empty() && !actor.shop_ids.count(shop_id))
        return respond(Error(core::NotFound("shop " + shop_id + " not found")));
      const std::string q = Param(req.query, "q");
      auto all = app.reception().List(actor, status, Param(req.query, "mine") == "1", shop_id);
      if (!q.empty()) {
        all.erase(std::remove_if(all.begin(), all.end(), [&](const conversation::Conversation& c) {
                    return c.buyer.find(q) == std::string::npos && c.last_text.find(q) == std::string::npos;
                  }), all.end());
      }
      json::array items;
      size_t i = 0;
      if (!before.empty()) {
        while (i < all.size() && (all[i].updated_at.time_since_epoch().count() > before_us ||
                                  (all[i].updated_at.time_since_epoch().count() == before_us && all[i].id >= before_id)))
          ++i;
      }
      const size_t end = std::min(all.size(), i + size_t(*limit));
      for (size_t k = i; k < end; ++k) items.push_back(ConvJson(app, all[k]));
      json::object o{{"items", std::move(items)}};
      if (end < all.size() && end > i)
        o["next"] = std::to_string(all[end - 1].updated_at.time_since_epoch().count()) + "_" + all[end - 1].id;
      else
        o["next"] = nullptr;
      return respond(JsonResponse(200, o));
    }
    if (seg.size() >= 4 && seg[2] == "conversations") {
      const std::string id = seg[3];
      auto conv = app.reception().Find(actor, id);
      if (!conv) return respond(Error(core::NotFound("conversation " + id + " not found")));
      if (seg.size() == 4 && m == "GET") return respond(JsonResponse(200, ConvJson(app, *conv)));
      const std::string action = seg.size() == 5 ? seg[4] : "";
      if (action == "messages" && m == "GET") {
        auto limit = IntParam(req.query, "limit", 50, 1, 200);
        if (!limit.ok()) return respond(Error(limit.status()));
        auto before = IntParam(req.query, "before", 0, 0, 2000000000);
        if (!before.ok()) return respond(Error(before.status()));
        auto msgs = app.store().ListMessages(id, *before, *limit);
        if (!msgs.ok()) return respond(Error(msgs.status()));
        json::array items;
        for (const auto& msg : *msgs) items.push_back(MessageJson(msg, app.ZoneOf(conv->shop_id)));
        json::object o{{"items", std::move(items)}};
        if (int(msgs->size()) == *limit) o["next"] = std::to_string(msgs->front().seq);
        else o["next"] = nullptr;
        return respond(JsonResponse(200, o));
      }
      if (action == "messages" && m == "POST") {
        auto body = ParseObject(req.body);
        if (!body.ok()) return respond(Error(body.status()));
        auto text = StringField(*body, "text", true);
        if (!text.ok()) return respond(Error(text.status()));
        auto cmid = StringField(*body, "client_msg_id", false);
        if (!cmid.ok()) return respond(Error(cmid.status()));
        if (text->empty()) return respond(Error(core::InvalidArgument("text must not be empty", "text")));
        json::array warnings;
#if KEFU_HAVE_COMPLIANCE
        auto check = app.CheckOutgoing(conv->shop_id, *text);  // with the shop's custom words
        if (!check.ok()) return respond(Error(check.status()));
        if (!check->ok) {
          app.metrics().compliance_blocked++;
          json::object o = ErrorJson(core::Status(core::Code::kInvalidArgument,
                                                  "违规内容，消息未发送 / the message breaks platform rules and was not sent",
                                                  "text", "compliance_blocked"));
          o["violations"] = ViolationsJson(check->violations);
          return respond(JsonResponse(422, o));
        }
        warnings = ViolationsJson(check->violations);
#endif
        return write([&app, actor, id, t = *text, c = *cmid] { return app.reception().Reply(actor, id, t, c); },
                     201, [&app, warnings](const Outcome& o) {
                       app.metrics().messages_sent++;
                       return json::object{{"message", MessageJson(*o.message, app.ZoneOf(o.message->shop_id))},
                                           {"warnings", warnings}};
                     });
      }
      if (action == "accept" && m == "POST")
        return write([&app, actor, id] { return app.reception().Accept(actor, id); }, 200, conv_answer);
      if (action == "close" && m == "POST")
        return write([&app, actor, id] { return app.reception().Close(actor, id); }, 200, conv_answer);
      if (action == "read" && m == "POST")
        return write([&app, actor, id] { return app.reception().MarkRead(actor, id); }, 204, conv_answer);
      if (action == "transfer" && m == "POST") {
        auto body = ParseObject(req.body);
        if (!body.ok()) return respond(Error(body.status()));
        auto to_agent = StringField(*body, "to_agent", false);
        if (!to_agent.ok()) return respond(Error(to_agent.status()));
        auto to_skill_s = StringField(*body, "to_skill", false);
        if (!to_skill_s.ok()) return respond(Error(to_skill_s.status()));
        auto note = StringField(*body, "note", false);
        if (!note.ok()) return respond(Error(note.status()));
        std::optional<conversation::Skill> to_skill;
        if (!to_skill_s->empty()) {
          to_skill = conversation::ParseSkill(*to_skill_s);
          if (!to_skill) return respond(Error(core::InvalidArgument("to_skill must be presale or aftersale", "to_skill")));
        }
        return write([&app, actor, id, a = *to_agent, to_skill, n = *note] {
                       return app.reception().Transfer(actor, id, a, to_skill, n);
                     }, 200, conv_answer);
      }
    }
    respond(Error(core::NotFound("no route " + m + " " + req.path)));
  });
}

Response JsonResponse(int status, const json::value& v) {
  Response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

Response JsonResponse(int status, const json::object& o) {
  Response r;
  r.status = status;
  r.body = json::serialize(o);
  return r;
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

}  // namespace kefu::server
