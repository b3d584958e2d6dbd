// `kefu robot match --kb KB.jsonl --jsonl QUESTIONS.jsonl|-`: the FAQ robot in batch.
// Output: one line per question, in input order:
//   {"id","faq_id": str|null,"score": float,"candidates":[{"faq_id","score"}]}
// faq_id null means the robot abstains and hands the buyer to a human.
// `--explain` adds "reason", "confidence", "terms" and "matched_question" to each line.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "robot/robot.h"

namespace {

constexpr const char* kCmd = "robot";
constexpr const char* kUsage =
    "usage: kefu robot match --kb KB.jsonl|KB.csv --jsonl QUESTIONS.jsonl|- [--explain] "
    "[--threshold X]";

bool ReadAll(const std::string& path, std::string* out) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

int Match(const std::vector<std::string>& args) {
  auto parsed = kefu::cli::Args::Parse(args, {"kb", "jsonl", "threshold"}, {"explain"});
  if (!parsed.ok()) return kefu::cli::UsageError(kCmd, parsed.status().message());
  auto kb_path = parsed->Require("kb");
  auto q_path = parsed->Require("jsonl");
  if (!kb_path.ok() || !q_path.ok()) return kefu::cli::UsageError(kCmd, kUsage);
  if (*kb_path == "-" && *q_path == "-") {
    return kefu::cli::UsageError(kCmd, "--kb and --jsonl cannot both be stdin");
  }
  kefu::robot::MatcherOptions options;
  if (auto t = parsed->Get("threshold")) {
    char* end = nullptr;
    // The confidence the robot needs to answer (the decision model's cut; the plain threshold
    // rule's when a build has no model).
    const double v = std::strtod(t->c_str(), &end);
    if (end == t->c_str() || *end || v < 0 || v > 1) {
      return kefu::cli::UsageError(kCmd, "--threshold must be a number in [0, 1]");
    }
    options.threshold = v;
    options.answer_confidence = v;
  }
  const bool explain = parsed->Has("explain");

  std::string kb_text;
  if (!ReadAll(*kb_path, &kb_text)) return kefu::cli::UsageError(kCmd, "cannot read " + *kb_path);
  const bool csv = kb_path->size() > 4 && kb_path->substr(kb_path->size() - 4) == ".csv";
  auto kb = csv ? kefu::robot::ParseKbCsv(kb_text) : kefu::robot::ParseKbJsonl(kb_text);
  if (!kb.ok()) return kefu::cli::UsageError(kCmd, *kb_path + ": " + kb.status().message());

  std::string q_text;
  if (!ReadAll(*q_path, &q_text)) return kefu::cli::UsageError(kCmd, "cannot read " + *q_path);
  const std::string name = *q_path == "-" ? "stdin" : *q_path;
  auto questions = kefu::robot::ParseQuestionsJsonl(q_text);
  if (!questions.ok()) return kefu::cli::UsageError(kCmd, name + " " + questions.status().message());

  auto matcher = kefu::robot::Matcher::Build(std::move(kb).value(), kefu::robot::DefaultLexicon(),
                                             options);
  if (!matcher.ok()) return kefu::cli::UsageError(kCmd, *kb_path + ": " + matcher.status().message());

  std::string out;
  for (const auto& q : *questions) {
    auto r = matcher->Match(q.text);
    out += "{\"id\":" + q.id_json + ",\"faq_id\":" + (r.faq_id ? Quote(*r.faq_id) : "null") +
           ",\"score\":" + Num(r.score) + ",\"candidates\":[";
    for (size_t i = 0; i < r.candidates.size(); ++i) {
      if (i) out += ',';
      out += "{\"faq_id\":" + Quote(r.candidates[i].faq_id) + ",\"score\":" + Num(r.candidates[i].score) + "}";
    }
    out += "]";
    if (explain) {
      out += ",\"reason\":" + Quote(r.reason) + ",\"confidence\":" + Num(r.confidence) +
             ",\"matched_question\":" + Quote(r.matched_question) +
             ",\"terms\":[";
      for (size_t i = 0; i < r.matched_terms.size(); ++i) out += (i ? "," : "") + Quote(r.matched_terms[i]);
      out += "]";
    }
    out += "}\n";
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kefu::cli::kExitOk;
}

}  // namespace

KEFU_COMMAND("robot", "FAQ robot: `robot match --kb KB.jsonl --jsonl Q.jsonl|-`",
             [](const std::vector<std::string>& args) -> int {
               if (args.empty() || args[0] != "match") {
                 return kefu::cli::UsageError(kCmd, kUsage);
               }
               return Match(std::vector<std::string>(args.begin() + 1, args.end()));
             });
