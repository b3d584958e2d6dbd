// libFuzzer target: any bytes through text::Normalize and Guard::Check on every platform, with
// custom words cut from the input. Invalid UTF-8 must come back as kInvalidArgument, never a
// crash; every reported span must lie inside the text and its match must be that substring.
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
