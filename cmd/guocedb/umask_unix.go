//go:build unix

package main

import "syscall"

// restrictFileModes makes every file guocedb creates 0600 and every
// directory 0700 at most, whatever umask it was started with: data files,
// logs, keys, certificates and backups hold rows or secrets, and code
// that creates them (Badger's lock file, libraries) may ask for 0666.
func restrictFileModes() { syscall.Umask(0o077) }
