package config

import (
	"fmt"
	"time"
)

// The configuration keys of the Dameng exporter (dameng_exporter), whose
// design this exporter recasts for MySQL-protocol servers. Its users keep
// their files: every such key is accepted, mapped to its equivalent here,
// or accepted with a warning (Config.Warnings, printed by check-config and
// logged at start) where it has no meaning for MySQL-protocol servers.
// Its durations are integers in a unit per key, taken from its own
// documentation (docs/参数配置说明.md: queryTimeout seconds, connMaxLifetime
// minutes, slowSqlTime milliseconds, bigKeyDataCacheTime and
// alarmKeyCacheTime minutes, globalTimeoutSeconds seconds); groupTimeout
// follows the exporter plan's examples (seconds).

// legacyUnits is the unit of an integer given for a duration key. Keys
// not listed take strings only ("5s").
var legacyUnits = map[string]time.Duration{
	"queryTimeout":        time.Second,
	"connMaxLifetime":     time.Minute,
	"groupTimeout":        time.Second,
	"slowSqlTime":         time.Millisecond,
	"bigKeyDataCacheTime": time.Minute,
	"alarmKeyCacheTime":   time.Minute,
}

// LegacySourceSettings are the Dameng exporter's per-datasource keys (also
// accepted globally, as defaults).
type LegacySourceSettings struct {
	// BigKeyDataCacheTime caches its slow-changing size queries:
	// tableSizesCacheTime here.
	BigKeyDataCacheTime *Duration `toml:"bigKeyDataCacheTime"`
	// AlarmKeyCacheTime times its primary/standby switch alarm: no
	// equivalent.
	AlarmKeyCacheTime *Duration `toml:"alarmKeyCacheTime"`
	// RegisterHostMetrics collected the host's CPU and memory: no
	// equivalent (node_exporter's job).
	RegisterHostMetrics *bool `toml:"registerHostMetrics"`
	// RegisterDatabaseMetrics switches the database metric groups: global
	// status, global variables, processlist and table sizes here.
	RegisterDatabaseMetrics *bool `toml:"registerDatabaseMetrics"`
	// RegisterDmhsMetrics switches DMHS replication metrics: replication.
	RegisterDmhsMetrics *bool `toml:"registerDmhsMetrics"`
	// RegisterCustomMetrics: registerCustom.
	RegisterCustomMetrics *bool `toml:"registerCustomMetrics"`
}

// LegacyGlobal are the Dameng exporter's global keys.
type LegacyGlobal struct {
	// EnableBasicAuth with BasicAuthUsername and BasicAuthPassword (plain,
	// ENC(...), env:VAR or file:PATH) guard every endpoint.
	EnableBasicAuth   *bool   `toml:"enableBasicAuth"`
	BasicAuthUsername *string `toml:"basicAuthUsername"`
	BasicAuthPassword *string `toml:"basicAuthPassword"`
	// EncodeConfigPwd made that exporter rewrite the file with encrypted
	// passwords: this one never writes its configuration.
	EncodeConfigPwd *bool `toml:"encodeConfigPwd"`
	// Version was that exporter's own version, read only.
	Version *string `toml:"version"`
	// GlobalTimeoutSeconds bounds one collection: scrapeTimeoutDefault.
	GlobalTimeoutSeconds *int `toml:"globalTimeoutSeconds"`
	// CollectionMode blocking | fast: this exporter always answers at the
	// deadline with what finished (fast).
	CollectionMode *string `toml:"collectionMode"`
}

// warn returns the function that records a warning about datasource
// name's keys ("" for the global ones), each distinct warning once.
func (c *Config) warn(name string) func(string, ...any) {
	return func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if name != "" {
			msg = fmt.Sprintf("datasource %q: %s", name, msg)
		}
		for _, w := range c.Warnings {
			if w == msg {
				return
			}
		}
		c.Warnings = append(c.Warnings, msg)
	}
}

// applyLegacy maps the legacy per-source keys of l onto s.
func applyLegacy(errs *[]error, s *Source, l *LegacySourceSettings, warn func(string, ...any)) {
	pickDur(errs, &s.TableSizesCacheTime, l.BigKeyDataCacheTime, "bigKeyDataCacheTime")
	if l.AlarmKeyCacheTime != nil {
		var ignored time.Duration
		pickDur(errs, &ignored, l.AlarmKeyCacheTime, "alarmKeyCacheTime")
		warn("key \"alarmKeyCacheTime\" ignored: it timed the Dameng exporter's primary/standby switch alarm, which MySQL-protocol servers do not have")
	}
	if l.RegisterHostMetrics != nil && *l.RegisterHostMetrics {
		warn("key \"registerHostMetrics\" ignored: host metrics are node_exporter's job")
	}
	if v := l.RegisterDatabaseMetrics; v != nil {
		s.RegisterGlobalStatus, s.RegisterGlobalVariables, s.RegisterProcesslist, s.RegisterTableSizes = *v, *v, *v, *v
	}
	pick(&s.RegisterReplication, l.RegisterDmhsMetrics)
	pick(&s.RegisterCustom, l.RegisterCustomMetrics)
}

// resolveLegacyGlobal maps the legacy global keys of f onto cfg.
func resolveLegacyGlobal(cfg *Config, f *File, baseDir string) []error {
	var errs []error
	warn := cfg.warn("")
	l := &f.LegacyGlobal
	if l.EncodeConfigPwd != nil && *l.EncodeConfigPwd {
		warn("key \"encodeConfigPwd\" ignored: guocedb-exporter never rewrites its configuration; write ENC(...) values with guocedb-exporter encrypt-password")
	}
	if l.Version != nil {
		warn("key \"version\" ignored: guocedb-exporter version prints the version")
	}
	if l.CollectionMode != nil {
		switch *l.CollectionMode {
		case "blocking", "fast":
			warn("key \"collectionMode\" ignored: the collection always ends at the scrape deadline with what finished (the Dameng exporter's \"fast\")")
		default:
			errs = append(errs, fmt.Errorf("key \"collectionMode\": %q must be blocking or fast", *l.CollectionMode))
		}
	}
	if l.GlobalTimeoutSeconds != nil {
		if *l.GlobalTimeoutSeconds <= 0 {
			errs = append(errs, fmt.Errorf("key \"globalTimeoutSeconds\": %d must be > 0", *l.GlobalTimeoutSeconds))
		} else if f.ScrapeTimeoutDefault == nil {
			cfg.ScrapeTimeoutDefault = time.Duration(*l.GlobalTimeoutSeconds) * time.Second
		}
	}
	if l.EnableBasicAuth != nil && *l.EnableBasicAuth {
		user, pw := deref(l.BasicAuthUsername), deref(l.BasicAuthPassword)
		if user == "" || pw == "" {
			errs = append(errs, fmt.Errorf("keys \"basicAuthUsername\", \"basicAuthPassword\": both must be set when enableBasicAuth = true"))
		} else {
			p, _, err := ResolvePassword(pw, baseDir)
			if err != nil {
				errs = append(errs, fmt.Errorf("key \"basicAuthPassword\": %w", err))
			}
			cfg.BasicAuthUser, cfg.BasicAuthPassword = user, p
		}
	} else if l.BasicAuthUsername != nil || l.BasicAuthPassword != nil {
		warn("keys \"basicAuthUsername\", \"basicAuthPassword\" ignored: enableBasicAuth is not true")
	}
	return errs
}
