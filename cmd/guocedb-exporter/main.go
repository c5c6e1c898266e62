// Command guocedb-exporter exports Prometheus metrics from many
// MySQL-protocol servers (guocedb, MySQL, MariaDB) configured as
// [[datasource]] tables in one TOML file.
//
// Usage:
//
//	guocedb-exporter [serve] [-config FILE]
//	guocedb-exporter check-config FILE
//	guocedb-exporter encrypt-password   (reads the password from stdin)
//	guocedb-exporter version
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sub := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "serve":
		return serve(args, stderr)
	case "check-config":
		return checkConfig(args, stdout, stderr)
	case "encrypt-password":
		return encryptPassword(args, stdin, stdout, stderr)
	case "version":
		return printVersion(stdout)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		_, _ = fmt.Fprintf(stderr, "unknown command %q\n", sub)
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	_, _ = fmt.Fprint(w, `usage:
  guocedb-exporter [serve] [-config FILE]   run the exporter (default command)
  guocedb-exporter check-config FILE        validate FILE and print a summary, without connecting
  guocedb-exporter encrypt-password         read a password on stdin, print its ENC(...) form
  guocedb-exporter version                  print the version
`)
}
