package audit

import (
	"context"
	"testing"
	"time"
)

// ReadCopies reads every event of Pebble and every message of the stream,
// as many as Verify checks.
func TestReadCopiesReadsBothCopies(t *testing.T) {
	l := newVerifyLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := ReadCopies(ctx, VerifyOptions{Store: l.store})
	if err != nil {
		t.Fatal(err)
	}
	if r.PebbleEvents != uint64(len(l.events)) || r.PebbleEvents != 30 {
		t.Errorf("read %d of Pebble's events, want %d", r.PebbleEvents, len(l.events))
	}
	if want := uint64(len(l.messages())); r.JetStreamMessages != want {
		t.Errorf("read %d messages of the stream, want %d", r.JetStreamMessages, want)
	}
	if r.PebbleBytes == 0 || r.JetStreamBytes == 0 {
		t.Errorf("read no bytes: %+v", r)
	}
	only, err := ReadCopies(ctx, VerifyOptions{DB: l.store.DB()})
	if err != nil {
		t.Fatal(err)
	}
	if only.JetStreamMessages != 0 || only.PebbleEvents != r.PebbleEvents {
		t.Errorf("without a stream: %+v, want Pebble's %d events only", only, r.PebbleEvents)
	}
}
