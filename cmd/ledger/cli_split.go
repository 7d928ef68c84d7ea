package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"ledger/domain"
)

// maxSplitBody is the most bytes one part of a split batch may take: the
// server's default body limit (server.Options.MaxBodyBytes, 1 MiB), less room
// for the envelope of the request.
const maxSplitBody = 1<<20 - 4096

// splitItems cuts items into parts of at most domain.MaxStationBatch items
// whose JSON, put in body under key, is at most maxBytes. A single item
// larger than that is a part of its own (the server then refuses it).
func splitItems(body map[string]any, key string, items []any, maxBytes int) ([][]any, error) {
	base, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	var parts [][]any
	var cur []any
	size := len(base)
	for _, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		if len(cur) > 0 && (len(cur) == domain.MaxStationBatch || size+len(b)+1 > maxBytes) {
			parts, cur, size = append(parts, cur), nil, len(base)
		}
		cur, size = append(cur, it), size+len(b)+1
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	return parts, nil
}

// partID derives the command ID of part k of a split batch from the
// batch's ID, so that sending the batch again with the same --command-id
// is a retry of each part.
func partID(batch string, k int) string {
	sum := sha256.Sum256([]byte(batch + "/" + strconv.Itoa(k)))
	id, _ := ulid.Parse(batch)
	_ = id.SetEntropy(sum[:10])
	return id.String()
}

// runSplit records a batch command whose items (body[s.split]) exceed one
// command: as several commands of at most domain.MaxStationBatch items
// and maxSplitBody bytes each, in order, each atomic on its own. It says
// what it sends, and on a refusal which parts were recorded and which not.
func (s cmdSpec) runSplit(cmd *cobra.Command, a *apiFlags, body map[string]any) error {
	items, ok := body[s.split].([]any)
	if !ok {
		return usageError{fmt.Errorf("--%s must be a JSON array", s.split)}
	}
	parts, err := splitItems(body, s.split, items, maxSplitBody)
	if err != nil || len(parts) <= 1 {
		if err != nil {
			return err
		}
		return s.run(cmd, a, body, 1)
	}
	batch := a.commandID
	if batch == "" {
		batch = ulid.Make().String()
	}
	if _, err := ulid.ParseStrict(batch); err != nil {
		return usageError{fmt.Errorf("--command-id: %w", err)}
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "ledger: %d items sent as %d %s commands of at most %d (batch %s: give it as --command-id to send the same batch again safely)\n",
		len(items), len(parts), s.ct, domain.MaxStationBatch, batch)
	defer func(id string) { a.commandID = id }(a.commandID)
	first := 0
	for k, p := range parts {
		body[s.split] = p
		a.commandID = partID(batch, k)
		fmt.Fprintf(w, "ledger: part %d of %d: items %d-%d\n", k+1, len(parts), first+1, first+len(p))
		if err := s.run(cmd, a, body, 1); err != nil {
			done := "no items are recorded"
			if first > 0 {
				done = fmt.Sprintf("items 1-%d are recorded", first)
			}
			fmt.Fprintf(w, "ledger: part %d of %d refused: %s, items %d-%d are not\n", k+1, len(parts), done, first+1, len(items))
			return err
		}
		first += len(p)
	}
	return nil
}
