//go:build race

package acceptance

// raceDetector reports whether the tests run under -race.
const raceDetector = true
