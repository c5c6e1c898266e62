package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/guocedb/guocedb/internal/adminapi"
	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/cluster"
)

// joinTimeout bounds a joining node's request to be added: the change
// itself takes a round of the leader's log.
const joinTimeout = 30 * time.Second

// clusterAdmin is the admin API's membership source: nil on a single
// node (its procedures then say so).
func (s *Server) clusterAdmin() adminapi.ClusterAdmin {
	if ms := s.membership.Load(); ms != nil {
		return clusterAdminSource{ms: ms}
	}
	return nil
}

// clusterAdminSource adapts cluster.Membership to the admin API: the
// cluster's errors become the API's classes.
type clusterAdminSource struct{ ms *cluster.Membership }

func (c clusterAdminSource) AddMember(ctx context.Context, nodeID, raftAddr string) (adminapi.ClusterMembership, error) {
	st, err := c.ms.Add(ctx, nodeID, raftAddr)
	if err != nil {
		return adminapi.ClusterMembership{}, adminClusterError(err)
	}
	out := adminapi.ClusterMembership{InitialVoters: st.BootVoters(), MaxRaftID: st.MaxRaftID}
	for _, m := range st.Members {
		out.Members = append(out.Members, adminapi.ClusterMember{NodeID: m.NodeID, RaftAddr: m.RaftAddr, RaftID: m.RaftID, Learner: m.Learner})
		if m.NodeID == nodeID {
			out.RaftID = m.RaftID
		}
	}
	return out, nil
}

func (c clusterAdminSource) RemoveMember(ctx context.Context, nodeID string) error {
	return adminClusterError(c.ms.Remove(ctx, nodeID))
}

func (c clusterAdminSource) TransferLeader(ctx context.Context, nodeID string) error {
	return adminClusterError(c.ms.TransferLeader(ctx, nodeID))
}

func adminClusterError(err error) error {
	var nl *cluster.NotLeaderError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nl):
		return &adminapi.NotLeaderError{Err: err, AdminAddr: nl.AdminAddr}
	case errors.Is(err, cluster.ErrInvalidMember):
		return adminapi.InvalidArgument(err)
	case errors.Is(err, cluster.ErrUnknownMember):
		return adminapi.NotFound(err)
	case errors.Is(err, cluster.ErrRefused):
		return adminapi.FailedPrecondition(err)
	case errors.Is(err, cluster.ErrNoLeader):
		return adminapi.Unavailable(err)
	}
	return err
}

// join is cluster.Prepare's JoinFunc: it asks the member at the join
// address (redirected to the leader) to add this node, authenticating as
// root with this server's root password (the cluster shares its
// accounts, so a joiner is configured like the members), and trusting
// for https:// this server's own certificate (members may share one)
// and the cluster CA (which signs the members' certificates).
func (s *Server) join(nodeID, raftAddr string) (*cluster.State, error) {
	var opts []adminclient.Option
	if strings.HasPrefix(s.cfg.Join, "https://") && (s.cfg.TLSCert != "" || s.cfg.ClusterCA != "") {
		pool := x509.NewCertPool()
		for _, f := range []struct{ key, path string }{{"tls-cert", s.cfg.TLSCert}, {"cluster-ca", s.cfg.ClusterCA}} {
			if f.path == "" {
				continue
			}
			pem, err := os.ReadFile(f.path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.key, err)
			}
			pool.AppendCertsFromPEM(pem)
		}
		opts = append(opts, adminclient.WithTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	}
	c, err := adminclient.New(s.cfg.Join, adminclient.Credentials{User: "root", Password: s.cfg.RootPassword}, opts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	s.logger.Info("joining the cluster", "through", s.cfg.Join, "node_id", nodeID, "raft_addr", raftAddr)
	resp, err := c.AddMember(ctx, nodeID, raftAddr)
	if err != nil {
		return nil, err
	}
	st := &cluster.State{InitialVoters: resp.GetInitialVoters(), MaxRaftID: resp.GetMaxRaftId()}
	for _, m := range resp.GetMembers() {
		st.Members = append(st.Members, cluster.Member{RaftID: m.GetRaftId(), NodeID: m.GetNodeId(), RaftAddr: m.GetRaftAddr(), Learner: m.GetLearner()})
	}
	return st, nil
}
