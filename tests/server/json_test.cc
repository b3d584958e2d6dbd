#include "server/json.h"

#include <gtest/gtest.h>

namespace kefu::server {
namespace {

// The hand-written writer must produce what a JSON library reads back as the same values.
TEST(JsonWriter, EscapesLikeTheStandardRequires) {
  const std::string tricky[] = {
      "plain", "", "引号\"和反斜杠\\", "line\nbreak\ttab\rret", std::string("nul\0byte", 8),
      "\x01\x1f控制", "emoji 😀 and 全角ＡＢＣ", "</script>", "\xe2\x80\xa8 line separator"};
  for (const auto& text : tricky) {
    std::string out;
    JsonWriter w(out);
    w.BeginObject().Key("t").String(text).Key("n").Null().Key("i").Int(-42).Key("o");
    w.BeginObject().Key("x").StringOrNull("").EndObject();
    w.Key("r").Raw("[1,2]").EndObject();
    boost::system::error_code ec;
    auto v = json::parse(out, ec);
    ASSERT_FALSE(ec) << out;
    const auto& o = v.as_object();
    EXPECT_EQ(std::string(o.at("t").as_string()), text);
    EXPECT_TRUE(o.at("n").is_null());
    EXPECT_EQ(o.at("i").as_int64(), -42);
    EXPECT_TRUE(o.at("o").as_object().at("x").is_null());
    EXPECT_EQ(o.at("r").as_array().size(), 2u);
  }
}

TEST(JsonWriter, MessageAndConversationCarryTheApiFields) {
  auto tz = core::TimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(tz.ok());
  conversation::Message m;
  m.id = "m_1";
  m.conversation_id = "c_1";
  m.shop_id = "s_1";
  m.buyer = "买家\"1\"";
  m.from = conversation::Sender::kBuyer;
  m.text = "在吗？\n发货了没";
  m.ts = *core::ParseRfc3339("2026-03-05T01:02:03.250Z");
  m.seq = 7;
  auto mo = MessageJson(m, *tz);
  EXPECT_EQ(std::string(mo.at("buyer").as_string()), m.buyer);
  EXPECT_EQ(std::string(mo.at("text").as_string()), m.text);
  EXPECT_EQ(std::string(mo.at("ts").as_string()), "2026-03-05T09:02:03.250+08:00");
  EXPECT_EQ(std::string(mo.at("from").as_string()), "buyer");
  EXPECT_TRUE(mo.at("agent").is_null());
  EXPECT_EQ(mo.at("seq").as_int64(), 7);
  for (const char* k : {"id", "conversation_id", "shop", "buyer", "from", "agent", "text", "ts",
                        "client_msg_id", "order_id", "seq"})
    EXPECT_TRUE(mo.contains(k)) << k;

  conversation::Conversation c;
  c.id = "c_1";
  c.shop_id = "s_1";
  c.buyer = "b";
  c.agent_id = "u_1";
  c.created_at = c.updated_at = m.ts;
  c.waiting_since = m.ts;
  c.last_text = "在吗";
  c.last_ts = m.ts;
  c.unread = 2;
  auto co = ConversationJson(c, *tz, "小美");
  EXPECT_EQ(std::string(co.at("agent_name").as_string()), "小美");
  EXPECT_EQ(std::string(co.at("reply_deadline").as_string()), "2026-03-05T09:05:03.250+08:00");
  EXPECT_EQ(std::string(co.at("last_message").as_object().at("text").as_string()), "在吗");
  EXPECT_EQ(co.at("unread").as_int64(), 2);
  EXPECT_TRUE(co.at("transfer_note").is_null());
}

}  // namespace
}  // namespace kefu::server
