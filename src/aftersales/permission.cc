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

PermissionPolicy DefaultPermissionPolicy(const AftersalesProfile& p) {
  PermissionPolicy pol;
  pol.small_payments_per_order = p.small_payments_per_order;
  pol.small_payment_platform_cap = p.small_payment_cap;
  return pol;
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
      if (o.campaign != Campaign::kNone)
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
      const core::Money c = cap == lim.goodwill_cap.end() ? core::Money() : cap->second;
      if (a.amount > c)
        beyond.emplace_back("goodwill.cap", "超过小额补偿权限（" +
                                                std::string(GoodwillCauseName(a.cause)) + "原因最多 " +
                                                c.ToString() + " 元）");
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
  if (IsGift(a.kind) && (o.campaign != Campaign::kNone || policy.campaign_active))
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
