package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of process waits.
const (
	readyTimeout = 60 * time.Second
	exitTimeout  = 60 * time.Second
)

// Process is a guocedb binary started by StartProcess.
type Process struct {
	// MySQLAddr is the MySQL listener, 127.0.0.1:PORT.
	MySQLAddr string
	// HTTPAddr is the HTTP listener, 127.0.0.1:PORT.
	HTTPAddr string
	// AdminAddr is the admin API listener, 127.0.0.1:PORT.
	AdminAddr string
	// DataDir is the data directory the process runs on.
	DataDir string

	t      testing.TB
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{} // closed once the process has exited
	err    error         // cmd.Wait's result, valid after done
}

// StartProcess runs `bin serve` on dataDir with free loopback ports
// (MySQL, HTTP, admin) and no GUOCEDB_* variables from the caller's
// environment, extra flags appended (a repeated flag wins), and waits until /readyz answers 200. A process still running
// at the end of the test is killed.
func StartProcess(t testing.TB, bin, dataDir string, extraArgs ...string) *Process {
	t.Helper()
	p := StartProcessNoWait(t, bin, dataDir, extraArgs...)
	p.WaitReady()
	return p
}

// StartProcessNoWait is StartProcess without the wait for /readyz: a
// cluster member becomes ready only once its peers run, so a harness
// starts them all, then waits for each (WaitReady).
func StartProcessNoWait(t testing.TB, bin, dataDir string, extraArgs ...string) *Process {
	t.Helper()
	p := &Process{
		MySQLAddr: FreeAddr(t),
		HTTPAddr:  FreeAddr(t),
		AdminAddr: FreeAddr(t),
		DataDir:   dataDir,
		t:         t,
		output:    &syncBuffer{},
		done:      make(chan struct{}),
	}
	args := append([]string{"serve",
		"--data-dir", dataDir,
		"--mysql-addr", p.MySQLAddr,
		"--http-addr", p.HTTPAddr,
		"--admin-addr", p.AdminAddr,
		"--shutdown-timeout", "10s",
	}, extraArgs...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = CleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		out := p.Output()
		FailOnPanicOutput(t, out)
		if t.Failed() {
			// What a failed test's servers said, for the one run that
			// cannot be repeated at will (the tail: the end matters).
			if len(out) > failedOutputTail {
				out = "...\n" + out[len(out)-failedOutputTail:]
			}
			t.Logf("output of guocedb on %s (MySQL %s):\n%s", dataDir, p.MySQLAddr, out)
		}
	})
	return p
}

// failedOutputTail bounds the output a failed test logs per process.
const failedOutputTail = 16 << 10

// WaitReady waits until /readyz answers 200 (at most a minute), failing
// the test otherwise.
func (p *Process) WaitReady() {
	p.t.Helper()
	if err := p.waitReady(readyTimeout); err != nil {
		p.t.Fatalf("guocedb did not become ready: %v\noutput:\n%s", err, p.Output())
	}
}

// waitReady polls /readyz every 50ms until 200, exit, or timeout.
func (p *Process) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	url := "http://" + p.HTTPAddr + "/readyz"
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("process exited: %v", p.err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from %s within %s", url, timeout)
}

// Kill9 sends SIGKILL and waits for the process to be gone: a crash with
// no chance to flush or close anything.
func (p *Process) Kill9() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatalf("kill -9: %v", err)
	}
	p.wait()
}

// Signal sends sig to the process (SIGSTOP and SIGCONT freeze and thaw
// it: a member that stops answering without closing its connections).
func (p *Process) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		exit := "still running"
		select {
		case <-p.done:
			exit = fmt.Sprintf("exited: %v", p.err)
		default:
		}
		p.t.Fatalf("signal %v: %v (%s)\noutput:\n%s", sig, err, exit, p.Output())
	}
}

// WaitStopped waits until the process is stopped (after SIGSTOP), as
// /proc shows it (state T), for at most 10 s: a signal is delivered
// asynchronously, and a test that relies on the freeze must not race it.
func (p *Process) WaitStopped() {
	p.t.Helper()
	path := fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if err != nil {
			p.t.Fatalf("process state: %v", err)
		}
		// pid (comm) state ...: the state follows the last ')'.
		if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.t.Fatalf("process %d did not stop within 10s", p.cmd.Process.Pid)
}

// Stop sends SIGTERM and requires a clean exit (status 0) within a minute.
func (p *Process) Stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	p.wait()
	if p.err != nil {
		p.t.Fatalf("guocedb did not exit cleanly after SIGTERM: %v\noutput:\n%s", p.err, p.Output())
	}
}

func (p *Process) wait() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(exitTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("guocedb did not exit within %s\noutput:\n%s", exitTimeout, p.Output())
	}
}

// Output returns what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.output.String() }

// Run runs bin with args and a clean environment (plus env, "K=V"),
// bounded by a minute, and returns its exit code and combined output.
func Run(t testing.TB, bin string, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(CleanEnv(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	default:
		t.Fatalf("run %s %v: %v", bin, args, err)
		return -1, ""
	}
}

// CleanEnv returns the environment without GUOCEDB_* variables, so a
// developer's settings do not leak into tests.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GUOCEDB_") {
			env = append(env, kv)
		}
	}
	return env
}

// syncBuffer is a bytes.Buffer safe for the process's writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
