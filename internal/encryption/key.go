package encryption

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// KeyLen is the master key's length: AES-256.
const KeyLen = 32

// Key is a master key read from a key file. Its bytes never leave this
// package except as derived subkeys (Subkey), so that no other use can
// weaken another.
type Key struct {
	k [KeyLen]byte
}

// Errors of LoadKeyFile; the messages say what to fix.
var (
	// ErrKeyFileMode: the key file can be read by group or others.
	ErrKeyFileMode = errors.New("encryption key file is readable by group or others (chmod 600 it)")
	// ErrKeyFormat: the key file does not hold 64 hex characters.
	ErrKeyFormat = errors.New("encryption key file must hold exactly 64 hex characters (a 32-byte key), e.g. from `openssl rand -hex 32`")
)

// LoadKeyFile reads a master key: 64 hex characters, surrounding
// whitespace allowed. A file that group or others may read is refused:
// the key protects every file of the data directory and its backups.
func LoadKeyFile(path string) (*Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("encryption key file %s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: %w; its mode is %04o", path, ErrKeyFileMode, fi.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	defer f.Close()
	// A key file is 64 characters; a bound keeps a wrong path (a large
	// file) from being read whole.
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	k, err := ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKey parses a master key written as 64 hex characters.
func ParseKey(s string) (*Key, error) {
	if len(s) != 2*KeyLen {
		return nil, ErrKeyFormat
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, ErrKeyFormat
	}
	k := &Key{}
	copy(k.k[:], b)
	return k, nil
}

// Subkey derives the key for one use (HKDF-SHA256 with the use as info
// and salt as salt). Every use has its own label, so a key derived for
// backups never equals the commit log's or Badger's.
func (k *Key) Subkey(use string, salt []byte) []byte {
	out, err := hkdf.Key(sha256.New, k.k[:], salt, "guocedb "+use, KeyLen)
	if err != nil {
		// hkdf.Key fails only for a length above 255*32 bytes.
		panic(err)
	}
	return out
}

// ID names the key without revealing it: 8 bytes of an HMAC of a fixed
// label, in hex. Backups and the directory marker carry it so that a
// wrong key is named as such.
func (k *Key) ID() string {
	return hex.EncodeToString(k.mac("key id v1")[:8])
}

// checkValue is what the directory marker stores to recognise the key:
// an HMAC of a fixed label (a one-way function of the key).
func (k *Key) checkValue() string {
	return hex.EncodeToString(k.mac("key check v1"))
}

func (k *Key) mac(label string) []byte {
	m := hmac.New(sha256.New, k.k[:])
	m.Write([]byte("guocedb " + label))
	return m.Sum(nil)
}
