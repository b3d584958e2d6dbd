// server: the HTTP API (/api/v1), WebSockets (/ws, /ws/buyer), /healthz, /metrics and the web
// workbench's static files, over Boost.Beast with C++20 coroutines. Handlers parse, call one
// service and encode; the store's writer thread does all mutations.
#pragma once

#include <cstdint>
#include <string>

#include "core/core.h"

namespace kefu::server {

struct ServerOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 0;                        // 0 = one per core
  size_t body_limit = 64 * 1024;          // bytes; larger bodies get 413
  std::string web_dir;                    // web/dist; empty = look beside the binary
  bool demo = false;                      // serves /api/v1/sim/config
  core::Duration token_ttl = std::chrono::hours(12);
  core::Duration sticky_window = std::chrono::hours(24);
  std::string synchronous = "full";       // SQLite synchronous mode: full | normal
  size_t ws_queue_limit = 4096;           // frames queued per socket before it is dropped
};

inline constexpr const char* kDemoPassword = "kefu-demo";

// Seeds DIR for `kefu demo` when it holds no shop yet: a 拼多多 shop, its team (demo-owner,
// demo-lead, demo-agent1..3, password kDemoPassword) and a few conversations; writes
// DIR/demo-keys.json (shop id -> ingest key) for the buyer simulator. Ok when already seeded.
core::Status SeedDemo(const std::string& data_dir);

// Runs the server until SIGINT/SIGTERM. Returns a startup error (bad port, store failure).
core::Status Run(const ServerOptions& opt);

}  // namespace kefu::server
