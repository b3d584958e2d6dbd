// kefu serve / kefu demo: run the server (demo seeds a shop, its team and conversations first).
#include <arpa/inet.h>

#include <cstdio>

#include "cli/cli.h"
#include "server/server.h"

namespace kefu::cli {
namespace {

int Serve(const std::vector<std::string>& argv, bool demo) {
  const char* name = demo ? "demo" : "serve";
  auto args = Args::Parse(argv,
                          {"data", "port", "host", "store", "bus", "config", "threads", "body-limit",
                           "web", "sync"},
                          {});
  if (!args.ok()) return UsageError(name, args.status().message());
  server::ServerOptions opt;
  opt.demo = demo;
  opt.data_dir = args->Get("data").value_or(demo ? ".kefu-demo" : "");
  if (opt.data_dir.empty()) return UsageError(name, "--data DIR is required");
  auto port = args->Get("port").value_or("8080");
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 1 || p > 65535)
    return UsageError(name, "--port must be a number between 1 and 65535");
  opt.port = static_cast<uint16_t>(p);
  opt.host = args->Get("host").value_or("127.0.0.1");
  {
    unsigned char addr[16];
    if (inet_pton(AF_INET, opt.host.c_str(), addr) != 1 && inet_pton(AF_INET6, opt.host.c_str(), addr) != 1)
      return UsageError(name, "--host must be an IPv4 or IPv6 address, e.g. 127.0.0.1");
  }
  if (auto t = args->Get("threads")) {
    const long n = std::strtol(t->c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 256) return UsageError(name, "--threads must be 1-256");
    opt.threads = int(n);
  }
  if (auto b = args->Get("body-limit")) {
    const long n = std::strtol(b->c_str(), &end, 10);
    if (*end != '\0' || n < 1024) return UsageError(name, "--body-limit must be a byte count >= 1024");
    opt.body_limit = size_t(n);
  }
  if (auto w = args->Get("web")) opt.web_dir = *w;
  if (auto s = args->Get("sync")) {
    if (*s != "full" && *s != "normal") return UsageError(name, "--sync must be full or normal");
    opt.synchronous = *s;
  }
  if (auto s = args->Get("store"); s && s->rfind("sqlite", 0) != 0)
    return UsageError(name, "--store: only the embedded SQLite store is available in this build "
                            "(PostgreSQL support is not implemented yet)");
  if (args->Get("bus")) return UsageError(name, "--bus: the Redis bus is not implemented yet");
  if (args->Get("config")) return UsageError(name, "--config: configuration files are not implemented yet");
  if (demo) {
    if (auto st = server::SeedDemo(opt.data_dir); !st.ok()) {
      std::fprintf(stderr, "kefu demo: %s\n", st.ToString().c_str());
      return 1;
    }
    std::fprintf(stderr, "kefu demo: http://%s:%u  (accounts demo-owner, demo-lead, demo-agent1..3; "
                         "password %s; buyer simulator at /sim)\n",
                 opt.host.c_str(), unsigned(opt.port), server::kDemoPassword);
  }
  auto st = server::Run(opt);
  if (!st.ok()) {
    std::fprintf(stderr, "kefu %s: %s\n", name, st.ToString().c_str());
    return 1;
  }
  return 0;
}

KEFU_COMMAND("serve", "run the server: --data DIR --port P [--host H]",
             [](const std::vector<std::string>& a) { return Serve(a, false); });
KEFU_COMMAND("demo", "run the server with a demo shop: --data DIR --port P",
             [](const std::vector<std::string>& a) { return Serve(a, true); });

}  // namespace
}  // namespace kefu::cli
