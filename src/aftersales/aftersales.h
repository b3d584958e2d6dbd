// aftersales: after-sales cases (refund, return, exchange, 补发, 问题件) on each platform's
// timeline, the permission engine for compensations (gifts, 退差价, goodwill, 小额打款/收款) with
// lead approvals, and audit records. Pure rules plus ports; no I/O and no clock reads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "orders/orders.h"

namespace kefu::aftersales {

// ---------------------------------------------------------------------------------------------
// Permission vocabulary (the engine and its services are further down)

enum class ActionKind {
  kGiftTopUp,         // 满赠凑单赠品 (售前 adds, 售后 resends after delivery)
  kGiftForObjection,  // 议价送赠品 (from the SKU gift table)
  kPriceDiffRefund,   // 退差价 (price lowered within N days after delivery)
  kGoodwillRefund,    // 小额补偿 3-5 元
  kSmallPayment,      // 小额打款 (other payments to the buyer)
  kSmallCollection,   // 小额收款 (buyer pays a shipping difference)
};
std::string_view ActionKindName(ActionKind k);
std::optional<ActionKind> ParseActionKind(std::string_view text);

enum class GoodwillCause { kDelivery, kCampaign, kWarehouse, kProduct, kBuyer };
std::string_view GoodwillCauseName(GoodwillCause c);
std::optional<GoodwillCause> ParseGoodwillCause(std::string_view text);

struct ActionRequest {
  ActionKind kind = ActionKind::kGoodwillRefund;
  std::string order_id;
  core::Money amount;    // refunds, payments, collections
  std::string gift_sku;  // gifts
  int64_t gift_qty = 1;
  GoodwillCause cause = GoodwillCause::kDelivery;
  std::string item_sku;   // 退差价 / 议价: the item concerned
  core::Money old_price;  // 退差价: unit price paid
  core::Money new_price;  // 退差价: the shop's lowered unit price
  std::optional<core::Timestamp> price_lowered_at;
  std::string reason;
};
std::string ActionRequestToJson(const ActionRequest& a);

// 满赠: an order whose goods total reaches `threshold` gets `gift_sku`.
struct GiftThreshold {
  core::Money threshold;
  std::string gift_sku;
  bool operator==(const GiftThreshold&) const = default;
};

// What one role may do without a lead. Amount caps are inclusive. A default RoleLimits may do
// nothing alone; the platform file's [aftersales.permissions.<role>] tables set the defaults.
struct RoleLimits {
  bool unlimited = false;      // anything within the platform's hard limits (leads by default)
  core::Money gift_topup_gap;  // 满赠 top-up when the order is within this of a threshold
  int price_protect_days = 0;  // 退差价 when the price was lowered within this after delivery
  // 小额补偿 cap per cause; a cause that is absent needs a lead.
  std::map<GoodwillCause, core::Money> goodwill_cap;
  core::Money small_payment_cap;     // 小额打款 per payment
  int small_payments_per_order = 0;  // 小额打款 this role may make on one order; 0 = no own limit
  core::Money small_collection_cap;  // 小额收款 (shipping difference) per collection
  bool operator==(const RoleLimits&) const = default;
  static RoleLimits Unlimited() {
    RoleLimits r;
    r.unlimited = true;
    return r;
  }
};

// One shop's policy: per-role limits, 满赠 thresholds, the SKU gift table, campaign state and
// the platform's hard limits (which not even a lead may exceed). Leads and owners edit the
// shop's policy (UpdatePolicy); owners are always unlimited within the platform's limits.
struct PermissionPolicy {
  RoleLimits agent;
  RoleLimits lead = RoleLimits::Unlimited();
  RoleLimits owner = RoleLimits::Unlimited();
  std::vector<GiftThreshold> gift_thresholds;
  std::map<std::string, std::vector<std::string>> gift_table;  // item SKU -> allowed gift SKUs
  bool campaign_active = false;                                // shop-wide 大促 running now
  bool campaign_gift_warning = true;  // warn when gifts are added during a campaign
  // Orders with these campaign tags get no 退差价 without a lead (大促 / 限时抢购).
  std::vector<orders::Campaign> price_protect_excluded = {orders::Campaign::kBigSale,
                                                          orders::Campaign::kFlashSale};
  int small_payments_per_order = 0;        // platform: 0 = no limit (拼多多: 3)
  core::Money small_payment_platform_cap;  // platform: per payment, 0 = none
  const RoleLimits& For(orders::Role r) const;
  bool operator==(const PermissionPolicy&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Platform profile (the [orders] and [aftersales] tables of config/platforms/<p>.toml)

// The numbers are read from the platform's file (LoadPlatformProfile / DefaultProfile); the
// zero values here are placeholders that no platform uses.
struct AftersalesProfile {
  core::Platform platform = core::Platform::kTaobao;
  // Seller must answer a refund/return request on a shipped order within this, else the
  // platform agrees on the seller's behalf.
  core::Duration seller_response{0};
  // An unshipped 仅退款 request goes through automatically after this.
  core::Duration unshipped_refund_auto{0};
  // After approval the buyer must send the goods back within this, else the case closes.
  core::Duration buyer_return{0};
  // After the buyer ships the return the seller must confirm receipt within this, else the
  // platform refunds.
  core::Duration seller_confirm_receipt{0};
  // 问题件: the agent checks the tracking again at this interval.
  core::Duration problem_followup{0};
  // 小额打款: platform hard limits (0 = none).
  int small_payments_per_order = 0;
  core::Money small_payment_cap;  // per payment; 0 = no platform cap
  // A new shop's permission policy on this platform ([aftersales.permissions]); the platform
  // limits above are filled in by DefaultPermissionPolicy.
  PermissionPolicy permissions;
};

// Both tables of one platform file.
struct PlatformProfile {
  core::Platform platform = core::Platform::kTaobao;
  orders::OrdersPolicy orders;
  AftersalesProfile aftersales;
};
// The embedded text of config/platforms/<p>.toml (the same bytes as the file in the source tree).
std::string_view EmbeddedPlatformToml(core::Platform p);
// Parses a platform file: [platform].id, then every key of its [orders] and [aftersales] tables
// (a missing key is an error: the file is the only source of these numbers). Then the keys of
// `shop_override_toml`'s tables, each optional, override them. kInvalidArgument naming the key
// ("aftersales.buyer_return_hours") on a missing or bad value.
core::Result<PlatformProfile> ParsePlatformProfile(std::string_view platform_toml,
                                                   std::string_view shop_override_toml = {});
// The embedded file of platform p, with an optional shop override (ParsePlatformProfile).
core::Result<PlatformProfile> LoadPlatformProfile(core::Platform p,
                                                  std::string_view shop_override_toml = {});
// The embedded file of platform p, parsed once. Thread-safe. The shipped files are tested to
// parse; a build whose embedded file does not parse aborts here (a bug, not bad input).
PlatformProfile DefaultProfile(core::Platform p);

// ---------------------------------------------------------------------------------------------
// Cases

enum class CaseType { kRefundOnly, kReturnRefund, kExchange, kResend, kProblemParcel };
// "refund_only" 仅退款, "return_refund" 退货退款, "exchange" 换货, "resend" 补发, "problem" 问题件
std::string_view CaseTypeName(CaseType t);
std::string_view CaseTypeZh(CaseType t);
std::optional<CaseType> ParseCaseType(std::string_view text);

enum class ProblemKind { kNone, kLost, kStuck, kDamaged };  // 丢件, 物流停滞, 破损
std::string_view ProblemKindName(ProblemKind k);
std::optional<ProblemKind> ParseProblemKind(std::string_view text);

// Quality reasons count towards 品质退款率.
enum class ReasonCategory { kQuality, kNonQuality };
struct ReasonInfo {
  std::string_view code;
  std::string_view zh;
  ReasonCategory category;
};
// The standard reasons ("quality", "not_as_described", ..., "no_reason_7d", "other").
const std::vector<ReasonInfo>& Reasons();
// nullopt when the code is unknown.
std::optional<ReasonInfo> FindReason(std::string_view code);

enum class CaseState {
  kRequested,       // 待商家处理
  kAwaitingReturn,  // 待买家退货
  kReturnShipped,   // 买家已退货
  kReturnReceived,  // 已收到退货 (registered at the warehouse)
  kRefunded,        // 退款成功
  kReplacementShipped,  // 补发/换货已发出
  kRejected,        // 商家已拒绝
  kClosed,          // 关闭 (buyer did not return in time, or problem resolved)
  kCancelled,       // 买家撤销
};
std::string_view CaseStateName(CaseState s);
std::string_view CaseStateZh(CaseState s);
bool IsFinal(CaseState s);

enum class ReturnCondition { kIntact, kDamaged, kWrongItem, kMissingParts };

struct FollowUp {
  core::Timestamp at;
  std::string actor_id;
  std::string note;
  bool operator==(const FollowUp&) const = default;
};

struct Case {
  std::string id;
  std::string shop_id;
  std::string order_id;
  std::string buyer;
  CaseType type = CaseType::kRefundOnly;
  ProblemKind problem = ProblemKind::kNone;
  std::string reason_code;
  ReasonCategory category = ReasonCategory::kNonQuality;
  core::Money amount;              // refund amount (0 for resend/exchange)
  bool order_shipped = true;       // whether the goods had left the warehouse at request time
  CaseState state = CaseState::kRequested;
  core::Timestamp created_at;
  core::Timestamp state_since;     // deadlines count from here
  std::optional<core::Timestamp> next_followup_at;  // 问题件 only
  std::vector<FollowUp> followups;
  std::string return_tracking_no;
  std::string return_carrier;
  std::optional<ReturnCondition> return_condition;
  std::string replacement_tracking_no;
  std::string note;
  bool auto_resolved = false;      // the platform's deadline decided, not the seller
  bool operator==(const Case&) const = default;
};
std::string CaseToJson(const Case& c);

// What a new case needs.
struct NewCase {
  std::string shop_id;
  std::string order_id;
  std::string buyer;
  CaseType type = CaseType::kRefundOnly;
  ProblemKind problem = ProblemKind::kNone;
  std::string reason_code;
  core::Money amount;
  bool order_shipped = true;
  std::string note;
};
// Validates and opens a case. kInvalidArgument: unknown reason, amount < 0, a refund of 0,
// a 问题件 without its kind.
core::Result<Case> OpenCase(const NewCase& in, core::Timestamp now, const AftersalesProfile& p);

enum class CaseEvent {
  kSellerApprove,     // 同意 (refund only -> refunded; return/exchange -> awaiting return;
                      // resend -> needs kShipReplacement)
  kSellerReject,      // 拒绝 (text: reason, required)
  kBuyerShipReturn,   // 买家寄回 (text: tracking number, required; carrier)
  kReturnArrived,     // 仓库登记到货 (condition)
  kRefund,            // 退款 (after the return arrived)
  kShipReplacement,   // 补发/换货发出 (text: tracking number)
  kFollowUp,          // 问题件跟进 (text: note)
  kResolve,           // 问题件了结 (closes)
  kBuyerCancel,       // 买家撤销
};
struct CaseEventData {
  CaseEvent event = CaseEvent::kSellerApprove;
  std::string actor_id;
  std::string text;
  std::string carrier;
  ReturnCondition condition = ReturnCondition::kIntact;
};
// Applies one event. kFailedPrecondition (zh-CN reason) when the event does not fit the state or
// type; kInvalidArgument when required text is missing.
core::Result<Case> ApplyEvent(const Case& c, const CaseEventData& e, core::Timestamp now,
                              const AftersalesProfile& p);

// The next deadline of a case, for countdowns.
enum class Party { kSeller, kBuyer };
struct Deadline {
  core::Timestamp at;
  Party who = Party::kSeller;
  std::string what;  // zh-CN: "商家处理退款申请", "买家寄回商品", "商家确认收货", "问题件跟进"
  CaseState on_expiry = CaseState::kRequested;  // what the platform does when it passes
};
std::optional<Deadline> NextDeadline(const Case& c, const AftersalesProfile& p);
struct Countdown {
  std::optional<Deadline> deadline;
  core::Duration remaining{};  // negative when overdue
  bool overdue = false;
};
Countdown CountdownAt(const Case& c, const AftersalesProfile& p, core::Timestamp now);
// Applies what the platform does once a deadline has passed (auto refund, auto agree, close);
// nullopt when nothing is due. 问题件 follow-ups are not applied (they are reminders).
std::optional<Case> ApplyDeadlines(const Case& c, const AftersalesProfile& p, core::Timestamp now);
// 问题件 whose follow-up is due at `now`.
std::vector<Case> DueFollowUps(const std::vector<Case>& cases, core::Timestamp now);

// 品质退款率: refunded cases with a quality reason, refunded in [from, to), over the orders paid
// in the same window (淘宝's definition). rate is 0 when paid_orders is 0.
struct QualityRate {
  int64_t quality_refunds = 0;
  int64_t paid_orders = 0;
  double rate = 0;
};
QualityRate QualityRefundRate(const std::vector<Case>& cases, int64_t paid_orders,
                              core::Timestamp from, core::Timestamp to);

class CaseRepository {
 public:
  virtual ~CaseRepository() = default;
  virtual core::Result<Case> Get(std::string_view shop_id, std::string_view case_id) const = 0;
  // Inserts or replaces the case and appends the audit records atomically.
  virtual core::Status Put(const Case& c, const std::vector<orders::AuditRecord>& audit) = 0;
  virtual std::vector<Case> List(std::string_view shop_id) const = 0;
  // The shop's cases that are not final (IsFinal), oldest first.
  virtual std::vector<Case> ListOpen(std::string_view shop_id) const = 0;
  // The open case awaiting a return with this tracking number; kNotFound otherwise.
  virtual core::Result<Case> FindByReturnTracking(std::string_view shop_id,
                                                  std::string_view tracking_no) const = 0;
};

// ---------------------------------------------------------------------------------------------
// Permission engine

// The platform's default policy for a new shop, with its hard limits filled in.
PermissionPolicy DefaultPermissionPolicy(const AftersalesProfile& p);
// `policy` with the platform's hard limits of `p` filled in (a stored shop policy never
// carries them: they come from the platform file).
PermissionPolicy WithPlatformLimits(PermissionPolicy policy, const AftersalesProfile& p);
// ok, or kInvalidArgument naming the first bad field ("agent.goodwill_cap.buyer",
// "lead.small_payments_per_order", "gift_thresholds[1].gift_sku", ...) with a zh-CN + English
// message: amounts >= 0 and not above the platform's per-payment cap, counts not above the
// platform's per-order limit, days 0-365, complete 满赠 and gift-table entries, owners unlimited.
core::Status ValidatePermissionPolicy(const PermissionPolicy& policy, const AftersalesProfile& p);
// The policy as JSON (money as "5.00" strings; the platform limits are not included): the
// stored form, the audit's before/after and the API's "policy" object.
std::string PermissionPolicyToJson(const PermissionPolicy& policy);

// A shop's stored policy (JSON from PermissionPolicyToJson) and who saved it when.
struct StoredPolicy {
  std::string shop_id;
  std::string json;
  std::string updated_by;
  core::Timestamp updated_at;
};
class PolicyRepository {
 public:
  virtual ~PolicyRepository() = default;
  // nullopt when the shop never saved one (it uses the platform's defaults).
  virtual core::Result<std::optional<StoredPolicy>> GetPolicy(std::string_view shop_id) const = 0;
  // Inserts or replaces the shop's policy and appends the audit records atomically.
  virtual core::Status PutPolicy(const StoredPolicy& p,
                                 const std::vector<orders::AuditRecord>& audit) = 0;
};
// Stores a shop's new policy: leads and owners only (kPermissionDenied for agents), validated
// (ValidatePermissionPolicy), audited as "policy.update" (entity "policy", the shop's id) with
// the previous policy as before and the new one as after, in the same repository call.
core::Status UpdatePolicy(PolicyRepository& repo, const orders::Actor& actor,
                          const PermissionPolicy& before, const PermissionPolicy& after,
                          const AftersalesProfile& p, core::Timestamp now);

// Past compensations on the order (from the store), for per-order limits.
struct OrderHistory {
  int small_payments = 0;
};

enum class Verdict { kAllowed, kNeedsApproval, kDenied };
std::string_view VerdictName(Verdict v);  // "allowed", "needs_approval", "denied"
struct Decision {
  Verdict verdict = Verdict::kDenied;
  std::string rule;                   // e.g. "goodwill.cap", "price_diff.window"
  std::vector<std::string> reasons;   // zh-CN, why not allowed
  std::vector<std::string> warnings;  // zh-CN, allowed but take care
};
// Decides whether `actor` may do `action` on `order` now. kDenied only for invalid requests and
// platform hard limits; anything beyond the role's authority is kNeedsApproval.
Decision Evaluate(const orders::Actor& actor, const ActionRequest& action,
                  const orders::Order& order, const OrderHistory& history,
                  const PermissionPolicy& policy, core::Timestamp now);

struct Compensation {
  std::string id;
  std::string shop_id;
  std::string order_id;
  ActionRequest action;
  std::string requested_by;
  std::string approved_by;  // empty when within the requester's authority
  std::string approval_id;
  core::Timestamp at;
};
std::string CompensationToJson(const Compensation& c);

enum class ApprovalState { kPending, kApproved, kRejected };
std::string_view ApprovalStateName(ApprovalState s);
struct ApprovalRequest {
  std::string id;
  std::string shop_id;
  std::string order_id;
  ActionRequest action;
  std::string requested_by;
  std::vector<std::string> reasons;
  ApprovalState state = ApprovalState::kPending;
  core::Timestamp created_at;
  std::string decided_by;
  std::optional<core::Timestamp> decided_at;
  std::string note;
};
std::string ApprovalToJson(const ApprovalRequest& a);

class CompensationRepository {
 public:
  virtual ~CompensationRepository() = default;
  // Each write stores its rows and the audit records atomically.
  virtual core::Status AddCompensation(const Compensation& c,
                                       const std::vector<orders::AuditRecord>& audit) = 0;
  virtual core::Status PutApproval(const ApprovalRequest& a,
                                   const std::vector<orders::AuditRecord>& audit) = 0;
  // Stores a decided approval and, when approved, its compensation, atomically.
  virtual core::Status DecideApproval(const ApprovalRequest& a,
                                      const std::optional<Compensation>& c,
                                      const std::vector<orders::AuditRecord>& audit) = 0;
  virtual core::Result<ApprovalRequest> GetApproval(std::string_view shop_id,
                                                    std::string_view id) const = 0;
  virtual std::vector<ApprovalRequest> ListApprovals(std::string_view shop_id,
                                                     bool pending_only) const = 0;
  virtual std::vector<Compensation> ListCompensations(std::string_view shop_id,
                                                      std::string_view order_id) const = 0;
};

// In-memory fakes; they append audit records to the shared orders::InMemoryAuditLog.
class InMemoryCaseRepository final : public CaseRepository {
 public:
  explicit InMemoryCaseRepository(orders::InMemoryAuditLog& audit) : audit_(audit) {}
  core::Result<Case> Get(std::string_view shop_id, std::string_view case_id) const override;
  core::Status Put(const Case& c, const std::vector<orders::AuditRecord>& audit) override;
  std::vector<Case> List(std::string_view shop_id) const override;
  std::vector<Case> ListOpen(std::string_view shop_id) const override;
  core::Result<Case> FindByReturnTracking(std::string_view shop_id,
                                          std::string_view tracking_no) const override;

 private:
  orders::InMemoryAuditLog& audit_;
  mutable std::mutex mu_;
  std::vector<Case> cases_;
};

class InMemoryCompensationRepository final : public CompensationRepository {
 public:
  explicit InMemoryCompensationRepository(orders::InMemoryAuditLog& audit) : audit_(audit) {}
  core::Status AddCompensation(const Compensation& c,
                               const std::vector<orders::AuditRecord>& audit) override;
  core::Status PutApproval(const ApprovalRequest& a,
                           const std::vector<orders::AuditRecord>& audit) override;
  core::Status DecideApproval(const ApprovalRequest& a, const std::optional<Compensation>& c,
                              const std::vector<orders::AuditRecord>& audit) override;
  core::Result<ApprovalRequest> GetApproval(std::string_view shop_id,
                                            std::string_view id) const override;
  std::vector<ApprovalRequest> ListApprovals(std::string_view shop_id,
                                             bool pending_only) const override;
  std::vector<Compensation> ListCompensations(std::string_view shop_id,
                                              std::string_view order_id) const override;

 private:
  orders::InMemoryAuditLog& audit_;
  mutable std::mutex mu_;
  std::vector<Compensation> compensations_;
  std::vector<ApprovalRequest> approvals_;
};

class InMemoryPolicyRepository final : public PolicyRepository {
 public:
  explicit InMemoryPolicyRepository(orders::InMemoryAuditLog& audit) : audit_(audit) {}
  core::Result<std::optional<StoredPolicy>> GetPolicy(std::string_view shop_id) const override;
  core::Status PutPolicy(const StoredPolicy& p,
                         const std::vector<orders::AuditRecord>& audit) override;

 private:
  orders::InMemoryAuditLog& audit_;
  mutable std::mutex mu_;
  std::map<std::string, StoredPolicy, std::less<>> policies_;
};

// ---------------------------------------------------------------------------------------------
// Services. Every call is scoped to the actor's shop (another shop's data is kNotFound) and
// stores its change together with an audit record. Thread-compatible.

class AftersalesService {
 public:
  AftersalesService(CaseRepository& cases, const core::Clock& clock, AftersalesProfile profile);
  AftersalesService(const AftersalesService&) = delete;
  AftersalesService& operator=(const AftersalesService&) = delete;

  core::Result<Case> Open(const orders::Actor& actor, NewCase in);
  core::Result<Case> Apply(const orders::Actor& actor, std::string_view case_id,
                           CaseEventData e);
  // Warehouse registration: finds the case by the parcel's tracking number and marks it arrived.
  core::Result<Case> RegisterReturn(const orders::Actor& actor, std::string_view tracking_no,
                                    ReturnCondition condition);
  // Applies every passed deadline of the shop's cases (actor "system"); returns changed cases.
  core::Result<std::vector<Case>> ApplyDeadlines(const orders::Actor& actor);

 private:
  core::Result<Case> Store(const orders::Actor& actor, const Case& before, const Case& after,
                           std::string action);
  CaseRepository& cases_;
  const core::Clock& clock_;
  AftersalesProfile profile_;
};

class PermissionService {
 public:
  PermissionService(const orders::OrderRepository& orders, CompensationRepository& store,
                    const core::Clock& clock);
  PermissionService(const PermissionService&) = delete;
  PermissionService& operator=(const PermissionService&) = delete;

  struct Outcome {
    Decision decision;
    std::optional<Compensation> compensation;  // when allowed
    std::optional<ApprovalRequest> approval;   // when it needs a lead
  };
  // Evaluates and acts: allowed -> a compensation; needs approval -> a pending request;
  // denied -> kPermissionDenied / kFailedPrecondition with the reasons (nothing stored).
  core::Result<Outcome> Request(const orders::Actor& actor, const ActionRequest& action,
                                const PermissionPolicy& policy);
  // A lead or owner approves or rejects a pending request (kPermissionDenied for agents,
  // kFailedPrecondition when already decided or a platform limit now blocks it).
  core::Result<Outcome> Decide(const orders::Actor& lead, std::string_view approval_id,
                               bool approve, std::string note, const PermissionPolicy& policy);

 private:
  OrderHistory History(std::string_view shop_id, std::string_view order_id) const;
  const orders::OrderRepository& orders_;
  CompensationRepository& store_;
  const core::Clock& clock_;
};

}  // namespace kefu::aftersales
