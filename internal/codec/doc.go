// Package codec owns the byte formats that guocedb writes into its ordered
// key-value store: the order-preserving encoding of index and primary-key
// column values (AppendKey, SkipKey) and the compact positional encoding of
// whole rows (EncodeRow, DecodeRow).
//
// Invariants the rest of the system relies on:
//
//   - For two values a and b of the same column type, bytes.Compare of their
//     AppendKey encodings has the sign of the go-mysql-server type's
//     Compare(ctx, a, b). NULL sorts below every value. Strings are encoded
//     as collation weights, so values the collation calls equal ('a' and 'A'
//     under a _ci collation) produce identical keys.
//   - Every key encoding is self-delimiting and prefix-free, so the
//     concatenation of several column keys preserves tuple order and SkipKey
//     can walk a composite key without knowing the column types.
//   - DecodeRow(EncodeRow(row)) returns the Go types go-mysql-server uses for
//     each column type and never panics on corrupt input.
//
// The package must not know about Badger, tables, or key prefixes: callers
// (the storage and backend packages) own the layout around these values.
// It has no package-level mutable state and is safe for concurrent use.
//
// The byte layouts are documented in docs/key-encoding.md; changing any of
// them changes the on-disk format.
package codec

import "errors"

// Errors returned by the package. Callers compare with errors.Is.
var (
	// ErrCorrupt reports that bytes handed to SkipKey or DecodeRow are not a
	// valid encoding (truncated, unknown tag, wrong column count, ...).
	ErrCorrupt = errors.New("codec: corrupt encoding")
	// ErrNotIndexable reports a column type that cannot be part of a key
	// (JSON, geometry), as in MySQL.
	ErrNotIndexable = errors.New("codec: type cannot be used in a key")
	// ErrOutOfRange reports a value that cannot be represented exactly in
	// the column type (300 for TINYINT, 1.5 for INT, -1 for UNSIGNED).
	ErrOutOfRange = errors.New("codec: value out of range for column type")
	// ErrUnsupportedType reports a column type the codec does not know.
	ErrUnsupportedType = errors.New("codec: unsupported column type")
)
