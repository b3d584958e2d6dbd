// The permission engine: what an agent may give without a lead.
#include <algorithm>

#include "aftersales/aftersales.h"
#include "aftersales/internal/json.h"

namespace kefu::aftersales {
namespace {

using orders::Campaign;
using orders::OrderStatus;

bool CountsAsPayment(ActionKind k) {
  // On 拼多多 goodwill and price-difference refunds are paid out through 小额打款 too.
  return k == ActionKind::kSmallPayment || k == ActionKind::kGoodwillRefund ||
         k == ActionKind::kPriceDiffRefund;
}

bool IsGift(ActionKind k) {
  return k == ActionKind::kGiftTopUp || k == ActionKind::kGiftForObjection;
}

// The cause as the reasons shown to agents name it.
std::string_view CauseZh(GoodwillCause c) {
  switch (c) {
    case GoodwillCause::kDelivery: return "物流";
    case GoodwillCause::kCampaign: return "活动";
    case GoodwillCause::kWarehouse: return "仓库";
    case GoodwillCause::kProduct: return "商品";
    case GoodwillCause::kBuyer: return "买家";
  }
  return "";
}

int64_t QtyOf(const orders::Order& o, std::string_view sku) {
  int64_t q = 0;
  for (const auto& it : o.items)
    if (it.sku == sku) q += it.qty;
  return q;
}

}  // namespace

std::string_view ActionKindName(ActionKind k) {
  switch (k) {
    case ActionKind::kGiftTopUp: return "gift_topup";
    case ActionKind::kGiftForObjection: return "gift_objection";
    case ActionKind::kPriceDiffRefund: return "price_diff_refund";
    case ActionKind::kGoodwillRefund: return "goodwill_refund";
    case ActionKind::kSmallPayment: return "small_payment";
    case ActionKind::kSmallCollection: return "small_collection";
  }
  return "";
}
std::optional<ActionKind> ParseActionKind(std::string_view t) {
  for (auto k : {ActionKind::kGiftTopUp, ActionKind::kGiftForObjection,
                 ActionKind::kPriceDiffRefund, ActionKind::kGoodwillRefund,
                 ActionKind::kSmallPayment, ActionKind::kSmallCollection})
    if (t == ActionKindName(k)) return k;
  return std::nullopt;
}
std::string_view GoodwillCauseName(GoodwillCause c) {
  switch (c) {
    case GoodwillCause::kDelivery: return "delivery";
    case GoodwillCause::kCampaign: return "campaign";
    case GoodwillCause::kWarehouse: return "warehouse";
    case GoodwillCause::kProduct: return "product";
    case GoodwillCause::kBuyer: return "buyer";
  }
  return "";
}
std::optional<GoodwillCause> ParseGoodwillCause(std::string_view t) {
  for (auto c : {GoodwillCause::kDelivery, GoodwillCause::kCampaign, GoodwillCause::kWarehouse,
                 GoodwillCause::kProduct, GoodwillCause::kBuyer})
    if (t == GoodwillCauseName(c)) return c;
  return std::nullopt;
}
std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kAllowed: return "allowed";
    case Verdict::kNeedsApproval: return "needs_approval";
    case Verdict::kDenied: return "denied";
  }
  return "";
}
std::string_view ApprovalStateName(ApprovalState s) {
  switch (s) {
    case ApprovalState::kPending: return "pending";
    case ApprovalState::kApproved: return "approved";
    case ApprovalState::kRejected: return "rejected";
  }
  return "";
}

const RoleLimits& PermissionPolicy::For(orders::Role r) const {
  switch (r) {
    case orders::Role::kLead: return lead;
    case orders::Role::kOwner: return owner;
    default: return agent;
  }
}

PermissionPolicy WithPlatformLimits(PermissionPolicy policy, const AftersalesProfile& p) {
  policy.small_payments_per_order = p.small_payments_per_order;
  policy.small_payment_platform_cap = p.small_payment_cap;
  policy.owner = policy.lead;
  policy.owner.unlimited = true;
  return policy;
}

PermissionPolicy DefaultPermissionPolicy(const AftersalesProfile& p) {
  return WithPlatformLimits(p.permissions, p);
}

namespace {

constexpr int64_t kMaxYuan = 1000000;  // a sanity bound for any configured amount
constexpr size_t kMaxThresholds = 50;
constexpr size_t kMaxGiftTable = 2000;
constexpr size_t kMaxGiftsPerSku = 50;
constexpr size_t kMaxSkuLength = 64;

core::Status Invalid(const std::string& field, const std::string& zh, const std::string& en) {
  return core::InvalidArgument(zh + " (" + field + ": " + en + ")", field);
}

core::Status CheckAmount(const std::string& field, core::Money m, const AftersalesProfile& p,
                         bool paid_out) {
  if (m.fen() < 0) return Invalid(field, "金额不能为负数", "must be >= 0");
  if (m > core::Money::Yuan(kMaxYuan)) return Invalid(field, "金额过大", "too large");
  // An amount paid through 小额打款 above the platform's cap could never be paid.
  if (paid_out && p.small_payment_cap.fen() > 0 && m > p.small_payment_cap)
    return Invalid(field, "不能超过平台单笔小额打款上限 " + p.small_payment_cap.ToString() + " 元",
                   "above the platform's per-payment cap " + p.small_payment_cap.ToString());
  return core::Status::Ok();
}

core::Status CheckRole(const std::string& role, const RoleLimits& r, const AftersalesProfile& p) {
  KEFU_TRY(CheckAmount(role + ".gift_topup_gap", r.gift_topup_gap, p, false));
  if (r.price_protect_days < 0 || r.price_protect_days > 365)
    return Invalid(role + ".price_protect_days", "价保天数应为 0-365", "must be 0-365");
  for (const auto& [cause, cap] : r.goodwill_cap)
    KEFU_TRY(
        CheckAmount(role + ".goodwill_cap." + std::string(GoodwillCauseName(cause)), cap, p, true));
  KEFU_TRY(CheckAmount(role + ".small_payment_cap", r.small_payment_cap, p, true));
  if (r.small_payments_per_order < 0)
    return Invalid(role + ".small_payments_per_order", "次数不能为负数", "must be >= 0");
  if (p.small_payments_per_order > 0 && r.small_payments_per_order > p.small_payments_per_order)
    return Invalid(
        role + ".small_payments_per_order",
        "不能超过平台每单小额打款上限 " + std::to_string(p.small_payments_per_order) + " 次",
        "above the platform's limit of " + std::to_string(p.small_payments_per_order) +
            " per order");
  KEFU_TRY(CheckAmount(role + ".small_collection_cap", r.small_collection_cap, p, false));
  return core::Status::Ok();
}

bool ValidSku(std::string_view sku) {
  if (sku.empty() || sku.size() > kMaxSkuLength) return false;
  for (char c : sku)
    if (static_cast<unsigned char>(c) < 0x20 || c == ';' || c == '=' || c == '[' || c == ']' ||
        c == '*' || c == ',')
      return false;  // the characters 订单备注 uses as separators (docs/orders.md)
  return true;
}

std::string RoleJson(const RoleLimits& r) {
  std::string caps = "{";
  for (const auto& [cause, cap] : r.goodwill_cap) {
    if (caps.size() > 1) caps += ',';
    internal::AppendQuoted(caps, GoodwillCauseName(cause));
    caps += ':';
    internal::AppendQuoted(caps, cap.ToString());
  }
  caps += '}';
  return internal::JsonWriter()
      .Bool("unlimited", r.unlimited)
      .Str("gift_topup_gap", r.gift_topup_gap.ToString())
      .Int("price_protect_days", r.price_protect_days)
      .Raw("goodwill_caps", caps)
      .Str("small_payment_cap", r.small_payment_cap.ToString())
      .Int("small_payments_per_order", r.small_payments_per_order)
      .Str("small_collection_cap", r.small_collection_cap.ToString())
      .Finish();
}

}  // namespace

core::Status ValidatePermissionPolicy(const PermissionPolicy& pol, const AftersalesProfile& p) {
  KEFU_TRY(CheckRole("agent", pol.agent, p));
  KEFU_TRY(CheckRole("lead", pol.lead, p));
  if (!pol.owner.unlimited)
    return Invalid("owner", "店主始终不受客服权限限制", "an owner is always unlimited");
  if (pol.gift_thresholds.size() > kMaxThresholds)
    return Invalid("gift_thresholds", "满赠门槛最多 " + std::to_string(kMaxThresholds) + " 个",
                   "too many thresholds");
  for (size_t i = 0; i < pol.gift_thresholds.size(); ++i) {
    const auto& t = pol.gift_thresholds[i];
    const std::string f = "gift_thresholds[" + std::to_string(i) + "]";
    if (t.threshold.fen() <= 0 || t.threshold > core::Money::Yuan(kMaxYuan))
      return Invalid(f + ".threshold", "满赠门槛金额应大于0", "must be > 0");
    if (!ValidSku(t.gift_sku))
      return Invalid(f + ".gift_sku", "赠品 SKU 不能为空，且不能含 ; = [ ] * ,",
                     "a SKU of 1-64 characters without ; = [ ] * ,");
  }
  if (pol.gift_table.size() > kMaxGiftTable)
    return Invalid("gift_table", "赠品表条目过多", "too many entries");
  for (const auto& [sku, gifts] : pol.gift_table) {
    const std::string f = "gift_table." + sku;
    if (!ValidSku(sku))
      return Invalid("gift_table", "商品 SKU 不能为空，且不能含 ; = [ ] * ,",
                     "a SKU of 1-64 characters without ; = [ ] * ,");
    if (gifts.empty() || gifts.size() > kMaxGiftsPerSku)
      return Invalid(f, "每个商品应列出 1-" + std::to_string(kMaxGiftsPerSku) + " 个赠品",
                     "list 1-50 gift SKUs");
    for (const auto& g : gifts)
      if (!ValidSku(g))
        return Invalid(f, "赠品 SKU 不能为空，且不能含 ; = [ ] * ,",
                       "a SKU of 1-64 characters without ; = [ ] * ,");
  }
  for (auto c : pol.price_protect_excluded)
    if (c == orders::Campaign::kNone)
      return Invalid("price_protect_excluded", "只能排除 大促 / 限时抢购",
                     "big_sale or flash_sale");
  return core::Status::Ok();
}

std::string PermissionPolicyToJson(const PermissionPolicy& pol) {
  std::string thresholds = "[";
  for (const auto& t : pol.gift_thresholds) {
    if (thresholds.size() > 1) thresholds += ',';
    thresholds += internal::JsonWriter()
                      .Str("threshold", t.threshold.ToString())
                      .Str("gift_sku", t.gift_sku)
                      .Finish();
  }
  thresholds += ']';
  std::string table = "{";
  for (const auto& [sku, gifts] : pol.gift_table) {
    if (table.size() > 1) table += ',';
    internal::AppendQuoted(table, sku);
    table += ":[";
    for (size_t i = 0; i < gifts.size(); ++i) {
      if (i) table += ',';
      internal::AppendQuoted(table, gifts[i]);
    }
    table += ']';
  }
  table += '}';
  std::string excluded = "[";
  for (auto c : pol.price_protect_excluded) {
    if (excluded.size() > 1) excluded += ',';
    internal::AppendQuoted(excluded, orders::CampaignName(c));
  }
  excluded += ']';
  return internal::JsonWriter()
      .Raw("agent", RoleJson(pol.agent))
      .Raw("lead", RoleJson(pol.lead))
      .Raw("gift_thresholds", thresholds)
      .Raw("gift_table", table)
      .Bool("campaign_active", pol.campaign_active)
      .Bool("campaign_gift_warning", pol.campaign_gift_warning)
      .Raw("price_protect_excluded", excluded)
      .Finish();
}

core::Status UpdatePolicy(PolicyRepository& repo, const orders::Actor& actor,
                          const PermissionPolicy& before, const PermissionPolicy& after,
                          const AftersalesProfile& p, core::Timestamp now) {
  if (actor.role == orders::Role::kAgent)
    return core::PermissionDenied(
        "只有主管或店主可以修改权限设置 only a lead or owner can change "
        "the permission policy");
  KEFU_TRY(ValidatePermissionPolicy(after, p));
  StoredPolicy row{actor.shop_id, PermissionPolicyToJson(after), actor.user_id, now};
  auto rec = orders::MakeAudit(actor, now, "policy.update", "policy", actor.shop_id,
                               PermissionPolicyToJson(before), row.json);
  return repo.PutPolicy(row, {rec});
}

std::string ActionRequestToJson(const ActionRequest& a) {
  return internal::JsonWriter()
      .Str("kind", ActionKindName(a.kind)).Str("order_id", a.order_id)
      .Str("amount", a.amount.ToString()).Str("gift_sku", a.gift_sku).Int("gift_qty", a.gift_qty)
      .Str("cause", GoodwillCauseName(a.cause)).Str("item_sku", a.item_sku)
      .Str("old_price", a.old_price.ToString()).Str("new_price", a.new_price.ToString())
      .Time("price_lowered_at", a.price_lowered_at).Str("reason", a.reason)
      .Finish();
}
std::string CompensationToJson(const Compensation& c) {
  return internal::JsonWriter()
      .Str("id", c.id).Str("shop_id", c.shop_id).Str("order_id", c.order_id)
      .Raw("action", ActionRequestToJson(c.action)).Str("requested_by", c.requested_by)
      .Str("approved_by", c.approved_by).Str("approval_id", c.approval_id).Time("at", c.at)
      .Finish();
}
std::string ApprovalToJson(const ApprovalRequest& a) {
  std::string reasons = "[";
  for (size_t i = 0; i < a.reasons.size(); ++i) {
    if (i) reasons += ',';
    internal::AppendQuoted(reasons, a.reasons[i]);
  }
  reasons += ']';
  return internal::JsonWriter()
      .Str("id", a.id).Str("shop_id", a.shop_id).Str("order_id", a.order_id)
      .Raw("action", ActionRequestToJson(a.action)).Str("requested_by", a.requested_by)
      .Raw("reasons", reasons).Str("state", ApprovalStateName(a.state))
      .Time("created_at", a.created_at).Str("decided_by", a.decided_by)
      .Time("decided_at", a.decided_at).Str("note", a.note)
      .Finish();
}

Decision Evaluate(const orders::Actor& actor, const ActionRequest& a, const orders::Order& o,
                  const OrderHistory& history, const PermissionPolicy& policy,
                  core::Timestamp now) {
  Decision d;
  auto deny = [&](std::string rule, std::string why) {
    d.verdict = Verdict::kDenied;
    d.rule = std::move(rule);
    d.reasons.push_back(std::move(why));
    return d;
  };
  std::vector<std::pair<std::string, std::string>> beyond;  // (rule, reason) past the role's limits
  const RoleLimits& lim = policy.For(actor.role);

  if (o.shop_id != actor.shop_id) return deny("scope", "不能操作其他店铺的订单");
  const bool money = !IsGift(a.kind);
  if (money && a.amount.fen() <= 0) return deny("amount", "金额必须大于0 (amount must be > 0)");
  if (IsGift(a.kind)) {
    if (a.gift_sku.empty()) return deny("gift.sku", "需要赠品 SKU (gift SKU required)");
    if (a.gift_qty < 1 || a.gift_qty > 99) return deny("gift.qty", "赠品数量应为 1-99");
  }
  // Platform hard limits: not even a lead may exceed them.
  if (CountsAsPayment(a.kind)) {
    if (policy.small_payments_per_order > 0 &&
        history.small_payments >= policy.small_payments_per_order)
      return deny("small_payment.per_order",
                  "平台规定每笔订单最多小额打款" + std::to_string(policy.small_payments_per_order) +
                      "次，本单已打款" + std::to_string(history.small_payments) + "次");
    if (policy.small_payment_platform_cap.fen() > 0 && a.amount > policy.small_payment_platform_cap)
      return deny("small_payment.platform_cap",
                  "超过平台单笔小额打款上限 " + policy.small_payment_platform_cap.ToString() + " 元");
  }

  switch (a.kind) {
    case ActionKind::kGiftTopUp: {
      const GiftThreshold* hit = nullptr;
      for (const auto& t : policy.gift_thresholds) {
        if (t.gift_sku != a.gift_sku) continue;
        if (o.goods_total >= t.threshold) {
          hit = &t;  // already qualifies: the gift is due anyway
          break;
        }
        if (t.threshold - o.goods_total <= lim.gift_topup_gap) hit = &t;
      }
      if (!hit)
        beyond.emplace_back("gift_topup.gap", "订单金额距满赠门槛超过" +
                                                  lim.gift_topup_gap.ToString() +
                                                  "元，或该赠品不是满赠赠品");
      const bool before_ship = o.status == OrderStatus::kUnpaid || o.status == OrderStatus::kPaid ||
                               o.status == OrderStatus::kToShip ||
                               o.status == OrderStatus::kGroupPending;
      if (actor.department == orders::Department::kPreSales && !before_ship)
        beyond.emplace_back("gift_topup.presales", "售前只能在发货前加赠品；已发货的请转售后补发");
      if (actor.department == orders::Department::kAfterSales &&
          o.status != OrderStatus::kDelivered)
        beyond.emplace_back("gift_topup.aftersales", "售后补发赠品需在订单签收后");
      break;
    }
    case ActionKind::kGiftForObjection: {
      bool listed = false;
      for (const auto& it : o.items) {
        if (!a.item_sku.empty() && it.sku != a.item_sku) continue;
        auto g = policy.gift_table.find(it.sku);
        if (g != policy.gift_table.end() &&
            std::find(g->second.begin(), g->second.end(), a.gift_sku) != g->second.end())
          listed = true;
      }
      if (!listed)
        beyond.emplace_back("gift_objection.table", "该赠品不在本商品的赠品表中");
      break;
    }
    case ActionKind::kPriceDiffRefund: {
      const int64_t qty = QtyOf(o, a.item_sku);
      if (qty == 0) return deny("price_diff.item", "订单中没有该商品：" + a.item_sku);
      if (a.new_price >= a.old_price) return deny("price_diff.no_drop", "价格没有降低，无差价可退");
      const core::Money max_refund((a.old_price - a.new_price).fen() * qty);
      if (a.amount > max_refund)
        return deny("price_diff.amount", "退差价金额超过实际差价 " + max_refund.ToString() + " 元");
      if (o.campaign != Campaign::kNone &&
          std::find(policy.price_protect_excluded.begin(), policy.price_protect_excluded.end(),
                    o.campaign) != policy.price_protect_excluded.end())
        beyond.emplace_back("price_diff.campaign",
                            std::string(orders::CampaignZh(o.campaign)) +
                                "（大促/限时抢购）商品不参与退差价");
      if (!a.price_lowered_at) {
        beyond.emplace_back("price_diff.window", "缺少降价时间，无法确认价保期");
      } else {
        const auto window = std::chrono::hours(24) * lim.price_protect_days;
        const auto lowered = *a.price_lowered_at;
        if (o.paid_at && lowered < *o.paid_at)
          beyond.emplace_back("price_diff.window", "降价发生在付款之前");
        if (o.delivered_at && lowered > *o.delivered_at + window)
          beyond.emplace_back("price_diff.window", "降价不在签收后" +
                                                       std::to_string(lim.price_protect_days) +
                                                       "天内");
        if (lowered > now) return deny("price_diff.future", "降价时间在未来");
      }
      break;
    }
    case ActionKind::kGoodwillRefund: {
      auto cap = lim.goodwill_cap.find(a.cause);
      if (cap == lim.goodwill_cap.end())
        beyond.emplace_back("goodwill.cause",
                            "本店未授权客服因“" + std::string(CauseZh(a.cause)) + "”原因直接补偿");
      else if (a.amount > cap->second)
        beyond.emplace_back("goodwill.cap", "超过小额补偿权限（" + std::string(CauseZh(a.cause)) +
                                                "原因最多 " + cap->second.ToString() + " 元）");
      break;
    }
    case ActionKind::kSmallPayment:
      if (a.amount > lim.small_payment_cap)
        beyond.emplace_back("small_payment.cap",
                            "超过小额打款权限（最多 " + lim.small_payment_cap.ToString() + " 元）");
      break;
    case ActionKind::kSmallCollection:
      if (a.amount > lim.small_collection_cap)
        beyond.emplace_back("small_collection.cap", "超过小额收款权限（运费差价最多 " +
                                                        lim.small_collection_cap.ToString() + " 元）");
      break;
  }
  // The role's own count of 小额打款 per order (the platform's limit was checked above).
  if (CountsAsPayment(a.kind) && lim.small_payments_per_order > 0 &&
      history.small_payments >= lim.small_payments_per_order)
    beyond.emplace_back("small_payment.role_count",
                        "本单已小额打款" + std::to_string(history.small_payments) +
                            "次，超过客服每单" + std::to_string(lim.small_payments_per_order) +
                            "次的权限");
  if (IsGift(a.kind) && policy.campaign_gift_warning &&
      (o.campaign != Campaign::kNone || policy.campaign_active))
    d.warnings.push_back("活动期间加赠品：请确认不与活动赠品/价格叠加，避免被判违规或亏损");
  if (beyond.empty() || lim.unlimited) {
    d.verdict = Verdict::kAllowed;
    d.rule = std::string(ActionKindName(a.kind));
    if (!beyond.empty())
      d.warnings.push_back("超出客服权限，由" + std::string(orders::RoleName(actor.role)) + "直接执行");
    return d;
  }
  d.verdict = Verdict::kNeedsApproval;
  d.rule = beyond.front().first;
  for (auto& [rule, why] : beyond) d.reasons.push_back(std::move(why));
  return d;
}

}  // namespace kefu::aftersales
