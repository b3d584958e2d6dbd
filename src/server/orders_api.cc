// The orders, 审单 and after-sales HTTP API. Not wired yet: answers nothing.
#include "server/app.h"
#include "server/extensions.h"

namespace kefu::server {
namespace {
class OrdersApi final : public Extension {
 public:
  explicit OrdersApi(App& app) : app_(app) {}
  bool Handle(const Request&, const std::vector<std::string>&, const User&, const Respond&) override {
    return false;
  }

 private:
  App& app_;
};
}  // namespace

std::unique_ptr<Extension> MakeOrdersApi(App& app) { return std::make_unique<OrdersApi>(app); }

}  // namespace kefu::server
