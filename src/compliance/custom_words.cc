// Per-shop custom words: validation and the key words are compared by. A word is compared as the
// guard matches it (normalised), so a lead cannot list one word twice in two spellings, nor as
// both block and allow (the guard would let the allow word win without saying so).
#include <algorithm>

#include "compliance/compliance.h"
#include "text/text.h"

namespace kefu::compliance {
namespace {

constexpr size_t kMaxWordChars = 30;
constexpr size_t kMaxSuggestionChars = 60;
constexpr size_t kMaxNoteChars = 200;

// Checks UTF-8, length in code points and line breaks of a trimmed field.
core::Status CheckField(const std::string& value, const char* field, size_t max_chars) {
  auto cps = text::DecodeUtf8(value);
  if (!cps.ok()) return core::InvalidArgument(std::string(field) + ": " + cps.status().message(), field);
  if (cps->size() > max_chars)
    return core::InvalidArgument(std::string(field) + " is longer than " + std::to_string(max_chars) + " characters",
                                 field);
  if (value.find_first_of("\r\n") != std::string::npos)
    return core::InvalidArgument(std::string(field) + " must be one line", field);
  return core::Status::Ok();
}

}  // namespace

std::string_view WordKindName(WordKind kind) { return kind == WordKind::kBlock ? "block" : "allow"; }

std::optional<WordKind> ParseWordKind(std::string_view name) {
  if (name == "block") return WordKind::kBlock;
  if (name == "allow") return WordKind::kAllow;
  return std::nullopt;
}

core::Result<std::string> CustomWordKey(std::string_view word) {
  auto n = text::Normalize(word);
  if (!n.ok()) return core::InvalidArgument("word: " + n.status().message(), "word");
  if (n->text.empty())
    return core::InvalidArgument("word has nothing left to match once spaces, punctuation and emoji are dropped",
                                 "word");
  return n->Utf8();
}

core::Status ValidateCustomWord(CustomWordEntry& entry, const std::vector<CustomWordEntry>& existing) {
  entry.word = text::Trim(entry.word);
  entry.suggestion = text::Trim(entry.suggestion);
  entry.note = text::Trim(entry.note);
  if (entry.word.empty()) return core::InvalidArgument("word must not be empty", "word");
  KEFU_TRY(CheckField(entry.word, "word", kMaxWordChars));
  KEFU_TRY(CheckField(entry.suggestion, "suggestion", kMaxSuggestionChars));
  KEFU_TRY(CheckField(entry.note, "note", kMaxNoteChars));
  if (entry.kind == WordKind::kAllow && !entry.suggestion.empty())
    return core::InvalidArgument("suggestion applies to block words only", "suggestion");
  KEFU_ASSIGN_OR_RETURN(const std::string key, CustomWordKey(entry.word));
  for (const auto& e : existing) {
    auto other = CustomWordKey(e.word);
    if (!other.ok() || *other != key) continue;
    if (e.kind == entry.kind)
      return core::AlreadyExists("\"" + e.word + "\" is already a " + std::string(WordKindName(e.kind)) + " word",
                                 "word");
    return core::AlreadyExists("\"" + e.word + "\" is listed as a " + std::string(WordKindName(e.kind)) +
                                   " word; delete it first",
                               "word");
  }
  if (existing.size() >= kMaxCustomWords)
    return core::FailedPrecondition("a shop may keep at most " + std::to_string(kMaxCustomWords) + " custom words",
                                    "word");
  return core::Status::Ok();
}

std::vector<std::string> ReplacementsOf(std::string_view s) {
  constexpr std::string_view kOpen = "\xE2\x80\x9C";   // “
  constexpr std::string_view kClose = "\xE2\x80\x9D";  // ”
  std::vector<std::string> out;
  for (std::string_view verb : {std::string_view("改为"), std::string_view("改用")}) {
    size_t at = s.find(verb);
    if (at == std::string_view::npos) continue;
    std::string_view rest = s.substr(at + verb.size());
    while (rest.starts_with(kOpen)) {
      const size_t close = rest.find(kClose, kOpen.size());
      if (close == std::string_view::npos) break;
      std::string_view phrase = rest.substr(kOpen.size(), close - kOpen.size());
      if (!phrase.empty()) out.emplace_back(phrase);
      rest.remove_prefix(close + kClose.size());
    }
    if (!out.empty()) break;
  }
  return out;
}

CustomWordSet::CustomWordSet(const CustomWords& words) {
  auto add = [&](const std::string& word, std::string suggestion, std::vector<std::string> replacements, bool allow) {
    auto n = text::Normalize(word);
    if (!n.ok() || n->text.empty()) return;
    const char32_t first = n->text[0];
    index_.push_back(Key{first, n->text.size() > 1 ? n->text[1] : U'\0', static_cast<uint32_t>(words_.size())});
    if (first < 0x10000) {
      if (first_bmp_.empty()) first_bmp_.assign(0x10000 / 64, 0);
      first_bmp_[first >> 6] |= uint64_t{1} << (first & 63);
    } else {
      first_astral_ = true;
    }
    words_.push_back(Word{std::move(n->text), std::move(suggestion), std::move(replacements), allow});
  };
  for (const auto& w : words.allow) add(w, "", {}, true);
  for (size_t i = 0; i < words.block.size(); ++i) {
    const std::string replacement = i < words.block_suggestions.size() ? words.block_suggestions[i] : "";
    if (replacement.empty()) add(words.block[i], "本店设置的禁用词，请换一种说法", {}, false);
    else add(words.block[i], "改为\xE2\x80\x9C" + replacement + "\xE2\x80\x9D", {replacement}, false);
  }
  std::sort(index_.begin(), index_.end(), [](const Key& a, const Key& b) {
    return a.first != b.first ? a.first < b.first : a.second != b.second ? a.second < b.second : a.word < b.word;
  });
}

void CustomWordSet::Find(std::u32string_view t, std::vector<Match>* out) const {
  if (words_.empty()) return;
  auto before = [](const Key& k, std::pair<char32_t, char32_t> v) {
    return k.first != v.first ? k.first < v.first : k.second < v.second;
  };
  // Words whose first two characters are (a, b), or the one-character word a when b is 0.
  auto each = [&](size_t i, char32_t a, char32_t b) {
    auto it = std::lower_bound(index_.begin(), index_.end(), std::pair(a, b), before);
    for (; it != index_.end() && it->first == a && it->second == b; ++it) {
      const std::u32string& w = words_[it->word].norm;
      if (t.size() - i >= w.size() && t.compare(i, w.size(), w) == 0) out->push_back({i, i + w.size(), it->word});
    }
  };
  for (size_t i = 0; i < t.size(); ++i) {
    const char32_t c = t[i];
    if (c < 0x10000 ? first_bmp_.empty() || !((first_bmp_[c >> 6] >> (c & 63)) & 1) : !first_astral_) continue;
    each(i, c, U'\0');
    if (i + 1 < t.size()) each(i, c, t[i + 1]);
  }
}

CustomWords ToCustomWords(const std::vector<CustomWordEntry>& entries) {
  CustomWords out;
  for (const auto& e : entries) {
    if (e.kind == WordKind::kAllow) {
      out.allow.push_back(e.word);
    } else {
      out.block.push_back(e.word);
      out.block_suggestions.push_back(e.suggestion);
    }
  }
  return out;
}

}  // namespace kefu::compliance
