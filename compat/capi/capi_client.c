/*
 * The MariaDB C client library (Debian libmariadb-dev) against guocedb:
 * the protocol paths C programs and everything built on libmariadb /
 * libmysqlclient use (Python mysqlclient, Perl DBD::MariaDB, PHP with
 * libmysql, C++ connectors) and Go or Node drivers do not.
 *
 * Every check prints one line "name: result"; compat/capi_test.go compares
 * them with what MySQL prints. A failing call prints "name: ERROR code
 * message" and the program goes on, so that one broken path does not hide
 * the others. The environment gives COMPAT_HOST, COMPAT_PORT, COMPAT_USER,
 * COMPAT_PASSWORD and COMPAT_DB, and COMPAT_TLS (1: connect over TLS,
 * verifying the server's certificate against COMPAT_CA).
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name) {
	const char *v = getenv(name);
	return v ? v : "";
}

static void fail(const char *check, MYSQL *m) {
	printf("%s: ERROR %u %s\n", check, mysql_errno(m), mysql_error(m));
}

static void stmt_fail(const char *check, MYSQL_STMT *s) {
	printf("%s: ERROR %u %s\n", check, mysql_stmt_errno(s), mysql_stmt_error(s));
}

static MYSQL *connect_db(const char *db) {
	MYSQL *m = mysql_init(NULL);
	unsigned int timeout = 10;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (strcmp(env("COMPAT_TLS"), "1") == 0) {
		my_bool verify = 1;
		mysql_options(m, MYSQL_OPT_SSL_CA, env("COMPAT_CA"));
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	}
	if (!mysql_real_connect(m, env("COMPAT_HOST"), env("COMPAT_USER"), env("COMPAT_PASSWORD"), db,
	                        (unsigned)atoi(env("COMPAT_PORT")), NULL, CLIENT_MULTI_STATEMENTS)) {
		fail("connect", m);
		exit(1);
	}
	return m;
}

/* query runs q and returns 0, or prints the error under check. */
static int query(MYSQL *m, const char *check, const char *q) {
	if (mysql_query(m, q)) {
		fail(check, m);
		return 1;
	}
	return 0;
}

/* value returns the first column of the first row of q (static buffer),
 * "NULL" for NULL, or NULL after printing the error under check. */
static const char *value(MYSQL *m, const char *check, const char *q) {
	static char buf[1024];
	if (query(m, check, q))
		return NULL;
	MYSQL_RES *r = mysql_store_result(m);
	if (!r) {
		fail(check, m);
		return NULL;
	}
	MYSQL_ROW row = mysql_fetch_row(r);
	if (!row) {
		snprintf(buf, sizeof buf, "(no row)");
	} else {
		snprintf(buf, sizeof buf, "%s", row[0] ? row[0] : "NULL");
	}
	mysql_free_result(r);
	while (mysql_next_result(m) == 0) {
		MYSQL_RES *more = mysql_store_result(m);
		if (more)
			mysql_free_result(more);
	}
	return buf;
}

static void print_value(MYSQL *m, const char *check, const char *q) {
	const char *v = value(m, check, q);
	if (v)
		printf("%s: %s\n", check, v);
}

/* A read-only cursor fetched two rows at a time (COM_STMT_EXECUTE with
 * the cursor flag, then COM_STMT_FETCH). */
static void cursor_fetch(MYSQL *m) {
	MYSQL_STMT *s = mysql_stmt_init(m);
	const char *q = "SELECT id, name FROM capi_items ORDER BY id";
	if (mysql_stmt_prepare(s, q, strlen(q))) {
		stmt_fail("cursor", s);
		mysql_stmt_close(s);
		return;
	}
	unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 2;
	mysql_stmt_attr_set(s, STMT_ATTR_CURSOR_TYPE, &type);
	mysql_stmt_attr_set(s, STMT_ATTR_PREFETCH_ROWS, &prefetch);
	if (mysql_stmt_execute(s)) {
		stmt_fail("cursor", s);
		mysql_stmt_close(s);
		return;
	}
	int id;
	char name[32];
	unsigned long len;
	MYSQL_BIND b[2];
	memset(b, 0, sizeof b);
	b[0].buffer_type = MYSQL_TYPE_LONG;
	b[0].buffer = &id;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = name;
	b[1].buffer_length = sizeof name;
	b[1].length = &len;
	mysql_stmt_bind_result(s, b);
	char got[256] = "";
	int n = 0, rc;
	while ((rc = mysql_stmt_fetch(s)) == 0) {
		char one[48];
		snprintf(one, sizeof one, "%s%d=%.*s", n ? " " : "", id, (int)len, name);
		strncat(got, one, sizeof got - strlen(got) - 1);
		n++;
	}
	if (rc != MYSQL_NO_DATA) {
		stmt_fail("cursor", s);
	} else {
		printf("cursor: %d rows %s\n", n, got);
	}
	/* A second execution of the same statement with a cursor. */
	if (mysql_stmt_execute(s)) {
		stmt_fail("cursor again", s);
	} else {
		n = 0;
		while (mysql_stmt_fetch(s) == 0)
			n++;
		printf("cursor again: %d rows\n", n);
	}
	mysql_stmt_close(s);
}

/* open_cursor prepares q and executes it with a read-only cursor that
 * fetches one row at a time, with its first column bound to *id; NULL
 * after printing the error under check. */
static MYSQL_STMT *open_cursor(MYSQL *m, const char *check, const char *q, int *id) {
	MYSQL_STMT *s = mysql_stmt_init(m);
	unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 1;
	MYSQL_BIND b;
	memset(&b, 0, sizeof b);
	b.buffer_type = MYSQL_TYPE_LONG;
	b.buffer = id;
	if (mysql_stmt_prepare(s, q, strlen(q)) || mysql_stmt_attr_set(s, STMT_ATTR_CURSOR_TYPE, &type) ||
	    mysql_stmt_attr_set(s, STMT_ATTR_PREFETCH_ROWS, &prefetch) || mysql_stmt_execute(s) ||
	    mysql_stmt_bind_result(s, &b)) {
		stmt_fail(check, s);
		mysql_stmt_close(s);
		return NULL;
	}
	return s;
}

/* Two cursors open at once, fetched in turns, with a query and a
 * prepare run between their fetches: MySQL keeps each cursor with its
 * statement. */
static void cursors_interleaved(MYSQL *m) {
	int a = 0, b = 0;
	char got[256] = "";
	MYSQL_STMT *sa = open_cursor(m, "cursors interleaved", "SELECT id FROM capi_items ORDER BY id", &a);
	if (!sa)
		return;
	MYSQL_STMT *sb = NULL;
	if (mysql_stmt_fetch(sa)) {
		stmt_fail("cursors interleaved", sa);
		goto out;
	}
	snprintf(got, sizeof got, "a%d", a);
	const char *v = value(m, "cursors interleaved", "SELECT COUNT(*) FROM capi_items");
	if (!v)
		goto out;
	strncat(got, " count", sizeof got - strlen(got) - 1);
	strncat(got, v, sizeof got - strlen(got) - 1);
	sb = open_cursor(m, "cursors interleaved", "SELECT id FROM capi_items ORDER BY id DESC", &b);
	if (!sb)
		goto out;
	int rc;
	for (int turn = 0; turn < 10; turn++) {
		MYSQL_STMT *s = turn % 2 ? sa : sb;
		int *id = turn % 2 ? &a : &b;
		char one[16];
		if ((rc = mysql_stmt_fetch(s)) == MYSQL_NO_DATA) {
			snprintf(one, sizeof one, " %c-", turn % 2 ? 'a' : 'b');
		} else if (rc) {
			stmt_fail("cursors interleaved", s);
			goto out;
		} else {
			snprintf(one, sizeof one, " %c%d", turn % 2 ? 'a' : 'b', *id);
		}
		strncat(got, one, sizeof got - strlen(got) - 1);
	}
	printf("cursors interleaved: %s\n", got);
out:
	if (sb)
		mysql_stmt_close(sb);
	mysql_stmt_close(sa);
}

/* A prepared CALL executed with a cursor: servers open none for CALL and
 * send every result set of the procedure with the execute. */
static void call_with_cursor(MYSQL *m) {
	MYSQL_STMT *s = mysql_stmt_init(m);
	const char *q = "CALL capi_two()";
	unsigned long type = CURSOR_TYPE_READ_ONLY;
	char got[128] = "";
	int sets = 0;
	if (mysql_stmt_prepare(s, q, strlen(q)) || mysql_stmt_attr_set(s, STMT_ATTR_CURSOR_TYPE, &type) ||
	    mysql_stmt_execute(s)) {
		stmt_fail("call with cursor", s);
		mysql_stmt_close(s);
		return;
	}
	do {
		if (mysql_stmt_field_count(s) > 0) {
			int v = 0, rc;
			MYSQL_BIND b;
			memset(&b, 0, sizeof b);
			b.buffer_type = MYSQL_TYPE_LONG;
			b.buffer = &v;
			mysql_stmt_bind_result(s, &b);
			while ((rc = mysql_stmt_fetch(s)) == 0) {
				char one[16];
				snprintf(one, sizeof one, "%d ", v);
				strncat(got, one, sizeof got - strlen(got) - 1);
			}
			if (rc != MYSQL_NO_DATA) {
				stmt_fail("call with cursor", s);
				mysql_stmt_close(s);
				return;
			}
		}
		sets++;
	} while (mysql_stmt_next_result(s) == 0);
	printf("call with cursor: %ssets %d\n", got, sets);
	mysql_stmt_close(s);
}

/* COM_STMT_SEND_LONG_DATA for a TEXT parameter, and COM_STMT_RESET. */
static void long_data(MYSQL *m) {
	MYSQL_STMT *s = mysql_stmt_init(m);
	const char *q = "INSERT INTO capi_long VALUES (?, ?)";
	if (mysql_stmt_prepare(s, q, strlen(q))) {
		stmt_fail("long data", s);
		mysql_stmt_close(s);
		return;
	}
	int id = 1;
	MYSQL_BIND b[2];
	memset(b, 0, sizeof b);
	b[0].buffer_type = MYSQL_TYPE_LONG;
	b[0].buffer = &id;
	b[1].buffer_type = MYSQL_TYPE_BLOB;
	mysql_stmt_bind_param(s, b);
	char chunk[1000];
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < 100; i++) {
		if (mysql_stmt_send_long_data(s, 1, chunk, sizeof chunk)) {
			stmt_fail("long data", s);
			mysql_stmt_close(s);
			return;
		}
	}
	if (mysql_stmt_execute(s)) {
		stmt_fail("long data", s);
	} else {
		print_value(m, "long data", "SELECT LENGTH(body) FROM capi_long WHERE id = 1");
	}
	/* COM_STMT_RESET drops the long data sent so far. */
	id = 2;
	mysql_stmt_send_long_data(s, 1, "dropped", 7);
	if (mysql_stmt_reset(s)) {
		stmt_fail("stmt reset", s);
	} else {
		char small[] = "kept";
		unsigned long small_len = 4;
		b[1].buffer_type = MYSQL_TYPE_STRING;
		b[1].buffer = small;
		b[1].buffer_length = small_len;
		b[1].length = &small_len;
		mysql_stmt_bind_param(s, b);
		if (mysql_stmt_execute(s))
			stmt_fail("stmt reset", s);
		else
			print_value(m, "stmt reset", "SELECT body FROM capi_long WHERE id = 2");
	}
	mysql_stmt_close(s);
}

/* A prepared CALL with an OUT parameter: the server sends the OUT values
 * as a result set flagged SERVER_PS_OUT_PARAMS. */
static void out_params(MYSQL *m) {
	MYSQL_STMT *s = mysql_stmt_init(m);
	const char *q = "CALL capi_out(?, ?)";
	if (mysql_stmt_prepare(s, q, strlen(q))) {
		stmt_fail("out params", s);
		mysql_stmt_close(s);
		return;
	}
	int in = 20, out = 0;
	MYSQL_BIND b[2];
	memset(b, 0, sizeof b);
	b[0].buffer_type = MYSQL_TYPE_LONG;
	b[0].buffer = &in;
	b[1].buffer_type = MYSQL_TYPE_LONG;
	b[1].buffer = &out;
	mysql_stmt_bind_param(s, b);
	if (mysql_stmt_execute(s)) {
		stmt_fail("out params", s);
		mysql_stmt_close(s);
		return;
	}
	int found = 0;
	do {
		if (mysql_stmt_field_count(s) > 0) {
			int flagged = (m->server_status & SERVER_PS_OUT_PARAMS) != 0;
			int v = 0;
			MYSQL_BIND r[1];
			memset(r, 0, sizeof r);
			r[0].buffer_type = MYSQL_TYPE_LONG;
			r[0].buffer = &v;
			mysql_stmt_bind_result(s, r);
			if (mysql_stmt_fetch(s) == 0 && flagged) {
				printf("out params: %d\n", v);
				found = 1;
			}
			mysql_stmt_free_result(s);
		}
	} while (mysql_stmt_next_result(s) == 0);
	if (!found)
		printf("out params: none flagged\n");
	mysql_stmt_close(s);
}

static void field_metadata(MYSQL *m) {
	if (query(m, "fields", "SELECT id + 1 AS expr, name FROM capi_items AS it WHERE id = 1"))
		return;
	MYSQL_RES *r = mysql_store_result(m);
	MYSQL_FIELD *f = mysql_fetch_fields(r);
	printf("field expr: name=%s org_name='%s' table='%s' org_table='%s' db='%s'\n", f[0].name, f[0].org_name,
	       f[0].table, f[0].org_table, f[0].db);
	printf("field col: name=%s org_name=%s table=%s org_table=%s db=%s length=%lu\n", f[1].name, f[1].org_name,
	       f[1].table, f[1].org_table, f[1].db, f[1].length);
	mysql_free_result(r);
}

static void list_fields(MYSQL *m) {
	MYSQL_RES *r = mysql_list_fields(m, "capi_items", NULL);
	if (!r) {
		fail("list fields", m);
		return;
	}
	unsigned n = mysql_num_fields(r);
	MYSQL_FIELD *f = mysql_fetch_fields(r);
	printf("list fields:");
	for (unsigned i = 0; i < n; i++)
		printf(" %s", f[i].name);
	printf("\n");
	mysql_free_result(r);
}

static void warnings(MYSQL *m) {
	if (query(m, "warnings", "SELECT 1/0"))
		return;
	MYSQL_RES *r = mysql_store_result(m);
	mysql_free_result(r);
	printf("warning count: %u\n", mysql_warning_count(m));
	print_value(m, "show count warnings", "SHOW COUNT(*) WARNINGS");
	if (!query(m, "show warnings", "SHOW WARNINGS")) {
		r = mysql_store_result(m);
		MYSQL_ROW row = mysql_fetch_row(r);
		if (row)
			printf("show warnings: %s %s\n", row[0], row[1]);
		else
			printf("show warnings: none\n");
		mysql_free_result(r);
	}
	mysql_query(m, "SELECT * FROM capi_no_such_table");
	if (!query(m, "show errors", "SHOW ERRORS")) {
		r = mysql_store_result(m);
		MYSQL_ROW row = mysql_fetch_row(r);
		if (row)
			printf("show errors: %s %s\n", row[0], row[1]);
		else
			printf("show errors: none\n");
		mysql_free_result(r);
	}
	print_value(m, "show count errors", "SHOW COUNT(*) ERRORS");
}

static void status_flags(MYSQL *m) {
	printf("autocommit at connect: %d\n", (m->server_status & SERVER_STATUS_AUTOCOMMIT) != 0);
	query(m, "in transaction", "BEGIN");
	printf("in transaction: %d\n", (m->server_status & SERVER_STATUS_IN_TRANS) != 0);
	query(m, "in transaction", "COMMIT");
	printf("after commit: %d\n", (m->server_status & SERVER_STATUS_IN_TRANS) != 0);
	query(m, "no backslash escapes", "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'");
	printf("no backslash escapes: %d\n", (m->server_status & SERVER_STATUS_NO_BACKSLASH_ESCAPES) != 0);
	char esc[16];
	mysql_real_escape_string(m, esc, "a'b\\c", 5);
	printf("escaped: %s\n", esc);
	query(m, "no backslash escapes", "SET SESSION sql_mode = DEFAULT");
	printf("backslash escapes again: %d\n", (m->server_status & SERVER_STATUS_NO_BACKSLASH_ESCAPES) != 0);
}

static void insert_ids(MYSQL *m) {
	if (!query(m, "insert id multi", "INSERT INTO capi_auto (v) VALUES ('a'), ('b'), ('c')"))
		printf("insert id multi: %llu affected %llu\n", (unsigned long long)mysql_insert_id(m),
		       (unsigned long long)mysql_affected_rows(m));
	if (!query(m, "insert id explicit", "INSERT INTO capi_auto (id, v) VALUES (100, 'x')"))
		printf("insert id explicit: %llu\n", (unsigned long long)mysql_insert_id(m));
	if (!query(m, "insert id next", "INSERT INTO capi_auto (v) VALUES ('y')"))
		printf("insert id next: %llu\n", (unsigned long long)mysql_insert_id(m));
	if (!query(m, "insert id none", "UPDATE capi_auto SET v = 'z' WHERE id = 100"))
		printf("insert id none: %llu\n", (unsigned long long)mysql_insert_id(m));
}

static void routines_and_dates(MYSQL *m) {
	if (!query(m, "stored function",
	           "CREATE FUNCTION capi_twice(x INT) RETURNS INT DETERMINISTIC BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END"))
		print_value(m, "stored function", "SELECT capi_twice(21)");
	mysql_query(m, "SELECT * FROM capi_no_such_table");
	if (!query(m, "get diagnostics", "GET DIAGNOSTICS CONDITION 1 @capi_no = MYSQL_ERRNO"))
		print_value(m, "get diagnostics", "SELECT @capi_no");
	print_value(m, "maketime", "SELECT MAKETIME(12, 15, 30)");
	print_value(m, "sec_to_time", "SELECT SEC_TO_TIME(3661)");
	print_value(m, "period_add", "SELECT PERIOD_ADD(202401, 2)");
	print_value(m, "to_days", "SELECT TO_DAYS('2024-01-01')");
	print_value(m, "last_day", "SELECT LAST_DAY('2024-02-10')");
	print_value(m, "str_to_date", "SELECT STR_TO_DATE('31/12/2024', '%d/%m/%Y')");
	print_value(m, "timestampdiff", "SELECT TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-03-31')");
}

static void coercions(MYSQL *m) {
	if (!query(m, "time into datetime", "INSERT INTO capi_dt (id, dtm) VALUES (1, '10:11:12')"))
		printf("time into datetime: accepted\n");
	query(m, "non-strict", "SET SESSION sql_mode = ''");
	if (!query(m, "bad date non-strict", "INSERT INTO capi_dt (id, d) VALUES (2, '2009-2-29')"))
		print_value(m, "bad date non-strict", "SELECT d FROM capi_dt WHERE id = 2");
	query(m, "strict", "SET SESSION sql_mode = DEFAULT");
	if (mysql_query(m, "INSERT INTO capi_dt (id, d) VALUES (3, '2009-2-29')"))
		printf("bad date strict: ERROR %u\n", mysql_errno(m));
	else
		printf("bad date strict: accepted\n");
	if (!query(m, "year string", "INSERT INTO capi_dt (id, y) VALUES (4, '24')"))
		print_value(m, "year string", "SELECT y FROM capi_dt WHERE id = 4");
}

int main(void) {
	if (mysql_library_init(0, NULL, NULL)) {
		printf("library init failed\n");
		return 1;
	}
	MYSQL *m = connect_db(env("COMPAT_DB"));
	printf("tls: %s\n", mysql_get_ssl_cipher(m) ? "on" : "off");
	status_flags(m);
	const char *setup[] = {
	    "DROP TABLE IF EXISTS capi_items, capi_long, capi_auto, capi_dt",
	    "CREATE TABLE capi_items (id INT PRIMARY KEY, name VARCHAR(20))",
	    "INSERT INTO capi_items VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four'), (5, 'five')",
	    "CREATE TABLE capi_long (id INT PRIMARY KEY, body LONGTEXT)",
	    "CREATE TABLE capi_auto (id BIGINT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))",
	    "CREATE TABLE capi_dt (id INT PRIMARY KEY, dtm DATETIME, d DATE, y YEAR)",
	    "CREATE PROCEDURE capi_out(IN a INT, OUT b INT) BEGIN SET b = a * 2; END",
	    "CREATE PROCEDURE capi_two() BEGIN SELECT 1; SELECT 2; END",
	};
	for (size_t i = 0; i < sizeof setup / sizeof *setup; i++)
		if (query(m, "setup", setup[i]))
			return 1;

	cursor_fetch(m);
	cursors_interleaved(m);
	call_with_cursor(m);
	long_data(m);
	out_params(m);
	field_metadata(m);
	list_fields(m);
	warnings(m);
	insert_ids(m);
	routines_and_dates(m);
	coercions(m);

	if (mysql_refresh(m, REFRESH_TABLES))
		fail("refresh", m);
	else
		printf("refresh: ok\n");

	query(m, "reset connection", "SET @capi_var = 7");
	if (mysql_reset_connection(m))
		fail("reset connection", m);
	else
		print_value(m, "reset connection", "SELECT COALESCE(@capi_var, 'cleared')");

	if (mysql_change_user(m, env("COMPAT_USER"), env("COMPAT_PASSWORD"), env("COMPAT_DB"))) {
		fail("change user", m);
		/* The connection may be gone: the rest needs a fresh one. */
		mysql_close(m);
		m = connect_db(env("COMPAT_DB"));
	}
	else
		print_value(m, "change user", "SELECT CONCAT(CURRENT_USER(), ' ', DATABASE())");
	if (mysql_change_user(m, env("COMPAT_USER"), "wrong password", NULL))
		printf("change user bad password: %u\n", mysql_errno(m));
	else
		printf("change user bad password: accepted\n");

	mysql_close(m);
	mysql_library_end();
	printf("done\n");
	return 0;
}
