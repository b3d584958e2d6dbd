#!/usr/bin/env python3
"""Crash test (acceptance 3): 16 concurrent writers send buyer messages with client_msg_id,
the server is killed with SIGKILL at a random moment 1.5-4 s in and restarted on the same
data directory. Every acknowledged (201) message must be in the store exactly once, with the
id it was acknowledged with; retrying the unacknowledged ones must not create duplicates.
Three rounds with different kill moments ($KEFU_IT_SEED fixes them).

    python3 tests/integration/test_durability.py path/to/kefu"""
import collections
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import Api, Checks, Server, add_shop, add_user, all_conversations, login, walk_history  # noqa: E402

WRITERS = 16
ROUNDS = 3


def stored(srv, owner_name):
    """client_msg_id -> list of message ids, read back through the API as the shop owner."""
    api = Api(srv.port, token=login(srv.port, owner_name)[0])
    out = collections.defaultdict(list)
    total = 0
    for c in all_conversations(api):
        items, _ = walk_history(api, c["id"], limit=200)
        for m in items:
            total += 1
            if m.get("client_msg_id"):
                out[m["client_msg_id"]].append(m["id"])
    api.close()
    return out, total


def body(t):
    seed = int(os.environ.get("KEFU_IT_SEED", str(int(time.time()))))
    rnd = random.Random(seed)
    print(f"seed {seed} (set KEFU_IT_SEED to repeat)")
    d = t.tempdir("durability")
    shop = add_shop(d, "crash-shop")
    add_user(d, shop["id"], "agent1")
    add_user(d, shop["id"], "owner1", role="owner")
    key = shop["ingest_key"]
    acked = {}        # client_msg_id -> message id (every round)
    unacked = set()   # sent, no 201 seen (in flight at the kill, or refused)

    srv = Server(d).start()
    for rnd_no in range(1, ROUNDS + 1):
        stop = threading.Event()
        lock = threading.Lock()
        round_acked, round_unacked = {}, set()

        def writer(i):
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            n = 0
            while not stop.is_set():
                cmid = f"r{rnd_no}-w{i}-{n}"
                n += 1
                body = json.dumps({"buyer": f"load-{i}", "text": f"压测消息 {cmid}", "client_msg_id": cmid})
                try:
                    conn.request("POST", "/api/v1/ingest/messages", body=body.encode(),
                                 headers={"Content-Type": "application/json", "X-Kefu-Key": key})
                    r = conn.getresponse()
                    data = r.read()
                    if r.status == 201:
                        mid = json.loads(data)["message"]["id"]
                        with lock:
                            round_acked[cmid] = mid
                    else:
                        with lock:
                            round_unacked.add(cmid)
                except (OSError, http.client.HTTPException, ValueError):
                    with lock:
                        round_unacked.add(cmid)
                    conn.close()
                    if stop.is_set():
                        return
                    time.sleep(0.05)
                    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            conn.close()

        kill_at = rnd.uniform(1.5, 4.0)
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        t0 = time.time()
        for th in threads:
            th.start()
        time.sleep(max(0.0, kill_at - (time.time() - t0)))
        srv.kill9()
        killed = time.time() - t0
        stop.set()
        for th in threads:
            th.join(30)
        rate = len(round_acked) / killed if killed else 0
        print(f"round {rnd_no}: SIGKILL at {killed:.2f} s; {len(round_acked)} acknowledged ({rate:.0f}/s), "
              f"{len(round_unacked)} unacknowledged")
        t.check(f"round {rnd_no}: the load got acknowledged messages before the kill (>= 50)",
                len(round_acked) >= 50, str(len(round_acked)))
        acked.update(round_acked)
        unacked |= round_unacked
        unacked -= set(acked)

        srv.start()
        have, total = stored(srv, "owner1")
        missing = [c for c in acked if c not in have]
        twice = {c: v for c, v in have.items() if len(v) > 1}
        wrong = [c for c in acked if c in have and have[c][0] != acked[c]]
        t.check(f"round {rnd_no}: all {len(acked)} acknowledged messages (all rounds) are stored after restart",
                not missing, f"{len(missing)} missing, e.g. {missing[:5]}")
        t.check(f"round {rnd_no}: no message stored twice ({total} messages in the store)", not twice,
                str(list(twice.items())[:3]))
        t.check(f"round {rnd_no}: stored ids are the acknowledged ids", not wrong, str(wrong[:5]))
        extra = [c for c in have if c not in acked and c not in unacked]
        t.check(f"round {rnd_no}: every stored message was sent by the load (none invented)", not extra, str(extra[:5]))
        committed_unacked = [c for c in unacked if c in have]
        print(f"round {rnd_no}: {len(committed_unacked)} of {len(unacked)} unacknowledged were committed anyway "
              f"(allowed: the ack was lost with the process)")

        # Retries of everything not acknowledged, and a sample of acknowledged ones.
        api = Api(srv.port, key=key)
        retry_bad = []
        for cmid in sorted(unacked):
            i = cmid.split("-")[1][1:]
            st, r = api.post("/api/v1/ingest/messages",
                             {"buyer": f"load-{i}", "text": f"压测消息 {cmid}", "client_msg_id": cmid})
            if not (200 <= st < 300):
                retry_bad.append((cmid, st))
                continue
            mid = r["message"]["id"]
            if cmid in have and have[cmid][0] != mid:
                retry_bad.append((cmid, "new id for a committed message"))
            acked[cmid] = mid
        t.check(f"round {rnd_no}: {len(unacked)} retries of unacknowledged client_msg_ids -> 2xx (committed ones keep their id)",
                not retry_bad, str(retry_bad[:5]))
        unacked.clear()
        sample = rnd.sample(sorted(round_acked), min(50, len(round_acked)))
        same = all(api.post("/api/v1/ingest/messages",
                            {"buyer": f"load-{c.split('-')[1][1:]}", "text": f"压测消息 {c}", "client_msg_id": c})[1]
                   ["message"]["id"] == acked[c] for c in sample)
        t.check(f"round {rnd_no}: re-sending {len(sample)} acknowledged client_msg_ids returns the stored ids", same)
        api.close()
        have, total = stored(srv, "owner1")
        twice = {c: v for c, v in have.items() if len(v) > 1}
        missing = [c for c in acked if c not in have]
        t.check(f"round {rnd_no}: after the retries every message is stored exactly once ({total} total)",
                not twice and not missing and total == len(acked),
                f"{len(twice)} twice, {len(missing)} missing, {total} stored vs {len(acked)} sent")
    t.equal("/healthz ok after three crashes", srv.api().get("/healthz")[0], 200)
    srv.stop()


if __name__ == "__main__":
    Checks("test_durability").run(body)
