// Package adminv1 holds the protobuf messages of guocedb's admin API,
// generated from proto/guocedb/admin/v1/admin.proto by protoc-gen-go.
// Do not edit admin.pb.go; run `make generate` after changing the proto.
package adminv1
