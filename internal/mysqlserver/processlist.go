package mysqlserver

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/redact"
)

// remoteHostList is go-mysql-server's process list with MySQL's Host
// column: the client's address and port (`127.0.0.1:53412`), the way
// SHOW PROCESSLIST and information_schema.PROCESSLIST show it. go-mysql-
// server lists the connection under its remote address until login, then
// replaces it with the session's client address, which is the account's
// host (`localhost`): that one must stay, as privilege checks and
// CURRENT_USER() read it, so the list keeps the remote address itself.
type remoteHostList struct {
	sql.ProcessList

	mu    sync.Mutex
	addrs map[uint32]string // connection id -> remote host:port
}

var _ sql.ProcessList = (*remoteHostList)(nil)

func newRemoteHostList(pl sql.ProcessList) *remoteHostList {
	return &remoteHostList{ProcessList: pl, addrs: map[uint32]string{}}
}

// AddConnection implements sql.ProcessList.
func (l *remoteHostList) AddConnection(id uint32, addr string) {
	l.mu.Lock()
	l.addrs[id] = addr
	l.mu.Unlock()
	l.ProcessList.AddConnection(id, addr)
}

// ConnectionReady implements sql.ProcessList.
func (l *remoteHostList) ConnectionReady(sess sql.Session) {
	l.mu.Lock()
	addr, ok := l.addrs[sess.ID()]
	l.mu.Unlock()
	if ok {
		sess = remoteHostSession{Session: sess, addr: addr}
	}
	l.ProcessList.ConnectionReady(sess)
}

// BeginQuery implements sql.ProcessList. The text SHOW PROCESSLIST, the
// admin API and information_schema show has its passwords masked
// (redact.Query): go-mysql-server keeps the statement as received.
func (l *remoteHostList) BeginQuery(ctx *sql.Context, query string) (*sql.Context, error) {
	return l.ProcessList.BeginQuery(ctx, redact.Query(query))
}

// Processes implements sql.ProcessList. go-mysql-server reports every
// statement's per-table scan progress in the State column (a multi-line
// tree; for SELECT SLEEP(1) a tree of the dual table's empty name), where
// MySQL shows a short state. Only the progress of table rebuilds (ALTER
// TABLE, CREATE INDEX: backend.ProgressPartition) is kept; a running
// statement otherwise shows go-mysql-server's plain "running".
func (l *remoteHostList) Processes() []sql.Process {
	procs := l.ProcessList.Processes()
	for i := range procs {
		p := &procs[i]
		if len(p.Progress) == 0 {
			continue
		}
		kept := make(map[string]sql.TableProgress, len(p.Progress))
		for name, tp := range p.Progress {
			if _, rebuild := tp.PartitionsProgress[backend.ProgressPartition]; rebuild && name != "" {
				kept[name] = tp
			}
		}
		p.Progress = kept
	}
	return procs
}

// RemoveConnection implements sql.ProcessList.
func (l *remoteHostList) RemoveConnection(id uint32) {
	l.mu.Lock()
	delete(l.addrs, id)
	l.mu.Unlock()
	l.ProcessList.RemoveConnection(id)
}

// remoteHostSession shows the process list a session whose client address
// is the remote host:port; it is used only for that one call.
type remoteHostSession struct {
	sql.Session
	addr string
}

// Client implements sql.Session.
func (s remoteHostSession) Client() sql.Client {
	c := s.Session.Client()
	c.Address = s.addr
	return c
}
