package adminapi

import (
	"log/slog"
	"net/http"
	"net/http/pprof"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/guocedb/guocedb/internal/adminapi/gen/adminv1/adminv1connect"
)

// maxRequestBytes bounds one request message.
const maxRequestBytes = 64 << 10

// Options are the data sources of the API. A nil source makes its
// procedures answer Unimplemented; a nil Accounts refuses every
// authenticated procedure.
type Options struct {
	Accounts  Accounts
	Status    StatusSource
	Readiness Readiness
	Sessions  Sessions
	Backup    Backupper
	Check     Checker
	SlowLog   SlowLog
	// Cluster changes a raft cluster's membership; nil on a single node.
	Cluster ClusterAdmin
	// Logger gets authentication failures and internal errors; never
	// passwords.
	Logger *slog.Logger
	// Audit, when set, records every call that sent credentials, with
	// its caller (the audit log).
	Audit func(Call)
}

// PprofPath is where Go's profiles are served (net/http/pprof), to
// callers with PROCESS or SUPER.
const PprofPath = "/debug/pprof/"

// NewHandler returns the http.Handler serving AdminService under
// /guocedb.admin.v1.AdminService/ in every protocol connect-go speaks.
// gRPC needs HTTP/2: serve it with h2c on a plain listener, or TLS.
func NewHandler(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// JSON uses the proto field names (uptime_seconds, not uptimeSeconds),
	// the same names as the HTTP /status document, and prints zero values
	// so scripts find every field.
	codecs := []connect.HandlerOption{
		connect.WithCodec(jsonCodec{name: "json"}),
		connect.WithCodec(jsonCodec{name: "json; charset=utf-8"}),
	}
	// Every request message is a few ids and flags: refuse large bodies
	// (ResourceExhausted) instead of buffering them.
	handlerOpts := append([]connect.HandlerOption{connect.WithReadMaxBytes(maxRequestBytes)}, codecs...)
	path, h := adminv1connect.NewAdminServiceHandler(&service{opts: opts}, handlerOpts...)
	mux := http.NewServeMux()
	// One throttle for both: failed logins count wherever they happen.
	throttle := newThrottle()
	mux.Handle(path, &authenticator{
		accounts: opts.Accounts,
		errors:   connect.NewErrorWriter(codecs...),
		logger:   opts.Logger,
		next:     h,
		throttle: throttle,
		audit:    opts.Audit,
	})
	// Go's profiler, for users with PROCESS (README "Profiling").
	profiles := http.NewServeMux()
	profiles.HandleFunc(PprofPath, pprof.Index)
	profiles.HandleFunc(PprofPath+"cmdline", pprof.Cmdline)
	profiles.HandleFunc(PprofPath+"profile", pprof.Profile)
	profiles.HandleFunc(PprofPath+"symbol", pprof.Symbol)
	profiles.HandleFunc(PprofPath+"trace", pprof.Trace)
	mux.Handle(PprofPath, &authenticator{
		accounts: opts.Accounts,
		logger:   opts.Logger,
		next:     profiles,
		throttle: throttle,
		audit:    opts.Audit,
		plain:    true,
	})
	return mux
}

// jsonCodec is protojson with proto names and unpopulated fields.
type jsonCodec struct{ name string }

func (c jsonCodec) Name() string { return c.name }

func (c jsonCodec) Marshal(msg any) ([]byte, error) {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil, errNotProto(msg)
	}
	return protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
}

func (c jsonCodec) Unmarshal(data []byte, msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return errNotProto(msg)
	}
	if len(data) == 0 {
		// curl -d '' sends an empty body: the empty request message.
		return nil
	}
	return protojson.UnmarshalOptions{}.Unmarshal(data, m)
}
