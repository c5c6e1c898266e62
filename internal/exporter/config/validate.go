package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
)

var (
	nameRe      = regexp.MustCompile(`^[a-zA-Z0-9_.\-]+$`)
	labelNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	nsRe        = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// reservedLabels may not be configured: the exporter sets them itself.
var reservedLabels = map[string]bool{"datasource": true, "collector": true}

// Validate checks the resolved configuration. Each error names the
// datasource (when there is one), the key and the allowed values.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !nsRe.MatchString(c.Namespace) {
		add("key \"namespace\": %q must match %s", c.Namespace, nsRe)
	}
	if _, _, err := net.SplitHostPort(c.ListenAddress); err != nil {
		add("key \"listenAddress\": %q must be host:port: %v", c.ListenAddress, err)
	}
	if !strings.HasPrefix(c.MetricPath, "/") || c.MetricPath == "/" || strings.HasPrefix(c.MetricPath, "/-/") {
		add("key \"metricPath\": %q must start with / and not be / or under /-/", c.MetricPath)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("key \"logLevel\": %q must be one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		add("key \"logFormat\": %q must be text or json", c.LogFormat)
	}
	if c.LogMaxSize < 0 || c.LogMaxBackups < 0 || c.LogMaxAge < 0 {
		add("keys \"logMaxSize\", \"logMaxBackups\", \"logMaxAge\" must not be negative")
	}
	switch c.CollectStrategy {
	case StrategyConcurrent, StrategySerial, StrategyHybrid:
	default:
		add("key \"collectStrategy\": %q must be one of concurrent, serial, hybrid", c.CollectStrategy)
	}
	if c.MaxConcurrentGroups < 1 {
		add("key \"maxConcurrentGroups\": %d must be >= 1", c.MaxConcurrentGroups)
	}
	if c.GroupTimeout <= 0 {
		add("key \"groupTimeout\": %s must be > 0", c.GroupTimeout)
	}
	if c.ScrapeTimeoutFraction <= 0 || c.ScrapeTimeoutFraction > 1 {
		add("key \"scrapeTimeoutFraction\": %g must be in (0, 1]", c.ScrapeTimeoutFraction)
	}
	if c.ScrapeTimeoutMax <= 0 {
		add("key \"scrapeTimeoutMax\": %s must be > 0", c.ScrapeTimeoutMax)
	}
	if c.ScrapeTimeoutDefault <= 0 {
		add("key \"scrapeTimeoutDefault\": %s must be > 0", c.ScrapeTimeoutDefault)
	}
	if len(c.Sources) == 0 {
		add("no datasource: add at least one [[datasource]] table")
	}
	seen := map[string]bool{}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Name == "" {
			add("datasource #%d: key \"name\": must not be empty", i+1)
		} else if !nameRe.MatchString(s.Name) {
			add("datasource %q: key \"name\": must match %s", s.Name, nameRe)
		}
		if seen[s.Name] {
			add("datasource %q: key \"name\": duplicate name", s.Name)
		}
		seen[s.Name] = true
		if err := s.validate(); err != nil {
			errs = append(errs, fmt.Errorf("datasource %q: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Source) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Host == "" {
		add("key \"dbHost\": must not be empty (host:port)")
	} else if _, _, err := net.SplitHostPort(s.Host); err != nil {
		add("key \"dbHost\": %q must be host:port", s.Host)
	}
	if s.User == "" {
		add("key \"dbUser\": must not be empty")
	}
	if s.QueryTimeout <= 0 {
		add("key \"queryTimeout\": %s must be > 0", s.QueryTimeout)
	}
	if s.MaxOpenConns < 1 {
		add("key \"maxOpenConns\": %d must be >= 1", s.MaxOpenConns)
	}
	if s.MaxIdleConns < 0 || s.MaxIdleConns > s.MaxOpenConns {
		add("key \"maxIdleConns\": %d must be between 0 and maxOpenConns (%d)", s.MaxIdleConns, s.MaxOpenConns)
	}
	if s.ConnMaxLifetime < 0 {
		add("key \"connMaxLifetime\": %s must not be negative", s.ConnMaxLifetime)
	}
	if s.HealthCheckInterval <= 0 {
		add("key \"healthCheckInterval\": %s must be > 0", s.HealthCheckInterval)
	}
	if s.VariablesCacheTime < 0 {
		add("key \"variablesCacheTime\": %s must not be negative", s.VariablesCacheTime)
	}
	if s.TableSizesCacheTime < 0 {
		add("key \"tableSizesCacheTime\": %s must not be negative", s.TableSizesCacheTime)
	}
	if s.SlowSQLTime <= 0 {
		add("key \"slowSqlTime\": %s must be > 0", s.SlowSQLTime)
	}
	if s.SlowSQLMaxRows < 1 {
		add("key \"slowSqlMaxRows\": %d must be >= 1", s.SlowSQLMaxRows)
	}
	if s.CustomMaxRows < 1 {
		add("key \"customMaxRows\": %d must be >= 1", s.CustomMaxRows)
	}
	switch s.Flavor {
	case FlavorAuto, FlavorMySQL, FlavorMariaDB, FlavorGuocedb:
	default:
		add("key \"flavor\": %q must be one of auto, mysql, mariadb, guocedb", s.Flavor)
	}
	for _, k := range s.LabelNames() {
		if !labelNameRe.MatchString(k) || strings.HasPrefix(k, "__") {
			add("key \"labels\": label name %q must match %s and not start with __", k, labelNameRe)
		}
		if reservedLabels[k] {
			add("key \"labels\": label name %q is reserved", k)
		}
	}
	return errors.Join(errs...)
}

// WriteSummary prints a human summary of the configuration. Passwords are
// shown only by kind.
func (c *Config) WriteSummary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "config: %s\n", c.Path)
	if c.Legacy {
		fmt.Fprintf(&b, "layout: old single-database file, converted to datasource %q\n", LegacyName)
	}
	fmt.Fprintf(&b, "listen: %s%s  namespace: %s  log: %s/%s\n", c.ListenAddress, c.MetricPath, c.Namespace, c.LogLevel, c.LogFormat)
	fmt.Fprintf(&b, "strategy: %s  maxConcurrentGroups: %d  groupTimeout: %s\n", c.CollectStrategy, c.MaxConcurrentGroups, c.GroupTimeout)
	fmt.Fprintf(&b, "scrape deadline: header*%g capped at %s, default %s\n", c.ScrapeTimeoutFraction, c.ScrapeTimeoutMax, c.ScrapeTimeoutDefault)
	if c.WebConfigFile != "" {
		fmt.Fprintf(&b, "web config: %s\n", c.WebConfigFile)
	}
	if c.BasicAuthUser != "" {
		fmt.Fprintf(&b, "basic auth: user %s (enableBasicAuth)\n", c.BasicAuthUser)
	}
	fmt.Fprintf(&b, "datasources: %d (%d enabled)\n", len(c.Sources), len(c.EnabledSources()))
	for _, s := range c.Sources {
		state := "enabled"
		if !s.Enabled {
			state = "disabled"
		}
		fmt.Fprintf(&b, "  - %s [%s] %s@%s password=%s priority=%d queryTimeout=%s pool=%d/%d connMaxLifetime=%s flavor=%s\n",
			s.Name, state, s.User, s.Host, s.PasswordKind, s.Priority, s.QueryTimeout, s.MaxOpenConns, s.MaxIdleConns, s.ConnMaxLifetime, s.Flavor)
		if s.CheckSlowSQL {
			fmt.Fprintf(&b, "    slow SQL: over %s, at most %d rows\n", s.SlowSQLTime, s.SlowSQLMaxRows)
		}
		if s.Description != "" {
			fmt.Fprintf(&b, "    description: %s\n", s.Description)
		}
		if len(s.Labels) > 0 {
			parts := make([]string, 0, len(s.Labels))
			for _, k := range s.LabelNames() {
				parts = append(parts, k+"="+s.Labels[k])
			}
			fmt.Fprintf(&b, "    labels: %s\n", strings.Join(parts, ","))
		}
		if s.CustomMetricsFile != "" {
			fmt.Fprintf(&b, "    custom metrics: %s (max %d rows)\n", s.CustomMetricsFile, s.CustomMaxRows)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
