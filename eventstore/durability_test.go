package eventstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// TestConcurrentAppends: 64 goroutines append to 1,000 aggregates; no event
// is lost or duplicated, versions are contiguous and chains valid.
func TestConcurrentAppends(t *testing.T) {
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	const writers, aggs, perWriter = 64, 1000, 60
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				errs <- appendRetrying(s, storetest.Agg(int(next.Add(1))%aggs), fmt.Sprintf("w%d-%d", w, i))
			}
		}()
	}
	go func() { wg.Wait(); close(errs) }()
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := storetest.ReadAll(t, s)
	if len(got) != writers*perWriter {
		t.Fatalf("got %d events, want %d", len(got), writers*perWriter)
	}
	storetest.CheckLog(t, got)
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.CommandID] {
			t.Fatalf("command %s recorded twice", e.CommandID)
		}
		seen[e.CommandID] = true
	}
}

// appendRetrying appends one event to agg, reloading the version after a
// conflict, as a command handler does.
func appendRetrying(s *eventstore.Store, agg eventstore.Aggregate, cmd string) error {
	ctx := context.Background()
	var version uint64
	for range 100 {
		_, err := s.Append(ctx, agg, version, eventstore.Meta{CommandID: cmd}, storetest.Event(1))
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) {
			return err
		}
		version = ce.Current
	}
	return fmt.Errorf("append %s: too many conflicts", cmd)
}

// TestMain lets the crash test run this binary as its child.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LEDGER_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild appends from 16 goroutines and prints each acknowledged
// command ID, until it is killed.
func crashChild(dir string) {
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	run := fmt.Sprint(time.Now().UnixNano())
	for w := range 16 {
		go func() {
			for i := 0; ; i++ {
				cmd := fmt.Sprintf("k%s-%d-%d", run, w, i)
				if appendRetrying(s, storetest.Agg(w*7+i%7), cmd) != nil {
					continue
				}
				mu.Lock()
				fmt.Fprintln(out, cmd)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestCrashKeepsAcknowledged runs the store in a child process under load,
// kills it with SIGKILL, restarts, and finds every acknowledged command
// exactly once.
func TestCrashKeepsAcknowledged(t *testing.T) {
	dir := t.TempDir()
	var acked []string
	for cycle := range 3 {
		acked = append(acked, runAndKill(t, dir, time.Duration(400+300*cycle)*time.Millisecond)...)
	}
	s := openEmbedded(t, dir, false)
	defer s.Close()
	<-s.Ready()
	got := storetest.ReadAll(t, s)
	storetest.CheckLog(t, got)
	count := map[string]int{}
	for _, e := range got {
		count[e.CommandID]++
	}
	for _, cmd := range acked {
		if count[cmd] != 1 {
			t.Fatalf("acknowledged command %s found %d times", cmd, count[cmd])
		}
	}
	t.Logf("%d acknowledged commands survived 3 kills; %d events in the log", len(acked), len(got))
	if len(acked) == 0 {
		t.Fatal("the child acknowledged nothing")
	}
}

func runAndKill(t *testing.T, dir string, after time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LEDGER_CRASH_CHILD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan []string)
	go func() {
		var got []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			got = append(got, sc.Text())
		}
		lines <- got
	}()
	time.Sleep(after)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	got := <-lines
	_ = cmd.Wait()
	return got
}

// TestRepairShortStream: a JetStream store that lost its last messages is
// repaired from Pebble, at the same positions.
func TestRepairShortStream(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir, false)
	for i := range 5 {
		storetest.MustAppend(t, s, storetest.Agg(i), 0, fmt.Sprintf("early%d", i), storetest.Event(i))
	}
	closeStore(t, s)
	saved := filepath.Join(t.TempDir(), "js")
	copyDir(t, filepath.Join(dir, "jetstream"), saved)
	s = openEmbedded(t, dir, false)
	for i := range 7 {
		var expected uint64 // aggregates 0-4 hold one early event
		if i < 5 {
			expected = 1
		}
		storetest.MustAppend(t, s, storetest.Agg(i), expected, fmt.Sprintf("late%d", i), storetest.Event(i))
	}
	want := storetest.ReadAll(t, s)
	closeStore(t, s)
	if err := os.RemoveAll(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatal(err)
	}
	copyDir(t, saved, filepath.Join(dir, "jetstream")) // the stream's tail is gone
	s = openEmbedded(t, dir, false)
	defer s.Close()
	last, err := s.StreamLastSeq(context.Background())
	if err != nil || last != uint64(len(want)) {
		t.Fatalf("stream last seq after repair: %d (%v), want %d", last, err, len(want))
	}
	if got := s.Stats().Republished.Load(); got != 7 {
		t.Fatalf("repair counted %d republished messages, want the 7 lost", got)
	}
	reps, err := s.Repairs()
	if err != nil || len(reps) != 1 || reps[0].FromSeq != 6 || reps[0].ToSeq != 12 || reps[0].FromPosition != 6 || reps[0].ToPosition != 12 {
		t.Fatalf("repair record %+v (%v), want one of sequences and positions 6-12", reps, err)
	}
	// Rebuild a Pebble copy from the repaired stream alone and compare.
	closeStore(t, s)
	s = openEmbedded(t, dir, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, uint64(len(want))); err != nil {
		t.Fatal(err)
	}
	got := storetest.ReadAll(t, s)
	for i := range want {
		if got[i].Hash != want[i].Hash {
			t.Fatalf("position %d differs after repair", i+1)
		}
	}
}

func closeStore(t *testing.T, s *eventstore.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCorruptStoredEvent: a flipped byte in Pebble is reported as corruption
// at its position, never a panic.
func TestCorruptStoredEvent(t *testing.T) {
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	for i := range 3 {
		storetest.MustAppend(t, s, storetest.Agg(i), 0, fmt.Sprintf("x%d", i), storetest.Event(i))
	}
	key := []byte{'e', 0, 0, 0, 0, 0, 0, 0, 2}
	v, closer, err := s.DB().Get(key)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), v...)
	closer.Close()
	bad[len(bad)/2] ^= 0x01
	if err := s.DB().Set(key, bad, nil); err != nil {
		t.Fatal(err)
	}
	_, err = s.ReadLog(context.Background(), 1, 10)
	var ce *eventstore.CorruptError
	if !errors.As(err, &ce) || ce.Position != 2 || !errors.Is(err, eventstore.ErrCorrupt) {
		t.Fatalf("got %v, want corruption at position 2", err)
	}
}

// TestIdempotentAfterWindow: a retry after JetStream's duplicate window
// (here 1s) is answered from Pebble's command index, for a ULID command ID
// (the fast path skips the lookup only within half the window) and for any
// other ID; nothing is written twice.
func TestIdempotentAfterWindow(t *testing.T) {
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	ids := []string{ulid.Make().String(), "not-a-ulid-command"}
	first := map[string]eventstore.Result{}
	for i, id := range ids {
		first[id] = storetest.MustAppend(t, s, storetest.Agg(i), 0, id, storetest.Event(i))
	}
	time.Sleep(1500 * time.Millisecond) // past the window
	for i, id := range ids {
		again := storetest.MustAppend(t, s, storetest.Agg(i), 0, id, storetest.Event(i))
		if !again.Duplicate || again.FirstPosition != first[id].FirstPosition {
			t.Fatalf("retry of %s after the window: got %+v, want the original position %d", id, again, first[id].FirstPosition)
		}
	}
	if got := len(storetest.ReadAll(t, s)); got != len(ids) {
		t.Fatalf("log holds %d events, want %d", got, len(ids))
	}
}

// TestIngestStopsAtBrokenChain: a well-formed, correctly hashed message
// published straight into the stream whose event does not follow its
// aggregate's previous one (a forged or replayed event) stops ingest at
// that position; nothing after it is applied.
func TestIngestStopsAtBrokenChain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tests := []struct {
		name  string
		forge func(e *eventstore.Envelope, own []eventstore.Envelope)
	}{
		{"version skipped", func(e *eventstore.Envelope, _ []eventstore.Envelope) { e.Version++ }},
		{"previous hash wrong", func(e *eventstore.Envelope, _ []eventstore.Envelope) { e.PrevHash[0] ^= 1 }},
		{"event replayed", func(e *eventstore.Envelope, own []eventstore.Envelope) { *e = own[1] }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openEmbedded(t, t.TempDir(), false)
			defer s.Close()
			for i := range 3 {
				storetest.MustAppend(t, s, storetest.Agg(0), uint64(i), fmt.Sprintf("y%d", i), storetest.Event(i))
			}
			own, err := s.Load(ctx, storetest.Agg(0))
			if err != nil {
				t.Fatal(err)
			}
			e := own[2]
			e.Version, e.PrevHash = 4, own[2].Hash
			tc.forge(&e, own)
			e.EventID, e.CommandID = fmt.Sprintf("01JFORGED000000000000000%02d", i), fmt.Sprintf("forged-%d", i)
			e.Seal()
			ack, err := s.JetStream().PublishMsg(ctx, eventstore.EncodeMessage(s.SubjectPrefix(), []eventstore.Envelope{e}))
			if err != nil {
				t.Fatal(err)
			}
			// A good append after the forged message never becomes durable.
			_, err = s.Append(ctx, storetest.Agg(1), 0, eventstore.Meta{CommandID: fmt.Sprintf("after-%d", i)}, storetest.Event(9))
			var ce *eventstore.ChainError
			if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrChainBroken) {
				t.Fatalf("append after forged message: got %v, want the chain error", err)
			}
			if ce.Position != 4 || ce.Seq != ack.Sequence || ce.Aggregate != storetest.Agg(0).Kind+"/"+storetest.Agg(0).ID {
				t.Fatalf("chain error %+v, want position 4, message %d", ce, ack.Sequence)
			}
			if got, _ := s.ReadLog(ctx, 1, 100); len(got) != 3 {
				t.Fatalf("log holds %d events after the break, want 3", len(got))
			}
			// Once ingest has stopped, nothing more is published.
			last, err := s.StreamLastSeq(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Append(ctx, storetest.Agg(2), 0, eventstore.Meta{CommandID: fmt.Sprintf("later-%d", i)}, storetest.Event(9))
			if !errors.Is(err, eventstore.ErrChainBroken) {
				t.Fatalf("append after ingest stopped: %v, want the chain error", err)
			}
			if now, _ := s.StreamLastSeq(ctx); now != last {
				t.Fatalf("stream grew from %d to %d after ingest stopped", last, now)
			}
		})
	}
}
