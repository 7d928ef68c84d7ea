package eventstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// TestScrubNoticesRemovalWhileServing: messages removed from the stream
// while the node serves (here by an account with every right setting a
// maximum age, the one way left to drop messages once deletes and purges
// are denied, then by deleting the whole stream) are noticed by the scrub
// at its default settings within 60 s of their removal.
func TestScrubNoticesRemovalWhileServing(t *testing.T) {
	tests := []struct {
		name   string
		remove func(ctx context.Context, js jetstream.JetStream, st jetstream.Stream) error
	}{
		{"expired by max age", func(ctx context.Context, js jetstream.JetStream, st jetstream.Stream) error {
			cfg := st.CachedInfo().Config
			cfg.MaxAge = time.Second
			_, err := js.UpdateStream(ctx, cfg)
			return err
		}},
		{"stream deleted", func(ctx context.Context, js jetstream.JetStream, st jetstream.Stream) error {
			return js.DeleteStream(ctx, st.CachedInfo().Config.Name)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openEmbedded(t, t.TempDir(), false)
			defer s.Close()
			stop := s.StartScrub(eventstore.ScrubConfig{})
			defer stop(context.Background())
			for i := range 5 {
				storetest.MustAppend(t, s, storetest.Agg(i), 0, "c"+string(rune('0'+i)), storetest.Event(i))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			js := s.JetStream()
			st, err := js.Stream(ctx, s.StreamName())
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.remove(ctx, js, st); err != nil {
				t.Fatal(err)
			}
			removed := waitRemoved(ctx, t, st)
			for s.Integrity() == nil {
				if time.Since(removed) > 60*time.Second {
					t.Fatal("removal not noticed within 60 s")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if !errors.Is(s.Integrity(), eventstore.ErrIntegrity) {
				t.Fatalf("integrity %v", s.Integrity())
			}
			t.Logf("noticed %v after the removal: %v", time.Since(removed), s.Integrity())
		})
	}
}

// waitRemoved waits until the stream shows that messages are gone and
// returns when it first did.
func waitRemoved(ctx context.Context, t *testing.T, st jetstream.Stream) time.Time {
	t.Helper()
	for {
		info, err := st.Info(ctx)
		if errors.Is(err, jetstream.ErrStreamNotFound) || err == nil && info.State.Msgs < 5 {
			return time.Now()
		}
		if ctx.Err() != nil {
			t.Fatal("messages never removed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
