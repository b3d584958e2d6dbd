#!/usr/bin/env python3
"""Per-shop custom compliance words over the real binary: a block word a lead adds blocks the
next agent reply at once (no restart), also on /compliance/check and FAQ saves; an allow word
lets a word through; another shop is unaffected and gets 404 for this shop's words; validation
answers 4xx naming the field; agents read but may not edit; every change is in the audit log;
words survive a restart.

    python3 tests/integration/test_custom_words.py path/to/kefu"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kefu_it import (Api, Checks, Server, add_shop, add_user, agent_ws, ingest, is_error_body,  # noqa: E402
                     login)

SECRET = "走秘-密渠道更便宜哦"  # the shop's block word 秘密渠道, written with a separator


def body(t):
    d = t.tempdir("words")
    A = add_shop(d, "words-shop")
    B = add_shop(d, "other-shop")
    add_user(d, A["id"], "leadA", role="lead", skills="presale,aftersale")
    add_user(d, A["id"], "agentA", skills="presale,aftersale")
    add_user(d, B["id"], "leadB", role="lead", skills="presale,aftersale")
    add_user(d, B["id"], "agentB", skills="presale,aftersale")
    srv = Server(d).start()
    port = srv.port
    tok = {n: login(port, n)[0] for n in ("leadA", "agentA", "leadB", "agentB")}
    api = {n: Api(port, token=tok[n]) for n in tok}
    lead, agent = api["leadA"], api["agentA"]
    sockets = [agent_ws(port, tok["agentA"]), agent_ws(port, tok["agentB"])]  # online: conversations go to them

    def conversation(key, buyer):
        st, b = ingest(Api(port, key=key), buyer, "在吗，想问下优惠")
        if st != 201:
            raise RuntimeError(f"ingest -> {st} {b}")
        return b["message"]["conversation_id"]

    cA = conversation(A["ingest_key"], "buyer-a")
    cB = conversation(B["ingest_key"], "buyer-b")

    def reply(who, conv, text):
        return api[who].post(f"/api/v1/conversations/{conv}/messages", {"text": text})

    st, b = reply("agentA", cA, SECRET)
    t.equal("before any custom word the reply is sent (201)", st, 201)

    # --- reading and permissions
    st, b = agent.get("/api/v1/compliance/words")
    t.check("an agent reads the shop's words: 200, empty, with the limit",
            st == 200 and b["items"] == [] and b["shop"] == A["id"] and b["max"] == 500, str(b))
    st, b = agent.post("/api/v1/compliance/words", {"kind": "block", "word": "秘密渠道"})
    t.check("an agent may not add a word: 403 permission_denied",
            st == 403 and is_error_body(b) and b["error"] == "permission_denied", f"{st} {b}")

    # --- validation: 4xx JSON naming the field, nothing stored
    bad = [({"word": "秘密渠道"}, 400, "kind"),
           ({"kind": "deny", "word": "秘密渠道"}, 400, "kind"),
           ({"kind": "block"}, 400, "word"),
           ({"kind": "block", "word": ""}, 400, "word"),
           ({"kind": "block", "word": "！！ ～"}, 400, "word"),
           ({"kind": "block", "word": 42}, 400, "word"),
           ({"kind": "block", "word": "字" * 31}, 400, "word"),
           ({"kind": "block", "word": "两行\n词"}, 400, "word"),
           ({"kind": "block", "word": "秘密渠道", "note": "n" * 201}, 400, "note"),
           ({"kind": "allow", "word": "旺旺牌", "suggestion": "别的"}, 400, "suggestion"),
           ({"kind": "block", "word": "秘密渠道", "shop": 7}, 400, "shop")]
    for payload, want, field in bad:
        st, b = lead.post("/api/v1/compliance/words", payload)
        t.check(f"POST {payload} -> {want} naming {field}",
                st == want and is_error_body(b) and b.get("field") == field, f"{st} {b}")
    st, b = lead.post("/api/v1/compliance/words", raw=b"{not json")
    t.check("a body that is not JSON -> 400", st == 400 and is_error_body(b), f"{st} {b}")
    st, b = lead.post(f"/api/v1/compliance/words?shop={B['id']}", {"kind": "block", "word": "秘密渠道"})
    t.check("adding to another shop -> 404", st == 404 and is_error_body(b), f"{st} {b}")
    st, b = lead.get("/api/v1/compliance/words")
    t.equal("nothing was stored by the refused requests", b["items"], [])

    # --- a block word applies to the very next reply
    st, b = lead.post("/api/v1/compliance/words",
                      {"kind": "block", "word": " 秘密渠道 ", "suggestion": "官方渠道", "note": "竞品的引流说法"})
    t.check("the lead adds a block word: 201 with the trimmed word, suggestion, note, author",
            st == 201 and b["word"]["word"] == "秘密渠道" and b["word"]["kind"] == "block"
            and b["word"]["suggestion"] == "官方渠道" and b["word"]["note"] == "竞品的引流说法"
            and b["word"]["created_by_name"] == "leadA" and b["word"]["id"].startswith("cw_")
            and b["lifts"] == [], f"{st} {b}")
    block_id = b["word"]["id"] if st == 201 else ""
    st, b = reply("agentA", cA, SECRET)
    v = (b or {}).get("violations") or [{}]
    t.check("the agent's next reply is blocked at once: 422 compliance_blocked, category custom, as written",
            st == 422 and b["error"] == "compliance_blocked" and v[0].get("category") == "custom"
            and v[0].get("match") == "秘-密渠道" and v[0].get("suggestion") == "改为“官方渠道”"
            and v[0].get("replacements") == ["官方渠道"]
            and v[0].get("start") == 1 and v[0].get("end") == 6, f"{st} {b}")
    st, b = agent.post("/api/v1/compliance/check", {"text": SECRET})
    t.check("/compliance/check sees the shop's word", st == 200 and b["ok"] is False
            and b["violations"][0]["category"] == "custom", f"{st} {b}")
    st, b = lead.post("/api/v1/faq", {"question": "有便宜渠道吗", "answer": "可以走秘密渠道哦"})
    t.check("a robot FAQ answer with the word is refused: 422 compliance_blocked",
            st == 422 and b["error"] == "compliance_blocked" and b["violations"][0]["category"] == "custom", f"{st} {b}")
    for payload in ({"kind": "block", "word": "秘 密 渠 道"}, {"kind": "allow", "word": "秘密渠道"}):
        st, b = lead.post("/api/v1/compliance/words", payload)
        t.check(f"the same word again ({payload['kind']}, other spelling) -> 409 already_exists naming word",
                st == 409 and b["error"] == "already_exists" and b.get("field") == "word", f"{st} {b}")
    st, b = lead.post("/api/v1/compliance/words", {"kind": "block", "word": "内部价", "suggestion": "加微信问"})
    t.check("a suggestion that is itself blocked -> 422 naming suggestion",
            st == 422 and b["error"] == "compliance_blocked" and b.get("field") == "suggestion", f"{st} {b}")

    # --- another shop is unaffected and cannot see or touch these words
    st, b = reply("agentB", cB, SECRET)
    t.equal("another shop's agent sends the same text (201)", st, 201)
    st, b = api["agentB"].post("/api/v1/compliance/check", {"text": SECRET})
    t.check("another shop's check is clean", st == 200 and b["ok"] is True, f"{st} {b}")
    st, b = api["leadB"].get(f"/api/v1/compliance/words?shop={A['id']}")
    t.check("another shop's lead: GET this shop's words -> 404", st == 404 and is_error_body(b), f"{st} {b}")
    st, b = api["leadB"].call("DELETE", f"/api/v1/compliance/words/{block_id}?shop={A['id']}")
    t.check("another shop's lead: DELETE this shop's word -> 404", st == 404, f"{st} {b}")
    st, b = api["leadB"].call("DELETE", f"/api/v1/compliance/words/{block_id}")
    t.check("the word id under the other lead's own shop -> 404", st == 404, f"{st} {b}")
    st, b = api["leadB"].get("/api/v1/compliance/words")
    t.check("another shop's list stays empty", st == 200 and b["items"] == [], f"{st} {b}")

    # --- an allow word lets a word through for this shop only
    snack = "旺旺牌饼干今天到货了"
    st, b = reply("agentA", cA, snack)
    t.check("旺旺 (another platform's chat tool) blocks before the allow word",
            st == 422 and b["violations"][0]["category"] == "third_party", f"{st} {b}")
    st, b = lead.post("/api/v1/compliance/words", {"kind": "allow", "word": "旺旺牌", "note": "本店在售品牌"})
    t.check("the lead adds an allow word: 201, and is told what it lifts (旺旺, third_party)",
            st == 201 and b["word"]["kind"] == "allow" and [x["match"] for x in b["lifts"]] == ["旺旺"]
            and b["lifts"][0]["category"] == "third_party", f"{st} {b}")
    st, b = reply("agentA", cA, snack)
    t.equal("the same reply now goes out (201)", st, 201)
    st, b = reply("agentA", cA, "有问题旺旺找我")
    t.check("旺旺 outside the allowed word still blocks", st == 422, f"{st} {b}")
    st, b = reply("agentB", cB, snack)
    t.check("another shop still blocks 旺旺牌", st == 422, f"{st} {b}")

    # --- list, audit, delete
    st, b = agent.get("/api/v1/compliance/words")
    t.check("the list shows both words, oldest first",
            st == 200 and [(x["kind"], x["word"]) for x in b["items"]] == [("block", "秘密渠道"), ("allow", "旺旺牌")],
            str(b)[:300])
    st, b = agent.call("DELETE", f"/api/v1/compliance/words/{block_id}")
    t.check("an agent may not delete: 403", st == 403, f"{st} {b}")
    st, b = lead.call("DELETE", f"/api/v1/compliance/words/{block_id}")
    t.equal("the lead deletes the block word: 204", st, 204)
    st, b = lead.call("DELETE", f"/api/v1/compliance/words/{block_id}")
    t.check("deleting it again -> 404", st == 404 and is_error_body(b), f"{st} {b}")
    st, b = reply("agentA", cA, SECRET)
    t.equal("with the word deleted the reply goes out again (201)", st, 201)
    st, b = lead.get("/api/v1/audit?entity_type=compliance_word")
    acts = [(x["action"], x["entity_id"]) for x in (b or {}).get("items", [])] if st == 200 else []
    t.check("the audit log holds add, add, delete (newest first) with who did it",
            st == 200 and [a for a, _ in acts] == ["compliance_word.delete", "compliance_word.add", "compliance_word.add"]
            and acts[0][1] == block_id and b["items"][0]["actor_name"] == "leadA"
            and b["items"][0]["before"]["word"] == "秘密渠道" and b["items"][0]["after"] is None, str(b)[:400])

    # --- survives a restart
    for s in sockets:
        s.close()
    srv.stop()
    srv.start()
    port = srv.port
    agent2 = Api(port, token=tok["agentA"])
    st, b = agent2.get("/api/v1/compliance/words")
    t.check("after a restart the allow word is still listed",
            st == 200 and [x["word"] for x in b["items"]] == ["旺旺牌"], str(b)[:300])
    st, b = agent2.post("/api/v1/compliance/check", {"text": snack})
    t.check("after a restart the allow word still applies", st == 200 and b["ok"] is True, f"{st} {b}")


if __name__ == "__main__":
    Checks("custom words").run(body)
