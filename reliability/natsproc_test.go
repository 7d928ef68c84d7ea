package reliability

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsServerEnv, when set in the environment, makes the test binary run
// one nats-server (described by the variable's JSON, a natsSpec) instead of
// the tests: how the failover test gets real server processes it can kill
// with SIGKILL, without a nats-server binary on the machine.
const natsServerEnv = "LEDGER_TEST_NATS_SERVER"

// natsSpec describes one clustered nats-server.
type natsSpec struct {
	Name      string   `json:"name"`
	Port      int      `json:"port"`
	RoutePort int      `json:"route_port"`
	Routes    []string `json:"routes"`
	StoreDir  string   `json:"store_dir"`
}

// runNATSServer is the child's side: it starts the server, prints "ready"
// and serves until its standard input closes (the test process ended,
// however it ended) or it is killed.
func runNATSServer(spec string) {
	var s natsSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "nats-server spec:", err)
		os.Exit(2)
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: s.Name, Host: "127.0.0.1", Port: s.Port,
		JetStream: true, StoreDir: s.StoreDir, NoSigs: true, NoLog: true,
		Cluster: server.ClusterOpts{Name: "ledger", Host: "127.0.0.1", Port: s.RoutePort},
		Routes:  server.RoutesFromStr(strings.Join(s.Routes, ",")),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats-server:", err)
		os.Exit(2)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		fmt.Fprintln(os.Stderr, "nats-server did not start")
		os.Exit(2)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	ns.Shutdown()
	os.Exit(0)
}

// procCluster is three nats-server processes with JetStream, clustered on
// loopback. A killed server can be started again on its ports and store.
type procCluster struct {
	t     *testing.T
	specs []natsSpec
	procs []*exec.Cmd
	done  []chan struct{}
}

// startProcCluster starts the three servers and waits until each accepts
// clients.
func startProcCluster(t *testing.T) *procCluster {
	t.Helper()
	ports := freeTCPPorts(t, 6)
	c := &procCluster{t: t}
	var routes []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[3+i]))
	}
	for i := range 3 {
		c.specs = append(c.specs, natsSpec{Name: fmt.Sprintf("n%d", i), Port: ports[i], RoutePort: ports[3+i],
			Routes: routes, StoreDir: t.TempDir()})
	}
	c.procs, c.done = make([]*exec.Cmd, 3), make([]chan struct{}, 3)
	t.Cleanup(func() {
		for i := range c.procs {
			c.kill(i)
		}
	})
	for i := range 3 {
		c.start(i)
	}
	return c
}

// start runs server i and waits for its "ready".
func (c *procCluster) start(i int) {
	c.t.Helper()
	spec, _ := json.Marshal(c.specs[i])
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), natsServerEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	if _, err := cmd.StdinPipe(); err != nil { // kept open: closed when this process ends
		c.t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	c.procs[i], c.done[i] = cmd, done
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ready <- sc.Scan() && sc.Text() == "ready"
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case ok := <-ready:
		if !ok {
			c.t.Fatalf("nats-server %s did not start", c.specs[i].Name)
		}
	case <-time.After(60 * time.Second):
		c.t.Fatalf("nats-server %s did not start in 60s", c.specs[i].Name)
	}
}

// kill sends server i SIGKILL and waits for it to end.
func (c *procCluster) kill(i int) {
	if c.procs[i] == nil {
		return
	}
	_ = c.procs[i].Process.Signal(syscall.SIGKILL)
	<-c.done[i]
	c.procs[i] = nil
}

// index returns the index of the server called name, or -1.
func (c *procCluster) index(name string) int {
	for i, s := range c.specs {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// urlsFrom returns the client URLs starting with server i, comma-separated.
func (c *procCluster) urlsFrom(i int) string {
	var urls []string
	for k := range 3 {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", c.specs[(i+k)%3].Port))
	}
	return strings.Join(urls, ",")
}

func freeTCPPorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
