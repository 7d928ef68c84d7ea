package eventstore

import "context"

// WaitSeqForTest waits until message seq is durable in this node.
func (s *Store) WaitSeqForTest(ctx context.Context, seq uint64) error { return s.waitSeq(ctx, seq) }

// ScrubForTest runs the scrub's two checks by hand: a state check, then a
// re-read of n events from position from on. It returns the problem
// found, if any.
func (s *Store) ScrubForTest(ctx context.Context, from uint64, n int) error {
	sc := &scrubber{s: s, cfg: ScrubConfig{Tick: 1, Period: 1}, next: from}
	sc.checkState(ctx)
	sc.owed = float64(n) - float64(s.durable.get().Position) // reread adds the log's size back
	sc.reread(ctx)
	sc.stopReading()
	return s.Integrity()
}
