package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Collection strategies accepted by collectStrategy.
const (
	StrategyConcurrent = "concurrent"
	StrategySerial     = "serial"
	StrategyHybrid     = "hybrid"
)

// LegacyName is the datasource name given to an old single-database file.
const LegacyName = "default"

// File is the raw TOML document. Pointer fields distinguish "not set" from
// a zero value so that per-source settings can fall back to the global
// default and then to the built-in default.
type File struct {
	Namespace     string `toml:"namespace"`
	ListenAddress string `toml:"listenAddress"`
	MetricPath    string `toml:"metricPath"`
	LogLevel      string `toml:"logLevel"`
	LogFormat     string `toml:"logFormat"`
	LogFile       string `toml:"logFile"`
	LogMaxSize    int    `toml:"logMaxSize"`
	LogMaxBackups int    `toml:"logMaxBackups"`
	LogMaxAge     int    `toml:"logMaxAge"`
	// WebConfigFile is an exporter-toolkit web configuration (YAML) with
	// TLS settings and bcrypt-hashed basic auth users.
	WebConfigFile string `toml:"webConfigFile"`

	CollectStrategy     string    `toml:"collectStrategy"`
	MaxConcurrentGroups *int      `toml:"maxConcurrentGroups"`
	GroupTimeout        *Duration `toml:"groupTimeout"`

	// Scrape deadline: header value * fraction, capped; default when the
	// X-Prometheus-Scrape-Timeout-Seconds header is missing.
	ScrapeTimeoutFraction *float64  `toml:"scrapeTimeoutFraction"`
	ScrapeTimeoutMax      *Duration `toml:"scrapeTimeoutMax"`
	ScrapeTimeoutDefault  *Duration `toml:"scrapeTimeoutDefault"`

	// Global defaults for every per-source setting.
	SourceSettings

	// The Dameng exporter's global keys (legacy.go).
	LegacyGlobal

	// Old single-database layout.
	DBHost *string `toml:"dbHost"`
	DBUser *string `toml:"dbUser"`
	DBPwd  *string `toml:"dbPwd"`

	Datasources []DatasourceFile `toml:"datasource"`
}

// SourceSettings are the settings that exist both globally (as defaults)
// and per datasource.
type SourceSettings struct {
	QueryTimeout        *Duration `toml:"queryTimeout"`
	MaxOpenConns        *int      `toml:"maxOpenConns"`
	MaxIdleConns        *int      `toml:"maxIdleConns"`
	ConnMaxLifetime     *Duration `toml:"connMaxLifetime"`
	HealthCheckInterval *Duration `toml:"healthCheckInterval"`

	VariablesCacheTime  *Duration `toml:"variablesCacheTime"`
	TableSizesCacheTime *Duration `toml:"tableSizesCacheTime"`

	CheckSlowSQL   *bool     `toml:"checkSlowSQL"`
	SlowSQLTime    *Duration `toml:"slowSqlTime"`
	SlowSQLMaxRows *int      `toml:"slowSqlMaxRows"`

	RegisterGlobalStatus    *bool `toml:"registerGlobalStatus"`
	RegisterGlobalVariables *bool `toml:"registerGlobalVariables"`
	RegisterProcesslist     *bool `toml:"registerProcesslist"`
	RegisterTableSizes      *bool `toml:"registerTableSizes"`
	RegisterReplication     *bool `toml:"registerReplication"`
	RegisterGuocedb         *bool `toml:"registerGuocedb"`
	RegisterCustom          *bool `toml:"registerCustom"`

	CustomMetricsFile *string `toml:"customMetricsFile"`
	CustomMaxRows     *int    `toml:"customMaxRows"`
	Priority          *int    `toml:"priority"`
	Labels            *string `toml:"labels"`
	Flavor            *string `toml:"flavor"`
	Enabled           *bool   `toml:"enabled"`

	LegacySourceSettings
}

// DatasourceFile is one [[datasource]] table as written.
type DatasourceFile struct {
	Name        string `toml:"name"`
	DBHost      string `toml:"dbHost"`
	DBUser      string `toml:"dbUser"`
	DBPwd       string `toml:"dbPwd"`
	DBName      string `toml:"dbName"`
	Description string `toml:"description"`
	SourceSettings
}

// Config is the resolved configuration: every default applied, every
// per-source value resolved, passwords read.
type Config struct {
	Namespace     string
	ListenAddress string
	MetricPath    string
	LogLevel      string
	LogFormat     string
	LogFile       string
	LogMaxSize    int
	LogMaxBackups int
	LogMaxAge     int
	WebConfigFile string

	CollectStrategy     string
	MaxConcurrentGroups int
	GroupTimeout        time.Duration

	ScrapeTimeoutFraction float64
	ScrapeTimeoutMax      time.Duration
	ScrapeTimeoutDefault  time.Duration

	// Sources holds every datasource, enabled or not, in file order.
	Sources []Source
	// Legacy is true when the file used the old single-database layout.
	Legacy bool
	// BasicAuthUser and BasicAuthPassword, when set, guard every endpoint
	// (the Dameng exporter's enableBasicAuth keys; webConfigFile is the
	// exporter's own way).
	BasicAuthUser, BasicAuthPassword string
	// Warnings are legacy keys accepted without effect, each once.
	Warnings []string
	// Path is the file the configuration came from.
	Path string
}

// Default returns the built-in global settings (no datasources).
func Default() Config {
	return Config{
		Namespace:             "guocedb_exporter",
		ListenAddress:         "127.0.0.1:9104",
		MetricPath:            "/metrics",
		LogLevel:              "info",
		LogFormat:             "text",
		LogMaxSize:            100,
		LogMaxBackups:         3,
		LogMaxAge:             28,
		CollectStrategy:       StrategyConcurrent,
		MaxConcurrentGroups:   1,
		GroupTimeout:          10 * time.Second,
		ScrapeTimeoutFraction: 0.9,
		ScrapeTimeoutMax:      60 * time.Second,
		ScrapeTimeoutDefault:  10 * time.Second,
	}
}

// EnabledSources returns the datasources with enabled = true.
func (c *Config) EnabledSources() []Source {
	out := make([]Source, 0, len(c.Sources))
	for _, s := range c.Sources {
		if s.Enabled {
			out = append(out, s)
		}
	}
	return out
}

// Load reads, resolves and validates the file at path. Unknown keys are
// rejected. All problems are reported together, each naming the datasource
// (if any) and the key.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, filepath.Dir(path), path)
}

// Parse is Load on bytes; baseDir resolves relative file references.
func Parse(data []byte, baseDir, path string) (*Config, error) {
	var f File
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		return nil, fmt.Errorf("parse config %s: %w", path, err)
	}
	// Every problem is collected so that check-config reports them at once.
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, unknownKeyError(data, k))
	}
	cfg, err := resolve(&f, baseDir)
	if err != nil {
		errs = append(errs, err)
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config %s: %w", path, distinct(errs))
	}
	cfg.Path = path
	return cfg, nil
}

// distinct joins errs with every message once: an unknown key in several
// [[datasource]] tables, or a problem found both while resolving and while
// validating, is one line.
func distinct(errs []error) error {
	var out []error
	seen := map[string]bool{}
	var walk func(err error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	for _, e := range errs {
		walk(e)
	}
	return errors.Join(out...)
}

// unknownKeyError names the datasource when the unknown key sits inside a
// [[datasource]] table. toml.Key does not carry the array index, so the
// raw document is searched for the table(s) holding the key.
func unknownKeyError(data []byte, k toml.Key) error {
	if len(k) < 2 || k[0] != "datasource" {
		return fmt.Errorf("unknown key %q", k.String())
	}
	sub := strings.Join(k[1:], ".")
	var raw struct {
		Datasource []map[string]any `toml:"datasource"`
	}
	var names []string
	if _, err := toml.Decode(string(data), &raw); err == nil {
		for _, t := range raw.Datasource {
			if _, ok := t[k[1]]; ok {
				name, _ := t["name"].(string)
				names = append(names, fmt.Sprintf("%q", name))
			}
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("datasource: unknown key %q", sub)
	}
	return fmt.Errorf("datasource %s: unknown key %q", strings.Join(names, ", "), sub)
}
