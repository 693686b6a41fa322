package esdb

import (
	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

// RankRowMAC is the MAC a rank file of the ledger prefix, under key, keeps
// for the row of seq naming the event id of stream (logical name) at
// revision rev and position pos: tests that edit a row sign it again, so
// only the server can find the edit out.
func RankRowMAC(prefix string, key []byte, seq uint64, pos esclient.Position, id uuid.UUID, stream string, rev uint64) []byte {
	f := &rankFile{prefix: prefix, key: key}
	return f.mac(seq, entry{pos: pos, id: id, stream: stream, rev: rev})
}
