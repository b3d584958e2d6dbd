// Demo data for `kefu demo`: a 拼多多 shop, its team and a few conversations. Private to
// server/ and cli/.
#pragma once

#include <string>

#include "core/core.h"

namespace kefu::server {

inline constexpr const char* kDemoPassword = "kefu-demo";

// Seeds DIR when it holds no shop yet; writes DIR/demo-keys.json (shop id -> ingest key) so the
// simulator can post as buyers. Returns ok when already seeded.
core::Status SeedDemo(const std::string& data_dir);

}  // namespace kefu::server
