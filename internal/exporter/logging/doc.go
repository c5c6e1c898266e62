// Package logging builds the exporter's *slog.Logger from the
// configuration: level, text or JSON, stderr or a file rotated by
// lumberjack (logMaxSize MB, logMaxBackups files, logMaxAge days).
//
// It must not keep global state: the logger is returned and passed down.
package logging
