// Package audit makes the ledger tamper-evident and lets anyone check it.
//
// # What is proven
//
// Every event carries its SHA-256 hash over its canonical encoding and the
// hash of its aggregate's previous event (a per-aggregate hash chain; see
// package eventstore). On top of that, audit keeps an RFC 6962 Merkle tree
// over the global log order: leaf i (0-based) is the event at position
// i+1, and its leaf data is that event's 32-byte hash, so the leaf hash is
// SHA-256(0x00 || event hash) and an interior node is SHA-256(0x01 || left
// || right). The tree grows inside each ingest batch (Tree is an
// eventstore.Applier). That batch never holds an event whose hash does not
// match its contents or that does not follow its aggregate's chain: the
// store checks both, once per event, as it ingests, and stops ingest at a
// break (eventstore.ChainError), so the tree is never extended over one.
// Pebble keeps the tree's nodes over 16 leaves and more; the ones below
// are computed when needed from the hashes stored with the events.
//
// The ledger signs checkpoints of the tree (C2SP tlog-checkpoint bodies:
// origin, size, base64 root) as Ed25519 signed notes, stores them in
// Pebble and publishes them on NATS ("ledger.checkpoint") so that other
// parties can keep (witness) them. A signed checkpoint commits the ledger
// to the exact sequence of its first Size events: any change, removal,
// reordering or insertion changes the root. A receipt (an event, its leaf
// index, a checkpoint and an inclusion proof) proves that an event is in
// that sequence; a consistency proof between two checkpoints proves the
// later log extends the earlier one, so that two checkpoints of one size
// with different roots (a fork) are evidence of misbehaviour.
//
// Verify recomputes the hash chains and the tree from JetStream and from
// Pebble independently and names the first position that differs, in
// which copy, and why.
//
// # Wiring
//
//	store, tree, err := audit.OpenStore(ctx, eventstore.Config{Dir: dir})
//	signer, verifier, err := audit.LoadOrCreateKey(dir, audit.DefaultOrigin)
//	cp, err := audit.NewCheckpointer(audit.CheckpointerConfig{
//		Tree: tree, Signer: signer, Conn: store.Conn(),
//		Durable: func() uint64 { _, p := store.Position(); return p },
//	})
//	shutdown := cp.Start(ctx)
//	defer shutdown(context.Background())
//
// # Verifying offline
//
// Export writes a JSON bundle holding, for each selected event, its
// canonical bytes and an inclusion proof, plus one signed checkpoint and
// the public verifier key. VerifyBundle needs nothing else: it recomputes
// each event's hash from its canonical bytes, folds each proof up to the
// checkpoint's root, and checks the checkpoint's signature, with the key
// pinned by the caller (PinKey) when the caller knows it from elsewhere
// (the data directory's checkpoint.pub, a notice board, a witness). Any
// RFC 6962 implementation can check the same proofs by hand: the leaf
// hash is SHA-256(0x00 || SHA-256(canonical bytes)).
package audit
