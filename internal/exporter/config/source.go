package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Flavors accepted by the flavor key. "auto" asks the server.
const (
	FlavorAuto    = "auto"
	FlavorMySQL   = "mysql"
	FlavorMariaDB = "mariadb"
	FlavorGuocedb = "guocedb"
)

// Source is one fully resolved datasource. Every value here applies to this
// source only.
type Source struct {
	Name     string
	Host     string
	User     string
	Password string
	// PasswordKind is "plain", "enc", "env" or "file"; used in summaries so
	// the secret itself is never printed.
	PasswordKind string
	DBName       string
	Description  string

	QueryTimeout        time.Duration
	MaxOpenConns        int
	MaxIdleConns        int
	ConnMaxLifetime     time.Duration
	HealthCheckInterval time.Duration

	VariablesCacheTime  time.Duration
	TableSizesCacheTime time.Duration

	CheckSlowSQL   bool
	SlowSQLTime    time.Duration
	SlowSQLMaxRows int

	RegisterGlobalStatus    bool
	RegisterGlobalVariables bool
	RegisterProcesslist     bool
	RegisterTableSizes      bool
	RegisterReplication     bool
	RegisterGuocedb         bool
	RegisterCustom          bool

	CustomMetricsFile string
	CustomMaxRows     int
	Priority          int
	// Labels are the configured constant labels (global merged with the
	// source's own, the source winning per key), without "datasource".
	Labels  map[string]string
	Flavor  string
	Enabled bool
}

// LabelNames returns the configured label names in sorted order.
func (s *Source) LabelNames() []string {
	names := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// builtinSource holds the built-in per-source defaults.
func builtinSource() Source {
	return Source{
		QueryTimeout:            5 * time.Second,
		MaxOpenConns:            3,
		MaxIdleConns:            3,
		ConnMaxLifetime:         5 * time.Minute,
		HealthCheckInterval:     15 * time.Second,
		VariablesCacheTime:      60 * time.Second,
		TableSizesCacheTime:     5 * time.Minute,
		CheckSlowSQL:            false,
		SlowSQLTime:             1 * time.Second,
		SlowSQLMaxRows:          20,
		RegisterGlobalStatus:    true,
		RegisterGlobalVariables: true,
		RegisterProcesslist:     true,
		RegisterTableSizes:      true,
		RegisterReplication:     true,
		RegisterGuocedb:         true,
		RegisterCustom:          true,
		CustomMaxRows:           100,
		Flavor:                  FlavorAuto,
		Enabled:                 true,
	}
}

// resolve applies defaults and resolves every source. It always returns a
// configuration; the error lists what could not be resolved.
func resolve(f *File, baseDir string) (*Config, error) {
	cfg := Default()
	setStr(&cfg.Namespace, f.Namespace)
	setStr(&cfg.ListenAddress, f.ListenAddress)
	setStr(&cfg.MetricPath, f.MetricPath)
	setStr(&cfg.LogLevel, f.LogLevel)
	setStr(&cfg.LogFormat, f.LogFormat)
	setStr(&cfg.LogFile, f.LogFile)
	setInt(&cfg.LogMaxSize, f.LogMaxSize)
	setInt(&cfg.LogMaxBackups, f.LogMaxBackups)
	setInt(&cfg.LogMaxAge, f.LogMaxAge)
	if f.WebConfigFile != "" {
		cfg.WebConfigFile = absPath(baseDir, f.WebConfigFile)
	}
	if cfg.LogFile != "" {
		cfg.LogFile = absPath(baseDir, cfg.LogFile)
	}
	var errs []error
	setStr(&cfg.CollectStrategy, f.CollectStrategy)
	pick(&cfg.MaxConcurrentGroups, f.MaxConcurrentGroups)
	pickDur(&errs, &cfg.GroupTimeout, f.GroupTimeout, "groupTimeout")
	pick(&cfg.ScrapeTimeoutFraction, f.ScrapeTimeoutFraction)
	pickDur(&errs, &cfg.ScrapeTimeoutMax, f.ScrapeTimeoutMax, "scrapeTimeoutMax")
	pickDur(&errs, &cfg.ScrapeTimeoutDefault, f.ScrapeTimeoutDefault, "scrapeTimeoutDefault")
	errs = append(errs, resolveLegacyGlobal(&cfg, f, baseDir)...)

	// The global defaults are resolved once against the built-ins; every
	// source then starts from that copy, never from another source.
	global := builtinSource()
	for _, err := range apply(&global, &f.SourceSettings, baseDir, cfg.warn("")) {
		errs = append(errs, fmt.Errorf("global: %w", err))
	}

	dss := f.Datasources
	legacy := f.DBHost != nil || f.DBUser != nil || f.DBPwd != nil
	if legacy {
		if len(dss) > 0 {
			errs = append(errs, errors.New("key \"dbHost\"/\"dbUser\"/\"dbPwd\": top-level database keys (old single-database layout) cannot be combined with [[datasource]]"))
		} else {
			dss = []DatasourceFile{{Name: LegacyName, DBHost: deref(f.DBHost), DBUser: deref(f.DBUser), DBPwd: deref(f.DBPwd)}}
			cfg.Legacy = true
		}
	}
	for i := range dss {
		d := &dss[i]
		s := global
		s.Labels = copyLabels(global.Labels)
		s.Name = d.Name
		s.Host = d.DBHost
		s.User = d.DBUser
		s.DBName = d.DBName
		s.Description = d.Description
		for _, err := range apply(&s, &d.SourceSettings, baseDir, cfg.warn(d.Name)) {
			errs = append(errs, fmt.Errorf("datasource %q: %w", d.Name, err))
		}
		pw, kind, err := ResolvePassword(d.DBPwd, baseDir)
		if err != nil {
			errs = append(errs, fmt.Errorf("datasource %q: key \"dbPwd\": %w", d.Name, err))
		}
		s.Password, s.PasswordKind = pw, kind
		cfg.Sources = append(cfg.Sources, s)
	}
	// The configuration is returned even with errors so that Validate can
	// report the remaining problems too.
	return &cfg, errors.Join(errs...)
}

// apply overlays the settings that are set in ss onto s; warn reports a
// legacy key without meaning here.
func apply(s *Source, ss *SourceSettings, baseDir string, warn func(string, ...any)) []error {
	var errs []error
	// The Dameng exporter's keys first: the exporter's own keys, when both
	// are given, win.
	applyLegacy(&errs, s, &ss.LegacySourceSettings, warn)
	pickDur(&errs, &s.QueryTimeout, ss.QueryTimeout, "queryTimeout")
	pick(&s.MaxOpenConns, ss.MaxOpenConns)
	pick(&s.MaxIdleConns, ss.MaxIdleConns)
	pickDur(&errs, &s.ConnMaxLifetime, ss.ConnMaxLifetime, "connMaxLifetime")
	pickDur(&errs, &s.HealthCheckInterval, ss.HealthCheckInterval, "healthCheckInterval")
	pickDur(&errs, &s.VariablesCacheTime, ss.VariablesCacheTime, "variablesCacheTime")
	pickDur(&errs, &s.TableSizesCacheTime, ss.TableSizesCacheTime, "tableSizesCacheTime")
	pick(&s.CheckSlowSQL, ss.CheckSlowSQL)
	pickDur(&errs, &s.SlowSQLTime, ss.SlowSQLTime, "slowSqlTime")
	pick(&s.SlowSQLMaxRows, ss.SlowSQLMaxRows)
	pick(&s.RegisterGlobalStatus, ss.RegisterGlobalStatus)
	pick(&s.RegisterGlobalVariables, ss.RegisterGlobalVariables)
	pick(&s.RegisterProcesslist, ss.RegisterProcesslist)
	pick(&s.RegisterTableSizes, ss.RegisterTableSizes)
	pick(&s.RegisterReplication, ss.RegisterReplication)
	pick(&s.RegisterGuocedb, ss.RegisterGuocedb)
	pick(&s.RegisterCustom, ss.RegisterCustom)
	pick(&s.CustomMaxRows, ss.CustomMaxRows)
	pick(&s.Priority, ss.Priority)
	pick(&s.Flavor, ss.Flavor)
	pick(&s.Enabled, ss.Enabled)
	if ss.CustomMetricsFile != nil {
		s.CustomMetricsFile = ""
		if *ss.CustomMetricsFile != "" {
			s.CustomMetricsFile = absPath(baseDir, *ss.CustomMetricsFile)
		}
	}
	if ss.Labels != nil {
		labels, err := ParseLabels(*ss.Labels)
		if err != nil {
			return append(errs, fmt.Errorf("key \"labels\": %w", err))
		}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		for k, v := range labels {
			s.Labels[k] = v
		}
	}
	return errs
}

// ParseLabels parses "k=v,k2=v2". Whitespace around keys and values is
// trimmed; an empty string yields no labels.
func ParseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not k=v", strings.TrimSpace(part))
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("label %q given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func copyLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func absPath(baseDir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(baseDir, p)
}

func pick[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// pickDur sets *dst from src (when set) in key's unit (see legacyUnits),
// adding a problem to errs.
func pickDur(errs *[]error, dst *time.Duration, src *Duration, key string) {
	if src == nil {
		return
	}
	d, err := src.value(key, legacyUnits[key])
	if err != nil {
		*errs = append(*errs, err)
		return
	}
	*dst = d
}

func setStr(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
