package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// contentSecurityPolicy allows the console's own scripts, styles and
// requests only: no inline script or style, no other origin, no framing.
// Graphs are SVG elements the script builds, which the policy allows.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Console is the web console's http.Handler, to be mounted at /ui/.
type Console struct {
	opts     Options
	logger   *slog.Logger
	sessions *sessionStore
	mux      *http.ServeMux
	// cop refuses cross-origin unsafe requests (Sec-Fetch-Site, Origin),
	// before the CSRF token is even looked at.
	cop *http.CrossOriginProtection
}

// New returns the console over opts. logger gets logins, failed logins
// and kills; never passwords.
func New(opts Options, logger *slog.Logger) *Console {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{opts: opts, logger: logger, sessions: newSessionStore(time.Now), cop: http.NewCrossOriginProtection()}
	// fs.Sub fails only for an invalid path; "assets" is a valid one.
	static, _ := fs.Sub(assets, "assets")
	mux := http.NewServeMux()
	mux.Handle("GET /ui/{$}", serveFile(static, "index.html"))
	files := http.StripPrefix("/ui/assets/", http.FileServerFS(static))
	mux.HandleFunc("GET /ui/assets/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("POST /ui/api/login", c.login)
	mux.HandleFunc("POST /ui/api/logout", c.logout)
	mux.Handle("GET /ui/api/session", c.authed(nil, c.session))
	process := []string{privProcess}
	mux.Handle("GET /ui/api/overview", c.authed(process, c.overview))
	mux.Handle("GET /ui/api/sessions", c.authed(process, c.listSessions))
	mux.Handle("POST /ui/api/sessions/kill", c.authed([]string{privConnectionAdmin}, c.kill))
	mux.Handle("GET /ui/api/statements", c.authed(process, c.statements))
	mux.Handle("GET /ui/api/slow", c.authed(process, c.slow))
	mux.Handle("GET /ui/api/tables", c.authed(process, c.tables))
	mux.Handle("GET /ui/api/backups", c.authed(process, c.backups))
	mux.Handle("GET /ui/api/locks", c.authed(process, c.locks))
	mux.Handle("GET /ui/api/cluster", c.authed(process, c.cluster))
	c.mux = mux
	return c
}

// ServeHTTP refuses clients off this host on a connection without TLS
// (the login carries a password and the cookie a session), sets the
// security headers and dispatches.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if r.TLS == nil && !loopback(r.RemoteAddr) {
		writeError(w, http.StatusForbidden, "the console is served to other hosts only over TLS; connect from this host (e.g. through an SSH tunnel)")
		return
	}
	if err := c.cop.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
		return
	}
	c.mux.ServeHTTP(w, r)
}

func serveFile(fsys fs.FS, name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, fsys, name)
	})
}

// loopback reports whether a request's remote address is this host.
func loopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientHost is the IP the MySQL accounts are matched against, as the
// admin API and the MySQL listener do (loopback as localhost).
func clientHost(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	body, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}
