package eventstore

import "context"

// WaitSeqForTest waits until message seq is durable in this node.
func (s *Store) WaitSeqForTest(ctx context.Context, seq uint64) error { return s.waitSeq(ctx, seq) }
