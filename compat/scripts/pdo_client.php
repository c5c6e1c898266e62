<?php
// PHP PDO (Debian php-mysql, pdo_mysql over mysqlnd) against guocedb.
//
// Emulated prepares (text protocol, PDO quotes on the client) and native
// server-side prepares (ATTR_EMULATE_PREPARES false), every column type
// read and written back both ways, NULL against '', several statements in
// one query, TLS with a verified certificate, and MYSQL_ATTR_COMPRESS. The
// environment gives COMPAT_HOST, COMPAT_PORT, COMPAT_USER,
// COMPAT_PASSWORD, COMPAT_DB, COMPAT_TLS and COMPAT_CA.

// Exact doubles when PHP turns a float into text.
ini_set('precision', '-1');

function env(string $k): string { $v = getenv($k); return $v === false ? '' : $v; }

function connect(array $opts = []): PDO {
    $dsn = sprintf('mysql:host=%s;port=%s;dbname=%s;charset=utf8mb4',
        env('COMPAT_HOST'), env('COMPAT_PORT'), env('COMPAT_DB'));
    return new PDO($dsn, env('COMPAT_USER'), env('COMPAT_PASSWORD'), $opts + [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_TIMEOUT => 10,
    ]);
}

// `php pdo_client.php compress` only checks the compressed protocol; the
// runner runs it separately with a short timeout, so a server that
// mishandles compression cannot hide the other results.
if (($argv[1] ?? '') === 'compress') {
    $c = connect([PDO::MYSQL_ATTR_COMPRESS => true]);
    echo 'compress: ', $c->query('SELECT 42')->fetchColumn(), "\n";
    exit(0);
}

// Emulated prepares: the text protocol; every value as a string.
$pdo = connect([PDO::ATTR_EMULATE_PREPARES => true, PDO::ATTR_STRINGIFY_FETCHES => true]);
$res = $pdo->query('SELECT * FROM types ORDER BY id');
$rows = $res->fetchAll(PDO::FETCH_ASSOC);
$cols = array_keys($rows[0]);
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
echo 'js: ', $pdo->query("SELECT js->'$.a' FROM types WHERE id = 1")->fetchColumn(), "\n";
$nv = $byId[3]['vc']; $ev = $byId[4]['vc'];
echo ($nv === null && $ev === '') ? "null vs empty: NULL ''\n" : 'null vs empty: ' . var_export([$nv, $ev], true) . "\n";

$marks = implode(', ', array_fill(0, count($cols), '?'));
$ins = $pdo->prepare("INSERT INTO types_text VALUES ($marks)");
foreach ($rows as $r) {
    $i = 1;
    foreach ($cols as $c) {
        $v = $r[$c];
        // mysqlnd returns BIT as its number in decimal: bind it as a number.
        if ($c === 'bt' && $v !== null) {
            $ins->bindValue($i++, (int) $v, PDO::PARAM_INT);
        } else {
            $ins->bindValue($i++, $v, $v === null ? PDO::PARAM_NULL : PDO::PARAM_STR);
        }
    }
    $ins->execute();
}

$q = $pdo->query('SELECT 1; SELECT 2; SELECT 3');
$got = [];
do { $got[] = $q->fetchColumn(); } while ($q->nextRowset());
echo 'multi: ', implode(' ', $got), "\n";
$q = null;
$pdo = null;

// Native prepares: the binary protocol both ways.
$pdo = connect([PDO::ATTR_EMULATE_PREPARES => false]);
$st = $pdo->prepare('SELECT * FROM types WHERE id > ? ORDER BY id');
$st->execute([0]);
$prows = $st->fetchAll(PDO::FETCH_ASSOC);
echo 'prepared rows: ', count($prows), "\n";
$ins = $pdo->prepare("INSERT INTO types_prep VALUES ($marks)");
foreach ($prows as $r) {
    $i = 1;
    foreach ($cols as $c) {
        $v = $r[$c];
        if ($v === null) {
            $ins->bindValue($i++, null, PDO::PARAM_NULL);
        } elseif (is_int($v)) {
            $ins->bindValue($i++, $v, PDO::PARAM_INT);
        } else {
            $ins->bindValue($i++, is_float($v) ? (string) $v : $v, PDO::PARAM_STR);
        }
    }
    $ins->execute();
}
$pdo = null;

if (env('COMPAT_TLS') === '1') {
    $t = connect([PDO::MYSQL_ATTR_SSL_CA => env('COMPAT_CA'), PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => true]);
    echo 'tls: ', $t->query('SELECT 1')->fetchColumn() == 1 ? 'ok' : 'not in use', "\n";
    $t = null;
}
echo "done\n";
