// After-sales cases: the state machine, platform deadlines and 品质退款率.
#include <algorithm>

#include "aftersales/aftersales.h"
#include "aftersales/internal/json.h"

namespace kefu::aftersales {
namespace {

using core::FailedPrecondition;
using core::InvalidArgument;

const std::vector<ReasonInfo> kReasons = {
    {"quality", "质量问题", ReasonCategory::kQuality},
    {"not_as_described", "与商品描述不符", ReasonCategory::kQuality},
    {"damaged", "商品破损/污渍", ReasonCategory::kQuality},
    {"wrong_item", "发错货", ReasonCategory::kQuality},
    {"missing_parts", "少件/漏发", ReasonCategory::kQuality},
    {"counterfeit", "假冒品牌", ReasonCategory::kQuality},
    {"no_reason_7d", "七天无理由退换货", ReasonCategory::kNonQuality},
    {"ordered_wrong", "拍错/多拍/不想要", ReasonCategory::kNonQuality},
    {"address_wrong", "地址填写错误", ReasonCategory::kNonQuality},
    {"not_received", "未收到货/物流问题", ReasonCategory::kNonQuality},
    {"slow_shipping", "未按约定时间发货", ReasonCategory::kNonQuality},
    {"price", "价格原因（降价/退差价）", ReasonCategory::kNonQuality},
    {"other", "其他", ReasonCategory::kNonQuality},
};

std::string_view ConditionName(ReturnCondition c) {
  switch (c) {
    case ReturnCondition::kIntact: return "intact";
    case ReturnCondition::kDamaged: return "damaged";
    case ReturnCondition::kWrongItem: return "wrong_item";
    case ReturnCondition::kMissingParts: return "missing_parts";
  }
  return "intact";
}

core::Status WrongState(const Case& c, std::string_view event_zh) {
  return FailedPrecondition("当前状态“" + std::string(CaseStateZh(c.state)) + "”的" +
                                std::string(CaseTypeZh(c.type)) + "不能" + std::string(event_zh) +
                                " (event does not apply in state " +
                                std::string(CaseStateName(c.state)) + ")",
                            "state");
}

Case Moved(const Case& c, CaseState s, core::Timestamp now) {
  Case n = c;
  n.state = s;
  n.state_since = now;
  if (IsFinal(s)) n.next_followup_at.reset();
  return n;
}

}  // namespace

std::string_view CaseTypeName(CaseType t) {
  switch (t) {
    case CaseType::kRefundOnly: return "refund_only";
    case CaseType::kReturnRefund: return "return_refund";
    case CaseType::kExchange: return "exchange";
    case CaseType::kResend: return "resend";
    case CaseType::kProblemParcel: return "problem";
  }
  return "refund_only";
}
std::string_view CaseTypeZh(CaseType t) {
  switch (t) {
    case CaseType::kRefundOnly: return "仅退款";
    case CaseType::kReturnRefund: return "退货退款";
    case CaseType::kExchange: return "换货";
    case CaseType::kResend: return "补发";
    case CaseType::kProblemParcel: return "问题件";
  }
  return "仅退款";
}
std::optional<CaseType> ParseCaseType(std::string_view t) {
  for (auto x : {CaseType::kRefundOnly, CaseType::kReturnRefund, CaseType::kExchange,
                 CaseType::kResend, CaseType::kProblemParcel})
    if (t == CaseTypeName(x) || t == CaseTypeZh(x)) return x;
  return std::nullopt;
}
std::string_view ProblemKindName(ProblemKind k) {
  switch (k) {
    case ProblemKind::kNone: return "";
    case ProblemKind::kLost: return "lost";
    case ProblemKind::kStuck: return "stuck";
    case ProblemKind::kDamaged: return "damaged";
  }
  return "";
}
std::optional<ProblemKind> ParseProblemKind(std::string_view t) {
  if (t == "lost" || t == "丢件") return ProblemKind::kLost;
  if (t == "stuck" || t == "物流停滞" || t == "卡件") return ProblemKind::kStuck;
  if (t == "damaged" || t == "破损") return ProblemKind::kDamaged;
  if (t.empty()) return ProblemKind::kNone;
  return std::nullopt;
}

const std::vector<ReasonInfo>& Reasons() { return kReasons; }
std::optional<ReasonInfo> FindReason(std::string_view code) {
  for (const auto& r : kReasons)
    if (r.code == code) return r;
  return std::nullopt;
}

std::string_view CaseStateName(CaseState s) {
  switch (s) {
    case CaseState::kRequested: return "requested";
    case CaseState::kAwaitingReturn: return "awaiting_return";
    case CaseState::kReturnShipped: return "return_shipped";
    case CaseState::kReturnReceived: return "return_received";
    case CaseState::kRefunded: return "refunded";
    case CaseState::kReplacementShipped: return "replacement_shipped";
    case CaseState::kRejected: return "rejected";
    case CaseState::kClosed: return "closed";
    case CaseState::kCancelled: return "cancelled";
  }
  return "requested";
}
std::string_view CaseStateZh(CaseState s) {
  switch (s) {
    case CaseState::kRequested: return "待商家处理";
    case CaseState::kAwaitingReturn: return "待买家退货";
    case CaseState::kReturnShipped: return "买家已退货";
    case CaseState::kReturnReceived: return "已收到退货";
    case CaseState::kRefunded: return "退款成功";
    case CaseState::kReplacementShipped: return "补发/换货已发出";
    case CaseState::kRejected: return "商家已拒绝";
    case CaseState::kClosed: return "已关闭";
    case CaseState::kCancelled: return "买家已撤销";
  }
  return "";
}
bool IsFinal(CaseState s) {
  return s == CaseState::kRefunded || s == CaseState::kReplacementShipped ||
         s == CaseState::kRejected || s == CaseState::kClosed || s == CaseState::kCancelled;
}

std::string CaseToJson(const Case& c) {
  std::string follow = "[";
  for (size_t i = 0; i < c.followups.size(); ++i) {
    if (i) follow += ',';
    follow += internal::JsonWriter()
                  .Time("at", c.followups[i].at).Str("actor", c.followups[i].actor_id)
                  .Str("note", c.followups[i].note).Finish();
  }
  follow += ']';
  return internal::JsonWriter()
      .Str("id", c.id).Str("shop_id", c.shop_id).Str("order_id", c.order_id)
      .Str("buyer", c.buyer).Str("type", CaseTypeName(c.type))
      .Str("problem", ProblemKindName(c.problem)).Str("reason", c.reason_code)
      .Str("category", c.category == ReasonCategory::kQuality ? "quality" : "non_quality")
      .Str("amount", c.amount.ToString()).Bool("order_shipped", c.order_shipped)
      .Str("state", CaseStateName(c.state)).Time("created_at", c.created_at)
      .Time("state_since", c.state_since).Time("next_followup_at", c.next_followup_at)
      .Raw("followups", follow).Str("return_tracking_no", c.return_tracking_no)
      .Str("return_carrier", c.return_carrier)
      .Str("return_condition", c.return_condition ? ConditionName(*c.return_condition) : "")
      .Str("replacement_tracking_no", c.replacement_tracking_no).Str("note", c.note)
      .Bool("auto_resolved", c.auto_resolved)
      .Finish();
}

core::Result<Case> OpenCase(const NewCase& in, core::Timestamp now, const AftersalesProfile& p) {
  auto reason = FindReason(in.reason_code);
  if (!reason) return InvalidArgument("未知的售后原因 unknown reason: " + in.reason_code, "reason");
  if (in.order_id.empty()) return InvalidArgument("缺少订单号 order_id required", "order_id");
  if (in.amount.fen() < 0) return InvalidArgument("金额不能为负 amount must be >= 0", "amount");
  const bool refunds = in.type == CaseType::kRefundOnly || in.type == CaseType::kReturnRefund;
  if (refunds && in.amount.fen() == 0)
    return InvalidArgument("退款金额必须大于0 refund amount required", "amount");
  if (in.type == CaseType::kProblemParcel && in.problem == ProblemKind::kNone)
    return InvalidArgument("问题件需注明类型：丢件/物流停滞/破损 problem kind required", "problem");
  if (in.type != CaseType::kRefundOnly && in.type != CaseType::kProblemParcel && !in.order_shipped)
    return FailedPrecondition("订单未发货，只能申请仅退款 (order not shipped: refund only)", "type");
  Case c;
  c.id = core::NewId("as_");
  c.shop_id = in.shop_id;
  c.order_id = in.order_id;
  c.buyer = in.buyer;
  c.type = in.type;
  c.problem = in.type == CaseType::kProblemParcel ? in.problem : ProblemKind::kNone;
  c.reason_code = in.reason_code;
  c.category = reason->category;
  c.amount = in.amount;
  c.order_shipped = in.order_shipped;
  c.state = CaseState::kRequested;
  c.created_at = now;
  c.state_since = now;
  c.note = in.note;
  if (c.type == CaseType::kProblemParcel) c.next_followup_at = now + p.problem_followup;
  return c;
}

core::Result<Case> ApplyEvent(const Case& c, const CaseEventData& e, core::Timestamp now,
                              const AftersalesProfile& p) {
  if (IsFinal(c.state))
    return FailedPrecondition("售后单已结束（" + std::string(CaseStateZh(c.state)) +
                                  "）case is already final",
                              "state");
  const bool requested = c.state == CaseState::kRequested;
  switch (e.event) {
    case CaseEvent::kSellerApprove:
      if (!requested) return WrongState(c, "同意");
      if (c.type == CaseType::kRefundOnly) return Moved(c, CaseState::kRefunded, now);
      if (c.type == CaseType::kReturnRefund || c.type == CaseType::kExchange)
        return Moved(c, CaseState::kAwaitingReturn, now);
      return FailedPrecondition("补发/问题件请直接补发或退款 (ship a replacement or refund instead)",
                                "event");
    case CaseEvent::kSellerReject: {
      if (!requested && c.state != CaseState::kReturnReceived) return WrongState(c, "拒绝");
      if (e.text.empty()) return InvalidArgument("拒绝需要填写理由 reason required", "text");
      Case n = Moved(c, CaseState::kRejected, now);
      n.note = e.text;
      return n;
    }
    case CaseEvent::kBuyerShipReturn: {
      if (c.state != CaseState::kAwaitingReturn) return WrongState(c, "登记买家寄回");
      if (e.text.empty()) return InvalidArgument("需要退货快递单号 tracking number required", "text");
      Case n = Moved(c, CaseState::kReturnShipped, now);
      n.return_tracking_no = e.text;
      n.return_carrier = e.carrier;
      return n;
    }
    case CaseEvent::kReturnArrived: {
      if (c.state != CaseState::kReturnShipped && c.state != CaseState::kAwaitingReturn)
        return WrongState(c, "登记退货到仓");
      Case n = Moved(c, CaseState::kReturnReceived, now);
      n.return_condition = e.condition;
      return n;
    }
    case CaseEvent::kRefund:
      if ((c.type == CaseType::kReturnRefund && c.state == CaseState::kReturnReceived) ||
          (c.type == CaseType::kRefundOnly && requested) ||
          (c.type == CaseType::kProblemParcel && requested))
        return Moved(c, CaseState::kRefunded, now);
      return WrongState(c, "退款");
    case CaseEvent::kShipReplacement: {
      const bool ok = (c.type == CaseType::kResend && requested) ||
                      (c.type == CaseType::kProblemParcel && requested) ||
                      (c.type == CaseType::kExchange && c.state == CaseState::kReturnReceived);
      if (!ok) return WrongState(c, "补发/换货发出");
      if (e.text.empty()) return InvalidArgument("需要补发快递单号 tracking number required", "text");
      Case n = Moved(c, CaseState::kReplacementShipped, now);
      n.replacement_tracking_no = e.text;
      return n;
    }
    case CaseEvent::kFollowUp: {
      if (c.type != CaseType::kProblemParcel) return WrongState(c, "跟进物流");
      if (e.text.empty()) return InvalidArgument("跟进需要填写物流情况 note required", "text");
      Case n = c;
      n.followups.push_back(FollowUp{now, e.actor_id, e.text});
      n.next_followup_at = now + p.problem_followup;
      return n;
    }
    case CaseEvent::kResolve:
      if (c.type != CaseType::kProblemParcel) return WrongState(c, "了结问题件");
      return Moved(c, CaseState::kClosed, now);
    case CaseEvent::kBuyerCancel:
      if (!requested && c.state != CaseState::kAwaitingReturn) return WrongState(c, "撤销");
      return Moved(c, CaseState::kCancelled, now);
  }
  return core::Internal("unknown event");
}

std::optional<Deadline> NextDeadline(const Case& c, const AftersalesProfile& p) {
  if (IsFinal(c.state)) return std::nullopt;
  if (c.type == CaseType::kProblemParcel) {
    if (!c.next_followup_at) return std::nullopt;
    return Deadline{*c.next_followup_at, Party::kSeller, "问题件跟进物流", c.state};
  }
  switch (c.state) {
    case CaseState::kRequested:
      if (c.type == CaseType::kRefundOnly && !c.order_shipped)
        return Deadline{c.state_since + p.unshipped_refund_auto, Party::kSeller,
                        "商家处理未发货退款（超时自动退款）", CaseState::kRefunded};
      if (c.type == CaseType::kRefundOnly)
        return Deadline{c.state_since + p.seller_response, Party::kSeller,
                        "商家处理退款申请（超时自动退款）", CaseState::kRefunded};
      if (c.type == CaseType::kReturnRefund || c.type == CaseType::kExchange)
        return Deadline{c.state_since + p.seller_response, Party::kSeller,
                        "商家处理退货申请（超时自动同意）", CaseState::kAwaitingReturn};
      return std::nullopt;  // 补发 is the seller's own action: no platform deadline
    case CaseState::kAwaitingReturn:
      return Deadline{c.state_since + p.buyer_return, Party::kBuyer,
                      "买家寄回商品（超时关闭售后）", CaseState::kClosed};
    case CaseState::kReturnShipped:
      return Deadline{c.state_since + p.seller_confirm_receipt, Party::kSeller,
                      c.type == CaseType::kReturnRefund ? "商家确认收货（超时自动退款）"
                                                        : "商家确认收到换货退回",
                      c.type == CaseType::kReturnRefund ? CaseState::kRefunded : c.state};
    default:
      return std::nullopt;
  }
}

Countdown CountdownAt(const Case& c, const AftersalesProfile& p, core::Timestamp now) {
  Countdown cd;
  cd.deadline = NextDeadline(c, p);
  if (cd.deadline) {
    cd.remaining = cd.deadline->at - now;
    cd.overdue = now >= cd.deadline->at;
  }
  return cd;
}

std::optional<Case> ApplyDeadlines(const Case& c, const AftersalesProfile& p,
                                   core::Timestamp now) {
  auto d = NextDeadline(c, p);
  if (!d || now < d->at || d->on_expiry == c.state) return std::nullopt;
  // The platform acted at the deadline, not when we noticed.
  Case n = Moved(c, d->on_expiry, d->at);
  n.auto_resolved = true;
  return n;
}

std::vector<Case> DueFollowUps(const std::vector<Case>& cases, core::Timestamp now) {
  std::vector<Case> out;
  for (const auto& c : cases)
    if (c.type == CaseType::kProblemParcel && !IsFinal(c.state) && c.next_followup_at &&
        *c.next_followup_at <= now)
      out.push_back(c);
  return out;
}

QualityRate QualityRefundRate(const std::vector<Case>& cases, int64_t paid_orders,
                              core::Timestamp from, core::Timestamp to) {
  QualityRate r;
  r.paid_orders = paid_orders;
  for (const auto& c : cases)
    if (c.state == CaseState::kRefunded && c.category == ReasonCategory::kQuality &&
        c.state_since >= from && c.state_since < to)
      ++r.quality_refunds;
  r.rate = paid_orders > 0 ? static_cast<double>(r.quality_refunds) / paid_orders : 0.0;
  return r;
}

}  // namespace kefu::aftersales
