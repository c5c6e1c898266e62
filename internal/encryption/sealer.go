package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrAuth is returned when sealed data does not authenticate: the wrong
// key, or the bytes were changed.
var ErrAuth = errors.New("decryption failed: wrong key or changed data")

// saltLen is the random salt a Sealer derives its key with.
const saltLen = 16

// SealOverhead is what Seal adds to the data: salt, counter and tag.
const SealOverhead = saltLen + 8 + 16

// Sealer encrypts records with AES-256-GCM (the commit log's entries).
//
// Nonces must never repeat under one key, and a log record's position
// is no safe nonce: a crash can lose a written but unsynced record whose
// bytes may already have reached the disk, and the record written in its
// place would reuse its nonce. So every Sealer picks a random salt when
// it is made (at each open of the log), derives its own key from the
// master key and the salt, and numbers its records with a counter: the
// nonce is unique for the key by construction, with no 2^32 limit as
// random 96-bit nonces would have. Each sealed record carries its salt
// and counter; Open derives the key of a salt once and caches it.
//
// Safe for concurrent use.
type Sealer struct {
	key  *Key
	use  string
	salt [saltLen]byte
	aead cipher.AEAD
	n    atomic.Uint64

	mu    sync.Mutex
	cache map[[saltLen]byte]cipher.AEAD
}

// NewSealer returns a Sealer for records of one use (its own subkeys).
func NewSealer(key *Key, use string) (*Sealer, error) {
	s := &Sealer{key: key, use: use, cache: make(map[[saltLen]byte]cipher.AEAD)}
	if _, err := rand.Read(s.salt[:]); err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	a, err := newGCM(key.Subkey(use, s.salt[:]))
	if err != nil {
		return nil, err
	}
	s.aead = a
	s.cache[s.salt] = a
	return s, nil
}

func newGCM(k []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	return a, nil
}

// Seal appends to dst the sealed form of data, authenticated together
// with ad (which is stored elsewhere, e.g. the record's index and term):
// [16 salt][8 counter][ciphertext and 16-byte tag].
func (s *Sealer) Seal(dst, data, ad []byte) []byte {
	c := s.n.Add(1)
	var nonce [12]byte
	binary.BigEndian.PutUint64(nonce[:], c)
	dst = append(dst, s.salt[:]...)
	dst = append(dst, nonce[:8]...)
	return s.aead.Seal(dst, nonce[:], data, ad)
}

// Open appends the data sealed in sealed to dst; ErrAuth when it does
// not authenticate with ad under this master key.
func (s *Sealer) Open(dst, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < SealOverhead {
		return nil, ErrAuth
	}
	var salt [saltLen]byte
	copy(salt[:], sealed)
	s.mu.Lock()
	a, ok := s.cache[salt]
	if !ok {
		var err error
		if a, err = newGCM(s.key.Subkey(s.use, salt[:])); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.cache[salt] = a
	}
	s.mu.Unlock()
	var nonce [12]byte
	copy(nonce[:8], sealed[saltLen:])
	out, err := a.Open(dst, nonce[:], sealed[saltLen+8:], ad)
	if err != nil {
		return nil, ErrAuth
	}
	return out, nil
}
