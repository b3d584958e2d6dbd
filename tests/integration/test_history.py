#!/usr/bin/env python3
"""Idempotency by client_msg_id (sequential and concurrent, buyer and agent side) and cursor
pagination of message history and of the conversation list, over real HTTP.

    python3 tests/integration/test_history.py path/to/kefu"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (Api, Checks, Server, add_shop, add_user, agent_ws, buyer_ws, ingest, is_event,  # noqa: E402
                     login, msg_of, walk_history)


def body(t):
    d = t.tempdir("history")
    shop = add_shop(d, "history-shop")
    other = add_shop(d, "other-shop")
    sid, key = shop["id"], shop["ingest_key"]
    add_user(d, sid, "a1", max_concurrent=50)
    add_user(d, sid, "owner1", role="owner")
    srv = Server(d).start()
    port = srv.port
    tok_a1, _ = login(port, "a1")
    a1 = Api(port, token=tok_a1)
    owner = Api(port, token=login(port, "owner1")[0])
    buyers, buyers2 = Api(port, key=key), Api(port, key=other["ingest_key"])
    a1.put("/api/v1/me/presence", {"status": "online"})
    ws = agent_ws(port, tok_a1)

    # --- idempotency: the same client_msg_id twice stores one message
    st1, r1 = ingest(buyers, "buyer-i", "第一次发送", client_msg_id="cm-1")
    st2, r2 = ingest(buyers, "buyer-i", "第一次发送", client_msg_id="cm-1")
    t.equal("ingest with client_msg_id cm-1 -> 201", st1, 201)
    t.check("retry with the same client_msg_id -> 2xx", 200 <= st2 < 300, str(st2))
    m1 = r1["message"]
    t.equal("retry returns the same message id", r2["message"]["id"], m1["id"])
    t.equal("the message carries its client_msg_id", m1.get("client_msg_id"), "cm-1")
    st3, r3 = ingest(buyers, "buyer-i", "不同的文字", client_msg_id="cm-1")
    t.check("a third send with cm-1 but other text still answers the original message",
            200 <= st3 < 300 and r3["message"]["id"] == m1["id"] and r3["message"]["text"] == "第一次发送", f"{st3} {r3}")
    cid = m1["conversation_id"]
    items, _ = walk_history(owner, cid)
    t.equal("history holds cm-1 exactly once", sum(1 for m in items if m.get("client_msg_id") == "cm-1"), 1)
    t.check("only one message.created for cm-1 reached the agent socket",
            ws.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["id"] == m1["id"], 5)
            and sum(1 for e in ws.drain(0.4) + ws.seen if is_event(e, "message.created") and msg_of(e)["id"] == m1["id"]) == 1)
    st, r = ingest(buyers2, "buyer-i", "另一家店", client_msg_id="cm-1")
    t.check("the same client_msg_id in another shop is another message",
            st == 201 and r["message"]["id"] != m1["id"] and r["message"]["shop"] == other["id"], f"{st} {r}")

    # concurrent duplicates
    results, lock = [], threading.Lock()

    def dup():
        st, r = ingest(Api(port, key=key), "buyer-i", "并发重复", client_msg_id="cm-par")
        with lock:
            results.append((st, (r or {}).get("message", {}).get("id")))

    ths = [threading.Thread(target=dup) for _ in range(8)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    t.check("8 concurrent sends of cm-par all -> 2xx", all(200 <= s < 300 for s, _ in results), str(results))
    t.equal("...all with one message id", len({i for _, i in results}), 1)
    items, _ = walk_history(owner, cid)
    t.equal("history holds cm-par exactly once", sum(1 for m in items if m.get("client_msg_id") == "cm-par"), 1)

    # agent side
    bws = buyer_ws(port, sid, "buyer-i", key)
    st1, r1 = a1.post(f"/api/v1/conversations/{cid}/messages", {"text": "客服：收到", "client_msg_id": "ag-1"})
    st2, r2 = a1.post(f"/api/v1/conversations/{cid}/messages", {"text": "客服：收到", "client_msg_id": "ag-1"})
    t.check("agent reply with client_msg_id twice -> 201 then 2xx, same id",
            st1 == 201 and 200 <= st2 < 300 and r1["message"]["id"] == r2["message"]["id"], f"{st1} {st2} {r1} {r2}")
    items, _ = walk_history(owner, cid)
    t.equal("history holds the agent's ag-1 exactly once", sum(1 for m in items if m.get("client_msg_id") == "ag-1"), 1)
    bws.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "客服：收到", 5)
    n = sum(1 for e in bws.drain(0.4) + bws.seen if is_event(e, "message.created") and msg_of(e)["text"] == "客服：收到")
    t.equal("the buyer socket got the deduplicated reply once", n, 1)
    bws.close()

    # --- history pagination: 57 messages in one conversation, mixed senders
    expected = []
    st, r = ingest(buyers, "buyer-p", "分页0")
    pcid = r["message"]["conversation_id"]
    expected.append("分页0")
    for i in range(1, 57):
        if i % 4 == 0:
            st, _ = a1.post(f"/api/v1/conversations/{pcid}/messages", {"text": f"分页{i}"})
        else:
            st, _ = ingest(buyers, "buyer-p", f"分页{i}")
        if st != 201:
            t.check(f"message 分页{i} stored", False, str(st))
        expected.append(f"分页{i}")
    ingest(buyers, "buyer-q", "别的会话")  # must never show up in buyer-p's pages
    for limit in (1, 7, 10, 50, 56, 57, 200):
        items, pages = walk_history(owner, pcid, limit)
        texts = [m["text"] for m in items]
        t.equal(f"limit={limit}: walking next cursors yields all 57 messages once, in order", texts, expected)
        ok_pages = all(len(p) <= limit for p in pages) and all(
            [m["seq"] for m in p] == sorted(m["seq"] for m in p) for p in pages)
        t.check(f"limit={limit}: {len(pages)} pages, each at most {limit} and oldest first", ok_pages)
        ok_order = all(pages[i][0]["seq"] > pages[i + 1][-1]["seq"] for i in range(len(pages) - 1) if pages[i + 1])
        t.check(f"limit={limit}: each next page is older than the one before", ok_order)
        t.equal(f"limit={limit}: message ids unique", len({m["id"] for m in items}), 57)
    st, r = owner.get(f"/api/v1/conversations/{pcid}/messages")
    t.check("default page is the newest 50 with a next cursor",
            st == 200 and len(r["items"]) == 50 and r["items"][-1]["text"] == "分页56" and r["next"], f"{st}")
    st, r = a1.get(f"/api/v1/conversations/{pcid}/messages?limit=5")
    t.check("the assigned agent pages the same history",
            st == 200 and [m["text"] for m in r["items"]] == expected[-5:], f"{st} {r}")
    st, r = buyers.get("/api/v1/ingest/history?buyer=buyer-p&limit=5")
    t.check("ingest history (buyer side) returns the last 5, oldest first",
            st == 200 and [m["text"] for m in r["items"]] == expected[-5:], f"{st} {r}")

    # --- conversation list pagination: 12 more buyers
    for i in range(12):
        ingest(buyers, f"list-buyer-{i}", "你好")
    seen, before, pages = [], None, 0
    while True:
        st, r = owner.get("/api/v1/conversations?limit=5" + (f"&before={before}" if before else ""))
        if st != 200:
            t.check("conversation list page -> 200", False, f"{st} {r}")
            break
        pages += 1
        seen += [c["id"] for c in r["items"]]
        before = r.get("next")
        if not before or pages > 20:
            break
    st, r = owner.get("/api/v1/conversations?limit=500")
    t.check(f"conversation list walked with limit=5 ({pages} pages) lists every conversation once",
            len(seen) == len(set(seen)) and set(seen) == {c["id"] for c in r["items"]} and len(seen) == 15,
            f"{len(seen)} seen, {len(set(seen))} unique, {len(r['items'])} total")

    # A walk during activity: a conversation further down gets a new message between pages (it
    # moves to the top). No conversation may be listed twice, and every other one exactly once.
    st, r = owner.get("/api/v1/conversations?limit=500")
    order = [c["id"] for c in r["items"]]
    mover = next(c for c in r["items"] if c["id"] == order[-3])
    seen, before, pages = [], None, 0
    while True:
        st, r = owner.get("/api/v1/conversations?limit=5" + (f"&before={before}" if before else ""))
        if st != 200:
            break
        pages += 1
        seen += [c["id"] for c in r["items"]]
        if pages == 1:
            ingest(buyers, mover["buyer"], "翻页时来了新消息")
        before = r.get("next")
        if not before or pages > 20:
            break
    dups = sorted({c for c in seen if seen.count(c) > 1})
    others = [c for c in order if c != mover["id"]]
    t.check("list walk while a conversation moves to the top: nothing listed twice", not dups, f"twice: {dups}")
    t.check("...and every unchanged conversation listed once", all(seen.count(c) == 1 for c in others),
            f"counts != 1: {[(c, seen.count(c)) for c in others if seen.count(c) != 1]}")
    ws.close()
    srv.stop()


if __name__ == "__main__":
    Checks("test_history").run(body)
