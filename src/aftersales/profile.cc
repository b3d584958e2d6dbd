// Platform profiles: the [orders] and [aftersales] tables of config/platforms/<p>.toml, embedded
// in the binary. The files are the only source of these numbers (each cites its source there);
// a platform file must name every key. toml++ stays inside this file.
#include <toml++/toml.h>

#include <array>
#include <cstdio>

#include "aftersales/aftersales.h"
#include "embedded/aftersales_platforms.h"

namespace kefu::aftersales {
namespace {

using std::chrono::hours;

core::Status Bad(std::string key, std::string why) {
  return core::InvalidArgument("平台配置错误 bad platform config: " + key + ": " + why, key);
}

// Reads the integer `table.key` in [lo, hi] into `out`. A missing key is an error when
// `required` (a platform file), and leaves `out` as it is otherwise (a shop's override).
core::Status Int(const toml::table* t, std::string_view table, std::string_view key, int64_t lo,
                 int64_t hi, bool required, int64_t& out) {
  std::string name = std::string(table) + "." + std::string(key);
  const toml::node* n = t ? t->get(key) : nullptr;
  if (!n)
    return required ? Bad(name, "缺少 missing (every platform file names it)") : core::Status::Ok();
  auto v = n->value<int64_t>();
  if (!n->is_integer() || !v) return Bad(name, "应为整数 must be an integer");
  if (*v < lo || *v > hi)
    return Bad(name, "超出范围 out of range " + std::to_string(lo) + ".." + std::to_string(hi));
  out = *v;
  return core::Status::Ok();
}

core::Status ApplyPermissions(const toml::table* s, bool required, PermissionPolicy& pol);

// Applies the [orders] and [aftersales] tables of `root` to `prof`.
core::Status Apply(const toml::table& root, bool required, PlatformProfile& prof) {
  const toml::table* o = root["orders"].as_table();
  const toml::table* s = root["aftersales"].as_table();
  if (required && !o) return Bad("orders", "缺少 [orders] 表 missing table");
  if (required && !s) return Bad("aftersales", "缺少 [aftersales] 表 missing table");
  auto& op = prof.orders;
  auto& ap = prof.aftersales;

  int64_t v = op.group_timeout / hours(1);
  KEFU_TRY(Int(o, "orders", "group_timeout_hours", 1, 24 * 30, required, v));
  op.group_timeout = hours(v);
  if (const toml::node* n = o ? o->get("review_cutoff") : nullptr) {
    auto t = n->value<std::string>();
    int hh = -1, mm = -1;
    if (!t || t->size() != 5 || (*t)[2] != ':' ||
        std::sscanf(t->c_str(), "%2d:%2d", &hh, &mm) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
      return Bad("orders.review_cutoff", "应为 \"HH:MM\" (e.g. \"16:00\")");
    op.review_cutoff = hours(hh) + std::chrono::minutes(mm);
  } else if (required) {
    return Bad("orders.review_cutoff", "缺少 missing (every platform file names it)");
  }
  if (const toml::node* n = o ? o->get("price_change_enabled") : nullptr) {
    auto b = n->value<bool>();
    if (!n->is_boolean() || !b) return Bad("orders.price_change_enabled", "应为 true/false");
    op.price_change.enabled = *b;
  } else if (required) {
    return Bad("orders.price_change_enabled", "缺少 missing (every platform file names it)");
  }
  v = op.max_ship_delay_days;
  KEFU_TRY(Int(o, "orders", "max_ship_delay_days", 1, 365, required, v));
  op.max_ship_delay_days = static_cast<int>(v);
  v = op.price_change.goods_floor_percent;
  KEFU_TRY(Int(o, "orders", "price_change_goods_floor_percent", 0, 100, required, v));
  op.price_change.goods_floor_percent = static_cast<int>(v);
  v = op.price_change.goods_changes_max;
  KEFU_TRY(Int(o, "orders", "price_change_goods_max", 0, 1000, required, v));
  op.price_change.goods_changes_max = static_cast<int>(v);
  v = op.price_change.shipping_changes_max;
  KEFU_TRY(Int(o, "orders", "price_change_shipping_max", -1, 1000, required, v));
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
    KEFU_TRY(Int(s, "aftersales", key, 1, 24 * 60, required, v));
    *dst = hours(v);
  }
  v = ap.small_payments_per_order;
  KEFU_TRY(Int(s, "aftersales", "small_payments_per_order", 0, 100, required, v));
  ap.small_payments_per_order = static_cast<int>(v);
  v = ap.small_payment_cap.fen() / 100;
  KEFU_TRY(Int(s, "aftersales", "small_payment_cap_yuan", 0, 1000000, required, v));
  ap.small_payment_cap = core::Money::Yuan(v);
  return ApplyPermissions(s, required, ap.permissions);
}

// Reads money `table.key` ("5.00" in yuan, or an integer number of yuan) when present.
core::Status Yuan(const toml::table* t, const std::string& table, std::string_view key,
                  bool required, core::Money& out) {
  const std::string name = table + "." + std::string(key);
  const toml::node* n = t ? t->get(key) : nullptr;
  if (!n)
    return required ? Bad(name, "缺少 missing (every platform file names it)") : core::Status::Ok();
  core::Result<core::Money> m = core::InvalidArgument("");
  if (auto v = n->value_exact<int64_t>())
    m = core::Money::Yuan(*v);
  else if (auto str = n->value_exact<std::string>())
    m = core::Money::Parse(*str);
  if (!m.ok() || m->fen() < 0) return Bad(name, "应为金额，如 \"5.00\" (yuan, >= 0)");
  out = *m;
  return core::Status::Ok();
}

core::Status Bool(const toml::table* t, const std::string& table, std::string_view key,
                  bool required, bool& out) {
  const std::string name = table + "." + std::string(key);
  const toml::node* n = t ? t->get(key) : nullptr;
  if (!n)
    return required ? Bad(name, "缺少 missing (every platform file names it)") : core::Status::Ok();
  auto b = n->value_exact<bool>();
  if (!b) return Bad(name, "应为 true/false");
  out = *b;
  return core::Status::Ok();
}

// One role's table, [aftersales.permissions.<role>]. `required` keys must be present (the
// agent's table in a platform file); others keep the value they have.
core::Status ApplyRole(const toml::table* t, const std::string& table, bool required,
                       RoleLimits& r) {
  KEFU_TRY(Bool(t, table, "unlimited", required, r.unlimited));
  KEFU_TRY(Yuan(t, table, "gift_topup_gap_yuan", required, r.gift_topup_gap));
  int64_t v = r.price_protect_days;
  KEFU_TRY(Int(t, table, "price_protect_days", 0, 365, required, v));
  r.price_protect_days = static_cast<int>(v);
  KEFU_TRY(Yuan(t, table, "small_payment_cap_yuan", required, r.small_payment_cap));
  v = r.small_payments_per_order;
  KEFU_TRY(Int(t, table, "small_payments_per_order", 0, 100, required, v));
  r.small_payments_per_order = static_cast<int>(v);
  KEFU_TRY(Yuan(t, table, "small_collection_cap_yuan", required, r.small_collection_cap));
  const std::string caps_name = table + ".goodwill_cap_yuan";
  const toml::node* caps_node = t ? t->get("goodwill_cap_yuan") : nullptr;
  if (!caps_node) {
    if (required) return Bad(caps_name, "缺少 missing (every platform file names it)");
    return core::Status::Ok();
  }
  const toml::table* caps = caps_node->as_table();
  if (!caps) return Bad(caps_name, "应为表 must be a table of cause = \"5.00\"");
  // The table replaces the causes: a cause it does not list needs a lead.
  r.goodwill_cap.clear();
  for (const auto& [key, node] : *caps) {
    auto cause = ParseGoodwillCause(key.str());
    if (!cause)
      return Bad(caps_name + "." + std::string(key.str()),
                 "未知原因 unknown cause (delivery, campaign, warehouse, product, buyer)");
    core::Money m;
    KEFU_TRY(Yuan(caps, caps_name, key.str(), true, m));
    r.goodwill_cap[*cause] = m;
  }
  return core::Status::Ok();
}

// [aftersales.permissions] and its role tables. In a platform file the agent's table names
// every key; the lead's names `unlimited` and takes the agent's values for keys it leaves out.
core::Status ApplyPermissions(const toml::table* s, bool required, PermissionPolicy& pol) {
  const std::string table = "aftersales.permissions";
  const toml::table* t = s ? (*s)["permissions"].as_table() : nullptr;
  if (!t)
    return required ? Bad(table, "缺少 [aftersales.permissions] 表 missing table")
                    : core::Status::Ok();
  KEFU_TRY(Bool(t, table, "campaign_gift_warning", required, pol.campaign_gift_warning));
  if (const toml::node* n = t->get("price_protect_excluded")) {
    const toml::array* a = n->as_array();
    if (!a) return Bad(table + ".price_protect_excluded", "应为数组 must be an array");
    pol.price_protect_excluded.clear();
    for (const auto& item : *a) {
      auto name = item.value_exact<std::string>();
      auto c = name ? orders::ParseCampaign(*name) : std::nullopt;
      if (!c || *c == orders::Campaign::kNone)
        return Bad(table + ".price_protect_excluded", "应为 big_sale / flash_sale");
      pol.price_protect_excluded.push_back(*c);
    }
  } else if (required) {
    return Bad(table + ".price_protect_excluded", "缺少 missing (every platform file names it)");
  }
  const toml::table* agent = (*t)["agent"].as_table();
  const toml::table* lead = (*t)["lead"].as_table();
  if (required && !agent) return Bad(table + ".agent", "缺少 missing table");
  if (required && !lead) return Bad(table + ".lead", "缺少 missing table");
  KEFU_TRY(ApplyRole(agent, table + ".agent", required, pol.agent));
  if (required) {
    const bool unlimited = pol.lead.unlimited;
    pol.lead = pol.agent;
    pol.lead.unlimited = unlimited;
    bool u = true;
    KEFU_TRY(Bool(lead, table + ".lead", "unlimited", true, u));
    pol.lead.unlimited = u;
  }
  KEFU_TRY(ApplyRole(lead, table + ".lead", false, pol.lead));
  pol.owner = pol.lead;
  pol.owner.unlimited = true;  // the shop's owner is never capped below the platform's limits
  return core::Status::Ok();
}

core::Result<toml::table> ParseToml(std::string_view text) {
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    return core::InvalidArgument(std::string("平台配置不是有效的 TOML invalid TOML: ") +
                                 std::string(e.description()));
  }
}

}  // namespace

std::string_view EmbeddedPlatformToml(core::Platform p) {
  const std::string path = "config/platforms/" + std::string(core::PlatformName(p)) + ".toml";
  return embedded::aftersales_platforms(path);
}

core::Result<PlatformProfile> ParsePlatformProfile(std::string_view platform_toml,
                                                   std::string_view shop_override_toml) {
  KEFU_ASSIGN_OR_RETURN(toml::table root, ParseToml(platform_toml));
  auto id = root["platform"]["id"].value<std::string>();
  if (!id) return Bad("platform.id", "缺少平台 id (missing)");
  auto platform = core::ParsePlatform(*id);
  if (!platform) return Bad("platform.id", "未知平台 unknown platform " + *id);
  PlatformProfile prof;
  prof.platform = *platform;
  prof.aftersales.platform = *platform;
  KEFU_TRY(Apply(root, true, prof));
  if (!shop_override_toml.empty()) {
    KEFU_ASSIGN_OR_RETURN(toml::table over, ParseToml(shop_override_toml));
    KEFU_TRY(Apply(over, false, prof));
  }
  return prof;
}

core::Result<PlatformProfile> LoadPlatformProfile(core::Platform p,
                                                  std::string_view shop_override_toml) {
  const std::string_view text = EmbeddedPlatformToml(p);
  if (text.empty())
    return core::Internal("config/platforms/" + std::string(core::PlatformName(p)) +
                          ".toml is not embedded");
  return ParsePlatformProfile(text, shop_override_toml);
}

PlatformProfile DefaultProfile(core::Platform p) {
  // Parsed once per platform; the shipped files are checked by tests/aftersales/profile_test.cc,
  // so a file that does not parse is a bug in the build, not bad input.
  static const std::array<PlatformProfile, 4> kProfiles = [] {
    std::array<PlatformProfile, 4> out;
    for (auto q : {core::Platform::kPdd, core::Platform::kTaobao, core::Platform::kKuaishou,
                   core::Platform::kJd}) {
      auto r = LoadPlatformProfile(q);
      KEFU_DCHECK(r.ok(),
                  "the embedded config/platforms/*.toml must hold valid [orders] and "
                  "[aftersales] tables");
      out[static_cast<size_t>(q)] = *r;
    }
    return out;
  }();
  return kProfiles[static_cast<size_t>(p)];
}

}  // namespace kefu::aftersales
