package main

import (
	"flag"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/encryption"
)

// keyFileEnv is the environment variable of the encryption key file,
// the same one serve reads (config key encryption-key-file).
var keyFileEnv = config.EnvName("encryption-key-file")

// registerKeyFile adds --encryption-key-file to an offline command,
// defaulting to GUOCEDB_ENCRYPTION_KEY_FILE as serve does, so that a
// script with the server's environment opens its directory.
func registerKeyFile(fs *flag.FlagSet, e env, usage string) *string {
	def := ""
	if e.lookupEnv != nil {
		def, _ = e.lookupEnv(keyFileEnv)
	}
	return fs.String("encryption-key-file", def, usage+" (default $"+keyFileEnv+")")
}

// loadKey reads the key file at path; nil for "".
func loadKey(path string) (*encryption.Key, error) {
	if path == "" {
		return nil, nil
	}
	return encryption.LoadKeyFile(path)
}
