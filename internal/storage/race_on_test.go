//go:build race

package storage

// raceEnabled: the race detector slows the crash runs several times over.
const raceEnabled = true
