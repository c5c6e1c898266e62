# Ruby mysql2 (Debian ruby-mysql2, libmariadb) against guocedb.
#
# Text queries and server-side prepared statements, every column type
# read and written back both ways, NULL against '', several statements in
# one query, TLS with a verified certificate. The environment gives
# COMPAT_HOST, COMPAT_PORT, COMPAT_USER, COMPAT_PASSWORD, COMPAT_DB,
# COMPAT_TLS and COMPAT_CA.
require 'mysql2'

def connect(**extra)
  Mysql2::Client.new(host: ENV.fetch('COMPAT_HOST'), port: Integer(ENV.fetch('COMPAT_PORT')),
                     username: ENV.fetch('COMPAT_USER'), password: ENV.fetch('COMPAT_PASSWORD'),
                     database: ENV.fetch('COMPAT_DB'), encoding: 'utf8mb4',
                     connect_timeout: 10, read_timeout: 60, **extra)
end

# A value as an SQL literal: bytes that are not text (binary columns
# holding zero bytes or invalid UTF-8) in hex, everything else quoted. The
# encoding alone does not tell: mysql2 gives every column the server
# describes as binary (YEAR, BIT, JSON too) the BINARY encoding.
def literal(client, v)
  return 'NULL' if v.nil?

  text = v.dup.force_encoding(Encoding::UTF_8)
  return "X'#{v.unpack1('H*')}'" if !text.valid_encoding? || text.include?("\0")

  "'#{client.escape(text)}'"
end

c = connect(flags: Mysql2::Client::MULTI_STATEMENTS)

# Text protocol, cast: false: every value as the server's text.
res = c.query('SELECT * FROM types ORDER BY id', cast: false)
cols = res.fields
rows = res.to_a
by_id = rows.to_h { |r| [r['id'], r] }
puts "text rows: #{rows.size}"
puts "bi min: #{by_id['1']['bi']}"
puts "bu max: #{by_id['2']['bu']}"
puts "dc max: #{by_id['2']['dc']}"
puts "vc utf8: #{by_id['1']['vc']}"
puts "tx utf8: #{by_id['1']['tx']}"
puts "bl hex: #{by_id['1']['bl'].unpack1('H*')}"
puts "bn hex: #{by_id['1']['bn'].unpack1('H*')}"
puts "dtm: #{by_id['2']['dtm']}"
puts "js: #{c.query("SELECT js->'$.a' AS a FROM types WHERE id = 1").first['a']}"
nv = by_id['3']['vc']
ev = by_id['4']['vc']
puts(nv.nil? && ev == '' ? "null vs empty: NULL ''" : "null vs empty: #{nv.inspect} #{ev.inspect}")

rows.each do |r|
  c.query("INSERT INTO types_text VALUES (#{cols.map { |n| literal(c, r[n]) }.join(', ')})")
end

got = []
c.query('SELECT 1 AS v; SELECT 2 AS v; SELECT 3 AS v').each { |r| got << r['v'] }
got << c.store_result.first['v'] while c.next_result
puts "multi: #{got.join(' ')}"

# Server-side prepared statements: binary protocol both ways, Ruby types.
# mysql2 cannot hold every TIME (it raises on -838:59:59) and drops the
# microseconds of a DATETIME beyond Ruby's Time range, so those two
# columns travel as the text read above.
bin_cols = cols - %w[tm dtm]
prows = c.prepare("SELECT #{bin_cols.join(', ')} FROM types WHERE id > ? ORDER BY id").execute(0).to_a
puts "prepared rows: #{prows.size}"
ins = c.prepare("INSERT INTO types_prep VALUES (#{(['?'] * cols.size).join(', ')})")
prows.each do |r|
  text = by_id[r['id'].to_s]
  ins.execute(*cols.map { |n| bin_cols.include?(n) ? r[n] : text[n] })
end
c.close

if ENV['COMPAT_TLS'] == '1'
  t = connect(sslca: ENV.fetch('COMPAT_CA'), ssl_mode: :verify_identity)
  one = t.query('SELECT 1 AS one').first['one']
  puts "tls: #{one == 1 ? 'ok' : 'not in use'}"
  t.close
end

puts 'done'
