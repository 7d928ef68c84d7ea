package eventstore

import (
	"bytes"
	"slices"
	"sync"

	"github.com/nats-io/nats.go"
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
	msg     *nats.Msg
	events  []Envelope
	claimed bool // handed to ingest from the acknowledgement, stamped with its seq
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

// take returns the events of the delivered message (its headers and
// data), stamped with seq, if it is a message this store sent, unchanged;
// it forgets the message.
func (s *sentMessages) take(hdr nats.Header, data []byte, seq uint64) ([]Envelope, bool) {
	id := hdr.Get(nats.MsgIdHdr)
	if id == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sent, ok := s.m[id]
	if !ok {
		return nil, false
	}
	delete(s.m, id)
	if !sameMessage(sent.msg, hdr, data) || sent.claimed && sent.events[0].Seq != seq {
		return nil, false
	}
	stamp(sent.events, seq)
	return sent.events, true
}

// claim returns the events of the command's message, which JetStream has
// acknowledged at seq, stamped with seq, unless ingest took them first
// (from the stream). The message stays until ingest settles it, so that
// ingest still knows it as its own if it reads it from the stream before
// the events reach it.
func (s *sentMessages) claim(commandID string, seq uint64) ([]Envelope, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sent, ok := s.m[commandID]
	if !ok || sent.claimed {
		return nil, false
	}
	sent.claimed = true
	s.m[commandID] = sent
	stamp(sent.events, seq)
	return sent.events, true
}

// settle forgets a claimed message once ingest has its events.
func (s *sentMessages) settle(commandID string) { s.drop(commandID) }

func stamp(events []Envelope, seq uint64) {
	for i := range events {
		events[i].Seq = seq
	}
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
