// OrderService: load through the ports, apply one rule, store the result with its audit record.
#include "orders/orders.h"

namespace kefu::orders {

OrderService::OrderService(OrderRepository& orders, ReviewRepository& reviews,
                           const Catalog& catalog, const Blacklist& blacklist,
                           const core::Clock& clock, core::TimeZone tz, OrdersPolicy policy)
    : orders_(orders), reviews_(reviews), catalog_(catalog), blacklist_(blacklist), clock_(clock),
      tz_(std::move(tz)), policy_(policy) {}

core::Result<Order> OrderService::Load(const Actor& actor, std::string_view order_id) const {
  // Scoped by the actor's shop: another shop's order is simply not found.
  return orders_.Get(actor.shop_id, order_id);
}

core::Status OrderService::Save(const Actor& actor, const Order& before, const Order& after,
                                std::string action) {
  auto rec = MakeAudit(actor, clock_.Now(), std::move(action), "order", after.id,
                       OrderToJson(before), OrderToJson(after));
  return orders_.Update(after, {rec});
}

core::Status OrderService::Insert(const Actor& actor, std::vector<Order>& orders) {
  std::vector<AuditRecord> audit;
  audit.reserve(orders.size());
  const auto now = clock_.Now();
  for (auto& o : orders) {
    o.shop_id = actor.shop_id;
    audit.push_back(MakeAudit(actor, now, "order.import", "order", o.id, "", OrderToJson(o)));
  }
  return orders_.Insert(orders, audit);
}

core::Status OrderService::Import(const Actor& actor, std::vector<Order> orders) {
  return Insert(actor, orders);
}

core::Result<std::vector<ReviewEntry>> OrderService::ImportAndReview(const Actor& actor,
                                                                     std::vector<Order> orders) {
  // The shop's undecided orders are read before the insert, so the new ones are reviewed from
  // memory instead of being read back; all of it runs in the caller's transaction.
  auto current = CurrentEntries(actor);
  std::vector<Order> todo = Undecided(actor, current);
  KEFU_TRY(Insert(actor, orders));
  todo.insert(todo.end(), std::make_move_iterator(orders.begin()),
              std::make_move_iterator(orders.end()));
  return ReviewBatch(actor, todo, current);
}

core::Result<Order> OrderService::Mutate(
    const Actor& actor, std::string_view order_id, std::string action,
    const std::function<core::Result<Order>(const Order&)>& rule) {
  KEFU_ASSIGN_OR_RETURN(Order before, Load(actor, order_id));
  KEFU_ASSIGN_OR_RETURN(Order after, rule(before));
  KEFU_TRY(Save(actor, before, after, std::move(action)));
  return after;
}

core::Result<Order> OrderService::ChangeShippingFee(const Actor& actor, std::string_view order_id,
                                                    core::Money fee) {
  return Mutate(actor, order_id, "order.change_shipping_fee", [&](const Order& before) {
    return orders::ChangeShippingFee(before, fee, policy_.price_change);
  });
}
core::Result<Order> OrderService::ChangeGoodsTotal(const Actor& actor, std::string_view order_id,
                                                   core::Money total) {
  return Mutate(actor, order_id, "order.change_goods_total", [&](const Order& before) {
    return orders::ChangeGoodsTotal(before, total, policy_.price_change);
  });
}
core::Result<Order> OrderService::ChangeAddress(const Actor& actor, std::string_view order_id,
                                                const Address& a) {
  return Mutate(actor, order_id, "order.change_address", [&](const Order& before) {
    return orders::ChangeAddress(before, a);
  });
}
core::Result<Order> OrderService::SetRemark(const Actor& actor, std::string_view order_id,
                                            std::string_view text, FlagColor flag,
                                            std::string flag_note) {
  RemarkContext ctx;
  ctx.shop_id = actor.shop_id;
  ctx.today = tz_.DateOf(clock_.Now());
  ctx.catalog = &catalog_;
  ctx.max_ship_delay_days = policy_.max_ship_delay_days;
  return Mutate(actor, order_id, "order.set_remark", [&](const Order& before) {
    return orders::SetRemark(before, text, flag, std::move(flag_note), ctx);
  });
}
core::Result<Order> OrderService::FormGroup(const Actor& actor, std::string_view order_id) {
  return Mutate(actor, order_id, "order.group_formed", [&](const Order& before) {
    return orders::FormGroup(before, clock_.Now());
  });
}

core::Result<std::vector<Order>> OrderService::ExpireGroups(const Actor& actor) {
  std::vector<Order> closed;
  const auto now = clock_.Now();
  for (const auto& o : orders_.ListByStatus(actor.shop_id, {OrderStatus::kGroupPending})) {
    if (CheckGroup(o, now, policy_).outcome != GroupOutcome::kExpired) continue;
    KEFU_ASSIGN_OR_RETURN(Order after, CancelExpiredGroup(o, now, policy_));
    KEFU_TRY(Save(actor, o, after, "order.group_expired_refund"));
    closed.push_back(std::move(after));
  }
  return closed;
}

core::Result<ReviewEntry> OrderService::SaveReview(const Actor& actor, const ReviewEntry& before,
                                                   ReviewEntry after, std::string action) {
  auto rec = MakeAudit(actor, clock_.Now(), std::move(action), "review", after.order_id,
                       before.order_id.empty() ? "" : ReviewEntryToJson(before),
                       ReviewEntryToJson(after));
  KEFU_TRY(reviews_.Put(after, {rec}));
  return after;
}

core::Result<ReviewEntry> OrderService::CurrentEntry(const Actor& actor, const Order& o) const {
  auto e = reviews_.Get(actor.shop_id, o.id);
  if (e.ok()) return e;
  if (e.status().code() != core::Code::kNotFound) return e.status();
  return ReviewOrder(o, catalog_, blacklist_);
}

std::map<std::string, ReviewEntry, std::less<>> OrderService::CurrentEntries(
    const Actor& actor) const {
  std::map<std::string, ReviewEntry, std::less<>> current;
  for (auto& e : reviews_.List(actor.shop_id)) {
    std::string id = e.order_id;
    current.emplace(std::move(id), std::move(e));
  }
  return current;
}

std::vector<Order> OrderService::Undecided(
    const Actor& actor, const std::map<std::string, ReviewEntry, std::less<>>& current) const {
  std::vector<Order> todo;
  for (auto& o : orders_.ListByStatus(actor.shop_id, {OrderStatus::kPaid, OrderStatus::kToShip})) {
    auto it = current.find(o.id);
    if (it != current.end() && (it->second.bucket == ReviewBucket::kApproved ||
                                it->second.bucket == ReviewBucket::kIntercepted))
      continue;
    todo.push_back(std::move(o));
  }
  return todo;
}

core::Result<std::vector<ReviewEntry>> OrderService::ReviewBatch(
    const Actor& actor, const std::vector<Order>& todo,
    const std::map<std::string, ReviewEntry, std::less<>>& current) {
  std::vector<ReviewEntry> out;
  std::vector<ReviewEntry> changed;
  std::vector<AuditRecord> audit;
  const auto now = clock_.Now();
  for (auto& e : ReviewOrders(todo, catalog_, blacklist_)) {
    auto it = current.find(e.order_id);
    if (it != current.end() && it->second.bucket == e.bucket && it->second.findings == e.findings) {
      out.push_back(it->second);
      continue;
    }
    audit.push_back(MakeAudit(actor, now, "review.run", "review", e.order_id,
                              it == current.end() ? "" : ReviewEntryToJson(it->second),
                              ReviewEntryToJson(e)));
    changed.push_back(e);
    out.push_back(std::move(e));
  }
  // One batch write: a large import is reviewed without a statement round per order.
  if (!changed.empty()) KEFU_TRY(reviews_.PutMany(changed, audit));
  return out;
}

core::Result<std::vector<ReviewEntry>> OrderService::ReviewPending(const Actor& actor) {
  auto current = CurrentEntries(actor);
  return ReviewBatch(actor, Undecided(actor, current), current);
}

core::Result<ReviewEntry> OrderService::FixSku(const Actor& actor, std::string_view order_id,
                                               std::string_view old_sku,
                                               std::string_view new_sku) {
  KEFU_ASSIGN_OR_RETURN(Order before, Load(actor, order_id));
  KEFU_ASSIGN_OR_RETURN(Order after, ReplaceSku(before, old_sku, new_sku, catalog_));
  KEFU_ASSIGN_OR_RETURN(ReviewEntry entry, CurrentEntry(actor, before));
  KEFU_TRY(Save(actor, before, after, "order.change_sku"));
  // The fix is the agent's review: when nothing else is wrong the order is approved.
  auto approved = orders::Approve(entry, after, catalog_, blacklist_, actor, clock_.Now());
  ReviewEntry next = approved.ok() ? *approved : ReviewOrder(after, catalog_, blacklist_);
  return SaveReview(actor, entry, std::move(next),
                    approved.ok() ? "review.fix_sku_approve" : "review.fix_sku");
}

core::Result<ReviewEntry> OrderService::Approve(const Actor& actor, std::string_view order_id) {
  KEFU_ASSIGN_OR_RETURN(Order o, Load(actor, order_id));
  KEFU_ASSIGN_OR_RETURN(ReviewEntry entry, CurrentEntry(actor, o));
  KEFU_ASSIGN_OR_RETURN(ReviewEntry next,
                        orders::Approve(entry, o, catalog_, blacklist_, actor, clock_.Now()));
  return SaveReview(actor, entry, std::move(next), "review.approve");
}

core::Result<ReviewEntry> OrderService::Intercept(const Actor& actor, std::string_view order_id,
                                                  std::string note) {
  KEFU_ASSIGN_OR_RETURN(Order o, Load(actor, order_id));
  KEFU_ASSIGN_OR_RETURN(ReviewEntry entry, CurrentEntry(actor, o));
  KEFU_ASSIGN_OR_RETURN(ReviewEntry next,
                        orders::Intercept(entry, o, actor, clock_.Now(), std::move(note)));
  return SaveReview(actor, entry, std::move(next), "review.intercept");
}

CutoffStatus OrderService::LeftBeforeCutoff(const Actor& actor) const {
  return orders::LeftBeforeCutoff(reviews_.List(actor.shop_id), clock_.Now(), tz_,
                                  policy_.review_cutoff);
}

}  // namespace kefu::orders
