#!/usr/bin/env python3
"""The FAQ robot in the running server: FAQ CRUD with validation and the compliance guard,
import/export, settings, the test box, buyers answered by the robot on /ws/buyer, unknown
questions and 人工 handed to a human, an order card -> self-service menu -> 催发货 answer for
that order, the learning loop (suggestion -> one-click accept), and a quiet robot beside an agent.

    python3 tests/integration/test_robot.py path/to/kefu"""
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (Api, Checks, Server, add_shop, add_user, agent_ws, buyer_ws, ingest,  # noqa: E402
                     is_event, login, msg_of)

KB = [
    {"id": "courier", "question": "发什么快递", "similar": ["默认哪家快递", "用的什么快递"],
     "answer": "亲，默认发中通或圆通哦", "category": "物流"},
    {"id": "free_ship", "question": "包邮吗", "similar": ["要运费吗", "运费多少"],
     "answer": "亲，全国包邮（偏远地区除外）哦", "category": "物流"},
    {"id": "size", "question": "尺码怎么选", "similar": ["穿多大码", "选什么尺码"],
     "answer": "亲，告诉我们身高体重，帮您推荐尺码", "category": "尺码"},
]


def body(t):
    d = t.tempdir("robot")
    shop = add_shop(d, "robot-shop")
    sid, key = shop["id"], shop["ingest_key"]
    other = add_shop(d, "other-shop")
    add_user(d, sid, "lead1", role="lead", skills="presale,aftersale")
    add_user(d, sid, "a1", skills="presale,aftersale")
    add_user(d, other["id"], "lead2", role="lead")
    srv = Server(d).start()
    port = srv.port
    lead = Api(port, token=login(port, "lead1")[0])
    agent = Api(port, token=login(port, "a1")[0])
    lead2 = Api(port, token=login(port, "lead2")[0])
    buyers = Api(port, key=key)

    def send(buyer, text, **extra):
        st, b = ingest(buyers, buyer, text, **extra)
        if st != 201:
            raise RuntimeError(f"ingest {buyer} -> {st} {b}")
        return b["message"]

    def team_note(conv_id, part, timeout=3.0):
        """A system note in the conversation's history (team only; never on the buyer socket)."""
        end = time.time() + timeout
        while time.time() < end:
            st, hist = lead.get(f"/api/v1/conversations/{conv_id}/messages?limit=200")
            for x in (hist or {}).get("items", []) if st == 200 else []:
                if x.get("from") == "system" and part in x.get("text", ""):
                    return x
            time.sleep(0.1)
        return None

    def from_shop(ws, pred, timeout=5.0, since=0):
        return ws.wait_for(lambda e: is_event(e, "message.created") and pred(msg_of(e)), timeout, since)

    # --- settings of a shop that never configured its robot: off, and buyers get nothing from it
    st, s = lead.get("/api/v1/robot/settings")
    t.check("GET settings of an unconfigured shop: 200, configured=false, enabled=false",
            st == 200 and s["configured"] is False and s["enabled"] is False and s["shop"] == sid, str(s)[:200])
    ws0 = buyer_ws(port, sid, "quiet-buyer", key)
    send("quiet-buyer", "包邮吗")
    t.check("robot off: the buyer socket gets no robot or auto message",
            not from_shop(ws0, lambda m: m["from"] in ("robot", "auto"), 0.8))

    # --- FAQ CRUD and validation
    st, b = lead.post("/api/v1/faq", KB[0])
    t.check("POST /faq -> 201 with the entry", st == 201 and b["id"] == "courier" and b["similar"] == KB[0]["similar"]
            and b["enabled"] is True and b["valid_from"] is None and b["updated_at"], str(b)[:200])
    st, b = lead.post("/api/v1/faq", KB[0])
    t.check("the same id again -> 409 already_exists, field id", st == 409 and b["error"] == "already_exists"
            and b.get("field") == "id", str(b))
    for what, payload, field in [
        ("missing question", {"answer": "x"}, "question"),
        ("empty answer", {"question": "q", "answer": "  "}, "answer"),
        ("bad id", {"id": "a b/c", "question": "q", "answer": "a"}, "id"),
        ("similar not a list", {"question": "q", "answer": "a", "similar": "x"}, "similar"),
        ("valid_to before valid_from", {"question": "q", "answer": "a", "valid_from": "2026-03-05T00:00:00+08:00",
                                        "valid_to": "2026-03-01T00:00:00+08:00"}, "valid_to"),
        ("valid_from not RFC 3339", {"question": "q", "answer": "a", "valid_from": "tomorrow"}, "valid_from"),
    ]:
        st, b = lead.post("/api/v1/faq", payload)
        t.check(f"POST /faq {what} -> 400 invalid_argument, field {field}",
                st == 400 and b["error"] == "invalid_argument" and b.get("field") == field and b.get("message"), str(b))
    st, b = lead.call("POST", "/api/v1/faq", raw=b"{not json")
    t.check("malformed JSON -> 400", st == 400 and b["error"] == "invalid_argument", str(b))
    st, b = lead.post("/api/v1/faq", {"question": "能加微信吗", "answer": "亲，加我微信 abc12345 详聊"})
    t.check("an answer the compliance guard blocks -> 422 compliance_blocked with violations, not saved",
            st == 422 and b["error"] == "compliance_blocked" and b.get("field") == "answer" and b["violations"]
            and b["violations"][0]["category"] == "third_party", str(b)[:300])
    st, b = agent.post("/api/v1/faq", KB[1])
    t.check("an agent may not create entries -> 403", st == 403 and b["error"] == "permission_denied", str(b))
    st, b = lead.post("/api/v1/faq", {**KB[1], "answer": "亲，全国都包邮"})
    st, b = lead.put("/api/v1/faq/free_ship", KB[1])
    t.check("PUT /faq/{id} replaces the entry -> 200", st == 200 and b["answer"] == KB[1]["answer"], str(b)[:200])
    st, b = lead.put("/api/v1/faq/nope", KB[1])
    t.equal("PUT an unknown id -> 404", st, 404)
    st, b = agent.get("/api/v1/faq/free_ship")
    t.check("an agent may read an entry", st == 200 and b["question"] == "包邮吗", str(b)[:200])
    st, b = lead2.get(f"/api/v1/faq/free_ship?shop={sid}")
    t.check("another shop's lead gets 404 for this shop's entry", st == 404 and b["error"] == "not_found", str(b))
    st, b = lead2.get("/api/v1/faq")
    t.check("another shop's list is its own (empty)", st == 200 and b["items"] == [] and b["total"] == 0, str(b)[:200])
    st, b = lead.get("/api/v1/faq?q=" + quote("运费"))
    t.check("GET /faq?q= searches similar questions", st == 200 and [x["id"] for x in b["items"]] == ["free_ship"],
            str(b)[:300])
    st, b = lead.get("/api/v1/faq?limit=0")
    t.check("limit=0 -> 400 field limit", st == 400 and b.get("field") == "limit", str(b))
    st, _ = lead.post("/api/v1/faq", {"id": "tmp", "question": "临时", "answer": "临时答案"})
    st, _ = lead.call("DELETE", "/api/v1/faq/tmp")
    t.equal("DELETE /faq/{id} -> 204", st, 204)
    st, _ = lead.call("DELETE", "/api/v1/faq/tmp")
    t.equal("DELETE again -> 404", st, 404)

    # --- import / export
    jsonl = "\n".join(json.dumps(e, ensure_ascii=False) for e in KB) + "\n"
    st, b = lead.post("/api/v1/faq/import", {"content": jsonl, "format": "jsonl", "mode": "merge"})
    t.check("import JSONL (merge) -> 200 created 1, updated 2, total 3",
            st == 200 and b["created"] == 1 and b["updated"] == 2 and b["total"] == 3, str(b))
    st, b = lead.post("/api/v1/faq/import", {"content": jsonl + '{"id":"bad"}\n'})
    t.check("a bad line -> 400 naming the line; nothing imported",
            st == 400 and "line 4" in b["message"], str(b))
    st, b = lead.post("/api/v1/faq/import", {"content": "id,question,answer\nx1,加微信,加微信abc12345\n", "format": "csv"})
    t.check("a blocked answer in an import -> 422 naming the entry", st == 422 and "x1" in b["message"], str(b)[:200])
    st, b = lead.get("/api/v1/faq/export?format=csv")
    t.check("export CSV has the header and every entry", st == 200 and isinstance(b, str)
            and b.startswith("id,question,similar,answer") and all(e["id"] in b for e in KB), str(b)[:200])
    st, b = lead.get("/api/v1/faq/export?format=jsonl&wrap=json")
    lines = [json.loads(x) for x in b["content"].splitlines()] if st == 200 else []
    t.check("export JSONL (wrapped) round-trips the entries", [x["id"] for x in lines] == [e["id"] for e in KB]
            and lines[0]["similar"] == KB[0]["similar"], str(b)[:200])

    # --- settings
    for what, payload, field in [
        ("a menu item the robot has no flow for", {"self_service_menu": ["查物流", "打折"]}, "self_service_menu"),
        ("bad hours", {"human_hours": {"start": "9点", "end": "23:00"}}, "human_hours.start"),
        ("a hot question with 【】", {"hot_questions": ["【包邮】"]}, "hot_questions"),
    ]:
        st, b = lead.put("/api/v1/robot/settings", payload)
        t.check(f"PUT settings with {what} -> 400 field {field}", st == 400 and b.get("field") == field, str(b))
    st, b = lead.put("/api/v1/robot/settings", {"opening_message": "加我微信abc12345领红包"})
    t.check("an opening message the guard blocks -> 422", st == 422 and b.get("field") == "opening_message", str(b)[:200])
    st, b = agent.put("/api/v1/robot/settings", {"enabled": True})
    t.equal("an agent may not change settings -> 403", st, 403)
    st, s = lead.put("/api/v1/robot/settings", {
        "enabled": True, "opening_message": "亲，欢迎光临～我是智能客服", "hot_questions": ["发什么快递", "包邮吗"],
        "human_hours": {"start": "00:00", "end": "24:00"}, "delay_coupon_text": "一张5元优惠券"})
    t.check("PUT settings -> 200, enabled and configured", st == 200 and s["enabled"] and s["configured"]
            and s["hot_questions"] == ["发什么快递", "包邮吗"] and s["human_hours"]["end"] == "24:00", str(s)[:300])

    # --- the test box
    st, a = agent.post("/api/v1/robot/ask", {"text": "你们默认发哪家快递呀"})
    t.check("ask: a paraphrase matches its entry with an explanation", st == 200 and a["faq_id"] == "courier"
            and a["reason"] == "answered" and "快递" in a["matched_terms"] and a["answer"] == KB[0]["answer"]
            and a["candidates"][0]["faq_id"] == "courier", str(a)[:300])
    st, a = agent.post("/api/v1/robot/ask", {"text": "你们老板是哪里人"})
    t.check("ask: an unknown question abstains (faq_id null)", st == 200 and a["faq_id"] is None
            and a["reason"] in ("below_threshold", "ambiguous", "no_match"), str(a)[:300])
    st, b = agent.post("/api/v1/robot/ask", {})
    t.check("ask without text -> 400 field text", st == 400 and b.get("field") == "text", str(b))

    # --- a buyer answered by the robot (nobody online: the robot has the conversation)
    ws1 = buyer_ws(port, sid, "b1", key)
    m = send("b1", "请问发什么快递？")
    ans = from_shop(ws1, lambda x: x["from"] == "robot")
    t.check("the buyer socket gets the robot's answer (from=robot)", ans and msg_of(ans)["text"] == KB[0]["answer"],
            str(ans)[:300])
    opening = from_shop(ws1, lambda x: x["from"] == "auto" and "欢迎光临" in x["text"], 1)
    hot = from_shop(ws1, lambda x: x["from"] == "auto" and "【发什么快递】【包邮吗】" in x["text"], 1)
    t.check("first message: the opening message and the hot questions as 【】 buttons (from=auto)", opening and hot)
    st, c = lead.get(f"/api/v1/conversations/{m['conversation_id']}")
    t.check("a robot answer counts as answered (waiting_since null)", c["waiting_since"] is None, str(c)[:300])

    # --- an unknown question goes to a human
    mk = ws1.mark()
    send("b1", "你们老板是哪里人，店开了几年")
    note = from_shop(ws1, lambda x: x["from"] == "auto" and "人工" in x["text"], 5, mk)
    t.check("unknown question: the buyer is told a person takes over (auto)", note, "")
    t.check("unknown question: no robot answer", not any(
        is_event(e, "message.created") and msg_of(e)["from"] == "robot" for e in ws1.seen[mk:]))
    st, c = lead.get(f"/api/v1/conversations/{m['conversation_id']}")
    t.check("handed over: waiting for a person (waiting_since set), transfer note from the robot",
            c["status"] == "waiting" and c["waiting_since"] and "机器人转人工" in (c["transfer_note"] or ""), str(c)[:300])
    st, hist = lead.get(f"/api/v1/conversations/{m['conversation_id']}/messages?limit=50")
    froms = [x["from"] for x in hist["items"]]
    t.check("the robot's exchange stays visible to agents (buyer, auto, robot, system messages)",
            {"buyer", "auto", "robot", "system"} <= set(froms), str(froms))

    # --- 人工 always hands over, even for a question the robot knows
    ws2 = buyer_ws(port, sid, "b2", key)
    m2 = send("b2", "包邮吗？我要人工")
    note = from_shop(ws2, lambda x: x["from"] == "auto" and "人工" in x["text"])
    t.check("人工: handed over (auto notice), no robot answer", note and not from_shop(ws2, lambda x: x["from"] == "robot", 0.5))
    st, c = lead.get(f"/api/v1/conversations/{m2['conversation_id']}")
    t.check("人工: the transfer note says the buyer asked for a person", "买家要求人工" in (c["transfer_note"] or ""), str(c)[:300])

    # --- order card -> self-service menu -> 催发货 answers for that order's state
    ws3 = buyer_ws(port, sid, "b3", key)
    card = send("b3", "[订单卡片] 订单号 250301-0000000001", order_id="250301-0000000001")
    menu = from_shop(ws3, lambda x: x["from"] == "auto" and "【催发货】" in x["text"])
    t.check("an order card gets the self-service menu (【查物流】【催发货】...)",
            menu and "【查物流】" in msg_of(menu)["text"] and "【开发票】" in msg_of(menu)["text"], str(menu)[:300])
    mk = ws3.mark()
    send("b3", "催发货")
    urge = from_shop(ws3, lambda x: x["from"] == "robot", 5, mk)
    # Not shipped, within the promise: the promised time to the hour (card time + 48 h, rounded up).
    ts = datetime.fromisoformat(card["ts"])
    promise = ts + timedelta(hours=48)
    local = promise.astimezone(timezone(timedelta(hours=8)))
    hour = local.replace(minute=0, second=0, microsecond=0)
    if hour < local:
        hour += timedelta(hours=1)
    want = f"{hour.month}月{hour.day}日{hour.hour}点前发出"
    t.check(f"催发货 within the promise: the robot names the order and the promised hour ({want})",
            urge and "250301-0000000001" in msg_of(urge)["text"] and want in msg_of(urge)["text"], str(urge)[:300])
    log = team_note(msg_of(urge)["conversation_id"], "催发货") if urge else None
    t.check("the flow's note is not sent to the buyer",
            not from_shop(ws3, lambda x: x["from"] == "system", 0.5, mk))
    t.check("the flow's step is logged (system message until the orders API records it)", log)
    mk = ws3.mark()
    send("b3", "改地址")
    ask_addr = from_shop(ws3, lambda x: x["from"] == "robot" and "地址" in x["text"], 5, mk)
    t.check("改地址 before shipment asks for the full new address", ask_addr)
    mk = ws3.mark()
    send("b3", "浙江省杭州市西湖区文三路100号 张三 13800001111")
    done = from_shop(ws3, lambda x: x["from"] == "robot" and "文三路100号" in x["text"], 5, mk)
    remark = team_note(msg_of(done)["conversation_id"], "订单备注") if done else None
    t.check("the next message is taken as the address and recorded as the order remark", done and remark)

    # --- an order the shop knows (imported through the orders API): its real state decides
    csv = ("订单号,买家,商品编码,商品名称,数量,单价,运费,状态,省,市,区,详细地址,收件人,手机,支付时间,签收时间\n"
           "R-1,b6,SKU-1,连衣裙,1,99.00,0.00,delivered,广东省,深圳市,南山区,科技园1号,张三,13800138000,"
           "2026-03-01 10:00,2026-03-03 10:00\n")
    st, r = lead.post("/api/v1/orders/import", raw=csv.encode())
    if t.check("orders API imports an order (for the robot to read)", st in (200, 201), f"{st} {str(r)[:200]}"):
        ws6 = buyer_ws(port, sid, "b6", key)
        send("b6", "[订单卡片] 订单号 R-1", order_id="R-1")
        from_shop(ws6, lambda x: "【催发货】" in x["text"])
        mk = ws6.mark()
        send("b6", "催发货")
        got = from_shop(ws6, lambda x: x["from"] == "robot", 5, mk)
        t.check("催发货 on a delivered order: the robot says it was signed for (real order state)",
                got and "R-1" in msg_of(got)["text"] and "签收" in msg_of(got)["text"], str(got)[:300])

    # --- the learning loop: the unanswered question becomes a suggestion, accepted in one click
    st, sg = lead.get("/api/v1/robot/suggestions?min_count=1")
    items = sg.get("items", []) if st == 200 else []
    t.check("suggestions list the question the robot could not answer",
            any("老板" in x["question"] for x in items) and sg["questions"] >= 1, str(sg)[:300])
    st, b = agent.get("/api/v1/robot/suggestions")
    t.equal("suggestions are for leads -> 403 for an agent", st, 403)
    st, b = lead.get("/api/v1/robot/suggestions?date=2026-13-01")
    t.check("a bad date -> 400 field date", st == 400 and b.get("field") == "date", str(b))
    st, f = lead.post("/api/v1/robot/suggestions/accept", {
        "question": "你们老板是哪里人", "similar": ["店开了几年"], "answer": "亲，我们是杭州本地的店，开了8年啦", "category": "店铺"})
    t.check("accept a suggestion -> 201 a new FAQ entry", st == 201 and f["id"] and f["question"] == "你们老板是哪里人", str(f))
    st, a = agent.post("/api/v1/robot/ask", {"text": "你们老板是哪里人"})
    t.check("the accepted entry answers at once (matcher rebuilt live)", a["faq_id"] == f.get("id"), str(a)[:200])

    # --- beside an online agent the robot stays quiet (except opening/menu); agents' answers are learned
    aws = agent_ws(port, login(port, "a1")[0])
    answer = "亲，专票请提供公司名称和税号，7个工作日内开出"
    for b in ("b4", "b5"):
        wsb = buyer_ws(port, sid, b, key)
        mb = send(b, "能开专票吗")
        st, c = lead.get(f"/api/v1/conversations/{mb['conversation_id']}")
        t.check(f"{b}: with a1 online the conversation is assigned", c["status"] == "open" and c["agent"], str(c)[:200])
        t.check(f"{b}: assigned, the robot neither answers nor hands over",
                not from_shop(wsb, lambda x: x["from"] in ("robot", "system"), 0.8))
        st, r = agent.post(f"/api/v1/conversations/{mb['conversation_id']}/messages", {"text": answer})
        t.equal(f"{b}: a1 answers -> 201", st, 201)
        mk = wsb.mark()
        send(b, "催发货")  # self-service stays available beside the agent (no order yet: asks for one)
        t.check(f"{b}: a menu item without an order card asks for the order",
                from_shop(wsb, lambda x: x["from"] == "robot" and "订单" in x["text"], 5, mk))
        wsb.close()
    item = None
    for _ in range(20):  # the agent-answer records are written after the reply commits
        st, sg = lead.get("/api/v1/robot/suggestions")
        item = next((x for x in sg.get("items", []) if "专票" in x["question"]), None) if st == 200 else None
        if item and item["example_answers"]:
            break
        time.sleep(0.1)
    t.check("the question agents answered twice is suggested with count 2 and their answer",
            item and item["count"] == 2 and answer in item["example_answers"], str(item))
    # --- off hours (agents' hours exclude now): the robot answers even beside an agent, and an
    # unknown question is told when people return, with a note left for the next shift
    now = datetime.now(timezone(timedelta(hours=8)))
    start = (now + timedelta(hours=2)).strftime("%H:00")
    end = (now + timedelta(hours=3)).strftime("%H:00")
    st, s = lead.put("/api/v1/robot/settings", {"human_hours": {"start": start, "end": end}})
    t.check(f"PUT human_hours {start}-{end} -> 200", st == 200, str(s)[:200])
    ws7 = buyer_ws(port, sid, "b7", key)
    send("b7", "包邮吗")
    got = from_shop(ws7, lambda x: x["from"] == "robot")
    t.check("off hours: the robot answers although a1 is online", got and msg_of(got)["text"] == KB[1]["answer"],
            str(got)[:200])
    mk = ws7.mark()
    send("b7", "你们仓库周末有人吗，我想自提")
    back = from_shop(ws7, lambda x: x["from"] == "auto" and f"{start}上线" in x["text"], 5, mk)
    note = team_note(msg_of(got)["conversation_id"], "留言") if got else None
    t.check(f"off hours: an unknown question is told people return at {start}, and a note is left", back and note)
    aws.close()


if __name__ == "__main__":
    Checks("test_robot").run(body)
