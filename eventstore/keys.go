package eventstore

import "encoding/binary"

// Pebble key space. Every key starts with one prefix byte; the event store
// owns these and the Appliers own theirs:
//
//	'e' pos                      -> stored event (canonical encoding, hash, message seq)
//	'a' kind 0 id 0 version      -> position [, count]: a run of the aggregate's events (the last is its head)
//	'c' command ID               -> message seq, first position, event count
//	'r' region 0 pos             -> [count]: a run of events by region
//	'u' actor 0 pos              -> [count]: a run of events by actor
//	'i' event ID                 -> position
//	'k' "ingest"                 -> ingest checkpoint: last seq, last position
//	'k' "repair" seq             -> a start-up repair's record (JSON, repairs.go)
//
// runs.go describes the runs. Data directories written by earlier versions
// also hold 'm' seq -> (first position, count) for every message; nothing
// reads them: a message's events are found from the sequence each stored
// event carries.
//
// Reserved for others: 'p' read models (projections), 't' Merkle tree
// nodes, 'x' signed checkpoints, 'z' server state (tokens, settings).
const (
	prefixEvent     = 'e'
	prefixAggregate = 'a'
	prefixCommand   = 'c'
	prefixRegion    = 'r'
	prefixActor     = 'u'
	prefixMeta      = 'k'
)

var keyIngest = []byte("kingest")

func u64key(prefix byte, v uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], v)
	return k
}

func eventKey(pos uint64) []byte { return u64key(prefixEvent, pos) }

func aggPrefix(prefix byte, kind, id string) []byte {
	k := make([]byte, 0, 3+len(kind)+len(id)+8)
	k = append(k, prefix)
	k = append(k, kind...)
	k = append(k, 0)
	return append(k, id...)
}

func aggEventKey(kind, id string, version uint64) []byte {
	k := append(aggPrefix(prefixAggregate, kind, id), 0)
	return binary.BigEndian.AppendUint64(k, version)
}

func commandKey(id string) []byte { return append([]byte{prefixCommand}, id...) }

func indexKey(prefix byte, name string, pos uint64) []byte {
	k := make([]byte, 0, 10+len(name))
	k = append(k, prefix)
	k = append(k, name...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, pos)
}

// head is the latest state of an aggregate's chain.
type head struct {
	Version  uint64
	Seq      uint64 // JetStream sequence of its last message
	Position uint64
	Hash     Hash
	Region   string
	// Acked: the head of this node's own publish, as JetStream
	// acknowledged it. Only this node publishes to a stream that is not
	// shared, under the aggregate's lock, so no other message can have
	// followed it.
	Acked bool
}

// msgRef locates a message's events in the log.
type msgRef struct {
	Seq, First uint64
	Count      uint32
}

func (r msgRef) encode() []byte {
	b := make([]byte, 0, 20)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = binary.BigEndian.AppendUint64(b, r.First)
	return binary.BigEndian.AppendUint32(b, r.Count)
}

func decodeMsgRef(b []byte) (msgRef, bool) {
	if len(b) != 20 {
		return msgRef{}, false
	}
	return msgRef{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint32(b[16:])}, true
}

// checkpoint is how far ingest has applied the stream.
type checkpoint struct{ Seq, Position uint64 }

func (c checkpoint) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, c.Seq)
	return binary.BigEndian.AppendUint64(b, c.Position)
}

func decodeCheckpoint(b []byte) checkpoint {
	if len(b) != 16 {
		return checkpoint{}
	}
	return checkpoint{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

const prefixEventID = 'i'

func eventIDKey(id string) []byte { return append([]byte{prefixEventID}, id...) }
