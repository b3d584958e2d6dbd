// conversation: reception — buyers' conversations, messages, agents' presence and routing
// (skill, least load, cap, sticky buyer, queue, transfer). Pure logic over values and a
// repository port; it does no I/O itself and knows nothing of HTTP, sockets or SQL.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/core.h"

namespace kefu::conversation {

enum class Sender { kBuyer, kAgent, kRobot, kAuto, kSystem };
enum class ConversationStatus { kWaiting, kOpen, kClosed };
enum class Skill { kPresale, kAftersale };
enum class Presence { kOnline, kBusy, kAway, kOffline };
enum class Role { kOwner, kLead, kAgent };

std::string_view SenderName(Sender s);  // "buyer", "agent", "robot", "auto", "system"
std::optional<Sender> ParseSender(std::string_view s);
std::string_view StatusName(ConversationStatus s);  // "waiting", "open", "closed"
std::optional<ConversationStatus> ParseStatus(std::string_view s);
std::string_view SkillName(Skill s);  // "presale", "aftersale"
std::optional<Skill> ParseSkill(std::string_view s);
std::string_view PresenceName(Presence p);  // "online", "busy", "away", "offline"
std::optional<Presence> ParsePresence(std::string_view s);
std::string_view RoleName(Role r);  // "owner", "lead", "agent"
std::optional<Role> ParseRole(std::string_view s);

struct Message {
  int64_t seq = 0;  // store-wide order; assigned by the repository on insert
  std::string id;
  std::string conversation_id;
  std::string shop_id;
  std::string buyer;
  Sender from = Sender::kBuyer;
  std::string agent_id;  // the agent who wrote it (agent messages only)
  std::string text;
  core::Timestamp ts;
  std::string client_msg_id;  // empty when the sender gave none
  std::string order_id;       // an order card's order, empty otherwise
};

struct Conversation {
  std::string id;
  std::string shop_id;
  std::string buyer;
  ConversationStatus status = ConversationStatus::kWaiting;
  std::string agent_id;  // empty while waiting in the queue
  Skill skill = Skill::kPresale;
  core::Timestamp created_at;
  core::Timestamp updated_at;
  // First buyer message not yet answered by an agent or the robot; nullopt when answered.
  std::optional<core::Timestamp> waiting_since;
  // The last agent who served this buyer and when (for sticky routing).
  std::string last_agent_id;
  core::Timestamp last_agent_at;
  std::string transfer_note;
  std::string last_text;
  Sender last_from = Sender::kBuyer;
  core::Timestamp last_ts;
  int unread = 0;  // buyer messages since the assigned agent last read
};

// An account as reception sees it.
struct Agent {
  std::string id;
  std::string username;
  std::string display_name;
  Role role = Role::kAgent;
  std::set<std::string> shop_ids;
  std::set<Skill> skills;
  int max_concurrent = 8;
};

// What an agent's presence and load look like now.
struct AgentState {
  Agent agent;
  Presence presence = Presence::kOffline;
  bool explicit_presence = false;  // set by PUT /me/presence; otherwise derived from sockets
  int sockets = 0;
  int load = 0;  // open conversations assigned
  // For fair ties between equally loaded agents: who got a new conversation least recently,
  // then who became available first.
  core::Timestamp last_assigned_at{};
  core::Timestamp available_since{};
};

// Who is asking: the authenticated user.
struct Actor {
  std::string user_id;
  Role role = Role::kAgent;
  std::set<std::string> shop_ids;
};

// An event to persist and publish. `agent_id` empty = every member of the shop may see it;
// otherwise that agent plus the shop's leads and owners (kLeadsOnly: leads and owners only). `buyer_visible` events also reach
// the buyer's channel socket.
inline constexpr const char* kLeadsOnly = "-";

struct OutEvent {
  std::string type;
  std::string shop_id;
  std::string agent_id;
  std::string buyer;
  bool buyer_visible = false;
  // What the event carries; the server turns it into JSON.
  std::optional<Message> message;
  std::optional<Conversation> conversation;
  std::string presence_agent;  // presence.updated: whose presence, what it is, their load
  Presence presence = Presence::kOffline;
  int load = 0;
  int64_t seq = 0;             // assigned when persisted
  core::Timestamp ts;
  std::string data_json;       // the encoded data, set when persisted
};

// Persistence port. All calls of one service operation run inside one store transaction,
// on the store's single writer thread.
class ReceptionRepository {
 public:
  virtual ~ReceptionRepository() = default;
  // The message an earlier call stored under this dedupe key (idempotent ingest), if any.
  virtual core::Result<std::optional<Message>> FindMessageByDedupeKey(const std::string& key) = 0;
  // Stores a message; sets msg.seq. `dedupe_key` may be empty.
  virtual core::Status InsertMessage(Message& msg, const std::string& dedupe_key) = 0;
  // Inserts or replaces a conversation.
  virtual core::Status SaveConversation(const Conversation& c) = 0;
  // Stores an event; sets ev.seq.
  virtual core::Status AppendEvent(OutEvent& ev, const std::string& data_json) = 0;
};

// Encodes an event's data as a JSON object (implemented by the server, which owns JSON).
class EventEncoder {
 public:
  virtual ~EventEncoder() = default;
  virtual std::string Encode(const OutEvent& ev) const = 0;
};

struct RoutingSettings {
  // A returning buyer goes back to the agent who served them within this time, if available.
  core::Duration sticky_window = std::chrono::hours(24);
};

// The outcome of an operation: what changed, and the events persisted for it.
struct Outcome {
  std::optional<Message> message;
  std::optional<Conversation> conversation;
  std::vector<OutEvent> events;
  bool duplicate = false;  // an idempotent retry: nothing new was stored
};

// Reception: the state of every conversation that is not closed and of every agent, kept in
// memory and persisted through the repository. Mutating calls must come from one thread (the
// store writer) inside a transaction; const queries may come from any thread.
class ReceptionService {
 public:
  ReceptionService(core::Clock& clock, ReceptionRepository& repo, const EventEncoder& encoder,
                   RoutingSettings settings = {});
  ~ReceptionService();
  ReceptionService(const ReceptionService&) = delete;
  ReceptionService& operator=(const ReceptionService&) = delete;

  // Startup: known agents and the conversations loaded from the store.
  void LoadAgent(const Agent& a);
  void LoadConversation(const Conversation& c);

  // A buyer's message from a channel. Idempotent by client_msg_id. Routes a new or reopened
  // conversation. kInvalidArgument for empty text. Its errors come before its first write,
  // except a failing store (which fails the transaction anyway).
  core::Result<Outcome> IngestBuyerMessage(const std::string& shop_id, const std::string& buyer,
                                           const std::string& text,
                                           std::optional<core::Timestamp> ts,
                                           const std::string& client_msg_id,
                                           const std::string& order_id);
  // An agent's (or lead's) reply. kNotFound when the actor may not see the conversation;
  // kPermissionDenied when it is another agent's.
  core::Result<Outcome> Reply(const Actor& actor, const std::string& conversation_id,
                              const std::string& text, const std::string& client_msg_id);
  // A robot / auto-reply / system message into a conversation (no permission check).
  core::Result<Outcome> PostAs(Sender from, const std::string& conversation_id,
                               const std::string& text);
  core::Result<Outcome> Accept(const Actor& actor, const std::string& conversation_id);
  // Moves a conversation to `to_agent`, or back to the queue for `to_skill`.
  core::Result<Outcome> Transfer(const Actor& actor, const std::string& conversation_id,
                                 const std::string& to_agent, std::optional<Skill> to_skill,
                                 const std::string& note);
  core::Result<Outcome> Close(const Actor& actor, const std::string& conversation_id);
  core::Result<Outcome> MarkRead(const Actor& actor, const std::string& conversation_id);
  // Explicit presence; going online pulls waiting conversations.
  core::Result<Outcome> SetPresence(const std::string& user_id, Presence p);
  // A workbench socket opened or closed: an agent with an open socket and no explicit status
  // counts as online.
  core::Result<Outcome> SocketChanged(const std::string& user_id, int delta);
  // The assigned agent did not answer in time: hand the conversation to another available
  // agent with the skill (never back to the same one). Nothing changes when the buyer was
  // answered meanwhile, the agent changed, or nobody else can take it (the leads were warned).
  core::Result<Outcome> Escalate(const std::string& conversation_id, const std::string& agent_id);
  // Persists a notice event (e.g. sla.warning) whose data the caller encoded.
  core::Result<Outcome> Notice(OutEvent ev);
  // Registers or refreshes an account (e.g. added by the CLI while running).
  void UpsertAgent(const Agent& a);

  // Queries (thread-safe).
  std::optional<Conversation> Find(const Actor& actor, const std::string& conversation_id) const;
  // Conversations the actor may see, newest activity first. Closed ones are not kept here.
  std::vector<Conversation> List(const Actor& actor, std::optional<ConversationStatus> status,
                                 bool mine_only, const std::string& shop_id) const;
  std::vector<AgentState> Agents(const std::string& shop_id) const;
  std::optional<AgentState> AgentById(const std::string& user_id) const;
  size_t WaitingCount() const;
  // True when the actor may see this conversation (same shop; agents: theirs or queued).
  bool CanSee(const Actor& actor, const Conversation& c) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::conversation
