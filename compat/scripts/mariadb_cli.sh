#!/usr/bin/env bash
# The mariadb command-line client against guocedb: text queries, every
# column type (compared with a golden file), NULL against '', several
# statements in one -e, SQL-level PREPARE, a CALL's result sets, TLS and
# --compress.
# Reads COMPAT_HOST, COMPAT_PORT, COMPAT_USER, COMPAT_PASSWORD, COMPAT_DB,
# COMPAT_TLS (1 when the server has a certificate) and COMPAT_CA.
set -euo pipefail
cd "$(dirname "$0")/.."

export MYSQL_PWD="$COMPAT_PASSWORD"
m() {
	mariadb --no-defaults -h"$COMPAT_HOST" -P"$COMPAT_PORT" -u"$COMPAT_USER" \
		--default-character-set=utf8mb4 --batch --skip-column-names "$@" "$COMPAT_DB"
}
one() { m -e "$1"; }

# `mariadb_cli.sh compress` only checks --compress; the runner runs it
# separately with a short timeout.
if [ "${1:-}" = compress ]; then
	echo "compress: $(m --compress -e 'SELECT 42')"
	exit 0
fi

echo "text rows: $(one 'SELECT COUNT(*) FROM types')"
echo "bi min: $(one 'SELECT bi FROM types WHERE id = 1')"
echo "bu max: $(one 'SELECT bu FROM types WHERE id = 2')"
echo "dc max: $(one 'SELECT dc FROM types WHERE id = 2')"
echo "vc utf8: $(one 'SELECT vc FROM types WHERE id = 1')"
echo "tx utf8: $(one 'SELECT tx FROM types WHERE id = 1')"
echo "bl hex: $(one 'SELECT LOWER(HEX(bl)) FROM types WHERE id = 1')"
echo "bn hex: $(one 'SELECT LOWER(HEX(bn)) FROM types WHERE id = 1')"
echo "dtm: $(one 'SELECT dtm FROM types WHERE id = 2')"
echo "js: $(one "SELECT js->'\$.a' FROM types WHERE id = 1")"

# --batch escapes NUL, tab, newline and backslash, so the whole table is
# one comparable text.
if diff <(m -e 'SELECT * FROM types ORDER BY id') testdata/mariadb_types.tsv; then
	echo "types: match"
fi

# --batch prints SQL NULL as NULL and '' as an empty field; --xml tells
# them apart without doubt.
xml="$(m --xml -e 'SELECT vc FROM types WHERE id IN (3, 4) ORDER BY id')"
if grep -q '<field name="vc" xsi:nil="true" />' <<<"$xml" && grep -q '<field name="vc"></field>' <<<"$xml"; then
	echo "null vs empty: NULL ''"
fi

echo "multi: $(one 'SELECT 1; SELECT 2; SELECT 3' | tr '\n' ' ' | sed 's/ $//')"

# A CALL prints every result set of the procedure.
one $'DELIMITER //\nCREATE PROCEDURE cli_two_sets() BEGIN SELECT 1 AS a; DO 0; SELECT 2 AS b; END//'
echo "call: $(one 'CALL cli_two_sets()' | tr '\n' ' ' | sed 's/ $//')"

echo "sql prepare: $(one "PREPARE s FROM 'SELECT vc FROM types WHERE id = ?'; SET @id = 1; EXECUTE s USING @id; DEALLOCATE PREPARE s")"

if [ "$COMPAT_TLS" = 1 ]; then
	status="$(m --ssl --ssl-ca="$COMPAT_CA" --ssl-verify-server-cert -e 'status')"
	if grep -Eq 'SSL:[[:space:]]+Cipher in use' <<<"$status"; then
		echo "tls: ok"
	else
		echo "tls: not in use"
	fi
fi

echo done
