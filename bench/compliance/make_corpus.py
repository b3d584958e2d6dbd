#!/usr/bin/env python3
"""Builds the benchmark corpus (not committed): one message per line, >= SIZE_MB of UTF-8, from
../shared/data/cold (Apache-2.0 comments) and generated 客服 chat text with ~5% lexicon words,
plus words.txt: the lexicon words every contender loads. usage: make_corpus.py REPO OUT_DIR [SIZE_MB]"""
import csv, glob, os, random, sys

repo, out = sys.argv[1], sys.argv[2]
size_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 100
rnd = random.Random(42)
words = []
for f in sorted(glob.glob(os.path.join(repo, "data/lexicons/*.tsv"))):
    if f.endswith("allow.tsv"):
        continue
    for line in open(f, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        words.append(line.split("\t")[0])
with open(os.path.join(out, "words.txt"), "w", encoding="utf-8") as w:
    w.write("\n".join(words) + "\n")

comments = []
for f in glob.glob(os.path.join(repo, "../shared/data/cold/*.csv")):
    with open(f, encoding="utf-8") as fh:
        for row in csv.reader(fh):
            for cell in row:
                if len(cell) > 8 and any("\u4e00" <= c <= "\u9fff" for c in cell):
                    comments.append(cell.replace("\n", " "))
                    break
phrases = ["亲，您好，请问有什么可以帮您？", "这款今天下单，48小时内发货哦", "快递单号 YT7388123456789 已更新",
           "稍微等一下，我帮您查一下物流", "价格是 138.00 元，满 199 减 30", "第一次购买可以领新人券😊",
           "尺码偏小，建议拍大一码", "亲，七天无理由退货，运费险已包含", "颜色以实物为准，微微有点色差",
           "好的亲，已经为您备注了", "亲亲，有问题随时联系客服哦～", "订单 230305-138123456789012 已签收",
           "ＡＢＣ全棉面料，可以机洗", "支持货到付款吗？暂不支持哦", "十点三十分前付款今天发货"]
target = size_mb * 1024 * 1024
total = 0
with open(os.path.join(out, "corpus.txt"), "w", encoding="utf-8") as c:
    while total < target:
        parts = []
        n = 0
        while n < 200:
            p = rnd.choice(comments) if comments and rnd.random() < 0.4 else rnd.choice(phrases)
            if rnd.random() < 0.05:
                p += rnd.choice(words)
            parts.append(p)
            n += len(p)
        line = "".join(parts)[:200] + "\n"
        c.write(line)
        total += len(line.encode("utf-8"))
print(f"corpus: {total / 1048576:.1f} MB, {len(words)} words, {len(comments)} COLD comments")
