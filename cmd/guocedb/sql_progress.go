package main

import (
	"context"
	"time"

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/sqltext"
)

// progressPoll is how often guocedb sql asks the admin API for the
// progress of its running ALTER TABLE or CREATE INDEX.
const progressPoll = 250 * time.Millisecond

// watchProgress shows a progress bar on stderr for the table rebuild q is
// about to run on this session's connection, from the admin API's
// ListSessions (progress_done of progress_total rows), and returns the
// function that ends it. The bar is a convenience: when the connection id
// cannot be read, or the admin API is unreachable or refuses (no PROCESS
// privilege), there is simply no bar; the statement is never affected.
func (s *sqlSession) watchProgress(e env, q string) (stop func()) {
	var id uint32
	if err := s.conn.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		return func() {}
	}
	c, err := s.flags.admin.clientWithPassword(s.password)
	if err != nil {
		return func() {}
	}
	bar := newProgress(e.stderr, sqltext.FirstWord(q), "rows")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = pollProgress(ctx, c, id, progressPoll, s.flags.admin.timeout, bar.update)
	}()
	return func() {
		cancel()
		<-done
		bar.finish()
	}
}

// pollProgress asks the admin API every interval for session id's rebuild
// progress and reports it (done, total; total -1 when unknown) while the
// session shows one. It returns nil when ctx ends, or the first error of
// the admin API, after which polling would only repeat it. Each call is
// bounded by callTimeout.
func pollProgress(ctx context.Context, c *adminclient.Client, id uint32, interval, callTimeout time.Duration, report func(done, total int64)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		list, err := c.ListSessions(callCtx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, sess := range list {
			if sess.GetId() == id && sess.GetProgressTotal() != 0 {
				report(sess.GetProgressDone(), sess.GetProgressTotal())
			}
		}
	}
}
