package benchmark

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/audit"
	"ledger/eventstore"
	"ledger/node"
	"ledger/projections"
)

const baselineStream = "LEDGER_BENCH"

// messageSize returns the mean size (data and headers) of the last
// messages the ledger recorded: check-ins.
func (b *bench) messageSize(ctx context.Context) (int, error) {
	st, err := b.n.Store.JetStream().Stream(ctx, b.n.Store.StreamName())
	if err != nil {
		return 0, err
	}
	last, err := b.n.Store.StreamLastSeq(ctx)
	if err != nil {
		return 0, err
	}
	total, n := 0, 0
	for seq := last; seq > 0 && n < 100; seq-- {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			return 0, fmt.Errorf("benchmark: read message %d: %w", seq, err)
		}
		size := len(m.Data)
		for k, vs := range m.Header {
			for _, v := range vs {
				size += len(k) + len(v) + 4
			}
		}
		total, n = total+size, n+1
	}
	if n == 0 {
		return 300, nil
	}
	return total / n, nil
}

// connect opens a connection of its own to the node's NATS server.
func (b *bench) connect() (*nats.Conn, error) {
	if ns := b.n.Store.Server(); ns != nil {
		return nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	}
	return nats.Connect(b.cfg.Node.NATSURL, b.cfg.Node.NATSOptions...)
}

// baselines publishes Events messages of the ledger's size into a
// stream of their own on the same server: asynchronously (a window of
// pending acks, then wait for all), and synchronously from Writers
// goroutines.
func (b *bench) baselines(ctx context.Context) error {
	size, err := b.messageSize(ctx)
	if err != nil {
		return err
	}
	b.rep.PayloadBytes = size
	nc, err := b.connect()
	if err != nil {
		return fmt.Errorf("benchmark: connect: %w", err)
	}
	defer nc.Close()
	var asyncErrs atomic.Int64
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { asyncErrs.Add(1) }))
	if err != nil {
		return err
	}
	scfg := jetstream.StreamConfig{Name: baselineStream, Subjects: []string{"ledgerbench.>"}, Storage: jetstream.FileStorage}
	if b.cfg.Node.MemoryStorage {
		scfg.Storage = jetstream.MemoryStorage
	}
	if b.cfg.Node.NATSURL != "" {
		scfg.Replicas = 3
	}
	st, err := js.CreateOrUpdateStream(ctx, scfg)
	if err != nil {
		return fmt.Errorf("benchmark: create %s: %w", baselineStream, err)
	}
	defer func() { _ = js.DeleteStream(context.Background(), baselineStream) }()
	payload := make([]byte, size)
	_, _ = rand.Read(payload)
	b.cfg.Log("JetStream, asynchronous publish")
	if b.rep.AsyncPublish, err = publishAsync(ctx, js, b.cfg.Events, payload); err != nil {
		return err
	}
	if n := asyncErrs.Load(); n > 0 {
		return fmt.Errorf("benchmark: %d asynchronous publishes failed", n)
	}
	if err := st.Purge(ctx); err != nil {
		return err
	}
	b.cfg.Log(fmt.Sprintf("JetStream, synchronous publish from %d goroutines", b.cfg.Writers))
	b.rep.SyncPublish, err = publishSync(ctx, js, b.cfg.Events, b.cfg.Writers, payload)
	return err
}

func subject(i int) string {
	return "ledgerbench.22.2201.220102.220102001.station." + strconv.Itoa(i%4096)
}

func publishAsync(ctx context.Context, js jetstream.JetStream, n int, payload []byte) (Throughput, error) {
	start := time.Now()
	for i := range n {
		if _, err := js.PublishAsync(subject(i), payload); err != nil {
			return Throughput{}, fmt.Errorf("benchmark: publish: %w", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return Throughput{}, ctx.Err()
	case <-time.After(5 * time.Minute):
		return Throughput{}, errors.New("benchmark: asynchronous publishes not acknowledged after 5 minutes")
	}
	return throughput(n, time.Since(start), nil), nil
}

func publishSync(ctx context.Context, js jetstream.JetStream, n, w int, payload []byte) (Throughput, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				_, err := js.Publish(ctx, subject(i), payload)
				lat[i] = time.Since(t)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("benchmark: publish: %w", err) })
					return
				}
			}
		})
	}
	wg.Wait()
	return throughput(n, time.Since(start), lat), firstErr
}

// rebuilds closes the node, removes its Pebble and opens it again, so
// that ingest rebuilds Pebble (events, indexes, Merkle tree) from
// JetStream; verifies the log; then closes it and rebuilds the read
// models from Pebble's log.
func (b *bench) rebuilds(ctx context.Context) error {
	_, events := b.n.Store.Position()
	dir := pebbleDir(b.n)
	if err := b.n.Close(); err != nil {
		return err
	}
	b.n = nil
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	b.cfg.Log("rebuild Pebble from JetStream")
	start := time.Now()
	n, err := node.Open(ctx, b.cfg.Node)
	if err != nil {
		return err
	}
	b.n = n
	select {
	case <-n.Store.Ready():
	case <-ctx.Done():
		return ctx.Err()
	}
	b.rep.RebuildFromJetStream = throughput(int(events), time.Since(start), nil)
	b.cfg.Log("audit verify")
	start = time.Now()
	vr, err := audit.Verify(ctx, audit.VerifyOptions{Store: n.Store, Verifier: n.Verifier})
	if err != nil {
		return err
	}
	b.rep.AuditVerify, b.rep.AuditIntact = throughput(int(vr.Events), time.Since(start), nil), vr.Intact
	b.cfg.Log("read both copies, no checks")
	start = time.Now()
	rc, err := audit.ReadCopies(ctx, audit.VerifyOptions{Store: n.Store})
	if err != nil {
		return err
	}
	b.rep.AuditReadCopies = throughput(int(rc.PebbleEvents), time.Since(start), nil)
	b.cfg.Log("read the stream as ingest does, decoding, writing nothing")
	if b.rep.ReplayStream, err = b.replayStream(ctx); err != nil {
		return err
	}
	if err := n.Close(); err != nil {
		return err
	}
	b.n = nil
	b.cfg.Log("rebuild read models")
	b.rep.RebuildReadModels, err = rebuildReadModels(ctx, dir, int(events))
	return err
}

func rebuildReadModels(ctx context.Context, dir string, events int) (Throughput, error) {
	db, err := eventstore.OpenPebble(dir, false)
	if err != nil {
		return Throughput{}, fmt.Errorf("benchmark: open pebble: %w", err)
	}
	start := time.Now()
	err = projections.Rebuild(ctx, db, "all", nil)
	d := time.Since(start)
	return throughput(events, d, nil), errors.Join(err, db.Close())
}

// replayStream reads the ledger's whole stream with an ordered consumer,
// as ingest does (the same pull size), decoding each message into its
// events and writing nothing: the bound of a rebuild of Pebble from
// JetStream.
func (b *bench) replayStream(ctx context.Context) (Throughput, error) {
	s := b.n.Store
	start := time.Now()
	st, err := s.JetStream().Stream(ctx, s.StreamName())
	if err != nil {
		return Throughput{}, fmt.Errorf("benchmark: replay: %w", err)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Msgs == 0 {
		return Throughput{Skipped: "the stream is empty (memory storage does not outlive the node)"}, err
	}
	cons, err := s.JetStream().OrderedConsumer(ctx, s.StreamName(),
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.SubjectPrefix() + ".>"}})
	if err != nil {
		return Throughput{}, fmt.Errorf("benchmark: replay: %w", err)
	}
	msgs, err := cons.Messages(jetstream.PullMaxBytes(eventstore.PullBytes))
	if err != nil {
		return Throughput{}, fmt.Errorf("benchmark: replay: %w", err)
	}
	defer msgs.Stop()
	n := 0
	for {
		m, err := msgs.Next(jetstream.NextContext(ctx))
		if err != nil {
			return Throughput{}, fmt.Errorf("benchmark: replay: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return Throughput{}, fmt.Errorf("benchmark: replay: %w", err)
		}
		evs, err := eventstore.DecodeMessage(m.Headers(), m.Data(), meta.Sequence.Stream)
		if err != nil {
			return Throughput{}, fmt.Errorf("benchmark: replay: %w", err)
		}
		if n += len(evs); meta.NumPending == 0 {
			return throughput(n, time.Since(start), nil), nil
		}
	}
}
