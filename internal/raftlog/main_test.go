package raftlog_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The log runs two goroutines per Open; Close must end them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
