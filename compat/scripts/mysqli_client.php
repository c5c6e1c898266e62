<?php
// PHP mysqli (Debian php-mysql, mysqlnd) against guocedb.
//
// Text queries and server-side prepared statements, every column type
// read and written back both ways, NULL against '', multi_query, TLS with
// a verified certificate, and (argument `compress`) MYSQLI_CLIENT_COMPRESS. The environment
// gives COMPAT_HOST, COMPAT_PORT, COMPAT_USER, COMPAT_PASSWORD, COMPAT_DB,
// COMPAT_TLS and COMPAT_CA.

// Exact doubles when PHP turns a float into text (the default, 14
// digits, would round -1.7976931348623157e308).
ini_set('precision', '-1');
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);

function env(string $k): string { $v = getenv($k); return $v === false ? '' : $v; }

function connect(int $flags = 0, ?string $ca = null): mysqli {
    $m = mysqli_init();
    $m->options(MYSQLI_OPT_CONNECT_TIMEOUT, 10);
    if ($ca !== null) {
        $m->ssl_set(null, null, $ca, null, null);
        $m->options(MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true);
        $flags |= MYSQLI_CLIENT_SSL;
    }
    $m->real_connect(env('COMPAT_HOST'), env('COMPAT_USER'), env('COMPAT_PASSWORD'),
        env('COMPAT_DB'), (int) env('COMPAT_PORT'), null, $flags);
    $m->set_charset('utf8mb4');
    return $m;
}

// `php mysqli_client.php compress` only checks the compressed protocol;
// the runner runs it separately with a short timeout, so a server that
// mishandles compression cannot hide the other results.
if (($argv[1] ?? '') === 'compress') {
    $c = connect(MYSQLI_CLIENT_COMPRESS);
    echo 'compress: ', $c->query('SELECT 42')->fetch_row()[0], "\n";
    exit(0);
}

$m = connect();

// Text protocol: mysqlnd returns every value as a string, NULL as null.
$res = $m->query('SELECT * FROM types ORDER BY id');
$fields = $res->fetch_fields();
$cols = array_map(fn($f) => $f->name, $fields);
$rows = $res->fetch_all(MYSQLI_ASSOC);
$byId = [];
foreach ($rows as $r) { $byId[$r['id']] = $r; }
echo 'text rows: ', count($rows), "\n";
echo 'bi min: ', $byId[1]['bi'], "\n";
echo 'bu max: ', $byId[2]['bu'], "\n";
echo 'dc max: ', $byId[2]['dc'], "\n";
echo 'vc utf8: ', $byId[1]['vc'], "\n";
echo 'tx utf8: ', $byId[1]['tx'], "\n";
echo 'bl hex: ', bin2hex($byId[1]['bl']), "\n";
echo 'bn hex: ', bin2hex($byId[1]['bn']), "\n";
echo 'dtm: ', $byId[2]['dtm'], "\n";
echo 'js: ', $m->query("SELECT js->'$.a' FROM types WHERE id = 1")->fetch_row()[0], "\n";
$nv = $byId[3]['vc']; $ev = $byId[4]['vc'];
echo ($nv === null && $ev === '') ? "null vs empty: NULL ''\n" : 'null vs empty: ' . var_export([$nv, $ev], true) . "\n";

// mysqlnd returns BIT as its number in decimal: write it back as a number.
foreach ($rows as $r) {
    $vals = array_map(fn($f) => $r[$f->name] === null ? 'NULL'
        : ($f->type === MYSQLI_TYPE_BIT ? (string) (int) $r[$f->name]
        : "'" . $m->real_escape_string($r[$f->name]) . "'"), $fields);
    $m->query('INSERT INTO types_text VALUES (' . implode(', ', $vals) . ')');
}

// Server-side prepared statements (binary protocol) both ways.
$st = $m->prepare('SELECT * FROM types WHERE id > ? ORDER BY id');
$zero = 0;
$st->bind_param('i', $zero);
$st->execute();
$prows = $st->get_result()->fetch_all(MYSQLI_ASSOC);
$st->close();
echo 'prepared rows: ', count($prows), "\n";
$ins = $m->prepare('INSERT INTO types_prep VALUES (' . implode(', ', array_fill(0, count($cols), '?')) . ')');
foreach ($prows as $r) {
    $types = '';
    $vals = [];
    foreach ($cols as $c) {
        $v = $r[$c];
        $types .= is_int($v) ? 'i' : (is_float($v) ? 'd' : 's');
        $vals[] = $v;
    }
    $ins->bind_param($types, ...$vals);
    $ins->execute();
}
$ins->close();

$got = [];
$m->multi_query('SELECT 1; SELECT 2; SELECT 3');
do {
    if ($r = $m->store_result()) { $got[] = $r->fetch_row()[0]; $r->free(); }
} while ($m->more_results() && $m->next_result());
echo 'multi: ', implode(' ', $got), "\n";
$m->close();

if (env('COMPAT_TLS') === '1') {
    $t = connect(0, env('COMPAT_CA'));
    $one = $t->query('SELECT 1')->fetch_row()[0];
    echo 'tls: ', $one == 1 ? 'ok' : 'not in use', "\n";
    $t->close();
}

echo "done\n";
