package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is the progress display of a long command (backup, restore,
// check): a bar on stderr when stderr is a terminal, nothing otherwise, so
// that scripts and logs get only the final summary.
//
// Why schollz/progressbar: maintained, no cgo, renders on any io.Writer
// with throttling (a bar redrawn per key would cost more than the work),
// and leaves the TTY decision to us; golang.org/x/term is the Go team's
// terminal check.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a progress display for w; what names the work and
// unit is "keys" or "bytes".
func newProgress(w io.Writer, what, unit string) *progress {
	if !isTerminal(w) {
		return &progress{}
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
		// No redraw ticker: progressbar v3.19.1 starts one for a bar of
		// unknown length (ours until the first total arrives), and it reads
		// the bar's state without its lock while update writes it (a data
		// race the race detector reports). The bar redraws on each update.
		progressbar.OptionSetSpinnerChangeInterval(0),
	}
	if unit == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetItsString(unit))
	}
	return &progress{bar: progressbar.NewOptions64(-1, opts...)}
}

// update is the Progress callback of the backup, restore and check APIs.
func (p *progress) update(done, total int64) {
	if p.bar == nil {
		return
	}
	if total > 0 && p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	_ = p.bar.Set64(done)
}

// finish clears the bar before the summary is printed.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// isTerminal reports whether w is a terminal (a file with a TTY behind it).
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
