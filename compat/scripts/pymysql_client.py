"""PyMySQL (Debian python3-pymysql) against guocedb.

Text queries, every column type read and written back through the text
protocol (PyMySQL quotes parameters on the client), NULL against '',
several statements in one query, a CALL's result sets, TLS with a verified certificate. The
environment gives COMPAT_HOST, COMPAT_PORT, COMPAT_USER, COMPAT_PASSWORD,
COMPAT_DB, COMPAT_TLS and COMPAT_CA.
"""
import os
import ssl

import pymysql
from pymysql.constants import CLIENT

env = os.environ


def connect(**kw):
    return pymysql.connect(host=env["COMPAT_HOST"], port=int(env["COMPAT_PORT"]),
                           user=env["COMPAT_USER"], password=env["COMPAT_PASSWORD"],
                           database=env["COMPAT_DB"], charset="utf8mb4",
                           connect_timeout=10, read_timeout=60, **kw)


conn = connect(client_flag=CLIENT.MULTI_STATEMENTS)
cur = conn.cursor()
cur.execute("SELECT * FROM types ORDER BY id")
cols = [d[0] for d in cur.description]
rows = cur.fetchall()
by_id = {r[0]: dict(zip(cols, r)) for r in rows}
print("text rows:", len(rows))
print("bi min:", by_id[1]["bi"])
print("bu max:", by_id[2]["bu"])
print("dc max:", by_id[2]["dc"])
print("vc utf8:", by_id[1]["vc"])
print("tx utf8:", by_id[1]["tx"])
print("bl hex:", by_id[1]["bl"].hex())
print("bn hex:", by_id[1]["bn"].hex())
print("dtm:", by_id[2]["dtm"].isoformat(" "))
cur.execute("SELECT js->'$.a' FROM types WHERE id = 1")
print("js:", cur.fetchone()[0])

nv, ev = by_id[3]["vc"], by_id[4]["vc"]
if nv is None and ev == "":
    print("null vs empty: NULL ''")
else:
    print("null vs empty: %r %r" % (nv, ev))

# Write every row back through the client's own quoting of each value.
marks = ", ".join(["%s"] * len(cols))
for r in rows:
    cur.execute("INSERT INTO types_text VALUES (%s)" % marks, list(r))
conn.commit()

cur.execute("SELECT 1; SELECT 2; SELECT 3")
got = [cur.fetchone()[0]]
while cur.nextset():
    got.append(cur.fetchone()[0])
print("multi:", " ".join(str(g) for g in got))

# A CALL's result sets, one per SELECT of the procedure, then its OK.
cur.execute("CREATE PROCEDURE py_two_sets() BEGIN SELECT 1; DO 0; SELECT 2; END")
cur.execute("CALL py_two_sets()")
got = [cur.fetchone()[0]]
while cur.nextset():
    row = cur.fetchone()
    if row is not None:
        got.append(row[0])
print("call:", " ".join(str(g) for g in got))
conn.close()

if env.get("COMPAT_TLS") == "1":
    ctx = ssl.create_default_context(cafile=env["COMPAT_CA"])
    tconn = connect(ssl=ctx)
    tcur = tconn.cursor()
    tcur.execute("SELECT 1")
    ok = isinstance(tconn._sock, ssl.SSLSocket) and tcur.fetchone()[0] == 1
    print("tls:", "ok" if ok else "not in use")
    tconn.close()

print("done")
