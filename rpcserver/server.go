package rpcserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// authRealm is the realm named in WWW-Authenticate.
const authRealm = `Basic realm="soterd RPC"`

// readHeaderTimeout bounds how long a client may take to send its request
// headers, so idle half-open connections cannot hold client slots.
const readHeaderTimeout = 10 * time.Second

// idleTimeout closes keep-alive connections nobody uses.
const idleTimeout = 2 * time.Minute

// Server is the JSON-RPC server. It is safe for concurrent access.
type Server struct {
	cfg *Config

	// adminAuth and limitAuth are SHA-256 digests of the Authorization
	// headers that authenticate each user; checkAuth compares digests in
	// constant time so neither the password nor its length leaks through
	// timing. hasLimit and hasAdmin say whether each user exists.
	adminAuth, limitAuth [sha256.Size]byte
	hasAdmin, hasLimit   bool

	listeners   []net.Listener
	httpServers []*http.Server

	// httpClients counts HTTP requests in flight for MaxClients.
	httpClients atomic.Int32

	// reqSem bounds requests handled at once (MaxConcurrentReqs).
	reqSem chan struct{}

	ntfn      *notifier
	templates *templateKeeper

	// webUIKey signs the web view's session cookies; nil without a
	// web view.
	webUIKey []byte

	// refusals sums up requests refused for the client limits or size,
	// authFailures those with wrong credentials, so a flood of them
	// takes a line per interval instead of a line each.
	refusals, authFailures *refusalLog

	// mu guards stopping and handler registration in wg, so Stop's Wait
	// never races with an Add.
	mu       sync.Mutex
	stopping bool
	wg       sync.WaitGroup

	startOnce, stopOnce sync.Once
	quit                chan struct{}

	shutdownOnce sync.Once
	shutdown     chan struct{}
}

// New validates the config, loads or generates the TLS certificate, and binds
// the listen addresses. It serves nothing until Start.
func New(cfg *Config) (*Server, error) {
	cfg, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		reqSem:   make(chan struct{}, cfg.MaxConcurrentReqs),
		quit:     make(chan struct{}),
		shutdown: make(chan struct{}),
	}
	if cfg.RPCUser != "" {
		s.adminAuth = authDigest(cfg.RPCUser, cfg.RPCPass)
		s.hasAdmin = true
	}
	if cfg.RPCLimitUser != "" {
		s.limitAuth = authDigest(cfg.RPCLimitUser, cfg.RPCLimitPass)
		s.hasLimit = true
	}
	if cfg.WebUI != nil {
		if s.webUIKey, err = newWebUIKey(); err != nil {
			return nil, err
		}
	}
	s.refusals = newRefusalLog(refusalSummaryInterval, func(f string, a ...interface{}) { log.Infof(f, a...) })
	s.authFailures = newRefusalLog(refusalSummaryInterval, func(f string, a ...interface{}) { log.Warnf(f, a...) })
	s.ntfn = newNotifier(s)
	s.templates = newTemplateKeeper(s)

	var tlsConfig *tls.Config
	if !cfg.NoTLS {
		tlsConfig, err = loadTLS(cfg.RPCCert, cfg.RPCKey, cfg.CertHosts)
		if err != nil {
			return nil, err
		}
	}
	for _, addr := range cfg.ListenAddrs {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, prev := range s.listeners {
				prev.Close()
			}
			return nil, serverError(ErrListen, fmt.Sprintf("rpclisten: %s: %v", addr, err))
		}
		if tlsConfig != nil {
			l = tls.NewListener(l, tlsConfig)
		}
		s.listeners = append(s.listeners, l)
	}
	return s, nil
}

// loadTLS returns the TLS config for the cert and key files, generating a
// self-signed pair first when neither file exists.
func loadTLS(certFile, keyFile string, hosts []string) (*tls.Config, error) {
	_, certErr := os.Stat(certFile)
	_, keyErr := os.Stat(keyFile)
	if errors.Is(certErr, os.ErrNotExist) && errors.Is(keyErr, os.ErrNotExist) {
		log.Infof("Generating TLS certificate %s and key %s", certFile, keyFile)
		if err := GenCertPair(certFile, keyFile, hosts); err != nil {
			return nil, err
		}
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, serverError(ErrCert, fmt.Sprintf("rpccert/rpckey: load %s and %s: %v",
			certFile, keyFile, err))
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// authDigest returns the SHA-256 of the Authorization header that HTTP basic
// auth with user and pass produces.
func authDigest(user, pass string) [sha256.Size]byte {
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return sha256.Sum256([]byte("Basic " + cred))
}

// checkAuthHeader reports whether an Authorization header value names a
// user, and whether that user is the admin. Both digests are always
// compared, so the time taken does not tell which user came close.
func (s *Server) checkAuthHeader(header string) (ok, isAdmin bool) {
	digest := sha256.Sum256([]byte(header))
	admin := subtle.ConstantTimeCompare(digest[:], s.adminAuth[:]) == 1 && s.hasAdmin
	limit := subtle.ConstantTimeCompare(digest[:], s.limitAuth[:]) == 1 && s.hasLimit
	return admin || limit, admin
}

// checkUserPass is checkAuthHeader for a user name and password, as the
// websocket authenticate method gives them.
func (s *Server) checkUserPass(user, pass string) (ok, isAdmin bool) {
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return s.checkAuthHeader("Basic " + cred)
}

// Addrs returns the bound listen addresses.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// RequestedProcessShutdown returns a channel that is closed when a client
// calls stop. The node waits on it and shuts down.
func (s *Server) RequestedProcessShutdown() <-chan struct{} {
	return s.shutdown
}

// requestShutdown closes the shutdown channel once.
func (s *Server) requestShutdown() {
	s.shutdownOnce.Do(func() { close(s.shutdown) })
}

// Start serves every listener. It is a no-op after the first call or after
// Stop.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.stopping {
			return
		}
		s.wg.Add(1)
		go s.templates.run()
		mux := http.NewServeMux()
		mux.HandleFunc("/", s.handleHTTP)
		mux.HandleFunc("/ws", s.handleWebsocket)
		if s.cfg.WebUI != nil {
			s.mountWebUI(mux)
		}
		for _, l := range s.listeners {
			srv := &http.Server{
				Handler:           mux,
				ReadHeaderTimeout: readHeaderTimeout,
				IdleTimeout:       idleTimeout,
				ErrorLog:          stdlog.New(debugWriter{}, "", 0),
			}
			s.httpServers = append(s.httpServers, srv)
			s.wg.Add(1)
			go func(l net.Listener) {
				defer s.wg.Done()
				log.Infof("RPC server listening on %s", l.Addr())
				err := srv.Serve(l)
				if err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Errorf("RPC listener %s: %v", l.Addr(), err)
				}
			}(l)
		}
	})
}

// Stop closes the listeners and every connection, websockets included, and
// returns when every goroutine of the server has exited. It is safe to call
// more than once, and without Start.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopping = true
		servers := s.httpServers
		s.mu.Unlock()
		close(s.quit)
		if len(servers) == 0 {
			for _, l := range s.listeners {
				l.Close()
			}
		}
		for _, srv := range servers {
			srv.Close()
		}
		s.ntfn.closeAll()
		s.wg.Wait()
		s.refusals.stop()
		s.authFailures.stop()
		log.Infof("RPC server stopped")
	})
}

// track registers a handler goroutine with the stop wait group, or reports
// false once Stop has begun.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.wg.Add(1)
	return true
}

// debugWriter sends net/http's own log lines (TLS handshake failures and
// the like, which clients cause) to the debug level.
type debugWriter struct{}

func (debugWriter) Write(p []byte) (int, error) {
	log.Debugf("HTTP server: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// unauthorized answers 401 with the challenge and nothing else: the body
// does not say whether the user, the password or the header was wrong.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", authRealm)
	http.Error(w, "401 Unauthorized.", http.StatusUnauthorized)
}

// flushStore waits until every block the DAG has accepted is in the store.
// The DAG writes blocks behind its validator, so what a handler just read
// may still be queued; flushing before a reply or notification goes out
// means a client is never told of a block a killed process would lose.
// It costs at most the few queued batches' LevelDB inserts.
func (s *Server) flushStore() error {
	if err := s.cfg.DAG.Flush(); err != nil {
		log.Errorf("RPC: %v", err)
		return fmt.Errorf("the store failed to write accepted blocks: %w", err)
	}
	return nil
}

// handleHTTP serves JSON-RPC over HTTP POST.
func (s *Server) handleHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.track() {
		http.Error(w, "503 Server shutting down.", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	if n := s.httpClients.Add(1); n > int32(s.cfg.MaxClients) {
		s.httpClients.Add(-1)
		s.refusals.refuse(refusedClientLimit, r.RemoteAddr,
			fmt.Sprintf(" (rpcmaxclients=%d)", s.cfg.MaxClients))
		http.Error(w, "503 Too busy. Try again later.", http.StatusServiceUnavailable)
		return
	}
	defer s.httpClients.Add(-1)

	ok, isAdmin := s.checkAuthHeader(r.Header.Get("Authorization"))
	if !ok {
		s.authFailures.refuse(refusedAuth, r.RemoteAddr, "")
		unauthorized(w)
		return
	}
	if r.URL.Path != "/" && r.URL.Path != webUIRPCPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "405 JSON-RPC requests must be POSTed.", http.StatusMethodNotAllowed)
		return
	}

	body, err := readBody(w, r, s.cfg.MaxRequestBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.refusals.refuse(refusedTooLarge, r.RemoteAddr,
				fmt.Sprintf(" (over %d bytes)", s.cfg.MaxRequestBytes))
			http.Error(w, fmt.Sprintf("413 Request body over %d bytes.", s.cfg.MaxRequestBytes),
				http.StatusRequestEntityTooLarge)
			return
		}
		log.Debugf("RPC read from %s: %v", r.RemoteAddr, err)
		http.Error(w, "400 Could not read the request body.", http.StatusBadRequest)
		return
	}

	cl := &clientInfo{isAdmin: isAdmin, addr: r.RemoteAddr, quit: r.Context().Done()}
	reply := s.processBody(body, cl)
	if err := s.flushStore(); err != nil {
		http.Error(w, "500 "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// With its length known the reply is complete once flushed; a chunked
	// one would still lack its last chunk when stop closes the server
	// right after this handler (soterctl stop then read "unexpected EOF").
	w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
	if _, err := w.Write(reply); err != nil {
		log.Debugf("RPC write to %s: %v", r.RemoteAddr, err)
	}
	if cl.stopRequested {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		s.requestShutdown()
	}
}

// readBody reads the request body, at most limit bytes; more is a
// *http.MaxBytesError.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	defer body.Close()
	return io.ReadAll(body)
}
