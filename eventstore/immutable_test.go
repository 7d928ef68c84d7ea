package eventstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// TestStreamImmutable: with a connection that may do anything on the
// JetStream API (the embedded server has no users), the server itself
// refuses every way of removing a message from the ledger's stream, and
// every update that would allow it again.
func TestStreamImmutable(t *testing.T) {
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	for i := range 3 {
		storetest.MustAppend(t, s, storetest.Agg(i), 0, "c"+string(rune('0'+i)), storetest.Event(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js := s.JetStream()
	st, err := js.Stream(ctx, s.StreamName())
	if err != nil {
		t.Fatal(err)
	}
	subject := eventstore.Subject(s.SubjectPrefix(), storetest.Agg(1))
	update := func(change func(*jetstream.StreamConfig)) func() error {
		return func() error {
			cfg := st.CachedInfo().Config
			change(&cfg)
			_, err := js.UpdateStream(ctx, cfg)
			return err
		}
	}
	tests := []struct {
		name string
		do   func() error
	}{
		{"delete message (rmm)", func() error { return st.DeleteMsg(ctx, 2) }},
		{"secure delete message", func() error { return st.SecureDeleteMsg(ctx, 2) }},
		{"purge", func() error { return st.Purge(ctx) }},
		{"purge subject", func() error { return st.Purge(ctx, jetstream.WithPurgeSubject(subject)) }},
		{"purge up to sequence", func() error { return st.Purge(ctx, jetstream.WithPurgeSequence(3)) }},
		{"update cancelling deny-delete", update(func(c *jetstream.StreamConfig) { c.DenyDelete = false })},
		{"update cancelling deny-purge", update(func(c *jetstream.StreamConfig) { c.DenyPurge = false })},
		{"update allowing roll-ups", update(func(c *jetstream.StreamConfig) { c.AllowRollup = true })},
		{"roll-up header", func() error {
			m := nats.NewMsg(subject)
			m.Header.Set("Nats-Rollup", "sub")
			m.Data = []byte(`{}`)
			_, err := js.PublishMsg(ctx, m)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err == nil {
				t.Fatal("allowed; want the server to refuse")
			}
		})
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.State; got.Msgs != 3 || got.FirstSeq != 1 || got.LastSeq != 3 || got.NumDeleted != 0 {
		t.Fatalf("stream state changed: %+v", got)
	}
	if err := eventstore.CheckImmutable(info.Config); err != nil {
		t.Fatalf("stream settings changed: %v", err)
	}
}

// bareStream creates the ledger's stream with cfg in dir's JetStream store
// through a bare embedded server, as an older version or an operator might
// have, and stops the server.
func bareStream(t *testing.T, dir string, cfg jetstream.StreamConfig) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: filepath.Join(dir, "jetstream"), DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cfg.Name, cfg.Subjects = "LEDGER", []string{"ledger.ev.>"}
	if _, err := js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
}

// TestMutableStreamSwitchedOn: a stream created with deletes, purges,
// roll-ups and limits allowed is made immutable when the node opens it.
func TestMutableStreamSwitchedOn(t *testing.T) {
	dir := t.TempDir()
	bareStream(t, dir, jetstream.StreamConfig{Storage: jetstream.FileStorage, AllowRollup: true, Discard: jetstream.DiscardOld, MaxMsgs: 1000, MaxAge: time.Hour})
	s := openEmbedded(t, dir, false)
	defer s.Close()
	info, err := s.JetStream().Stream(context.Background(), s.StreamName())
	if err != nil {
		t.Fatal(err)
	}
	if err := eventstore.CheckImmutable(info.CachedInfo().Config); err != nil {
		t.Fatalf("existing stream not switched to immutable: %v", err)
	}
}

// TestMutableStreamRefused: a stream with a setting JetStream will not
// switch off (message TTLs) stops the node with an error naming it.
func TestMutableStreamRefused(t *testing.T) {
	dir := t.TempDir()
	bareStream(t, dir, jetstream.StreamConfig{Storage: jetstream.FileStorage, AllowMsgTTL: true})
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir})
	if err == nil {
		s.Close()
		t.Fatal("opened a stream whose messages can expire")
	}
	if !errors.Is(err, eventstore.ErrMutableStream) || !strings.Contains(err.Error(), "TTL") {
		t.Fatalf("error %q; want ErrMutableStream naming the TTL setting", err)
	}
}

func TestCheckImmutable(t *testing.T) {
	good := jetstream.StreamConfig{DenyDelete: true, DenyPurge: true, Discard: jetstream.DiscardNew, MaxMsgs: -1, MaxBytes: -1, MaxMsgsPerSubject: -1}
	if err := eventstore.CheckImmutable(good); err != nil {
		t.Fatalf("immutable settings refused: %v", err)
	}
	tests := []struct {
		setting string
		change  func(*jetstream.StreamConfig)
	}{
		{"deny_delete", func(c *jetstream.StreamConfig) { c.DenyDelete = false }},
		{"deny_purge", func(c *jetstream.StreamConfig) { c.DenyPurge = false }},
		{"allow_rollup_hdrs", func(c *jetstream.StreamConfig) { c.AllowRollup = true }},
		{"discard", func(c *jetstream.StreamConfig) { c.Discard = jetstream.DiscardOld }},
		{"max_age", func(c *jetstream.StreamConfig) { c.MaxAge = time.Hour }},
		{"max_msgs", func(c *jetstream.StreamConfig) { c.MaxMsgs = 10 }},
		{"max_bytes", func(c *jetstream.StreamConfig) { c.MaxBytes = 10 }},
		{"max_msgs_per_subject", func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 1 }},
		{"allow_msg_ttl", func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true }},
		{"retention", func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy }},
	}
	for _, tt := range tests {
		t.Run(tt.setting, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := eventstore.CheckImmutable(c)
			if !errors.Is(err, eventstore.ErrMutableStream) || !strings.Contains(err.Error(), tt.setting) {
				t.Fatalf("got %v; want ErrMutableStream naming %s", err, tt.setting)
			}
		})
	}
}
