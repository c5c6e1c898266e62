"""mysqlclient (Debian python3-mysqldb, on libmariadb) against guocedb.

Text queries, every column type read and written back (MySQLdb quotes
parameters on the client with the C library's escaping), NULL against
'', several statements in one query, a CALL's result sets, a server-side
cursor (SSCursor: rows streamed with mysql_use_result), warnings, and TLS
with a verified certificate. The environment gives COMPAT_HOST,
COMPAT_PORT, COMPAT_USER, COMPAT_PASSWORD, COMPAT_DB, COMPAT_TLS and
COMPAT_CA.
"""
import datetime
import os

import MySQLdb
import MySQLdb.cursors
from MySQLdb.constants import CLIENT

env = os.environ


def connect(**kw):
    return MySQLdb.connect(host=env["COMPAT_HOST"], port=int(env["COMPAT_PORT"]),
                           user=env["COMPAT_USER"], password=env["COMPAT_PASSWORD"],
                           database=env["COMPAT_DB"], charset="utf8mb4",
                           connect_timeout=10, **kw)


def text(v):
    return v.decode() if isinstance(v, (bytes, bytearray)) else v


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
print("js:", text(cur.fetchone()[0]))

nv, ev = by_id[3]["vc"], by_id[4]["vc"]
if nv is None and ev == "":
    print("null vs empty: NULL ''")
else:
    print("null vs empty: %r %r" % (nv, ev))



def hms(v):
    # mysqlclient quotes a timedelta as 'D H:M:S' with a negative day count
    # for negative values ('-35 1:0:1' for -838:59:59), which MySQL reads
    # as another time; write TIME values as [-]H:MM:SS.
    if not isinstance(v, datetime.timedelta):
        return v
    s = int(v.total_seconds())
    sign, s = ("-", -s) if s < 0 else ("", s)
    return "%s%d:%02d:%02d" % (sign, s // 3600, s // 60 % 60, s % 60)


# Write every row back through the client's own quoting of each value.
marks = ", ".join(["%s"] * len(cols))
for r in rows:
    cur.execute("INSERT INTO types_text VALUES (%s)" % marks, [hms(v) for v in r])
conn.commit()

cur.execute("SELECT 1; SELECT 2; SELECT 3")
got = [cur.fetchone()[0]]
while cur.nextset():
    got.append(cur.fetchone()[0])
print("multi:", " ".join(str(g) for g in got))

# A CALL's result sets, one per SELECT of the procedure, then its OK.
cur.execute("CREATE PROCEDURE mysqldb_two_sets() BEGIN SELECT 1; DO 0; SELECT 2; END")
cur.execute("CALL mysqldb_two_sets()")
got = [cur.fetchone()[0]]
while cur.nextset():
    row = cur.fetchone()
    if row is not None:
        got.append(row[0])
print("call:", " ".join(str(g) for g in got))

# A stored function with a BEGIN ... END body, called with a parameter.
cur.execute("CREATE FUNCTION mysqldb_twice(x INT) RETURNS INT DETERMINISTIC "
            "BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END")
cur.execute("SELECT mysqldb_twice(%s)", (21,))
print("function:", cur.fetchone()[0])

# Rows streamed one by one (mysql_use_result).
ss = conn.cursor(MySQLdb.cursors.SSCursor)
ss.execute("SELECT id FROM types ORDER BY id")
print("streamed:", " ".join(str(r[0]) for r in ss))
ss.close()

cur.execute("SELECT 1/0")
cur.fetchall()
print("warnings:", conn.warning_count())
conn.close()

if env.get("COMPAT_TLS") == "1":
    tconn = connect(ssl={"ca": env["COMPAT_CA"]})
    tcur = tconn.cursor()
    tcur.execute("SHOW STATUS LIKE 'Ssl_cipher'")
    row = tcur.fetchone()
    print("tls:", "ok" if row and row[1] else "not in use")
    tconn.close()

print("done")
