package eventstore

import (
	"testing"

	"github.com/nats-io/nats.go"
)

// TestSameMessage: ingest trusts a sent message's events only when the
// delivered message has exactly its data and headers.
func TestSameMessage(t *testing.T) {
	sent := &nats.Msg{Data: []byte(`[{"id":"E1"}]`), Header: nats.Header{
		HeaderContentType: {contentBatch}, nats.MsgIdHdr: {"C1"}, HeaderType: {"test.happened"}}}
	clone := func() (nats.Header, []byte) {
		h := nats.Header{}
		for k, v := range sent.Header {
			h[k] = append([]string(nil), v...)
		}
		return h, append([]byte(nil), sent.Data...)
	}
	h, d := clone()
	if !sameMessage(sent, h, d) {
		t.Fatal("an unchanged message is not the same")
	}
	h, d = clone()
	d[len(d)-3] = '2'
	if sameMessage(sent, h, d) {
		t.Error("changed data passed")
	}
	h, d = clone()
	h[HeaderType] = []string{"test.other"}
	if sameMessage(sent, h, d) {
		t.Error("a changed header passed")
	}
	h, d = clone()
	h[HeaderActor] = []string{"someone"}
	if sameMessage(sent, h, d) {
		t.Error("an added header passed")
	}
	h, d = clone()
	delete(h, HeaderType)
	h["X-Other"] = []string{"test.happened"}
	if sameMessage(sent, h, d) {
		t.Error("a renamed header passed")
	}
}

// TestSentClaimThenRead: a message claimed from its acknowledgement is
// still the node's own when ingest reads it from the stream before the
// events reach it, at that sequence only; settled, it is forgotten.
func TestSentClaimThenRead(t *testing.T) {
	msg := func(id string) (*nats.Msg, []Envelope) {
		return &nats.Msg{Data: []byte(`{}`), Header: nats.Header{nats.MsgIdHdr: {id}, HeaderContentType: {contentJSON}}},
			[]Envelope{{CommandID: id}, {CommandID: id}}
	}
	var s sentMessages
	m1, e1 := msg("C1")
	s.add("C1", m1, e1)
	evs, ok := s.claim("C1", 7)
	if !ok || evs[0].Seq != 7 || evs[1].Seq != 7 {
		t.Fatalf("claim: %v %+v, want the events stamped with 7", ok, evs)
	}
	if _, ok := s.claim("C1", 7); ok {
		t.Fatal("a message was claimed twice")
	}
	if _, ok := s.take(m1.Header, m1.Data, 8); ok {
		t.Fatal("a claimed message was taken at another sequence")
	}
	s.add("C1", m1, e1)
	s.claim("C1", 7)
	if got, ok := s.take(m1.Header, m1.Data, 7); !ok || &got[0] != &e1[0] {
		t.Fatal("a claimed message read from the stream was not taken as the node's own")
	}
	if _, ok := s.take(m1.Header, m1.Data, 7); ok {
		t.Fatal("a message was taken twice")
	}

	m2, e2 := msg("C2")
	s.add("C2", m2, e2)
	s.claim("C2", 9)
	s.settle("C2")
	if _, ok := s.take(m2.Header, m2.Data, 9); ok {
		t.Fatal("a settled message was taken")
	}
	if len(s.m) != 0 {
		t.Fatalf("%d messages left", len(s.m))
	}
}
