// Reception rules and the self-service order flows. The 催发货 branches follow the 拼多多
// 催发货 service process: within the promise tell the promised time to the hour; past it
// apologise, promise a new time to the hour and offer the shop's coupon; out of stock
// apologise, start the refund, offer a coupon; shipped offline without a tracking number ask an
// agent to enter it and tell the buyer; a refund request goes to after-sales.
#include <chrono>
#include <cstdio>

#include "robot/robot.h"

namespace kefu::robot {
namespace {

using std::chrono::days;
using std::chrono::duration_cast;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;

Action Reply(std::string text) { return Action{ActionKind::kReply, std::move(text), {}}; }
Action Do(ActionKind k, std::string text = {}) { return Action{k, std::move(text), {}}; }

bool NotYetShipped(OrderStatus s) {
  return s == OrderStatus::kUnpaid || s == OrderStatus::kPaid || s == OrderStatus::kGroupPending ||
         s == OrderStatus::kToShip;
}

std::string HourMinute(int minutes_of_day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes_of_day / 60, minutes_of_day % 60);
  return buf;
}

std::vector<Action> Urge(const RobotSettings& st, const OrderSnapshot& o, core::Timestamp now) {
  std::vector<Action> a;
  const std::string id = o.order_id;
  switch (o.status) {
    case OrderStatus::kUnpaid:
      a.push_back(Reply("亲，订单" + id + "还未付款哦，付款后我们会尽快安排发货～"));
      a.push_back(Do(ActionKind::kOrderLog, "催发货：订单未付款，已提醒买家付款"));
      return a;
    case OrderStatus::kGroupPending:
      a.push_back(Reply("亲，订单" + id + "还在等待成团，成团后我们会尽快发货，可以邀请好友一起拼哦～"));
      a.push_back(Do(ActionKind::kOrderLog, "催发货：拼单未成团，已告知买家"));
      return a;
    case OrderStatus::kClosed:
      a.push_back(Reply("亲，订单" + id + "已关闭，不会再发货了，如需购买请重新下单哦"));
      a.push_back(Do(ActionKind::kOrderLog, "催发货：订单已关闭，已告知买家"));
      return a;
    case OrderStatus::kDelivered:
      a.push_back(Reply("亲，订单" + id + "已经签收了哦，如果没有收到请告诉我们，马上帮您核实"));
      a.push_back(Do(ActionKind::kOrderLog, "催发货：订单已签收，已告知买家"));
      return a;
    default:
      break;
  }
  if (o.shipped_offline_without_tracking ||
      (o.status == OrderStatus::kShipped && o.tracking_no.empty())) {
    a.push_back(Do(ActionKind::kNotifyAgent, "订单" + id + "已线下发货但未录入快递单号，请尽快录入"));
    a.push_back(Reply("亲，订单" + id + "已经发出了，快递单号正在录入，稍后就能在订单里查到物流哦"));
    a.push_back(Do(ActionKind::kOrderLog, "催发货：线下已发未录单号，已通知客服录入并告知买家"));
    return a;
  }
  if (o.status == OrderStatus::kShipped) {
    a.push_back(Reply("亲，订单" + id + "已经发货啦，" + o.carrier + "单号" + o.tracking_no +
                      "，可以在订单里查看物流哦"));
    a.push_back(Do(ActionKind::kOrderLog, "催发货：已发货，已告知买家单号"));
    return a;
  }
  if (o.out_of_stock) {
    a.push_back(Reply("非常抱歉亲，订单" + id + "的商品暂时缺货，无法按时发出。已为您发起退款，"
                      "款项会原路退回；另外送您" + st.delay_coupon_text + "，给您带来不便实在抱歉"));
    a.push_back(Do(ActionKind::kStartRefund, id));
    if (!st.delay_coupon_id.empty()) a.push_back(Do(ActionKind::kOfferCoupon, st.delay_coupon_id));
    a.push_back(Do(ActionKind::kOrderLog, "催发货：缺货，已致歉、发起退款并补偿优惠券"));
    return a;
  }
  if (!o.promised_ship_time || now <= *o.promised_ship_time) {
    if (o.promised_ship_time) {
      a.push_back(Reply("亲，订单" + id + "会在" + FormatHour(st, *o.promised_ship_time) +
                        "前发出，请您耐心等待，发货后可以在订单里查看物流哦"));
    } else {
      a.push_back(Reply("亲，订单" + id + "正在排队发货，我们会尽快发出～"));
    }
    a.push_back(Do(ActionKind::kOrderLog, "催发货：未超承诺发货时间，已告知买家发货时间"));
    return a;
  }
  const core::Timestamp promise = now + hours(st.late_promise_hours);
  a.push_back(Reply("非常抱歉亲，订单" + id + "没能按时发出，我们已加急处理，保证在" +
                    FormatHour(st, promise) + "前发出；另外送您" + st.delay_coupon_text +
                    "，表示歉意"));
  if (!st.delay_coupon_id.empty()) a.push_back(Do(ActionKind::kOfferCoupon, st.delay_coupon_id));
  a.push_back(Do(ActionKind::kNotifyAgent, "订单" + id + "已超过承诺发货时间，已向买家承诺" +
                                               FormatHour(st, promise) + "前发出，请优先发货"));
  a.push_back(Do(ActionKind::kOrderLog, "催发货：超时未发，已致歉、承诺" + FormatHour(st, promise) +
                                            "前发出并补偿优惠券"));
  return a;
}

std::vector<Action> ChangeAddress(const OrderSnapshot& o, std::string_view new_address) {
  std::vector<Action> a;
  if (o.status == OrderStatus::kClosed) {
    a.push_back(Reply("亲，订单" + o.order_id + "已关闭，无需修改地址哦"));
    a.push_back(Do(ActionKind::kOrderLog, "改地址：订单已关闭，未修改"));
    return a;
  }
  if (!NotYetShipped(o.status) || o.shipped_offline_without_tracking) {
    a.push_back(Reply("亲，订单" + o.order_id + "已经发货，没法再改地址了。可以联系快递员改派，"
                      "或者拒收后重新下单，需要的话我帮您转人工处理"));
    a.push_back(Do(ActionKind::kOrderLog, "改地址：已发货，无法修改，已告知买家"));
    return a;
  }
  if (new_address.empty()) {
    a.push_back(Reply("亲，请把完整的新地址发给我：收货人、手机号、省市区和详细地址"));
    return a;
  }
  const std::string addr(new_address);
  a.push_back(Do(ActionKind::kOrderRemark, "买家要求改地址：" + addr));
  a.push_back(Reply("好的亲，已把新地址备注在订单" + o.order_id + "上：" + addr +
                    "，发货时会按新地址寄出"));
  a.push_back(Do(ActionKind::kOrderLog, "改地址：发货前，新地址已记为订单备注"));
  return a;
}

std::vector<Action> Track(const RobotSettings& st, const OrderSnapshot& o, core::Timestamp now) {
  std::vector<Action> a;
  if (o.shipped_offline_without_tracking ||
      (o.status == OrderStatus::kShipped && o.tracking_no.empty())) {
    return Urge(st, o, now);  // same branch: ask the agent to enter the number
  }
  if (o.status == OrderStatus::kShipped || o.status == OrderStatus::kDelivered) {
    a.push_back(Reply("亲，订单" + o.order_id + "走的是" + o.carrier + "，单号" + o.tracking_no +
                      (o.status == OrderStatus::kDelivered ? "，物流显示已签收" : "，可以在订单详情查看最新物流")));
    a.push_back(Do(ActionKind::kOrderLog, "查物流：已告知买家单号"));
    return a;
  }
  return Urge(st, o, now);  // not shipped yet: tell when it will be
}

}  // namespace

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kReply: return "reply";
    case ActionKind::kButtons: return "buttons";
    case ActionKind::kHandover: return "handover";
    case ActionKind::kOrderLog: return "order_log";
    case ActionKind::kOrderRemark: return "order_remark";
    case ActionKind::kStartRefund: return "start_refund";
    case ActionKind::kOfferCoupon: return "offer_coupon";
    case ActionKind::kNotifyAgent: return "notify_agent";
    case ActionKind::kRouteAftersales: return "route_aftersales";
    case ActionKind::kLeaveNote: return "leave_note";
  }
  return "unknown";
}

std::string FormatHour(const RobotSettings& settings, core::Timestamp t) {
  auto local = t + minutes(settings.utc_offset_minutes);
  auto hour = std::chrono::ceil<hours>(local);
  auto day = floor<days>(hour);
  std::chrono::year_month_day ymd{day};
  const int h = static_cast<int>(duration_cast<hours>(hour - day).count());
  return std::to_string(static_cast<unsigned>(ymd.month())) + "月" +
         std::to_string(static_cast<unsigned>(ymd.day())) + "日" + std::to_string(h) + "点";
}

bool WithinHumanHours(const RobotSettings& settings, core::Timestamp t) {
  auto local = t + minutes(settings.utc_offset_minutes);
  const int m = static_cast<int>(duration_cast<minutes>(local - floor<days>(local)).count());
  if (settings.human_hours_start <= settings.human_hours_end) {
    return m >= settings.human_hours_start && m < settings.human_hours_end;
  }
  return m >= settings.human_hours_start || m < settings.human_hours_end;  // over midnight
}

std::vector<Action> RunFlow(const RobotSettings& settings, std::string_view item,
                            const OrderSnapshot& order, core::Timestamp now,
                            std::string_view new_address) {
  if (item == "催发货") return Urge(settings, order, now);
  if (item == "改地址") return ChangeAddress(order, new_address);
  if (item == "查物流") return Track(settings, order, now);
  if (item == "开发票") {
    return {Reply(settings.invoice_answer), Do(ActionKind::kOrderLog, "开发票：已告知买家开票方式")};
  }
  if (item == "申请退款") {
    return {Reply("亲，已为您转接售后处理订单" + order.order_id + "的退款，请稍等"),
            Do(ActionKind::kRouteAftersales, order.order_id),
            Do(ActionKind::kOrderLog, "申请退款：已转售后")};
  }
  return {Do(ActionKind::kHandover, "unknown_menu_item")};
}

std::vector<Action> Respond(const RobotSettings& settings, const Matcher& matcher,
                            const BuyerTurn& turn, core::Timestamp now) {
  std::vector<Action> a;
  const bool humans = WithinHumanHours(settings, now);
  auto hand_over = [&](const std::string& reason, const std::string& question) {
    if (!humans) {
      a.push_back(Reply("亲，现在是非工作时间，人工客服" + HourMinute(settings.human_hours_start) +
                        "上线后会第一时间回复您，您的问题已经记下了"));
      a.push_back(Do(ActionKind::kLeaveNote, question));
    } else {
      a.push_back(Reply("亲，正在为您转接人工客服，请稍等～"));
    }
    a.push_back(Do(ActionKind::kHandover, reason));
  };
  switch (turn.kind) {
    case BuyerTurn::Kind::kEnter:
      if (!settings.enabled) return a;
      if (turn.first_visit && !settings.opening_message.empty()) {
        a.push_back(Reply(RenderAnswer(settings.opening_message, {{"buyer", turn.buyer_name}})));
      }
      if (!settings.hot_questions.empty()) {
        a.push_back(Action{ActionKind::kButtons, "热门问题", settings.hot_questions});
      }
      return a;
    case BuyerTurn::Kind::kOrderCard:
      if (!settings.enabled) return a;
      a.push_back(Action{ActionKind::kButtons, "请选择您要办理的业务", settings.self_service_menu});
      return a;
    case BuyerTurn::Kind::kMenuPick:
      if (!settings.enabled) {
        hand_over("robot_disabled", turn.text);
        return a;
      }
      if (!turn.order) {
        a.push_back(Reply("亲，请先发送要处理的订单哦（在聊天框点“订单”选择）"));
        return a;
      }
      return RunFlow(settings, turn.text, *turn.order, now);
    case BuyerTurn::Kind::kText:
      break;
  }
  const std::string norm = Normalize(turn.text);
  if (norm.find("人工") != std::string::npos || norm.find("真人") != std::string::npos) {
    hand_over("buyer_asked_for_human", turn.text);
    return a;
  }
  if (!settings.enabled) {
    hand_over("robot_disabled", turn.text);
    return a;
  }
  if (turn.order) {
    for (const auto& item : settings.self_service_menu) {
      if (norm == Normalize(item)) return RunFlow(settings, item, *turn.order, now);
    }
  }
  MatchResult r = matcher.Match(turn.text, now);
  if (!r.faq_id) {
    hand_over("robot_unsure", turn.text);
    return a;
  }
  const FaqEntry* e = matcher.Find(*r.faq_id);
  std::map<std::string, std::string> vars{{"buyer", turn.buyer_name}};
  if (turn.order) {
    vars["order_id"] = turn.order->order_id;
    if (turn.order->promised_ship_time) {
      vars["ship_time"] = FormatHour(settings, *turn.order->promised_ship_time);
    }
  }
  std::string text = RenderAnswer(e->answer, vars);
  if (text.find('{') != std::string::npos && text.find('}') != std::string::npos) {
    // A variable the answer needs is unknown here (e.g. no order): a person must answer.
    hand_over("answer_needs_order", turn.text);
    return a;
  }
  a.push_back(Reply(std::move(text)));
  return a;
}

}  // namespace kefu::robot
