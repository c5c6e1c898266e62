// Package datasource owns one database connection pool per configured
// datasource, its background health check (PingContext with exponential
// backoff) and the detection of the server flavor (MySQL, MariaDB,
// guocedb).
//
// It must not know about metrics: collectors read the health state and the
// pool through the Source type. Every Source is independent; one slow or
// dead server never blocks another.
package datasource
