package witness

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tlog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"ledger/cosig"
)

// testLog is a log with a key and a tree, for submitting to a witness.
type testLog struct {
	signer note.Signer
	vkey   string
	tree   *testonly.Tree
}

func newTestLog(t *testing.T, origin string, leaves int) *testLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{signer: s, vkey: vkey, tree: testonly.New(rfc6962.DefaultHasher)}
	l.grow(leaves, "a")
	return l
}

func (l *testLog) grow(n int, tag string) {
	for range n {
		l.tree.AppendData([]byte(fmt.Sprintf("%s-%d", tag, l.tree.Size())))
	}
}

// checkpoint signs the tree's root at size.
func (l *testLog) checkpoint(t *testing.T, size uint64) []byte {
	t.Helper()
	body := tlog.Checkpoint{Origin: l.signer.Name(), Size: size, Hash: l.tree.HashAt(size)}.Marshal()
	n, err := note.Sign(&note.Note{Text: string(body)}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (l *testLog) request(t *testing.T, old, size uint64) Request {
	t.Helper()
	var p [][]byte
	if old > 0 {
		var err error
		if p, err = l.tree.ConsistencyProof(old, size); err != nil {
			t.Fatal(err)
		}
	}
	return Request{OldSize: old, Proof: p, Checkpoint: l.checkpoint(t, size)}
}

type testWitness struct {
	*Witness
	dir string
	url string
}

func newTestWitness(t *testing.T, dir string, logs ...string) testWitness {
	t.Helper()
	key, err := LoadOrCreateKey(dir, "witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{Dir: dir, Key: key, Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return testWitness{Witness: w, dir: dir, url: srv.URL}
}

func post(t *testing.T, url string, body []byte) (int, string, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func TestAddCheckpointAnswers(t *testing.T) {
	log := newTestLog(t, "example.com/log", 10)
	other := newTestLog(t, "example.com/log", 10) // same origin, another key
	stranger := newTestLog(t, "example.com/unknown", 3)
	w := newTestWitness(t, t.TempDir(), log.vkey)
	fork := newTestLog(t, "example.com/log", 0)
	fork.signer = log.signer
	fork.grow(5, "a")
	fork.grow(5, "b") // the same first 5 leaves, then others

	steps := []struct {
		name     string
		body     []byte
		status   int
		wantBody string
	}{
		{"first checkpoint, old 0", log.request(t, 0, 5).Marshal(), 200, ""},
		{"stale old size", log.request(t, 0, 8).Marshal(), 409, "5\n"},
		{"consistent extension", log.request(t, 5, 8).Marshal(), 200, ""},
		{"old size beyond the checkpoint", Request{OldSize: 8, Checkpoint: log.checkpoint(t, 6)}.Marshal(), 400, ""},
		{"unknown origin", stranger.request(t, 0, 3).Marshal(), 404, ""},
		{"signed by an untrusted key of the origin", other.request(t, 8, 10).Marshal(), 403, ""},
		{"forked extension", fork.request(t, 8, 10).Marshal(), 422, ""},
		{"same size, same root", Request{OldSize: 8, Checkpoint: log.checkpoint(t, 8)}.Marshal(), 200, ""},
		{"same size, other root", Request{OldSize: 8, Checkpoint: fork.checkpoint(t, 8)}.Marshal(), 422, ""},
		{"fork from a stale size", fork.request(t, 5, 10).Marshal(), 409, "8\n"},
		{"malformed body", []byte("old 08\n\n" + string(log.checkpoint(t, 8))), 400, ""},
		{"no empty line", []byte("old 8\n"), 400, ""},
	}
	for _, s := range steps {
		status, ctype, body := post(t, w.url, s.body)
		if status != s.status {
			t.Fatalf("%s: status %d (%s), want %d", s.name, status, body, s.status)
		}
		if s.status == 409 && (ctype != SizeContentType || string(body) != s.wantBody) {
			t.Fatalf("%s: 409 answer %q (%s), want %q (%s)", s.name, body, ctype, s.wantBody, SizeContentType)
		}
	}
}

func TestAddCheckpointEmptyTreeRules(t *testing.T) {
	log := newTestLog(t, "example.com/log", 4)
	w := newTestWitness(t, t.TempDir(), log.vkey)
	withProof := log.request(t, 0, 4)
	withProof.Proof = [][]byte{make([]byte, 32)}
	if status, _, _ := post(t, w.url, withProof.Marshal()); status != 422 {
		t.Fatalf("old 0 with a proof: %d, want 422", status)
	}
	zero := tlog.Checkpoint{Origin: log.signer.Name(), Size: 0, Hash: make([]byte, 32)}.Marshal()
	n, err := note.Sign(&note.Note{Text: string(zero)}, log.signer)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := post(t, w.url, Request{Checkpoint: n}.Marshal()); status != 422 {
		t.Fatalf("size 0 without the empty root: %d, want 422", status)
	}
	if status, _, body := post(t, w.url, log.request(t, 0, 0).Marshal()); status != 200 {
		t.Fatalf("size 0 with the empty root: %d %s, want 200", status, body)
	}
}

// TestCosignatureInterop checks the answer with third-party verifiers:
// transparency-dev/formats' cosignature/v1 verifier through sumdb's
// note.Open, and this repository's quorum check.
func TestCosignatureInterop(t *testing.T) {
	log := newTestLog(t, "example.com/log", 7)
	w := newTestWitness(t, t.TempDir(), log.vkey)
	req := log.request(t, 0, 7)
	status, _, sigs := post(t, w.url, req.Marshal())
	if status != 200 {
		t.Fatalf("status %d: %s", status, sigs)
	}
	if !bytes.HasPrefix(sigs, []byte("— witness.example/w1 ")) || !bytes.HasSuffix(sigs, []byte("\n")) || bytes.Count(sigs, []byte("\n")) != 1 {
		t.Fatalf("answer is not one note signature line: %q", sigs)
	}
	cosigned := append(bytes.Clone(req.Checkpoint), sigs...)
	v, err := fnote.NewVerifierForCosignatureV1(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(cosigned, note.VerifierList(v))
	if err != nil {
		t.Fatalf("formats' cosignature verifier: %v", err)
	}
	ts, err := fnote.CoSigV1Timestamp(n.Sigs[0])
	if err != nil || ts.Unix() == 0 {
		t.Fatalf("cosignature timestamp %v, %v: want a non-zero time", ts, err)
	}
	p, err := cosig.NewPolicy([]string{w.VerifierKey()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(cosigned); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(req.Checkpoint); err == nil {
		t.Fatal("quorum met by the log's signature alone")
	}
	// The witness's state holds the log's signature and the cosignature.
	latest, err := w.Latest(OriginHash(log.signer.Name()))
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := note.NewVerifier(log.vkey)
	if _, err := note.Open(latest, note.VerifierList(lv)); err != nil || !p.Witnesses[0].Has(latest) {
		t.Fatalf("stored checkpoint does not carry both signatures: %v\n%s", err, latest)
	}
}

// specExample is the request body of tlog-witness's add-checkpoint
// example, byte for byte.
const specExample = `old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
`

// TestSpecExampleRequest sends the specification's example body as it is
// written. Its signatures are by keys nobody here holds, so the witness
// answers as the specification says for that case: 404 when it does not
// know the origin, 403 when it knows the origin but no signature is by a
// key it trusts (those of unknown keys are ignored).
func TestSpecExampleRequest(t *testing.T) {
	req, err := ParseRequest([]byte(specExample))
	if err != nil {
		t.Fatal(err)
	}
	if req.OldSize != 20852014 || len(req.Proof) != 4 || !bytes.HasPrefix(req.Checkpoint, []byte("example.com/behind-the-sofa\n20852163\n")) {
		t.Fatalf("parsed %d, %d proof lines, checkpoint %q", req.OldSize, len(req.Proof), req.Checkpoint)
	}
	if got := req.Marshal(); string(got) != specExample {
		t.Fatalf("re-encoded request differs:\n%s", got)
	}
	other := newTestLog(t, "example.com/log", 1)
	if status, _, _ := post(t, newTestWitness(t, t.TempDir(), other.vkey).url, []byte(specExample)); status != 404 {
		t.Fatalf("unknown origin: %d, want 404", status)
	}
	sofa := newTestLog(t, "example.com/behind-the-sofa", 1)
	if status, _, _ := post(t, newTestWitness(t, t.TempDir(), sofa.vkey).url, []byte(specExample)); status != 403 {
		t.Fatalf("known origin, no trusted signature: %d, want 403", status)
	}
}

// TestStateSurvivesRestart: a new witness on the same directory holds the
// size cosigned before, in one file for the log, readable by the owner only.
func TestStateSurvivesRestart(t *testing.T) {
	log := newTestLog(t, "example.com/log", 12)
	dir := t.TempDir()
	w := newTestWitness(t, dir, log.vkey)
	if status, _, _ := post(t, w.url, log.request(t, 0, 12).Marshal()); status != 200 {
		t.Fatal("first checkpoint refused")
	}
	again := newTestWitness(t, dir, log.vkey)
	if again.VerifierKey() != w.VerifierKey() {
		t.Fatal("the key changed across a restart")
	}
	if status, _, body := post(t, again.url, log.request(t, 0, 12).Marshal()); status != 409 || string(body) != "12\n" {
		t.Fatalf("after restart: %d %q, want 409 \"12\\n\"", status, body)
	}
	files, err := os.ReadDir(filepath.Join(dir, logsDir))
	if err != nil || len(files) != 1 || files[0].Name() != OriginHash("example.com/log") {
		t.Fatalf("state files %v, %v: want one named after the origin's hash", files, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v: want mode 0600", fi, err)
	}
	resp, err := http.Get(again.url + "/" + OriginHash("example.com/log") + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "example.com/log\n12\n") {
		t.Fatalf("monitoring: %d %q", resp.StatusCode, b)
	}
}

// TestConcurrentRequestsNeverRollBack: of many requests made from the
// same old size, exactly one is cosigned; the others get 409.
func TestConcurrentRequestsNeverRollBack(t *testing.T) {
	log := newTestLog(t, "example.com/log", 40)
	w := newTestWitness(t, t.TempDir(), log.vkey)
	if status, _, _ := post(t, w.url, log.request(t, 0, 10).Marshal()); status != 200 {
		t.Fatal("first checkpoint refused")
	}
	var wg sync.WaitGroup
	statuses := make([]int, 30)
	for i := range statuses {
		body := log.request(t, 10, uint64(11+i)).Marshal()
		wg.Go(func() { statuses[i], _, _ = post(t, w.url, body) })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 409:
		default:
			t.Fatalf("status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d requests from one old size cosigned, want 1", ok)
	}
}
