#!/usr/bin/env python3
"""Reply templates (话术) over the real binary: CRUD with validation naming the field, a blocked
template rejected with 422 compliance_blocked and nothing stored, warnings returned, the shop's
custom words applied to saves, quick replies rendered from the open conversation and its
(imported) order and checked like any reply, another shop 404, audit rows, and a restart.

    python3 tests/integration/test_templates.py path/to/kefu"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (Api, Checks, Server, add_shop, add_user, agent_ws, cli, ingest, is_error_body,  # noqa: E402
                     login)

SHIP = "亲爱的{买家昵称}，您在{店铺名称}的订单{订单号}（{商品名称}）已于{发货时间}由{快递公司}发出，运单号{快递单号}"


def body(t):
    d = t.tempdir("templates")
    A = add_shop(d, "小蜜蜂服饰")
    B = add_shop(d, "other-shop")
    add_user(d, A["id"], "leadA", role="lead", skills="presale,aftersale")
    add_user(d, A["id"], "agentA", skills="presale,aftersale")
    add_user(d, B["id"], "leadB", role="lead", skills="presale,aftersale")
    # An order of buyer 小红, shipped: 2026-06-12 14:30 in the shop's zone (+08:00).
    orders = os.path.join(d, "orders.jsonl")
    with open(orders, "w", encoding="utf-8") as f:
        f.write(json.dumps({"order_id": "240611-5823901", "buyer": "小红", "status": "shipped",
                            "items": [{"sku": "T1", "name": "纯棉短袖T恤", "qty": 1, "unit_price": "49.90"},
                                      {"sku": "B1", "name": "帆布包", "qty": 1, "unit_price": "10.00"}],
                            "paid_at": "2026-06-11T20:15:00+08:00", "shipped_at": "2026-06-12T14:30:00+08:00",
                            "carrier": "中通快递", "tracking_no": "78312345678901"}, ensure_ascii=False) + "\n")
    rc, out, err = cli("import", "orders", orders, "--data", d, "--shop", A["id"])
    t.equal("the buyer's order is imported", rc, 0)
    srv = Server(d).start()
    port = srv.port
    tok = {n: login(port, n)[0] for n in ("leadA", "agentA", "leadB")}
    lead, agent, leadB = (Api(port, token=tok[n]) for n in ("leadA", "agentA", "leadB"))
    ws = agent_ws(port, tok["agentA"])  # online: conversations go to the agent

    # --- variables and scenes
    st, b = agent.get("/api/v1/templates/variables")
    names = [v["name"] for v in (b or {}).get("items", [])]
    t.check("GET /templates/variables lists {买家昵称} {订单号} {发货时间} with keys and examples",
            st == 200 and {"买家昵称", "订单号", "发货时间"} <= set(names)
            and all(v["key"] and v["example"] for v in b["items"]) and "payment_reminder" in b["scenes"], str(b)[:300])

    # --- create, validation, the guard
    st, b = lead.post("/api/v1/templates", {"scene": "shipping_notice", "title": " 发货通知 ", "text": SHIP})
    tpl = (b or {}).get("template", {})
    t.check("the lead saves a template: 201 with id, trimmed title, scene and the variables it uses",
            st == 201 and tpl["id"].startswith("tpl_") and tpl["title"] == "发货通知" and tpl["scene"] == "shipping_notice"
            and tpl["variables"] == ["买家昵称", "店铺名称", "订单号", "商品名称", "发货时间", "快递公司", "快递单号"]
            and tpl["updated_by_name"] == "leadA" and b["warnings"] == [], f"{st} {b}")
    ship_id = tpl.get("id", "")
    st, b = lead.post("/api/v1/templates", {"scene": "payment_reminder", "title": "催付",
                                             "text": "{买家昵称}亲，付款后加我微信领优惠"})
    t.check("a blocked template is rejected: 422 compliance_blocked naming text, with the violation",
            st == 422 and b["error"] == "compliance_blocked" and b.get("field") == "text"
            and any(v["match"] == "微信" and v["category"] == "third_party" for v in b["violations"]), f"{st} {b}")
    st, b = lead.post("/api/v1/templates", {"scene": "review_invite", "title": "好评返现",
                                             "text": "亲，给个五星好评返现5元哦"})
    t.check("a review-for-cashback invite is rejected (off_platform)",
            st == 422 and any(v["category"] == "off_platform" for v in b["violations"]), f"{st} {b}")
    st, b = lead.post("/api/v1/templates", {"scene": "presale", "title": "推荐", "text": "这款是我们店最好的{商品名称}"})
    t.check("a warn-only template is saved (201) with its warnings",
            st == 201 and [w["category"] for w in b["warnings"]] == ["extreme_word"], f"{st} {b}")
    warn_id = (b or {}).get("template", {}).get("id", "")
    bad = [({"title": "x", "text": "您的{手机号}"}, "text"),
           ({"title": "x", "text": "未闭合的{订单号"}, "text"),
           ({"title": "x", "text": "多余的}"}, "text"),
           ({"title": "x", "text": "   "}, "text"),
           ({"title": "x", "text": "字" * 501}, "text"),
           ({"title": "", "text": "正文"}, "title"),
           ({"text": "正文"}, "title"),
           ({"title": "题" * 41, "text": "正文"}, "title"),
           ({"title": "x", "text": "正文", "scene": "催付"}, "scene"),
           ({"title": "x", "text": 5}, "text")]
    for payload, field in bad:
        st, b = lead.post("/api/v1/templates", payload)
        t.check(f"POST {str(payload)[:60]} -> 400 naming {field}",
                st == 400 and is_error_body(b) and b.get("field") == field, f"{st} {b}")
    st, b = agent.post("/api/v1/templates", {"title": "x", "text": "正文"})
    t.check("an agent may not create templates: 403", st == 403 and b["error"] == "permission_denied", f"{st} {b}")
    st, b = agent.get("/api/v1/templates")
    t.check("the agent lists the shop's templates: only the two saved ones, oldest first",
            st == 200 and [x["id"] for x in b["items"]] == [ship_id, warn_id], str(b)[:300])
    st, b = agent.get("/api/v1/templates?scene=shipping_notice")
    t.check("?scene= filters", st == 200 and [x["id"] for x in b["items"]] == [ship_id], str(b)[:200])
    st, b = agent.get("/api/v1/templates?q=" + "%E6%9C%80%E5%A5%BD")  # 最好
    t.check("?q= searches title and text", st == 200 and [x["id"] for x in b["items"]] == [warn_id], str(b)[:200])
    st, b = agent.get("/api/v1/templates?scene=nope")
    t.check("an unknown scene filter -> 400 naming scene", st == 400 and b.get("field") == "scene", f"{st} {b}")

    # --- the shop's custom words apply to template saves
    st, b = lead.post("/api/v1/compliance/words", {"kind": "block", "word": "秘密渠道"})
    t.equal("the lead adds a custom block word", st, 201)
    st, b = lead.post("/api/v1/templates", {"title": "渠道", "text": "{买家昵称}，走秘密渠道更便宜"})
    t.check("a template with the shop's block word -> 422", st == 422 and b["violations"][0]["category"] == "custom",
            f"{st} {b}")

    # --- quick reply: rendered from the conversation and its order, checked like a reply
    st, m = ingest(Api(port, key=A["ingest_key"]), "小红", "我的快递到哪了", order_id="240611-5823901")
    conv = m["message"]["conversation_id"]
    st, b = agent.post(f"/api/v1/templates/{ship_id}/render", {"conversation_id": conv})
    want = ("亲爱的小红，您在小蜜蜂服饰的订单240611-5823901（纯棉短袖T恤等2件商品）已于6月12日 14:30由中通快递发出，"
            "运单号78312345678901")
    t.check("render fills every variable from the conversation, its order card and the imported order",
            st == 200 and b["text"] == want and b["missing"] == [] and b["order_id"] == "240611-5823901"
            and b["ok"] is True, f"{st} {b}")
    st, r = agent.post(f"/api/v1/conversations/{conv}/messages", {"text": b.get("text", "")})
    t.equal("the rendered reply is sent (201)", st, 201)
    st, m = ingest(Api(port, key=A["ingest_key"]), "老王", "在吗")
    conv2 = m["message"]["conversation_id"]
    st, b = agent.post(f"/api/v1/templates/{ship_id}/render", {"conversation_id": conv2})
    t.check("without an order, order variables stay as written and are listed as missing",
            st == 200 and b["text"].startswith("亲爱的老王，您在小蜜蜂服饰的订单{订单号}") and b["order_id"] is None
            and b["missing"] == ["订单号", "商品名称", "发货时间", "快递公司", "快递单号"], f"{st} {b}")
    st, b = agent.post(f"/api/v1/templates/{ship_id}/render", {"conversation_id": conv2, "order_id": "240611-5823901"})
    t.check("another buyer's order -> 404", st == 404 and is_error_body(b), f"{st} {b}")
    st, b = agent.post(f"/api/v1/templates/{ship_id}/render", {})
    t.check("render without conversation_id -> 400 naming it", st == 400 and b.get("field") == "conversation_id", f"{st} {b}")
    st, b = agent.post("/api/v1/templates/tpl_nope/render", {"conversation_id": conv})
    t.check("render of an unknown template -> 404", st == 404, f"{st} {b}")
    st, b = agent.post(f"/api/v1/templates/{warn_id}/render", {"conversation_id": conv})
    t.check("a rendered warn-only template carries its warnings",
            st == 200 and b["ok"] is True and [v["category"] for v in b["violations"]] == ["extreme_word"], f"{st} {b}")

    # --- another shop
    for method, path, payload in [("GET", f"/api/v1/templates?shop={A['id']}", None),
                                  ("GET", f"/api/v1/templates/{ship_id}", None),
                                  ("PUT", f"/api/v1/templates/{ship_id}", {"title": "改"}),
                                  ("DELETE", f"/api/v1/templates/{ship_id}", None),
                                  ("POST", f"/api/v1/templates/{ship_id}/render", {"conversation_id": conv})]:
        st, b = leadB.call(method, path, body=payload)
        t.check(f"another shop's lead: {method} {path.split('?')[0].replace(ship_id, '{id}')} -> 404",
                st == 404 and is_error_body(b), f"{st} {b}")

    # --- update and delete
    st, b = lead.put(f"/api/v1/templates/{ship_id}", {"title": "发货通知（带单号）"})
    t.check("PUT changes the title and keeps the text",
            st == 200 and b["template"]["title"] == "发货通知（带单号）" and b["template"]["text"] == SHIP, f"{st} {b}")
    st, b = lead.put(f"/api/v1/templates/{ship_id}", {"text": "发货了，有事加QQ联系"})
    t.check("PUT with a blocked text -> 422 and the template is unchanged", st == 422, f"{st} {b}")
    st, b = agent.get(f"/api/v1/templates/{ship_id}")
    t.check("GET shows the text before the refused update", st == 200 and b["text"] == SHIP, f"{st} {b}")
    st, b = lead.call("DELETE", f"/api/v1/templates/{warn_id}")
    t.equal("DELETE -> 204", st, 204)
    st, b = agent.get(f"/api/v1/templates/{warn_id}")
    t.check("GET a deleted template -> 404", st == 404, f"{st} {b}")
    st, b = lead.get("/api/v1/audit?entity_type=template")
    acts = [x["action"] for x in (b or {}).get("items", [])] if st == 200 else []
    t.check("the audit log holds create, create, update, delete",
            acts == ["template.delete", "template.update", "template.create", "template.create"], str(b)[:300])

    # --- survives a restart
    ws.close()
    srv.stop()
    srv.start()
    st, b = Api(srv.port, token=tok["agentA"]).get("/api/v1/templates")
    t.check("after a restart the template is still there, updated",
            st == 200 and [(x["id"], x["title"]) for x in b["items"]] == [(ship_id, "发货通知（带单号）")], str(b)[:300])


if __name__ == "__main__":
    Checks("templates").run(body)
