// libFuzzer target: any bytes through text::Normalize, text::ScanForms (which must agree with
// Normalize and Pinyin) and Guard::Check on every platform, with custom words cut from the input.
// Invalid UTF-8 must come back as kInvalidArgument, never a crash; every reported span must lie
// inside the text and its match must be that substring.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compliance/compliance.h"
#include "text/text.h"

namespace {

const kefu::compliance::Guard& G() {
  static const auto* guard = kefu::compliance::Guard::Create().value().release();
  return *guard;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto cps = kefu::text::DecodeUtf8(in);
  auto norm = kefu::text::Normalize(in);
  if (cps.ok() != norm.ok()) std::abort();
  if (norm.ok()) {
    if (norm->text.size() != norm->begin.size() || norm->text.size() != norm->end.size()) std::abort();
    for (size_t i = 0; i < norm->text.size(); ++i) {
      if (norm->begin[i] >= norm->end[i] || norm->end[i] > norm->original_length) std::abort();
    }
  }
  // The scan pass (reused buffers, as in the guard) must give Normalize's text and spans.
  static kefu::text::ScanForms forms;
  auto st = forms.Assign(in);
  if (st.ok() != norm.ok()) std::abort();
  if (norm.ok()) {
    if (forms.text() != std::u32string_view(norm->text)) std::abort();
    if (forms.original_length() != norm->original_length) std::abort();
    std::string py;
    for (size_t i = 0; i < norm->text.size(); ++i) {
      if (forms.OriginalSpan(i, i + 1) != norm->OriginalSpan(i, i + 1)) std::abort();
      if (forms.GapBefore(i) != norm->GapBefore(i)) std::abort();
      char32_t c = norm->text[i];
      if (c < 0x80) {
        py.push_back(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? static_cast<char>(c) : '\x01');
      } else if (!kefu::text::Pinyin(c).empty()) {
        py.append(kefu::text::Pinyin(c));
      } else {
        py.push_back('\x01');
      }
    }
    if (forms.pinyin() != py) std::abort();
  } else if (st.message() != norm.status().message()) {
    std::abort();
  }
  kefu::compliance::CustomWords words;
  if (size > 8) {
    words.block.emplace_back(in.substr(0, 4));
    words.allow.emplace_back(in.substr(4, 4));
  }
  for (auto p : {kefu::core::Platform::kPdd, kefu::core::Platform::kTaobao,
                 kefu::core::Platform::kKuaishou, kefu::core::Platform::kJd}) {
    auto r = G().Check(in, p, &words);
    if (r.ok() != cps.ok()) std::abort();
    if (!r.ok()) {
      if (r.status().code() != kefu::core::Code::kInvalidArgument) std::abort();
      continue;
    }
    bool blocked = false;
    for (const auto& v : r->violations) {
      if (v.start >= v.end || v.end > cps->size()) std::abort();
      std::u32string_view sub = std::u32string_view(*cps).substr(v.start, v.end - v.start);
      if (kefu::text::EncodeUtf8(sub) != v.match) std::abort();
      blocked = blocked || v.severity == kefu::compliance::Severity::kBlock;
    }
    if (r->ok == blocked) std::abort();
  }
  return 0;
}
