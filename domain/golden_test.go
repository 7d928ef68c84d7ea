package domain

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the .golden files of the scenario tests")

// scenarioLine is one line of a testdata/*.jsonl scenario.
type scenarioLine struct {
	CommandType string          `json:"command_type"`
	Now         time.Time       `json:"now"`
	Body        json.RawMessage `json:"body"`
	WantError   string          `json:"want_error,omitempty"`
	Actor       string          `json:"actor,omitempty"`
}

// goldenLine is one line of a .golden file: the outcome of one command.
type goldenLine struct {
	CommandType string        `json:"command_type"`
	Events      []goldenEvent `json:"events,omitempty"`
	Error       string        `json:"error,omitempty"`
	FollowUps   []goldenLine  `json:"follow_ups,omitempty"`
}

type goldenEvent struct {
	Type    string `json:"type"`
	Payload Event  `json:"payload"`
}

// TestScenarios runs every testdata/*.jsonl scenario through Decide and
// Evolve, keeping states by AggregateRef and passing Related states, and
// compares the outcomes with testdata/*.golden (rewritten with -update).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".jsonl")
		t.Run(name, func(t *testing.T) {
			got := runScenario(t, file)
			golden := strings.TrimSuffix(file, ".jsonl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the run; diff it against a run with -update", golden)
			}
		})
	}
}

func runScenario(t *testing.T, file string) []byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := newWorld(time.Time{})
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := runLine(t, w, n, sc.Bytes())
		b, err := json.Marshal(line)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(append(b, '\n'))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	checkReplay(t, w)
	return out.Bytes()
}

func runLine(t *testing.T, w *world, n int, raw []byte) goldenLine {
	t.Helper()
	var l scenarioLine
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatalf("line %d: %v", n, err)
	}
	cmd, err := DecodeCommand(l.CommandType, l.Body)
	if err != nil {
		t.Fatalf("line %d: %v", n, err)
	}
	w.now, w.actor = l.Now, l.Actor
	evs, err := w.exec(cmd)
	got := goldenLine{CommandType: l.CommandType}
	if e, ok := AsError(err); ok {
		got.Error = e.Code
	} else if err != nil {
		t.Fatalf("line %d: %v", n, err)
	}
	if got.Error != l.WantError {
		t.Errorf("line %d %s: got error %q (%v), want %q", n, l.CommandType, got.Error, err, l.WantError)
	}
	for _, ev := range evs {
		got.Events = append(got.Events, goldenEvent{Type: ev.EventType(), Payload: ev})
	}
	for _, f := range w.followed {
		fl := goldenLine{CommandType: f.cmd.CommandType()}
		if e, ok := AsError(f.err); ok {
			fl.Error = e.Code
		}
		for _, ev := range f.events {
			fl.Events = append(fl.Events, goldenEvent{Type: ev.EventType(), Payload: ev})
		}
		got.FollowUps = append(got.FollowUps, fl)
	}
	return got
}
