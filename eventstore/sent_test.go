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
