package reliability

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/oklog/ulid/v2"

	"ledger/internal/testkit"
	"ledger/node"
)

// TestNATSOverTLS: a ledger node reaches a 3-node cluster whose client
// ports require TLS, trusting the cluster's CA (nats.RootCAs, what
// --nats-url tls://... with a CA needs), records commands, and a
// connection that does not trust the CA is refused.
func TestNATSOverTLS(t *testing.T) {
	caFile, cert := testCA(t)
	c := testkit.StartCluster(t, func(o *server.Options) {
		o.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		o.TLSTimeout = 5
	})
	urls := strings.ReplaceAll(strings.Join(c.URLs, ","), "nats://", "tls://")
	n := openClusterNode(t, node.Config{DataDir: t.TempDir(), NATSURL: urls, Offline: true,
		NATSOptions: []nats.Option{nats.RootCAs(caFile)}})
	e := setupElectionOn(t, n, 1, 10)
	if err := execute(n, "check_in", checkInAt, ulid.Make().String(), e.checkIn(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store.Conn().TLSConnectionState(); err != nil {
		t.Fatalf("the node's connection is not TLS: %v", err)
	}
	if nc, err := nats.Connect(urls, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a client that does not trust the CA connected")
	} else {
		t.Logf("untrusting client refused: %v", err)
	}
}

// testCA writes a self-signed CA certificate for 127.0.0.1 and returns its
// PEM file and the certificate with its key.
func testCA(t *testing.T) (string, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ledger test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, cert
}

// TestServeHTTPS: serve with --tls-cert and --tls-key answers HTTPS to a
// client that trusts the certificate, and a plain HTTP request to the same
// port gets no API answer.
func TestServeHTTPS(t *testing.T) {
	caFile, cert := testCA(t)
	keyDER, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--tls-cert", caFile, "--tls-key", keyFile)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := ""
	sc := bufio.NewScanner(stdout)
	for url == "" && sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ledger node serving "); ok {
			url = strings.Fields(a)[0]
		}
	}
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("serve announced %q, want an https URL", url)
	}
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTPS /healthz: %d", resp.StatusCode)
	}
	plain := strings.Replace(url, "https://", "http://", 1)
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(plain + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP got an API answer from the HTTPS port")
		}
	}
}
