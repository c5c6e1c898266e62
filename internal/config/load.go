package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// EnvPrefix starts every environment variable guocedb reads.
const EnvPrefix = "GUOCEDB_"

// rootPasswordKey is settable from the environment only.
const rootPasswordKey = "root-password"

// setting is one configuration key under its single name: the TOML key
// and the flag are the name itself, the environment variable is EnvName.
type setting struct {
	name  string
	usage string
	get   func(Config) string
	set   func(*Config, string) error
	// isBool marks an on/off key: a bare --NAME means true, and the file
	// takes a TOML boolean.
	isBool bool
}

// boolSetting is an on/off key stored through field.
func boolSetting(name, usage string, field func(*Config) *bool) setting {
	return setting{
		name:  name,
		usage: usage,
		get: func(c Config) string {
			return strconv.FormatBool(*field(&c))
		},
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not a boolean (true or false)", v)
			}
			*field(c) = b
			return nil
		},
		isBool: true,
	}
}

// settings lists every key in the order --help and check-config show
// them. root-password is deliberately absent: it is read from the
// environment only (see Flags.Load).
func settings() []setting {
	return []setting{
		{name: "data-dir", usage: "data directory `DIR` (created if missing)",
			get: func(c Config) string { return c.DataDir },
			set: func(c *Config, v string) error { c.DataDir = v; return nil }},
		{name: "mysql-addr", usage: "MySQL protocol listen address `HOST:PORT`",
			get: func(c Config) string { return c.MySQLAddr },
			set: func(c *Config, v string) error { c.MySQLAddr = v; return nil }},
		{name: "http-addr", usage: "HTTP listen address `HOST:PORT` for /healthz and /readyz",
			get: func(c Config) string { return c.HTTPAddr },
			set: func(c *Config, v string) error { c.HTTPAddr = v; return nil }},
		{name: "admin-addr", usage: "admin API listen address `HOST:PORT` (gRPC and JSON over HTTP); empty disables it",
			get: func(c Config) string { return c.AdminAddr },
			set: func(c *Config, v string) error { c.AdminAddr = v; return nil }},
		{name: "log-level", usage: "log `LEVEL`: " + strings.Join(LogLevels(), "|"),
			get: func(c Config) string { return c.LogLevel },
			set: func(c *Config, v string) error { c.LogLevel = v; return nil }},
		{name: "log-format", usage: "log `FORMAT`: " + strings.Join(LogFormats(), "|"),
			get: func(c Config) string { return c.LogFormat },
			set: func(c *Config, v string) error { c.LogFormat = v; return nil }},
		{name: "shutdown-timeout", usage: "how long (a Go `DURATION`) a graceful stop waits for running statements",
			get: func(c Config) string { return c.ShutdownTimeout.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil {
					return fmt.Errorf("%q is not a duration such as 30s or 1m", v)
				}
				c.ShutdownTimeout = d
				return nil
			}},
		{name: "tls-cert", usage: "PEM `FILE` with the server's TLS certificate (with tls-key)",
			get: func(c Config) string { return c.TLSCert },
			set: func(c *Config, v string) error { c.TLSCert = v; return nil }},
		{name: "tls-key", usage: "PEM `FILE` with the private key of tls-cert",
			get: func(c Config) string { return c.TLSKey },
			set: func(c *Config, v string) error { c.TLSKey = v; return nil }},
		boolSetting("tls-auto-generate", "without tls-cert/tls-key, create a self-signed certificate in DATA-DIR/tls on first start and reuse it",
			func(c *Config) *bool { return &c.TLSAutoGenerate }),
		{name: "tls-min-version", usage: "oldest TLS `VERSION` accepted: " + strings.Join(TLSMinVersions(), "|"),
			get: func(c Config) string { return c.TLSMinVersion },
			set: func(c *Config, v string) error { c.TLSMinVersion = v; return nil }},
		boolSetting("require-secure-transport", "refuse MySQL logins without TLS (error 3159)",
			func(c *Config) *bool { return &c.RequireSecureTransport }),
		{name: "slow-query-time", usage: "statements running at least this Go `DURATION` go to the slow query log; 0 logs every statement, off disables it",
			get: func(c Config) string {
				if c.SlowQueryTime < 0 {
					return "off"
				}
				return c.SlowQueryTime.String()
			},
			set: func(c *Config, v string) error {
				if strings.EqualFold(v, "off") {
					c.SlowQueryTime = SlowLogOff
					return nil
				}
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					return fmt.Errorf("%q is not a duration such as 1s or 500ms, 0 or off", v)
				}
				c.SlowQueryTime = d
				return nil
			}},
		{name: "slow-log-file", usage: "`FILE` the slow query log appends JSON lines to (default DATA-DIR/" + DefaultSlowLogName + ")",
			get: func(c Config) string { return c.SlowLogFile },
			set: func(c *Config, v string) error { c.SlowLogFile = v; return nil }},
		// Audit log (README "Audit log").
		{name: "audit-log", usage: "audit log `FILE` (JSON lines, HMAC-chained); empty disables it",
			get: func(c Config) string { return c.AuditLog },
			set: func(c *Config, v string) error { c.AuditLog = v; return nil }},
		{name: "audit-events", usage: "comma-separated `LIST` of events and classes the audit log keeps (" +
			strings.Join(AuditEvents(), ",") + "); empty keeps all; ddl and dcl are always kept",
			get: func(c Config) string { return strings.Join(c.AuditEvents, ",") },
			set: func(c *Config, v string) error { c.AuditEvents = splitList(v); return nil }},
		{name: "audit-users", usage: "comma-separated `LIST` of users whose events the audit log keeps; empty keeps all",
			get: func(c Config) string { return strings.Join(c.AuditUsers, ",") },
			set: func(c *Config, v string) error { c.AuditUsers = splitList(v); return nil }},
		{name: "audit-log-max-size", usage: "rotate the audit log at this `SIZE` (bytes, or with KB, MB, GB); 0 never",
			get: func(c Config) string { return formatSize(c.AuditLogMaxSize) },
			set: func(c *Config, v string) error {
				n, err := parseSize(v)
				if err != nil {
					return err
				}
				c.AuditLogMaxSize = n
				return nil
			}},
		boolSetting("local-infile", "allow LOAD DATA LOCAL INFILE (files sent by the client); shown as @@local_infile",
			func(c *Config) *bool { return &c.LocalInfile }),
		{name: "secure-file-priv", usage: "the only `DIR` for LOAD DATA INFILE, SELECT ... INTO OUTFILE/DUMPFILE and LOAD_FILE() (accounts with FILE); empty disables them (@@secure_file_priv NULL)",
			get: func(c Config) string { return c.SecureFilePriv },
			set: func(c *Config, v string) error { c.SecureFilePriv = v; return nil }},
		{name: "plan-cache-size", usage: "analyzed plans of prepared statements each connection keeps (`N`); 0 turns the plan cache off",
			get: func(c Config) string { return strconv.Itoa(c.PlanCacheSize) },
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 0 {
					return fmt.Errorf("want a whole number of plans, 0 or more (0 turns the cache off), got %q", v)
				}
				c.PlanCacheSize = n
				return nil
			}},
		// Memory (README "Memory").
		{name: "memtable-size", usage: "`SIZE` of one Badger memtable (bytes, or with KB, MB, GB; 8MB to 1GB); up to three are in memory",
			get: func(c Config) string { return formatSize(c.MemTableSize) },
			set: func(c *Config, v string) error {
				n, err := parseSize(v)
				c.MemTableSize = n
				return err
			}},
		{name: "block-cache-size", usage: "`SIZE` of Badger's cache of decompressed table blocks (at least 1MB)",
			get: func(c Config) string { return formatSize(c.BlockCacheSize) },
			set: func(c *Config, v string) error {
				n, err := parseSize(v)
				c.BlockCacheSize = n
				return err
			}},
		{name: "memory-limit", usage: "Go's soft memory `LIMIT` (a SIZE): auto derives it from memtable-size and block-cache-size unless GOMEMLIMIT is set; off sets none",
			get: func(c Config) string {
				switch c.MemoryLimit {
				case MemoryLimitAuto:
					return "auto"
				case 0:
					return "off"
				}
				return formatSize(c.MemoryLimit)
			},
			set: func(c *Config, v string) error {
				switch strings.ToLower(strings.TrimSpace(v)) {
				case "auto":
					c.MemoryLimit = MemoryLimitAuto
					return nil
				case "off", "0":
					c.MemoryLimit = 0
					return nil
				}
				n, err := parseSize(v)
				if err != nil {
					return fmt.Errorf("%q is not auto, off or a size such as 512MB", v)
				}
				c.MemoryLimit = n
				return nil
			}},
		// Encryption at rest (README "Encryption at rest").
		{name: "encryption-key-file", usage: "`FILE` with the master key (64 hex characters, mode 0600) that encrypts the data directory at rest; empty: not encrypted",
			get: func(c Config) string { return c.EncryptionKeyFile },
			set: func(c *Config, v string) error { c.EncryptionKeyFile = v; return nil }},
		// Cluster (README "A cluster").
		{name: "node-id", usage: "this node's `NAME` in its cluster; remembered in the data directory on first start",
			get: func(c Config) string { return c.NodeID },
			set: func(c *Config, v string) error { c.NodeID = v; return nil }},
		{name: "raft-addr", usage: "raft transport listen address `HOST:PORT`; empty runs a single node",
			get: func(c Config) string { return c.RaftAddr },
			set: func(c *Config, v string) error { c.RaftAddr = v; return nil }},
		{name: "raft-listen-addr", usage: "`HOST:PORT` the raft transport listens on when the others reach it at another address (raft-addr, e.g. through a proxy); empty: raft-addr",
			get: func(c Config) string { return c.RaftListenAddr },
			set: func(c *Config, v string) error { c.RaftListenAddr = v; return nil }},
		{name: "cluster-ca", usage: "PEM `FILE` of the CA certificates members' certificates chain to; with TLS on (tls-cert/tls-key or tls-auto-generate) members talk over TLS and verify each other against it",
			get: func(c Config) string { return c.ClusterCA },
			set: func(c *Config, v string) error { c.ClusterCA = v; return nil }},
		{name: "initial-cluster", usage: "the voters of a new cluster, `id1=host:port,...`; ignored once the data directory holds cluster state",
			get: func(c Config) string { return c.InitialCluster },
			set: func(c *Config, v string) error { c.InitialCluster = v; return nil }},
		{name: "join", usage: "admin `ADDR` of a member to join a running cluster through (HOST:PORT, http:// or https://); ignored once the data directory holds cluster state",
			get: func(c Config) string { return c.Join },
			set: func(c *Config, v string) error { c.Join = v; return nil }},
		{name: "raft-log-retain", usage: "applied log `ENTRIES` a member keeps for peers that fall behind; a peer further behind gets a snapshot (0: 100000)",
			get: func(c Config) string { return strconv.FormatUint(c.RaftLogRetain, 10) },
			set: func(c *Config, v string) error {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not a number of entries", v)
				}
				c.RaftLogRetain = n
				return nil
			}},
		{name: "follower-writes", usage: "what a follower does with writes: " + strings.Join(FollowerWritesModes(), "|") + " (forward: run the session on the leader; reject: error 1290)",
			get: func(c Config) string { return c.FollowerWrites },
			set: func(c *Config, v string) error { c.FollowerWrites = v; return nil }},
	}
}

// Keys returns the configuration keys accepted in the file and as flags.
func Keys() []string {
	var names []string
	for _, s := range settings() {
		names = append(names, s.name)
	}
	return names
}

// EnvName returns the environment variable for key, e.g. GUOCEDB_DATA_DIR
// for data-dir.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// flagValue remembers whether the flag was given, so that only flags on
// the command line override the environment and the file.
type flagValue struct {
	value  string
	set    bool
	isBool bool
}

// IsBoolFlag lets a bare --NAME stand for --NAME=true on on/off keys.
func (f *flagValue) IsBoolFlag() bool { return f.isBool }

func (f *flagValue) String() string { return f.value }

func (f *flagValue) Set(v string) error {
	f.value, f.set = v, true
	return nil
}

// Flags are the configuration flags registered on one flag.FlagSet. Parse
// the FlagSet, then call Load.
type Flags struct {
	configFile string
	values     map[string]*flagValue
}

// RegisterFlags defines --config FILE and one flag per key on fs, with the
// defaults shown in their help.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{values: make(map[string]*flagValue)}
	fs.StringVar(&f.configFile, "config", "", "TOML config `FILE` (keys as the flag names)")
	def := Default()
	for _, s := range settings() {
		v := &flagValue{value: s.get(def), isBool: s.isBool}
		f.values[s.name] = v
		fs.Var(v, s.name, fmt.Sprintf("%s (env %s)", s.usage, EnvName(s.name)))
	}
	return f
}

// Load builds the effective configuration: defaults, then the --config
// file, then environment variables (looked up with lookupEnv, normally
// os.LookupEnv), then flags given on the command line. It does not
// validate; call Config.Validate.
func (f *Flags) Load(lookupEnv func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if f.configFile != "" {
		if err := loadFile(f.configFile, &cfg); err != nil {
			return cfg, err
		}
	}
	if err := loadEnv(lookupEnv, &cfg); err != nil {
		return cfg, err
	}
	var errs []error
	for _, s := range settings() {
		v := f.values[s.name]
		if v == nil || !v.set {
			continue
		}
		if err := s.set(&cfg, v.value); err != nil {
			errs = append(errs, fmt.Errorf("flag --%s: %w", s.name, err))
		}
	}
	return cfg, errors.Join(errs...)
}

// loadFile applies the keys of the TOML file at path to cfg. Unknown keys
// are refused by name, so that a typo does not silently keep a default.
func loadFile(path string, cfg *Config) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var prims map[string]toml.Primitive
	md, err := toml.Decode(string(raw), &prims)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	var errs []error
	for _, s := range settings() {
		p, ok := prims[s.name]
		if !ok {
			continue
		}
		var v string
		if s.isBool {
			var b bool
			if err := md.PrimitiveDecode(p, &b); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: %s: want true or false: %w", path, s.name, err))
				continue
			}
			v = strconv.FormatBool(b)
		} else if err := md.PrimitiveDecode(p, &v); err != nil {
			errs = append(errs, fmt.Errorf("config file %s: %s: want a string value: %w", path, s.name, err))
			continue
		}
		if err := s.set(cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("config file %s: %s: %w", path, s.name, err))
		}
	}
	// Decoding into Primitives marks every key decoded, so MetaData.Undecoded
	// cannot see unknown keys here; compare the file's top-level keys with
	// the known ones instead.
	known := make(map[string]bool)
	for _, name := range Keys() {
		known[name] = true
	}
	for _, k := range md.Keys() {
		name := k.String()
		switch {
		case len(k) > 1 || known[name]:
			// Keys inside a table are reported once, with the table.
		case name == rootPasswordKey:
			errs = append(errs, fmt.Errorf("config file %s: %s is not accepted in a file; set %s in the environment",
				path, name, EnvName(rootPasswordKey)))
		default:
			errs = append(errs, fmt.Errorf("config file %s: unknown key %q (known keys: %s)",
				path, name, strings.Join(Keys(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// loadEnv applies GUOCEDB_* variables. An empty variable counts as unset.
func loadEnv(lookupEnv func(string) (string, bool), cfg *Config) error {
	if lookupEnv == nil {
		return nil
	}
	var errs []error
	for _, s := range settings() {
		v, ok := lookupEnv(EnvName(s.name))
		if !ok || v == "" {
			continue
		}
		if err := s.set(cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvName(s.name), err))
		}
	}
	if v, ok := lookupEnv(EnvName(rootPasswordKey)); ok {
		cfg.RootPassword = v
	}
	return errors.Join(errs...)
}

// Write prints cfg as a TOML file that Load accepts. The root password is
// never printed; a comment says whether one is set.
func Write(w io.Writer, cfg Config) error {
	var b strings.Builder
	for _, s := range settings() {
		if s.isBool {
			fmt.Fprintf(&b, "%s = %s\n", s.name, s.get(cfg))
			continue
		}
		fmt.Fprintf(&b, "%s = %s\n", s.name, tomlString(s.get(cfg)))
	}
	state := "not set"
	if cfg.RootPassword != "" {
		state = "set"
	}
	fmt.Fprintf(&b, "# root password (%s only): %s\n", EnvName(rootPasswordKey), state)
	_, err := io.WriteString(w, b.String())
	return err
}

// tomlString quotes v as a TOML basic string.
func tomlString(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// splitList splits a comma-separated list, dropping blanks; nil when
// empty.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// sizeUnits are the suffixes parseSize accepts, powers of 1024.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}

// parseSize reads a byte count: digits, optionally followed by B, KB, MB
// or GB (powers of 1024, case-insensitive).
func parseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size such as 100MB, 64KB or 1048576", v)
	}
	return n * mult, nil
}

// formatSize prints n as parseSize reads it, in the largest exact unit.
func formatSize(n int64) string {
	for _, u := range sizeUnits {
		if u.mult > 1 && n > 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
