// Package adminclient is the client side of guocedb's admin API, used by
// the CLI (status, sessions, kill, and the online backup): it dials an
// admin address, sends HTTP Basic credentials and turns RPC failures into
// readable errors.
//
// It speaks the Connect protocol with binary protobuf, which works over
// HTTP/1.1 and HTTP/2, cleartext or TLS, so it needs nothing from the
// network between it and the server. It must not read flags, files or
// the environment: the caller passes the address and credentials.
package adminclient
