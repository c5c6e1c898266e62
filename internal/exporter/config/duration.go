package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration as the file gives it: a string such as "5s"
// or "1m30s", or, for the keys of the Dameng exporter this one recasts, an
// integer in that key's unit (queryTimeout = 30 is 30 seconds). Decoding
// never fails: a bad value is kept and reported with its key when the
// configuration is resolved, so that check-config lists every problem, not
// only the first one the TOML decoder meets.
type Duration struct {
	d   time.Duration
	n   *int64 // an integer without unit, resolved by the key's unit
	err error
}

// Dur returns a Duration of d, for code that builds a File.
func Dur(d time.Duration) *Duration { return &Duration{d: d} }

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		p, err := time.ParseDuration(x)
		if err != nil {
			d.err = fmt.Errorf("invalid duration %q: %w", x, err)
		}
		d.d = p
	case int64:
		d.n = &x
	default:
		d.err = fmt.Errorf("invalid duration %v: write a string such as \"5s\"", v)
	}
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.d.String()), nil
}

// D returns the value as a time.Duration (an integer taken as seconds).
func (d Duration) D() time.Duration {
	if d.n != nil {
		return time.Duration(*d.n) * time.Second
	}
	return d.d
}

// value resolves the duration of key: an integer is read in unit, and is
// an error for keys without one (unit 0).
func (d *Duration) value(key string, unit time.Duration) (time.Duration, error) {
	switch {
	case d.err != nil:
		return 0, fmt.Errorf("key %q: %w", key, d.err)
	case d.n == nil:
		return d.d, nil
	case unit == 0:
		return 0, fmt.Errorf("key %q: %d has no unit: write a string such as \"%ds\"", key, *d.n, *d.n)
	}
	return time.Duration(*d.n) * unit, nil
}
