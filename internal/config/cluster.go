package config

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
)

// nodeIDPattern is what a node id may look like: it is shown in SQL
// (replication_group_members.MEMBER_ID), in metrics labels and in file
// names, so it stays short and plain.
var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidNodeID reports whether id is an acceptable node id.
func ValidNodeID(id string) bool { return nodeIDPattern.MatchString(id) }

// Member is one entry of initial-cluster: a node id and its raft address.
type Member struct {
	ID       string
	RaftAddr string
}

// ParseInitialCluster reads id1=host:port,id2=host:port,... into members
// sorted by id. Every id must be valid and unique, every address a
// HOST:PORT with a non-zero port (on loopback unless secure), and
// unique.
func ParseInitialCluster(v string, secure bool) ([]Member, error) {
	var out []Member
	ids := map[string]bool{}
	addrs := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, addr, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not ID=HOST:PORT", item)
		}
		if !ValidNodeID(id) {
			return nil, fmt.Errorf("%q: node id %q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", item, id)
		}
		if err := checkPeerAddr(addr, secure); err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		if ids[id] {
			return nil, fmt.Errorf("node id %q appears twice", id)
		}
		if addrs[addr] {
			return nil, fmt.Errorf("address %q appears twice", addr)
		}
		ids[id], addrs[addr] = true, true
		out = append(out, Member{ID: id, RaftAddr: addr})
	}
	if len(out) == 0 {
		return nil, errors.New("names no member: want a list such as id1=host:port,id2=host:port")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// checkPeerAddr accepts the address of a raft peer: HOST:PORT with a
// port other than 0 (the others must be able to dial it), and on
// loopback unless secure (members talk over verified TLS): without TLS,
// anyone who can reach a raft listener could append to the log.
func checkPeerAddr(addr string, secure bool) error {
	if err := checkAddr(addr); err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(addr)
	if port == "0" {
		return fmt.Errorf("%q has port 0; peers need a fixed port", addr)
	}
	if host == "" || !secure && !isLoopback(addr) {
		return fmt.Errorf("%q is not a loopback address; without TLS between members (tls-cert and tls-key, and cluster-ca) members must listen on 127.0.0.1 (or localhost)", addr)
	}
	return nil
}

// CheckPeerAddr is the check raft-addr passes, for a member's address
// given elsewhere (guocedb cluster add); secure as for checkPeerAddr.
func CheckPeerAddr(addr string, secure bool) error { return checkPeerAddr(addr, secure) }

// checkJoinAddr accepts a member's admin address as the admin commands
// take it: HOST:PORT, http://HOST:PORT or https://HOST:PORT.
func checkJoinAddr(addr string) error {
	hostPort := addr
	for _, scheme := range []string{"http://", "https://"} {
		hostPort = strings.TrimPrefix(hostPort, scheme)
	}
	if _, port, err := net.SplitHostPort(strings.TrimRight(hostPort, "/")); err != nil || port == "" || port == "0" {
		return fmt.Errorf("%q is not the admin address of a member (HOST:PORT, http://HOST:PORT or https://HOST:PORT)", addr)
	}
	return nil
}

// validateCluster checks node-id, raft-addr, initial-cluster, join and
// follower-writes, each error naming its key.
func (c Config) validateCluster() []error {
	var errs []error
	if !contains(FollowerWritesModes(), c.FollowerWrites) {
		errs = append(errs, fmt.Errorf("follower-writes: %q is not one of %s",
			c.FollowerWrites, strings.Join(FollowerWritesModes(), ", ")))
	}
	if c.NodeID != "" && !ValidNodeID(c.NodeID) {
		errs = append(errs, fmt.Errorf("node-id: %q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", c.NodeID))
	}
	if c.RaftAddr == "" {
		for _, kv := range [][2]string{{"node-id", c.NodeID}, {"raft-listen-addr", c.RaftListenAddr}, {"cluster-ca", c.ClusterCA}, {"initial-cluster", c.InitialCluster}, {"join", c.Join}} {
			if kv[1] != "" {
				errs = append(errs, fmt.Errorf("%s: needs raft-addr (without raft-addr the server runs as a single node)", kv[0]))
			}
		}
		return errs
	}
	secure := c.PeersSecure()
	switch {
	case c.ClusterCA != "" && !c.TLSEnabled():
		errs = append(errs, errors.New("cluster-ca: needs TLS on (tls-cert and tls-key, or tls-auto-generate): members talk over TLS only with a certificate of their own"))
	case c.ClusterCA != "":
		if err := checkReadable(c.ClusterCA); err != nil {
			errs = append(errs, fmt.Errorf("cluster-ca: %w", err))
		}
	case c.TLSEnabled():
		errs = append(errs, errors.New("cluster-ca: required on a cluster member with TLS on: members talk over TLS and verify each other's certificates against this CA bundle"))
	}
	if err := checkPeerAddr(c.RaftAddr, secure); err != nil {
		errs = append(errs, fmt.Errorf("raft-addr: %w", err))
	}
	if c.RaftListenAddr != "" {
		if err := checkPeerAddr(c.RaftListenAddr, secure); err != nil {
			errs = append(errs, fmt.Errorf("raft-listen-addr: %w", err))
		}
	}
	if c.Join != "" {
		if c.InitialCluster != "" {
			errs = append(errs, errors.New("join: excludes initial-cluster (initial-cluster starts a new cluster, join adds this node to a running one)"))
		}
		if err := checkJoinAddr(c.Join); err != nil {
			errs = append(errs, fmt.Errorf("join: %w", err))
		}
	}
	if c.InitialCluster != "" {
		members, err := ParseInitialCluster(c.InitialCluster, secure)
		if err != nil {
			errs = append(errs, fmt.Errorf("initial-cluster: %w", err))
		} else if c.NodeID != "" {
			found := false
			for _, m := range members {
				if m.ID == c.NodeID {
					found = true
					if m.RaftAddr != c.RaftAddr {
						errs = append(errs, fmt.Errorf("initial-cluster: gives %s the address %s, but raft-addr is %s", m.ID, m.RaftAddr, c.RaftAddr))
					}
				}
			}
			if !found {
				errs = append(errs, fmt.Errorf("initial-cluster: does not name this node (node-id %s)", c.NodeID))
			}
		}
	}
	return errs
}
