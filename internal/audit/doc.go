// Package audit owns guocedb's audit log: one JSON object per line for
// every login, logout, statement and admin API call that its filters
// let through, each carrying a sequence number and an HMAC-SHA256 chained
// over the previous record, so that an edited, deleted or reordered line
// is found by Verify (`guocedb audit verify FILE`).
//
// It records what its callers hand it and decides only what to keep
// (filters) and how to write it (chain, rotation); it must not look at
// SQL: statements arrive classified and with their passwords masked by
// internal/redact (Record masks again, as a last line of defence).
// redact masks passwords only; on an encrypted server (Options.Sealer)
// query and db are sealed before the HMAC, so the chain verifies without
// the master key.
package audit
