// Platform profiles: the numbers the binary uses are the ones in config/platforms/*.toml. The
// files are read here with a line scanner of their own (not the loader's TOML parser), every key
// of [orders] and [aftersales] is compared with what DefaultProfile loaded, and every number must
// cite its source. Bad values are named by their key.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "aftersales/aftersales.h"

namespace kefu::aftersales {
namespace {

using std::chrono::hours;

const core::Platform kPlatforms[] = {core::Platform::kPdd, core::Platform::kTaobao,
                                     core::Platform::kKuaishou, core::Platform::kJd};

std::string PathOf(core::Platform p) {
  return "config/platforms/" + std::string(core::PlatformName(p)) + ".toml";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// One `key = value` line of a table, with whether it (or the comment block just above it)
// carries a comment.
struct Entry {
  std::string value;
  bool cited = false;
};

// The [table] keys of a TOML file: "orders.review_cutoff" -> "\"16:00\"".
std::map<std::string, Entry> ScanTables(const std::string& text) {
  std::map<std::string, Entry> out;
  std::istringstream in(text);
  std::string line, table;
  bool comment_above = false;
  while (std::getline(in, line)) {
    const std::string t = Trim(line);
    if (t.empty()) {
      comment_above = false;
      continue;
    }
    if (t[0] == '#') {
      comment_above = true;
      continue;
    }
    if (t[0] == '[') {
      table = t.substr(t.find_first_not_of('['), t.find(']') - t.find_first_not_of('['));
      comment_above = false;
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    std::string value = t.substr(eq + 1);
    const auto hash = value.find('#');
    const bool inline_comment = hash != std::string::npos;
    if (inline_comment) value = value.substr(0, hash);
    out[table + "." + Trim(t.substr(0, eq))] = {Trim(value), inline_comment || comment_above};
    // A comment block covers the keys that follow it up to a blank line.
  }
  return out;
}

int64_t Hours(core::Duration d) { return d / hours(1); }

// Every key of the two tables and how to read it from a loaded profile, as the file writes it.
const std::map<std::string, std::function<std::string(const PlatformProfile&)>>& Keys() {
  static const std::map<std::string, std::function<std::string(const PlatformProfile&)>> k = {
      {"orders.group_timeout_hours",
       [](const PlatformProfile& p) { return std::to_string(Hours(p.orders.group_timeout)); }},
      {"orders.review_cutoff",
       [](const PlatformProfile& p) {
         const auto m = std::chrono::duration_cast<std::chrono::minutes>(p.orders.review_cutoff);
         char buf[16];
         std::snprintf(buf, sizeof buf, "\"%02d:%02d\"", int(m.count() / 60), int(m.count() % 60));
         return std::string(buf);
       }},
      {"orders.max_ship_delay_days",
       [](const PlatformProfile& p) { return std::to_string(p.orders.max_ship_delay_days); }},
      {"orders.price_change_enabled",
       [](const PlatformProfile& p) {
         return std::string(p.orders.price_change.enabled ? "true" : "false");
       }},
      {"orders.price_change_goods_floor_percent",
       [](const PlatformProfile& p) {
         return std::to_string(p.orders.price_change.goods_floor_percent);
       }},
      {"orders.price_change_goods_max",
       [](const PlatformProfile& p) {
         return std::to_string(p.orders.price_change.goods_changes_max);
       }},
      {"orders.price_change_shipping_max",
       [](const PlatformProfile& p) {
         return std::to_string(p.orders.price_change.shipping_changes_max);
       }},
      {"aftersales.seller_response_hours",
       [](const PlatformProfile& p) {
         return std::to_string(Hours(p.aftersales.seller_response));
       }},
      {"aftersales.unshipped_refund_auto_hours",
       [](const PlatformProfile& p) {
         return std::to_string(Hours(p.aftersales.unshipped_refund_auto));
       }},
      {"aftersales.buyer_return_hours",
       [](const PlatformProfile& p) { return std::to_string(Hours(p.aftersales.buyer_return)); }},
      {"aftersales.seller_confirm_receipt_hours",
       [](const PlatformProfile& p) {
         return std::to_string(Hours(p.aftersales.seller_confirm_receipt));
       }},
      {"aftersales.problem_followup_hours",
       [](const PlatformProfile& p) {
         return std::to_string(Hours(p.aftersales.problem_followup));
       }},
      {"aftersales.small_payments_per_order",
       [](const PlatformProfile& p) {
         return std::to_string(p.aftersales.small_payments_per_order);
       }},
      {"aftersales.small_payment_cap_yuan",
       [](const PlatformProfile& p) {
         return std::to_string(p.aftersales.small_payment_cap.fen() / 100);
       }},
  };
  static const auto all = [] {
    auto out = k;
    const auto yuan = [](core::Money m) { return "\"" + m.ToString() + "\""; };
    using P = const PlatformProfile&;
    out["aftersales.permissions.campaign_gift_warning"] = [](P p) {
      return std::string(p.aftersales.permissions.campaign_gift_warning ? "true" : "false");
    };
    out["aftersales.permissions.price_protect_excluded"] = [](P p) {
      std::string s = "[";
      for (auto c : p.aftersales.permissions.price_protect_excluded)
        s += (s.size() > 1 ? ", \"" : "\"") + std::string(orders::CampaignName(c)) + "\"";
      return s + "]";
    };
    out["aftersales.permissions.lead.unlimited"] = [](P p) {
      return std::string(p.aftersales.permissions.lead.unlimited ? "true" : "false");
    };
    const std::string a = "aftersales.permissions.agent.";
    out[a + "unlimited"] = [](P p) {
      return std::string(p.aftersales.permissions.agent.unlimited ? "true" : "false");
    };
    out[a + "gift_topup_gap_yuan"] = [yuan](P p) {
      return yuan(p.aftersales.permissions.agent.gift_topup_gap);
    };
    out[a + "price_protect_days"] = [](P p) {
      return std::to_string(p.aftersales.permissions.agent.price_protect_days);
    };
    out[a + "small_payment_cap_yuan"] = [yuan](P p) {
      return yuan(p.aftersales.permissions.agent.small_payment_cap);
    };
    out[a + "small_payments_per_order"] = [](P p) {
      return std::to_string(p.aftersales.permissions.agent.small_payments_per_order);
    };
    out[a + "small_collection_cap_yuan"] = [yuan](P p) {
      return yuan(p.aftersales.permissions.agent.small_collection_cap);
    };
    for (auto cause : {GoodwillCause::kDelivery, GoodwillCause::kCampaign,
                       GoodwillCause::kWarehouse, GoodwillCause::kProduct, GoodwillCause::kBuyer}) {
      out[a + "goodwill_cap_yuan." + std::string(GoodwillCauseName(cause))] = [yuan, cause](P p) {
        const auto& caps = p.aftersales.permissions.agent.goodwill_cap;
        auto it = caps.find(cause);
        return it == caps.end() ? std::string("(absent)") : yuan(it->second);
      };
    }
    return out;
  }();
  return all;
}

TEST(Profile, EmbeddedFilesAreTheOnesInTheSourceTree) {
  for (auto p : kPlatforms) {
    SCOPED_TRACE(PathOf(p));
    const std::string text = ReadFile(PathOf(p));
    ASSERT_FALSE(text.empty()) << "run from the repository root";
    EXPECT_EQ(EmbeddedPlatformToml(p), text) << "rebuild: the embedded copy is stale";
  }
}

TEST(Profile, LoadedNumbersAreTheOnesInTheFiles) {
  for (auto p : kPlatforms) {
    SCOPED_TRACE(PathOf(p));
    const auto file = ScanTables(ReadFile(PathOf(p)));
    const PlatformProfile loaded = DefaultProfile(p);
    EXPECT_EQ(loaded.platform, p);
    EXPECT_EQ(loaded.aftersales.platform, p);
    for (const auto& [key, read] : Keys()) {
      SCOPED_TRACE(key);
      auto it = file.find(key);
      ASSERT_NE(it, file.end()) << "every platform file names every key";
      EXPECT_EQ(read(loaded), it->second.value);
    }
    // No key in the two tables that the loader would ignore.
    for (const auto& [key, entry] : file)
      if (key.rfind("orders.", 0) == 0 || key.rfind("aftersales.", 0) == 0) {
        EXPECT_TRUE(Keys().count(key)) << "unknown key " << key;
      }
  }
}

TEST(Profile, EveryNumberCitesItsSourceAndUnverifiedOnesSaySo) {
  for (auto p : kPlatforms) {
    SCOPED_TRACE(PathOf(p));
    const std::string text = ReadFile(PathOf(p));
    for (const auto& [key, entry] : ScanTables(text))
      if (key.rfind("orders.", 0) == 0 || key.rfind("aftersales.", 0) == 0) {
        EXPECT_TRUE(entry.cited) << key << " has no source comment";
      }
    // 拼多多, 快手 and 京东 timelines are not verified against the platforms' rule pages.
    const std::string after = text.substr(text.find("[aftersales]"));
    const bool unverified = after.find("NOT VERIFIED") != std::string::npos;
    EXPECT_EQ(unverified, p != core::Platform::kTaobao);
  }
}

TEST(Profile, TimelinesPerPlatformTable) {
  struct Row {
    const char* rule;
    core::Platform platform;
    int64_t seller_response_h, unshipped_refund_h, buyer_return_h, confirm_receipt_h;
  };
  const Row rows[] = {
      {"淘宝: 5 days to answer, unshipped refund after 2 days, 7-day return, 10-day receipt",
       core::Platform::kTaobao, 120, 48, 168, 240},
      {"拼多多 (not verified): 48 h, 24 h, 7 days, 7 days", core::Platform::kPdd, 48, 24, 168, 168},
      {"快手 (not verified): 48 h, 48 h, 7 days, 7 days", core::Platform::kKuaishou, 48, 48, 168,
       168},
      {"京东 (placeholders): 48 h, 24 h, 7 days, 7 days", core::Platform::kJd, 48, 24, 168, 168},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    const auto a = DefaultProfile(r.platform).aftersales;
    EXPECT_EQ(Hours(a.seller_response), r.seller_response_h);
    EXPECT_EQ(Hours(a.unshipped_refund_auto), r.unshipped_refund_h);
    EXPECT_EQ(Hours(a.buyer_return), r.buyer_return_h);
    EXPECT_EQ(Hours(a.seller_confirm_receipt), r.confirm_receipt_h);
    EXPECT_EQ(Hours(a.problem_followup), 24);
  }
  EXPECT_EQ(DefaultProfile(core::Platform::kPdd).orders.price_change.goods_floor_percent, 70);
  EXPECT_EQ(DefaultProfile(core::Platform::kPdd).orders.price_change.goods_changes_max, 1);
  EXPECT_EQ(DefaultProfile(core::Platform::kPdd).aftersales.small_payments_per_order, 3);
}

TEST(Profile, ShopOverridesAndErrorsNameTheKey) {
  auto p = LoadPlatformProfile(core::Platform::kTaobao,
                               "[orders]\nreview_cutoff = \"11:30\"\ngroup_timeout_hours = 48\n"
                               "[aftersales]\nbuyer_return_hours = 72\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->orders.review_cutoff, hours(11) + std::chrono::minutes(30));
  EXPECT_EQ(p->orders.group_timeout, hours(48));
  EXPECT_EQ(p->aftersales.buyer_return, hours(72));
  EXPECT_EQ(p->aftersales.seller_response, hours(120));  // the file's value kept
  struct Row {
    const char* rule;
    const char* platform_file;
    const char* override_toml;
    const char* field;
  };
  const std::string taobao(EmbeddedPlatformToml(core::Platform::kTaobao));
  std::string missing = taobao;
  missing.replace(missing.find("buyer_return_hours"), 18, "buyer_return_hourz");
  const Row rows[] = {
      {"cut-off must be HH:MM", taobao.c_str(), "[orders]\nreview_cutoff=\"4pm\"\n",
       "orders.review_cutoff"},
      {"hours must be integers", taobao.c_str(), "[aftersales]\nbuyer_return_hours=\"7d\"\n",
       "aftersales.buyer_return_hours"},
      {"floor percent within 0-100", taobao.c_str(),
       "[orders]\nprice_change_goods_floor_percent=170\n",
       "orders.price_change_goods_floor_percent"},
      {"a platform file must name every key", missing.c_str(), "", "aftersales.buyer_return_hours"},
      {"a platform file needs its [aftersales] table", "[platform]\nid=\"pdd\"\n", "", "orders"},
      {"platform id required", "[orders]\n", "", "platform.id"},
      {"unknown platform", "[platform]\nid=\"ebay\"\n", "", "platform.id"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    auto bad = ParsePlatformProfile(r.platform_file, r.override_toml);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().field(), r.field);
  }
  EXPECT_FALSE(ParsePlatformProfile("[platform\nid=").ok());
}

}  // namespace
}  // namespace kefu::aftersales
