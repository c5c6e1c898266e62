// Package config owns guocedb's process configuration: the Config type, its
// defaults, loading from a TOML file, GUOCEDB_* environment variables and
// command-line flags (flags > env > file > defaults), and validation.
//
// It must not open files other than the config file, bind ports or build
// loggers: it only describes what the process should do. Every key has one
// name used in the file, the flag (--name) and the environment variable
// (GUOCEDB_NAME with dashes as underscores), so the three stay in step.
package config
