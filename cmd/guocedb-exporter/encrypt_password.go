package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/guocedb/guocedb/internal/exporter/config"
)

// encryptPassword reads one line from stdin (so the password stays out of
// shell history and process lists) and prints its ENC(...) form. ENC is
// obfuscation, not encryption: see config.EncKeyEnv.
func encryptPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		_, _ = fmt.Fprintln(stderr, "usage: echo PASSWORD | guocedb-exporter encrypt-password")
		return 2
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		_, _ = fmt.Fprintf(stderr, "read password: %v\n", err)
		return 1
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		_, _ = fmt.Fprintln(stderr, "empty password on stdin")
		return 1
	}
	enc, err := config.EncodePassword(pw)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "encode: %v\n", err)
		return 1
	}
	_, _ = fmt.Fprintln(stdout, enc)
	return 0
}
