package adminclient

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/guocedb/guocedb/internal/adminapi"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/adminapi/gen/adminv1/adminv1connect"
)

// Network bounds. Calls themselves are bounded by the caller's context:
// a backup stream may rightly run for hours.
const (
	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
)

// Credentials are a guocedb (MySQL) user's name and password, sent as
// HTTP Basic authentication.
type Credentials struct {
	User     string
	Password string
}

// Client calls one admin API server. It is safe for concurrent use.
type Client struct {
	addr  string
	creds Credentials
	opts  []Option
	rpc   adminv1connect.AdminServiceClient
}

// Option changes how New connects.
type Option func(*options)

type options struct {
	tls *tls.Config
}

// WithTLSConfig sets the TLS configuration for https:// addresses (for
// example RootCAs trusting the server's certificate). Without it the
// system's roots are used.
func WithTLSConfig(c *tls.Config) Option { return func(o *options) { o.tls = c } }

// New returns a client of the admin API at addr: HOST:PORT or
// http://HOST:PORT for a cleartext listener, https://HOST:PORT for one
// with TLS. It does not connect yet.
func New(addr string, creds Credentials, opts ...Option) (*Client, error) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	base, err := BaseURL(addr)
	if err != nil {
		return nil, err
	}
	transport := &http.Transport{
		Proxy:               nil, // an admin address is never reached through a proxy
		DialContext:         (&net.Dialer{Timeout: dialTimeout}).DialContext,
		TLSHandshakeTimeout: tlsHandshakeTimeout,
		TLSClientConfig:     o.tls,
		ForceAttemptHTTP2:   true,
	}
	return &Client{
		addr:  addr,
		creds: creds,
		opts:  opts,
		rpc:   adminv1connect.NewAdminServiceClient(&http.Client{Transport: transport}, base),
	}, nil
}

// BaseURL turns an admin address (HOST:PORT, http://HOST:PORT or
// https://HOST:PORT) into the service's base URL.
func BaseURL(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", errors.New("admin address is empty")
	}
	if !strings.Contains(addr, "://") {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return "", fmt.Errorf("admin address %q is not HOST:PORT, http://HOST:PORT or https://HOST:PORT", addr)
		}
		return "http://" + addr, nil
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("admin address %q is not HOST:PORT, http://HOST:PORT or https://HOST:PORT", addr)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// authorize adds the Basic credentials to a request's headers.
func (c *Client) authorize(h http.Header) {
	raw := c.creds.User + ":" + c.creds.Password
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(raw)))
}

// Status returns the server's status.
func (c *Client) Status(ctx context.Context) (*adminv1.StatusResponse, error) {
	req := connect.NewRequest(&adminv1.StatusRequest{})
	c.authorize(req.Header())
	resp, err := c.rpc.Status(ctx, req)
	if err != nil {
		return nil, c.wrap("status", err)
	}
	return resp.Msg, nil
}

// Health returns liveness and readiness; it sends no credentials.
func (c *Client) Health(ctx context.Context) (*adminv1.HealthResponse, error) {
	resp, err := c.rpc.Health(ctx, connect.NewRequest(&adminv1.HealthRequest{}))
	if err != nil {
		return nil, c.wrap("health", err)
	}
	return resp.Msg, nil
}

// ListSessions returns the open client connections.
func (c *Client) ListSessions(ctx context.Context) ([]*adminv1.Session, error) {
	req := connect.NewRequest(&adminv1.ListSessionsRequest{})
	c.authorize(req.Header())
	resp, err := c.rpc.ListSessions(ctx, req)
	if err != nil {
		return nil, c.wrap("list sessions", err)
	}
	return resp.Msg.GetSessions(), nil
}

// KillSession stops session id's running statement (queryOnly) or closes
// the session.
func (c *Client) KillSession(ctx context.Context, id uint32, queryOnly bool) error {
	req := connect.NewRequest(&adminv1.KillSessionRequest{Id: id, QueryOnly: queryOnly})
	c.authorize(req.Header())
	if _, err := c.rpc.KillSession(ctx, req); err != nil {
		return c.wrap("kill session", err)
	}
	return nil
}

// SlowLog returns up to limit recent slow statements, newest first.
func (c *Client) SlowLog(ctx context.Context, limit uint32) ([]*adminv1.SlowLogEntry, error) {
	req := connect.NewRequest(&adminv1.SlowLogRequest{Limit: limit})
	c.authorize(req.Header())
	resp, err := c.rpc.SlowLog(ctx, req)
	if err != nil {
		return nil, c.wrap("slow log", err)
	}
	return resp.Msg.GetEntries(), nil
}

// Check runs a consistency check on the server.
func (c *Client) Check(ctx context.Context) (*adminv1.CheckResponse, error) {
	req := connect.NewRequest(&adminv1.CheckRequest{})
	c.authorize(req.Header())
	resp, err := c.rpc.Check(ctx, req)
	if err != nil {
		return nil, c.wrap("check", err)
	}
	return resp.Msg, nil
}

// maxRedirects bounds how often a membership change follows a follower's
// redirect to the leader (leadership may move meanwhile).
const maxRedirects = 3

// toLeader runs call against this server and, while the answer is a
// follower's redirect (FailedPrecondition with the leader's admin
// address), against the leader it names, with the same credentials and
// TLS settings. The address keeps this client's scheme.
func (c *Client) toLeader(what string, call func(*Client) error) error {
	cur := c
	for i := 0; ; i++ {
		err := call(cur)
		var ce *connect.Error
		if err == nil || i == maxRedirects || !errors.As(err, &ce) || ce.Code() != connect.CodeFailedPrecondition {
			if err != nil {
				return cur.wrap(what, err)
			}
			return nil
		}
		leader := ce.Meta().Get(adminapi.LeaderHeader)
		if leader == "" {
			return cur.wrap(what, err)
		}
		if strings.HasPrefix(c.addr, "https://") {
			leader = "https://" + leader
		}
		next, nerr := New(leader, c.creds, c.opts...)
		if nerr != nil {
			return cur.wrap(what, err)
		}
		cur = next
	}
}

// AddMember adds node nodeID at raftAddr to the cluster as a learner,
// following a follower's redirect to the leader, and returns the
// cluster's state with it.
func (c *Client) AddMember(ctx context.Context, nodeID, raftAddr string) (*adminv1.AddMemberResponse, error) {
	var out *adminv1.AddMemberResponse
	err := c.toLeader("add member", func(cl *Client) error {
		req := connect.NewRequest(&adminv1.AddMemberRequest{NodeId: nodeID, RaftAddr: raftAddr})
		cl.authorize(req.Header())
		resp, err := cl.rpc.AddMember(ctx, req)
		if err == nil {
			out = resp.Msg
		}
		return err
	})
	return out, err
}

// RemoveMember removes member nodeID from the cluster, following a
// follower's redirect to the leader.
func (c *Client) RemoveMember(ctx context.Context, nodeID string) error {
	return c.toLeader("remove member", func(cl *Client) error {
		req := connect.NewRequest(&adminv1.RemoveMemberRequest{NodeId: nodeID})
		cl.authorize(req.Header())
		_, err := cl.rpc.RemoveMember(ctx, req)
		return err
	})
}

// TransferLeader hands leadership to voter nodeID, following a
// follower's redirect to the leader.
func (c *Client) TransferLeader(ctx context.Context, nodeID string) error {
	return c.toLeader("transfer leader", func(cl *Client) error {
		req := connect.NewRequest(&adminv1.TransferLeaderRequest{NodeId: nodeID})
		cl.authorize(req.Header())
		_, err := cl.rpc.TransferLeader(ctx, req)
		return err
	})
}

// BackupBase names the backup an incremental builds on, as its manifest
// does: the zero value asks for a full backup.
type BackupBase struct {
	// Since is the base's snapshot timestamp: the incremental holds what
	// was committed after it.
	Since uint64
	// ID is the base's id, recorded in the incremental's manifest so that
	// a restore checks the chain by id. Optional ("" records none); only
	// with Since.
	ID string
}

// Backup streams an online backup into w: full for the zero base,
// otherwise incremental on base. On error w may hold a partial backup:
// write to a temporary file and rename it only after Backup returns nil.
// A server older than base ids ignores base.ID: the manifest then has no
// base id.
func (c *Client) Backup(ctx context.Context, base BackupBase, w io.Writer) error {
	req := connect.NewRequest(&adminv1.BackupRequest{Since: base.Since, BaseId: base.ID})
	c.authorize(req.Header())
	stream, err := c.rpc.Backup(ctx, req)
	if err != nil {
		return c.wrap("backup", err)
	}
	defer func() { _ = stream.Close() }()
	for stream.Receive() {
		if _, err := w.Write(stream.Msg().GetData()); err != nil {
			return fmt.Errorf("backup: write: %w", err)
		}
	}
	if err := stream.Err(); err != nil {
		return c.wrap("backup", err)
	}
	return nil
}

// Backup is Client.Backup for one call: it streams an online backup from
// the admin API at addr into w.
func Backup(ctx context.Context, addr string, creds Credentials, base BackupBase, w io.Writer, opts ...Option) error {
	c, err := New(addr, creds, opts...)
	if err != nil {
		return err
	}
	return c.Backup(ctx, base, w)
}

// wrap makes an RPC failure readable: what failed, where, and the
// server's reason, with a hint for the usual causes. The connect error
// stays reachable through errors.As, and its code through connect.CodeOf.
func (c *Client) wrap(what string, err error) error {
	hint := ""
	switch connect.CodeOf(err) {
	case connect.CodeUnauthenticated:
		hint = " (check the user name and password)"
	case connect.CodePermissionDenied:
		hint = " (GRANT the privilege named above to the user)"
	case connect.CodeUnavailable:
		hint = " (is guocedb running with admin-addr set to this address?)"
	}
	return fmt.Errorf("%s: admin API at %s: %w%s", what, c.addr, err, hint)
}
