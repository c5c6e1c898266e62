package compat

import (
	"os"
	"testing"

	"github.com/guocedb/guocedb/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.RunMain(m)) }
