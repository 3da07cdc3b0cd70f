package outbox

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Only an answer about what the statement writes splits a batch into rows
// and, three times over, is recorded reduced; anything that may pass with
// time — MariaDB read-only or out of connections, TiDB's TiKV or region
// unavailable (9002, 9005) or an internal error (1105), a lost connection —
// is tried again whole within the lease, so no row is given up and sent
// twice for an outage.
func TestOnlyARowsOwnFaultIsARefusal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1644, Message: "refused by trigger"}, true},
		{&mysql.MySQLError{Number: 1406, Message: "Data too long"}, true},
		{fmt.Errorf("outbox: %w", &mysql.MySQLError{Number: 1366}), true},
		{&mysql.MySQLError{Number: 1290}, false}, // --read-only
		{&mysql.MySQLError{Number: 1040}, false}, // too many connections
		{&mysql.MySQLError{Number: 1205}, false}, // lock wait timeout
		{&mysql.MySQLError{Number: 9002}, false}, // TiKV server timeout
		{&mysql.MySQLError{Number: 9005}, false}, // region unavailable
		{&mysql.MySQLError{Number: 1105}, false}, // TiDB's unknown error
		{mysql.ErrInvalidConn, false},
		{context.DeadlineExceeded, false},
		{errors.New("dial tcp 127.0.0.1:3306: connect: connection refused"), false},
	} {
		if got := refused(c.err); got != c.want {
			t.Errorf("refused(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
