-- The 拼多多 reply-rate query over table ev(seq, ts_us, shop, buyer, sender), written for both
-- sqlite3 and DuckDB. Parameters are substituted by run-replyrate.sh: :LO_US/:HI_US bound the
-- days asked about (UTC microseconds of the first day's 00:00 and the last day's end, +08:00),
-- :TZ_US is the zone offset in microseconds. A trigger is a buyer message in [08:00, 23:00)
-- local; its delay is to the first later reply (agent; agent or robot) of the same shop+buyer.
WITH trig AS (
  SELECT seq, ts_us, shop, buyer, (ts_us + :TZ_US) / 86400000000 AS day
  FROM ev
  WHERE sender = 'buyer' AND ts_us >= :LO_US AND ts_us < :HI_US
    AND ((ts_us + :TZ_US) % 86400000000) >= 8 * 3600000000
    AND ((ts_us + :TZ_US) % 86400000000) < 23 * 3600000000
), d AS (
  SELECT t.shop, t.buyer, t.day,
    (SELECT min(r.ts_us) FROM ev r WHERE r.shop = t.shop AND r.buyer = t.buyer
       AND r.sender = 'agent' AND (r.ts_us > t.ts_us OR (r.ts_us = t.ts_us AND r.seq > t.seq))
       AND r.ts_us <= t.ts_us + 3600000000) - t.ts_us AS human,
    (SELECT min(r.ts_us) FROM ev r WHERE r.shop = t.shop AND r.buyer = t.buyer
       AND r.sender IN ('agent', 'robot') AND (r.ts_us > t.ts_us OR (r.ts_us = t.ts_us AND r.seq > t.seq))
       AND r.ts_us <= t.ts_us + 3600000000) - t.ts_us AS anyr
  FROM trig t
), bd AS (
  SELECT shop, buyer, day,
    min(CASE WHEN human IS NOT NULL AND human <= 180000000 THEN 1 ELSE 0 END) AS a3,
    min(CASE WHEN anyr IS NOT NULL AND anyr <= 300000000 THEN 1 ELSE 0 END) AS a5,
    min(CASE WHEN anyr IS NOT NULL AND anyr <= 900000000 THEN 1 ELSE 0 END) AS a15,
    min(CASE WHEN anyr IS NOT NULL AND anyr <= 3600000000 THEN 1 ELSE 0 END) AS a60
  FROM d GROUP BY shop, buyer, day
)
SELECT shop, count(*) AS consulting, sum(a3) AS a3, sum(a5) AS a5, sum(a15) AS a15, sum(a60) AS a60
FROM bd GROUP BY shop ORDER BY shop;
