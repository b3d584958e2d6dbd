// The robot's HTTP API and its reactions to buyer messages. Not wired yet: answers nothing.
#include "server/app.h"
#include "server/extensions.h"

namespace kefu::server {
namespace {
class RobotApi final : public Extension {
 public:
  explicit RobotApi(App& app) : app_(app) {}
  bool Handle(const Request&, const std::vector<std::string>&, const User&, const Respond&) override {
    return false;
  }

 private:
  App& app_;
};
}  // namespace

std::unique_ptr<Extension> MakeRobotApi(App& app) { return std::make_unique<RobotApi>(app); }

}  // namespace kefu::server
