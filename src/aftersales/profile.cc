// Platform profiles: built-in defaults and the [orders]/[aftersales] tables of the TOML files.
// toml++ stays inside this file.
#include <toml++/toml.h>

#include "aftersales/aftersales.h"

namespace kefu::aftersales {
namespace {

using std::chrono::hours;

core::Status Bad(std::string key, std::string why) {
  return core::InvalidArgument("平台配置错误 bad platform config: " + key + ": " + why, key);
}

// Reads an integer key in [lo, hi] when present.
core::Status Int(const toml::table* t, std::string_view table, std::string_view key, int64_t lo,
                 int64_t hi, int64_t& out) {
  if (!t) return core::Status::Ok();
  const toml::node* n = t->get(key);
  if (!n) return core::Status::Ok();
  std::string name = std::string(table) + "." + std::string(key);
  auto v = n->value<int64_t>();
  if (!n->is_integer() || !v) return Bad(name, "应为整数 must be an integer");
  if (*v < lo || *v > hi) return Bad(name, "超出范围 out of range");
  out = *v;
  return core::Status::Ok();
}

}  // namespace

PlatformProfile DefaultProfile(core::Platform p) {
  // The numbers here match config/platforms/*.toml, where each one cites its source.
  PlatformProfile prof;
  prof.platform = p;
  prof.aftersales.platform = p;
  auto& a = prof.aftersales;
  switch (p) {
    case core::Platform::kTaobao:
      a.seller_response = hours(24 * 5);
      a.unshipped_refund_auto = hours(48);
      a.buyer_return = hours(24 * 7);
      a.seller_confirm_receipt = hours(24 * 10);
      prof.orders.price_change.goods_changes_max = 100;
      prof.orders.price_change.goods_floor_percent = 0;
      break;
    case core::Platform::kPdd:
      a.seller_response = hours(48);
      a.unshipped_refund_auto = hours(24);
      a.buyer_return = hours(24 * 7);
      a.seller_confirm_receipt = hours(24 * 7);
      a.small_payments_per_order = 3;
      a.small_payment_cap = core::Money::Yuan(200);
      break;
    case core::Platform::kKuaishou:
      a.seller_response = hours(48);
      a.unshipped_refund_auto = hours(48);
      a.buyer_return = hours(24 * 7);
      a.seller_confirm_receipt = hours(24 * 7);
      prof.orders.price_change.goods_changes_max = 100;
      prof.orders.price_change.goods_floor_percent = 0;
      break;
    case core::Platform::kJd:
      a.seller_response = hours(48);
      a.unshipped_refund_auto = hours(24);
      a.buyer_return = hours(24 * 7);
      a.seller_confirm_receipt = hours(24 * 7);
      prof.orders.price_change.goods_changes_max = 100;
      prof.orders.price_change.goods_floor_percent = 0;
      break;
  }
  return prof;
}

core::Result<PlatformProfile> ParsePlatformProfile(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return core::InvalidArgument(std::string("平台配置不是有效的 TOML invalid TOML: ") +
                                 std::string(e.description()));
  }
  auto id = root["platform"]["id"].value<std::string>();
  if (!id) return Bad("platform.id", "缺少平台 id (missing)");
  auto platform = core::ParsePlatform(*id);
  if (!platform) return Bad("platform.id", "未知平台 unknown platform " + *id);
  PlatformProfile prof = DefaultProfile(*platform);
  const toml::table* o = root["orders"].as_table();
  const toml::table* s = root["aftersales"].as_table();
  auto& op = prof.orders;
  auto& ap = prof.aftersales;

  int64_t v = op.group_timeout / hours(1);
  KEFU_TRY(Int(o, "orders", "group_timeout_hours", 1, 24 * 30, v));
  op.group_timeout = hours(v);
  if (o) {
    if (const toml::node* n = o->get("review_cutoff")) {
      auto t = n->value<std::string>();
      int hh = -1, mm = -1;
      if (!t || t->size() != 5 || (*t)[2] != ':' || std::sscanf(t->c_str(), "%2d:%2d", &hh, &mm) != 2 ||
          hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return Bad("orders.review_cutoff", "应为 \"HH:MM\" (e.g. \"16:00\")");
      op.review_cutoff = hours(hh) + std::chrono::minutes(mm);
    }
    if (const toml::node* n = o->get("price_change_enabled")) {
      auto b = n->value<bool>();
      if (!n->is_boolean() || !b) return Bad("orders.price_change_enabled", "应为 true/false");
      op.price_change.enabled = *b;
    }
  }
  v = op.max_ship_delay_days;
  KEFU_TRY(Int(o, "orders", "max_ship_delay_days", 1, 365, v));
  op.max_ship_delay_days = static_cast<int>(v);
  v = op.price_change.goods_floor_percent;
  KEFU_TRY(Int(o, "orders", "price_change_goods_floor_percent", 0, 100, v));
  op.price_change.goods_floor_percent = static_cast<int>(v);
  v = op.price_change.goods_changes_max;
  KEFU_TRY(Int(o, "orders", "price_change_goods_max", 0, 1000, v));
  op.price_change.goods_changes_max = static_cast<int>(v);
  v = op.price_change.shipping_changes_max;
  KEFU_TRY(Int(o, "orders", "price_change_shipping_max", -1, 1000, v));
  op.price_change.shipping_changes_max = static_cast<int>(v);

  const std::pair<std::string_view, core::Duration*> durations[] = {
      {"seller_response_hours", &ap.seller_response},
      {"unshipped_refund_auto_hours", &ap.unshipped_refund_auto},
      {"buyer_return_hours", &ap.buyer_return},
      {"seller_confirm_receipt_hours", &ap.seller_confirm_receipt},
      {"problem_followup_hours", &ap.problem_followup},
  };
  for (const auto& [key, dst] : durations) {
    v = *dst / hours(1);
    KEFU_TRY(Int(s, "aftersales", key, 1, 24 * 60, v));
    *dst = hours(v);
  }
  v = ap.small_payments_per_order;
  KEFU_TRY(Int(s, "aftersales", "small_payments_per_order", 0, 100, v));
  ap.small_payments_per_order = static_cast<int>(v);
  v = ap.small_payment_cap.fen() / 100;
  KEFU_TRY(Int(s, "aftersales", "small_payment_cap_yuan", 0, 1000000, v));
  ap.small_payment_cap = core::Money::Yuan(v);
  return prof;
}

}  // namespace kefu::aftersales
