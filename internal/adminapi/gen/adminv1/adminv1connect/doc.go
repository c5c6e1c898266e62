// Package adminv1connect holds the connect-go client and handler of
// guocedb's admin API, generated from proto/guocedb/admin/v1/admin.proto
// by protoc-gen-connect-go. Do not edit admin.connect.go; run `make
// generate` after changing the proto.
package adminv1connect
