package digest

import (
	"math"
	"sort"
	"sync"
	"time"
)

// DefaultMaxDigests bounds the summary, as MySQL's
// performance_schema_digests_size (10000 by default): statements of new
// digests beyond it are counted in one row with an empty Digest (MySQL
// shows that row with DIGEST NULL).
const DefaultMaxDigests = 10000

// Statement is one finished client statement, as the handler reports it.
type Statement struct {
	// Schema is the current database when it ran ("" for none).
	Schema string
	// Text is the statement as the client sent it; only its normalized
	// form is kept.
	Text string
	// Shape, when set, is a key every statement with Text's digest text
	// shares (the plan cache's token shape: the text without its
	// literals): the digest text is then computed once per shape, not
	// once per distinct text (inserts rarely repeat their values).
	Shape    string
	Start    time.Time
	Duration time.Duration
	// Failed marks a statement that returned an error.
	Failed bool
	// RowsExamined are the table rows it read, RowsAffected those it
	// wrote, RowsSent the result rows sent.
	RowsExamined, RowsAffected, RowsSent uint64
}

// Stats is the summary of one (schema, digest).
type Stats struct {
	Schema string
	// Digest is Sum(Text); "" for the row that counts statements beyond
	// the summary's bound.
	Digest string
	Text   string
	Count  uint64
	Errors uint64
	// Total, Min and Max are the statements' durations.
	Total, Min, Max time.Duration
	// P95, P99 and P999 are upper bounds of the durations' quantiles (the
	// bucket the quantile falls in, as MySQL's QUANTILE_95 is).
	P95, P99, P999                       time.Duration
	RowsExamined, RowsAffected, RowsSent uint64
	FirstSeen, LastSeen                  time.Time
}

// Avg is the mean duration.
func (s Stats) Avg() time.Duration {
	if s.Count == 0 {
		return 0
	}
	return s.Total / time.Duration(s.Count)
}

// Buckets of the per-digest duration histogram: 1µs times 1.25^i, so a
// quantile is known within 25%; the last bucket holds everything above
// (1.25^95 µs is about 22 minutes).
const numBuckets = 96

var bucketBounds = func() [numBuckets]time.Duration {
	var b [numBuckets]time.Duration
	for i := range b {
		b[i] = time.Duration(float64(time.Microsecond) * math.Pow(1.25, float64(i)))
	}
	return b
}()

func bucketOf(d time.Duration) int {
	i := sort.Search(numBuckets, func(i int) bool { return bucketBounds[i] >= d })
	return min(i, numBuckets-1)
}

type key struct{ schema, digest string }

// The summary remembers the normalized form of recent statement texts:
// applications repeat the same text (prepared statements, ORMs), and
// normalizing costs more than the rest of Record. Texts up to
// maxCachedText bytes are kept, at most maxCachedTexts of them (the
// cache is emptied when full: no per-entry bookkeeping on the hot path).
const (
	maxCachedText  = 2048
	maxCachedTexts = 1024
)

type normalized struct{ text, digest string }

type entry struct {
	stats   Stats
	buckets [numBuckets]uint32
}

// Summary aggregates statements by schema and digest. It is safe for
// concurrent use; Record takes one mutex for a map update after the
// normalization, which runs outside it.
type Summary struct {
	max int

	mu      sync.Mutex
	entries map[key]*entry
	texts   map[string]normalized
}

// NewSummary returns an empty summary holding at most maxDigests rows
// (DefaultMaxDigests when <= 0) plus the overflow row.
func NewSummary(maxDigests int) *Summary {
	if maxDigests <= 0 {
		maxDigests = DefaultMaxDigests
	}
	return &Summary{max: maxDigests, entries: map[key]*entry{}, texts: map[string]normalized{}}
}

// Record adds one finished statement. A nil Summary records nothing.
func (s *Summary) Record(st Statement) {
	if s == nil {
		return
	}
	// Shapes are kept beside texts under a prefix no text starts with.
	textKey := st.Text
	if st.Shape != "" {
		textKey = "\x01" + st.Shape
	}
	s.mu.Lock()
	n, cached := s.texts[textKey]
	s.mu.Unlock()
	if !cached {
		// Outside the lock: normalization is the expensive part.
		n.text = Normalize(st.Text)
		n.digest = Sum(n.text)
	}
	if n.text == "" {
		return
	}
	text := n.text
	k := key{st.Schema, n.digest}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !cached && len(textKey) <= maxCachedText {
		if len(s.texts) >= maxCachedTexts {
			clear(s.texts)
		}
		s.texts[textKey] = n
	}
	e := s.entries[k]
	if e == nil {
		if len(s.entries) >= s.max {
			k = key{}
			text = ""
			e = s.entries[k]
		}
		if e == nil {
			e = &entry{stats: Stats{Schema: k.schema, Digest: k.digest, Text: text, FirstSeen: st.Start, Min: st.Duration}}
			s.entries[k] = e
		}
	}
	x := &e.stats
	x.Count++
	if st.Failed {
		x.Errors++
	}
	x.Total += st.Duration
	x.Min = min(x.Min, st.Duration)
	x.Max = max(x.Max, st.Duration)
	x.RowsExamined += st.RowsExamined
	x.RowsAffected += st.RowsAffected
	x.RowsSent += st.RowsSent
	x.LastSeen = st.Start
	e.buckets[bucketOf(st.Duration)]++
}

// Snapshot returns every row, the most total time first.
func (s *Summary) Snapshot() []Stats {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	out := make([]Stats, 0, len(s.entries))
	for _, e := range s.entries {
		st := e.stats
		st.P95, st.P99, st.P999 = e.quantile(0.95), e.quantile(0.99), e.quantile(0.999)
		out = append(out, st)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Digest < out[j].Digest
	})
	return out
}

// Reset forgets every row (TRUNCATE of the summary table in MySQL).
func (s *Summary) Reset() {
	s.mu.Lock()
	s.entries = map[key]*entry{}
	clear(s.texts)
	s.mu.Unlock()
}

// quantile returns the upper bound of the bucket holding quantile q,
// never above the largest duration seen.
func (e *entry) quantile(q float64) time.Duration {
	rank := uint64(math.Ceil(q * float64(e.stats.Count)))
	var seen uint64
	for i, n := range e.buckets {
		seen += uint64(n)
		if seen >= rank && seen > 0 {
			return min(bucketBounds[i], e.stats.Max)
		}
	}
	return e.stats.Max
}
