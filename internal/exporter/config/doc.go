// Package config owns the guocedb-exporter configuration: the TOML schema
// (global settings plus a [[datasource]] list), defaults, the conversion of
// an old single-database file into one datasource named "default", the
// resolution of every per-source value against the global defaults,
// password references (plain, ENC(...), env:VAR, file:PATH) and validation.
//
// It must not open network connections or touch a database: check-config
// relies on Load being side-effect free apart from reading the referenced
// files and environment variables.
package config
