package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CosignStatus is the state of witness cosigning, as /metrics, the
// audit API and "ledger audit" show it.
type CosignStatus struct {
	Quorum    int `json:"quorum"`
	Witnesses int `json:"witnesses"`
	// Size and Root are the latest checkpoint's; Cosigned counts its valid
	// cosignatures by the configured witnesses.
	Size      uint64 `json:"size"`
	Root      string `json:"root,omitempty"`
	Cosigned  int    `json:"cosigned"`
	QuorumMet bool   `json:"quorum_met"`
	// QuorumSize is the largest checkpoint a quorum cosigned (0: none yet).
	QuorumSize uint64     `json:"quorum_size"`
	QuorumAt   *time.Time `json:"quorum_at,omitempty"`
	// LastLatency is the time from the cosigner's first sighting of a
	// checkpoint to its quorum, for the last one that reached it.
	LastLatencySeconds float64 `json:"last_latency_seconds"`
	QuorumsTotal       uint64  `json:"quorums_total"`
	LatencySecondsSum  float64 `json:"latency_seconds_sum"`
	// CannotObtain: the latest checkpoint lacks a quorum and too few
	// witnesses are left that have not failed or refused to reach one.
	CannotObtain bool            `json:"cannot_obtain_quorum"`
	Reason       string          `json:"reason,omitempty"`
	PerWitness   []WitnessStatus `json:"per_witness"`
}

// WitnessStatus is one witness's part of a CosignStatus.
type WitnessStatus struct {
	Name      string     `json:"name"`
	Key       string     `json:"key"`
	URL       string     `json:"url"`
	Cosigned  bool       `json:"cosigned"`   // the latest checkpoint
	KnownSize uint64     `json:"known_size"` // the size the witness holds, as last learnt
	Failing   bool       `json:"failing"`
	LastError string     `json:"last_error,omitempty"`
	ErrorAt   *time.Time `json:"last_error_at,omitempty"`
	LastOK    *time.Time `json:"last_ok_at,omitempty"`
	Requests  uint64     `json:"requests"`
	Failures  uint64     `json:"failures"`
}

// ErrNoQuorum means the latest checkpoint cannot obtain its quorum of
// witness cosignatures: see CosignStatus.Reason.
var ErrNoQuorum = errors.New("audit: cannot obtain a quorum of witness cosignatures (无法获得足够见证人联署)")

// Status returns the cosigning state now.
func (c *Cosigner) Status() CosignStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := CosignStatus{Quorum: c.cfg.Quorum, Witnesses: len(c.ws), QuorumSize: c.quorum.size,
		LastLatencySeconds: c.quorum.latency.Seconds(), QuorumsTotal: c.quorum.count, LatencySecondsSum: c.quorum.sum.Seconds()}
	if !c.quorum.at.IsZero() {
		s.QuorumAt = timePtr(c.quorum.at)
	}
	var note []byte
	if t := c.target; t != nil {
		s.Size, s.Root, note = t.size, base64.StdEncoding.EncodeToString(t.root), t.note
	}
	open := 0 // witnesses that cosigned or may still
	var lost []string
	for _, w := range c.ws {
		ws := WitnessStatus{Name: w.ep.Witness.Name, Key: w.ep.Witness.Key, URL: w.ep.URL, KnownSize: w.known,
			Failing: w.failing, LastError: w.lastErr, Requests: w.requests, Failures: w.failures}
		ws.Cosigned = note != nil && w.ep.Witness.Has(note)
		if !w.lastErrAt.IsZero() {
			ws.ErrorAt = timePtr(w.lastErrAt)
		}
		if !w.lastOK.IsZero() {
			ws.LastOK = timePtr(w.lastOK)
		}
		if ws.Cosigned {
			s.Cosigned++
		}
		if ws.Cosigned || !w.failing {
			open++
		} else {
			lost = append(lost, fmt.Sprintf("%s (%s)", ws.Name, w.lastErr))
		}
		s.PerWitness = append(s.PerWitness, ws)
	}
	s.QuorumMet = s.Cosigned >= s.Quorum
	if c.target != nil && !s.QuorumMet && open < s.Quorum {
		s.CannotObtain = true
		s.Reason = fmt.Sprintf("checkpoint of size %d: %d of %d witnesses cosigned, quorum %d; failing or refusing: %s",
			s.Size, s.Cosigned, s.Witnesses, s.Quorum, strings.Join(lost, "; "))
	}
	return s
}

// Ready returns nil while the latest checkpoint has, or can still get, a
// quorum of cosignatures, and an error wrapping ErrNoQuorum saying why
// otherwise. It is the node's "witness_quorum" readiness check.
func (c *Cosigner) Ready() error {
	s := c.Status()
	if s.CannotObtain {
		return fmt.Errorf("%w: %s", ErrNoQuorum, s.Reason)
	}
	return nil
}

func timePtr(t time.Time) *time.Time { u := t.UTC(); return &u }
