package eventstore

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"ledger/envelope"
)

// Aggregate names one aggregate: its kind, its client-chosen ID and the
// region it belongs to (an administrative division code).
type Aggregate = envelope.Aggregate

// regionDigits are the lengths of a region code at each level, from
// province to community or village.
var regionDigits = [...]int{2, 4, 6, 9, 12}

// RegionTokens returns the five subject tokens of a region code: its
// province, city, county, township and village prefixes, "_" where the code
// stops above that level.
func RegionTokens(region string) [5]string {
	var t [5]string
	for i, n := range regionDigits {
		if len(region) >= n {
			t[i] = region[:n]
		} else {
			t[i] = "_"
		}
	}
	return t
}

// Subject returns the subject an aggregate's messages are published on.
func Subject(prefix string, a Aggregate) string {
	t := RegionTokens(a.Region)
	var b strings.Builder
	b.Grow(len(prefix) + 48 + len(a.Kind) + len(a.ID))
	b.WriteString(prefix)
	for _, tok := range t {
		b.WriteByte('.')
		b.WriteString(tok)
	}
	b.WriteByte('.')
	b.WriteString(a.Kind)
	b.WriteByte('.')
	b.WriteString(a.ID)
	return b.String()
}

// validToken reports whether s may be one token of a subject.
func validToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '.' || c == '*' || c == '>' || c >= 0x7f {
			return false
		}
	}
	return true
}

func validRegion(r string) bool {
	ok := false
	for _, n := range regionDigits {
		ok = ok || len(r) == n
	}
	for i := 0; i < len(r); i++ {
		ok = ok && r[i] >= '0' && r[i] <= '9'
	}
	return ok
}

// CloudEvents attributes in headers (NATS protocol binding, binary content
// mode), and the ledger's extension attributes. A message that holds more
// than one event uses the batched content mode instead: Content-Type
// application/cloudevents-batch+json and a JSON array of structured events
// whose attribute names are the header names without "ce-".
const (
	HeaderSpecVersion   = "ce-specversion"
	HeaderID            = "ce-id"
	HeaderSource        = "ce-source"
	HeaderType          = "ce-type"
	HeaderTime          = "ce-time"
	HeaderSubject       = "ce-subject"
	HeaderDataSchema    = "ce-dataschema"
	HeaderContentType   = "Content-Type"
	HeaderSchemaVersion = "ce-ledgerschemaversion"
	HeaderKind          = "ce-ledgerkind"
	HeaderVersion       = "ce-ledgerversion"
	HeaderRegion        = "ce-ledgerregion"
	HeaderOccurredAt    = "ce-ledgeroccurredat"
	HeaderActor         = "ce-ledgeractor"
	HeaderCommandID     = "ce-ledgercommandid"
	HeaderCorrelationID = "ce-ledgercorrelationid"
	HeaderCausationID   = "ce-ledgercausationid"
	HeaderPrevHash      = "ce-ledgerprevhash"
	HeaderHash          = "ce-ledgerhash"

	contentJSON  = "application/json"
	contentBatch = "application/cloudevents-batch+json"
)

// ceHeader returns the header name of a CloudEvents attribute without
// allocating for the attributes the ledger writes.
func ceHeader(attr string) string {
	if h, ok := ceHeaders[attr]; ok {
		return h
	}
	return "ce-" + attr
}

var ceHeaders = func() map[string]string {
	m := map[string]string{}
	for _, h := range []string{HeaderSpecVersion, HeaderID, HeaderSource, HeaderType, HeaderTime, HeaderSubject,
		HeaderDataSchema, HeaderSchemaVersion, HeaderKind, HeaderVersion, HeaderRegion, HeaderOccurredAt,
		HeaderActor, HeaderCommandID, HeaderCorrelationID, HeaderCausationID, HeaderPrevHash, HeaderHash} {
		m[h[len("ce-"):]] = h
	}
	return m
}()

// attrs lists an event's CloudEvents attributes as (name, value) pairs,
// names without the "ce-" prefix.
func attrs(e *Envelope) [][2]string {
	a := [][2]string{
		{"specversion", "1.0"},
		{"id", e.EventID},
		{"source", "/ledger/" + e.AggregateKind + "/" + e.AggregateID},
		{"type", e.Type},
		{"time", e.RecordedAt.UTC().Format(time.RFC3339Nano)},
		{"subject", e.AggregateID},
		{"dataschema", "urn:ledger:schema:" + e.Type + ":v" + strconv.Itoa(e.SchemaVersion)},
		{"ledgerschemaversion", strconv.Itoa(e.SchemaVersion)},
		{"ledgerkind", e.AggregateKind},
		{"ledgerversion", strconv.FormatUint(e.Version, 10)},
		{"ledgerregion", e.Region},
		{"ledgercommandid", e.CommandID},
		{"ledgerprevhash", hex.EncodeToString(e.PrevHash[:])},
		{"ledgerhash", hex.EncodeToString(e.Hash[:])},
	}
	if !e.OccurredAt.IsZero() {
		a = append(a, [2]string{"ledgeroccurredat", e.OccurredAt.UTC().Format(time.RFC3339Nano)})
	}
	for _, kv := range [][2]string{{"ledgeractor", e.Actor}, {"ledgercorrelationid", e.CorrelationID}, {"ledgercausationid", e.CausationID}} {
		if kv[1] != "" {
			a = append(a, kv)
		}
	}
	return a
}

// EncodeMessage builds the JetStream message that records one command's
// events (all of the same aggregate, already sealed). The message ID is the
// command ID.
func EncodeMessage(prefix string, events []Envelope) *nats.Msg {
	e := &events[0]
	m := &nats.Msg{Subject: Subject(prefix, e.Aggregate()), Header: make(nats.Header, 24)}
	m.Header[nats.MsgIdHdr] = []string{e.CommandID}
	if len(events) == 1 {
		a := attrs(e)
		vals := make([]string, len(a)) // one backing array for every header value
		for i, kv := range a {
			vals[i] = kv[1]
			m.Header[ceHeader(kv[0])] = vals[i : i+1 : i+1]
		}
		m.Header[HeaderContentType] = []string{contentJSON}
		m.Data = e.Payload
		return m
	}
	m.Header[HeaderContentType] = []string{contentBatch}
	m.Header[HeaderSpecVersion] = []string{"1.0"}
	m.Header[HeaderType] = []string{e.Type}
	m.Header[HeaderCommandID] = []string{e.CommandID}
	m.Data = encodeBatch(events)
	return m
}

func encodeBatch(events []Envelope) []byte {
	n := 2
	for i := range events {
		n += batchEventSize(&events[i])
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBatchEvent(b, &events[i])
	}
	return append(b, ']')
}

// appendBatchEvent appends one event of a batch: its attributes as attrs
// lists them, then its data. It writes straight into b, without the
// strings attrs builds: a batch of 50 check-ins is encoded for every
// command a station's device sends.
func appendBatchEvent(b []byte, e *Envelope) []byte {
	b = append(b, `{"specversion":"1.0","id":`...)
	b = appendJSONString(b, e.EventID)
	b = append(b, `,"source":`...)
	b = appendJSONStrings(b, "/ledger/", e.AggregateKind, "/", e.AggregateID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.Type)
	b = append(b, `,"time":"`...)
	b = e.RecordedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","subject":`...)
	b = appendJSONString(b, e.AggregateID)
	b = append(b, `,"dataschema":`...)
	b = appendJSONStrings(b, "urn:ledger:schema:", e.Type, ":v", strconv.Itoa(e.SchemaVersion))
	b = append(b, `,"ledgerschemaversion":"`...)
	b = strconv.AppendInt(b, int64(e.SchemaVersion), 10)
	b = append(b, `","ledgerkind":`...)
	b = appendJSONString(b, e.AggregateKind)
	b = append(b, `,"ledgerversion":"`...)
	b = strconv.AppendUint(b, e.Version, 10)
	b = append(b, `","ledgerregion":`...)
	b = appendJSONString(b, e.Region)
	b = append(b, `,"ledgercommandid":`...)
	b = appendJSONString(b, e.CommandID)
	b = append(b, `,"ledgerprevhash":"`...)
	b = hex.AppendEncode(b, e.PrevHash[:])
	b = append(b, `","ledgerhash":"`...)
	b = hex.AppendEncode(b, e.Hash[:])
	b = append(b, '"')
	if !e.OccurredAt.IsZero() {
		b = append(b, `,"ledgeroccurredat":"`...)
		b = e.OccurredAt.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	for _, kv := range [...][2]string{{`,"ledgeractor":`, e.Actor}, {`,"ledgercorrelationid":`, e.CorrelationID}, {`,"ledgercausationid":`, e.CausationID}} {
		if kv[1] != "" {
			b = append(b, kv[0]...)
			b = appendJSONString(b, kv[1])
		}
	}
	b = append(b, `,"datacontenttype":"application/json","data":`...)
	b = append(b, e.Payload...)
	return append(b, '}')
}

// batchEventSize is the size appendBatchEvent gives e, or a little more
// (exact but for digits and a time's fraction), when no string needs
// escaping.
func batchEventSize(e *Envelope) int {
	// Names and punctuation, the quotes of eight strings, the fixed parts
	// of source and dataschema, two hashes in hex, a time, two schema
	// versions and a version.
	n := 254 + 16 + 9 + 20 + 2*2*HashSize + 30 + 2*3 + 20
	n += len(e.Payload) + len(e.EventID) + 2*len(e.AggregateKind) + 2*len(e.AggregateID) + 2*len(e.Type) + len(e.Region) + len(e.CommandID)
	if !e.OccurredAt.IsZero() {
		n += 21 + 30 + 1
	}
	for _, o := range [...]struct{ name, v string }{{"ledgeractor", e.Actor}, {"ledgercorrelationid", e.CorrelationID}, {"ledgercausationid", e.CausationID}} {
		if o.v != "" {
			n += len(o.name) + 6 + len(o.v)
		}
	}
	return n
}

// appendJSONStrings appends the concatenation of parts as one JSON string.
func appendJSONStrings(b []byte, parts ...string) []byte {
	for _, p := range parts {
		if !plainJSON(p) {
			return appendJSONString(b, strings.Join(parts, ""))
		}
	}
	b = append(b, '"')
	for _, p := range parts {
		b = append(b, p...)
	}
	return append(b, '"')
}

// appendJSONString appends s as a JSON string. Printable ASCII without a
// quote or a backslash, which is what the ledger's attributes are, goes as
// it is; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	if !plainJSON(s) {
		q, _ := json.Marshal(s) // a string always marshals
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSON reports whether s is printable ASCII without a quote or a
// backslash: its JSON string is s in quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ErrBadMessage means a JetStream message is not a ledger record.
var ErrBadMessage = errors.New("eventstore: not a ledger message")

// DecodeMessage parses a ledger message back into its events, checks each
// event's hash against its contents and sets Seq. It never panics on bad
// input; errors wrap ErrCorrupt.
func DecodeMessage(hdr nats.Header, data []byte, seq uint64) ([]Envelope, error) {
	get := func(name string) string {
		if v := hdr[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var events []Envelope
	switch get(HeaderContentType) {
	case contentJSON:
		e, err := envelopeFromAttrs(func(n string) string { return get(ceHeader(n)) }, data)
		if err != nil {
			return nil, err
		}
		events = []Envelope{e}
	case contentBatch:
		raw, ok := parseBatch(data)
		if !ok {
			if err := json.Unmarshal(data, &raw); err != nil || len(raw) == 0 {
				return nil, fmt.Errorf("%w: bad batch: %v", ErrCorrupt, err)
			}
		}
		events = make([]Envelope, 0, len(raw))
		for i := range raw {
			e, err := envelopeFromAttrs(raw[i].attr, raw[i].Data)
			if err != nil {
				return nil, err
			}
			events = append(events, e)
		}
	default:
		return nil, fmt.Errorf("%w: %w: content type %q", ErrCorrupt, ErrBadMessage, get(HeaderContentType))
	}
	for i := range events {
		events[i].Seq = seq
	}
	return events, nil
}

// batchEvent is one structured event of a batch: the attributes
// envelopeFromAttrs reads, and the data. Other attributes are ignored.
type batchEvent struct {
	ID                  string          `json:"id"`
	Type                string          `json:"type"`
	Time                string          `json:"time"`
	Subject             string          `json:"subject"`
	LedgerSchemaVersion string          `json:"ledgerschemaversion"`
	LedgerKind          string          `json:"ledgerkind"`
	LedgerVersion       string          `json:"ledgerversion"`
	LedgerRegion        string          `json:"ledgerregion"`
	LedgerOccurredAt    string          `json:"ledgeroccurredat"`
	LedgerActor         string          `json:"ledgeractor"`
	LedgerCommandID     string          `json:"ledgercommandid"`
	LedgerCorrelationID string          `json:"ledgercorrelationid"`
	LedgerCausationID   string          `json:"ledgercausationid"`
	LedgerPrevHash      string          `json:"ledgerprevhash"`
	LedgerHash          string          `json:"ledgerhash"`
	Data                json.RawMessage `json:"data"`
}

// attr returns the attribute named n ("" when absent).
func (b *batchEvent) attr(n string) string {
	if f := b.field(batchAttrIndex(n)); f != nil {
		return *f
	}
	return ""
}

func envelopeFromAttrs(get func(string) string, data []byte) (Envelope, error) {
	var e Envelope
	var errs []error
	num := func(name string) uint64 {
		v, err := strconv.ParseUint(get(name), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %q", name, get(name)))
		}
		return v
	}
	tm := func(name string, optional bool) time.Time {
		s := get(name)
		if s == "" && optional {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %q", name, s))
		}
		return t.UTC()
	}
	hash := func(name string) Hash {
		var h Hash
		b, err := hex.DecodeString(get(name))
		if err != nil || len(b) != HashSize {
			errs = append(errs, fmt.Errorf("attribute %s: not a hash", name))
		}
		copy(h[:], b)
		return h
	}
	e.EventID, e.Type = get("id"), get("type")
	e.SchemaVersion = int(num("ledgerschemaversion"))
	e.AggregateKind, e.AggregateID = get("ledgerkind"), get("subject")
	e.Version = num("ledgerversion")
	e.Region = get("ledgerregion")
	e.RecordedAt, e.OccurredAt = tm("time", false), tm("ledgeroccurredat", true)
	e.Actor, e.CommandID = get("ledgeractor"), get("ledgercommandid")
	e.CorrelationID, e.CausationID = get("ledgercorrelationid"), get("ledgercausationid")
	e.Payload = append([]byte(nil), data...)
	e.PrevHash, e.Hash = hash("ledgerprevhash"), hash("ledgerhash")
	if len(errs) > 0 {
		return Envelope{}, fmt.Errorf("%w: %w", ErrCorrupt, errors.Join(errs...))
	}
	if e.ComputeHash() != e.Hash {
		return Envelope{}, fmt.Errorf("%w: event %s: hash does not match contents", ErrCorrupt, e.EventID)
	}
	return e, nil
}
