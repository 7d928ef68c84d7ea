package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestCommandRetriesWithTheSameID answers 503 once, then records; the
// retry must carry the same command ID and the Occurred-At header.
func TestCommandRetriesWithTheSameID(t *testing.T) {
	var calls atomic.Int32
	var ids []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, r.Header.Get("Idempotency-Key"))
		if r.Header.Get("Occurred-At") != "2026-05-01T08:00:00+08:00" || r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("headers: %v", r.Header)
		}
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":503,"code":"overloaded","en":"retry later"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"command_id":"` + r.Header.Get("Idempotency-Key") + `","first_position":7,"last_position":7}`))
	}))
	defer ts.Close()
	c := New(ts.URL, "tok")
	c.MaxRetryWait = time.Millisecond
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	res, err := c.Command(context.Background(), "check_in", []byte(`{}`), CommandOptions{OccurredAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != ids[1] || res.CommandID != ids[0] || res.FirstPosition != 7 {
		t.Errorf("ids %v, response %+v", ids, res)
	}
}

func TestCommandRefused(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write([]byte(`{"status":422,"code":"wrong_station","rule":"art. 13","zh":"该选民不属于本投票站","en":"the voter does not vote at this station"}`))
	}))
	defer ts.Close()
	_, err := New(ts.URL, "").Command(context.Background(), "check_in", []byte(`{}`), CommandOptions{})
	var e *Error
	if !errors.As(err, &e) || !e.Refused() || e.Problem.Code != "wrong_station" || e.Problem.ZH == "" || e.Problem.Rule != "art. 13" {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(ts.URL, "").Command(context.Background(), "check_in", nil, CommandOptions{ID: "nope"}); err == nil {
		t.Error("a command ID that is not a ULID was accepted")
	}
}
