package config

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EncKeyEnv names the environment variable that, when set, replaces the
// built-in ENC key. Without it the key is compiled into the binary, so
// ENC(...) is obfuscation only: anyone holding the binary can decode it.
const EncKeyEnv = "GUOCEDB_EXPORTER_ENC_KEY"

// builtinEncKey is deliberately public knowledge. ENC(...) keeps a password
// out of casual sight (screens, diffs, grep); it is not encryption.
const builtinEncKey = "guocedb-exporter/enc/v1 obfuscation key - not a secret"

// newGCM returns AES-256-GCM keyed with the current ENC key.
func newGCM() (cipher.AEAD, error) {
	block, err := aes.NewCipher(encKey())
	if err != nil {
		return nil, fmt.Errorf("ENC: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("ENC: %w", err)
	}
	return gcm, nil
}

func encKey() []byte {
	k := builtinEncKey
	if v, ok := os.LookupEnv(EncKeyEnv); ok && v != "" {
		k = v
	}
	sum := sha256.Sum256([]byte(k))
	return sum[:]
}

// EncodePassword returns the ENC(...) form of plain, using AES-256-GCM with
// the key from GUOCEDB_EXPORTER_ENC_KEY or the built-in key.
func EncodePassword(plain string) (string, error) {
	gcm, err := newGCM()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("enc: nonce: %w", err)
	}
	sealed := gcm.Seal(nonce, nonce, []byte(plain), nil)
	return "ENC(" + base64.StdEncoding.EncodeToString(sealed) + ")", nil
}

// DecodePassword reverses EncodePassword; s must be the ENC(...) form.
func DecodePassword(s string) (string, error) {
	inner, ok := strings.CutPrefix(s, "ENC(")
	if !ok || !strings.HasSuffix(inner, ")") {
		return "", errors.New("not in ENC(...) form")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(inner, ")"))
	if err != nil {
		return "", fmt.Errorf("ENC: bad base64: %w", err)
	}
	gcm, err := newGCM()
	if err != nil {
		return "", err
	}
	if len(raw) < gcm.NonceSize() {
		return "", errors.New("ENC: value too short")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("ENC: cannot decode (wrong %s?): %w", EncKeyEnv, err)
	}
	return string(plain), nil
}

// ResolvePassword turns a dbPwd value into the password and its kind:
// "ENC(...)" (obfuscated), "env:VAR", "file:PATH" (first line, trailing
// newline removed; relative to baseDir) or plain text.
func ResolvePassword(v, baseDir string) (string, string, error) {
	switch {
	case strings.HasPrefix(v, "ENC("):
		p, err := DecodePassword(v)
		return p, "enc", err
	case strings.HasPrefix(v, "env:"):
		name := strings.TrimPrefix(v, "env:")
		p, ok := os.LookupEnv(name)
		if !ok {
			return "", "env", fmt.Errorf("environment variable %q is not set", name)
		}
		return p, "env", nil
	case strings.HasPrefix(v, "file:"):
		path := absPath(baseDir, strings.TrimPrefix(v, "file:"))
		b, err := os.ReadFile(filepath.Clean(path))
		if err != nil {
			return "", "file", fmt.Errorf("read password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), "file", nil
	default:
		return v, "plain", nil
	}
}
