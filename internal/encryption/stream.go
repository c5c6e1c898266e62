package encryption

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ChunkSize is the plaintext size of a stream chunk.
const ChunkSize = 64 << 10

// finalBit marks the last chunk in its length prefix; the flag is also
// the chunk's additional data, so flipping it fails authentication.
const finalBit = 1 << 31

// StreamSaltLen is the length of a stream's salt.
const StreamSaltLen = 32

// ErrStreamTruncated: an encrypted stream ends before its final chunk.
var ErrStreamTruncated = errors.New("encrypted stream is truncated (no final chunk)")

// StreamWriter encrypts a stream in chunks of ChunkSize with AES-256-GCM
// (the record section of an encrypted backup). Each stream has a random
// salt and a key derived from the master key and the salt, so the chunk
// number is a unique nonce. A chunk is [4 bytes: final flag in the top
// bit, ciphertext length][ciphertext and tag]; the final flag is also
// the chunk's additional data, so a stream cut at a chunk boundary, chunks
// reordered, dropped or appended all fail to authenticate.
type StreamWriter struct {
	w    io.Writer
	aead cipher.AEAD
	n    uint64
	buf  []byte
	out  []byte
	err  error
}

// NewStreamWriter returns a writer that encrypts into w, and the salt
// the reader needs (stored in the stream's header by the caller).
func NewStreamWriter(w io.Writer, key *Key, use string) (*StreamWriter, []byte, error) {
	salt := make([]byte, StreamSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, fmt.Errorf("encryption: %w", err)
	}
	a, err := newGCM(key.Subkey(use, salt))
	if err != nil {
		return nil, nil, err
	}
	return &StreamWriter{w: w, aead: a, buf: make([]byte, 0, ChunkSize)}, salt, nil
}

// Write buffers p and writes every full chunk.
func (s *StreamWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), ChunkSize-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		if len(s.buf) == ChunkSize {
			if err := s.flush(false); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// Close writes the final chunk (possibly empty). It does not close w.
func (s *StreamWriter) Close() error {
	if s.err != nil {
		return s.err
	}
	return s.flush(true)
}

func (s *StreamWriter) flush(final bool) error {
	nonce := chunkNonce(s.n)
	s.n++
	size := uint32(len(s.buf) + s.aead.Overhead())
	if final {
		size |= finalBit
	}
	s.out = binary.BigEndian.AppendUint32(s.out[:0], size)
	s.out = s.aead.Seal(s.out, nonce[:], s.buf, chunkAD(final))
	s.buf = s.buf[:0]
	if _, err := s.w.Write(s.out); err != nil {
		s.err = err
		return err
	}
	if final {
		s.err = errors.New("encrypted stream is closed")
	}
	return nil
}

func chunkNonce(n uint64) [12]byte {
	var nonce [12]byte
	binary.BigEndian.PutUint64(nonce[:], n)
	return nonce
}

func chunkAD(final bool) []byte {
	if final {
		return []byte{1}
	}
	return []byte{0}
}

// StreamReader decrypts what a StreamWriter wrote. It returns io.EOF
// after the final chunk only if r ends there too; ErrAuth for a chunk
// that does not authenticate (wrong key, changed byte),
// ErrStreamTruncated when r ends before the final chunk.
type StreamReader struct {
	r     io.Reader
	aead  cipher.AEAD
	n     uint64
	plain []byte
	in    []byte
	done  bool
	err   error
}

// NewStreamReader returns a reader of the stream in r written with key
// and salt.
func NewStreamReader(r io.Reader, key *Key, use string, salt []byte) (*StreamReader, error) {
	a, err := newGCM(key.Subkey(use, salt))
	if err != nil {
		return nil, err
	}
	return &StreamReader{r: r, aead: a}, nil
}

// Read returns decrypted bytes.
func (s *StreamReader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		s.err = s.next()
	}
	n := copy(p, s.plain)
	s.plain = s.plain[n:]
	return n, nil
}

// next decrypts the next chunk into plain; io.EOF after the last.
func (s *StreamReader) next() error {
	if s.done {
		var b [1]byte
		if n, _ := io.ReadFull(s.r, b[:]); n != 0 {
			return fmt.Errorf("%w: data after the final chunk", ErrAuth)
		}
		return io.EOF
	}
	var l [4]byte
	if _, err := io.ReadFull(s.r, l[:]); err != nil {
		return truncated(err)
	}
	size := binary.BigEndian.Uint32(l[:])
	final := size&finalBit != 0
	size &^= finalBit
	if size < uint32(s.aead.Overhead()) || size > ChunkSize+uint32(s.aead.Overhead()) {
		return fmt.Errorf("%w: chunk %d has a bad length %d", ErrAuth, s.n, size)
	}
	if cap(s.in) < int(size) {
		s.in = make([]byte, size)
	}
	s.in = s.in[:size]
	if _, err := io.ReadFull(s.r, s.in); err != nil {
		return truncated(err)
	}
	nonce := chunkNonce(s.n)
	plain, err := s.aead.Open(s.in[:0], nonce[:], s.in, chunkAD(final))
	if err != nil {
		return fmt.Errorf("%w (chunk %d)", ErrAuth, s.n)
	}
	s.done = final
	s.n++
	s.plain = plain
	if len(plain) == 0 && s.done {
		return s.next()
	}
	return nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrStreamTruncated
	}
	return err
}
