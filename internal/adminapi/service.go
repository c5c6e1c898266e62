package adminapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/adminapi/gen/adminv1/adminv1connect"
)

// Bounds of the slow log answer.
const (
	defaultSlowLogLimit = 100
	maxSlowLogLimit     = 1000
)

// backupChunkSize is the size of one streamed backup message: large
// enough to keep per-message overhead small, far below gRPC's default
// 4 MiB message limit.
const backupChunkSize = 256 << 10

// service implements the generated AdminServiceHandler over Options.
// Authentication happened before any of its methods runs.
type service struct {
	opts Options
}

var _ adminv1connect.AdminServiceHandler = (*service)(nil)

func (s *service) Status(ctx context.Context, _ *connect.Request[adminv1.StatusRequest]) (*connect.Response[adminv1.StatusResponse], error) {
	if s.opts.Status == nil {
		return nil, unimplemented("status")
	}
	st, err := s.opts.Status.Status(ctx)
	if err != nil {
		return nil, s.rpcError("status", err)
	}
	return connect.NewResponse(&adminv1.StatusResponse{
		Version:       st.Version,
		UptimeSeconds: st.Uptime.Seconds(),
		DataSizeBytes: st.DataSizeBytes,
		Databases:     clampU32(st.Databases),
		Tables:        clampU32(st.Tables),
		Connections:   clampU32(st.Connections),
		FormatVersion: uint32(min(st.FormatVersion, uint64(^uint32(0)))),
		Cluster:       clusterStatus(st.Cluster),
	}), nil
}

// clusterStatus converts a member's raft state; nil on a single node.
func clusterStatus(c *ClusterStatus) *adminv1.ClusterStatus {
	if c == nil {
		return nil
	}
	out := &adminv1.ClusterStatus{
		NodeId: c.NodeID, Role: c.Role, Term: c.Term, LeaderId: c.Leader,
		CommitIndex: c.CommitIndex, AppliedIndex: c.Applied, Writable: c.Writable, LeaderChanges: c.LeaderChanges,
	}
	for _, p := range c.Peers {
		out.Peers = append(out.Peers, &adminv1.ClusterPeer{NodeId: p.NodeID, RaftAddr: p.RaftAddr, MatchIndex: p.MatchIndex, Lag: p.Lag, Active: p.Active, Learner: p.Learner})
	}
	return out
}

func (s *service) Health(ctx context.Context, _ *connect.Request[adminv1.HealthRequest]) (*connect.Response[adminv1.HealthResponse], error) {
	resp := &adminv1.HealthResponse{Live: true}
	switch {
	case s.opts.Readiness == nil:
		resp.Reason = "no readiness check"
	default:
		if err := s.opts.Readiness.Ready(ctx); err != nil {
			resp.Reason = err.Error()
		} else {
			resp.Ready = true
		}
	}
	return connect.NewResponse(resp), nil
}

func (s *service) ListSessions(_ context.Context, _ *connect.Request[adminv1.ListSessionsRequest]) (*connect.Response[adminv1.ListSessionsResponse], error) {
	if s.opts.Sessions == nil {
		return nil, unimplemented("sessions")
	}
	list := s.opts.Sessions.Sessions()
	resp := &adminv1.ListSessionsResponse{Sessions: make([]*adminv1.Session, 0, len(list))}
	for _, p := range list {
		resp.Sessions = append(resp.Sessions, &adminv1.Session{
			Id:          p.ID,
			User:        p.User,
			Host:        p.Host,
			Db:          p.DB,
			Command:     p.Command,
			TimeSeconds: uint32(min(p.Time.Seconds(), float64(^uint32(0)))),
			State:       p.State,
			Info:        p.Info,

			ProgressDone:  p.ProgressDone,
			ProgressTotal: p.ProgressTotal,
		})
	}
	return connect.NewResponse(resp), nil
}

func (s *service) KillSession(_ context.Context, req *connect.Request[adminv1.KillSessionRequest]) (*connect.Response[adminv1.KillSessionResponse], error) {
	if s.opts.Sessions == nil {
		return nil, unimplemented("sessions")
	}
	if req.Msg.GetId() == 0 {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("id: a session id (connection id) is required"))
	}
	if !s.opts.Sessions.KillSession(req.Msg.GetId(), req.Msg.GetQueryOnly()) {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("unknown session id %d", req.Msg.GetId()))
	}
	return connect.NewResponse(&adminv1.KillSessionResponse{}), nil
}

func (s *service) Backup(ctx context.Context, req *connect.Request[adminv1.BackupRequest], stream *connect.ServerStream[adminv1.BackupChunk]) error {
	if s.opts.Backup == nil {
		return unimplemented("online backup")
	}
	breq := BackupRequest{Since: req.Msg.GetSince(), BaseID: req.Msg.GetBaseId()}
	if breq.BaseID != "" && breq.Since == 0 {
		return connect.NewError(connect.CodeInvalidArgument, errors.New("base_id names the base of an incremental backup: give its since timestamp too"))
	}
	bw := bufio.NewWriterSize(chunkWriter{stream}, backupChunkSize)
	if err := s.opts.Backup.Backup(ctx, bw, breq); err != nil {
		return s.rpcError("backup", err)
	}
	if err := bw.Flush(); err != nil {
		return s.rpcError("backup", err)
	}
	return nil
}

// chunkWriter sends every Write as one BackupChunk. bufio in front of it
// makes the chunks backupChunkSize long (the last one shorter).
type chunkWriter struct {
	stream *connect.ServerStream[adminv1.BackupChunk]
}

func (c chunkWriter) Write(p []byte) (int, error) {
	// Send marshals before returning, so p may be reused afterwards.
	if err := c.stream.Send(&adminv1.BackupChunk{Data: p}); err != nil {
		return 0, fmt.Errorf("send backup chunk: %w", err)
	}
	return len(p), nil
}

var _ io.Writer = chunkWriter{}

func (s *service) Check(ctx context.Context, _ *connect.Request[adminv1.CheckRequest]) (*connect.Response[adminv1.CheckResponse], error) {
	if s.opts.Check == nil {
		return nil, unimplemented("check")
	}
	rep, err := s.opts.Check.Check(ctx)
	if err != nil {
		return nil, s.rpcError("check", err)
	}
	resp := &adminv1.CheckResponse{Ok: len(rep.Problems) == 0, Summary: rep.Summary}
	for _, p := range rep.Problems {
		resp.Problems = append(resp.Problems, &adminv1.CheckProblem{Object: p.Object, Message: p.Message})
	}
	return connect.NewResponse(resp), nil
}

func (s *service) SlowLog(_ context.Context, req *connect.Request[adminv1.SlowLogRequest]) (*connect.Response[adminv1.SlowLogResponse], error) {
	if s.opts.SlowLog == nil {
		return nil, unimplemented("slow log")
	}
	n := int(req.Msg.GetLimit())
	if n == 0 {
		n = defaultSlowLogLimit
	}
	n = min(n, maxSlowLogLimit)
	entries := s.opts.SlowLog.Recent(n)
	resp := &adminv1.SlowLogResponse{Entries: make([]*adminv1.SlowLogEntry, 0, len(entries))}
	for _, e := range entries[:min(len(entries), n)] {
		resp.Entries = append(resp.Entries, &adminv1.SlowLogEntry{
			Time:            timestamppb.New(e.Time),
			DurationSeconds: e.Duration.Seconds(),
			Query:           e.Query,
			RowsExamined:    e.RowsExamined,
			RowsSent:        e.RowsSent,
			User:            e.User,
			Database:        e.Database,
		})
	}
	return connect.NewResponse(resp), nil
}

func (s *service) AddMember(ctx context.Context, req *connect.Request[adminv1.AddMemberRequest]) (*connect.Response[adminv1.AddMemberResponse], error) {
	if s.opts.Cluster == nil {
		return nil, notClustered()
	}
	if req.Msg.GetNodeId() == "" || req.Msg.GetRaftAddr() == "" {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("node_id and raft_addr are required"))
	}
	m, err := s.opts.Cluster.AddMember(ctx, req.Msg.GetNodeId(), req.Msg.GetRaftAddr())
	if err != nil {
		return nil, s.clusterError("add member", err)
	}
	resp := &adminv1.AddMemberResponse{RaftId: m.RaftID, InitialVoters: m.InitialVoters, MaxRaftId: m.MaxRaftID}
	for _, mem := range m.Members {
		resp.Members = append(resp.Members, &adminv1.ClusterMember{NodeId: mem.NodeID, RaftId: mem.RaftID, RaftAddr: mem.RaftAddr, Learner: mem.Learner})
	}
	return connect.NewResponse(resp), nil
}

func (s *service) RemoveMember(ctx context.Context, req *connect.Request[adminv1.RemoveMemberRequest]) (*connect.Response[adminv1.RemoveMemberResponse], error) {
	if s.opts.Cluster == nil {
		return nil, notClustered()
	}
	if req.Msg.GetNodeId() == "" {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("node_id is required"))
	}
	if err := s.opts.Cluster.RemoveMember(ctx, req.Msg.GetNodeId()); err != nil {
		return nil, s.clusterError("remove member", err)
	}
	return connect.NewResponse(&adminv1.RemoveMemberResponse{}), nil
}

func (s *service) TransferLeader(ctx context.Context, req *connect.Request[adminv1.TransferLeaderRequest]) (*connect.Response[adminv1.TransferLeaderResponse], error) {
	if s.opts.Cluster == nil {
		return nil, notClustered()
	}
	if req.Msg.GetNodeId() == "" {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("node_id is required"))
	}
	if err := s.opts.Cluster.TransferLeader(ctx, req.Msg.GetNodeId()); err != nil {
		return nil, s.clusterError("transfer leader", err)
	}
	return connect.NewResponse(&adminv1.TransferLeaderResponse{}), nil
}

// clusterError is rpcError with the redirect of a follower's answer:
// FailedPrecondition, and the leader's admin address in LeaderHeader.
func (s *service) clusterError(what string, err error) error {
	var nl *NotLeaderError
	if errors.As(err, &nl) {
		ce := connect.NewError(connect.CodeFailedPrecondition, err)
		if nl.AdminAddr != "" {
			ce.Meta().Set(LeaderHeader, nl.AdminAddr)
		}
		return ce
	}
	return s.rpcError(what, err)
}

func notClustered() error {
	return connect.NewError(connect.CodeFailedPrecondition, errors.New("this server is a single node, not a cluster member (start it with raft-addr)"))
}

// rpcError maps a source's error to an RPC error: ErrUnimplemented to
// Unimplemented, context errors to Canceled and DeadlineExceeded, a
// *connect.Error unchanged, anything else to Internal (and the log).
func (s *service) rpcError(what string, err error) error {
	var ce *connect.Error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.Is(err, ErrUnimplemented):
		return connect.NewError(connect.CodeUnimplemented, err)
	case errors.Is(err, ErrInvalidArgument):
		return connect.NewError(connect.CodeInvalidArgument, err)
	case errors.Is(err, ErrFailedPrecondition):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, ErrNotFound):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.Is(err, ErrUnavailable):
		return connect.NewError(connect.CodeUnavailable, err)
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, fmt.Errorf("%s: %w", what, err))
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, fmt.Errorf("%s: %w", what, err))
	default:
		s.opts.Logger.Error("admin API: "+what+" failed", "err", err)
		return connect.NewError(connect.CodeInternal, fmt.Errorf("%s: %w", what, err))
	}
}

func unimplemented(what string) error {
	return connect.NewError(connect.CodeUnimplemented, fmt.Errorf("%s: %w on this server", what, ErrUnimplemented))
}

func errNotProto(msg any) error {
	return fmt.Errorf("%T is not a protobuf message", msg)
}

func clampU32(n int) uint32 {
	return uint32(max(0, min(int64(n), int64(^uint32(0)))))
}
