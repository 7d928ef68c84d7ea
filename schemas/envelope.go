package schemas

import "encoding/json"

// CloudEvent is one ledger event in CloudEvents 1.0 structured form: an
// element of a batched message (Content-Type
// application/cloudevents-batch+json). A single-event message carries the
// same attributes as headers named "ce-<attribute>", Content-Type
// application/json, and the data as its body.
type CloudEvent struct {
	// CloudEvents version, always "1.0".
	SpecVersion string `json:"specversion" jsonschema:"enum=1.0"`
	// Event ID, a ULID, unique in the ledger.
	ID string `json:"id" jsonschema:"pattern=^[0-9A-HJKMNP-TV-Z]{26}$"`
	// "/ledger/<aggregate kind>/<aggregate ID>".
	Source string `json:"source" jsonschema:"pattern=^/ledger/[a-z]+/.+$"`
	// Event type, e.g. "station.voter_checked_in"; its payload schema is schemas/events/<type>.json.
	Type string `json:"type"`
	// Recorded-at: when the ledger recorded the event (RFC 3339, UTC, nanoseconds).
	Time string `json:"time" jsonschema:"format=date-time"`
	// Aggregate ID.
	Subject string `json:"subject"`
	// urn:ledger:schema:<type>:v<schema version>, the $id of the payload's schema.
	DataSchema string `json:"dataschema" jsonschema:"pattern=^urn:ledger:schema:.+:v[0-9]+$"`
	// Schema version of the payload (decimal).
	LedgerSchemaVersion string `json:"ledgerschemaversion" jsonschema:"pattern=^[0-9]+$"`
	// Aggregate kind: election, station, consultation or inspection.
	LedgerKind string `json:"ledgerkind"`
	// The aggregate's version after this event: 1 for its first event, then +1 per event (decimal).
	LedgerVersion string `json:"ledgerversion" jsonschema:"pattern=^[0-9]+$"`
	// Region code of the aggregate: 2, 4, 6, 9 or 12 digits.
	LedgerRegion string `json:"ledgerregion" jsonschema:"pattern=^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"`
	// Occurred-at as reported by whoever recorded it (RFC 3339, UTC); absent when not reported.
	LedgerOccurredAt string `json:"ledgeroccurredat,omitempty" jsonschema:"format=date-time"`
	// Who recorded the event; absent when unknown.
	LedgerActor string `json:"ledgeractor,omitempty"`
	// ID of the command that produced the event (also the message's Nats-Msg-Id).
	LedgerCommandID string `json:"ledgercommandid"`
	// Correlation ID of the command, when given.
	LedgerCorrelationID string `json:"ledgercorrelationid,omitempty"`
	// Causation ID of the command, when given.
	LedgerCausationID string `json:"ledgercausationid,omitempty"`
	// Hash of the aggregate's previous event, hex; 64 zeros for its first event.
	LedgerPrevHash string `json:"ledgerprevhash" jsonschema:"pattern=^[0-9a-f]{64}$"`
	// SHA-256 of the event's canonical encoding (version 1), hex.
	LedgerHash string `json:"ledgerhash" jsonschema:"pattern=^[0-9a-f]{64}$"`
	// Always "application/json" (in a single-event message: the Content-Type header).
	DataContentType string `json:"datacontenttype,omitempty" jsonschema:"enum=application/json"`
	// The payload, valid against dataschema (in a single-event message: the body).
	Data json.RawMessage `json:"data,omitempty"`
}
