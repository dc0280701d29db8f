"""Baseline 2, the speed-of-light reference: the coaching-core rules in DuckDB SQL, straight
from the CSV files.  Prints findings as JSON lines ``[rule, subjects, evidence]``.

    python benchmarks/baselines/duckdb_sql.py FOLDER AS_OF
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

SQL = """
CREATE TEMP TABLE t AS SELECT * FROM read_csv('{folder}/ties.csv', header=true,
    columns={{'id': 'VARCHAR', 'kind': 'VARCHAR', 'source': 'VARCHAR', 'target': 'VARCHAR',
              'start': 'DATE', 'end': 'DATE', 'agreement_signed': 'VARCHAR',
              'relation': 'VARCHAR'}});
CREATE TEMP VIEW o AS
    SELECT id, kind, source AS s, target AS d, start, "end", 1 AS f FROM t
    UNION ALL
    SELECT id, kind, target, source, start, "end", 0 FROM t
    WHERE kind IN ('romance','family','business','friendship','social_media','employment');
CREATE TEMP VIEW ac AS SELECT id, source AS coach, target AS client, agreement_signed FROM t
    WHERE kind = 'coaching' AND (start IS NULL OR start <= DATE '{d}')
      AND ("end" IS NULL OR "end" >= DATE '{d}');
CREATE TEMP VIEW ao AS SELECT * FROM o
    WHERE (start IS NULL OR start <= DATE '{d}') AND ("end" IS NULL OR "end" >= DATE '{d}');
"""

QUERY = """
SELECT CASE
         WHEN o.kind = 'romance' THEN 'romance-active-client'
         WHEN o.kind = 'business' THEN 'business-active-client'
         WHEN o.kind = 'family' THEN 'family-active-client'
         WHEN o.kind = 'employment' THEN 'employment-active-client'
         WHEN o.kind IN ('friendship','social_media') THEN 'personal-contact-active-client'
         WHEN o.kind = 'paid_service' THEN 'paid-service-active-client'
         ELSE 'multiple-roles-with-client' END,
       ac.coach, ac.client, NULL, [ac.id, o.id]
FROM ac JOIN ao o ON o.s = ac.coach AND o.d = ac.client
WHERE o.kind IN ('romance','business','family','employment','friendship','social_media')
   OR (o.f = 1 AND o.kind IN ('paid_service','mentoring','management','supervision'))
UNION ALL
SELECT 'coaching-without-agreement', coach, client, NULL, [id] FROM ac
WHERE agreement_signed IS NULL
UNION ALL
SELECT 'romance-former-client', c.source, c.target, NULL, [c.id, o.id]
FROM t c JOIN o ON o.s = c.source AND o.d = c.target AND o.kind = 'romance'
WHERE c.kind = 'coaching' AND c."end" < DATE '{d}'
  AND (o.start IS NULL OR (o.start <= c."end" + 730 AND o.start <= DATE '{d}'))
UNION ALL
SELECT 'family-member-entangled-with-client', ac.coach, ac.client, fam.d, [ac.id, fam.id, e.id]
FROM ac JOIN ao fam ON fam.s = ac.coach AND fam.kind = 'family' AND fam.d <> ac.client
        JOIN ao e ON e.s = fam.d AND e.d = ac.client AND e.kind IN ('romance','business')
UNION ALL
SELECT 'supervisor-romance-or-family', sv.d, sv.s, NULL, [sv.id, p.id]
FROM ao sv JOIN ao p ON p.s = sv.s AND p.d = sv.d AND p.kind IN ('romance','family')
WHERE sv.kind = 'supervision' AND sv.f = 1
"""


def main(folder: str, as_of: str) -> None:
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(SQL.format(folder=folder, d=as_of))
    t1 = time.perf_counter()
    rows = con.execute(QUERY.format(d=as_of)).fetchall()
    t2 = time.perf_counter()
    out = []
    for rule, a, b, via, evidence in rows:
        if rule == "supervisor-romance-or-family":
            subjects = {"coach": a, "supervisor": b}
        else:
            subjects = {"coach": a, "client": b}
            if via is not None:
                subjects["via"] = via
        out.append(json.dumps([rule, dict(sorted(subjects.items())), list(evidence)]))
    print("\n".join(sorted(out)))
    print(json.dumps({"read": t1 - t0, "query": t2 - t1}), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
