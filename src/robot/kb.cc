// Knowledge-base values and their JSONL/CSV forms.
#include <set>
#include <string>
#include <vector>

#include <simdjson.h>

#include "robot/internal/json.h"
#include "robot/robot.h"

namespace kefu::robot {
namespace {

core::Status LineError(size_t line, const std::string& msg, const std::string& field = {}) {
  return core::InvalidArgument("line " + std::to_string(line) + ": " + msg, field);
}

core::Result<std::optional<core::Timestamp>> ParseTime(std::string_view v, size_t line,
                                                       const std::string& field) {
  if (v.empty()) return std::optional<core::Timestamp>();
  auto t = core::ParseRfc3339(v);
  if (!t.ok()) return LineError(line, field + " is not an RFC 3339 time", field);
  return std::optional<core::Timestamp>(*t);
}

core::Status CheckEntry(const FaqEntry& e, size_t line, std::set<std::string>* seen) {
  if (e.id.empty()) return LineError(line, "id is missing or empty", "id");
  if (e.question.empty()) return LineError(line, "question is missing or empty", "question");
  if (e.answer.empty()) return LineError(line, "answer is missing or empty", "answer");
  if (!seen->insert(e.id).second) return LineError(line, "duplicate id " + e.id, "id");
  if (e.valid_from && e.valid_to && *e.valid_to <= *e.valid_from) {
    return LineError(line, "valid_to must be after valid_from", "valid_to");
  }
  return core::Status::Ok();
}

// Splits CSV text into records of fields (RFC 4180). Records remember their first line.
core::Status SplitCsv(std::string_view text,
                      std::vector<std::pair<size_t, std::vector<std::string>>>* out) {
  size_t line = 1, i = 0;
  while (i < text.size()) {
    size_t start_line = line;
    std::vector<std::string> fields;
    std::string field;
    bool in_quotes = false, field_quoted = false;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            in_quotes = false;
          }
        } else {
          if (c == '\n') ++line;
          field += c;
        }
        continue;
      }
      if (c == '"') {
        if (!field.empty()) return LineError(line, "quote inside an unquoted field");
        in_quotes = field_quoted = true;
      } else if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
        field_quoted = false;
      } else if (c == '\r') {
        // tolerated before \n
      } else if (c == '\n') {
        ++line;
        ++i;
        break;
      } else {
        field += c;
      }
    }
    if (in_quotes) return LineError(start_line, "unterminated quoted field");
    fields.push_back(std::move(field));
    (void)field_quoted;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    out->emplace_back(start_line, std::move(fields));
  }
  return core::Status::Ok();
}

std::string CsvField(std::string_view v) {
  if (v.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

bool FaqEntry::ActiveAt(core::Timestamp t) const {
  if (!enabled) return false;
  if (valid_from && t < *valid_from) return false;
  if (valid_to && t >= *valid_to) return false;
  return true;
}

core::Result<std::vector<FaqEntry>> ParseKbJsonl(std::string_view text) {
  std::vector<FaqEntry> kb;
  std::set<std::string> seen;
  simdjson::dom::parser parser;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      if (nl == text.size()) break;
      continue;
    }
    simdjson::dom::element doc;
    if (parser.parse(line.data(), line.size()).get(doc)) {
      return LineError(line_no, "not valid JSON");
    }
    simdjson::dom::object obj;
    if (doc.get(obj)) return LineError(line_no, "not a JSON object");
    FaqEntry e;
    for (auto [key, value] : obj) {
      std::string k(key);
      std::string_view s;
      if (k == "id" || k == "question" || k == "answer" || k == "category" ||
          k == "valid_from" || k == "valid_to") {
        if (value.is_null() && k != "id" && k != "question" && k != "answer") continue;
        if (value.get(s)) return LineError(line_no, k + " must be a string", k);
        if (k == "id") e.id = s;
        if (k == "question") e.question = s;
        if (k == "answer") e.answer = s;
        if (k == "category") e.category = s;
        if (k == "valid_from") {
          KEFU_ASSIGN_OR_RETURN(e.valid_from, ParseTime(s, line_no, k));
        }
        if (k == "valid_to") {
          KEFU_ASSIGN_OR_RETURN(e.valid_to, ParseTime(s, line_no, k));
        }
      } else if (k == "similar") {
        if (value.is_null()) continue;
        simdjson::dom::array arr;
        if (value.get(arr)) return LineError(line_no, "similar must be an array of strings", k);
        for (auto item : arr) {
          if (item.get(s)) return LineError(line_no, "similar must be an array of strings", k);
          if (!s.empty()) e.similar.emplace_back(s);
        }
      } else if (k == "enabled") {
        bool b;
        if (value.get(b)) return LineError(line_no, "enabled must be true or false", k);
        e.enabled = b;
      }
      // Other keys are ignored so that exports from other tools load.
    }
    KEFU_TRY(CheckEntry(e, line_no, &seen));
    kb.push_back(std::move(e));
    if (nl == text.size()) break;
  }
  return kb;
}

core::Result<std::vector<FaqEntry>> ParseKbCsv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // Excel's BOM
  std::vector<std::pair<size_t, std::vector<std::string>>> rows;
  KEFU_TRY(SplitCsv(text, &rows));
  if (rows.empty()) return core::InvalidArgument("line 1: missing header row");
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < rows[0].second.size(); ++i) col[rows[0].second[i]] = i;
  for (const char* need : {"id", "question", "answer"}) {
    if (!col.count(need)) {
      return LineError(rows[0].first, std::string("header lacks column ") + need, need);
    }
  }
  std::vector<FaqEntry> kb;
  std::set<std::string> seen;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& [line, f] = rows[r];
    if (f.size() != rows[0].second.size()) {
      return LineError(line, "has " + std::to_string(f.size()) + " fields, header has " +
                                 std::to_string(rows[0].second.size()));
    }
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      return it == col.end() ? std::string() : f[it->second];
    };
    FaqEntry e;
    e.id = get("id");
    e.question = get("question");
    e.answer = get("answer");
    e.category = get("category");
    std::string similar = get("similar");
    size_t p = 0;
    while (p <= similar.size() && !similar.empty()) {
      size_t bar = similar.find('|', p);
      if (bar == std::string::npos) bar = similar.size();
      if (bar > p) e.similar.push_back(similar.substr(p, bar - p));
      p = bar + 1;
    }
    std::string enabled = get("enabled");
    if (enabled == "" || enabled == "true" || enabled == "1") {
      e.enabled = true;
    } else if (enabled == "false" || enabled == "0") {
      e.enabled = false;
    } else {
      return LineError(line, "enabled must be true or false", "enabled");
    }
    KEFU_ASSIGN_OR_RETURN(e.valid_from, ParseTime(get("valid_from"), line, "valid_from"));
    KEFU_ASSIGN_OR_RETURN(e.valid_to, ParseTime(get("valid_to"), line, "valid_to"));
    KEFU_TRY(CheckEntry(e, line, &seen));
    kb.push_back(std::move(e));
  }
  return kb;
}

core::Result<std::vector<QuestionLine>> ParseQuestionsJsonl(std::string_view text) {
  std::vector<QuestionLine> out;
  simdjson::dom::parser parser;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    simdjson::dom::element doc;
    if (parser.parse(line.data(), line.size()).get(doc)) return LineError(line_no, "not valid JSON");
    simdjson::dom::object obj;
    if (doc.get(obj)) return LineError(line_no, "not a JSON object");
    simdjson::dom::element id;
    if (obj["id"].get(id)) return LineError(line_no, "missing \"id\"", "id");
    if (!id.is_string() && !id.is_int64() && !id.is_uint64()) {
      return LineError(line_no, "\"id\" must be a string or an integer", "id");
    }
    std::string_view t;
    if (obj["text"].get(t)) return LineError(line_no, "missing \"text\" or it is not a string", "text");
    out.push_back(QuestionLine{simdjson::minify(id), std::string(t)});
  }
  return out;
}

std::string KbToJsonl(const std::vector<FaqEntry>& kb) {
  std::string out;
  for (const auto& e : kb) {
    out += "{\"id\":" + internal::JsonString(e.id) +
           ",\"question\":" + internal::JsonString(e.question) +
           ",\"answer\":" + internal::JsonString(e.answer) + ",\"similar\":[";
    for (size_t i = 0; i < e.similar.size(); ++i) {
      if (i) out += ',';
      out += internal::JsonString(e.similar[i]);
    }
    out += "],\"category\":" + internal::JsonString(e.category) +
           ",\"enabled\":" + (e.enabled ? "true" : "false");
    if (e.valid_from) out += ",\"valid_from\":" + internal::JsonString(core::FormatRfc3339(*e.valid_from));
    if (e.valid_to) out += ",\"valid_to\":" + internal::JsonString(core::FormatRfc3339(*e.valid_to));
    out += "}\n";
  }
  return out;
}

std::string KbToCsv(const std::vector<FaqEntry>& kb) {
  std::string out = "id,question,similar,answer,category,enabled,valid_from,valid_to\n";
  for (const auto& e : kb) {
    std::string similar;
    for (size_t i = 0; i < e.similar.size(); ++i) similar += (i ? "|" : "") + e.similar[i];
    out += CsvField(e.id) + ',' + CsvField(e.question) + ',' + CsvField(similar) + ',' +
           CsvField(e.answer) + ',' + CsvField(e.category) + ',' +
           (e.enabled ? "true" : "false") + ',' +
           (e.valid_from ? core::FormatRfc3339(*e.valid_from) : "") + ',' +
           (e.valid_to ? core::FormatRfc3339(*e.valid_to) : "") + '\n';
  }
  return out;
}

std::string RenderAnswer(std::string_view answer, const std::map<std::string, std::string>& vars) {
  std::string out;
  size_t i = 0;
  while (i < answer.size()) {
    if (answer[i] == '{') {
      size_t close = answer.find('}', i + 1);
      if (close != std::string_view::npos) {
        auto it = vars.find(std::string(answer.substr(i + 1, close - i - 1)));
        if (it != vars.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += answer[i++];
  }
  return out;
}

}  // namespace kefu::robot
