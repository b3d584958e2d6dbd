#include "server/server.h"

#include <filesystem>
#include <fstream>
#include <future>

#include "server/app.h"
#include "server/json.h"

namespace kefu::server {

namespace {

struct DemoUser {
  const char* username;
  const char* display_name;
  const char* role;
  std::vector<std::string> skills;
};

}  // namespace

core::Status SeedDemo(const std::string& data_dir) {
  KEFU_ASSIGN_OR_RETURN(auto st, store::Store::Open(data_dir));
  KEFU_ASSIGN_OR_RETURN(auto shops, st->ListShops());
  if (!shops.empty()) return core::Status::Ok();
  core::SystemClock clock;

  store::ShopRow shop{core::NewId("s_"), "小蜜蜂服饰旗舰店", "pdd", "Asia/Shanghai", "", clock.Now()};
  const std::string key = core::NewSecret(24);
  shop.ingest_key_hash = store::Sha256Hex(key);
  const DemoUser users[] = {
      {"demo-owner", "店长 王芳", "owner", {"presale", "aftersale"}},
      {"demo-lead", "组长 李强", "lead", {"presale", "aftersale"}},
      {"demo-agent1", "客服 小美", "agent", {"presale"}},
      {"demo-agent2", "客服 阿杰", "agent", {"presale", "aftersale"}},
      {"demo-agent3", "客服 静静", "agent", {"aftersale"}},
  };
  KEFU_ASSIGN_OR_RETURN(const std::string hash, store::HashPassword(kDemoPassword));
  std::map<std::string, std::string> ids;
  KEFU_TRY(st->WriteNow([&]() -> core::Status {
    KEFU_TRY(st->InsertShop(shop));
    for (const auto& u : users) {
      store::UserRow row;
      row.id = core::NewId("u_");
      row.username = u.username;
      row.display_name = u.display_name;
      row.role = u.role;
      row.password_hash = hash;
      row.skills = u.skills;
      row.max_concurrent = 8;
      row.shop_ids = {shop.id};
      row.created_at = clock.Now();
      ids[u.username] = row.id;
      KEFU_TRY(st->InsertUser(row));
    }
    return core::Status::Ok();
  }));

  {
    std::ofstream out(std::filesystem::path(data_dir) / "demo-keys.json");
    out << json::serialize(json::object{{shop.id, key}});
    if (!out) return core::Unavailable("cannot write demo-keys.json");
  }

  // A little life: conversations written through the real reception service.
  ServerOptions opt;
  opt.data_dir = data_dir;
  App app(opt, clock, std::move(st));
  KEFU_TRY(app.Start());
  auto run = [&](std::function<core::Result<conversation::Outcome>()> op) -> core::Status {
    auto p = std::make_shared<std::promise<core::Status>>();
    auto f = p->get_future();
    auto result = std::make_shared<core::Result<conversation::Outcome>>(core::Internal("not run"));
    app.Write([result, op] { *result = op(); return result->ok(); },
              [result, p](bool committed) {
                p->set_value(!committed ? core::Unavailable("not committed") : result->status());
              });
    return f.get();
  };
  auto actor = [&](const char* username) {
    conversation::Actor a;
    a.user_id = ids[username];
    a.role = conversation::Role::kAgent;
    a.shop_ids = {shop.id};
    return a;
  };
  auto& rx = app.reception();
  auto ingest = [&](const char* buyer, const char* text, const char* order = "") {
    return run([&] { return rx.IngestBuyerMessage(shop.id, buyer, text, std::nullopt, "", order); });
  };
  auto conv_of = [&](const char* buyer) {
    conversation::Actor lead = actor("demo-lead");
    lead.role = conversation::Role::kLead;
    for (const auto& c : rx.List(lead, std::nullopt, false, shop.id))
      if (c.buyer == buyer) return c.id;
    return std::string();
  };
  KEFU_TRY(ingest("小红", "在吗？这条连衣裙有M码吗"));
  KEFU_TRY(run([&] { return rx.Reply(actor("demo-agent1"), conv_of("小红"), "亲，在的～M码有现货，今天16点前拍下当天发出哦", ""); }));
  KEFU_TRY(ingest("小红", "好的，那我拍了"));
  KEFU_TRY(run([&] { return rx.Reply(actor("demo-agent1"), conv_of("小红"), "好嘞亲，感谢支持，有问题随时找我", ""); }));
  KEFU_TRY(run([&] { return rx.Close(actor("demo-agent1"), conv_of("小红")); }));
  KEFU_TRY(ingest("老王", "[订单卡片] 订单号 240611-5823901 — 快递三天没动了，怎么回事", "240611-5823901"));
  KEFU_TRY(run([&] { return rx.Reply(actor("demo-agent3"), conv_of("老王"), "亲，非常抱歉让您久等了，我这边马上联系快递核实，稍后给您回复", ""); }));
  KEFU_TRY(ingest("老王", "尽快啊，等着穿呢"));
  KEFU_TRY(ingest("buyer-3", "你好，满299减30可以和店铺券一起用吗？"));
  app.Stop();
  return core::Status::Ok();
}

}  // namespace kefu::server
