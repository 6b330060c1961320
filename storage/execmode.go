package storage

import (
	"context"
	"net"

	"github.com/jackc/pgx/v5"
)

// detectExecMode chooses how queries run on the server behind cc.
//
// Named prepared statements (pgx's cache_statement) are the fastest:
// PostgreSQL parses and plans each statement once per connection, not at
// every execution (BenchmarkRecordTrial). But a pooler in transaction mode
// (PgBouncer before 1.21) moves a client to another server connection
// between transactions, where its statements do not exist. A direct
// connection is recognised by the server seeing this connection's own
// address and port as its client's; through a pooler or any proxy it sees
// the proxy's. Everything else (a pooler, NAT, a Unix socket) gets
// cache_describe: one round trip per query too, without named statements,
// at the cost of planning each execution.
func detectExecMode(ctx context.Context, cc *pgx.ConnConfig) (pgx.QueryExecMode, error) {
	conn, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var host *string
	var port *int32
	err = conn.QueryRow(ctx, `SELECT host(inet_client_addr()), inet_client_port()`, pgx.QueryExecModeSimpleProtocol).Scan(&host, &port)
	if err != nil {
		return 0, err
	}
	local, ok := conn.PgConn().Conn().LocalAddr().(*net.TCPAddr)
	if ok && host != nil && port != nil && net.ParseIP(*host).Equal(local.IP) && int(*port) == local.Port {
		return pgx.QueryExecModeCacheStatement, nil
	}
	return pgx.QueryExecModeCacheDescribe, nil
}
