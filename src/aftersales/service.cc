// In-memory port fakes and the two application services.
#include "aftersales/aftersales.h"

namespace kefu::aftersales {

// ---------------------------------------------------------------------------------------------
// Fakes

core::Result<Case> InMemoryCaseRepository::Get(std::string_view shop_id,
                                               std::string_view case_id) const {
  std::lock_guard lock(mu_);
  for (const auto& c : cases_)
    if (c.shop_id == shop_id && c.id == case_id) return c;
  return core::NotFound("售后单不存在 case not found: " + std::string(case_id));
}
core::Status InMemoryCaseRepository::Put(const Case& c,
                                         const std::vector<orders::AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  bool replaced = false;
  for (auto& x : cases_)
    if (x.shop_id == c.shop_id && x.id == c.id) {
      x = c;
      replaced = true;
    }
  if (!replaced) cases_.push_back(c);
  audit_.Append(audit);
  return core::Status::Ok();
}
std::vector<Case> InMemoryCaseRepository::List(std::string_view shop_id) const {
  std::lock_guard lock(mu_);
  std::vector<Case> out;
  for (const auto& c : cases_)
    if (c.shop_id == shop_id) out.push_back(c);
  return out;
}
std::vector<Case> InMemoryCaseRepository::ListOpen(std::string_view shop_id) const {
  std::lock_guard lock(mu_);
  std::vector<Case> out;
  for (const auto& c : cases_)
    if (c.shop_id == shop_id && !IsFinal(c.state)) out.push_back(c);
  return out;
}
core::Result<Case> InMemoryCaseRepository::FindByReturnTracking(
    std::string_view shop_id, std::string_view tracking_no) const {
  std::lock_guard lock(mu_);
  for (const auto& c : cases_)
    if (c.shop_id == shop_id && c.return_tracking_no == tracking_no && !IsFinal(c.state))
      return c;
  return core::NotFound("没有等待该退货单号的售后单 no open case for tracking " +
                        std::string(tracking_no));
}

core::Status InMemoryCompensationRepository::AddCompensation(
    const Compensation& c, const std::vector<orders::AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  compensations_.push_back(c);
  audit_.Append(audit);
  return core::Status::Ok();
}
core::Status InMemoryCompensationRepository::PutApproval(
    const ApprovalRequest& a, const std::vector<orders::AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  bool replaced = false;
  for (auto& x : approvals_)
    if (x.shop_id == a.shop_id && x.id == a.id) {
      x = a;
      replaced = true;
    }
  if (!replaced) approvals_.push_back(a);
  audit_.Append(audit);
  return core::Status::Ok();
}
core::Status InMemoryCompensationRepository::DecideApproval(
    const ApprovalRequest& a, const std::optional<Compensation>& c,
    const std::vector<orders::AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  for (auto& x : approvals_) {
    if (x.shop_id == a.shop_id && x.id == a.id) {
      if (x.state != ApprovalState::kPending)
        return core::FailedPrecondition("审批已处理 approval already decided", "state");
      x = a;
      if (c) compensations_.push_back(*c);
      audit_.Append(audit);
      return core::Status::Ok();
    }
  }
  return core::NotFound("审批不存在 approval not found: " + a.id);
}
core::Result<ApprovalRequest> InMemoryCompensationRepository::GetApproval(
    std::string_view shop_id, std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const auto& a : approvals_)
    if (a.shop_id == shop_id && a.id == id) return a;
  return core::NotFound("审批不存在 approval not found: " + std::string(id));
}
std::vector<ApprovalRequest> InMemoryCompensationRepository::ListApprovals(
    std::string_view shop_id, bool pending_only) const {
  std::lock_guard lock(mu_);
  std::vector<ApprovalRequest> out;
  for (const auto& a : approvals_)
    if (a.shop_id == shop_id && (!pending_only || a.state == ApprovalState::kPending))
      out.push_back(a);
  return out;
}
std::vector<Compensation> InMemoryCompensationRepository::ListCompensations(
    std::string_view shop_id, std::string_view order_id) const {
  std::lock_guard lock(mu_);
  std::vector<Compensation> out;
  for (const auto& c : compensations_)
    if (c.shop_id == shop_id && (order_id.empty() || c.order_id == order_id)) out.push_back(c);
  return out;
}

core::Result<std::optional<StoredPolicy>> InMemoryPolicyRepository::GetPolicy(
    std::string_view shop_id) const {
  std::lock_guard lock(mu_);
  auto it = policies_.find(shop_id);
  if (it == policies_.end()) return std::optional<StoredPolicy>();
  return std::optional<StoredPolicy>(it->second);
}
core::Status InMemoryPolicyRepository::PutPolicy(const StoredPolicy& p,
                                                 const std::vector<orders::AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  policies_[p.shop_id] = p;
  audit_.Append(audit);
  return core::Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// AftersalesService

AftersalesService::AftersalesService(CaseRepository& cases, const core::Clock& clock,
                                     AftersalesProfile profile)
    : cases_(cases), clock_(clock), profile_(profile) {}

core::Result<Case> AftersalesService::Store(const orders::Actor& actor, const Case& before,
                                            const Case& after, std::string action) {
  auto rec = orders::MakeAudit(actor, clock_.Now(), std::move(action), "case", after.id,
                               before.id.empty() ? "" : CaseToJson(before), CaseToJson(after));
  KEFU_TRY(cases_.Put(after, {rec}));
  return after;
}

core::Result<Case> AftersalesService::Open(const orders::Actor& actor, NewCase in) {
  in.shop_id = actor.shop_id;
  KEFU_ASSIGN_OR_RETURN(Case c, OpenCase(in, clock_.Now(), profile_));
  return Store(actor, Case(), c, "case.open");
}

core::Result<Case> AftersalesService::Apply(const orders::Actor& actor, std::string_view case_id,
                                            CaseEventData e) {
  KEFU_ASSIGN_OR_RETURN(Case before, cases_.Get(actor.shop_id, case_id));
  e.actor_id = actor.user_id;
  KEFU_ASSIGN_OR_RETURN(Case after, ApplyEvent(before, e, clock_.Now(), profile_));
  return Store(actor, before, after, "case." + std::string(CaseStateName(after.state)));
}

core::Result<Case> AftersalesService::RegisterReturn(const orders::Actor& actor,
                                                     std::string_view tracking_no,
                                                     ReturnCondition condition) {
  KEFU_ASSIGN_OR_RETURN(Case before, cases_.FindByReturnTracking(actor.shop_id, tracking_no));
  CaseEventData e;
  e.event = CaseEvent::kReturnArrived;
  e.actor_id = actor.user_id;
  e.condition = condition;
  KEFU_ASSIGN_OR_RETURN(Case after, ApplyEvent(before, e, clock_.Now(), profile_));
  return Store(actor, before, after, "case.return_registered");
}

core::Result<std::vector<Case>> AftersalesService::ApplyDeadlines(const orders::Actor& actor) {
  std::vector<Case> changed;
  const auto now = clock_.Now();
  for (const auto& c : cases_.ListOpen(actor.shop_id)) {
    auto n = aftersales::ApplyDeadlines(c, profile_, now);
    if (!n) continue;
    KEFU_ASSIGN_OR_RETURN(Case saved, Store(actor, c, *n, "case.deadline_" +
                                                              std::string(CaseStateName(n->state))));
    changed.push_back(std::move(saved));
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------
// PermissionService

PermissionService::PermissionService(const orders::OrderRepository& orders,
                                     CompensationRepository& store, const core::Clock& clock)
    : orders_(orders), store_(store), clock_(clock) {}

OrderHistory PermissionService::History(std::string_view shop_id,
                                        std::string_view order_id) const {
  OrderHistory h;
  for (const auto& c : store_.ListCompensations(shop_id, order_id)) {
    const auto k = c.action.kind;
    if (k == ActionKind::kSmallPayment || k == ActionKind::kGoodwillRefund ||
        k == ActionKind::kPriceDiffRefund)
      ++h.small_payments;
  }
  return h;
}

static core::Status DeniedStatus(const Decision& d) {
  std::string msg = "不允许 not allowed:";
  for (const auto& r : d.reasons) msg += " " + r;
  return core::Status(core::Code::kFailedPrecondition, msg, d.rule, "compensation_denied");
}

core::Result<PermissionService::Outcome> PermissionService::Request(
    const orders::Actor& actor, const ActionRequest& action, const PermissionPolicy& policy) {
  KEFU_ASSIGN_OR_RETURN(orders::Order order, orders_.Get(actor.shop_id, action.order_id));
  const auto now = clock_.Now();
  Outcome out;
  out.decision = Evaluate(actor, action, order, History(actor.shop_id, order.id), policy, now);
  switch (out.decision.verdict) {
    case Verdict::kDenied:
      return DeniedStatus(out.decision);
    case Verdict::kAllowed: {
      Compensation c{core::NewId("cp_"), actor.shop_id, order.id, action, actor.user_id, "", "",
                     now};
      auto rec = orders::MakeAudit(actor, now, "compensation.create", "compensation", c.id, "",
                                   CompensationToJson(c));
      KEFU_TRY(store_.AddCompensation(c, {rec}));
      out.compensation = std::move(c);
      return out;
    }
    case Verdict::kNeedsApproval: {
      ApprovalRequest a;
      a.id = core::NewId("ap_");
      a.shop_id = actor.shop_id;
      a.order_id = order.id;
      a.action = action;
      a.requested_by = actor.user_id;
      a.reasons = out.decision.reasons;
      a.created_at = now;
      auto rec = orders::MakeAudit(actor, now, "approval.request", "approval", a.id, "",
                                   ApprovalToJson(a));
      KEFU_TRY(store_.PutApproval(a, {rec}));
      out.approval = std::move(a);
      return out;
    }
  }
  return core::Internal("unknown verdict");
}

core::Result<PermissionService::Outcome> PermissionService::Decide(
    const orders::Actor& lead, std::string_view approval_id, bool approve, std::string note,
    const PermissionPolicy& policy) {
  if (lead.role == orders::Role::kAgent)
    return core::PermissionDenied("只有主管或店主可以审批 only a lead or owner can decide");
  KEFU_ASSIGN_OR_RETURN(ApprovalRequest before, store_.GetApproval(lead.shop_id, approval_id));
  if (before.state != ApprovalState::kPending)
    return core::FailedPrecondition("审批已处理 approval already decided", "state");
  const auto now = clock_.Now();
  Outcome out;
  ApprovalRequest after = before;
  after.decided_by = lead.user_id;
  after.decided_at = now;
  after.note = std::move(note);
  std::vector<orders::AuditRecord> audit;
  if (approve) {
    KEFU_ASSIGN_OR_RETURN(orders::Order order, orders_.Get(lead.shop_id, before.order_id));
    // A lead's authority is wide, but the platform's hard limits still hold at approval time.
    out.decision = Evaluate(lead, before.action, order, History(lead.shop_id, order.id), policy, now);
    if (out.decision.verdict != Verdict::kAllowed) return DeniedStatus(out.decision);
    after.state = ApprovalState::kApproved;
    Compensation c{core::NewId("cp_"), lead.shop_id, order.id, before.action, before.requested_by,
                   lead.user_id, before.id, now};
    audit.push_back(orders::MakeAudit(lead, now, "approval.approve", "approval", after.id,
                                      ApprovalToJson(before), ApprovalToJson(after)));
    audit.push_back(orders::MakeAudit(lead, now, "compensation.create", "compensation", c.id, "",
                                      CompensationToJson(c)));
    out.compensation = std::move(c);
  } else {
    after.state = ApprovalState::kRejected;
    out.decision.verdict = Verdict::kDenied;
    out.decision.rule = "approval.rejected";
    out.decision.reasons.push_back("主管已驳回");
    audit.push_back(orders::MakeAudit(lead, now, "approval.reject", "approval", after.id,
                                      ApprovalToJson(before), ApprovalToJson(after)));
  }
  KEFU_TRY(store_.DecideApproval(after, out.compensation, audit));
  out.approval = std::move(after);
  return out;
}

}  // namespace kefu::aftersales
