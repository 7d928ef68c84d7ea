package edge_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"ledger/domain"
	"ledger/edge"
	"ledger/node"
	"ledger/projections"
)

// refused fails the test unless err is the domain's refusal with code.
func refused(t *testing.T, err error, code string) {
	t.Helper()
	e, ok := domain.AsError(err)
	if !ok || e.Code != code {
		t.Fatalf("got %v, want the refusal %s", err, code)
	}
}

// TestDelegationAndOfflineRecording: a station delegated to an edge takes
// writes only there (the hub refuses them, the edge refuses the hub's
// aggregates and other stations); with its link cut the edge records
// check-ins durably, across a restart on its own copy.
func TestDelegationAndOfflineRecording(t *testing.T) {
	hub, leaf := openHub(t)
	e := newElection()
	e.setup(t, hub, 20, 10)
	do(t, hub, "delegate_station", "2026-04-12T10:00:00+08:00", e.at(e.A, map[string]any{"edge": "a"}))
	_, err := try(hub, "open_polls", "2026-05-01T08:00:00+08:00", e.at(e.A, map[string]any{"round": 1}))
	refused(t, err, "station_delegated")
	_, err = try(hub, "delegate_station", "2026-04-12T10:00:00+08:00", e.at(e.A, map[string]any{"edge": "b"}))
	refused(t, err, "station_delegated")

	ln := newLink(t, leaf)
	dir := t.TempDir()
	ea, closeA := openEdge(t, dir, "a", ln.url(), e.A)
	_, err = try(ea, "open_polls", "2026-05-01T08:00:00+08:00", e.at(e.B, map[string]any{"round": 1}))
	refused(t, err, "not_delegated_here")
	_, err = try(ea, "publish_candidates", "2026-04-13T09:00:00+08:00", e.addr(map[string]any{}))
	refused(t, err, "not_delegated_here")
	_, err = try(ea, "reclaim_station", "2026-05-01T08:00:00+08:00", e.at(e.A, map[string]any{"edge": "a"}))
	refused(t, err, "hub_only")

	ln.cut()
	waitFor(t, 10*time.Second, "the edge sees its link down", func() (bool, error) { return !edge.Connected(ea.Store.Server()), nil })
	do(t, ea, "open_polls", "2026-05-01T08:00:00+08:00", e.at(e.A, map[string]any{"round": 1}))
	for roll := 1; roll <= 10; roll++ {
		do(t, ea, "check_in", "2026-05-01T09:00:00+08:00", e.at(e.A, map[string]any{"roll_no": roll, "mode": "in_person"}))
	}
	_, err = try(ea, "check_in", "2026-05-01T09:00:00+08:00", e.at(e.A, map[string]any{"roll_no": 25, "mode": "in_person"}))
	refused(t, err, "wrong_station")
	_, err = try(ea, "check_in", "2026-05-01T09:00:00+08:00", e.at(e.A, map[string]any{"roll_no": 3, "mode": "in_person"}))
	refused(t, err, "already_checked_in")

	// A restart while the link is down starts on the edge's own copy.
	closeA()
	again, err := node.Open(context.Background(), node.Config{DataDir: dir, Origin: "edge-a", Edge: "a",
		ConfigureServer: edge.EdgeServer("a", ln.url(), 100*time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, stop, err := edge.Start(ctx, again, edge.Config{ID: "a", Station: e.A, Retry: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())
	got, err := projections.TurnoutOfStation(ctx, again.Store.DB(), e.A)
	if err != nil {
		t.Fatal(err)
	}
	if got.Voted != 10 {
		t.Fatalf("after a restart offline the edge's turnout at A is %d, want 10", got.Voted)
	}
	do(t, again, "check_in", "2026-05-01T09:30:00+08:00", e.at(e.A, map[string]any{"roll_no": 11, "mode": "in_person"}))

	// The link returns: the hub records the edge's 11 check-ins.
	ctx = context.Background()
	h, stopHub := edge.StartHub(hub, edge.HubConfig{Poll: 100 * time.Millisecond})
	defer stopHub(context.Background())
	ln.restore()
	restored := time.Now()
	defer func() { t.Logf("caught up %s after the link returned", time.Since(restored)) }()
	waitFor(t, 60*time.Second, "the hub records the edge's check-ins", func() (bool, error) {
		got, err := projections.TurnoutOfStation(ctx, hub.Store.DB(), e.A)
		if err == nil && got.Voted != 11 {
			si, _ := hub.Store.JetStream().Stream(ctx, edge.Inbox("a"))
			info, _ := si.Info(ctx)
			err = fmt.Errorf("turnout %d, edges %+v mirror %+v state %+v", got.Voted, h.Edges(), info.Mirror, info.State)
		}
		return err == nil, err
	})
}
