#!/usr/bin/env python3
"""Bad input (acceptance 4): every HTTP endpoint and WebSocket of the API and every account /
server CLI command gets malformed, missing, wrong-typed, oversized or unauthorised input.
HTTP answers a 4xx with {"error","message","field"?} (the field checked where one applies);
the CLI exits 2 with one line on stderr. Afterwards the server still answers and every
message stored before is intact, also across a restart.

    python3 tests/integration/test_bad_input.py path/to/kefu"""
import os
import socket
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (KEFU, PASSWORD, Api, Checks, HandshakeRefused, Server, WS, add_shop, add_user,  # noqa: E402
                     agent_ws, all_conversations, cli, free_port, ingest, is_error_body, login, request, sha256_hex,
                     short, walk_history)

CODES = {400: {"invalid_argument"}, 401: {"unauthenticated"}, 403: {"permission_denied"}, 404: {"not_found"},
         409: {"already_exists", "failed_precondition"}, 413: {"payload_too_large"}, 422: {"compliance_blocked"}}


def expect(t, label, st, r, status, field=None):
    """A 4xx with the error shape, the code that goes with the status, and the field if given."""
    want = status if isinstance(status, tuple) else (status,)
    ok = st in want and is_error_body(r) and r["error"] in CODES.get(st, set())
    if ok and field is not None:
        ok = r.get("field") == field
    t.check(f"{label} -> {'/'.join(map(str, want))}" + (f" field={field}" if field else ""), ok, f"{st} {short(r)}")


def snapshot(api):
    """Every message (id, text) of every conversation the owner sees, plus conversation states."""
    msgs, convs = [], []
    for c in sorted(all_conversations(api), key=lambda c: c["id"]):
        convs.append((c["id"], c["status"], c["agent"]))
        items, _ = walk_history(api, c["id"], limit=200)
        msgs += [(m["id"], m["text"], m["from"]) for m in items]
    return msgs, convs


def raw_exchange(port, data, timeout=5):
    """Sends raw bytes; returns the status code of the answer, or 0 when the server closed
    without one. A server may answer and close before a huge body is sent: the answer counts."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    buf = b""
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # closed early (e.g. after a 413): read what it said
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except OSError:
        pass
    finally:
        s.close()
    try:
        return int(buf.split(b" ")[1])
    except (IndexError, ValueError):
        return 0


def http_cases(t, srv, ctx):
    port = srv.port
    a1, lead, owner = ctx["a1"], ctx["lead"], ctx["owner"]
    c1, sid, key, otherB = ctx["c1"], ctx["sid"], ctx["key"], ctx["shopB"]
    anon = Api(port)
    k = Api(port, key=key)

    # ---- login / logout / me / presence
    L = "/api/v1/auth/login"
    expect(t, "login: malformed JSON", *anon.post(L, raw=b'{"username": "a1", "password":'), 400, "body")
    expect(t, "login: empty body", *anon.post(L, raw=b""), 400, "body")
    expect(t, "login: JSON array body", *anon.post(L, raw=b"[]"), 400, "body")
    expect(t, "login: missing username", *anon.post(L, {"password": PASSWORD}), 400, "username")
    expect(t, "login: missing password", *anon.post(L, {"username": "a1"}), 400, "password")
    expect(t, "login: username is a number", *anon.post(L, {"username": 5, "password": PASSWORD}), 400, "username")
    expect(t, "login: password is a list", *anon.post(L, {"username": "a1", "password": ["x"]}), 400, "password")
    expect(t, "login: wrong password", *anon.post(L, {"username": "a1", "password": "wrong-pass-1"}), 401)
    expect(t, "login: unknown user", *anon.post(L, {"username": "nobody", "password": PASSWORD}), 401)
    expect(t, "login: invalid UTF-8", *anon.post(L, raw=b'{"username":"\xff\xfe","password":"x"}'), 400, "body")
    expect(t, "login: 20000 nested arrays", *anon.post(L, raw=b"[" * 20000), 400, "body")
    for hdr in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Token " + ctx["tok_a1"]},
                {"Authorization": "Bearer"}, {"Authorization": "Bearer " + ctx["tok_a1"] + "x"}):
        expect(t, f"GET /me with Authorization {short(hdr.get('Authorization', '(none)'), 20)!r}",
               *anon.call("GET", "/api/v1/me", headers=hdr), 401)
    expect(t, "logout without a token", *anon.post("/api/v1/auth/logout"), 401)
    # Logout must end the token at once: a request right after the 204 is refused, and stays refused.
    dead = []
    for i in range(5):
        tok2, _ = login(port, "a3")
        st, _ = Api(port, token=tok2).post("/api/v1/auth/logout")
        t.equal(f"logout with a token -> 204 (#{i + 1})", st, 204)
        expect(t, f"GET /me right after logout (#{i + 1})", *Api(port, token=tok2).get("/api/v1/me"), 401)
        dead.append(tok2)
    time.sleep(0.5)
    still = [i + 1 for i, tk in enumerate(dead) if Api(port, token=tk).get("/api/v1/me")[0] != 401]
    t.check("logged-out tokens are still refused 0.5 s later", not still, f"tokens #{still} work again")
    P = "/api/v1/me/presence"
    expect(t, "presence: no token", *anon.put(P, {"status": "online"}), 401)
    expect(t, "presence: malformed JSON", *a1.call("PUT", P, raw=b"{status: online}"), 400, "body")
    expect(t, "presence: missing status", *a1.put(P, {}), 400, "status")
    expect(t, "presence: status sleeping", *a1.put(P, {"status": "sleeping"}), 400, "status")
    expect(t, "presence: status is a number", *a1.put(P, {"status": 1}), 400, "status")
    expect(t, "GET /shops with a bad token", *Api(port, token="nope").get("/api/v1/shops"), 401)
    expect(t, "team board of an unknown shop", *lead.get("/api/v1/team/board?shop=s_nope"), 404)
    expect(t, "team board without a token", *anon.get(f"/api/v1/team/board?shop={sid}"), 401)

    # ---- compliance check
    C = "/api/v1/compliance/check"
    st, r = a1.post(C, {"text": "你好"})
    if st == 404 and "not built" in str(r):
        print("skip  compliance checks: the guard is not built into this binary")
    else:
        t.check("compliance check of a plain text -> 200 ok", st == 200 and r.get("ok") is True, f"{st} {r}")
        expect(t, "compliance: malformed JSON", *a1.post(C, raw=b'{"text"'), 400, "body")
        expect(t, "compliance: missing text", *a1.post(C, {}), 400, "text")
        expect(t, "compliance: text is a number", *a1.post(C, {"text": 5}), 400, "text")
        expect(t, "compliance: another shop", *a1.post(C, {"text": "你好", "shop": otherB}), 404)
        expect(t, "compliance: no token", *anon.post(C, {"text": "你好"}), 401)
        st, r = a1.post(f"/api/v1/conversations/{c1}/messages", {"text": "加我微信 wx123456 私聊"})
        t.check("a reply the guard blocks -> 422 compliance_blocked with violations",
                st == 422 and is_error_body(r) and r["error"] == "compliance_blocked" and r.get("violations"),
                f"{st} {short(r)}")

    # ---- reply-rate metrics
    st, r = lead.get(f"/api/v1/metrics/live?shop={sid}")
    if st == 404 and "not built" in str(r):
        print("skip  reply-rate metrics checks: not built into this binary")
    else:
        t.equal("metrics/live of the own shop -> 200", st, 200)
        RR = f"/api/v1/metrics/reply-rate?shop={sid}"
        expect(t, "reply-rate: date=2026-13-45", *lead.get(RR + "&date=2026-13-45"), 400, "date")
        expect(t, "reply-rate: date=yesterday", *lead.get(RR + "&date=yesterday"), 400, "date")
        expect(t, "reply-rate: days=abc", *lead.get(RR + "&days=abc"), 400, "days")
        expect(t, "reply-rate: days=0", *lead.get(RR + "&days=0"), 400, "days")
        expect(t, "reply-rate: daily=yes", *lead.get(RR + "&daily=yes"), 400, "daily")
        st, r = lead.get(RR + "&date=2026-03-05&days=7&daily=1")
        days = [d.get("date") for d in r.get("daily", [])] if isinstance(r, dict) else []
        t.check("reply-rate daily=1: one one-day object per day, oldest first, summing to the total",
                (st == 200 and days == ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02",
                                        "2026-03-03", "2026-03-04", "2026-03-05"]
                 and all(d["days"] == 1 for d in r["daily"])
                 and sum(d["consulting_buyers"] for d in r["daily"]) == r["consulting_buyers"]),
                f"{st} {short(r)}")
        expect(t, "reply-rate: unknown shop", *lead.get("/api/v1/metrics/reply-rate?shop=s_nope"), 404)
        expect(t, "metrics/live: unknown shop", *lead.get("/api/v1/metrics/live?shop=s_nope"), 404)
        expect(t, "metrics/live: POST", *lead.post(f"/api/v1/metrics/live?shop={sid}"), 404)
        expect(t, "metrics/live: no token", *anon.get(f"/api/v1/metrics/live?shop={sid}"), 401)

    # ---- conversations
    CL = "/api/v1/conversations"
    expect(t, "list: no token", *anon.get(CL), 401)
    expect(t, "list: status=foo", *a1.get(CL + "?status=foo"), 400, "status")
    expect(t, "list: limit=abc", *a1.get(CL + "?limit=abc"), 400, "limit")
    expect(t, "list: limit=0", *a1.get(CL + "?limit=0"), 400, "limit")
    expect(t, "list: limit=-1", *a1.get(CL + "?limit=-1"), 400, "limit")
    expect(t, "list: limit=100000", *a1.get(CL + "?limit=100000"), 400, "limit")
    expect(t, "list: limit=99999999999999999999", *a1.get(CL + "?limit=99999999999999999999"), 400, "limit")
    expect(t, "list: before=abc", *a1.get(CL + "?before=abc"), 400, "before")
    expect(t, "list: shop=unknown", *a1.get(CL + "?shop=s_nope"), 404)
    expect(t, "GET unknown conversation", *a1.get(CL + "/c_nope"), 404)
    expect(t, "GET conversation with a bad token", *Api(port, token="x").get(f"{CL}/{c1}"), 401)
    M = f"{CL}/{c1}/messages"
    expect(t, "history: limit=abc", *a1.get(M + "?limit=abc"), 400, "limit")
    expect(t, "history: limit=0", *a1.get(M + "?limit=0"), 400, "limit")
    expect(t, "history: limit=201", *a1.get(M + "?limit=201"), 400, "limit")
    expect(t, "history: before=xyz", *a1.get(M + "?before=xyz"), 400, "before")
    expect(t, "history: before=-5", *a1.get(M + "?before=-5"), 400, "before")
    expect(t, "history: unknown conversation", *a1.get(f"{CL}/c_nope/messages"), 404)
    expect(t, "history: no token", *anon.get(M), 401)
    expect(t, "reply: malformed JSON", *a1.post(M, raw=b'{"text": "hi"'), 400, "body")
    expect(t, "reply: body is a string", *a1.post(M, raw=b'"hi"'), 400, "body")
    expect(t, "reply: missing text", *a1.post(M, {}), 400, "text")
    expect(t, "reply: text is a number", *a1.post(M, {"text": 5}), 400, "text")
    expect(t, "reply: empty text", *a1.post(M, {"text": ""}), 400, "text")
    expect(t, "reply: client_msg_id is a number", *a1.post(M, {"text": "好的", "client_msg_id": 5}), 400, "client_msg_id")
    expect(t, "reply: 70 KiB body", *a1.post(M, {"text": "好" * 24000}), 413, "body")
    expect(t, "reply: unknown conversation", *a1.post(f"{CL}/c_nope/messages", {"text": "好的"}), 404)
    expect(t, "reply: no token", *anon.post(M, {"text": "好的"}), 401)
    expect(t, "reply by another agent of the shop", *ctx["a3"].post(M, {"text": "我来回"}), (403, 404))
    expect(t, "accept: unknown conversation", *a1.post(f"{CL}/c_nope/accept"), 404)
    expect(t, "accept: a conversation that is already open (lead)", *lead.post(f"{CL}/{c1}/accept"), 409)
    T = f"{CL}/{c1}/transfer"
    expect(t, "transfer: malformed JSON", *a1.post(T, raw=b"{to_agent}"), 400, "body")
    expect(t, "transfer: neither to_agent nor to_skill", *a1.post(T, {}), 400, "to_agent")
    expect(t, "transfer: to_skill vip", *a1.post(T, {"to_skill": "vip"}), 400, "to_skill")
    expect(t, "transfer: to_agent unknown", *a1.post(T, {"to_agent": "u_nope"}), 400, "to_agent")
    expect(t, "transfer: to_agent is a number", *a1.post(T, {"to_agent": 5}), 400, "to_agent")
    expect(t, "transfer: to self", *a1.post(T, {"to_agent": ctx["uid_a1"]}), 400, "to_agent")
    expect(t, "transfer: note is a number", *a1.post(T, {"to_skill": "presale", "note": 5}), 400, "note")
    expect(t, "transfer: unknown conversation", *a1.post(f"{CL}/c_nope/transfer", {"to_skill": "presale"}), 404)
    expect(t, "close: unknown conversation", *a1.post(f"{CL}/c_nope/close"), 404)
    expect(t, "close: no token", *anon.post(f"{CL}/{c1}/close"), 401)
    expect(t, "read: unknown conversation", *a1.post(f"{CL}/c_nope/read"), 404)

    # ---- ingest
    I = "/api/v1/ingest/messages"
    expect(t, "ingest: no key", *anon.post(I, {"buyer": "x", "text": "hi"}), 401)
    expect(t, "ingest: wrong key", *Api(port, key="wrong-key").post(I, {"buyer": "x", "text": "hi"}), 401)
    expect(t, "ingest: a user token instead of a key", *Api(port, token=ctx["tok_a1"]).post(I, {"buyer": "x", "text": "hi"}), 401)
    expect(t, "ingest: malformed JSON", *k.post(I, raw=b'{"buyer": "x", "text": '), 400, "body")
    expect(t, "ingest: JSON array", *k.post(I, raw=b"[]"), 400, "body")
    expect(t, "ingest: JSON null", *k.post(I, raw=b"null"), 400, "body")
    expect(t, "ingest: trailing garbage", *k.post(I, raw=b'{"buyer":"x","text":"hi"} xyz'), 400, "body")
    expect(t, "ingest: missing buyer", *k.post(I, {"text": "hi"}), 400, "buyer")
    expect(t, "ingest: buyer is a number", *k.post(I, {"buyer": 5, "text": "hi"}), 400, "buyer")
    expect(t, "ingest: empty buyer", *k.post(I, {"buyer": "", "text": "hi"}), 400, "buyer")
    expect(t, "ingest: 200-byte buyer", *k.post(I, {"buyer": "b" * 200, "text": "hi"}), 400, "buyer")
    expect(t, "ingest: missing text", *k.post(I, {"buyer": "x"}), 400, "text")
    expect(t, "ingest: text is a list", *k.post(I, {"buyer": "x", "text": []}), 400, "text")
    expect(t, "ingest: empty text", *k.post(I, {"buyer": "x", "text": ""}), 400, "text")
    expect(t, "ingest: ts=yesterday", *k.post(I, {"buyer": "x", "text": "hi", "ts": "yesterday"}), 400, "ts")
    expect(t, "ingest: ts is a number", *k.post(I, {"buyer": "x", "text": "hi", "ts": 1700000000}), 400, "ts")
    expect(t, "ingest: client_msg_id is a number", *k.post(I, {"buyer": "x", "text": "hi", "client_msg_id": 5}), 400, "client_msg_id")
    expect(t, "ingest: 200-byte client_msg_id", *k.post(I, {"buyer": "x", "text": "hi", "client_msg_id": "c" * 200}), 400, "client_msg_id")
    expect(t, "ingest: order_id is a number", *k.post(I, {"buyer": "x", "text": "hi", "order_id": 5}), 400, "order_id")
    expect(t, "ingest: invalid UTF-8", *k.post(I, raw=b'{"buyer":"x","text":"\xc3\x28"}'), 400, "body")
    expect(t, "ingest: 10000 nested objects", *k.post(I, raw=b'{"a":' * 10000), 400, "body")
    expect(t, "ingest: 65 KiB + 1 body", *k.post(I, raw=b'{"buyer":"x","text":"' + b"a" * (64 * 1024) + b'"}'), 413, "body")
    big = ('{"buyer":"x","text":"' + "啊" * 700000 + '"}').encode()
    st = raw_exchange(port, (f"POST {I} HTTP/1.1\r\nHost: x\r\nX-Kefu-Key: {key}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(big)}\r\n\r\n").encode() + big)
    t.equal("ingest: 2 MB body -> 413 (read even if the server closes before the body is sent)", st, 413)
    chunked = (f"POST {I} HTTP/1.1\r\nHost: x\r\nX-Kefu-Key: {key}\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode()
    for _ in range(20):
        chunked += b"1000\r\n" + b" " * 4096 + b"\r\n"
    chunked += b"0\r\n\r\n"
    t.equal("ingest: 80 KiB chunked body -> 413", raw_exchange(port, chunked), 413)
    H = "/api/v1/ingest/history"
    expect(t, "ingest history: no key", *anon.get(H + "?buyer=b1"), 401)
    expect(t, "ingest history: wrong key header", *Api(port, key="nope").get(H + "?buyer=b1"), 401)
    expect(t, "ingest history: wrong ?key=", *anon.get(H + "?buyer=b1&key=nope"), 401)
    expect(t, "ingest history: missing buyer", *k.get(H), 400, "buyer")
    expect(t, "ingest history: limit=abc", *k.get(H + "?buyer=b1&limit=abc"), 400, "limit")
    expect(t, "ingest history: limit=0", *k.get(H + "?buyer=b1&limit=0"), 400, "limit")
    expect(t, "sim config in kefu serve", *anon.get("/api/v1/sim/config"), 404)

    # ---- unknown routes and methods
    for method, path in (("GET", "/api/v1/nope"), ("GET", "/api/v2/conversations"), ("GET", "/api/nope"),
                         ("DELETE", CL), ("PATCH", "/api/v1/me"), ("GET", f"{CL}/{c1}/nope"),
                         ("POST", f"{M}/extra"), ("GET", f"{CL}/{c1}/close"), ("PUT", f"{CL}/{c1}"),
                         ("GET", "/api/v1/ingest/messages"), ("POST", "/nope"), ("DELETE", "/api/v1/auth/login")):
        st, r = lead.call(method, path)
        expect(t, f"unknown route {method} {path.replace(c1, '{id}')}", st, r, (404, 405))

    # ---- protocol-level junk: the server answers 4xx or closes, never 5xx, and keeps serving
    st = raw_exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    t.check(f"20 KB header -> 4xx or closed (got {st})", st == 0 or 400 <= st < 500)
    st = raw_exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
    t.check(f"TLS/garbage bytes -> 4xx or closed (got {st})", st == 0 or 400 <= st < 500)
    st = raw_exchange(port, b"POST /api/v1/ingest/messages HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    t.check(f"Content-Length: abc -> 4xx or closed (got {st})", st == 0 or 400 <= st < 500)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST {I} HTTP/1.1\r\nHost: x\r\nX-Kefu-Key: {key}\r\nContent-Length: 50\r\n\r\n{{\"buyer\"".encode())
    s.close()  # a client that disappears mid-body
    t.equal("/healthz answers after the junk", request(port, "GET", "/healthz")[0], 200)

    # ---- WebSocket handshakes and frames
    for label, path, status, field in (("/ws without token", "/ws", 401, None),
                                       ("/ws with a bad token", "/ws?token=nope", 401, None),
                                       ("/ws with after=abc", f"/ws?token={ctx['tok_a1']}&after=abc", 400, "after"),
                                       ("/ws/buyer without key", f"/ws/buyer?shop={sid}&buyer=b1", 401, None),
                                       ("/ws/buyer with a wrong key", f"/ws/buyer?shop={sid}&buyer=b1&key=nope", 401, None),
                                       ("/ws/buyer with another shop's id", f"/ws/buyer?shop={otherB}&buyer=b1&key={key}", 401, None),
                                       ("/ws/buyer without buyer", f"/ws/buyer?shop={sid}&key={key}", 400, "buyer"),
                                       ("/ws/buyer with after=-1", f"/ws/buyer?shop={sid}&buyer=b1&key={key}&after=-1", 400, "after"),
                                       ("/ws/nope", f"/ws/nope?token={ctx['tok_a1']}", 404, None)):
        try:
            WS(port, path).close()
            t.check(f"{label} -> refused", False, "101 Switching Protocols")
        except HandshakeRefused as e:
            expect(t, label, e.status, e.body, status, field)
    w = agent_ws(port, ctx["tok_a1"])
    w.recv(2)
    w.send({"type": "ping"})
    t.check("/ws answers {\"type\":\"ping\"} with {\"type\":\"pong\"}",
            w.wait_for(lambda m: isinstance(m, dict) and m.get("type") == "pong", 3))
    w._send(1, b"this is not json")
    w._send(1, b'{"type": 5}')
    w.send({"type": "ping"})
    t.check("garbage text frames are ignored: the socket still pongs",
            w.wait_for(lambda m: isinstance(m, dict) and m.get("type") == "pong", 3, since=w.mark()))
    w._send(1, b"x" * (200 * 1024))
    w.drain(0.5, 3)
    t.check("a 200 KiB frame (over the 64 KiB limit) closes that socket", w.closed)
    w.close()
    w = agent_ws(port, ctx["tok_a1"])
    w._send(2, b"\x00\x01binary")
    w.send({"type": "ping"})
    t.check("a binary frame does not break the socket", w.wait_for(lambda m: isinstance(m, dict) and m.get("type") == "pong", 3)
            or w.closed)
    w.close()
    t.equal("/healthz answers after the WebSocket abuse", request(port, "GET", "/healthz")[0], 200)


def cli_cases(t, d):
    """The account and server commands with bad flags: exit 2, one line on stderr."""
    shop = add_shop(d, "cli-shop")
    sid = shop["id"]
    add_user(d, sid, "cli-agent")
    port = str(free_port())
    other = os.path.join(d, "not-created")  # rejected serve/demo calls must not create it

    def usage(label, args, stdin="", prefix=None):
        try:
            rc, out, err = cli(*args, stdin=stdin, timeout=20)
        except Exception as e:  # a hang is a failure, not a crash of the test
            t.check(f"CLI {label}", False, repr(e))
            return
        lines = err.strip().splitlines()
        ok = rc == 2 and len(lines) == 1 and lines[0].startswith(prefix or "kefu") and out.strip() == ""
        t.check(f"CLI {label} -> exit 2, one line", ok, f"rc {rc}, stderr {err.strip()[:200]!r}, stdout {out.strip()[:80]!r}")

    base = ["--data", d]
    sa = ["shop", "add"]
    usage("shop add: missing --data", sa + ["--name", "x", "--platform", "pdd"], prefix="kefu shop")
    usage("shop add: missing --name", sa + base + ["--platform", "pdd"], prefix="kefu shop")
    usage("shop add: missing --platform", sa + base + ["--name", "x"], prefix="kefu shop")
    usage("shop add: --platform amazon", sa + base + ["--name", "x", "--platform", "amazon"], prefix="kefu shop")
    usage("shop add: --tz Mars/Olympus", sa + base + ["--name", "x", "--platform", "pdd", "--tz", "Mars/Olympus"], prefix="kefu shop")
    usage("shop add: unknown flag --colour", sa + base + ["--name", "x", "--platform", "pdd", "--colour", "red"], prefix="kefu shop")
    usage("shop add: --name without a value", sa + base + ["--platform", "pdd", "--name"], prefix="kefu shop")
    usage("shop add: empty --name", sa + base + ["--name", "", "--platform", "pdd"], prefix="kefu shop")
    usage("shop add: duplicate name", sa + base + ["--name", "cli-shop", "--platform", "jd"], prefix="kefu shop")
    usage("shop: no subcommand", ["shop"], prefix="kefu shop")
    usage("shop: unknown subcommand remove", ["shop", "remove", "--data", d], prefix="kefu shop")
    usage("shop list: missing --data", ["shop", "list"], prefix="kefu shop")
    usage("shop list: unknown flag", ["shop", "list", "--data", d, "--all"], prefix="kefu shop")

    ua = ["user", "add"]
    good = ["--username", "newbie", "--role", "agent", "--shop", sid, "--password-stdin"]

    def without(flag, args=good):
        i = args.index(flag)
        return args[:i] + args[i + (1 if flag == "--password-stdin" else 2):]

    pw = PASSWORD + "\n"
    usage("user add: missing --data", ua + good, pw, "kefu user")
    usage("user add: missing --username", ua + base + without("--username"), pw, "kefu user")
    usage("user add: missing --role", ua + base + without("--role"), pw, "kefu user")
    usage("user add: missing --shop", ua + base + without("--shop"), pw, "kefu user")
    usage("user add: --role admin", ua + base + ["--username", "newbie", "--role", "admin", "--shop", sid, "--password-stdin"], pw, "kefu user")
    usage("user add: unknown shop", ua + base + ["--username", "newbie", "--role", "agent", "--shop", "s_nope", "--password-stdin"], pw, "kefu user")
    usage("user add: short password", ua + base + good, "short\n", "kefu user")
    usage("user add: no password on stdin", ua + base + good, "", "kefu user")
    usage("user add: without --password-stdin", ua + base + without("--password-stdin"), pw, "kefu user")
    usage("user add: duplicate username", ua + base + ["--username", "cli-agent", "--role", "agent", "--shop", sid, "--password-stdin"], pw, "kefu user")
    usage("user add: --skills presale,cooking", ua + base + good + ["--skills", "presale,cooking"], pw, "kefu user")
    usage("user add: --max-concurrent abc", ua + base + good + ["--max-concurrent", "abc"], pw, "kefu user")
    usage("user add: --max-concurrent 0", ua + base + good + ["--max-concurrent", "0"], pw, "kefu user")
    usage("user add: unknown flag --email", ua + base + good + ["--email", "a@b.c"], pw, "kefu user")
    usage("user add: empty --username", ua + base + ["--username", "", "--role", "agent", "--shop", sid, "--password-stdin"], pw, "kefu user")
    usage("user: no subcommand", ["user"], prefix="kefu user")
    usage("user: unknown subcommand delete", ["user", "delete", "--data", d], prefix="kefu user")
    usage("user list: missing --data", ["user", "list"], prefix="kefu user")
    usage("user list: unknown flag", ["user", "list", "--data", d, "--everyone"], prefix="kefu user")

    sv = ["serve"]
    usage("serve: missing --data", sv + ["--port", port], prefix="kefu serve")
    for bad in ("abc", "0", "70000", "-1", ""):
        usage(f"serve: --port {bad!r}", sv + ["--data", other, "--port", bad], prefix="kefu serve")
    usage("serve: unknown flag --verbose", sv + ["--data", other, "--port", port, "--verbose", "1"], prefix="kefu serve")
    usage("serve: --threads 0", sv + ["--data", other, "--port", port, "--threads", "0"], prefix="kefu serve")
    usage("serve: --body-limit 10", sv + ["--data", other, "--port", port, "--body-limit", "10"], prefix="kefu serve")
    dm = ["demo"]
    usage("demo: --port abc", dm + ["--data", other, "--port", "abc"], prefix="kefu demo")
    usage("demo: --port 99999", dm + ["--data", other, "--port", "99999"], prefix="kefu demo")
    usage("demo: unknown flag --fast", dm + ["--data", other, "--port", port, "--fast"], prefix="kefu demo")
    usage("unknown command frobnicate", ["frobnicate"], prefix="kefu")
    t.check("rejected serve/demo calls created no data directory", not os.path.exists(other), other)
    usage("serve: --host not-an-address", sv + ["--data", os.path.join(d, "host"), "--port", port, "--host", "not-an-address"],
          prefix="kefu serve")

    # A port that is taken is an error with one line too (not a crash, not a hang).
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        rc, out, err = cli("serve", "--data", d, "--port", str(busy.getsockname()[1]), timeout=20)
        t.check("serve on a port in use -> exits 1 or 2 with one line naming the port",
                rc in (1, 2) and len(err.strip().splitlines()) >= 1 and str(busy.getsockname()[1]) in err,
                f"rc {rc} {err.strip()[-200:]!r}")
    except Exception as e:
        t.check("serve on a port in use exits", False, repr(e))
    finally:
        busy.close()

    rc, out, _ = cli("shop", "list", "--data", d, "--json")
    import json
    t.check("after the bad commands the data dir still holds exactly one shop", rc == 0 and len(json.loads(out)) == 1, out)
    rc, out, _ = cli("user", "list", "--data", d, "--json")
    t.check("...and exactly one user", rc == 0 and [u["username"] for u in json.loads(out)] == ["cli-agent"], out)


def body(t):
    d = t.tempdir("badinput")
    shop = add_shop(d, "bad-shop")
    shopB = add_shop(d, "bad-shop-b")
    sid, key = shop["id"], shop["ingest_key"]
    uid_a1 = add_user(d, sid, "a1", skills="presale,aftersale")["id"]
    add_user(d, sid, "a2")
    add_user(d, sid, "a3")
    add_user(d, sid, "lead1", role="lead")
    add_user(d, sid, "owner1", role="owner")
    add_user(d, shopB["id"], "b-agent")
    srv = Server(d).start()
    port = srv.port
    tok_a1, _ = login(port, "a1")
    tok_exp, _ = login(port, "a2")
    ctx = dict(sid=sid, key=key, shopB=shopB["id"], uid_a1=uid_a1, tok_a1=tok_a1,
               a1=Api(port, token=tok_a1), a3=Api(port, token=login(port, "a3")[0]),
               lead=Api(port, token=login(port, "lead1")[0]), owner=Api(port, token=login(port, "owner1")[0]))
    ctx["a1"].put("/api/v1/me/presence", {"status": "online"})

    # Data stored before the abuse.
    k = Api(port, key=key)
    st, r = ingest(k, "b1", "请问有货吗")
    ctx["c1"] = r["message"]["conversation_id"]
    ctx["a1"].post(f"/api/v1/conversations/{ctx['c1']}/messages", {"text": "亲，有货的"})
    for i in range(5):
        ingest(k, f"b{i + 2}", f"买家{i + 2}：你好", client_msg_id=f"pre-{i}")
    st, r = ingest(k, "big", "大" * 20000)  # 60 KB of UTF-8: under the 64 KiB limit
    t.equal("a 60 KB body (under the 64 KiB limit) is accepted -> 201", st, 201)
    before_msgs, before_convs = snapshot(ctx["owner"])
    print(f"stored before: {len(before_msgs)} messages in {len(before_convs)} conversations")

    http_cases(t, srv, ctx)

    t.equal("/healthz ok after all bad input", request(port, "GET", "/healthz")[0], 200)
    st, r, _ = request(port, "GET", "/metrics")
    t.check("/metrics answers and counted 4xx responses", st == 200 and 'class="4xx"' in str(r), str(st))
    # The writer pipeline's own figures: messages were stored, so commits happened and every
    # committed batch became durable (histogram counts match, buckets never decrease).
    m = {}
    for line in str(r).splitlines():
        if line.startswith("kefu_store_"):
            name, _, value = line.rpartition(" ")
            m[name] = float(value)
    durable = [v for k, v in m.items() if k.startswith("kefu_store_durable_seconds_bucket")]
    t.check("/metrics: store commits and fsyncs counted, with the time spent in each",
            m.get("kefu_store_commits_total", 0) > 0 and m.get("kefu_store_fsyncs_total", 0) > 0
            and m.get("kefu_store_commit_seconds_total", 0) > 0 and m.get("kefu_store_fsync_seconds_total", 0) > 0
            and m.get("kefu_store_wal_frames_total", 0) >= m.get("kefu_store_commits_total", 1)
            and "kefu_store_wal_restarts_total" in m, short(m))
    t.check("/metrics: durable-latency buckets are cumulative and end at the commit count",
            durable == sorted(durable) and durable[-1] == m.get("kefu_store_durable_seconds_count")
            and m.get("kefu_store_batch_jobs_count") == m.get("kefu_store_commits_total"), short(m))
    after_msgs, after_convs = snapshot(ctx["owner"])
    t.equal(f"messages after the abuse == before ({len(before_msgs)}: ids, texts, senders)", after_msgs, before_msgs)
    t.equal("conversation states unchanged", after_convs, before_convs)
    t.equal("a good ingest still works -> 201", ingest(k, "b1", "还在吗")[0], 201)
    expected_msgs = len(before_msgs) + 1

    # Expired token: sessions survive a restart, so age one in the store while the server is down.
    srv.stop()
    db = sqlite3.connect(os.path.join(d, "kefu.db"))
    n = db.execute("UPDATE sessions SET expires_at = 1 WHERE token_hash = ?", (sha256_hex(tok_exp),)).rowcount
    db.commit()
    db.close()
    t.equal("test setup: one session row aged", n, 1)
    srv.start()
    expect(t, "GET /me with an expired token", *Api(srv.port, token=tok_exp).get("/api/v1/me"), 401)
    try:
        agent_ws(srv.port, tok_exp).close()
        t.check("/ws with an expired token -> refused", False, "101")
    except HandshakeRefused as e:
        expect(t, "/ws with an expired token", e.status, e.body, 401)
    st, r = Api(srv.port, token=tok_a1).get("/api/v1/me")
    t.check("an unexpired token still works after the restart", st == 200 and r.get("username") == "a1", f"{st} {r}")
    owner = Api(srv.port, token=login(srv.port, "owner1")[0])
    msgs, _ = snapshot(owner)
    t.equal("after restart the store holds exactly the good messages", len(msgs), expected_msgs)
    t.equal("...with the same ids and texts as before the abuse", msgs[:0] + [m for m in msgs if m in before_msgs], before_msgs)
    srv.stop()
    db = sqlite3.connect(os.path.join(d, "kefu.db"))
    t.equal("SQLite messages table agrees", db.execute("SELECT COUNT(*) FROM messages").fetchone()[0], expected_msgs)
    db.close()

    cli_cases(t, t.tempdir("badinput-cli"))


if __name__ == "__main__":
    Checks("test_bad_input").run(body)
