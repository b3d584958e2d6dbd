// The guard: builds the scan forms of a message (text::ScanForms: the normalised text as one
// 16-bit unit per code point, and its pinyin form, in one pass of table lookups), scans them with
// two Hyperscan literal databases, applies context rules (ASCII word edges, allow words, quoted
// buyer words, platform own words, homophone sanity), whole-message words and contact-handle
// detection, then maps every finding back to the original text. Hyperscan was measured faster
// than our Aho-Corasick for this workload (see bench/compliance). Every buffer a check needs,
// and the Hyperscan scratch, is per thread and reused, so a clean message allocates nothing.
#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "compliance/compliance.h"
#include "compliance/internal/lexicon.h"
#include "text/text.h"

namespace kefu::compliance {

using internal::Entry;

namespace {

std::atomic<uint64_t> g_next_guard_id{1};

struct Hit {
  unsigned id;
  unsigned long long to;
};

int OnMatch(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
            void* ctx) {
  static_cast<std::vector<Hit>*>(ctx)->push_back({id, to});
  return 0;
}

inline bool IsAsciiLetter(char32_t c) { return c >= 'a' && c <= 'z'; }
inline bool IsAsciiAlnum(char32_t c) { return IsAsciiLetter(c) || (c >= '0' && c <= '9'); }
inline bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

// A normalised span [b, e) and what it was found as.
// Views into the lexicon (which outlives every check) or into string literals.
struct Found {
  size_t b;
  size_t e;
  std::string_view category;
  std::string_view rule;
  Severity severity;
  std::string_view suggestion;
  const std::vector<std::string>* replacements;  // null: none
};

// One thread's reusable state: Hyperscan scratch (grown to fit every guard the thread has used)
// and the buffers of a check. Freed at thread exit.
struct ThreadState {
  hs_scratch_t* scratch = nullptr;
  uint64_t prepared_for = 0;
  text::ScanForms forms;
  std::vector<CustomWordSet::Match> custom;
  std::vector<Hit> hits;
  std::vector<Found> found;
  std::vector<Found> kept;
  std::vector<std::pair<size_t, size_t>> allowed;
  ~ThreadState() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};

bool EndsWithAt(std::u32string_view t, size_t end, std::u32string_view w) {
  return end >= w.size() && t.substr(end - w.size(), w.size()) == w;
}

// True when [b, e) does not cut an ASCII word: an ASCII letter at an edge of the span must not
// touch (without a separator in between) another ASCII letter outside it.
bool AsciiEdgesOk(const text::ScanForms& n, size_t b, size_t e) {
  std::u32string_view t = n.text();
  if (IsAsciiLetter(t[b]) && b > 0 && IsAsciiLetter(t[b - 1]) && !n.GapBefore(b)) return false;
  if (IsAsciiLetter(t[e - 1]) && e < t.size() && IsAsciiLetter(t[e]) && !n.GapBefore(e)) return false;
  return true;
}

// A normalised word as the UTF-16LE bytes ScanForms::bmp() holds, or "" when it has a code point
// that form cannot tell apart (beyond the BMP, or U+FFFF).
std::string Utf16Bytes(std::u32string_view word) {
  std::string out;
  for (char32_t c : word) {
    if (c >= 0xFFFF) return "";
    out.push_back(static_cast<char>(c & 0xFF));
    out.push_back(static_cast<char>(c >> 8));
  }
  return out;
}

hs_database_t* CompileLiterals(const std::vector<std::string>& words, const std::vector<unsigned>& ids,
                               std::string* error) {
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags(words.size(), 0);
  for (const auto& w : words) {
    exprs.push_back(w.data());
    lens.push_back(w.size());
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(words.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) != HS_SUCCESS) {
    *error = err != nullptr ? err->message : "unknown error";
    hs_free_compile_error(err);
    return nullptr;
  }
  return db;
}

// True when the UTF-8 text holds a quote mark InsideBuyerQuote looks for.
bool HasQuoteMark(std::string_view utf8) {
  if (utf8.find('"') != std::string_view::npos) return true;
  for (std::string_view mark : {"「", "『", "“", "‘", "＂"}) {
    if (utf8.find(mark) != std::string_view::npos) return true;
  }
  return false;
}

// True when original code points [b, e) lie inside a short quotation (「」『』“”‘’ or straight
// quotes) and no steering word (加 用 去 搜 找 下 来 联 打) is among the two characters before or
// after the word (quote marks and spaces aside): the agent is repeating the buyer's words.
// "加个“微信”", "“微信”上加我" and "“美女，加个微信”" stay findings.
bool InsideBuyerQuote(std::u32string_view t, size_t b, size_t e) {
  constexpr size_t kMaxQuoted = 16;  // code points between the marks
  static constexpr std::u32string_view kOpen = U"「『“‘\"＂";
  static constexpr std::u32string_view kClose = U"」』”’\"＂";
  static constexpr std::u32string_view kSteer = U"加用去搜找下来联打";
  size_t open = std::u32string_view::npos;
  for (size_t k = b; k > 0 && b - k < kMaxQuoted; --k) {
    char32_t c = t[k - 1];
    if (c == U'」' || c == U'』' || c == U'”' || c == U'’') return false;
    if (kOpen.find(c) != std::u32string_view::npos) {
      open = k - 1;
      break;
    }
  }
  if (open == std::u32string_view::npos) return false;
  // The closing mark that pairs with the opening one ("...": the same straight quote).
  char32_t close_mark = kClose[kOpen.find(t[open])];
  size_t close = std::u32string_view::npos;
  for (size_t k = e; k < t.size() && k - open <= kMaxQuoted + 1; ++k) {
    if (t[k] == close_mark) {
      close = k;
      break;
    }
    if (kOpen.find(t[k]) != std::u32string_view::npos) return false;
  }
  if (close == std::u32string_view::npos) return false;
  auto steering = [&](size_t k, int step) {  // the two characters from k going `step`
    for (int seen = 0; seen < 2 && k < t.size(); k += step) {
      char32_t c = t[k];
      if (c == ' ' || c == U'\u3000' || kOpen.find(c) != std::u32string_view::npos ||
          kClose.find(c) != std::u32string_view::npos) {
        continue;
      }
      if (kSteer.find(c) != std::u32string_view::npos) return true;
      ++seen;
    }
    return false;
  };
  return !(b > 0 && steering(b - 1, -1)) && !steering(e, +1);
}

// Filler-only messages: every character is an interjection.
bool AllFillerChars(std::u32string_view t) {
  static constexpr std::u32string_view kFiller = U"哦嗯恩噢喔啊额呃哈呵嘿唔哼";
  if (t.empty()) return false;
  for (char32_t c : t) {
    if (kFiller.find(c) == std::u32string_view::npos) return false;
  }
  return true;
}

}  // namespace

struct Guard::Impl {
  internal::Lexicon lex;
  hs_database_t* text_db = nullptr;    // ids: entries [0, E), allow words [E, E + A)
  hs_database_t* pinyin_db = nullptr;  // ids: entries
  std::vector<unsigned> text_len;      // code points of each text pattern
  // `whole` entries match only the entire message, so they are not scanned for (好, 在 and 1
  // would hit nearly every message); a message of at most whole_max code points is compared.
  std::vector<unsigned> whole_ids;
  size_t whole_max = 0;
  std::vector<unsigned> pinyin_len;    // byte length of each pinyin pattern (by entry id)
  std::unique_ptr<text::PinyinFilter> pinyin_filter;  // the units the pinyin patterns use
  // Which texts can give a pinyin finding: one with an ASCII letter (or digit, when a pinyin
  // pattern has one), or one holding a non-ASCII character of a `pinyin` (homophones) word, as a
  // Han homophone must keep a character of its word. Other texts skip the pinyin scan.
  bool pinyin_needs_digit = false;
  std::vector<uint64_t> homophone_bmp;  // bit per BMP code point
  std::vector<char32_t> homophone_astral;
  uint64_t id = 0;

  ~Impl() {
    if (text_db != nullptr) hs_free_database(text_db);
    if (pinyin_db != nullptr) hs_free_database(pinyin_db);
  }

  bool NeedsPinyin(const text::ScanForms& n) const {
    if (pinyin_needs_digit ? n.has_ascii_alnum() : n.has_ascii_letter()) return true;
    for (char32_t c : n.text()) {
      if (c < 0x80) continue;
      if (c < 0x10000) {
        if ((homophone_bmp[c >> 6] >> (c & 63)) & 1) return true;
      } else if (std::find(homophone_astral.begin(), homophone_astral.end(), c) !=
                 homophone_astral.end()) {
        return true;
      }
    }
    return false;
  }

  hs_scratch_t* Scratch(ThreadState& ts) const {
    if (ts.prepared_for != id) {
      if (hs_alloc_scratch(text_db, &ts.scratch) != HS_SUCCESS) return nullptr;
      if (pinyin_db != nullptr && hs_alloc_scratch(pinyin_db, &ts.scratch) != HS_SUCCESS) return nullptr;
      ts.prepared_for = id;
    }
    return ts.scratch;
  }

  core::Result<CheckResult> Check(std::string_view utf8, core::Platform platform,
                                  const CustomWordSet* custom) const;
  void ScanContacts(const text::ScanForms& n, std::vector<Found>* out) const;
};

Guard::Guard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Guard::~Guard() = default;

size_t Guard::lexicon_size() const { return impl_->lex.entries.size(); }

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kBlock ? "block" : "warn";
}

core::Result<std::unique_ptr<Guard>> Guard::Create() {
  auto impl = std::make_unique<Impl>();
  KEFU_ASSIGN_OR_RETURN(impl->lex, internal::LoadLexicon());
  const auto& entries = impl->lex.entries;
  std::vector<std::string> words;
  std::vector<unsigned> ids;
  impl->text_len.assign(entries.size(), 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    impl->text_len[i] = static_cast<unsigned>(entries[i].norm.size());
    if (entries[i].whole) {
      impl->whole_ids.push_back(static_cast<unsigned>(i));
      impl->whole_max = std::max(impl->whole_max, entries[i].norm.size());
      continue;
    }
    words.push_back(Utf16Bytes(entries[i].norm));
    ids.push_back(static_cast<unsigned>(i));
  }
  for (size_t i = 0; i < impl->lex.allow.size(); ++i) {
    words.push_back(Utf16Bytes(impl->lex.allow[i]));
    ids.push_back(static_cast<unsigned>(entries.size() + i));
    impl->text_len.push_back(static_cast<unsigned>(impl->lex.allow[i].size()));
  }
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].empty()) {
      return core::Internal("compliance: lexicon word #" + std::to_string(ids[i]) +
                            " has a character beyond the BMP, which the matcher does not take");
    }
  }
  std::string error;
  impl->text_db = CompileLiterals(words, ids, &error);
  if (impl->text_db == nullptr) return core::Internal("compliance: compiling lexicon: " + error);
  words.clear();
  ids.clear();
  impl->pinyin_len.assign(entries.size(), 0);
  impl->homophone_bmp.assign(0x10000 / 64, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].homophones && !entries[i].latin) continue;
    for (char c : entries[i].pinyin) impl->pinyin_needs_digit |= (c >= '0' && c <= '9');
    if (entries[i].homophones) {
      for (char32_t c : entries[i].norm) {
        if (c < 0x80) continue;
        if (c < 0x10000) {
          impl->homophone_bmp[c >> 6] |= uint64_t{1} << (c & 63);
        } else {
          impl->homophone_astral.push_back(c);
        }
      }
    }
    words.push_back(entries[i].pinyin);
    ids.push_back(static_cast<unsigned>(i));
    impl->pinyin_len[i] = static_cast<unsigned>(entries[i].pinyin.size());
  }
  if (!words.empty()) {
    impl->pinyin_filter = std::make_unique<text::PinyinFilter>(words);
    impl->pinyin_db = CompileLiterals(words, ids, &error);
    if (impl->pinyin_db == nullptr) return core::Internal("compliance: compiling pinyin: " + error);
  }
  impl->id = g_next_guard_id.fetch_add(1);
  return std::unique_ptr<Guard>(new Guard(std::move(impl)));
}

core::Result<CheckResult> Guard::Check(std::string_view utf8_text, core::Platform platform,
                                       const CustomWords* custom) const {
  if (custom == nullptr) return impl_->Check(utf8_text, platform, nullptr);
  const CustomWordSet set(*custom);
  return impl_->Check(utf8_text, platform, &set);
}

core::Result<CheckResult> Guard::Check(std::string_view utf8_text, core::Platform platform,
                                       const CustomWordSet& custom) const {
  return impl_->Check(utf8_text, platform, &custom);
}

void Guard::Impl::ScanContacts(const text::ScanForms& n, std::vector<Found>* out) const {
  std::u32string_view t = n.text();
  static const std::u32string_view kOrderContext[] = {U"单号", U"订单", U"运单", U"编号", U"条码",
                                                      U"货号", U"尾号", U"快递号", U"物流号"};
  static const std::u32string_view kQqTriggers[] = {U"qq", U"扣扣", U"企鹅", U"q号", U"qq号",
                                                    U"扣扣号", U"企鹅号", U"q"};
  static const std::u32string_view kHandleTriggers[] = {
      U"加我", U"加", U"微信", U"微信号", U"薇信", U"威信", U"vx号", U"wx号", U"vx", U"wx",
      U"v", U"联系", U"联系我", U"电话", U"手机", U"手机号", U"私聊", U"私信", U"加v", U"加微"};
  constexpr std::string_view block_suggestion = "请不要发送联系方式，请在平台内沟通";
  // The last characters of the triggers: a run not preceded by one of them has no trigger.
  static const std::u32string kTriggerTails = [] {
    std::u32string tails;
    for (auto w : kQqTriggers) tails.push_back(w.back());
    for (auto w : kHandleTriggers) tails.push_back(w.back());
    return tails;
  }();
  std::span<const uint32_t> alnum = n.ascii_alnum();
  size_t a = 0;
  while (a < alnum.size()) {
    size_t i = alnum[a++];
    size_t j = i + 1;
    while (a < alnum.size() && alnum[a] == j) ++j, ++a;
    // [i, j) is an ASCII alphanumeric run (separators between its characters already dropped).
    // An ASCII trigger may open the run when a separator follows it ("V: abc123", "qq 12345").
    size_t hb = i;
    std::u32string_view lead;
    const bool ascii_trigger = t[i] == 'q' || t[i] == 'v' || t[i] == 'w';  // qq vx wx v q
    for (std::u32string_view trig : {std::u32string_view(U"qq"), std::u32string_view(U"vx"),
                                     std::u32string_view(U"wx"), std::u32string_view(U"v"),
                                     std::u32string_view(U"q")}) {
      if (!ascii_trigger) break;
      size_t k = i + trig.size();
      if (k >= j || t.substr(i, trig.size()) != trig) continue;
      bool sep = n.GapBefore(k);
      bool two = trig.size() == 2;  // "qq123456", "vxabc123" need no separator
      bool digits_follow = IsDigit(t[k]);
      if (sep || (two && (trig == U"qq" ? digits_follow : true))) {
        if (i > 0 && IsAsciiLetter(t[i - 1]) && !n.GapBefore(i)) break;  // inside a word
        hb = k;
        lead = trig;
        break;
      }
    }
    size_t len = j - hb;
    bool all_digits = true;
    for (size_t k = hb; k < j; ++k) all_digits = all_digits && IsDigit(t[k]);
    std::string_view rule;
    if (lead.empty() && all_digits && len == 11 && t[hb] == '1' && t[hb + 1] >= '3' && t[hb + 1] <= '9') {
      bool order = false;
      for (size_t back = 0; back <= 6 && back <= hb && !order; ++back) {
        for (auto w : kOrderContext) order = order || EndsWithAt(t, hb - back, w);
      }
      bool glued = (hb > 0 && IsAsciiLetter(t[hb - 1]) && !n.GapBefore(hb));
      if (!order && !glued) rule = "mobile";
    }
    if (rule.empty() && len >= 5 && len <= 20) {
      bool qq = lead == U"qq" || lead == U"q";
      bool handle = !lead.empty() && !qq;
      if (lead.empty() && hb > 0 && kTriggerTails.find(t[hb - 1]) != std::u32string::npos) {
        for (auto w : kQqTriggers) qq = qq || EndsWithAt(t, hb, w);
        for (auto w : kHandleTriggers) handle = handle || EndsWithAt(t, hb, w);
        // An ASCII trigger glued to the run is part of it ("vip88888"), not a trigger.
        if (hb > 0 && IsAsciiLetter(t[hb - 1])) qq = handle = false;
      }
      if (qq && all_digits && len <= 12) {
        rule = "contact_qq";
      } else if (handle || qq) {
        bool has_digit = false;
        for (size_t k = hb; k < j; ++k) has_digit = has_digit || IsDigit(t[k]);
        if (has_digit || len >= 6) rule = "contact_handle";
      }
    }
    if (!rule.empty()) out->push_back({hb, j, "off_platform", rule, Severity::kBlock, block_suggestion, nullptr});
  }
}

core::Result<CheckResult> Guard::Impl::Check(std::string_view utf8, core::Platform platform,
                                             const CustomWordSet* custom) const {
  thread_local ThreadState ts;
  text::ScanForms& n = ts.forms;
  KEFU_TRY(n.Assign(utf8, pinyin_filter.get()));
  CheckResult result;
  if (n.size() == 0) return result;
  std::u32string_view t = n.text();
  std::u16string_view bmp = n.bmp();
  const uint8_t platform_bit = static_cast<uint8_t>(1u << static_cast<int>(platform));

  hs_scratch_t* scratch = Scratch(ts);
  if (scratch == nullptr) return core::Internal("compliance: cannot allocate matcher scratch");

  std::vector<Found>& found = ts.found;
  std::vector<std::pair<size_t, size_t>>& allowed = ts.allowed;
  found.clear();
  allowed.clear();
  const size_t num_entries = lex.entries.size();

  auto accept_entry = [&](const Entry& e, size_t b, size_t ee) {
    if (e.own_mask & platform_bit) return;
    if (e.whole && !(b == 0 && ee == t.size())) return;
    if (!AsciiEdgesOk(n, b, ee)) return;
    found.push_back({b, ee, e.category, e.rule, e.severity, e.suggestion, &e.replacements});
  };

  ts.hits.clear();
  hs_scan(text_db, reinterpret_cast<const char*>(bmp.data()), static_cast<unsigned>(2 * bmp.size()), 0,
          scratch, OnMatch, &ts.hits);
  for (const Hit& h : ts.hits) {
    if (h.to % 2 != 0) continue;  // not on a code point boundary
    long e = static_cast<long>(h.to / 2);
    long b = e - static_cast<long>(text_len[h.id]);
    if (h.id >= num_entries) {
      allowed.emplace_back(b, e);
    } else {
      accept_entry(lex.entries[h.id], b, e);
    }
  }
  if (t.size() <= whole_max) {
    for (unsigned id : whole_ids) {
      if (lex.entries[id].norm == t) accept_entry(lex.entries[id], 0, t.size());
    }
  }
  if (pinyin_db != nullptr && NeedsPinyin(n)) {
    std::string_view py = n.pinyin();
    ts.hits.clear();
    hs_scan(pinyin_db, py.data(), static_cast<unsigned>(py.size()), 0, scratch, OnMatch, &ts.hits);
    for (const Hit& h : ts.hits) {
      long e = n.IndexAtPinyinByte(h.to);
      long b = n.IndexAtPinyinByte(h.to - pinyin_len[h.id]);
      if (b < 0 || e < 0 || b >= e) continue;
      const Entry& en = lex.entries[h.id];
      bool any_han = false, all_han = true, shares = false;
      for (long k = b; k < e; ++k) {
        bool han = t[k] >= 0x80;
        any_han = any_han || han;
        all_han = all_han && han;
      }
      if (any_han && !en.homophones) continue;  // `latin` entries: Latin spellings only
      if (all_han) {
        // A Han homophone must keep at least one character of the word (威信 keeps 信), so
        // unrelated words that merely sound alike (都因 / 抖音) stay clean.
        if (static_cast<size_t>(e - b) != en.norm.size()) continue;
        for (long k = b; k < e; ++k) shares = shares || t[k] == en.norm[k - b];
        if (!shares) continue;
        if (t.substr(b, e - b) == en.norm) continue;  // the literal hit has it
      }
      if (en.own_mask & platform_bit) continue;
      if (!AsciiEdgesOk(n, b, e)) continue;
      found.push_back({static_cast<size_t>(b), static_cast<size_t>(e), en.category, en.rule_pinyin,
                       en.severity, en.suggestion, &en.replacements});
    }
  }
  if (n.has_ascii_alnum()) ScanContacts(n, &found);  // handles are runs of ASCII letters/digits
  if (AllFillerChars(t)) {
    found.push_back({0, t.size(), "filler", "bare_filler", Severity::kWarn,
                     "请给出具体答复，例如：亲，这款今天下单48小时内发货哦", nullptr});
  }
  if (custom != nullptr && !custom->empty()) {
    std::vector<CustomWordSet::Match>& matches = ts.custom;
    matches.clear();
    custom->Find(t, &matches);
    for (const auto& m : matches) {
      if (custom->allow(m.word)) {
        allowed.emplace_back(m.begin, m.end);
      } else if (AsciiEdgesOk(n, m.begin, m.end)) {
        found.push_back({m.begin, m.end, "custom", "shop_block", Severity::kBlock, custom->suggestion(m.word),
                         &custom->replacements(m.word)});
      }
    }
  }
  if (found.empty()) return result;

  // Context: drop findings that lie wholly inside an allowed word (微笑, 第一次, 垃圾袋...).
  if (!allowed.empty()) {
    std::erase_if(found, [&](const Found& f) {
      for (auto [ab, ae] : allowed) {
        if (ab <= f.b && f.e <= ae) return true;
      }
      return false;
    });
  }
  // Quoting the buyer (您说的“微信”我们这边不能用哦) names a platform without steering anyone to it.
  bool any_third_party = false;
  for (const Found& f : found) any_third_party = any_third_party || f.category == "third_party";
  if (any_third_party && HasQuoteMark(utf8)) {
    auto cps = text::DecodeUtf8(utf8);  // valid: Assign accepted it
    if (cps.ok()) {
      std::erase_if(found, [&](const Found& f) {
        if (f.category != "third_party") return false;
        auto [ob, oe] = n.OriginalSpan(f.b, f.e);
        return InsideBuyerQuote(*cps, ob, oe);
      });
    }
  }
  // One finding per place: drop a finding inside a longer (or equal, earlier) one of its category.
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.b != b.b ? a.b < b.b : a.e > b.e;
  });
  std::vector<Found>& kept = ts.kept;
  kept.clear();
  for (const Found& f : found) {
    bool inside = false;
    for (const Found& k : kept) {
      if (k.category == f.category && k.b <= f.b && f.e <= k.e) {
        inside = true;
        break;
      }
    }
    if (!inside) kept.push_back(f);
  }
  if (kept.empty()) return result;

  result.violations.reserve(kept.size());
  for (const Found& f : kept) {
    Violation v;
    auto [ob, oe] = n.OriginalSpan(f.b, f.e);
    v.category = std::string(f.category);
    v.rule = std::string(f.rule);
    v.severity = f.severity;
    v.start = ob;
    v.end = oe;
    v.match = std::string(n.OriginalSubstr(utf8, f.b, f.e));
    v.suggestion = std::string(f.suggestion);
    if (f.replacements != nullptr) v.replacements = *f.replacements;
    if (v.severity == Severity::kBlock) result.ok = false;
    result.violations.push_back(std::move(v));
  }
  std::stable_sort(result.violations.begin(), result.violations.end(),
                   [](const Violation& a, const Violation& b) { return a.start < b.start; });
  return result;
}

}  // namespace kefu::compliance
