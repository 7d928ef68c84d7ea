package natsusers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"ledger/eventstore"
	"ledger/natsusers"
)

// openAuthStore opens a store whose embedded server listens on a random
// loopback port with EmbeddedAuth's users, and returns it with the
// credentials of a new downstream user.
func openAuthStore(t *testing.T) (*eventstore.Store, natsusers.NATSCredentials) {
	t.Helper()
	dir := t.TempDir()
	pw, err := natsusers.CreateNATSUser(dir, "stats")
	if err != nil {
		t.Fatal(err)
	}
	sopts, copts, err := natsusers.EmbeddedAuth(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := eventstore.Open(context.Background(), eventstore.Config{
		Dir: dir, NATSListen: "127.0.0.1:0", ServerOptions: sopts, NATSOptions: copts,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, natsusers.NATSCredentials{URL: s.Server().ClientURL(), User: "stats", Password: pw}
}

// appendEvents records n single-event commands, alternating between two
// stations of two cities.
func appendEvents(t *testing.T, s *eventstore.Store, n int) {
	t.Helper()
	aggs := []eventstore.Aggregate{
		{Kind: "station", ID: "01J00000000000000000000101", Region: "220102001001"},
		{Kind: "station", ID: "01J00000000000000000000202", Region: "220202001001"},
	}
	for i := range n {
		a := aggs[i%2]
		_, err := s.Append(context.Background(), a, uint64(i/2), eventstore.Meta{CommandID: ulid.Make().String(), Actor: "监票人"},
			eventstore.EventData{Type: "station.voter_checked_in", SchemaVersion: 1, Payload: fmt.Appendf(nil, `{"roll_no":%d}`, i+1)})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// connect connects as the downstream user; async errors (permission
// violations) go to the returned channel.
func connect(t *testing.T, c natsusers.NATSCredentials) (*nats.Conn, <-chan error) {
	t.Helper()
	errs := make(chan error, 16)
	nc, err := nats.Connect(c.URL, nats.UserInfo(c.User, c.Password),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

// consume fetches up to n messages from the durable consumer, acks each
// (waiting for the server to confirm) and returns their stream sequences.
func consume(t *testing.T, c natsusers.NATSCredentials, n int) []uint64 {
	t.Helper()
	nc, _ := connect(t, c)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, "LEDGER", jetstream.ConsumerConfig{
		Durable: "stats", DeliverPolicy: jetstream.DeliverAllPolicy, AckPolicy: jetstream.AckExplicitPolicy,
		FilterSubject: "ledger.ev.>",
	})
	if err != nil {
		t.Fatalf("create durable consumer: %v", err)
	}
	var seqs []uint64
	for len(seqs) < n {
		batch, err := cons.Fetch(n-len(seqs), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := eventstore.DecodeMessage(m.Headers(), m.Data(), md.Sequence.Stream); err != nil {
				t.Fatalf("seq %d: %v", md.Sequence.Stream, err)
			}
			if err := m.DoubleAck(ctx); err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, md.Sequence.Stream)
			got++
		}
		if got == 0 {
			t.Fatalf("no more messages after %d of %d", len(seqs), n)
		}
	}
	return seqs
}

func TestDownstreamDurableResumes(t *testing.T) {
	s, creds := openAuthStore(t)
	appendEvents(t, s, 10)
	first := consume(t, creds, 6) // stopped midway
	_, err := s.Append(context.Background(), eventstore.Aggregate{Kind: "station", ID: "01J00000000000000000000303", Region: "220102001002"}, 0,
		eventstore.Meta{CommandID: ulid.Make().String()}, eventstore.EventData{Type: "station.polls_opened", SchemaVersion: 1, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	rest := consume(t, creds, 5) // restarted: the durable resumes
	got := append(first, rest...)
	for i, seq := range got {
		if seq != uint64(i+1) {
			t.Fatalf("got sequences %v, want 1..11 each once in order", got)
		}
	}
	nc, _ := connect(t, creds)
	js, _ := jetstream.New(nc)
	cons, err := js.Consumer(context.Background(), "LEDGER", "stats")
	if err != nil {
		t.Fatal(err)
	}
	if info := cons.CachedInfo(); info.NumPending != 0 || info.NumAckPending != 0 {
		t.Errorf("pending %d, ack pending %d; want 0, 0", info.NumPending, info.NumAckPending)
	}
}

func TestDownstreamIsReadOnly(t *testing.T) {
	s, creds := openAuthStore(t)
	appendEvents(t, s, 2)
	nc, errs := connect(t, creds)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	st, err := js.Stream(ctx, "LEDGER")
	if err != nil {
		t.Fatalf("stream info as downstream user: %v", err)
	}
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	tests := []struct {
		name, subject string
		do            func() error
	}{
		{"publish", "ledger.ev.22.2201.220102.220102001.220102001001.station.01J00000000000000000000101", func() error {
			_, err := js.Publish(short(), "ledger.ev.22.2201.220102.220102001.220102001001.station.01J00000000000000000000101", []byte(`{}`))
			return err
		}},
		{"publish checkpoint", "ledger.checkpoint", func() error {
			if err := nc.Publish("ledger.checkpoint", []byte("forged")); err != nil {
				return err
			}
			return errors.New("sent") // the violation arrives asynchronously
		}},
		{"delete message", "$JS.API.STREAM.MSG.DELETE.LEDGER", func() error { return st.DeleteMsg(short(), 1) }},
		{"purge", "$JS.API.STREAM.PURGE.LEDGER", func() error { return st.Purge(short()) }},
		{"delete stream", "$JS.API.STREAM.DELETE.LEDGER", func() error { return js.DeleteStream(short(), "LEDGER") }},
		{"update stream", "$JS.API.STREAM.UPDATE.LEDGER", func() error {
			cfg := st.CachedInfo().Config
			cfg.MaxMsgs = 1
			_, err := js.UpdateStream(short(), cfg)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err == nil {
				t.Fatal("allowed; want a permission error")
			}
			wantViolation(t, errs, tt.subject)
		})
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 || info.State.LastSeq != 2 || info.Config.MaxMsgs == 1 {
		t.Errorf("stream changed: %d msgs, last seq %d, max msgs %d", info.State.Msgs, info.State.LastSeq, info.Config.MaxMsgs)
	}
}

func wantViolation(t *testing.T, errs <-chan error, subject string) {
	t.Helper()
	timeout := time.After(2 * time.Second)
	for {
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject+`"`) {
				return
			}
		case <-timeout:
			t.Fatalf("no permissions violation reported for %s", subject)
		}
	}
}

func TestNATSUsers(t *testing.T) {
	dir := t.TempDir()
	if _, err := natsusers.CreateNATSUser(dir, "ledger"); !errors.Is(err, natsusers.ErrNATSUserName) {
		t.Errorf("create ledger: %v, want ErrNATSUserName", err)
	}
	if _, err := natsusers.CreateNATSUser(dir, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := natsusers.CreateNATSUser(dir, "a"); !errors.Is(err, natsusers.ErrNATSUserExists) {
		t.Errorf("create twice: %v, want ErrNATSUserExists", err)
	}
	fi, err := os.Stat(filepath.Join(dir, natsusers.NATSUsersFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if err := natsusers.RevokeNATSUser(dir, "a"); err != nil {
		t.Fatal(err)
	}
	if err := natsusers.RevokeNATSUser(dir, "a"); !errors.Is(err, natsusers.ErrNATSUserNotFound) {
		t.Errorf("revoke twice: %v, want ErrNATSUserNotFound", err)
	}
	if users, err := natsusers.LoadNATSUsers(dir); err != nil || len(users) != 0 {
		t.Errorf("users %v, %v; want none", users, err)
	}
}
