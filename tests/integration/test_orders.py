#!/usr/bin/env python3
"""Orders, compensations and the audit log over the real binary: `kefu import orders` with
good and malformed files (per-line errors, nothing half-stored, exit codes 0/1/2), HTTP import,
an agent's 5 yuan goodwill refund (allowed), a 50 yuan one (an approval request), the lead's
approval, the audit log (JSON and CSV) showing all three steps, and another shop's users
seeing none of it (404 everywhere). Then the shop's permission policy (a lead's change applies
to the next request, validated and audited), a 问题件's 24 h follow-up, return registration by
tracking number, and the server cancelling an expired 拼团 by itself as time passes.

    python3 tests/integration/test_orders.py path/to/kefu"""
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import Api, Checks, Server, add_shop, add_user, cli, cli_json, is_error_body, login  # noqa: E402

HEADER = "订单号,买家,商品编码,商品名称,数量,单价,运费,状态,省,市,区,详细地址,收件人,手机,支付时间,签收时间\n"


def row(oid, buyer, sku, qty, price, status="delivered", paid="2026-03-01 10:00", delivered="2026-03-03 10:00"):
    return (f"{oid},{buyer},{sku},连衣裙,{qty},{price},0.00,{status},广东省,深圳市,南山区,科技园1号,张三,"
            f"13800138000,{paid},{delivered}\n")


def write(d, name, data):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


def body(t):
    d = t.tempdir("orders")
    A = add_shop(d, "shop-a")
    B = add_shop(d, "shop-b", platform="taobao")
    uid = {
        "agentA": add_user(d, A["id"], "agentA", skills="aftersale")["id"],
        "leadA": add_user(d, A["id"], "leadA", role="lead")["id"],
        "agentB": add_user(d, B["id"], "agentB", skills="presale,aftersale")["id"],
        "leadB": add_user(d, B["id"], "leadB", role="lead")["id"],
    }

    # ---- CLI import ----
    good = write(d, "good.csv", HEADER + row("A-1", "买家甲", "SKU-1", 1, "129.00") + row("A-2", "买家乙", "SKU-1", 2, "59.90"))
    rc, out, err = cli("import", "orders", good, "--data", d, "--shop", A["id"])
    t.equal("import of a good CSV exits 0", rc, 0)
    t.check("it reports 2 imported orders", "imported 2 orders" in out, out + err)

    gbk = write(d, "gbk.csv", HEADER.encode("gbk") + row("G-1", "买家丙", "SKU-1", 1, "1.00").encode("gbk"))
    rc, out, err = cli("import", "orders", gbk, "--data", d, "--shop", A["id"])
    t.equal("a GBK file exits 2", rc, 2)
    t.check("the GBK error names the encoding", "UTF-8" in err, err)

    missing = write(d, "missing.csv", "订单号,买家,数量,单价\nM-1,买家,1,1.00\n")
    rc, out, err = cli("import", "orders", missing, "--data", d, "--shop", A["id"], "--json")
    t.equal("a file without the sku column exits 2", rc, 2)
    res = __import__("json").loads(out)
    t.check("--json reports the missing column on line 1 and nothing imported",
            res["imported"] == 0 and res["errors"] and res["errors"][0]["line"] == 1, out)

    mixed = write(d, "mixed.csv", HEADER + row("B-1", "买家丁", "SKU-1", 1, "12.3.4") + row("B-2", "买家戊", "SKU-1", -2, "10.00")
                  + row("B-3", "买家己", "SKU-1", 1, "10.00") + row("B-3", "买家庚", "SKU-1", 1, "11.00"))
    rc, out, err = cli("import", "orders", mixed, "--data", d, "--shop", A["id"], "--json")
    res = __import__("json").loads(out)
    t.equal("a file with bad rows exits 1 (some rows rejected)", rc, 1)
    t.equal("only the valid row is stored", res["imported"], 1)
    lines = sorted((e["line"], e["field"]) for e in res["errors"])
    t.equal("bad money, negative qty and the duplicate id are reported with their lines",
            lines, [(2, "unit_price"), (3, "qty"), (5, "order_id")])
    rc, out, err = cli("import", "orders", mixed, "--data", d, "--shop", A["id"])
    t.equal("importing an existing order id again exits 2", rc, 2)
    t.check("and says nothing was stored", "nothing stored" in err, err)
    rc, out, err = cli("import", "orders", good, "--data", d, "--shop", "no-such-shop")
    t.equal("an unknown shop exits 2", rc, 2)
    rc, out, err = cli("import", "orders", os.path.join(d, "absent.csv"), "--data", d, "--shop", A["id"])
    t.equal("an unreadable file exits 2", rc, 2)

    srv = Server(d).start()
    port = srv.port
    api = {n: Api(port, token=login(port, n)[0]) for n in uid}
    aa, la, ab, lb = api["agentA"], api["leadA"], api["agentB"], api["leadB"]

    st, r = aa.get("/api/v1/orders")
    ids = sorted(o["id"] for o in r["items"]) if st == 200 else []
    t.equal("shop A lists exactly the stored orders (nothing half-stored)", ids, ["A-1", "A-2", "B-3"])
    st, r = aa.get("/api/v1/orders?buyer=" + __import__("urllib.parse").parse.quote("买家甲"))
    t.check("orders by buyer (chat side panel)", st == 200 and [o["id"] for o in r["items"]] == ["A-1"], f"{st} {r}")

    # HTTP import: a bad row is skipped with its line, an all-bad file is a 400 with errors.
    st, r = aa.post("/api/v1/orders/import", raw=(HEADER + row("H-1", "买家辛", "SKU-1", 1, "20.00") + row("H-2", "买家壬", "SKU-1", 0, "20.00")).encode())
    t.check("HTTP import stores the good row and reports line 3", st == 201 and r["imported"] == 1 and [e["line"] for e in r["errors"]] == [3], f"{st} {r}")
    st, r = aa.post("/api/v1/orders/import", raw='{"order_id": "J-1", "buyer": "x", "items": [{"sku": "S", "qty": 1, "unit_price": "1.2.3"}]}\n{bad json\n'.encode())
    t.check("HTTP import of an all-bad JSONL file -> 400 with per-line errors",
            st == 400 and is_error_body(r) and [e["line"] for e in r["errors"]] == [1, 2], f"{st} {r}")

    # ---- permission engine: 5 yuan allowed, 50 yuan needs the lead ----
    st, r = aa.post("/api/v1/compensations", {"kind": "goodwill_refund", "order_id": "A-1", "amount": "5.00", "cause": "delivery", "reason": "快递慢"})
    t.check("agent's 5 yuan goodwill refund is allowed (201)", st == 201 and r["verdict"] == "allowed" and r["compensation"], f"{st} {r}")
    comp_id = r["compensation"]["id"] if st == 201 else ""
    st, r = aa.post("/api/v1/compensations", {"kind": "goodwill_refund", "order_id": "A-1", "amount": "50.00", "cause": "product"})
    t.check("agent's 50 yuan goodwill refund becomes an approval request (202)",
            st == 202 and r["verdict"] == "needs_approval" and r["approval"]["state"] == "pending", f"{st} {r}")
    ap_id = r["approval"]["id"] if st == 202 else "none"
    st, r = aa.post("/api/v1/compensations", {"kind": "goodwill_refund", "order_id": "A-1", "amount": 5.5})
    t.check("a float amount is refused (400, field amount)", st == 400 and r.get("field") == "amount", f"{st} {r}")
    st, r = aa.post(f"/api/v1/approvals/{ap_id}/approve", {})
    t.equal("the agent cannot approve (403)", st, 403)
    st, r = la.get("/api/v1/approvals")
    t.check("the lead's inbox holds the request", st == 200 and [a["id"] for a in r["items"]] == [ap_id], f"{st} {r}")
    st, r = la.post(f"/api/v1/approvals/{ap_id}/approve", {"note": "同意"})
    t.check("the lead approves -> 200 with the compensation",
            st == 200 and r["approval"]["state"] == "approved" and r["compensation"]["approved_by"] == uid["leadA"], f"{st} {r}")
    st, r = la.post(f"/api/v1/approvals/{ap_id}/approve", {})
    t.equal("approving twice -> 409", st, 409)
    st, r = la.get("/api/v1/approvals")
    t.check("the inbox is empty afterwards", st == 200 and r["items"] == [], f"{st} {r}")

    st, r = la.get("/api/v1/audit?entity_type=approval")
    steps = [(a["action"], a["actor"]) for a in r.get("items", [])] if st == 200 else []
    t.equal("audit: approval request by the agent, approval by the lead (newest first)", steps,
            [("approval.approve", uid["leadA"]), ("approval.request", uid["agentA"])])
    st, r = la.get("/api/v1/audit?action=compensation")
    comps = [(a["actor"], a["after"]["action"]["amount"]) for a in r.get("items", [])] if st == 200 else []
    t.equal("audit: two compensations, 50.00 by the lead then 5.00 by the agent", comps,
            [(uid["leadA"], "50.00"), (uid["agentA"], "5.00")])
    st, r = la.get(f"/api/v1/audit?entity_id={comp_id}")
    t.check("audit filter by entity", st == 200 and len(r["items"]) == 1 and r["items"][0]["before"] is None, f"{st} {r}")
    st, csv = la.get("/api/v1/audit?format=csv&action=approval")
    t.check("CSV export holds the header and both approval rows",
            st == 200 and isinstance(csv, str) and "at,actor,actor_name,action" in csv
            and "approval.approve" in csv and "approval.request" in csv and "compensation.create" not in csv, f"{st} {str(csv)[:300]}")
    st, r = la.get("/api/v1/audit?limit=2")
    st2, r2 = la.get(f"/api/v1/audit?limit=2&before={r.get('next')}")
    t.check("audit cursor pages without overlap", st == 200 and st2 == 200 and r["next"] and
            not ({a["id"] for a in r["items"]} & {a["id"] for a in r2["items"]}), f"{r} {r2}")

    # ---- 改价, remark, review queue ----
    st, r = aa.get("/api/v1/review")
    t.check("review queue answers with cut-off and counts", st == 200 and "cutoff" in r and "counts" in r, f"{st} {r}")
    st, r = aa.get("/api/v1/review?at=15:30")
    t.check("`at` is refused outside demo mode (400)", st == 400 and r.get("field") == "at", f"{st} {r}")
    st, r = aa.post("/api/v1/orders/A-1/remark", {"remark": "[退差价] 原因=降价补差;金额=5.00"})
    t.check("a 退差价 remark without a flag -> 400 naming flag", st == 400 and r.get("field") == "flag", f"{st} {r}")
    st, r = aa.post("/api/v1/orders/A-1/remark", {"remark": "【退差价】原因＝降价补差；金额＝5.00", "flag": "red"})
    t.check("with a flag it is stored in canonical form", st == 200 and r["remark"] == "[退差价] 原因=降价补差;金额=5.00" and r["flag"] == "red", f"{st} {r}")

    # ---- after-sales case ----
    st, r = aa.post("/api/v1/aftersales/cases", {"order_id": "A-1", "type": "refund_only", "reason": "quality", "amount": "20.00"})
    t.check("an after-sales case opens with a countdown", st == 201 and r["state"] == "requested" and r["countdown"]["remaining_seconds"] > 0, f"{st} {r}")
    case_id = r.get("id", "none") if isinstance(r, dict) else "none"

    # ---- the shop's permission policy: read by all, changed by leads, applied at once ----
    st, r = aa.get("/api/v1/settings/permissions")
    t.check("the policy starts as the platform's defaults (拼多多: 3 payments per order, 200 yuan cap)",
            st == 200 and not r["customized"] and r["policy"]["agent"]["goodwill_caps"]["delivery"] == "5.00"
            and r["platform_limits"] == {"small_payments_per_order": 3, "small_payment_cap": "200.00"}, f"{st} {r}")
    st, r = aa.post("/api/v1/compensations", {"kind": "goodwill_refund", "order_id": "A-2", "amount": "8.00", "cause": "delivery"})
    t.check("an 8 yuan goodwill refund needs a lead under the defaults (202)", st == 202 and r["rule"] == "goodwill.cap", f"{st} {r}")
    st, r = aa.put("/api/v1/settings/permissions", {"agent": {"goodwill_caps": {"delivery": "8.00"}}})
    t.check("an agent cannot change the policy (403)", st == 403 and is_error_body(r), f"{st} {r}")
    for label, body, field in [
            ("a count above 拼多多's 3 per order", {"agent": {"small_payments_per_order": 4}}, "agent.small_payments_per_order"),
            ("a float amount", {"agent": {"gift_topup_gap": 10.5}}, "agent.gift_topup_gap"),
            ("a bad amount", {"lead": {"goodwill_caps": {"buyer": "1.2.3"}}}, "lead.goodwill_caps.buyer"),
            ("an unknown cause", {"agent": {"goodwill_caps": {"weather": "5.00"}}}, "agent.goodwill_caps.weather"),
            ("an unknown field", {"agent": {"goodwil_caps": {}}}, "agent.goodwil_caps"),
            ("a cap above the platform's 200 yuan", {"lead": {"small_payment_cap": "201.00"}}, "lead.small_payment_cap"),
            ("a gift threshold without its SKU", {"gift_thresholds": [{"threshold": "99.00", "gift_sku": ""}]}, "gift_thresholds[0].gift_sku")]:
        st, r = la.put("/api/v1/settings/permissions", body)
        t.check(f"PUT with {label} -> 400 naming {field}", st == 400 and r.get("field") == field, f"{st} {r}")
    caps = {"delivery": "8.00", "campaign": "5.00", "warehouse": "5.00", "product": "5.00"}
    st, r = la.put("/api/v1/settings/permissions", {"agent": {"goodwill_caps": caps}, "gift_thresholds": [{"threshold": "199.00", "gift_sku": "SOCKS"}]})
    t.check("the lead raises the delivery cap to 8 yuan and leaves out the buyer cause (200)",
            st == 200 and r["customized"] and r["updated_by"] == uid["leadA"] and r["policy"]["agent"]["goodwill_caps"] == caps, f"{st} {r}")
    st, r = aa.post("/api/v1/compensations", {"kind": "goodwill_refund", "order_id": "A-2", "amount": "8.00", "cause": "delivery"})
    t.check("the same 8 yuan refund is now within the agent's authority (201)", st == 201 and r["verdict"] == "allowed", f"{st} {r}")
    st, r = aa.post("/api/v1/compensations", {"kind": "goodwill_refund", "order_id": "A-2", "amount": "1.00", "cause": "buyer"})
    t.check("a cause left out of the policy needs a lead even for 1 yuan (202)", st == 202 and r["rule"] == "goodwill.cause", f"{st} {r}")
    st, r = la.get("/api/v1/audit?entity_type=policy")
    t.check("the change is audited with before and after",
            st == 200 and len(r["items"]) == 1 and r["items"][0]["action"] == "policy.update"
            and r["items"][0]["actor"] == uid["leadA"]
            and r["items"][0]["before"]["agent"]["goodwill_caps"]["delivery"] == "5.00"
            and r["items"][0]["after"]["agent"]["goodwill_caps"]["delivery"] == "8.00", f"{st} {r}")
    st, r = lb.get("/api/v1/settings/permissions")
    t.check("shop B keeps the platform's defaults", st == 200 and not r["customized"] and r["platform"] == "taobao", f"{st} {r}")

    # ---- 问题件: tracking follow-up every 24 h ----
    st, r = aa.post("/api/v1/aftersales/cases", {"order_id": "A-2", "type": "problem", "problem": "stuck", "reason": "not_received", "amount": "59.90"})
    cd = r.get("countdown", {}) if isinstance(r, dict) else {}
    t.check("a 问题件 opens with its first follow-up due in 24 h",
            st == 201 and cd.get("what") == "问题件跟进物流" and 24 * 3600 - 120 < cd.get("remaining_seconds", 0) <= 24 * 3600, f"{st} {r}")
    pid = r.get("id", "none") if isinstance(r, dict) else "none"
    st, r = aa.post(f"/api/v1/aftersales/cases/{pid}/events", {"event": "follow_up", "text": "快递称已到转运中心"})
    t.check("a follow-up is recorded and the next one is due 24 h later",
            st == 200 and len(r["followups"]) == 1 and 24 * 3600 - 120 < r["countdown"]["remaining_seconds"] <= 24 * 3600, f"{st} {r}")
    st, r = aa.post(f"/api/v1/aftersales/cases/{pid}/events", {"event": "follow_up"})
    t.check("a follow-up without a note -> 400 naming text", st == 400 and r.get("field") == "text", f"{st} {r}")

    # ---- return registration when the parcel arrives ----
    st, r = aa.post("/api/v1/aftersales/cases", {"order_id": "A-1", "type": "return_refund", "reason": "no_reason_7d", "amount": "129.00"})
    rid = r.get("id", "none") if isinstance(r, dict) else "none"
    st1, _ = aa.post(f"/api/v1/aftersales/cases/{rid}/events", {"event": "approve"})
    st2, r = aa.post(f"/api/v1/aftersales/cases/{rid}/events", {"event": "buyer_ship_return", "text": "YT-RET-0001", "carrier": "圆通速递"})
    t.check("the buyer's return is on its way with a receipt countdown (10 days on 淘宝, 7 on 拼多多)",
            st == 201 and st1 == 200 and st2 == 200 and r["state"] == "return_shipped"
            and 7 * 86400 - 120 < r["countdown"]["remaining_seconds"] <= 7 * 86400, f"{st} {st1} {st2} {r}")
    st, r = lb.post(f"/api/v1/aftersales/returns?shop={A['id']}", {"tracking_no": "YT-RET-0001"})
    t.equal("shop B cannot register shop A's parcel (404)", st, 404)
    st, r = aa.post("/api/v1/aftersales/returns", {"tracking_no": "YT-RET-0001", "condition": "damaged"})
    t.check("the warehouse registers the parcel by its tracking number",
            st == 200 and r["id"] == rid and r["state"] == "return_received" and r["return_condition"] == "damaged", f"{st} {r}")
    st, r = aa.post("/api/v1/aftersales/returns", {"tracking_no": "YT-RET-0001"})
    t.equal("registering the same parcel twice -> 404 (no case awaits it)", st, 404)
    st, r = aa.post("/api/v1/aftersales/returns", {"tracking_no": "YT-RET-0001", "condition": "wet"})
    t.check("an unknown condition -> 400 naming condition", st == 400 and r.get("field") == "condition", f"{st} {r}")
    st, r = aa.post(f"/api/v1/aftersales/cases/{rid}/events", {"event": "refund"})
    t.check("the received return is refunded", st == 200 and r["state"] == "refunded" and r["final"], f"{st} {r}")
    st, r = aa.get("/api/v1/aftersales/cases?open=1")
    st2, r2 = aa.get("/api/v1/aftersales/cases")
    t.check("the board's open cases leave the refunded one out; the full list keeps it",
            st == 200 and st2 == 200 and rid not in [c["id"] for c in r["items"]]
            and pid in [c["id"] for c in r["items"]] and rid in [c["id"] for c in r2["items"]], f"{r} {r2}")

    # ---- shop B sees none of it ----
    for label, path in [("order", "/api/v1/orders/A-1"), ("orders of shop A", f"/api/v1/orders?shop={A['id']}"),
                        ("approvals of shop A", f"/api/v1/approvals?shop={A['id']}"),
                        ("audit of shop A", f"/api/v1/audit?shop={A['id']}"),
                        ("audit CSV of shop A", f"/api/v1/audit?shop={A['id']}&format=csv"),
                        ("case", f"/api/v1/aftersales/cases/{case_id}"),
                        ("review queue of shop A", f"/api/v1/review?shop={A['id']}"),
                        ("permission policy of shop A", f"/api/v1/settings/permissions?shop={A['id']}")]:
        for who, cl in (("agentB", ab), ("leadB", lb)):
            st, r = cl.get(path)
            t.check(f"{who}: {label} -> 404", st == 404 and is_error_body(r), f"{st} {r}")
    st, r = lb.post(f"/api/v1/approvals/{ap_id}/reject", {})
    t.equal("leadB cannot decide shop A's approval (404)", st, 404)
    st, r = lb.put(f"/api/v1/settings/permissions?shop={A['id']}", {"agent": {"price_protect_days": 30}})
    t.equal("leadB cannot change shop A's policy (404)", st, 404)
    st, r = ab.post("/api/v1/compensations", {"kind": "goodwill_refund", "order_id": "A-1", "amount": "5.00"})
    t.equal("agentB cannot compensate shop A's order (404)", st, 404)
    st, r = ab.post("/api/v1/orders/A-1/remark", {"remark": "x"})
    t.equal("agentB cannot remark shop A's order (404)", st, 404)
    st, r = ab.post("/api/v1/review/A-2/approve", {})
    t.equal("agentB cannot approve shop A's review entry (404)", st, 404)
    st, r = ab.get("/api/v1/orders")
    t.check("agentB's own order list is empty", st == 200 and r["items"] == [], f"{st} {r}")
    st, r = lb.get("/api/v1/audit")
    t.check("leadB's audit log is empty", st == 200 and r["items"] == [], f"{st} {r}")
    st, r = lb.get("/api/v1/approvals?state=all")
    t.check("leadB's approvals are empty", st == 200 and r["items"] == [], f"{st} {r}")

    srv.stop()

    # ---- 拼团: the server cancels and refunds an expired group by itself ----
    # One group order reaches 24 h without 成团 a few seconds after the server starts, another
    # has a day left. Nothing but the server's own sweep (every 10 s) may close the first.
    now = datetime.datetime.now(datetime.timezone.utc)
    due = (now - datetime.timedelta(hours=24) + datetime.timedelta(seconds=20)).isoformat(timespec="seconds")
    later = (now - datetime.timedelta(hours=1)).isoformat(timespec="seconds")
    groups = write(d, "groups.csv", "order_id,buyer,sku,qty,unit_price,shipping_fee,status,paid_at,group_id,group_size,group_joined\n"
                   f"G-DUE,买家癸,SKU-1,1,19.90,5.00,group_pending,{due},T-1,2,1\n"
                   f"G-LATER,买家子,SKU-1,1,19.90,0,group_pending,{later},T-2,3,1\n")
    rc, out, err = cli("import", "orders", groups, "--data", d, "--shop", A["id"])
    t.equal("two 拼团 orders imported", rc, 0)
    srv = Server(d).start()
    aa = Api(srv.port, token=login(srv.port, "agentA")[0])
    st, r = aa.get("/api/v1/orders/G-DUE")
    t.check("right after the start the group still waits, with its 24 h deadline",
            st == 200 and r["order"]["status"] == "group_pending" and r["group"]["deadline"] and not r["group"]["expired"], f"{st} {r}")
    st, r = aa.post("/api/v1/orders/G-DUE/address", {"province": "广东省", "city": "深圳市", "district": "南山区", "detail": "x", "recipient": "张三", "phone": "13800138000"})
    t.check("before 成团 the address cannot change, and the agent is told why (409)",
            st == 409 and "拼团未成团" in r.get("message", ""), f"{st} {r}")
    status, deadline = None, time.time() + 60
    while time.time() < deadline:
        st, r = aa.get("/api/v1/orders/G-DUE")
        status = r["order"]["status"] if st == 200 else None
        if status == "closed":
            break
        time.sleep(1)
    t.equal("past 24 h the server closed the group order by itself", status, "closed")
    st, r = aa.get("/api/v1/audit?entity_id=G-DUE")
    rec = r["items"][0] if st == 200 and r["items"] else {}
    t.check("audited as the system's cancel-and-refund, before group_pending, after closed",
            rec.get("action") == "order.group_expired_refund" and rec.get("actor") == "system"
            and rec["before"]["status"] == "group_pending" and rec["after"]["status"] == "closed", f"{st} {r}")
    st, r = aa.get("/api/v1/orders/G-LATER")
    t.check("the group with time left still waits", st == 200 and r["order"]["status"] == "group_pending", f"{st} {r}")
    srv.stop()

    # Restart: everything above was committed.
    srv = Server(d).start()
    la = Api(srv.port, token=login(srv.port, "leadA")[0])
    st, r = la.get(f"/api/v1/audit?entity_id={ap_id}")
    t.check("after a restart the approval steps are still in the audit log",
            st == 200 and [a["action"] for a in r["items"]] == ["approval.approve", "approval.request"], f"{st} {r}")
    srv.stop()


if __name__ == "__main__":
    Checks("test_orders").run(body)
