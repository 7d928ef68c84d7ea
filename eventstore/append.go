package eventstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
)

// EventData is one event to append: its type, schema version and JSON
// payload.
type EventData struct {
	Type          string
	SchemaVersion int
	Payload       []byte
}

// Meta describes the command that produced the events.
type Meta struct {
	CommandID     string    // client-chosen, unique per command (a ULID); required
	Actor         string    // who recorded it
	CorrelationID string    // optional
	CausationID   string    // optional
	OccurredAt    time.Time // as reported; zero when not reported
}

// Result tells where a command's events landed.
type Result struct {
	Seq           uint64     `json:"seq"`            // the JetStream message holding them
	FirstPosition uint64     `json:"first_position"` // global log positions
	LastPosition  uint64     `json:"last_position"`
	Version       uint64     `json:"version"` // the aggregate's version after the command
	Duplicate     bool       `json:"duplicate"`
	Events        []Envelope `json:"events"`
}

// Errors of Append. Match them with errors.Is.
var (
	ErrConflict = errors.New("eventstore: wrong expected version")
	ErrInvalid  = errors.New("eventstore: invalid append")
)

// ErrPublishTimeout means JetStream did not acknowledge a command in time
// (a server or stream leader lost mid-publish). The command may or may not
// be recorded; a retry with the same command ID is safe.
var ErrPublishTimeout = errors.New("eventstore: no acknowledgement from JetStream")

// ErrStorageLimit means JetStream refused a command's message because its
// server has reached its storage limit; nothing was recorded. The embedded
// server's limit is Config.MaxStore, by default three quarters of the disk
// space free when it started. JetStream counts messages at their size
// before compression, so with Compress the limit is reached while the disk
// holds about a third of it.
var ErrStorageLimit = errors.New("eventstore: JetStream's storage limit is reached")

// ConflictError is returned when the expected version is stale. It carries
// the aggregate's current version, so a caller can reload and retry. It
// matches ErrConflict.
type ConflictError struct {
	Aggregate Aggregate
	Expected  uint64
	Current   uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("eventstore: %s: expected version %d, current %d", e.Aggregate, e.Expected, e.Current)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Append records the events of one command on one aggregate, atomically
// (one JetStream message holds them all), if the aggregate is still at
// expectedVersion (0 for a new aggregate); otherwise it returns a
// *ConflictError. The same command ID appended again returns the original
// Result with Duplicate set and writes nothing, also after JetStream's
// duplicate window. Append returns once the events are in JetStream and
// fsynced in this node's Pebble. Appends to different aggregates run
// concurrently; appends to one aggregate in this process are serialized.
func (s *Store) Append(ctx context.Context, agg Aggregate, expectedVersion uint64, meta Meta, events ...EventData) (Result, error) {
	p, err := s.Submit(ctx, agg, expectedVersion, meta, events...)
	if err != nil {
		return Result{}, err
	}
	return p.Wait(ctx)
}

// Pending is a command that JetStream has accepted and that is on its way
// into Pebble. Its Version is already the aggregate's version, so the
// aggregate's next command can be decided and submitted at once
// (pipelining); the command counts as recorded only once Wait returns.
type Pending struct {
	s         *Store
	seq       uint64
	events    []Envelope // nil for a duplicate
	Version   uint64     // the aggregate's version after the command
	duplicate *Result    // set when the command was found recorded before publishing
}

// Submit is the first half of Append: it returns once JetStream holds the
// command's message (or knows it already), before ingest has made it
// durable in Pebble. Call Wait for the durable Result.
func (s *Store) Submit(ctx context.Context, agg Aggregate, expectedVersion uint64, meta Meta, events ...EventData) (*Pending, error) {
	if s.readOnly {
		return nil, ErrReadOnly
	}
	events, err := validateAppend(agg, meta, events)
	if err != nil {
		return nil, err
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := s.ingestErr(); err != nil {
		// Ingest stopped (a broken chain, a failed fsync): nothing new is
		// published into a log this node cannot apply.
		return nil, fmt.Errorf("eventstore: ingest stopped: %w", err)
	}
	if s.mayBeRecorded(meta.CommandID) {
		if r, ok, err := s.Command(ctx, meta.CommandID); err != nil || ok {
			return &Pending{s: s, seq: r.Seq, Version: r.Version, duplicate: &r}, err
		}
	}
	sealed, seq, err := s.publish(ctx, agg, expectedVersion, meta, events)
	if err != nil {
		return nil, err
	}
	p := &Pending{s: s, seq: seq, events: sealed}
	if sealed != nil {
		p.Version = sealed[len(sealed)-1].Version
	}
	return p, nil
}

// Wait blocks until the command is durable in this node's Pebble and
// returns where its events landed.
func (p *Pending) Wait(ctx context.Context) (Result, error) {
	if p.duplicate != nil {
		return *p.duplicate, nil
	}
	s := p.s
	if err := s.waitSeq(ctx, p.seq); err != nil {
		return Result{}, err
	}
	if p.events == nil { // a duplicate within JetStream's window
		return s.resultOf(p.seq, true)
	}
	ref, err := s.messageRef(p.seq)
	if err != nil {
		return Result{}, err
	}
	for i := range p.events {
		p.events[i].Seq, p.events[i].Position = p.seq, ref.First+uint64(i)
	}
	return Result{Seq: p.seq, FirstPosition: ref.First, LastPosition: ref.First + uint64(ref.Count) - 1,
		Version: p.Version, Events: p.events}, nil
}

// resultOf reads back the result of the command recorded in message seq.
func (s *Store) resultOf(seq uint64, duplicate bool) (Result, error) {
	ref, err := s.messageRef(seq)
	if err != nil {
		return Result{}, err
	}
	r, err := s.result(ref)
	r.Duplicate = duplicate
	return r, err
}

// mayBeRecorded reports whether a command might have been recorded
// earlier than JetStream's duplicate window can tell. A command ID that is a
// ULID minted within the last half window (allowing 5 s of clock skew) was
// first published within the window, so JetStream's deduplication answers
// its retries and the Pebble lookup can be skipped on this hot path. Any
// other ID is looked up.
func (s *Store) mayBeRecorded(commandID string) bool {
	id, err := ulid.ParseStrict(commandID)
	if err != nil {
		return true
	}
	minted := ulid.Time(id.Time())
	now := s.cfg.Now()
	return minted.Before(now.Add(-s.cfg.DuplicateWindow/2)) || minted.After(now.Add(5*time.Second))
}

// publish sends the command's message under the aggregate's lock and
// returns its events and stream sequence once JetStream has it; no events
// when JetStream already had the command.
func (s *Store) publish(ctx context.Context, agg Aggregate, expected uint64, meta Meta, data []EventData) ([]Envelope, uint64, error) {
	mu := s.lockFor(agg)
	mu.Lock()
	defer mu.Unlock()
	key := agg.String()
	h, err := s.head(ctx, agg)
	if err != nil {
		return nil, 0, err
	}
	if h.Region != "" && h.Region != agg.Region {
		return nil, 0, fmt.Errorf("%w: %s belongs to region %s, not %s", ErrInvalid, agg, h.Region, agg.Region)
	}
	if h.Version != expected {
		// The cached head may be stale (another process appended): only
		// the log of record may say the caller is behind.
		s.heads.Delete(key)
		if h, err = s.head(ctx, agg); err != nil {
			return nil, 0, err
		}
	}
	if h.Version != expected {
		s.stats.Conflicts.Add(1)
		return nil, 0, &ConflictError{Aggregate: agg, Expected: expected, Current: h.Version}
	}
	events := s.seal(agg, h, meta, data)
	m := EncodeMessage(s.cfg.SubjectPrefix, events)
	if s.cfg.SharedStream || !h.Acked || s.foreign.Load() {
		// JetStream checks that the aggregate's last message is still
		// the one its head names. A head this node's own publish left
		// needs no check while no one else publishes: JetStream would
		// load that message (and often its whole block) for every
		// command.
		m.Header[jetstream.ExpectedLastSubjSeqHeader] = []string{strconv.FormatUint(h.Seq, 10)}
	}
	s.sent.add(meta.CommandID, m, events)
	ack, err := s.await(ctx, m)
	var rejected *jetstream.APIError
	if errors.As(err, &rejected) || err == nil && ack.Duplicate {
		// Not in the stream as sent. After any other error the outcome
		// is unknown: if the message did land, ingest will read it from
		// the stream and should still know it as this node's own.
		s.sent.drop(meta.CommandID)
	}
	if err != nil {
		s.heads.Delete(key)
		if isWrongLastSeq(err) {
			return nil, 0, s.conflictAfterReload(ctx, agg, expected)
		}
		if isStorageLimit(err) {
			return nil, 0, fmt.Errorf("%w: publish %s: %w", ErrStorageLimit, agg, err)
		}
		return nil, 0, fmt.Errorf("eventstore: publish %s: %w", agg, err)
	}
	if ack.Duplicate {
		s.heads.Delete(key)
		s.stats.Duplicates.Add(1)
		return nil, ack.Sequence, nil
	}
	last := &events[len(events)-1]
	s.heads.Put(key, head{Version: last.Version, Seq: ack.Sequence, Hash: last.Hash, Region: agg.Region, Acked: true})
	s.stats.Appended.Add(uint64(len(events))) // onAck hands the events to ingest, before or after this runs
	return events, ack.Sequence, nil
}

// await publishes m and waits for JetStream's acknowledgement. An
// attempt that gets no answer within natsAttempt (the stream's leader was
// lost, the connection is being re-established) is sent again: its
// message ID makes JetStream store it once, and a resend of a stored
// message is acknowledged as a duplicate. After PublishTimeout it gives
// up with ErrPublishTimeout.
func (s *Store) await(ctx context.Context, m *nats.Msg) (*jetstream.PubAck, error) {
	pctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()
	var ack *jetstream.PubAck
	err := retry(pctx, natsAttempt, func(actx context.Context) error {
		fut, err := s.js.PublishMsgAsync(m)
		if err != nil {
			return err
		}
		select {
		case ack = <-fut.Ok():
			return nil
		case err := <-fut.Err():
			return err
		case <-actx.Done():
			return actx.Err()
		}
	})
	if err != nil && ctx.Err() == nil && pctx.Err() != nil {
		return nil, fmt.Errorf("%w after %v (the outcome is unknown: retry with the same command ID): %w", ErrPublishTimeout, s.cfg.PublishTimeout, err)
	}
	return ack, err
}

func (s *Store) conflictAfterReload(ctx context.Context, agg Aggregate, expected uint64) error {
	s.stats.Conflicts.Add(1)
	h, err := s.head(ctx, agg)
	if err != nil {
		return err
	}
	return &ConflictError{Aggregate: agg, Expected: expected, Current: h.Version}
}

// isWrongLastSeq reports JetStream's "wrong last sequence" errors.
func isWrongLastSeq(err error) bool { return hasAPICode(err, 10071, 10164) }

// isStorageLimit reports JetStream's refusals for want of storage
// (nats-server's JSInsufficientResourcesErr and
// JSStorageResourcesExceededErr).
func isStorageLimit(err error) bool { return hasAPICode(err, 10023, 10047) }

// hasAPICode reports whether err is a JetStream API error with one of the
// given error codes.
func hasAPICode(err error, codes ...jetstream.ErrorCode) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && slices.Contains(codes, api.ErrorCode)
}

// seal builds the envelopes of a command that follows head h.
func (s *Store) seal(agg Aggregate, h head, meta Meta, data []EventData) []Envelope {
	now := s.now()
	events := make([]Envelope, len(data))
	prev := h.Hash
	for i, d := range data {
		e := &events[i]
		*e = Envelope{
			EventID: ulid.Make().String(), Type: d.Type, SchemaVersion: d.SchemaVersion,
			AggregateKind: agg.Kind, AggregateID: agg.ID, Version: h.Version + uint64(i) + 1,
			Region: agg.Region, RecordedAt: now, OccurredAt: meta.OccurredAt.UTC(),
			Actor: meta.Actor, CommandID: meta.CommandID,
			CorrelationID: meta.CorrelationID, CausationID: meta.CausationID,
			Payload: d.Payload, PrevHash: prev,
		}
		if meta.OccurredAt.IsZero() {
			e.OccurredAt = time.Time{}
		}
		e.Seal()
		prev = e.Hash
	}
	return events
}

// head returns an aggregate's head: from the cache, else from JetStream
// (the log of record).
func (s *Store) head(ctx context.Context, agg Aggregate) (head, error) {
	if h, ok := s.heads.Get(agg.String()); ok {
		return h, nil
	}
	raw, err := s.lastMsg(ctx, Subject(s.cfg.SubjectPrefix, agg))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return s.headFromPebble(agg)
	}
	if err != nil {
		return head{}, fmt.Errorf("eventstore: read head of %s: %w", agg, err)
	}
	events, err := DecodeMessage(raw.Header, raw.Data, raw.Sequence)
	if err != nil {
		return head{}, fmt.Errorf("eventstore: head of %s: %w", agg, err)
	}
	last := events[len(events)-1]
	h := head{Version: last.Version, Seq: raw.Sequence, Hash: last.Hash, Region: last.Region}
	s.heads.Put(agg.String(), h)
	return h, nil
}

// lastMsg reads the last message of subject from the stream's leader,
// retrying while the stream has no leader (see retry).
func (s *Store) lastMsg(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	var raw *jetstream.RawStreamMsg
	err := retry(ctx, natsAttempt, func(ctx context.Context) error {
		var err error
		raw, err = s.stream.GetLastMsgForSubject(ctx, subject)
		return err
	})
	return raw, err
}

// headFromPebble finds an aggregate that exists under another region's
// subject, so that it cannot be forked by naming a different region.
func (s *Store) headFromPebble(agg Aggregate) (head, error) {
	h, ok, err := s.lastOf(agg.Kind, agg.ID)
	if err != nil || !ok {
		return head{}, err
	}
	if h.Region == agg.Region {
		return head{}, fmt.Errorf("%w: %s is in Pebble but not in the stream", ErrCorrupt, agg)
	}
	return h, nil
}

// validateAppend checks a command and returns its events with their
// payloads compacted, in a slice of its own: the caller's slice (a
// variadic argument may be the caller's own) is left as it was.
func validateAppend(agg Aggregate, meta Meta, events []EventData) ([]EventData, error) {
	switch {
	case !validToken(agg.Kind) || !validToken(agg.ID):
		return nil, fmt.Errorf("%w: aggregate kind and ID must be non-empty subject tokens: %q %q", ErrInvalid, agg.Kind, agg.ID)
	case !validRegion(agg.Region):
		return nil, fmt.Errorf("%w: region %q is not a division code of 2, 4, 6, 9 or 12 digits", ErrInvalid, agg.Region)
	case !validToken(meta.CommandID):
		return nil, fmt.Errorf("%w: a command ID is required", ErrInvalid)
	case len(events) == 0:
		return nil, fmt.Errorf("%w: no events", ErrInvalid)
	}
	out := make([]EventData, len(events))
	for i := range events {
		if events[i].Type == "" || !json.Valid(events[i].Payload) {
			return nil, fmt.Errorf("%w: event %d needs a type and a JSON payload", ErrInvalid, i)
		}
		var buf bytes.Buffer
		_ = json.Compact(&buf, events[i].Payload) // valid JSON always compacts
		out[i] = events[i]
		out[i].Payload = buf.Bytes()
	}
	return out, nil
}
