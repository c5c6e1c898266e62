//go:build !race

package enginetest

// raceDetector is true when the tests are built with -race.
const raceDetector = false
