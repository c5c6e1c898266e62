package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/guocedb/guocedb/internal/redact"
)

// Events.
const (
	// EventConnect is a login, failed ones included (Status is then the
	// MySQL error: 1045, 3118, 3955, 3159, ...).
	EventConnect = "connect"
	// EventDisconnect is the end of a logged-in connection.
	EventDisconnect = "disconnect"
	// EventQuery is a statement (or an admin API call, class admin).
	EventQuery = "query"
	// EventAudit records the audit log's own settings when it opens: a
	// change of settings shows in the log itself.
	EventAudit = "audit"
)

// Record is one line of the audit log.
type Record struct {
	TS     string `json:"ts"`
	Seq    uint64 `json:"seq"`
	Event  string `json:"event"`
	Class  string `json:"class,omitempty"`
	ConnID uint32 `json:"conn_id"`
	User   string `json:"user"`
	Host   string `json:"host"`
	DB     string `json:"db"`
	// Status is the MySQL error code, 0 on success.
	Status int    `json:"status"`
	Query  string `json:"query,omitempty"`
	// Prev is the previous record's HMAC, on the first record of each
	// file only, so that a rotated file verifies on its own.
	Prev string `json:"prev,omitempty"`
}

// Options configure an audit log.
type Options struct {
	// Path is the file; empty disables the log (Open returns nil).
	Path string
	// KeyFile holds the HMAC key (64 hex digits), created with mode 0600
	// if missing.
	KeyFile string
	// MaxSize rotates the file once it reaches this many bytes (0: never).
	MaxSize int64
	// Events lists the events and statement classes kept (connect,
	// disconnect, ddl, dcl, dml, select, admin); empty keeps all. DDL, DCL
	// and the audit event are always kept.
	Events []string
	// Users lists the user names whose events are kept; empty keeps all.
	// DDL, DCL and the audit event are kept for every user.
	Users []string
	// OnSeq learns the sequence number of each record written (the
	// guocedb_audit_last_seq metric).
	OnSeq func(uint64)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Sealer, when set (encryption at rest), encrypts each record's query
	// and db (encryption.Sealer.SealString) before the HMAC is computed:
	// the chain still verifies without the master key, and the
	// statement text (user data: literals, names) is not in the clear.
	Sealer FieldSealer
}

// FieldSealer encrypts one string field of a record; safe for concurrent
// use (encryption.Sealer).
type FieldSealer interface {
	SealString(field, value string) string
}

// Log is an open audit log. A nil *Log records nothing. Safe for
// concurrent use.
type Log struct {
	opts   Options
	key    []byte
	events map[string]bool
	users  map[string]bool

	mu   sync.Mutex
	f    *os.File
	size int64
	seq  uint64
	prev string // HMAC of the last record, hex
	// first is set while the current file has no record yet.
	first bool
	err   error // the first write error, reported by Close
}

// zeroMAC is the previous HMAC of record 1.
var zeroMAC = strings.Repeat("0", 64)

// Open opens (creating it and its directory, 0700, if missing) the audit
// log at opts.Path and continues its chain: the sequence numbers go on
// from the last record of the file, or of the newest rotated file.
func Open(opts Options) (*Log, error) {
	if opts.Path == "" {
		return nil, nil
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := LoadOrCreateKey(opts.KeyFile)
	if err != nil {
		return nil, err
	}
	l := &Log{opts: opts, key: key, events: set(opts.Events), users: set(opts.Users)}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return nil, fmt.Errorf("audit-log: %w", err)
	}
	if err := l.resume(); err != nil {
		return nil, fmt.Errorf("audit-log %s: %w", opts.Path, err)
	}
	if err := l.openFile(); err != nil {
		return nil, err
	}
	l.Record(Record{Event: EventAudit, Class: "admin", Query: fmt.Sprintf("audit-log opened: audit-events=%s audit-users=%s",
		strings.Join(opts.Events, ","), strings.Join(opts.Users, ","))})
	if l.err != nil {
		return nil, errors.Join(l.err, l.f.Close())
	}
	return l, nil
}

func set(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, v := range list {
		m[v] = true
	}
	return m
}

// resume reads the last record of the file (or of the newest rotated
// file when the file is missing or empty) for its seq and HMAC.
func (l *Log) resume() error {
	l.prev = zeroMAC
	candidates := []string{l.opts.Path}
	if rotated, err := l.rotatedFiles(); err == nil && len(rotated) > 0 {
		candidates = append(candidates, rotated[len(rotated)-1])
	}
	for _, path := range candidates {
		last, err := lastLine(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return err
		}
		if last == nil {
			continue
		}
		rec, mac, err := splitLine(last)
		if err != nil {
			return fmt.Errorf("last record of %s: %w", path, err)
		}
		l.seq, l.prev = rec.Seq, mac
		return nil
	}
	return nil
}

// rotatedFiles returns the rotated files of the log, oldest first (their
// names end in the zero-padded seq of their first record).
func (l *Log) rotatedFiles() ([]string, error) {
	matches, err := filepath.Glob(globEscape(l.opts.Path) + ".*")
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	return matches, nil
}

func globEscape(p string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(p)
}

// lastLine returns the last non-empty line of path (nil for an empty
// file). A line cut by a crash (no newline) is ignored: the record was
// never complete.
func lastLine(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	} else {
		return nil, nil
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[i+1:]
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

func (l *Log) openFile() error {
	f, err := os.OpenFile(l.opts.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit-log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return errors.Join(fmt.Errorf("audit-log: %w", err), f.Close())
	}
	// A record cut short by a crash is completed to its own line, so that
	// the next record starts on a fresh one.
	if st.Size() > 0 {
		if last, err := os.ReadFile(l.opts.Path); err == nil && len(last) > 0 && last[len(last)-1] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				return errors.Join(fmt.Errorf("audit-log: %w", err), f.Close())
			}
		}
	}
	l.f, l.size, l.first = f, st.Size(), st.Size() == 0
	return nil
}

// Wanted reports whether an event of class by user passes the filters.
// DDL, DCL and the audit event always do.
func (l *Log) Wanted(event, class, user string) bool {
	if l == nil {
		return false
	}
	if event == EventAudit || class == "ddl" || class == "dcl" {
		return true
	}
	if l.users != nil && !l.users[user] {
		return false
	}
	if l.events == nil {
		return true
	}
	if event == EventQuery {
		return l.events[class]
	}
	return l.events[event]
}

// Record appends r (its TS, Seq and Prev are set here) if the filters
// let it through. Write errors are logged once by the caller through
// Close; recording never fails a statement.
func (l *Log) Record(r Record) {
	if l == nil || !l.Wanted(r.Event, r.Class, r.User) {
		return
	}
	r.Query = strings.ToValidUTF8(redact.Query(r.Query), "\uFFFD")
	if l.opts.Sealer != nil {
		r.Query = l.opts.Sealer.SealString("query", r.Query)
		r.DB = l.opts.Sealer.SealString("db", r.DB)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	r.Seq = l.seq + 1
	r.TS = l.opts.Now().UTC().Format(time.RFC3339Nano)
	r.Prev = ""
	if l.first {
		r.Prev = l.prev
	}
	line, mac, err := seal(l.key, l.prev, r)
	if err != nil {
		l.fail(err)
		return
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	if err != nil {
		l.fail(err)
		return
	}
	l.seq, l.prev, l.first = r.Seq, mac, false
	if l.opts.OnSeq != nil {
		l.opts.OnSeq(r.Seq)
	}
	if l.opts.MaxSize > 0 && l.size >= l.opts.MaxSize {
		l.rotate()
	}
}

func (l *Log) fail(err error) {
	if l.err == nil {
		l.err = fmt.Errorf("audit-log %s: %w", l.opts.Path, err)
	}
}

// rotate renames the full file after the seq of its first record and
// starts a new one; the chain goes on (the new file's first record
// carries the previous HMAC). Rotated files are never deleted.
func (l *Log) rotate() {
	first, err := firstSeq(l.opts.Path)
	if err != nil {
		l.fail(err)
		return
	}
	if err := l.f.Close(); err != nil {
		l.fail(err)
	}
	l.f = nil
	if err := os.Rename(l.opts.Path, fmt.Sprintf("%s.%020d", l.opts.Path, first)); err != nil {
		l.fail(err)
	}
	if err := l.openFile(); err != nil {
		l.fail(err)
	}
}

func firstSeq(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	rec, _, err := splitLine(bytes.TrimRight(line, "\n"))
	return rec.Seq, err
}

// LastSeq returns the sequence number of the last record written.
func (l *Log) LastSeq() uint64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// Close syncs and closes the file and returns the first write error.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return l.err
	}
	err := errors.Join(l.err, l.f.Sync(), l.f.Close())
	l.f = nil
	return err
}

// seal returns r's line (with its hmac member and a newline) and its HMAC:
// HMAC-SHA256(key, prev || body), body being the JSON object without the
// hmac member, exactly as written.
func seal(key []byte, prev string, r Record) ([]byte, string, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, "", err
	}
	mac := sign(key, prev, body)
	line := make([]byte, 0, len(body)+len(mac)+12)
	line = append(line, body[:len(body)-1]...)
	line = append(line, `,"hmac":"`...)
	line = append(line, mac...)
	line = append(line, "\"}\n"...)
	return line, mac, nil
}

func sign(key []byte, prev string, body []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(prev))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// hmacMember ends every line: `,"hmac":"<64 hex>"}`.
const hmacMember = `,"hmac":"`

// splitLine returns a line's record, its HMAC and (through seal's
// layout) nothing else; the body the HMAC covers is bodyOf(line).
func splitLine(line []byte) (Record, string, error) {
	body, mac, err := bodyOf(line)
	if err != nil {
		return Record{}, "", err
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, "", fmt.Errorf("not an audit record: %w", err)
	}
	return r, mac, nil
}

func bodyOf(line []byte) ([]byte, string, error) {
	i := bytes.LastIndex(line, []byte(hmacMember))
	if i < 0 || len(line) != i+len(hmacMember)+64+2 || !bytes.HasSuffix(line, []byte(`"}`)) {
		return nil, "", errors.New("no hmac at the end of the line")
	}
	mac := string(line[i+len(hmacMember) : i+len(hmacMember)+64])
	body := append(append([]byte(nil), line[:i]...), '}')
	return body, mac, nil
}
