#!/usr/bin/env python3
"""Live reception over real HTTP + WebSocket: delivery to the assigned agent and back to the
buyer, least-loaded routing by skill, per-agent caps, the queue, presence, sticky buyers,
transfer (to an agent with a note, to a skill group) and accept.

    python3 tests/integration/test_routing.py path/to/kefu"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (Api, Checks, Server, add_shop, add_user, agent_ws, buyer_ws, conv_of, ingest,  # noqa: E402
                     is_event, login, msg_of)


def poll(fn, timeout=5.0):
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(0.05)


def body(t):
    d = t.tempdir("routing")
    shop = add_shop(d, "routing-shop")
    sid, key = shop["id"], shop["ingest_key"]
    uid = {}
    for name, skills, cap in [("a1", "presale", 2), ("a2", "presale", 2), ("a3", "aftersale", 8),
                              ("a4", "presale", 5)]:
        uid[name] = add_user(d, sid, name, skills=skills, max_concurrent=cap)["id"]
    uid["lead1"] = add_user(d, sid, "lead1", role="lead", skills="presale,aftersale")["id"]
    srv = Server(d).start()
    port = srv.port
    tok = {n: login(port, n)[0] for n in uid}
    api = {n: Api(port, token=tok[n]) for n in uid}
    buyers = Api(port, key=key)
    lead = api["lead1"]
    ws = {"lead1": agent_ws(port, tok["lead1"])}

    def conv(cid):
        st, b = lead.get(f"/api/v1/conversations/{cid}")
        if st != 200:
            raise RuntimeError(f"GET conversation {cid} as lead -> {st} {b}")
        return b

    def presence_event(agent, presence, since=0):
        return ws["lead1"].wait_for(lambda e: is_event(e, "presence.updated") and e["data"]["agent"] == uid[agent]
                                    and e["data"]["presence"] == presence, 5, since)

    def send(buyer, text, **extra):
        st, b = ingest(buyers, buyer, text, **extra)
        if st != 201:
            raise RuntimeError(f"ingest {buyer} -> {st} {b}")
        return b["message"]

    def board_agent(name):
        st, b = lead.get(f"/api/v1/team/board?shop={sid}")
        return next(a for a in b["agents"] if a["id"] == uid[name]), b

    # --- a1 and a3 open their workbench sockets without setting a status: that counts as online.
    for n in ("a1", "a3"):
        mk = ws["lead1"].mark()
        ws[n] = agent_ws(port, tok[n])
        t.check(f"{n} with an open /ws and no explicit status is announced online (presence.updated)",
                presence_event(n, "online", mk))
    st, me = api["a1"].get("/api/v1/me")
    t.equal("GET /me for a1 (socket open, no PUT) reports presence online", me.get("presence"), "online")
    a2_board, _ = board_agent("a2")
    t.equal("team board: a2 without socket or status is offline", a2_board["presence"], "offline")

    # --- 1. a buyer message reaches the assigned agent's socket
    b2ws = buyer_ws(port, sid, "b2", key)
    mk1, mk3 = ws["a1"].mark(), ws["a3"].mark()
    m1 = send("b1", "请问这款有货吗")
    for f in ("id", "conversation_id", "shop", "buyer", "from", "text", "ts"):
        t.check(f"ingest answer's message has '{f}'", f in m1, str(m1))
    t.check("ingest answer: from=buyer, shop and buyer echoed",
            m1["from"] == "buyer" and m1["shop"] == sid and m1["buyer"] == "b1", str(m1))
    c1 = m1["conversation_id"]
    ev = ws["a1"].wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["id"] == m1["id"], 5, mk1)
    t.check("buyer message pushed to a1's socket as message.created with the message in data", ev)
    if ev:
        mm = msg_of(ev)
        t.check("pushed message has text, from, conversation_id, shop, buyer, ts",
                mm["text"] == "请问这款有货吗" and mm["from"] == "buyer" and mm["conversation_id"] == c1
                and mm["shop"] == sid and mm["buyer"] == "b1" and mm.get("ts"), str(mm))
        t.check("event id is a numeric string", isinstance(ev.get("id"), str) and ev["id"].isdigit(), str(ev.get("id")))
    c = conv(c1)
    t.check("conversation b1 is open, assigned to a1, skill presale",
            c["status"] == "open" and c["agent"] == uid["a1"] and c["skill"] == "presale", str(c))
    t.equal("b1's conversation counts 1 unread", c["unread"], 1)
    st, _ = api["a1"].post(f"/api/v1/conversations/{c1}/read")
    t.equal("a1 POST read -> 204", st, 204)
    t.equal("unread is 0 after read", conv(c1)["unread"], 0)
    t.check("a3 (after-sale only) did not get b1's presale message on its socket",
            not ws["a3"].wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["id"] == m1["id"], 0.5, mk3))

    # --- 2. the agent's reply reaches the buyer socket
    b1ws = buyer_ws(port, sid, "b1", key)
    st, r = api["a1"].post(f"/api/v1/conversations/{c1}/messages", {"text": "亲，有货的哦"})
    t.equal("a1 replies to b1 -> 201", st, 201)
    reply = r.get("message", {}) if isinstance(r, dict) else {}
    t.check("reply message: from=agent, agent=a1", reply.get("from") == "agent" and reply.get("agent") == uid["a1"], str(r))
    ev = b1ws.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["id"] == reply.get("id"), 5)
    t.check("the reply is pushed to /ws/buyer of b1 (message.created, data.message)", ev)
    if ev:
        t.check("buyer sees text and from=agent", msg_of(ev)["text"] == "亲，有货的哦" and msg_of(ev)["from"] == "agent",
                str(ev))
    t.check("b1's own message is not echoed to the buyer socket",
            not any(is_event(e, "message.created") and msg_of(e)["from"] == "buyer" for e in b1ws.drain(0.3)))
    t.check("buyer socket of b2 got nothing of b1's conversation",
            not any(is_event(e, "message.created") for e in b2ws.drain(0.3)))

    # --- 3. least-loaded: a2 comes online (socket) with load 0 < a1's 1
    mk = ws["lead1"].mark()
    ws["a2"] = agent_ws(port, tok["a2"])
    t.check("a2 announced online when its socket opens", presence_event("a2", "online", mk))
    c2 = send("b2", "在吗")["conversation_id"]
    t.equal("b2 goes to the least-loaded presale agent a2 (a1 has 1, a2 has 0)", conv(c2)["agent"], uid["a2"])
    c3 = send("b3", "有优惠吗")["conversation_id"]
    c4 = send("b4", "什么时候上新")["conversation_id"]
    got = {conv(c3)["agent"], conv(c4)["agent"]}
    t.equal("b3 and b4 are spread one each over a1 and a2 (equal loads)", got, {uid["a1"], uid["a2"]})

    # --- 4. caps: a1 and a2 are at max_concurrent=2; b5 waits although both are online
    c5 = send("b5", "你好，想问下尺码")["conversation_id"]
    c = conv(c5)
    t.check("b5 waits in the queue (status waiting, no agent) when every presale agent is at cap",
            c["status"] == "waiting" and c["agent"] is None, str(c))
    a1b, board = board_agent("a1")
    t.check("team board: a1 load 2 of max_concurrent 2, waiting 1",
            a1b["load"] == 2 and a1b["max_concurrent"] == 2 and board["waiting"] == 1, str(board)[:300])
    st, wl = api["a1"].get("/api/v1/conversations?status=waiting")
    t.check("an agent sees the shop's waiting queue (b5 listed for a1)",
            st == 200 and any(x["id"] == c5 for x in wl["items"]), str(wl)[:200])

    # --- 5. after-sale skill: a refund word, and an order card
    c6 = send("b6", "我要退款，东西坏了")["conversation_id"]
    c = conv(c6)
    t.check("'退款' routes to the after-sale agent a3 (skill aftersale)",
            c["agent"] == uid["a3"] and c["skill"] == "aftersale", str(c))
    m7 = send("b7", "帮我看看这个订单", order_id="240101-778899")
    t.equal("order card keeps order_id on the message", m7.get("order_id"), "240101-778899")
    c = conv(m7["conversation_id"])
    t.check("an order card (order_id) routes to the after-sale agent a3",
            c["agent"] == uid["a3"] and c["skill"] == "aftersale", str(c))

    # --- 6. a freed slot (close) pulls the oldest waiting conversation
    mk, mk3 = ws["a1"].mark(), ws["a3"].mark()
    st, r = api["a1"].post(f"/api/v1/conversations/{c1}/close")
    t.check("a1 closes b1 -> 200 status closed", st == 200 and r.get("status") == "closed", f"{st} {r}")
    st3, _ = api["a3"].get(f"/api/v1/conversations/{c1}")
    leak = ws["a3"].wait_for(lambda e: conv_of(e)["id"] == c1, 0.5, mk3)
    t.check(f"a3 may not see a1's closed conversation (GET -> {st3}) and gets no event about it on its socket",
            st3 == 404 and not leak, str(leak)[:300])
    c = conv(c5)
    t.check("queued b5 is assigned to a1 once a1 frees a slot", c["status"] == "open" and c["agent"] == uid["a1"], str(c))
    t.check("a1's socket hears conversation.updated for b5 with itself as agent",
            ws["a1"].wait_for(lambda e: is_event(e, "conversation.updated") and conv_of(e)["id"] == c5
                              and conv_of(e)["agent"] == uid["a1"], 5, mk))

    # --- 7. an agent coming online (socket, no status) takes the queue
    c8 = send("b8", "请问包邮吗")["conversation_id"]
    t.equal("b8 waits (a1, a2 full; a4 offline)", conv(c8)["status"], "waiting")
    ws["a4"] = agent_ws(port, tok["a4"])
    c = poll(lambda: (lambda x: x if x["agent"] == uid["a4"] else None)(conv(c8)))
    t.check("b8 is assigned to a4 when a4's socket opens", c and c["status"] == "open", str(conv(c8)))

    # --- 8. presence busy/away stops new assignments; online pulls the queue
    st, r = api["a4"].put("/api/v1/me/presence", {"status": "busy"})
    t.check("PUT /me/presence busy -> 200 User with presence busy", st == 200 and r.get("presence") == "busy", f"{st} {r}")
    t.check("presence.updated busy for a4 reaches the lead", presence_event("a4", "busy"))
    c9 = send("b9", "能便宜点吗")["conversation_id"]
    t.check("b9 waits: a4 is least loaded (1) but busy", conv(c9)["status"] == "waiting", str(conv(c9)))
    st, r = api["a4"].put("/api/v1/me/presence", {"status": "away"})
    t.check("PUT presence away -> 200 presence away", st == 200 and r.get("presence") == "away", f"{st} {r}")
    c10 = send("b10", "能开发票吗")["conversation_id"]
    t.check("b10 waits: a4 is away", conv(c10)["status"] == "waiting", str(conv(c10)))
    st, r = api["a4"].put("/api/v1/me/presence", {"status": "online"})
    t.check("PUT presence online -> 200", st == 200 and r.get("presence") == "online", f"{st} {r}")
    t.check("a4 back online takes b9 and b10 from the queue",
            conv(c9)["agent"] == uid["a4"] and conv(c10)["agent"] == uid["a4"], f"{conv(c9)['agent']} {conv(c10)['agent']}")

    # --- 9. sticky: a returning buyer goes back to their agent even when another has less load
    st, _ = api["a4"].post(f"/api/v1/conversations/{c8}/close")
    t.equal("a4 closes b8 -> 200", st, 200)
    st, _ = api["a1"].post(f"/api/v1/conversations/{c5}/close")
    t.equal("a1 closes b5 -> 200 (a1 load 1, a4 load 2)", st, 200)
    a1b, _ = board_agent("a1")
    a4b, _ = board_agent("a4")
    t.check("loads now: a1 1, a4 2", a1b["load"] == 1 and a4b["load"] == 2, f"a1 {a1b['load']} a4 {a4b['load']}")
    m = send("b8", "我又来了，还想问一下")
    t.equal("returning buyer b8 reopens the same conversation", m["conversation_id"], c8)
    c = conv(c8)
    t.check("b8 sticks to a4 (its last agent) although a1 is less loaded",
            c["status"] == "open" and c["agent"] == uid["a4"], str(c))

    # --- 10. transfer to another agent, with a note
    mk1, mk4 = ws["a1"].mark(), ws["a4"].mark()
    note = "客户要开发票，请跟进"
    st, r = api["a4"].post(f"/api/v1/conversations/{c8}/transfer", {"to_agent": uid["a1"], "note": note})
    t.check("a4 transfers b8 to a1 with a note -> 200 agent a1, transfer_note kept",
            st == 200 and r.get("agent") == uid["a1"] and r.get("transfer_note") == note and r.get("status") == "open",
            f"{st} {r}")
    t.check("a1's socket hears the transfer (conversation.updated, agent a1, note)",
            ws["a1"].wait_for(lambda e: is_event(e, "conversation.updated") and conv_of(e)["id"] == c8
                              and conv_of(e)["agent"] == uid["a1"] and conv_of(e)["transfer_note"] == note, 5, mk1))
    t.check("a4's socket hears that b8 left it",
            ws["a4"].wait_for(lambda e: is_event(e, "conversation.updated") and conv_of(e)["id"] == c8
                              and conv_of(e)["agent"] == uid["a1"], 5, mk4))
    st, _ = api["a4"].post(f"/api/v1/conversations/{c8}/messages", {"text": "还在吗"})
    t.check("a4 can no longer reply in b8 after the transfer (403/404)", st in (403, 404), str(st))
    mk = ws["a1"].mark()
    m = send("b8", "发票抬头写公司")
    t.check("b8's next message goes to a1's socket",
            ws["a1"].wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["id"] == m["id"], 5, mk))

    # --- 11. transfer to a skill group
    mk3 = ws["a3"].mark()
    st, r = api["a1"].post(f"/api/v1/conversations/{c8}/transfer", {"to_skill": "aftersale", "note": "转售后处理"})
    t.check("a1 transfers b8 to the aftersale group -> 200, skill aftersale, agent a3",
            st == 200 and r.get("skill") == "aftersale" and r.get("agent") == uid["a3"] and r.get("transfer_note") == "转售后处理",
            f"{st} {r}")
    t.check("a3's socket hears the group transfer",
            ws["a3"].wait_for(lambda e: is_event(e, "conversation.updated") and conv_of(e)["id"] == c8
                              and conv_of(e)["agent"] == uid["a3"], 5, mk3))

    # --- 12. accept from the queue
    for n in ("a1", "a4"):
        st, _ = api[n].put("/api/v1/me/presence", {"status": "busy"})
        t.equal(f"{n} busy -> 200", st, 200)
    c11 = send("b11", "你好呀")["conversation_id"]
    t.equal("b11 waits (a1, a4 busy; a2 full)", conv(c11)["status"], "waiting")
    mk = ws["a4"].mark()
    st, r = api["a4"].post(f"/api/v1/conversations/{c11}/accept")
    t.check("a4 accepts b11 from the queue -> 200 open, agent a4",
            st == 200 and r.get("status") == "open" and r.get("agent") == uid["a4"], f"{st} {r}")
    t.check("a4's socket hears its accepted conversation",
            ws["a4"].wait_for(lambda e: is_event(e, "conversation.updated") and conv_of(e)["id"] == c11
                              and conv_of(e)["agent"] == uid["a4"], 5, mk))
    st, r = api["a1"].post(f"/api/v1/conversations/{c11}/accept")
    t.check("a1 cannot accept b11 once a4 has it (404/409)", st in (404, 409), f"{st} {r}")
    t.equal("b11 still belongs to a4", conv(c11)["agent"], uid["a4"])

    # --- 13. closing the socket of an agent without an explicit status takes it offline
    ws["a2"].close()
    off = poll(lambda: board_agent("a2")[0]["presence"] == "offline")
    t.check("a2 is offline on the team board once its only socket closes", off)
    c12 = send("b12", "还有别的颜色吗")["conversation_id"]
    t.equal("with a1/a4 busy and a2 offline, b12 waits", conv(c12)["status"], "waiting")

    for w in list(ws.values()) + [b1ws, b2ws]:
        w.close()
    t.equal("/healthz still ok", srv.api().get("/healthz")[0], 200)
    srv.stop()


if __name__ == "__main__":
    Checks("test_routing").run(body)
