// Extension points of the server for capabilities that live in their own files: the robot
// (server/robot_api.cc), orders/after-sales (server/orders_api.cc), custom compliance words
// (server/compliance_api.cc) and reply templates (server/templates_api.cc). Private to server/.
#pragma once

#include <memory>

#include "conversation/conversation.h"
#include "server/routes.h"

namespace kefu::server {

class App;

// One capability's HTTP routes and reactions to committed events. Implementations are
// thread-safe: Handle runs on the blocking pool, OnCommitted on the store's completion thread.
class Extension {
 public:
  virtual ~Extension() = default;
  // Startup, after accounts and conversations are loaded; may create tables' caches.
  virtual core::Status Start() { return core::Status::Ok(); }
  // Returns true when it answered (called `respond`); false to let other routes try.
  // `user` is the authenticated caller.
  virtual bool Handle(const Request& req, const std::vector<std::string>& segments,
                      const User& user, const Respond& respond) = 0;
  // Requests with no user (ingest key or public); same contract as Handle.
  virtual bool HandlePublic(const Request& req, const std::vector<std::string>& segments,
                            const Respond& respond) {
    return false;
  }
  // Every committed event, in commit order (the store's completion thread, after the commit is
  // durable). Must not block: queue work with App::Write.
  virtual void OnCommitted(const conversation::OutEvent& ev) {}
  // About once a second.
  virtual void Tick(core::Timestamp now) {}
};

// Factories, one per capability file.
std::unique_ptr<Extension> MakeRobotApi(App& app);
std::unique_ptr<Extension> MakeOrdersApi(App& app);
std::unique_ptr<Extension> MakeComplianceWordsApi(App& app);
std::unique_ptr<Extension> MakeTemplatesApi(App& app);

}  // namespace kefu::server
