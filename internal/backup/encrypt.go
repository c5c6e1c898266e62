package backup

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/guocedb/guocedb/internal/encryption"
)

// The record section of a backup of an encrypted server is encrypted
// (encryption.StreamWriter: AES-256-GCM in chunks of 64 KiB, the last
// one flagged) under a key derived from the master key and a random salt
// per backup. The header stays readable, so that --incremental-since and
// the chain checks need no key, and names the key by its id.

// formatEncrypted is the backup format version of encrypted files; a
// plaintext backup is still written as FormatVersion 1, which older
// builds read.
const formatEncrypted = 2

// cipherAESGCM names the cipher in the manifest.
const cipherAESGCM = "AES-256-GCM"

// backupKeyUse labels the subkeys of backups (encryption.Key.Subkey).
const backupKeyUse = "backup v1"

// Errors of encrypted backups; the messages say what to do.
var (
	// ErrKeyRequired: the backup is encrypted and no key was given.
	ErrKeyRequired = errors.New("backup file is encrypted: give its key with --encryption-key-file")
	// ErrWrongKey: the key given is not the one the backup was written with.
	ErrWrongKey = errors.New("wrong encryption key for this backup file")
)

// Encryption describes the encrypted record section of a backup.
type Encryption struct {
	// Cipher is "AES-256-GCM".
	Cipher string `json:"cipher"`
	// KeyID names the master key (encryption.Key.ID), never the key.
	KeyID string `json:"key_id"`
	// Salt (hex) derives this backup's key from the master key.
	Salt string `json:"salt"`
	// ChunkSize is the plaintext size of a chunk.
	ChunkSize int `json:"chunk_size"`
}

// encryptSection wraps w in the encrypting writer of key and records its
// parameters in m.
func encryptSection(w io.Writer, key *encryption.Key, m *Manifest) (*encryption.StreamWriter, error) {
	sw, salt, err := encryption.NewStreamWriter(w, key, backupKeyUse)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m.FormatVersion = formatEncrypted
	m.Encryption = &Encryption{Cipher: cipherAESGCM, KeyID: key.ID(), Salt: hex.EncodeToString(salt), ChunkSize: encryption.ChunkSize}
	return sw, nil
}

// checkKey fails unless key is the one m's section was encrypted with.
func checkKey(m Manifest, key *encryption.Key) error {
	if m.Encryption == nil {
		return nil
	}
	if key == nil {
		return fmt.Errorf("%w (key id %s)", ErrKeyRequired, m.Encryption.KeyID)
	}
	if key.ID() != m.Encryption.KeyID {
		return fmt.Errorf("%w: it was encrypted with key id %s, the key given has id %s", ErrWrongKey, m.Encryption.KeyID, key.ID())
	}
	return nil
}

// decryptSection returns the reader of the decrypted record section; r
// itself when m is not encrypted. checkKey must have passed.
func decryptSection(r io.Reader, m Manifest, key *encryption.Key) (io.Reader, error) {
	if m.Encryption == nil {
		return r, nil
	}
	if m.Encryption.Cipher != cipherAESGCM {
		return nil, fmt.Errorf("%w: unknown cipher %q", ErrCorrupt, m.Encryption.Cipher)
	}
	salt, err := hex.DecodeString(m.Encryption.Salt)
	if err != nil || len(salt) != encryption.StreamSaltLen {
		return nil, fmt.Errorf("%w: bad encryption salt", ErrCorrupt)
	}
	sr, err := encryption.NewStreamReader(r, key, backupKeyUse, salt)
	if err != nil {
		return nil, err
	}
	return sr, nil
}

// sectionError turns a decryption failure into the backup's errors: a
// chunk that does not authenticate although the key id matched is a
// changed file.
func sectionError(err error) error {
	switch {
	case errors.Is(err, encryption.ErrAuth):
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	case errors.Is(err, encryption.ErrStreamTruncated):
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	return err
}
