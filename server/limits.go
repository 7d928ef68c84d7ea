package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what one client, or all of them, may hold or ask of the
// server; zero values mean the defaults given. Over a limit, the answer is
// problem+json with Retry-After: 429 for a limit of one token, 503 for one
// of the whole server.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers. Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included: the
	// largest body (8 MiB) must arrive at 300 kB/s. Default 30s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing an answer; a stream gets it anew for
	// each event or heartbeat. Default 30s.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request. Default 30s.
	IdleTimeout time.Duration
	// MaxConns bounds open connections; one more gets 503 and is closed.
	// Default 1024.
	MaxConns int
	// MaxStreams bounds open event streams in all (503). Default 256.
	MaxStreams int
	// MaxStreamsPerToken bounds the open event streams of one token (429).
	// Default 8.
	MaxStreamsPerToken int
	// RatePerToken is the requests per second one token may make on
	// average, with bursts of twice as many (429). Default 200; negative:
	// no limit.
	RatePerToken float64
}

func (l *Limits) setDefaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 30*time.Second)
	def(&l.WriteTimeout, 30*time.Second)
	def(&l.IdleTimeout, 30*time.Second)
	if l.MaxConns == 0 {
		l.MaxConns = 1024
	}
	if l.MaxStreams == 0 {
		l.MaxStreams = 256
	}
	if l.MaxStreamsPerToken == 0 {
		l.MaxStreamsPerToken = 8
	}
	if l.RatePerToken == 0 {
		l.RatePerToken = 200
	}
}

// httpServer returns the http.Server of handler h with the limits' timeouts.
func (l Limits) httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout}
}

// streamSlots counts open streams, in all and per token.
type streamSlots struct {
	mu       sync.Mutex
	total    int
	perToken map[string]int
}

// acquire takes a stream slot for token id, or returns the problem that
// refuses it. The caller calls release once the stream ends.
func (s *Server) acquireStream(id string) (release func(), p *Problem) {
	ss := &s.streams
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.total >= s.opts.Limits.MaxStreams {
		p := newProblem(classOverloaded, "too_many_streams", "服务器打开的事件流已达上限，请稍后重试",
			"the server has as many event streams open as it takes; retry later")
		p.retry(5)
		return nil, p
	}
	if ss.perToken[id] >= s.opts.Limits.MaxStreamsPerToken {
		p := newProblem(classBusy, "too_many_streams_per_token", "该令牌打开的事件流已达上限",
			"this token has as many event streams open as one token may; close one first")
		p.retry(5)
		return nil, p
	}
	ss.total++
	ss.perToken[id]++
	var once sync.Once
	return func() {
		once.Do(func() {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			ss.total--
			if ss.perToken[id]--; ss.perToken[id] == 0 {
				delete(ss.perToken, id)
			}
		})
	}, nil
}

// rates holds a token bucket per token ID.
type rates struct {
	mu   sync.Mutex
	byID map[string]*rate.Limiter
}

// allowRequest reports whether token id may make a request now, or the
// problem (429, Retry-After) that refuses it.
func (s *Server) allowRequest(id string) *Problem {
	perSec := s.opts.Limits.RatePerToken
	if perSec < 0 {
		return nil
	}
	s.rates.mu.Lock()
	lim, ok := s.rates.byID[id]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(perSec), int(math.Ceil(2*perSec)))
		s.rates.byID[id] = lim
	}
	s.rates.mu.Unlock()
	r := lim.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		p := newProblem(classBusy, "rate_limited", "请求过于频繁，请稍后重试", "too many requests with this token; retry later")
		p.retry(int(math.Ceil(d.Seconds())))
		return p
	}
	return nil
}

// limitListener accepts at most max connections at a time; one more is
// answered 503 with Retry-After and closed.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			go refuseConn(c)
		}
	}
}

// refuseConn answers a connection over the limit with 503 and closes it.
func refuseConn(c net.Conn) {
	defer c.Close()
	body := `{"type":"urn:ledger:problem:too_many_connections","title":"Service Unavailable","status":503,` +
		`"code":"too_many_connections","kind":"overloaded","zh":"连接数已达上限，请稍后重试","en":"the server has as many connections open as it takes; retry later"}` + "\n"
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 1\r\nX-Content-Type-Options: nosniff\r\n" +
		"Connection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
