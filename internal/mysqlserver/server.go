package mysqlserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/guocedb/guocedb/internal/storage"
)

// Config configures the MySQL listener.
type Config struct {
	// Addr is HOST:PORT to listen on; port 0 picks a free port.
	Addr string
	// RootPassword is set for root@localhost when the data directory has no
	// users yet.
	RootPassword string
	// Version is advertised in the handshake (as 8.0.x-guocedb-VERSION).
	Version string
	// ShutdownTimeout bounds how long Shutdown waits for running statements.
	ShutdownTimeout time.Duration
}

// Server is the SQL engine over a Store plus its MySQL wire listener.
type Server struct{}

// New builds the engine over store and binds the listener (not yet serving).
func New(cfg Config, store *storage.Store, logger *slog.Logger) (*Server, error) {
	return nil, errors.New("not implemented yet")
}

// Addr returns the bound listener address.
func (s *Server) Addr() net.Addr { return nil }

// Serve accepts connections until Shutdown; it returns nil after Shutdown.
func (s *Server) Serve() error { return nil }

// Shutdown stops accepting, waits for running statements up to ctx's
// deadline, then closes every connection (rolling back open transactions).
func (s *Server) Shutdown(ctx context.Context) error { return nil }
