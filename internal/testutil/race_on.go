//go:build race

package testutil

// raceEnabled is true when the test binary runs under -race; BuildBinary
// then builds with -race too, reusing the packages already compiled.
const raceEnabled = true
