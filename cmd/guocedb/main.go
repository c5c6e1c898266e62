package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/guocedb/guocedb/internal/config"
)

// Set at build time: go build -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// env is what a subcommand gets from the process: arguments after the
// subcommand name, output streams and the environment lookup.
type env struct {
	args      []string
	stdin     io.Reader // nil: no input (tests that run commands in-process)
	stdout    io.Writer
	stderr    io.Writer
	lookupEnv func(string) (string, bool)
}

func main() {
	restrictFileModes()
	os.Exit(run(os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv}))
}

// run dispatches to a subcommand and returns the exit code.
func run(args []string, e env) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	e.args = args
	switch name {
	case "serve":
		return runServe(e)
	case "check-config":
		return runCheckConfig(e)
	case "version":
		return runVersion(e)
	case "backup":
		return runBackup(e)
	case "restore":
		return runRestore(e)
	case "check":
		return runCheck(e)
	case "status":
		return runStatus(e)
	case "cluster":
		return runCluster(e)
	case "sessions":
		return runSessions(e)
	case "kill":
		return runKill(e)
	case "sql":
		return runSQL(e)
	case "audit":
		return runAudit(e)
	case "decrypt-log":
		return runDecryptLog(e)
	case "rotate-key":
		return runRotateKey(e)
	case "help":
		usage(e.stdout)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "guocedb: unknown command %q\n\n", name)
		usage(e.stderr)
		return exitUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  guocedb [serve] [flags]       run the server (default)
  guocedb check-config [flags]  load and validate the configuration, print it
  guocedb backup [--data-dir DIR | --server ADDR] --out FILE|- [--incremental-since FILE]
                                write a consistent backup file
  guocedb restore --in FILE [--in FILE ...] --data-dir DIR [--encryption-key-file FILE]
                                build a new data directory from backup files
  guocedb check --data-dir DIR [--encryption-key-file FILE]
                                verify that catalog, rows and indexes agree
  guocedb version               print version and commit
  guocedb status [flags]        server status, from the admin API
  guocedb sessions [flags]      list client sessions, from the admin API
  guocedb kill [--query] ID     close a session, or stop its statement
  guocedb cluster status | add ID RAFT-ADDR | remove ID | transfer-leader ID
                                a raft cluster's members, from and through the admin API
  guocedb sql [flags] [-e STATEMENTS]
                                run statements (-e or stdin) over the MySQL protocol
  guocedb audit verify [--data-dir DIR | --key-file FILE] FILE...
                                check an audit log's HMAC chain; exit 1 naming the first bad seq
  guocedb rotate-key --data-dir DIR --old-key-file FILE --new-key-file FILE
                                re-key a stopped server's encrypted data directory
  guocedb decrypt-log --encryption-key-file FILE LOGFILE...
                                print an encrypted server's slow or audit log with query and db decrypted

Run "guocedb serve -h" for the flags. Every flag can also be set in the
--config TOML file (same key) or as GUOCEDB_<KEY> in the environment;
the root password comes from GUOCEDB_ROOT_PASSWORD only.

The admin commands take --server ADDR (default `+config.DefaultAdminAddr+`),
--user USER (default root) and --json; the password comes from
GUOCEDB_PASSWORD, --password-file FILE, or a prompt on a terminal.
`)
}

// loadConfig parses the subcommand's flags and loads and validates the
// configuration. On failure it has printed the reason and returns the
// exit code with ok false.
func loadConfig(name string, e env) (cfg config.Config, code int, ok bool) {
	fs := flag.NewFlagSet("guocedb "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	flags := config.RegisterFlags(fs)
	if code, ok := parseFlags(e, fs, name); !ok {
		return cfg, code, false
	}
	cfg, err := flags.Load(e.lookupEnv)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		printError(e.stderr, "invalid configuration", err)
		return cfg, exitError, false
	}
	return cfg, exitOK, true
}

// printError writes "guocedb: what:" and each line of err, indented.
func printError(w io.Writer, what string, err error) {
	lines := strings.Split(err.Error(), "\n")
	if len(lines) == 1 {
		fmt.Fprintf(w, "guocedb: %s: %s\n", what, lines[0])
		return
	}
	fmt.Fprintf(w, "guocedb: %s:\n", what)
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// newLogger builds the process logger from the validated config.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // validated: debug|info|warn|error
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseFlags parses a command's flags, which take no positional
// arguments. When the command should not go on it returns the exit code:
// 0 after -h (flag printed the usage), 2 for a bad flag (flag printed the
// error and usage) or an argument.
func parseFlags(e env, fs *flag.FlagSet, name string) (code int, ok bool) {
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "guocedb %s: unexpected argument %q\n", name, fs.Arg(0))
		return exitUsage, false
	}
	return exitOK, true
}
