//go:build !race

package testutil

// raceEnabled is true when the test binary runs under -race.
const raceEnabled = false
