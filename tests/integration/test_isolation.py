#!/usr/bin/env python3
"""Shop isolation over real HTTP + WebSocket: users of shop A get 404 for shop B's
conversations on every route, never see shop B's events live or on replay, and a buyer
socket cannot use one shop's ingest key for another shop.

    python3 tests/integration/test_isolation.py path/to/kefu"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (Api, Checks, HandshakeRefused, Server, add_shop, add_user, agent_ws, buyer_ws,  # noqa: E402
                     ingest, is_error_body, is_event, login, msg_of)


def body(t):
    d = t.tempdir("isolation")
    A = add_shop(d, "shop-a")
    B = add_shop(d, "shop-b", platform="taobao")
    uid = {
        "agentA": add_user(d, A["id"], "agentA", skills="presale,aftersale")["id"],
        "ownerA": add_user(d, A["id"], "ownerA", role="owner")["id"],
        "agentB": add_user(d, B["id"], "agentB", skills="presale,aftersale")["id"],
        "agentB2": add_user(d, B["id"], "agentB2", skills="presale,aftersale")["id"],
    }
    srv = Server(d).start()
    port = srv.port
    tok = {n: login(port, n)[0] for n in uid}
    api = {n: Api(port, token=tok[n]) for n in uid}
    keyA, keyB = Api(port, key=A["ingest_key"]), Api(port, key=B["ingest_key"])
    ws = {n: agent_ws(port, tok[n]) for n in ("agentA", "ownerA", "agentB")}
    for w in ws.values():
        w.drain(0.3)
    markA = {n: ws[n].mark() for n in ("agentA", "ownerA")}

    # The same buyer name in both shops: two different conversations.
    st, ma = ingest(keyA, "buyer-x", "A店：请问有货吗")
    t.equal("ingest with shop A's key -> 201", st, 201)
    st, mb = ingest(keyB, "buyer-x", "B店：请问有货吗")
    t.equal("ingest with shop B's key -> 201", st, 201)
    ma, mb = ma["message"], mb["message"]
    t.check("each key lands in its own shop", ma["shop"] == A["id"] and mb["shop"] == B["id"], f"{ma['shop']} {mb['shop']}")
    t.check("same buyer name, different conversations", ma["conversation_id"] != mb["conversation_id"])
    cA, cB = ma["conversation_id"], mb["conversation_id"]

    # Shop B life while shop A users watch: reply, presence, transfer, close, a waiting queue.
    bws = buyer_ws(port, B["id"], "buyer-x", B["ingest_key"])
    aws = buyer_ws(port, A["id"], "buyer-x", A["ingest_key"])
    st, _ = api["agentB"].post(f"/api/v1/conversations/{cB}/messages", {"text": "B店：亲，有货的"})
    t.equal("agentB replies in shop B -> 201", st, 201)
    t.check("shop B's buyer socket gets agentB's reply",
            bws.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "B店：亲，有货的", 5))
    st, _ = api["agentB2"].put("/api/v1/me/presence", {"status": "online"})
    st, _ = api["agentB"].post(f"/api/v1/conversations/{cB}/transfer", {"to_agent": uid["agentB2"], "note": "B内部转接"})
    t.equal("agentB transfers within shop B -> 200", st, 200)
    for i in range(3):
        ingest(keyB, f"buyer-b{i}", f"B店买家{i}：在吗")
    st, _ = api["agentB"].put("/api/v1/me/presence", {"status": "busy"})
    st, _ = api["agentB2"].post(f"/api/v1/conversations/{cB}/close")
    t.equal("agentB2 closes cB -> 200", st, 200)
    st, _ = ingest(keyB, "buyer-x", "B店：我又来了")
    # Reopen cB (it closed) and keep it for the 404 checks below.
    st, _ = api["agentA"].post(f"/api/v1/conversations/{cA}/messages", {"text": "A店：亲，有货的"})
    t.equal("agentA replies in shop A -> 201", st, 201)

    # --- every conversation route answers 404 for another shop's conversation
    routes = [("GET", f"/api/v1/conversations/{cB}", None),
              ("GET", f"/api/v1/conversations/{cB}/messages", None),
              ("GET", f"/api/v1/conversations/{cB}/messages?limit=5", None),
              ("POST", f"/api/v1/conversations/{cB}/messages", {"text": "越权回复"}),
              ("POST", f"/api/v1/conversations/{cB}/transfer", {"to_agent": uid["agentA"], "note": "x"}),
              ("POST", f"/api/v1/conversations/{cB}/transfer", {"to_skill": "presale"}),
              ("POST", f"/api/v1/conversations/{cB}/close", None),
              ("POST", f"/api/v1/conversations/{cB}/accept", None),
              ("POST", f"/api/v1/conversations/{cB}/read", None)]
    for who in ("agentA", "ownerA"):
        for method, path, b in routes:
            st, r = api[who].call(method, path, body=b)
            t.check(f"{who}: {method} {path.replace(cB, '{shopB conv}')} -> 404 not_found",
                    st == 404 and is_error_body(r) and r["error"] == "not_found", f"{st} {r}")
    for method, path, b in routes[:4]:
        st, r = api["agentB"].call(method, path.replace(cB, cA), body=b)
        t.check(f"agentB: {method} {path.replace(cB, '{shopA conv}')} -> 404", st == 404, f"{st} {r}")
    st, r = api["agentA"].post(f"/api/v1/conversations/{cA}/transfer", {"to_agent": uid["agentB"]})
    t.check("agentA cannot transfer its conversation to shop B's agent (400 field to_agent)",
            st == 400 and isinstance(r, dict) and r.get("field") == "to_agent", f"{st} {r}")
    st, r = api["ownerA"].get(f"/api/v1/conversations/{cB}/messages")
    st2, r2 = api["agentB2"].get(f"/api/v1/conversations/{cB}/messages")
    t.check("shop B's own agent still reads cB (the 404 is about the shop, not the id)", st2 == 200, f"{st2} {r2}")

    for who in ("agentA", "ownerA"):
        st, r = api[who].get("/api/v1/conversations?limit=500")
        ids = [c["id"] for c in r.get("items", [])] if st == 200 else []
        t.check(f"{who}: conversation list holds shop A's and none of shop B's",
                st == 200 and cA in ids and not any(c["shop"] != A["id"] for c in r["items"]), f"{st} {ids}")
        st, r = api[who].get(f"/api/v1/conversations?shop={B['id']}")
        t.check(f"{who}: list with shop=B -> 404", st == 404, f"{st} {r}")
        st, r = api[who].get(f"/api/v1/team/board?shop={B['id']}")
        t.check(f"{who}: team board of shop B -> 404", st == 404, f"{st} {r}")
        st, r = api[who].get(f"/api/v1/metrics/live?shop={B['id']}")
        t.check(f"{who}: live metrics of shop B -> 404", st == 404, f"{st} {r}")
        st, r = api[who].get("/api/v1/shops")
        t.check(f"{who}: /shops lists only shop A",
                st == 200 and [s["id"] for s in r["items"]] == [A["id"]], f"{st} {r}")

    # --- shop A users never receive shop B's events
    forbidden = (B["id"], cB, uid["agentB"], uid["agentB2"], "B店")
    for who in ("agentA", "ownerA"):
        evs = ws[who].seen[markA[who]:] + ws[who].drain(0.5)
        leaks = [e for e in evs if any(f in json.dumps(e, ensure_ascii=False) for f in forbidden)]
        t.check(f"{who}'s socket saw shop A's events ({len(evs)} events)",
                any(is_event(e, "message.created") and msg_of(e)["conversation_id"] == cA for e in evs))
        t.check(f"{who}'s socket got none of shop B's events", not leaks, json.dumps(leaks[:2], ensure_ascii=False)[:300])
        w = agent_ws(port, tok[who], after=0)
        replay = w.drain(0.5)
        w.close()
        leaks = [e for e in replay if any(f in json.dumps(e, ensure_ascii=False) for f in forbidden)]
        t.check(f"{who}: replay from after=0 has shop A's events and none of shop B's",
                any(is_event(e, "message.created") for e in replay) and not leaks,
                f"{len(replay)} events, leaks {json.dumps(leaks[:2], ensure_ascii=False)[:300]}")

    # --- buyer sockets and history are per shop and per key
    for label, shop, key in (("shop A with shop B's key", A["id"], B["ingest_key"]),
                             ("shop B with shop A's key", B["id"], A["ingest_key"]),
                             ("shop A with a made-up key", A["id"], "not-a-key")):
        try:
            w = buyer_ws(port, shop, "buyer-x", key)
            w.close()
            t.check(f"/ws/buyer for {label} is refused", False, "got 101 Switching Protocols")
        except HandshakeRefused as e:
            t.check(f"/ws/buyer for {label} is refused with 401 and a JSON error",
                    e.status == 401 and is_error_body(e.body), f"{e.status} {e.body}")
    t.check("shop A's buyer-x socket got shop A's reply",
            aws.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "A店：亲，有货的", 5))
    leaks = [e for e in aws.seen + aws.drain(0.3) if "B店" in json.dumps(e, ensure_ascii=False)]
    t.check("shop A's buyer-x socket got nothing from shop B's buyer-x conversation", not leaks, str(leaks[:1]))
    st, r = keyA.get("/api/v1/ingest/history?buyer=buyer-x")
    t.check("ingest history with shop A's key holds only shop A's messages",
            st == 200 and r["items"] and all(m["shop"] == A["id"] for m in r["items"]), f"{st} {r}")

    for w in list(ws.values()) + [aws, bws]:
        w.close()
    t.equal("/healthz still ok", srv.api().get("/healthz")[0], 200)
    srv.stop()


if __name__ == "__main__":
    Checks("test_isolation").run(body)
