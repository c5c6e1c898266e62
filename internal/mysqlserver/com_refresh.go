package mysqlserver

// COM_REFRESH (mysql_refresh() of the C API, mysqladmin flush-*) is a
// command vitess does not implement: it answered 1047 "command handling
// not implemented yet". Below vitess (packetConn) guocedb turns it into
// the COM_QUERY of the FLUSH statement it stands for, which
// go-mysql-server runs and vitess answers with OK, over TLS as without
// (packetConn sits above TLS).

// comRefresh and comQuery are the command bytes.
const (
	comRefresh = 0x07
	comQuery   = 0x03
)

// refreshGrant is REFRESH_GRANT: reload the grant tables.
const refreshGrant = 0x01

// refreshStatement is the statement a COM_REFRESH with options runs.
// go-mysql-server keeps grants in memory and has no table cache, host
// cache, logs or status counters to flush: apart from REFRESH_GRANT
// (FLUSH PRIVILEGES) the options are answered as FLUSH TABLES, which
// changes nothing, as MySQL's flush of an empty cache would.
func refreshStatement(options byte) string {
	if options&refreshGrant != 0 {
		return "FLUSH PRIVILEGES"
	}
	return "FLUSH TABLES"
}

// rewriteRefresh turns a COM_REFRESH packet (header included) into the
// COM_QUERY of refreshStatement.
func rewriteRefresh(pkt []byte) []byte {
	var options byte
	if len(pkt) > 5 {
		options = pkt[5]
	}
	return commandPacket(comQuery, refreshStatement(options))
}

// commandPacket is the first packet of a command (sequence id 0) with a
// short text argument.
func commandPacket(cmd byte, text string) []byte {
	n := 1 + len(text)
	out := make([]byte, 0, 4+n)
	out = append(out, byte(n), byte(n>>8), byte(n>>16), 0, cmd)
	return append(out, text...)
}
