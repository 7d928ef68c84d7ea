package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/minio/highwayhash"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/eventstore"
)

// These tests tamper with the JetStream stream where it lives on disk: the
// nats-server file store's block files. Each case stops the store, rewrites
// the stream's msgs/N.blk files with one change, removes (in all but one
// case) the stream state files the server would otherwise trust, starts
// nats-server again over the same directory and verifies.
//
// After the restart only a bare embedded nats-server runs, over the store's
// JetStream directory, and Pebble is opened read-only; the Store itself is
// not reopened. Opening the Store would start ingest and its stream repair,
// which republishes Pebble's tail into a stream that has become shorter
// than Pebble (a record dropped for a bad checksum would silently come
// back) and ingests the extra message of a stream that has become longer.
// Either would change what is on disk before the verifier reads it. The
// verifier is given the server's JetStream, the stream name and subject
// prefix, and the Pebble database, and so reads exactly what the tampered
// files hold.

// fileStoreRecord is one message record of a nats-server file store block
// file (nats-server's server/filestore.go, writeMsgRecordLocked), all
// integers little-endian:
//
//	length(4; high bit set when the record has headers)
//	sequence(8) timestamp(8) subject length(2) subject
//	[header length(4) header] message checksum(8)
//
// The length counts the whole record. The checksum is HighwayHash-64 over
// sequence, timestamp, subject, header and message, keyed with the SHA-256
// of "<stream name>-<block index>".
type fileStoreRecord struct {
	block   uint32 // index of the block file that holds the record
	seq     uint64
	ts      int64
	subject string
	header  []byte // the raw NATS header block, nil when there is none
	data    []byte
	sum     []byte // the checksum as read
	// keepSum writes sum back unchanged instead of a checksum of the
	// record's contents.
	keepSum bool
}

const (
	recordHeaderSize = 22 // length, sequence, timestamp, subject length
	recordSumSize    = highwayhash.Size64
	recordHasHeaders = 1 << 31 // in the length
	recordSeqFlags   = 1<<63 | 1<<62
)

// fileStore is a stream's message directory in a nats-server file store.
type fileStore struct {
	dir    string // .../streams/<stream>/msgs
	stream string
	blocks []uint32 // indexes of the block files, ascending
	remove uint32   // a block file to remove after write (0: none)
}

// streamFileStore finds the stream's message directory under the store's
// data directory: the embedded server keeps JetStream under
// <data>/jetstream, and nats-server stores a stream under
// jetstream/<account>/streams/<stream>.
func streamFileStore(t *testing.T, dataDir, stream string) *fileStore {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(dataDir, "jetstream", "jetstream", "*", "streams", stream, "msgs"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("stream %s's file store: found %v (%v)", stream, dirs, err)
	}
	fs := &fileStore{dir: dirs[0], stream: stream}
	names, err := filepath.Glob(filepath.Join(fs.dir, "*.blk"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		var index uint32
		if _, err := fmt.Sscanf(filepath.Base(name), "%d.blk", &index); err == nil {
			fs.blocks = append(fs.blocks, index)
		}
	}
	slices.Sort(fs.blocks)
	if len(fs.blocks) == 0 {
		t.Fatalf("no block files in %s", fs.dir)
	}
	return fs
}

func (fs *fileStore) blockPath(index uint32) string {
	return filepath.Join(fs.dir, fmt.Sprintf("%d.blk", index))
}

// checksum computes a record's checksum as nats-server does.
func (fs *fileStore) checksum(r *fileStoreRecord) []byte {
	key := sha256.Sum256(fmt.Appendf(nil, "%s-%d", fs.stream, r.block))
	h, err := highwayhash.NewDigest64(key[:])
	if err != nil {
		panic(err) // only for a key that is not 32 bytes
	}
	var seqTS [16]byte
	binary.LittleEndian.PutUint64(seqTS[:8], r.seq)
	binary.LittleEndian.PutUint64(seqTS[8:], uint64(r.ts))
	h.Write(seqTS[:])
	h.Write([]byte(r.subject))
	h.Write(r.header)
	h.Write(r.data)
	return h.Sum(nil)
}

// read parses every record of every block, in order, and checks each
// checksum, so that a misreading of the format fails here rather than
// passing for tampering.
func (fs *fileStore) read(t *testing.T) []fileStoreRecord {
	t.Helper()
	le := binary.LittleEndian
	var recs []fileStoreRecord
	for _, index := range fs.blocks {
		buf, err := os.ReadFile(fs.blockPath(index))
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(buf); {
			if len(buf)-off < recordHeaderSize+recordSumSize {
				t.Fatalf("block %d: %d bytes left at offset %d, not a record", index, len(buf)-off, off)
			}
			hdr := buf[off : off+recordHeaderSize]
			rl := le.Uint32(hdr)
			hasHeaders := rl&recordHasHeaders != 0
			rl &^= recordHasHeaders
			end := off + int(rl)
			if end > len(buf) || int(rl) < recordHeaderSize+recordSumSize {
				t.Fatalf("block %d: record at offset %d has length %d", index, off, rl)
			}
			r := fileStoreRecord{block: index, seq: le.Uint64(hdr[4:]), ts: int64(le.Uint64(hdr[12:]))}
			if r.seq&recordSeqFlags != 0 {
				t.Fatalf("block %d: record at offset %d is a deletion marker (sequence %x); the log never deletes", index, off, r.seq)
			}
			body := buf[off+recordHeaderSize : end-recordSumSize]
			slen := int(le.Uint16(hdr[20:]))
			if slen > len(body) {
				t.Fatalf("block %d: record %d's subject overruns it", index, r.seq)
			}
			r.subject, body = string(body[:slen]), body[slen:]
			if hasHeaders {
				if len(body) < 4 || int(le.Uint32(body)) > len(body)-4 {
					t.Fatalf("block %d: record %d's headers overrun it", index, r.seq)
				}
				hlen := int(le.Uint32(body))
				r.header, body = bytes.Clone(body[4:4+hlen]), body[4+hlen:]
			}
			r.data = bytes.Clone(body)
			r.sum = bytes.Clone(buf[end-recordSumSize : end])
			if !bytes.Equal(fs.checksum(&r), r.sum) {
				t.Fatalf("block %d: record %d's checksum does not match its contents", index, r.seq)
			}
			recs = append(recs, r)
			off = end
		}
	}
	return recs
}

// encode returns the bytes of one record as nats-server writes it.
func (fs *fileStore) encode(dst []byte, r *fileStoreRecord) []byte {
	le := binary.LittleEndian
	rl := recordHeaderSize + len(r.subject) + len(r.data) + recordSumSize
	if len(r.header) > 0 {
		rl += 4 + len(r.header)
	}
	length := uint32(rl)
	if len(r.header) > 0 {
		length |= recordHasHeaders
	}
	dst = le.AppendUint32(dst, length)
	dst = le.AppendUint64(dst, r.seq)
	dst = le.AppendUint64(dst, uint64(r.ts))
	dst = le.AppendUint16(dst, uint16(len(r.subject)))
	dst = append(dst, r.subject...)
	if len(r.header) > 0 {
		dst = le.AppendUint32(dst, uint32(len(r.header)))
		dst = append(dst, r.header...)
	}
	dst = append(dst, r.data...)
	if r.keepSum {
		return append(dst, r.sum...)
	}
	return append(dst, fs.checksum(r)...)
}

// write replaces the block files with recs, each in the block it names; a
// block left with none becomes empty.
func (fs *fileStore) write(t *testing.T, recs []fileStoreRecord) {
	t.Helper()
	blocks := map[uint32][]byte{}
	for _, index := range fs.blocks {
		blocks[index] = nil
	}
	for i := range recs {
		r := &recs[i]
		if _, ok := blocks[r.block]; !ok {
			t.Fatalf("record %d names block %d, which does not exist", r.seq, r.block)
		}
		blocks[r.block] = fs.encode(blocks[r.block], r)
	}
	for index, buf := range blocks {
		if err := os.WriteFile(fs.blockPath(index), buf, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// removeState removes the stream state files (index.db, and the .idx and
// .fss files of older servers), so that the server rebuilds the stream's
// state from the blocks alone instead of trusting what it recorded at
// shutdown.
func (fs *fileStore) removeState(t *testing.T) {
	t.Helper()
	state, _ := filepath.Glob(filepath.Join(fs.dir, "*.idx"))
	fss, _ := filepath.Glob(filepath.Join(fs.dir, "*.fss"))
	for _, name := range append(append(state, fss...), filepath.Join(fs.dir, "index.db")) {
		if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// renumber gives recs[from:] consecutive sequences following recs[from-1].
func renumber(recs []fileStoreRecord, from int) []fileStoreRecord {
	for i := from; i < len(recs); i++ {
		recs[i].seq = 1
		if i > 0 {
			recs[i].seq = recs[i-1].seq + 1
		}
	}
	return recs
}

// setMessage makes r hold msg's subject, headers and data.
func setMessage(r *fileStoreRecord, msg *nats.Msg) {
	r.subject, r.header, r.data = msg.Subject, encodeHeader(msg.Header), msg.Data
}

// encodeHeader encodes a NATS header block as clients publish it, in key
// order.
func encodeHeader(h nats.Header) []byte {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte("NATS/1.0\r\n")
	for _, k := range keys {
		for _, v := range h[k] {
			b = fmt.Appendf(b, "%s: %s\r\n", k, v)
		}
	}
	return append(b, "\r\n"...)
}

// recordEvents decodes the ledger message a record holds.
func recordEvents(t *testing.T, r *fileStoreRecord) []eventstore.Envelope {
	t.Helper()
	h, err := nats.DecodeHeadersMsg(r.header)
	if err != nil {
		t.Fatalf("record %d's headers: %v", r.seq, err)
	}
	events, err := eventstore.DecodeMessage(h, r.data, r.seq)
	if err != nil {
		t.Fatalf("record %d: %v", r.seq, err)
	}
	return events
}

// changeByte changes the byte just after the last occurrence of marker
// in b to the one given.
func changeByte(t *testing.T, b []byte, marker string, to byte) {
	t.Helper()
	i := bytes.LastIndex(b, []byte(marker))
	if i < 0 {
		t.Fatalf("%q not found in %q", marker, b)
	}
	b[i+len(marker)] = to
}

// restartJetStream starts nats-server alone over the stopped store's
// JetStream directory and opens its Pebble database read-only.
func restartJetStream(t *testing.T, dataDir string) (jetstream.JetStream, *pebble.DB) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		ServerName: "ledger",
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "jetstream"),
		DontListen: true,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	db, err := pebble.Open(filepath.Join(dataDir, "pebble"), &pebble.Options{ReadOnly: true, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return js, db
}

// tamperContext is what an edit knows of the log: its subject prefix and
// its messages' events (verifyLog.messages).
type tamperContext struct {
	prefix string
	groups [][]eventstore.Envelope
}

func TestVerifyFileStoreTampered(t *testing.T) {
	const k = 6 // the message tampered with: a one-event message at position 9
	tests := []struct {
		name string
		k    int // index of the tampered message in verifyLog.messages()
		edit func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord
		// keepState leaves the server's record of the stream's state in
		// place; otherwise it is removed and the server rebuilds it.
		keepState bool
		// msgs is how many messages the restarted server should hold.
		msgs func(n int) int
		what string // "" when the log should verify intact
	}{
		{
			name: "rewritten unchanged",
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord { return recs },
		},
		{
			// A careful attacker: the server accepts the record, the ledger
			// event's own hash no longer matches.
			name: "payload byte changed, record checksum recomputed", k: k,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				changeByte(t, recs[k].data, `{"n":`, '7') // {"n":6} becomes {"n":7}
				return recs
			},
			what: "does not decode or its hash does not match",
		},
		{
			// A careless attacker: nats-server finds the bad checksum when
			// it rebuilds the block and truncates the block there, so the
			// stream loses the message and everything after it.
			name: "payload byte changed, record checksum left wrong", k: k,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				changeByte(t, recs[k].data, `{"n":`, '7')
				recs[k].keepSum = true
				return recs
			},
			msgs: func(int) int { return k },
			what: "truncated",
		},
		{
			// The same, but the server's record of the stream's state is
			// left in place. It matches the last block's last checksum, so
			// the server trusts it and finds the bad checksum only when the
			// message is read; it skips the message, which the verifier
			// sees as a gap in the sequences.
			name: "payload byte changed, record checksum left wrong, stream state kept", k: k,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				changeByte(t, recs[k].data, `{"n":`, '7')
				recs[k].keepSum = true
				return recs
			},
			keepState: true,
			what:      "missing from the stream",
		},
		{
			// One byte of the second event of a two-event message: the
			// whole message fails, reported at its first event.
			name: "second event of a two-event message changed", k: 5,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				changeByte(t, recs[5].data, `"ledgeractor":"clerk-`, '2')
				return recs
			},
			what: "does not decode or its hash does not match",
		},
		{
			// The event's hash recomputed too: it decodes, but it is not
			// the event the tree recorded.
			name: "payload changed, event resealed", k: k,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				events := recordEvents(t, &recs[k])
				events[0].Payload = []byte(`{"n":12345}`)
				events[0].Seal()
				setMessage(&recs[k], eventstore.EncodeMessage(c.prefix, events))
				return recs
			},
			what: "differs from the one the tree recorded",
		},
		{
			name: "removed", k: k,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				return renumber(slices.Delete(recs, k, k+1), k)
			},
			msgs: func(n int) int { return n - 1 },
			what: "differs from the one the tree recorded",
		},
		{
			name: "swapped with the next message", k: k,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				a, b := recs[k], recs[k+1]
				recs[k].subject, recs[k].header, recs[k].data = b.subject, b.header, b.data
				recs[k+1].subject, recs[k+1].header, recs[k+1].data = a.subject, a.header, a.data
				return recs
			},
			what: "differs from the one the tree recorded",
		},
		{
			// A well-formed, correctly sealed ledger message of the same
			// aggregate, with its own command and event IDs.
			name: "forged message inserted", k: k,
			edit: func(t *testing.T, c tamperContext, recs []fileStoreRecord) []fileStoreRecord {
				forged := c.groups[k][0]
				forged.Payload = []byte(`{"n":12345}`)
				forged.CommandID, forged.EventID = "inserted", "01JINSERTED000000000000000"
				forged.Seal()
				r := recs[k] // its block, sequence and timestamp
				r.header, r.data = nil, nil
				setMessage(&r, eventstore.EncodeMessage(c.prefix, []eventstore.Envelope{forged}))
				return renumber(slices.Insert(recs, k, r), k+1)
			},
			msgs: func(n int) int { return n + 1 },
			what: "differs from the one the tree recorded",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newVerifyLog(t)
			groups := l.messages()
			stream, prefix := l.store.StreamName(), l.store.SubjectPrefix()
			l.close()

			fs := streamFileStore(t, l.dir, stream)
			orig := map[uint32][]byte{}
			for _, index := range fs.blocks {
				b, err := os.ReadFile(fs.blockPath(index))
				if err != nil {
					t.Fatal(err)
				}
				orig[index] = b
			}
			recs := fs.read(t)
			checkRecords(t, recs, prefix, groups)
			fs.write(t, tc.edit(t, tamperContext{prefix: prefix, groups: groups}, recs))
			if !tc.keepState {
				fs.removeState(t)
			}
			if tc.what == "" {
				// Written back unchanged, the files are the server's own
				// bytes: the reader and writer are faithful.
				for index, b := range orig {
					now, _ := os.ReadFile(fs.blockPath(index))
					if !bytes.Equal(now, b) {
						t.Fatalf("block %d rewritten unchanged differs from the server's", index)
					}
				}
			}

			js, db := restartJetStream(t, l.dir)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			wantMsgs := len(groups)
			if tc.msgs != nil {
				wantMsgs = tc.msgs(len(groups))
			}
			st, err := js.Stream(ctx, stream)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.CachedInfo().State; got.Msgs != uint64(wantMsgs) || got.LastSeq != uint64(wantMsgs) {
				t.Fatalf("restarted stream holds %d messages up to sequence %d, want %d", got.Msgs, got.LastSeq, wantMsgs)
			}

			r, err := Verify(ctx, VerifyOptions{DB: db, JetStream: js, Stream: stream, SubjectPrefix: prefix, Verifier: l.v})
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if tc.what == "" {
				if !r.Intact || r.JetStream.Events != 30 || r.Pebble.Events != 30 || r.Checkpoints != 3 {
					t.Fatalf("untampered store reported %+v", r)
				}
				return
			}
			t.Logf("first bad: %v", r.FirstBad)
			at := groups[tc.k][0].Position
			wantBad(t, r, SourceJetStream, at, tc.what)
			if !r.Pebble.Checked || r.Pebble.Events != 30 {
				t.Errorf("pebble's copy, untouched, checked %d events", r.Pebble.Events)
			}
			if r.JetStream.Events != at-1 {
				t.Errorf("jetstream events checked before the problem = %d, want %d", r.JetStream.Events, at-1)
			}
		})
	}
}

// checkRecords checks that the records read from the block files are the
// log's messages, in order, at sequences 1, 2, ...
func checkRecords(t *testing.T, recs []fileStoreRecord, prefix string, groups [][]eventstore.Envelope) {
	t.Helper()
	if len(recs) != len(groups) {
		t.Fatalf("block files hold %d records, the log %d messages", len(recs), len(groups))
	}
	for i := range recs {
		if recs[i].seq != uint64(i+1) {
			t.Fatalf("record %d has sequence %d", i, recs[i].seq)
		}
		events := recordEvents(t, &recs[i])
		if len(events) != len(groups[i]) {
			t.Fatalf("record %d holds %d events, want %d", recs[i].seq, len(events), len(groups[i]))
		}
		for j := range events {
			if events[j].Hash != groups[i][j].Hash {
				t.Fatalf("record %d event %d: hash %x, want %x", recs[i].seq, j, events[j].Hash, groups[i][j].Hash)
			}
		}
		if want := eventstore.Subject(prefix, groups[i][0].Aggregate()); recs[i].subject != want {
			t.Fatalf("record %d has subject %q, want %q", recs[i].seq, recs[i].subject, want)
		}
	}
}
