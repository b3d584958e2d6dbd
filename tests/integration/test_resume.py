#!/usr/bin/env python3
"""Resume after reconnect: an agent socket (and a buyer socket) that drops and comes back with
after=<last event id> gets exactly the events it missed, in order, without duplicates, also
while new events keep arriving during the reconnect.

    python3 tests/integration/test_resume.py path/to/kefu"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (Api, Checks, Server, add_shop, add_user, agent_ws, buyer_ws, ingest, is_event,  # noqa: E402
                     login, msg_of)


def ids_of(events):
    return [int(e["id"]) for e in events if isinstance(e, dict) and e.get("id") is not None and e.get("type") != "hello"]


def increasing(xs):
    return all(a < b for a, b in zip(xs, xs[1:]))


def body(t):
    d = t.tempdir("resume")
    shop = add_shop(d, "resume-shop")
    sid, key = shop["id"], shop["ingest_key"]
    uid = {"a1": add_user(d, sid, "a1", max_concurrent=20)["id"],
           "lead1": add_user(d, sid, "lead1", role="lead")["id"]}
    srv = Server(d).start()
    port = srv.port
    tok = {n: login(port, n)[0] for n in uid}
    a1, lead = Api(port, token=tok["a1"]), Api(port, token=tok["lead1"])
    buyers = Api(port, key=key)

    # An explicit status keeps a1 online while its socket is down, so the only events in the
    # gap are the ones this test makes.
    st, _ = a1.put("/api/v1/me/presence", {"status": "online"})
    t.equal("a1 PUT presence online -> 200", st, 200)
    lws = agent_ws(port, tok["lead1"])
    w1 = agent_ws(port, tok["a1"])
    hello = w1.recv(3)
    t.check("first frame on /ws is type hello", isinstance(hello, dict) and hello.get("type") == "hello", str(hello))
    hd = (hello or {}).get("data") or {}
    t.check("hello data.user is the User object (id, role, presence)",
            isinstance(hd.get("user"), dict) and hd["user"].get("id") == uid["a1"] and "role" in hd["user"], str(hello))
    t.check("hello data carries last_event_id", "last_event_id" in hd, str(hello))

    st, r = ingest(buyers, "b1", "第一条消息")
    c1 = r["message"]["conversation_id"]
    first = w1.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "第一条消息", 5)
    t.check("a1 gets b1's first message live", first)
    w1.drain(0.3)
    last = max(ids_of(w1.seen))
    lws.drain(0.3)
    lmark = len(lws.seen)
    w1.close()

    # --- what happens while a1 is away: buyer messages, a lead's reply, a new conversation
    texts = [f"离线消息{i}" for i in range(20)]
    for i, x in enumerate(texts):
        st, _ = ingest(buyers, "b1", x)
        if st != 201:
            t.check(f"ingest {x} -> 201", False, str(st))
        if i == 10:
            st, _ = lead.post(f"/api/v1/conversations/{c1}/messages", {"text": "组长代回：稍等"})
            t.equal("lead replies in a1's conversation while a1 is away -> 201", st, 201)
    st, r = ingest(buyers, "b2", "新买家：你好")
    c2 = r["message"]["conversation_id"]
    st, r = lead.get(f"/api/v1/conversations/{c2}")
    t.equal("b2's new conversation went to a1 (explicitly online, socket down)", r.get("agent"), uid["a1"])
    lws.drain(0.5)
    window = [e for e in lws.seen[lmark:] if isinstance(e, dict) and e.get("id") and int(e["id"]) > last]

    # --- reconnect with after=last: exactly the window, in order, no duplicates
    w2 = agent_ws(port, tok["a1"], after=last)
    got = w2.drain(0.5)
    t.check("reconnect: hello comes first", got and is_event(got[0], "hello"), str(got[:1]))
    replay = [e for e in got if not is_event(e, "hello")]
    rid = ids_of(replay)
    t.check(f"replay is not empty ({len(rid)} events)", len(rid) > 0)
    t.check("replayed ids are all > after and strictly increasing (no duplicates)",
            all(i > last for i in rid) and increasing(rid), str(rid))
    t.equal("replay == the events the lead saw a1's way in the gap (same ids)", rid, ids_of(window))
    created = [msg_of(e)["text"] for e in replay if is_event(e, "message.created")]
    t.equal("replayed message.created texts are every missed message, in order",
            created, texts[:11] + ["组长代回：稍等"] + texts[11:] + ["新买家：你好"])
    t.check("replay includes b2's conversation.updated (assignment to a1)",
            any(is_event(e, "conversation.updated") and e["data"]["conversation"]["id"] == c2 for e in replay))
    t.check("the replayed message carries the full message object",
            all({"id", "conversation_id", "shop", "buyer", "from", "text", "ts"} <= set(msg_of(e))
                for e in replay if is_event(e, "message.created")))

    # --- live after replay: once, with a larger id
    mk = w2.mark()
    ingest(buyers, "b1", "重连后的新消息")
    w2.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "重连后的新消息", 5, mk)
    live = [e for e in w2.drain(0.3) + w2.seen[mk:] if is_event(e, "message.created") and msg_of(e)["text"] == "重连后的新消息"]
    live_ids = {e["id"] for e in live}
    t.check("a live message after the replay arrives exactly once, with a newer id",
            len(live_ids) == 1 and int(next(iter(live_ids))) > max(rid), str(live_ids))

    # --- reconnect while messages keep coming: nothing lost, nothing twice
    N = 60
    stop_err = []

    def sender():
        for i in range(N):
            st, _ = ingest(buyers, "b3", f"并发{i}")
            if st != 201:
                stop_err.append(st)
            time.sleep(0.01)

    th = threading.Thread(target=sender)
    th.start()
    w2.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "并发15", 10)
    cut = max(ids_of(w2.seen))
    w2.close()
    before = [e for e in w2.seen if e.get("id") and e.get("type") != "hello" and int(e["id"]) <= cut]
    time.sleep(0.1)
    w3 = agent_ws(port, tok["a1"], after=cut)
    th.join()
    t.check("concurrent sender: all 60 ingests -> 201", not stop_err, str(stop_err))
    w3.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == f"并发{N - 1}", 10)
    w3.drain(0.5)
    after = [e for e in w3.seen if not is_event(e, "hello")]
    aid = [int(e["id"]) for e in w3.seen if not is_event(e, "hello") and e.get("id")]
    t.check("second reconnect (during traffic): ids > after and strictly increasing",
            all(i > cut for i in aid) and increasing(aid), f"cut {cut}: {aid[:10]}...")
    seen_texts = [msg_of(e)["text"] for e in before + after
                  if is_event(e, "message.created") and msg_of(e)["text"].startswith("并发")]
    t.equal("every concurrent message reached a1 exactly once across the two sockets",
            sorted(seen_texts, key=lambda s: int(s[2:])), [f"并发{i}" for i in range(N)])
    t.equal("...and in send order", seen_texts, [f"并发{i}" for i in range(N)])
    w3.close()

    # --- the buyer socket resumes the same way
    bw = buyer_ws(port, sid, "b1", key)
    st, _ = a1.post(f"/api/v1/conversations/{c1}/messages", {"text": "客服回复0"})
    e0 = bw.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "客服回复0", 5)
    t.check("buyer socket gets the live reply", e0)
    blast = int(e0["id"]) if e0 else 0
    bw.close()
    replies = [f"客服回复{i}" for i in range(1, 6)]
    for i, x in enumerate(replies):
        st, _ = a1.post(f"/api/v1/conversations/{c1}/messages", {"text": x})
        if i == 2:
            ingest(buyers, "b1", "买家在此期间又说了一句")
    st, _ = ingest(buyers, "b2", "别的买家")
    bw2 = buyer_ws(port, sid, "b1", key, after=blast)
    got = bw2.drain(0.5)
    t.equal("buyer reconnect with after= replays exactly the agent replies it missed, in order",
            [msg_of(e)["text"] for e in got if is_event(e, "message.created")], replies)
    bid = ids_of(got)
    t.check("buyer replay ids > after, strictly increasing", all(i > blast for i in bid) and increasing(bid), str(bid))
    mk = bw2.mark()
    a1.post(f"/api/v1/conversations/{c1}/messages", {"text": "客服回复6"})
    bw2.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "客服回复6", 5, mk)
    n6 = [e for e in bw2.drain(0.3) + bw2.seen[mk:] if is_event(e, "message.created") and msg_of(e)["text"] == "客服回复6"]
    t.equal("a live reply after the buyer replay arrives once", len({e["id"] for e in n6}), 1)
    bw2.close()
    bw3 = buyer_ws(port, sid, "b1", key, after=0)
    all_replies = [msg_of(e)["text"] for e in bw3.drain(0.5) if is_event(e, "message.created")]
    t.equal("buyer reconnect with after=0 replays every non-buyer message of b1, in order",
            all_replies, ["组长代回：稍等", "客服回复0"] + replies + ["客服回复6"])
    bw3.close()

    # --- a bad after= is refused, not ignored
    from kefu_it import HandshakeRefused
    try:
        agent_ws(port, tok["a1"], after="abc").close()
        t.check("/ws?after=abc is refused", False, "101")
    except HandshakeRefused as e:
        t.check("/ws?after=abc is refused with 400 field after",
                e.status == 400 and isinstance(e.body, dict) and e.body.get("field") == "after", f"{e.status} {e.body}")

    # --- resume across a crash: event ids survive a SIGKILL and a restart
    w4 = agent_ws(port, tok["a1"])
    ingest(buyers, "b1", "崩溃前")
    w4.wait_for(lambda e: is_event(e, "message.created") and msg_of(e)["text"] == "崩溃前", 5)
    last4 = max(ids_of(w4.seen))
    lws.close()
    srv.kill9()
    w4.close()
    srv.start()
    port = srv.port
    buyers = Api(port, key=key)
    for x in ("重启后1", "重启后2"):
        ingest(buyers, "b1", x)
    w5 = agent_ws(port, tok["a1"], after=last4)
    got = [e for e in w5.drain(0.5) if not is_event(e, "hello")]
    t.equal("after SIGKILL + restart, after=<last id> replays exactly what came since, in order",
            [msg_of(e)["text"] for e in got if is_event(e, "message.created")], ["重启后1", "重启后2"])
    t.check("...with ids above the ones seen before the crash", all(i > last4 for i in ids_of(got)) and increasing(ids_of(got)),
            f"{last4} {ids_of(got)}")
    w5.close()
    t.equal("/healthz still ok", srv.api().get("/healthz")[0], 200)
    srv.stop()


if __name__ == "__main__":
    Checks("test_resume").run(body)
