// Package digest owns statement digests: the normalized text of a client
// statement (literals replaced by ?, keywords in upper case, comments
// dropped), its SHA-256, and a bounded summary per (schema, digest) of
// how often such statements ran, how long they took and how many rows
// they touched, as MySQL's
// performance_schema.events_statements_summary_by_digest keeps it.
//
// Normalization reads vitess' SQL tokenizer (the lexer of the parser
// guocedb runs), not regular expressions: a quote inside a string or a
// comment cannot fool it, and every literal it knows becomes ?, so no
// value (a password of CREATE USER included) ever reaches the summary.
//
// It owns no SQL surface and no HTTP: the MySQL handler records finished
// statements (Summary.Record), mysqlserver shows the summary as a
// performance_schema table, and the web console reads Summary.Snapshot.
package digest
