// Private to src/compliance: the lexicon entries and platform profiles, parsed from embedded data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compliance/compliance.h"
#include "core/core.h"

namespace kefu::compliance::internal {

struct Entry {
  std::string word;        // as written in the lexicon
  std::u32string norm;     // normalised (text::Normalize)
  std::string norm_utf8;
  std::string pinyin;      // toneless pinyin of `norm` (Han syllables, ASCII kept), no spaces
  std::string category;
  std::string rule;
  std::string rule_pinyin;  // rule + ".pinyin": the rule of a finding by sound
  std::string suggestion;
  std::vector<std::string> replacements;  // ReplacementsOf(suggestion)
  Severity severity = Severity::kBlock;
  bool homophones = false;  // flag `pinyin`: also Han homophones and mixed spellings
  bool latin = false;       // flag `latin`: also the pinyin spelled in Latin letters
  bool whole = false;       // flag `whole`: only when it is the entire message
  uint8_t own_mask = 0;     // bit (1 << int(Platform)) set: the platform's own word, not reported
};

struct Lexicon {
  std::vector<Entry> entries;
  std::vector<std::u32string> allow;  // normalised allow words
};

// Parses the embedded data/lexicons/*.tsv and config/platforms/*.toml [compliance] tables.
core::Result<Lexicon> LoadLexicon();

// Severity of a category ("third_party" -> kBlock, "filler" -> kWarn, ...).
Severity CategorySeverity(std::string_view category);

}  // namespace kefu::compliance::internal
