// Package testutil holds helpers for tests that talk to guocedb over the
// wire: an in-process server on loopback ports with a temporary data
// directory (StartServer), the guocedb binary built once per test binary
// (BuildBinary) and run as a real process (StartProcess), clusters of
// such processes (StartCluster), with TCP proxies in front of their raft
// listeners that cut, drop or delay traffic per link (StartClusterNet,
// RaftNet), and FreePort.
//
// Helpers call t.Helper, put files under t.TempDir and stop what they
// start in t.Cleanup. Every wait is bounded. Nothing here is imported by
// non-test code.
package testutil
