package app_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/eventstore"
)

// stalledStore is a real event store whose loads of elections wait until
// release is closed, as loads did while a NATS stream had no leader.
type stalledStore struct {
	*eventstore.Store
	release chan struct{}
	loads   atomic.Int32
}

func (s *stalledStore) Load(ctx context.Context, agg eventstore.Aggregate) ([]eventstore.Envelope, error) {
	if agg.Kind == string(domain.KindElection) {
		s.loads.Add(1)
		<-s.release
	}
	return s.Store.Load(ctx, agg)
}

const electionBody = `{"election_id":"01J00000000000000000000001","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`

func stationCmd(t *testing.T) domain.Command {
	t.Helper()
	body := `{"election_id":"01J00000000000000000000001","region":"220102001001","station_id":"` + ulid.Make().String() + `","mobile":false,"approved":false,"place":"第1投票站","scrutineers":["甲","乙"]}`
	cmd, err := domain.DecodeCommand("establish_station", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// openStalled records an election through a plain ledger and returns a
// ledger over the same store whose election loads stall.
func openStalled(t *testing.T) (*app.Ledger, *stalledStore) {
	t.Helper()
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := app.Config{Now: func() time.Time { return time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC) }}
	cmd, err := domain.DecodeCommand("call_election", []byte(electionBody))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.New(s, cfg).Execute(context.Background(), cmd, app.Meta{CommandID: ulid.Make().String()}); err != nil {
		t.Fatal(err)
	}
	st := &stalledStore{Store: s, release: make(chan struct{})}
	return app.New(st, cfg), st
}

func waitLoads(t *testing.T, st *stalledStore, n int32) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); st.loads.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d loads started, want %d", st.loads.Load(), n)
		}
	}
}

// TestSharedLoadOutlivesFirstCaller: two commands at two new stations
// both read their election, in one shared load. The command that started
// the load gives up (its client went away); the other still gets the
// election from that same load, not the first one's cancellation.
func TestSharedLoadOutlivesFirstCaller(t *testing.T) {
	l, st := openStalled(t)
	ctx1, cancel1 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() {
		_, err := l.Execute(ctx1, stationCmd(t), app.Meta{CommandID: ulid.Make().String()})
		errs <- err
	}()
	waitLoads(t, st, 1)
	second := make(chan error, 1)
	go func() {
		_, err := l.Execute(context.Background(), stationCmd(t), app.Meta{CommandID: ulid.Make().String()})
		second <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the second command join the load
	cancel1()
	select {
	case err := <-errs:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("first command: got %v, want its own cancellation", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the first command still waits for the load 10s after it was cancelled")
	}
	close(st.release)
	if err := <-second; errors.Is(err, context.Canceled) {
		t.Fatalf("second command failed with the first one's cancellation: %v", err)
	}
	if got := st.loads.Load(); got != 1 {
		t.Fatalf("the election was loaded %d times, want once", got)
	}
}

// TestLockWaitEndsWithContext: a command on an aggregate whose previous
// command is stuck (its load never answers) gives up when its own context
// ends instead of queuing behind it.
func TestLockWaitEndsWithContext(t *testing.T) {
	l, st := openStalled(t)
	defer close(st.release)
	publish, err := domain.DecodeCommand("publish_roll", []byte(`{"election_id":"01J00000000000000000000001","region":"220102001001"}`))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = l.Execute(context.Background(), publish, app.Meta{CommandID: ulid.Make().String()}) }()
	waitLoads(t, st, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := l.Execute(ctx, publish, app.Meta{CommandID: ulid.Make().String()})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the command's own deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command still waits for the aggregate's lock 10s after its context ended")
	}
}
