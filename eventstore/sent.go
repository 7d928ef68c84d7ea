package eventstore

import (
	"bytes"
	"slices"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// sentMessages holds the messages this store has published and not yet
// ingested, by command ID, with the events they encode. Ingest takes a
// message's events from here instead of decoding them when the stream
// delivers the very message that was sent (the same data and the same
// headers): decoding a batch of events costs more than writing them to
// Pebble. Messages published by anyone else, or changed on their way, are
// decoded and checked as always.
type sentMessages struct {
	mu sync.Mutex
	m  map[string]sentMessage
}

type sentMessage struct {
	msg    *nats.Msg
	events []Envelope
}

// add records m, which encodes events, before it is published. Ingest and
// the publisher share the events' array: ingest writes only their Seq and
// Position, and the publisher reads those only after Pending.Wait has seen
// the message durable, after ingest was done with it.
func (s *sentMessages) add(commandID string, m *nats.Msg, events []Envelope) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]sentMessage{}
	}
	s.m[commandID] = sentMessage{msg: m, events: events}
	s.mu.Unlock()
}

// drop forgets a message that will not be ingested as sent (its publish
// failed, or the stream already held its command).
func (s *sentMessages) drop(commandID string) {
	s.mu.Lock()
	delete(s.m, commandID)
	s.mu.Unlock()
}

// take returns the events of the delivered message m, stamped with seq, if
// it is a message this store sent, unchanged; it forgets the message.
func (s *sentMessages) take(m jetstream.Msg, seq uint64) ([]Envelope, bool) {
	hdr := m.Headers()
	id := hdr.Get(nats.MsgIdHdr)
	if id == "" {
		return nil, false
	}
	s.mu.Lock()
	sent, ok := s.m[id]
	if ok {
		delete(s.m, id)
	}
	s.mu.Unlock()
	if !ok || !sameMessage(sent.msg, hdr, m.Data()) {
		return nil, false
	}
	for i := range sent.events {
		sent.events[i].Seq = seq
	}
	return sent.events, true
}

// sameMessage reports whether a delivered message has exactly the data and
// headers of the sent one.
func sameMessage(sent *nats.Msg, hdr nats.Header, data []byte) bool {
	if !bytes.Equal(sent.Data, data) || len(sent.Header) != len(hdr) {
		return false
	}
	for k, v := range sent.Header {
		if !slices.Equal(v, hdr[k]) {
			return false
		}
	}
	return true
}
