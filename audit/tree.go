package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"ledger/eventstore"
	"ledger/verifier"
)

// Pebble keys of the tree, all under the prefix 't' reserved for audit:
//
//	't' 'n' level(1) index(8, big-endian) -> 32-byte node hash (perfect subtrees, level >= storedLevel)
//	't' 's'                               -> tree size (8 bytes, big-endian)
//
// Nodes below storedLevel are not stored. Such a node covers at most
// 1<<(storedLevel-1) leaves, and readNodes computes it from the hashes
// stored with the events it covers (see stored.go): leaf i is LeafHash of
// the hash of the event at position i+1.
//
// Data directories written by earlier versions also hold the nodes below
// storedLevel and 't' 'a' keys (per-aggregate chain heads the tree used to
// keep); nothing reads them.
const (
	prefixTree = 't'
	subNode    = 'n'
	subState   = 's'
)

// storedLevel is the lowest level of the tree whose nodes are stored:
// perfect subtrees of 1<<storedLevel leaves (a tile) and up, about two
// keys per tile instead of two per leaf.
const storedLevel = 4

var keyTreeSize = []byte{prefixTree, subState}

// Errors of the tree. Match them with errors.Is.
var (
	// ErrForged means an event's position does not follow the tree's last
	// leaf (a gap or a repeat). The tree refuses to grow over it.
	ErrForged = verifier.ErrForged
	// ErrSize means a requested tree size or index is beyond the tree.
	ErrSize = errors.New("audit: tree size out of range")
	// ErrTreeCorrupt means stored tree state is missing or malformed.
	ErrTreeCorrupt = errors.New("audit: tree state corrupt")
)

// hasher is the RFC 6962 SHA-256 hasher of the ledger's tree.
var hasher = rfc6962.DefaultHasher

var rangeFactory = &compact.RangeFactory{Hash: hashChildren}

// hashChildren is hasher.HashChildren without its per-call allocation of a
// digest: SHA-256(0x01 || left || right), on a stack buffer when both are
// 32-byte hashes (always, in the ledger's tree).
func hashChildren(l, r []byte) []byte {
	if len(l) != sha256.Size || len(r) != sha256.Size {
		return hasher.HashChildren(l, r)
	}
	var buf [1 + 2*sha256.Size]byte
	buf[0] = rfc6962.RFC6962NodeHashPrefix
	copy(buf[1:], l)
	copy(buf[1+sha256.Size:], r)
	h := sha256.Sum256(buf[:])
	return h[:]
}

// LeafHash returns the RFC 6962 leaf hash of an event: SHA-256(0x00 ||
// event hash), where the event hash is the 32-byte SHA-256 of the event's
// canonical encoding.
func LeafHash(eventHash eventstore.Hash) []byte { return verifier.LeafHash(eventHash) }

// Tree is an RFC 6962 Merkle tree over the ledger's global log: leaf i
// (0-based) is the event at position i+1 and its leaf data is that event's
// 32-byte hash. It is kept in Pebble under the 't' prefix (its nodes of
// 1<<storedLevel leaves and up; the ones below are computed from the
// events) and grows as an eventstore.Applier inside each ingest batch, so
// the tree and the events commit atomically.
//
// Apply must only be called by the store's ingest goroutine. The read
// methods (Size, Root, InclusionProof, ConsistencyProof) are safe for
// concurrent use and see only committed state.
type Tree struct {
	dbMu sync.RWMutex
	db   *pebble.DB

	mu  sync.Mutex // guards the ingest-side state below
	rng *compact.Range
	key []byte // scratch for node keys
}

// NewTree opens the tree kept in db, restoring its compact range from the
// stored nodes and the events of its last tile. db may be nil when the
// tree is created before the store that owns the database (it must be in
// eventstore.Config.Appliers before eventstore.Open): Apply then works
// from its batch alone, and SetDB binds the database for the read methods
// once the store is open. OpenStore does both.
func NewTree(db *pebble.DB) (*Tree, error) {
	t := &Tree{}
	if db == nil {
		return t, nil
	}
	rng, err := loadRange(db)
	if err != nil {
		return nil, err
	}
	t.db, t.rng = db, rng
	return t, nil
}

// SetDB binds the database the read methods use: the one whose batches
// Apply receives.
func (t *Tree) SetDB(db *pebble.DB) {
	t.dbMu.Lock()
	t.db = db
	t.dbMu.Unlock()
}

// Bind implements eventstore.Binder: the store gives the tree its database
// before ingest starts.
func (t *Tree) Bind(db *pebble.DB) error {
	t.SetDB(db)
	return nil
}

// ErrNoDB means the tree's read methods were called before SetDB.
var ErrNoDB = errors.New("audit: tree has no database yet")

func (t *Tree) reader() (*pebble.DB, error) {
	t.dbMu.RLock()
	defer t.dbMu.RUnlock()
	if t.db == nil {
		return nil, ErrNoDB
	}
	return t.db, nil
}

// OpenStore opens an event store with a Tree registered as one of its
// Appliers (after cfg's own) and bound to the store's database.
func OpenStore(ctx context.Context, cfg eventstore.Config) (*eventstore.Store, *Tree, error) {
	t, _ := NewTree(nil)
	cfg.Appliers = append(append([]eventstore.Applier(nil), cfg.Appliers...), t)
	s, err := eventstore.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	t.SetDB(s.DB())
	return s, t, nil
}

// Name implements eventstore.Applier.
func (t *Tree) Name() string { return "audit-tree" }

func loadRange(g pebble.Reader) (*compact.Range, error) {
	size, err := readSize(g)
	if err != nil {
		return nil, err
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := readNodes(g, ids)
	if err != nil {
		return nil, err
	}
	return rangeFactory.NewRange(0, size, hashes)
}

func readSize(g pebble.Reader) (uint64, error) {
	v, closer, err := g.Get(keyTreeSize)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit: read tree size: %w", err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: size value of %d bytes", ErrTreeCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

func nodeKey(dst []byte, id compact.NodeID) []byte {
	dst = append(dst[:0], prefixTree, subNode, byte(id.Level))
	return binary.BigEndian.AppendUint64(dst, id.Index)
}

// readNodes returns the hashes of the nodes ids: those at level >=
// storedLevel read from their keys, the lower ones computed from the
// events they cover. Every read of the tree's nodes goes through it. Low
// nodes of one tile (as in a proof or the right edge of a range) cost one
// iterator between them.
func readNodes(g pebble.Reader, ids []compact.NodeID) ([][]byte, error) {
	hashes := make([][]byte, len(ids))
	var key []byte
	var tile tileLeaves
	for i, id := range ids {
		var err error
		if id.Level >= storedLevel {
			key = nodeKey(key, id)
			hashes[i], err = storedNode(g, key, id)
		} else {
			hashes[i], err = tile.node(g, id)
		}
		if err != nil {
			return nil, err
		}
	}
	return hashes, nil
}

func storedNode(g pebble.Reader, key []byte, id compact.NodeID) ([]byte, error) {
	v, closer, err := g.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("%w: node level %d index %d missing", ErrTreeCorrupt, id.Level, id.Index)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read tree node: %w", err)
	}
	defer closer.Close()
	if len(v) != sha256.Size {
		return nil, fmt.Errorf("%w: node level %d index %d has %d bytes", ErrTreeCorrupt, id.Level, id.Index, len(v))
	}
	return bytes.Clone(v), nil
}

// tileLeaves holds the leaf hashes of one tile, the 1<<storedLevel leaves
// under a node at storedLevel, read from the events' stored hashes. At the
// right edge of the log a tile has fewer.
type tileLeaves struct {
	index  uint64
	n      int // leaves read, from the tile's first; 0 before a read
	leaves [1 << storedLevel][]byte
}

// node computes node id (level < storedLevel) from its tile's leaves.
func (t *tileLeaves) node(g pebble.Reader, id compact.NodeID) ([]byte, error) {
	index := id.Index >> (storedLevel - id.Level)
	if t.n == 0 || t.index != index {
		if err := t.read(g, index); err != nil {
			return nil, err
		}
	}
	begin, end := id.Coverage()
	first := index << storedLevel
	if end-first > uint64(t.n) {
		return nil, fmt.Errorf("%w: node level %d index %d: event at position %d missing", ErrTreeCorrupt, id.Level, id.Index, first+uint64(t.n)+1)
	}
	return hashUp(t.leaves[begin-first : end-first]), nil
}

// read reads the leaves of tile index: the hashes stored with the events
// at positions index<<storedLevel + 1 on, up to the first one missing.
func (t *tileLeaves) read(g pebble.Reader, index uint64) error {
	first := index<<storedLevel + 1
	it, err := g.NewIter(&pebble.IterOptions{LowerBound: eventKey(first), UpperBound: eventKey(first + 1<<storedLevel)})
	if err != nil {
		return fmt.Errorf("audit: read events: %w", err)
	}
	defer it.Close()
	t.index, t.n = index, 0
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		pos := first + uint64(t.n)
		if len(k) != 9 || binary.BigEndian.Uint64(k[1:]) != pos {
			break // pos is missing
		}
		_, hash, ok := splitStored(v)
		if !ok {
			t.n = 0
			return fmt.Errorf("%w: stored event at position %d has %d bytes", ErrTreeCorrupt, pos, len(v))
		}
		t.leaves[t.n] = LeafHash(eventstore.Hash(hash))
		t.n++
	}
	if err := it.Error(); err != nil {
		t.n = 0
		return fmt.Errorf("audit: read events: %w", err)
	}
	return nil
}

// hashUp returns the root of the perfect subtree over leaves (a power of
// two of them).
func hashUp(leaves [][]byte) []byte {
	var buf [1 << (storedLevel - 1)][]byte
	level := append(buf[:0], leaves...)
	for len(level) > 1 {
		for i := range len(level) / 2 {
			level[i] = hashChildren(level[2*i], level[2*i+1])
		}
		level = level[:len(level)/2]
	}
	return level[0]
}

// Apply implements eventstore.Applier: it appends the events as leaves,
// writing every new perfect-subtree node at storedLevel and above and the
// new size into b. An event whose position does not follow the tree's
// last leaf returns an error wrapping ErrForged that names it; the tree
// does not grow and ingest stops.
func (t *Tree) Apply(b *pebble.Batch, events []eventstore.Envelope) error {
	if len(events) == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Committed state: the database once bound (ingest's batch is
	// write-only), else b itself, which must then be indexed.
	var r pebble.Reader = b
	if db, err := t.reader(); err == nil {
		r = db
	}
	if err := t.resync(r); err != nil {
		return err
	}
	if first := events[0].Position; first > t.rng.End()+1 {
		if err := t.catchUp(r, b, first); err != nil {
			return err
		}
	}
	for i := range events {
		if err := t.appendEvent(b, &events[i]); err != nil {
			t.rng = nil // the batch is abandoned; reload at the next Apply
			return err
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], t.rng.End())
	return b.Set(keyTreeSize, v[:], nil)
}

// resync reloads the compact range when the committed size differs from
// the one in memory (a previous batch failed to commit).
func (t *Tree) resync(r pebble.Reader) error {
	size, err := readSize(r)
	if err != nil {
		return err
	}
	if t.rng != nil && t.rng.End() == size {
		return nil
	}
	t.rng, err = loadRange(r)
	return err
}

// appendEvent adds one event as the next leaf.
func (t *Tree) appendEvent(b *pebble.Batch, e *eventstore.Envelope) error {
	if e.Position != t.rng.End()+1 {
		return fmt.Errorf("%w: event at position %d but the tree has %d leaves", ErrForged, e.Position, t.rng.End())
	}
	return t.appendLeaf(b, e.Hash)
}

// appendLeaf adds leaf h, writing the nodes it completes at storedLevel
// and above into b.
func (t *Tree) appendLeaf(b *pebble.Batch, h eventstore.Hash) error {
	var err error
	visit := func(id compact.NodeID, hash []byte) {
		if id.Level < storedLevel {
			return
		}
		t.key = nodeKey(t.key, id)
		if e := b.Set(t.key, hash, nil); e != nil && err == nil {
			err = e
		}
	}
	if e := t.rng.Append(LeafHash(h), visit); e != nil {
		return e
	}
	return err
}

// catchUp adds the events already in the log (read through r) from the
// tree's size up to, not including, position upTo: a tree added to a store
// that already holds events. Its nodes go into b.
func (t *Tree) catchUp(r pebble.Reader, b *pebble.Batch, upTo uint64) error {
	from := t.rng.End() + 1
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: eventKey(from), UpperBound: eventKey(upTo)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		e, err := decodeStoredEvent(it.Key(), it.Value())
		if err != nil {
			return err
		}
		if err := t.appendEvent(b, &e); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if t.rng.End()+1 != upTo {
		return fmt.Errorf("%w: log has a gap before position %d", ErrForged, t.rng.End()+1)
	}
	return nil
}

// Size returns the number of leaves committed to the tree.
func (t *Tree) Size() uint64 {
	db, err := t.reader()
	if err != nil {
		return 0
	}
	n, _ := readSize(db)
	return n
}

// Root returns the RFC 6962 root hash of the tree's first size leaves, for
// any size up to Size(). The root of the empty tree is SHA-256 of nothing.
func (t *Tree) Root(size uint64) ([]byte, error) {
	if size > t.Size() {
		return nil, fmt.Errorf("%w: size %d, tree has %d", ErrSize, size, t.Size())
	}
	db, err := t.reader()
	if err != nil {
		return nil, err
	}
	return rootFrom(db, size)
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index (0-based;
// the event at position index+1) in the tree of the given size.
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	if size > t.Size() || index >= size {
		return nil, fmt.Errorf("%w: leaf %d in size %d, tree has %d", ErrSize, index, size, t.Size())
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(nodes)
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of sizes size1 <= size2.
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	if size1 > size2 || size2 > t.Size() {
		return nil, fmt.Errorf("%w: sizes %d and %d, tree has %d", ErrSize, size1, size2, t.Size())
	}
	db, err := t.reader()
	if err != nil {
		return nil, err
	}
	return consistencyFrom(db, size1, size2)
}

func consistencyFrom(r pebble.Reader, size1, size2 uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return rehash(r, nodes)
}

func (t *Tree) rehash(nodes proof.Nodes) ([][]byte, error) {
	db, err := t.reader()
	if err != nil {
		return nil, err
	}
	return rehash(db, nodes)
}

func rehash(r pebble.Reader, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := readNodes(r, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}
