#include "cli/cli.h"

#include <cstdio>

namespace kefu::cli {

core::Result<Args> Args::Parse(const std::vector<std::string>& argv,
                               const std::set<std::string>& value_flags,
                               const std::set<std::string>& bool_flags) {
  Args a;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s.size() > 2 && s.compare(0, 2, "--") == 0) {
      std::string name = s.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (value_flags.count(name)) {
        if (!has_value) {
          if (i + 1 >= argv.size()) return core::InvalidArgument("--" + name + " needs a value", name);
          value = argv[++i];
        }
        a.flags_[name] = value;
      } else if (bool_flags.count(name)) {
        if (has_value) return core::InvalidArgument("--" + name + " takes no value", name);
        a.flags_[name] = "true";
      } else {
        return core::InvalidArgument("unknown flag --" + name, name);
      }
    } else {
      a.positional_.push_back(s);
    }
  }
  return a;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) return std::nullopt;
  return it->second;
}

core::Result<std::string> Args::Require(const std::string& name) const {
  auto v = Get(name);
  if (!v) return core::InvalidArgument("--" + name + " is required", name);
  return *v;
}

namespace {
struct Entry {
  std::string summary;
  CommandFn fn;
};
std::map<std::string, Entry>& Registry() {
  static std::map<std::string, Entry> r;
  return r;
}
}  // namespace

CommandRegistrar::CommandRegistrar(const char* name, const char* summary, CommandFn fn) {
  Registry()[name] = Entry{summary, std::move(fn)};
}

int UsageError(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "kefu %.*s: %.*s\n", int(command.size()), command.data(), int(message.size()),
               message.data());
  return kExitUsage;
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "help") {
    std::fprintf(argc < 2 ? stderr : stdout, "kefu: customer service for marketplace shops\n\nusage: kefu COMMAND [flags]\n\ncommands:\n");
    for (const auto& [name, e] : Registry())
      std::fprintf(argc < 2 ? stderr : stdout, "  %-10s %s\n", name.c_str(), e.summary.c_str());
    return argc < 2 ? kExitUsage : kExitOk;
  }
  if (std::string_view(argv[1]) == "--version") {
    std::printf("kefu 0.1.0\n");
    return kExitOk;
  }
  auto it = Registry().find(argv[1]);
  if (it == Registry().end()) {
    std::fprintf(stderr, "kefu: unknown command '%s' (see kefu --help)\n", argv[1]);
    return kExitUsage;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  return it->second.fn(args);
}

}  // namespace kefu::cli

int main(int argc, char** argv) { return kefu::cli::Main(argc, argv); }
