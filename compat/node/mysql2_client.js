// Node mysql2 (npm, pinned in package-lock.json) against guocedb.
//
// Text queries and server-side prepared statements (execute: binary
// protocol), every column type read and written back both ways, NULL
// against '', several statements in one query, TLS with a verified
// certificate, and (argument `compress`) the compressed protocol. The environment gives
// COMPAT_HOST, COMPAT_PORT, COMPAT_USER, COMPAT_PASSWORD, COMPAT_DB,
// COMPAT_TLS and COMPAT_CA.
'use strict';

const fs = require('fs');
const mysql = require('mysql2/promise');

const env = process.env;

function connect(extra) {
  return mysql.createConnection(Object.assign({
    host: env.COMPAT_HOST,
    port: Number(env.COMPAT_PORT),
    user: env.COMPAT_USER,
    password: env.COMPAT_PASSWORD,
    database: env.COMPAT_DB,
    charset: 'utf8mb4',
    connectTimeout: 10000,
    // Exact values: 64-bit integers, decimals, dates and JSON as text.
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
  }, extra));
}

async function main() {
  // `node mysql2_client.js compress` only checks the compressed protocol;
  // the runner runs it separately with a short timeout.
  if (process.argv[2] === 'compress') {
    const c = await connect({ compress: true });
    const [cr] = await c.query('SELECT 42 AS v');
    console.log('compress: ' + cr[0].v);
    await c.end();
    return;
  }

  const conn = await connect({ multipleStatements: true });

  // mysql2's own text-protocol number parser rounds the last digit of
  // some doubles (-1.7976931348623157e308 comes back ...155e308); an
  // application that needs exact doubles reads them as text.
  const [rows, fields] = await conn.query({
    sql: 'SELECT * FROM types ORDER BY id',
    typeCast: (field, next) => (field.type === 'DOUBLE' ? field.string() : next()),
  });
  const byId = {};
  for (const r of rows) byId[r.id] = r;
  console.log('text rows: ' + rows.length);
  console.log('bi min: ' + byId[1].bi);
  console.log('bu max: ' + byId[2].bu);
  console.log('dc max: ' + byId[2].dc);
  console.log('vc utf8: ' + byId[1].vc);
  console.log('tx utf8: ' + byId[1].tx);
  console.log('bl hex: ' + byId[1].bl.toString('hex'));
  console.log('bn hex: ' + byId[1].bn.toString('hex'));
  console.log('dtm: ' + byId[2].dtm);
  const [js] = await conn.query("SELECT js->'$.a' AS a FROM types WHERE id = 1");
  console.log('js: ' + js[0].a);

  const nv = byId[3].vc, ev = byId[4].vc;
  console.log(nv === null && ev === '' ? "null vs empty: NULL ''" : `null vs empty: ${nv} ${ev}`);

  // Text protocol: mysql2 quotes every value on the client.
  const names = fields.map((f) => f.name);
  for (const r of rows) {
    await conn.query('INSERT INTO types_text VALUES (?)', [names.map((n) => r[n])]);
  }

  // Server-side prepared statements: read and write in the binary protocol.
  const [prows] = await conn.execute('SELECT * FROM types WHERE id > ? ORDER BY id', [0]);
  console.log('prepared rows: ' + prows.length);
  const marks = names.map(() => '?').join(', ');
  for (const r of prows) {
    await conn.execute(`INSERT INTO types_prep VALUES (${marks})`, names.map((n) => r[n]));
  }

  const [multi] = await conn.query('SELECT 1 AS v; SELECT 2 AS v; SELECT 3 AS v');
  console.log('multi: ' + multi.map((rs) => rs[0].v).join(' '));
  await conn.end();

  if (env.COMPAT_TLS === '1') {
    // With ssl set, mysql2 refuses a server without TLS
    // (HANDSHAKE_NO_SSL_SUPPORT) and checks the certificate against the CA.
    const t = await connect({ ssl: { ca: fs.readFileSync(env.COMPAT_CA), rejectUnauthorized: true } });
    const [r] = await t.query('SELECT 1 AS one');
    console.log('tls: ' + (r[0].one === 1 ? 'ok' : 'not in use'));
    await t.end();
  }

  console.log('done');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
