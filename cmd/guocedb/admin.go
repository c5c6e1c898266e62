package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/config"
)

// passwordEnv holds the admin user's password for the admin commands.
// A flag would show the password in ps; the environment does not.
const passwordEnv = "GUOCEDB_PASSWORD"

// adminFlags are the flags every admin API command takes.
type adminFlags struct {
	server       string
	user         string
	passwordFile string
	tlsCA        string
	json         bool
	timeout      time.Duration
}

func registerAdminFlags(fs *flag.FlagSet) *adminFlags {
	f := &adminFlags{}
	fs.StringVar(&f.server, "server", config.DefaultAdminAddr,
		"admin API address: `ADDR` as HOST:PORT or http://HOST:PORT, https://HOST:PORT when the server has TLS")
	fs.StringVar(&f.user, "user", "root", "guocedb `USER` to authenticate as")
	fs.StringVar(&f.passwordFile, "password-file", "",
		"read the password from the first line of `FILE` (default: "+passwordEnv+", else a prompt on a terminal, else empty)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "PEM `FILE` of the CA (or self-signed certificate) to trust for https://")
	fs.BoolVar(&f.json, "json", false, "print JSON (the admin API's own field names) instead of a table")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up on the server after `DURATION`")
	return f
}

// parseAdminFlags parses args with fs. Flags may also follow the
// positional arguments (guocedb kill 12 --query), which are returned. On
// failure it returns the exit code with ok false; flag has printed why.
func parseAdminFlags(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		if fs.NArg() == 0 {
			return positional, exitOK, true
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// client builds the admin API client from the flags and the password
// source, and a context bounded by --timeout.
func (f *adminFlags) client(e env) (*adminclient.Client, context.Context, context.CancelFunc, error) {
	if f.timeout <= 0 {
		return nil, nil, nil, fmt.Errorf("--timeout: %s must be positive", f.timeout)
	}
	password, err := f.password(e)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := f.clientWithPassword(password)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	return c, ctx, cancel, nil
}

// clientWithPassword builds the admin API client from --server, --user
// and --tls-ca with a password already read.
func (f *adminFlags) clientWithPassword(password string) (*adminclient.Client, error) {
	var opts []adminclient.Option
	if f.tlsCA != "" {
		pem, err := os.ReadFile(f.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca: %s holds no PEM certificate", f.tlsCA)
		}
		opts = append(opts, adminclient.WithTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	}
	c, err := adminclient.New(f.server, adminclient.Credentials{User: f.user, Password: password}, opts...)
	if err != nil {
		return nil, fmt.Errorf("--server: %w", err)
	}
	return c, nil
}

// password comes from --password-file, else GUOCEDB_PASSWORD, else a
// prompt when stdin is a terminal, else it is empty (as for the mysql
// client without -p).
func (f *adminFlags) password(e env) (string, error) {
	if f.passwordFile != "" {
		raw, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(raw), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if pw, ok := e.lookupEnv(passwordEnv); ok {
		return pw, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", nil
	}
	fmt.Fprintf(e.stderr, "Password for %s: ", f.user)
	raw, err := term.ReadPassword(fd)
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(raw), nil
}

// printJSON writes msg as the admin API's JSON (proto field names, zero
// values included), indented.
func printJSON(e env, msg proto.Message) error {
	out, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true, Multiline: true}.Marshal(msg)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	_, _ = w.Write(out)
	_ = w.WriteByte('\n')
	return w.Flush()
}

// runAdminReport is an admin command that takes no arguments and prints
// one answer (status, sessions): parse the flags, call the API, print the
// answer as JSON with --json, else as the table text writes into tw.
func runAdminReport[M proto.Message](e env, name string, call func(*adminclient.Client, context.Context) (M, error), text func(tw *tabwriter.Writer, msg M)) int {
	fs := flag.NewFlagSet("guocedb "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	af := registerAdminFlags(fs)
	args, code, ok := parseAdminFlags(fs, e.args)
	if !ok {
		return code
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "guocedb %s: unexpected argument %q\n", name, args[0])
		return exitUsage
	}
	c, ctx, cancel, err := af.client(e)
	if err != nil {
		printError(e.stderr, name, err)
		return exitError
	}
	defer cancel()
	msg, err := call(c, ctx)
	if err != nil {
		printError(e.stderr, "error", err)
		return exitError
	}
	if af.json {
		err = printJSON(e, msg)
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		text(tw, msg)
		err = tw.Flush()
	}
	if err != nil {
		printError(e.stderr, name, err)
		return exitError
	}
	return exitOK
}
