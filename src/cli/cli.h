// cli: the `kefu` command line: a registry of subcommands and a small flag parser shared by
// them. Exit codes: 0 ok, 1 the answer is "no" (e.g. violations found), 2 bad input or usage.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace kefu::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;
inline constexpr int kExitUsage = 2;

// Parsed `--name value`, `--name=value`, boolean `--flag` and positional arguments.
class Args {
 public:
  // Parses argv[first..]. `value_flags` take a value, `bool_flags` do not; anything else that
  // starts with "--" is an error naming the flag. A lone "-" is positional (stdin).
  static core::Result<Args> Parse(const std::vector<std::string>& argv,
                                  const std::set<std::string>& value_flags,
                                  const std::set<std::string>& bool_flags);

  std::optional<std::string> Get(const std::string& name) const;
  // The value, or kInvalidArgument "--name is required" naming the flag.
  core::Result<std::string> Require(const std::string& name) const;
  bool Has(const std::string& name) const { return flags_.count(name) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> flags_;
  std::vector<std::string> positional_;
};

// A subcommand: gets the arguments after its name; returns the exit code.
using CommandFn = std::function<int(const std::vector<std::string>& args)>;

// Registers a subcommand at static-initialisation time (see KEFU_COMMAND).
struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandFn fn);
};

// Prints "kefu <command>: <message>" on stderr and returns kExitUsage.
int UsageError(std::string_view command, std::string_view message);

#define KEFU_COMMAND(name, summary, fn) \
  static ::kefu::cli::CommandRegistrar KEFU_CONCAT_(kefu_command_, __LINE__)(name, summary, fn)

}  // namespace kefu::cli
