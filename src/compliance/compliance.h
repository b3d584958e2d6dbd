// compliance: the guard every outgoing message passes before it is sent: finds other platforms,
// off-platform deals, contact handles, insults (block) and filler, ad-law absolutes, over-promises
// (warn), with suggestions. It does not send, store or log messages; callers decide what to do.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace kefu::compliance {

// kBlock: the message must not be sent. kWarn: it may be sent; the agent is told why not to.
enum class Severity { kBlock, kWarn };

// "block" | "warn".
std::string_view SeverityName(Severity severity);

// One finding. start/end are Unicode code-point offsets into the ORIGINAL text (end exclusive);
// match is that original substring, as written (e.g. "微-信", "ｖｘ").
struct Violation {
  std::string category;    // third_party | off_platform | uncivil | filler | extreme_word |
                           // over_promise | custom
  std::string rule;        // finer rule, e.g. "contact_app", "contact_app.pinyin", "mobile"
  Severity severity = Severity::kBlock;
  size_t start = 0;
  size_t end = 0;
  std::string match;
  std::string suggestion;  // what to write instead (zh-CN)
};

// ok is true exactly when no violation has severity kBlock. Violations are ordered by start.
struct CheckResult {
  bool ok = true;
  std::vector<Violation> violations;
};

// A shop's own words. `block` words are reported as category "custom" (block); a finding that lies
// wholly inside an `allow` word is dropped (e.g. a shop selling 旺旺 snacks allows "旺旺").
struct CustomWords {
  std::vector<std::string> block;
  std::vector<std::string> allow;
};

// The guard. Immutable after Create; Check is thread-safe and may run concurrently from many
// threads (each thread lazily gets its own matcher scratch space).
class Guard {
 public:
  // Loads the embedded lexicons (data/lexicons/) and platform profiles (config/platforms/*.toml
  // [compliance]) and compiles the matchers. kInternal if the embedded data is malformed.
  static core::Result<std::unique_ptr<Guard>> Create();

  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // Checks one message for `platform`, with the shop's custom words if given (applied as passed:
  // an edit takes effect on the next call). kInvalidArgument for invalid UTF-8 or lone
  // surrogates (the message names the byte). Empty text is ok with no violations.
  core::Result<CheckResult> Check(std::string_view utf8_text, core::Platform platform,
                                  const CustomWords* custom = nullptr) const;

  // Number of lexicon entries loaded (for diagnostics and tests).
  size_t lexicon_size() const;

 private:
  struct Impl;
  explicit Guard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::compliance
