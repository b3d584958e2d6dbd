// `kefu check`: the compliance guard from the command line. One text (a readable report, or JSON
// with --json) or JSON lines ({"id","text","platform"?} in, one verdict per line out, in order).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "cli/cli.h"
#include "compliance/compliance.h"

namespace kefu::cli {
namespace {

namespace cp = kefu::compliance;

constexpr std::string_view kCmd = "check";
constexpr const char* kUsage =
    "usage: kefu check [--platform pdd|taobao|kuaishou|jd] [--json] TEXT | kefu check "
    "[--platform P] --jsonl FILE|-";

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// {"ok":..,"violations":[..]} without the closing brace, after `prefix` (e.g. "{\"id\":..,").
void AppendResult(const cp::CheckResult& r, std::string* out) {
  out->append("\"ok\":");
  out->append(r.ok ? "true" : "false");
  out->append(",\"violations\":[");
  bool first = true;
  for (const auto& v : r.violations) {
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"category\":");
    AppendJsonString(v.category, out);
    out->append(",\"rule\":");
    AppendJsonString(v.rule, out);
    out->append(",\"severity\":");
    AppendJsonString(cp::SeverityName(v.severity), out);
    out->append(",\"start\":" + std::to_string(v.start) + ",\"end\":" + std::to_string(v.end));
    out->append(",\"match\":");
    AppendJsonString(v.match, out);
    out->append(",\"suggestion\":");
    AppendJsonString(v.suggestion, out);
    out->push_back('}');
  }
  out->push_back(']');
}

std::string_view CategoryZh(std::string_view c) {
  if (c == "third_party") return "站外平台/联系工具";
  if (c == "off_platform") return "引导站外交易/留联系方式";
  if (c == "uncivil") return "不文明用语";
  if (c == "filler") return "无效回复";
  if (c == "extreme_word") return "广告法极限词";
  if (c == "over_promise") return "过度承诺";
  if (c == "custom") return "店铺自定义禁用词";
  return c;
}

void PrintReport(const cp::CheckResult& r, core::Platform platform) {
  std::printf("平台 platform: %s\n", std::string(core::PlatformName(platform)).c_str());
  if (r.violations.empty()) {
    std::printf("通过：未发现问题 / OK: no issues found\n");
    return;
  }
  std::printf("%s\n", r.ok ? "可以发送，但有提醒 / OK to send, with warnings"
                           : "不能发送：含禁止内容 / BLOCKED: must not be sent");
  for (const auto& v : r.violations) {
    std::printf("  [%s] %s (%s/%s) 「%s」 字符 chars %zu-%zu\n        建议 suggestion: %s\n",
                v.severity == cp::Severity::kBlock ? "禁止 block" : "提醒 warn",
                std::string(CategoryZh(v.category)).c_str(), v.category.c_str(), v.rule.c_str(),
                v.match.c_str(), v.start, v.end, v.suggestion.c_str());
  }
}

int Jsonl(const cp::Guard& guard, const std::string& file, core::Platform default_platform) {
  std::istream* in = &std::cin;
  std::ifstream f;
  if (file != "-") {
    f.open(file, std::ios::binary);
    if (!f) return UsageError(kCmd, "cannot open " + file);
    in = &f;
  }
  simdjson::ondemand::parser parser;
  std::string line;
  std::string out;
  size_t line_no = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    auto bad = [&](const std::string& msg) {
      std::fflush(stdout);
      return UsageError(kCmd, "line " + std::to_string(line_no) + ": " + msg);
    };
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc)) return bad("not JSON");
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return bad("not a JSON object");
    std::string id_json;
    std::string text;
    bool has_text = false;
    core::Platform platform = default_platform;
    for (auto field_result : obj) {
      simdjson::ondemand::field field;
      if (std::move(field_result).get(field)) return bad("malformed JSON");
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad("malformed JSON key");
      if (key == "id") {
        simdjson::ondemand::json_type type;
        if (field.value().type().get(type)) return bad("malformed \"id\"");
        if (type == simdjson::ondemand::json_type::string) {
          std::string_view s;
          if (field.value().get_string().get(s)) return bad("\"id\" is not a valid string");
          id_json.clear();
          AppendJsonString(s, &id_json);
        } else if (type == simdjson::ondemand::json_type::number) {
          std::string_view raw = field.value().raw_json_token();
          id_json = std::string(raw);
          while (!id_json.empty() && (id_json.back() == ' ' || id_json.back() == '\t')) id_json.pop_back();
        } else {
          return bad("\"id\" must be a string or a number");
        }
      } else if (key == "text") {
        std::string_view s;
        if (field.value().get_string().get(s)) {
          return bad("\"text\" must be a string of valid Unicode (no lone surrogates)");
        }
        text = std::string(s);
        has_text = true;
      } else if (key == "platform") {
        std::string_view s;
        if (field.value().get_string().get(s)) return bad("\"platform\" must be a string");
        auto p = core::ParsePlatform(s);
        if (!p) return bad("unknown platform \"" + std::string(s) + "\" (pdd, taobao, kuaishou, jd)");
        platform = *p;
      }  // other fields are skipped by the iteration
    }
    if (id_json.empty()) return bad("missing \"id\"");
    if (!has_text) return bad("missing \"text\"");
    auto r = guard.Check(text, platform);
    if (!r.ok()) return bad(r.status().message());
    out.clear();
    out.append("{\"id\":");
    out.append(id_json);
    out.push_back(',');
    AppendResult(*r, &out);
    out.append("}\n");
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (in->bad()) return UsageError(kCmd, "read error after line " + std::to_string(line_no));
  return kExitOk;
}

int Check(const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"platform", "jsonl"}, {"json", "help"});
  if (!parsed.ok()) return UsageError(kCmd, parsed.status().message() + "\n" + kUsage);
  const Args& args = *parsed;
  if (args.Has("help")) {
    std::printf("%s\n", kUsage);
    return kExitOk;
  }
  core::Platform platform = core::Platform::kPdd;
  if (auto p = args.Get("platform")) {
    auto parsed_platform = core::ParsePlatform(*p);
    if (!parsed_platform) return UsageError(kCmd, "unknown --platform " + *p + " (pdd, taobao, kuaishou, jd)");
    platform = *parsed_platform;
  }
  auto guard = cp::Guard::Create();
  if (!guard.ok()) {
    std::fprintf(stderr, "kefu check: %s\n", guard.status().ToString().c_str());
    return kExitUsage;
  }
  if (auto file = args.Get("jsonl")) {
    if (!args.positional().empty()) return UsageError(kCmd, "TEXT and --jsonl are exclusive\n" + std::string(kUsage));
    return Jsonl(**guard, *file, platform);
  }
  if (args.positional().empty()) return UsageError(kCmd, std::string("missing TEXT\n") + kUsage);
  std::string text;
  for (size_t i = 0; i < args.positional().size(); ++i) {
    if (i > 0) text.push_back(' ');
    text += args.positional()[i];
  }
  auto r = (*guard)->Check(text, platform);
  if (!r.ok()) return UsageError(kCmd, r.status().message());
  if (args.Has("json")) {
    std::string out = "{";
    AppendResult(*r, &out);
    out.append("}\n");
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else {
    PrintReport(*r, platform);
  }
  return r->ok ? kExitOk : kExitNo;
}

}  // namespace

KEFU_COMMAND("check", "compliance guard: check messages before they are sent (kefu check --help)",
             Check);

}  // namespace kefu::cli
