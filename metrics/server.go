package metrics

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Timeouts of the /metrics server: a scrape is small and fast, so anything
// slow is a stuck or hostile client.
const (
	readHeaderTimeout = 5 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = time.Minute
)

// maxScrapesInFlight bounds concurrent scrapes; Prometheus sends one at a
// time per target, so more is a misconfiguration or an attack.
const maxScrapesInFlight = 4

// Server serves /metrics over plain HTTP. It is safe for concurrent access.
type Server struct {
	listener net.Listener
	srv      *http.Server

	startOnce, stopOnce sync.Once
	done                chan struct{}
}

// NewServer binds addr (host:port) and returns a server for m's registry;
// it serves nothing until Start. Binding here reports a busy port before
// the node starts.
func NewServer(addr string, m *Metrics) (*Server, error) {
	if m == nil {
		return nil, ruleError(ErrInvalidConfig, "metrics: no metrics to serve")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, ruleError(ErrListen, "metrics: listen on %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{
		MaxRequestsInFlight: maxScrapesInFlight,
		ErrorLog:            promLogger{},
	}))
	return &Server{
		listener: l,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout,
			WriteTimeout: writeTimeout, IdleTimeout: idleTimeout},
		done: make(chan struct{}),
	}, nil
}

// Addr returns the bound address.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Start serves in a goroutine until Stop. Calls after the first do nothing.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		log.Infof("Metrics served at http://%s/metrics", s.listener.Addr())
		go func() {
			defer close(s.done)
			if err := s.srv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warnf("Metrics server stopped: %v", err)
			}
		}()
	})
}

// Stop closes the listener and every connection and returns when the
// serving goroutine has exited. It is safe to call twice, and without
// Start.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		started := true
		s.startOnce.Do(func() { started = false })
		s.srv.Close()
		s.listener.Close()
		if started {
			<-s.done
		}
	})
}

// promLogger sends promhttp's errors (a collector failing, a client gone
// mid-answer) to the package log.
type promLogger struct{}

func (promLogger) Println(v ...interface{}) { log.Warn(v...) }
