// compliance: the guard every outgoing message passes before it is sent: finds other platforms,
// off-platform deals, contact handles, insults (block) and filler, ad-law absolutes, over-promises
// (warn), with suggestions. It does not send, store or log messages; callers decide what to do.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
  std::string suggestion;  // what to write instead (zh-CN), as advice: 改为“很好”, 请在平台内沟通
  // Words that may take match's place as they are (from 改为“很好”“优选” in the suggestion, or a
  // shop's replacement); empty when the suggestion is advice only. A one-click fix uses these,
  // never the advice text.
  std::vector<std::string> replacements;
};

// The replacements a suggestion names: the quoted phrases right after 改为 or 改用
// (改为“很好”“口碑不错” -> 很好, 口碑不错); empty for advice without them.
std::vector<std::string> ReplacementsOf(std::string_view suggestion);

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
  // What to write instead of block[i] (same index; missing or empty: none). A violation of it
  // then suggests 改为“<replacement>” with that replacement, else generic advice.
  std::vector<std::string> block_suggestions;
};

// ---------------------------------------------------------------------------------------------
// Per-shop custom words as a shop keeps them (店铺自定义词). Pure values: the server stores them
// and hands them to Guard::Check as CustomWords.

enum class WordKind { kBlock, kAllow };
// "block" | "allow".
std::string_view WordKindName(WordKind kind);
// Parses the names above; nullopt otherwise.
std::optional<WordKind> ParseWordKind(std::string_view name);

// One custom word of a shop. `suggestion` (block words only) is what to write instead; `note`
// is the lead's reason, shown in the list.
struct CustomWordEntry {
  std::string id;
  WordKind kind = WordKind::kBlock;
  std::string word;
  std::string suggestion;
  std::string note;
};

// Most custom words a shop may keep: each costs a little on every check of the shop's messages.
inline constexpr size_t kMaxCustomWords = 500;

// The key two custom words are the same by: the word as the guard matches it (normalised UTF-8:
// "微 信", "微-信" and "微信" share one key, so do "ＶＸ" and "vx"). kInvalidArgument (field "word") for invalid UTF-8
// or a word with nothing left after normalisation (only spaces, punctuation or emoji).
core::Result<std::string> CustomWordKey(std::string_view word);

// Trims and checks an entry before it is added to `existing` (the shop's current words):
// kInvalidArgument naming the field ("word": empty, only separators, longer than 30 characters,
// a line break; "suggestion": on an allow word, too long, a line break; "note": longer than 200
// characters); kAlreadyExists (field "word") when a word with the same key is listed, as the
// same kind or the other; kFailedPrecondition when the shop already has kMaxCustomWords.
core::Status ValidateCustomWord(CustomWordEntry& entry, const std::vector<CustomWordEntry>& existing);

// The guard's input for a shop's entries.
CustomWords ToCustomWords(const std::vector<CustomWordEntry>& entries);

// CustomWords prepared for many checks: each word normalised once and indexed by its first two
// characters, behind a bitmap of first characters, so a check looks at few candidates even with
// 500 words. Immutable after construction; share it between threads. Words with nothing left to
// match are skipped.
class CustomWordSet {
 public:
  struct Match {
    size_t begin = 0;  // normalised code-point offsets of the text searched, end exclusive
    size_t end = 0;
    size_t word = 0;   // index into the set's words
  };

  CustomWordSet() = default;
  explicit CustomWordSet(const CustomWords& words);

  bool empty() const { return words_.empty(); }
  size_t size() const { return words_.size(); }
  bool allow(size_t word) const { return words_[word].allow; }
  // A block word's violation suggestion and replacements.
  const std::string& suggestion(size_t word) const { return words_[word].suggestion; }
  const std::vector<std::string>& replacements(size_t word) const { return words_[word].replacements; }
  // Appends every occurrence of every word in `normalised` (overlaps included), ordered by
  // begin.
  void Find(std::u32string_view normalised, std::vector<Match>* out) const;

 private:
  struct Word {
    std::u32string norm;
    std::string suggestion;
    std::vector<std::string> replacements;
    bool allow = false;
  };
  struct Key {
    char32_t first;
    char32_t second;  // 0 for a one-character word
    uint32_t word;
  };
  std::vector<Word> words_;
  std::vector<Key> index_;            // sorted by (first, second)
  std::vector<uint64_t> first_bmp_;   // bit c: some word starts with BMP character c
  bool first_astral_ = false;         // some word starts beyond the BMP
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
  // The same with the shop's words prepared once (what a server keeps per shop).
  core::Result<CheckResult> Check(std::string_view utf8_text, core::Platform platform,
                                  const CustomWordSet& custom) const;

  // Number of lexicon entries loaded (for diagnostics and tests).
  size_t lexicon_size() const;

 private:
  struct Impl;
  explicit Guard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::compliance
