package encryption

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MarkerName is the file in a data directory that says it is encrypted.
const MarkerName = "ENCRYPTION"

// Errors of CheckDir; each message says what to do.
var (
	// ErrKeyRequired: the directory is encrypted and no key was given.
	ErrKeyRequired = errors.New("the data directory is encrypted: give its key with --encryption-key-file (or GUOCEDB_ENCRYPTION_KEY_FILE)")
	// ErrWrongKey: the key given is not the directory's.
	ErrWrongKey = errors.New("wrong encryption key: the data directory was encrypted with another key")
	// ErrRotationInterrupted: a key rotation did not finish; the
	// directory opens again once it is run to its end.
	ErrRotationInterrupted = errors.New("a master key rotation of the data directory did not finish: run guocedb rotate-key again with the same --old-key-file and --new-key-file")
	// ErrNotEncrypted: a key was given for a directory that holds
	// plaintext data; encryption cannot be switched on in place.
	ErrNotEncrypted = errors.New("the data directory is not encrypted and cannot be encrypted in place: take a backup (guocedb backup --data-dir DIR --out FILE, server stopped), then restore it with the key (guocedb restore --in FILE --data-dir NEWDIR --encryption-key-file KEYFILE) and start the server on NEWDIR with the key")
)

// marker is the content of MarkerName. It holds the key's id and check
// value, never the key.
type marker struct {
	Version  int    `json:"version"`
	Cipher   string `json:"cipher"`
	KeyID    string `json:"key_id"`
	KeyCheck string `json:"key_check"`
	// NextKeyID and NextKeyCheck name the new key while a rotation runs
	// (BeginRotation); no server opens the directory then.
	NextKeyID    string `json:"next_key_id,omitempty"`
	NextKeyCheck string `json:"next_key_check,omitempty"`
}

// State is what CheckDir found.
type State int

const (
	// Plain: no marker and no key; the directory is (or will be) plaintext.
	Plain State = iota
	// Encrypted: the marker is there and the key matches it.
	Encrypted
	// NewEncrypted: a key for a directory without data; WriteMarker must
	// run before any file is written.
	NewEncrypted
)

// CheckDir compares a data directory with the key given (nil: none)
// without changing anything. hasData says whether the directory already
// holds data (a Badger MANIFEST or a commit log): a key for a plaintext
// directory with data is refused, since its old files would stay
// readable.
func CheckDir(dir string, key *Key, hasData bool) (State, error) {
	m, err := readMarker(dir)
	switch {
	case err != nil:
		return Plain, err
	case m == nil && key == nil:
		return Plain, nil
	case m == nil && hasData:
		return Plain, ErrNotEncrypted
	case m == nil:
		return NewEncrypted, nil
	case m.NextKeyCheck != "":
		return Encrypted, ErrRotationInterrupted
	case key == nil:
		return Encrypted, ErrKeyRequired
	case !m.matches(key):
		return Encrypted, fmt.Errorf("%w (directory key id %s, given key id %s)", ErrWrongKey, m.KeyID, key.ID())
	}
	return Encrypted, nil
}

func (m *marker) matches(key *Key) bool {
	return subtle.ConstantTimeCompare([]byte(m.KeyCheck), []byte(key.checkValue())) == 1
}

// BeginRotation checks that dir is encrypted with oldKey and records that
// it is being re-keyed to newKey: from then on no open succeeds until
// FinishRotation (ErrRotationInterrupted). It reports resumed = true when
// a rotation from oldKey to newKey was already begun (and interrupted):
// the caller runs its remaining steps again.
func BeginRotation(dir string, oldKey, newKey *Key) (resumed bool, err error) {
	m, err := readMarker(dir)
	switch {
	case err != nil:
		return false, err
	case m == nil:
		return false, errors.New("the data directory is not encrypted (no " + MarkerName + " marker): there is no key to rotate")
	case !m.matches(oldKey):
		return false, fmt.Errorf("--old-key-file: %w (directory key id %s, given key id %s)", ErrWrongKey, m.KeyID, oldKey.ID())
	case m.NextKeyCheck != "" && m.NextKeyCheck != newKey.checkValue():
		return false, fmt.Errorf("an interrupted rotation to key id %s must be finished first: run guocedb rotate-key with that key as --new-key-file", m.NextKeyID)
	case m.NextKeyCheck != "":
		return true, nil
	case oldKey.checkValue() == newKey.checkValue():
		return false, errors.New("the new key is the old key")
	}
	return false, writeMarker(dir, marker{Version: 1, Cipher: "AES-256", KeyID: oldKey.ID(), KeyCheck: oldKey.checkValue(),
		NextKeyID: newKey.ID(), NextKeyCheck: newKey.checkValue()})
}

func readMarker(dir string) (*marker, error) {
	b, err := os.ReadFile(filepath.Join(dir, MarkerName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("encryption marker: %w", err)
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil || m.Version < 1 || m.KeyCheck == "" {
		return nil, fmt.Errorf("encryption marker %s is corrupt", filepath.Join(dir, MarkerName))
	}
	if m.Version > 1 {
		return nil, fmt.Errorf("encryption marker %s: version %d, this build reads up to 1", filepath.Join(dir, MarkerName), m.Version)
	}
	return &m, nil
}

// WriteMarker records in dir (which must exist) that it is encrypted with
// key: written to a temporary file, fsynced, renamed, directory fsynced,
// mode 0600. It runs before any encrypted file is written, so a
// directory with encrypted data always has its marker.
func WriteMarker(dir string, key *Key) error {
	return writeMarker(dir, marker{Version: 1, Cipher: "AES-256", KeyID: key.ID(), KeyCheck: key.checkValue()})
}

func writeMarker(dir string, m marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, MarkerName+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("encryption marker: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, MarkerName))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("encryption marker: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("encryption marker: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("encryption marker: %w", err)
	}
	return nil
}
