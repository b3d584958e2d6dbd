// kefu import orders FILE --data DIR --shop ID|NAME [--format csv|jsonl] [--json]
// Parses a CSV/JSONL export (docs/orders.md), stores every valid row in one transaction with
// its audit rows and puts the new orders in the 审单 review queue. Bad rows are reported with
// their line and skipped. Exit: 0 every row stored; 1 the valid rows were stored but some rows
// were rejected; 2 nothing stored (usage, unreadable or non-UTF-8 file, missing columns, no
// valid row, or an order id that already exists in the shop).
#include <boost/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "aftersales/aftersales.h"
#include "cli/cli.h"
#include "core/time_zone.h"
#include "orders/orders.h"
#include "store/store.h"

namespace kefu::cli {
namespace {

namespace json = boost::json;

constexpr const char* kCmd = "import orders";

int ImportOrders(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"data", "shop", "format"}, {"json"});
  if (!args.ok()) return UsageError(kCmd, args.status().message());
  if (args->positional().size() != 1)
    return UsageError(kCmd, "usage: kefu import orders FILE|- --data DIR --shop ID [--format csv|jsonl] [--json]");
  const std::string path = args->positional()[0];
  auto dir = args->Require("data");
  if (!dir.ok()) return UsageError(kCmd, dir.status().message());
  auto shop_arg = args->Require("shop");
  if (!shop_arg.ok()) return UsageError(kCmd, shop_arg.status().message());

  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return UsageError(kCmd, "cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  std::string format = args->Get("format").value_or("");
  if (format.empty()) {
    const bool jsonl = path.size() > 6 && (path.ends_with(".jsonl") || path.ends_with(".json"));
    size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r')) ++i;
    format = jsonl || (i < text.size() && text[i] == '{') ? "jsonl" : "csv";
  }
  if (format != "csv" && format != "jsonl") return UsageError(kCmd, "--format must be csv or jsonl");

  auto st = store::Store::Open(*dir);
  if (!st.ok()) return UsageError(kCmd, st.status().message());
  auto& db = **st;
  auto shop = db.ShopById(*shop_arg);
  if (shop.ok() && !*shop) shop = db.ShopByName(*shop_arg);
  if (!shop.ok()) return UsageError(kCmd, shop.status().message());
  if (!*shop) return UsageError(kCmd, "no shop " + *shop_arg + " (kefu shop list)");
  const auto platform = core::ParsePlatform((*shop)->platform).value_or(core::Platform::kPdd);
  auto tz = core::TimeZone::Load((*shop)->tz);
  const core::TimeZone zone = tz.ok() ? *tz : core::TimeZone::Fixed(480);
  core::SystemClock clock;

  orders::ImportOptions opt;
  opt.shop_id = (*shop)->id;
  opt.platform = platform;
  opt.local_offset_minutes = zone.OffsetMinutes(clock.Now());
  orders::ImportResult parsed =
      format == "csv" ? orders::ParseOrdersCsv(text, opt) : orders::ParseOrdersJsonl(text, opt);
  orders::KeepShop(parsed, opt.shop_id);
  const size_t valid = parsed.orders.size();

  // Every valid row, its audit row and its review entry in one transaction (the store's
  // WriteNow): all of them are stored, or none.
  core::Status stored = core::Status::Ok();
  if (valid > 0) {
    store::OrdersStore repo(db);
    const auto profile = aftersales::DefaultProfile(platform);
    orders::Actor actor{"cli", opt.shop_id, orders::Role::kOwner, orders::Department::kPreSales};
    stored = db.WriteNow([&]() -> core::Status {
      auto& w = repo.Writer();
      orders::OrderService svc(w.orders(), w.reviews(), w.catalog(), w.blacklist(), clock, zone,
                               profile.orders);
      return w.WithBulkCache(
          [&] { return svc.ImportAndReview(actor, std::move(parsed.orders)).status(); });
    });
  }
  const size_t imported = stored.ok() ? valid : 0;

  if (args->Has("json")) {
    json::array errs;
    for (const auto& e : parsed.errors)
      errs.push_back(json::object{{"line", e.line}, {"order_id", e.order_id}, {"field", e.field},
                                  {"message", e.message}});
    json::object o{{"shop", opt.shop_id}, {"format", format}, {"imported", imported},
                   {"rejected", parsed.errors.size()}, {"errors", std::move(errs)}};
    if (!stored.ok()) o["error"] = stored.message();
    std::printf("%s\n", json::serialize(o).c_str());
  } else {
    for (const auto& e : parsed.errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
  }
  if (!stored.ok()) {
    if (args->Has("json")) return kExitUsage;
    return UsageError(kCmd, "nothing stored: " + stored.message());
  }
  if (valid == 0) {
    if (args->Has("json")) return kExitUsage;
    return UsageError(kCmd, "nothing stored: no valid row in " + path);
  }
  if (!args->Has("json"))
    std::printf("imported %zu orders into %s (%s); %zu rows rejected\n", imported,
                opt.shop_id.c_str(), (*shop)->name.c_str(), parsed.errors.size());
  return parsed.errors.empty() ? kExitOk : kExitNo;
}

}  // namespace

KEFU_COMMAND("import", "import orders from a CSV or JSONL file into a shop (kefu import orders FILE --data DIR --shop ID)",
             [](const std::vector<std::string>& args) -> int {
               if (args.empty() || args[0] != "orders")
                 return UsageError("import", "usage: kefu import orders FILE --data DIR --shop ID [--json]");
               return ImportOrders(std::vector<std::string>(args.begin() + 1, args.end()));
             });

}  // namespace kefu::cli
