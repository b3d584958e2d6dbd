// The live reply-rate guard: feeds every message into a per-shop radar, sends sla.warning
// before a buyer's deadline, escalates unanswered buyers, and computes reply rates from the
// store. Private to server/.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "conversation/conversation.h"
#include "core/core.h"

namespace kefu::server {

class App;

class LiveGuard {
 public:
  explicit LiveGuard(App& app);
  ~LiveGuard();
  // Rebuilds the waits of conversations that were waiting when the server stopped.
  void Load(const std::vector<conversation::Conversation>& conversations);
  // Every committed event (writer thread).
  void OnEvent(const conversation::OutEvent& ev);
  // Called about once a second: due warnings and escalations become events.
  void Tick(core::Timestamp now);
  // GET /api/v1/metrics/live body.
  std::string LiveJson(const std::string& shop_id, core::Timestamp now);
  // GET /api/v1/metrics/reply-rate body: the CLI's object for the shop; with `daily`, also
  // "daily": the one-day objects of each of the `days` days, oldest first (dashboard charts).
  // Blocking (store read).
  core::Result<std::string> ReplyRateJson(const std::string& shop_id, const std::string& date, int days,
                                          bool daily = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::server
