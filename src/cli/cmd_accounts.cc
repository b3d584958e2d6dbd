// kefu shop add|list, kefu user add|list: accounts, written straight to the store.
#include <boost/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "conversation/conversation.h"
#include "core/time_zone.h"
#include "store/store.h"

namespace kefu::cli {
namespace {

namespace json = boost::json;

void PrintJson(const json::value& v) { std::printf("%s\n", json::serialize(v).c_str()); }

core::Result<std::unique_ptr<store::Store>> OpenStore(const Args& args) {
  KEFU_ASSIGN_OR_RETURN(std::string dir, args.Require("data"));
  if (dir.empty()) return core::InvalidArgument("--data must not be empty", "data");
  return store::Store::Open(dir);
}

int ShopAdd(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"data", "name", "platform", "tz"}, {"json"});
  if (!args.ok()) return UsageError("shop add", args.status().message());
  auto name = args->Require("name");
  if (!name.ok()) return UsageError("shop add", name.status().message());
  if (name->empty() || name->size() > 200) return UsageError("shop add", "--name must be 1-200 bytes");
  auto platform = args->Require("platform");
  if (!platform.ok()) return UsageError("shop add", platform.status().message());
  if (!core::ParsePlatform(*platform))
    return UsageError("shop add", "--platform must be pdd, taobao, kuaishou or jd");
  const std::string tz = args->Get("tz").value_or("Asia/Shanghai");
  if (!core::TimeZone::Load(tz).ok()) return UsageError("shop add", "--tz: unknown time zone " + tz);
  auto st = OpenStore(*args);
  if (!st.ok()) return UsageError("shop add", st.status().message());
  if (auto existing = (*st)->ShopByName(*name); existing.ok() && *existing)
    return UsageError("shop add", "a shop named " + *name + " exists already");
  const std::string key = core::NewSecret(24);
  store::ShopRow row{core::NewId("s_"), *name, *platform, tz, store::Sha256Hex(key),
                     core::SystemClock().Now()};
  if (auto s = (*st)->WriteNow([&] { return (*st)->InsertShop(row); }); !s.ok())
    return UsageError("shop add", s.message());
  if (args->Has("json")) {
    PrintJson(json::object{{"id", row.id}, {"name", row.name}, {"platform", row.platform},
                           {"ingest_key", key}});
  } else {
    std::printf("shop %s (%s, %s, %s)\ningest key: %s\n(the key is shown only now; it is stored hashed)\n",
                row.id.c_str(), row.name.c_str(), row.platform.c_str(), tz.c_str(), key.c_str());
  }
  return kExitOk;
}

int ShopList(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"data"}, {"json"});
  if (!args.ok()) return UsageError("shop list", args.status().message());
  auto st = OpenStore(*args);
  if (!st.ok()) return UsageError("shop list", st.status().message());
  auto shops = (*st)->ListShops();
  if (!shops.ok()) return UsageError("shop list", shops.status().message());
  json::array items;
  for (const auto& s : *shops) {
    if (args->Has("json"))
      items.push_back(json::object{{"id", s.id}, {"name", s.name}, {"platform", s.platform}, {"tz", s.tz}});
    else
      std::printf("%s\t%s\t%s\t%s\n", s.id.c_str(), s.platform.c_str(), s.tz.c_str(), s.name.c_str());
  }
  if (args->Has("json")) PrintJson(items);
  return kExitOk;
}

int UserAdd(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"data", "username", "role", "shop", "skills", "display-name",
                                 "max-concurrent"},
                          {"password-stdin", "json"});
  if (!args.ok()) return UsageError("user add", args.status().message());
  for (const char* f : {"username", "role", "shop"})
    if (!args->Get(f)) return UsageError("user add", std::string("--") + f + " is required");
  const std::string username = *args->Get("username");
  if (username.empty() || username.size() > 64) return UsageError("user add", "--username must be 1-64 bytes");
  const std::string role = *args->Get("role");
  if (!conversation::ParseRole(role)) return UsageError("user add", "--role must be owner, lead or agent");
  std::vector<std::string> skills;
  const std::string skills_text = args->Get("skills").value_or("presale");
  size_t i = 0;
  while (i <= skills_text.size()) {
    size_t j = skills_text.find(',', i);
    if (j == std::string::npos) j = skills_text.size();
    const std::string s = skills_text.substr(i, j - i);
    if (!conversation::ParseSkill(s)) return UsageError("user add", "--skills: unknown skill '" + s + "' (presale, aftersale)");
    skills.push_back(s);
    i = j + 1;
  }
  int max_concurrent = 8;
  if (auto m = args->Get("max-concurrent")) {
    char* end = nullptr;
    const long n = std::strtol(m->c_str(), &end, 10);
    if (m->empty() || *end != '\0' || n < 1 || n > 100) return UsageError("user add", "--max-concurrent must be 1-100");
    max_concurrent = int(n);
  }
  if (!args->Has("password-stdin")) return UsageError("user add", "--password-stdin is required (the password is read from stdin)");
  std::string password;
  if (!std::getline(std::cin, password)) return UsageError("user add", "no password on stdin");
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.size() < 8) return UsageError("user add", "the password must have at least 8 characters");
  auto st = OpenStore(*args);
  if (!st.ok()) return UsageError("user add", st.status().message());
  const std::string shop = *args->Get("shop");
  auto shop_row = (*st)->ShopById(shop);
  if (!shop_row.ok() || !*shop_row) return UsageError("user add", "--shop: no shop " + shop);
  auto hash = store::HashPassword(password);
  if (!hash.ok()) return UsageError("user add", hash.status().message());
  store::UserRow row;
  row.id = core::NewId("u_");
  row.username = username;
  row.display_name = args->Get("display-name").value_or(username);
  row.role = role;
  row.password_hash = *hash;
  row.skills = skills;
  row.max_concurrent = max_concurrent;
  row.shop_ids = {shop};
  row.created_at = core::SystemClock().Now();
  if (auto s = (*st)->WriteNow([&] { return (*st)->InsertUser(row); }); !s.ok())
    return UsageError("user add", s.message());
  if (args->Has("json"))
    PrintJson(json::object{{"id", row.id}, {"username", row.username}, {"role", row.role}});
  else
    std::printf("user %s (%s, %s) added to shop %s\n", row.id.c_str(), username.c_str(), role.c_str(), shop.c_str());
  return kExitOk;
}

int UserList(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"data", "shop"}, {"json"});
  if (!args.ok()) return UsageError("user list", args.status().message());
  auto st = OpenStore(*args);
  if (!st.ok()) return UsageError("user list", st.status().message());
  auto users = (*st)->ListUsers(args->Get("shop").value_or(""));
  if (!users.ok()) return UsageError("user list", users.status().message());
  json::array items;
  for (const auto& u : *users) {
    json::array shops, skills;
    for (const auto& s : u.shop_ids) shops.push_back(json::value(s));
    for (const auto& s : u.skills) skills.push_back(json::value(s));
    if (args->Has("json"))
      items.push_back(json::object{{"id", u.id}, {"username", u.username}, {"role", u.role},
                                   {"skills", skills}, {"shops", shops}});
    else
      std::printf("%s\t%s\t%s\n", u.id.c_str(), u.role.c_str(), u.username.c_str());
  }
  if (args->Has("json")) PrintJson(items);
  return kExitOk;
}

int Dispatch(const char* noun, const std::vector<std::string>& a, int (*add)(const std::vector<std::string>&),
             int (*list)(const std::vector<std::string>&)) {
  if (a.empty()) return UsageError(noun, "expected add or list");
  std::vector<std::string> rest(a.begin() + 1, a.end());
  if (a[0] == "add") return add(rest);
  if (a[0] == "list") return list(rest);
  return UsageError(noun, "unknown subcommand '" + a[0] + "' (add, list)");
}

KEFU_COMMAND("shop", "shops: add --data DIR --name N --platform pdd|taobao|kuaishou|jd [--tz Z] [--json]; list",
             [](const std::vector<std::string>& a) { return Dispatch("shop", a, ShopAdd, ShopList); });
KEFU_COMMAND("user", "users: add --data DIR --username U --role owner|lead|agent --shop ID [--skills presale,aftersale] --password-stdin [--json]; list",
             [](const std::vector<std::string>& a) { return Dispatch("user", a, UserAdd, UserList); });

}  // namespace
}  // namespace kefu::cli
