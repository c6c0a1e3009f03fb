package rpcserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/websocket"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

const (
	// wsSendQueueSize bounds the messages (replies and notifications)
	// waiting for one websocket client. A client that falls this far
	// behind is disconnected, so a slow reader never blocks the node's
	// notifier or grows memory without bound.
	wsSendQueueSize = 1024

	// wsAuthTimeout is how long a client that did not authenticate on the
	// upgrade has to send its authenticate request.
	wsAuthTimeout = 10 * time.Second

	// wsWriteTimeout bounds one message write.
	wsWriteTimeout = 30 * time.Second

	// wsPingInterval is how often the server pings an idle client, so a
	// vanished peer's connection is noticed and its slot freed.
	wsPingInterval = 60 * time.Second
)

// wsClient is one websocket connection. Its reader runs in the HTTP handler
// goroutine; its writer is a goroutine of its own, owned by the server's
// wait group, fed by the bounded send queue.
type wsClient struct {
	s    *Server
	conn *websocket.Conn
	addr string

	authenticated bool // read and written only by the reader
	isAdmin       bool

	send      chan []byte
	quit      chan struct{}
	closeOnce sync.Once

	notifyBlocks   atomic.Bool
	notifyTxs      atomic.Bool
	notifyTxsVerb  atomic.Bool
	notifyTemplate atomic.Bool

	// watched holds the keys of the addresses given to notifyutxos.
	watchMu sync.Mutex
	watched map[[wire.PubKeySize]byte]struct{}
	watches atomic.Bool // len(watched) > 0, read without the lock
}

// close ends the connection once; both goroutines then exit.
func (c *wsClient) close() {
	c.closeOnce.Do(func() {
		close(c.quit)
		c.conn.Close()
	})
}

// queue hands a message to the writer without blocking. A full queue means
// the client cannot keep up: it is disconnected.
func (c *wsClient) queue(msg []byte) bool {
	select {
	case <-c.quit:
		return false
	default:
	}
	select {
	case c.send <- msg:
		return true
	default:
		log.Warnf("Websocket client %s is %d messages behind; disconnecting it",
			c.addr, wsSendQueueSize)
		c.close()
		return false
	}
}

// writer sends queued messages and periodic pings until the client closes.
func (c *wsClient) writer() {
	defer c.s.wg.Done()
	defer c.close()
	ping := time.NewTicker(wsPingInterval)
	defer ping.Stop()
	for {
		select {
		case msg := <-c.send:
			// One flush covers every message queued before it: a
			// flush per message would hold a subscriber's
			// notifications to the store's pace during a
			// download, and fill its queue.
			msgs := [][]byte{msg}
			for more := true; more && len(msgs) < wsSendQueueSize; {
				select {
				case m := <-c.send:
					msgs = append(msgs, m)
				default:
					more = false
				}
			}
			if err := c.s.flushStore(); err != nil {
				return
			}
			for _, m := range msgs {
				c.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
				if err := c.conn.WriteMessage(websocket.TextMessage, m); err != nil {
					log.Debugf("Websocket write to %s: %v", c.addr, err)
					return
				}
			}
		case <-ping.C:
			deadline := time.Now().Add(wsWriteTimeout)
			if err := c.conn.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
				log.Debugf("Websocket ping to %s: %v", c.addr, err)
				return
			}
		case <-c.quit:
			return
		}
	}
}

// reader reads requests until the connection ends. Requests are answered in
// order; the first must be authenticate unless the upgrade carried valid
// basic auth.
func (c *wsClient) reader() {
	defer c.close()
	if !c.authenticated {
		c.conn.SetReadDeadline(time.Now().Add(wsAuthTimeout))
	}
	cl := &clientInfo{addr: c.addr, quit: c.quit, ws: c}
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			log.Debugf("Websocket client %s: %v", c.addr, err)
			return
		}
		if !c.authenticated {
			if !c.authenticate(msg) {
				return
			}
			c.conn.SetReadDeadline(time.Time{})
			continue
		}
		cl.isAdmin = c.isAdmin
		if !c.queue(c.s.processBody(msg, cl)) {
			return
		}
		if cl.stopRequested {
			c.s.requestShutdown()
		}
	}
}

// authenticate handles the first message of a client that did not
// authenticate on the upgrade. Anything but a correct authenticate request
// ends the connection, without saying what was wrong.
func (c *wsClient) authenticate(msg []byte) bool {
	var req rpcmodel.Request
	if err := json.Unmarshal(msg, &req); err != nil || req.Method != "authenticate" {
		log.Warnf("Websocket client %s sent a request before authenticating", c.addr)
		return false
	}
	var creds []string
	if err := json.Unmarshal(req.Params, &creds); err != nil || len(creds) != 2 {
		c.s.authFailures.refuse(refusedAuth, c.addr, " (websocket)")
		return false
	}
	ok, isAdmin := c.s.checkUserPass(creds[0], creds[1])
	if !ok {
		c.s.authFailures.refuse(refusedAuth, c.addr, " (websocket)")
		return false
	}
	c.authenticated, c.isAdmin = true, isAdmin
	return c.queue(marshalResponse(req.ID, nil, nil))
}

// handleWebsocket upgrades an authenticated (or not yet authenticated)
// request on /ws to a websocket client.
func (s *Server) handleWebsocket(w http.ResponseWriter, r *http.Request) {
	s.serveWebsocket(w, r, false)
}

// serveWebsocket upgrades a request to a websocket client. With webUI, a
// request without an Authorization header must carry the web view's
// session cookie instead: browsers do not send basic-auth credentials with
// a websocket handshake.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request, webUI bool) {
	if !s.track() {
		http.Error(w, "503 Server shutting down.", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()

	authenticated, isAdmin := false, false
	if header := r.Header.Get("Authorization"); header != "" {
		ok, admin := s.checkAuthHeader(header)
		if !ok {
			s.authFailures.refuse(refusedAuth, r.RemoteAddr, " (websocket)")
			unauthorized(w)
			return
		}
		authenticated, isAdmin = true, admin
	} else if webUI {
		ok, admin := s.checkWebUISession(r)
		if !ok {
			unauthorized(w)
			return
		}
		authenticated, isAdmin = true, admin
	}
	if !s.ntfn.reserve() {
		s.refusals.refuse(refusedWSLimit, r.RemoteAddr,
			fmt.Sprintf(" (rpcmaxwebsockets=%d)", s.cfg.MaxWebsockets))
		http.Error(w, "503 Too many websocket clients. Try again later.",
			http.StatusServiceUnavailable)
		return
	}
	defer s.ntfn.release()

	upgrader := websocket.Upgrader{HandshakeTimeout: readHeaderTimeout}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has answered the client already.
		log.Debugf("Websocket upgrade from %s: %v", r.RemoteAddr, err)
		return
	}
	conn.SetReadLimit(s.cfg.MaxRequestBytes)
	c := &wsClient{
		s:             s,
		conn:          conn,
		addr:          r.RemoteAddr,
		authenticated: authenticated,
		isAdmin:       isAdmin,
		send:          make(chan []byte, wsSendQueueSize),
		quit:          make(chan struct{}),
	}
	if !s.ntfn.add(c) {
		conn.Close()
		return
	}
	defer s.ntfn.remove(c)
	log.Debugf("Websocket client %s connected", c.addr)
	s.wg.Add(1) // the handler's own registration is still held, so no race with Wait
	go c.writer()
	c.reader()
	log.Debugf("Websocket client %s disconnected", c.addr)
}

// notifier tracks websocket clients and fans notifications out to them.
type notifier struct {
	s *Server

	mu       sync.Mutex
	clients  map[*wsClient]struct{}
	reserved int
	closed   bool
}

func newNotifier(s *Server) *notifier {
	return &notifier{s: s, clients: make(map[*wsClient]struct{})}
}

// reserve takes a websocket slot, or reports false at MaxWebsockets.
func (n *notifier) reserve() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.reserved >= n.s.cfg.MaxWebsockets {
		return false
	}
	n.reserved++
	return true
}

// release frees a slot taken by reserve.
func (n *notifier) release() {
	n.mu.Lock()
	n.reserved--
	n.mu.Unlock()
}

// add registers a connected client, or reports false after closeAll.
func (n *notifier) add(c *wsClient) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.clients[c] = struct{}{}
	return true
}

// remove forgets a client.
func (n *notifier) remove(c *wsClient) {
	n.mu.Lock()
	delete(n.clients, c)
	n.mu.Unlock()
}

// closeAll disconnects every client and refuses new ones.
func (n *notifier) closeAll() {
	n.mu.Lock()
	n.closed = true
	clients := make([]*wsClient, 0, len(n.clients))
	for c := range n.clients {
		clients = append(clients, c)
	}
	n.mu.Unlock()
	for _, c := range clients {
		c.close()
	}
}

// subscribers returns the clients for which want is true.
func (n *notifier) subscribers(want func(*wsClient) bool) []*wsClient {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []*wsClient
	for c := range n.clients {
		if want(c) {
			out = append(out, c)
		}
	}
	return out
}

// marshalNtfn encodes a notification; it cannot fail for the value types
// used here, and a failure would be our bug.
func marshalNtfn(method string, params ...interface{}) []byte {
	b, err := json.Marshal(rpcmodel.NewNotification(method, params...))
	if err != nil {
		log.Errorf("marshal %s notification: %v", method, err)
		return nil
	}
	return b
}

// NotifyBlockAccepted sends blockconnected and dagblockconnected to clients
// that asked for block notifications. blockconnected keeps btcd's three
// params (hash, height, time), which btcd's client library checks before it
// calls OnBlockConnected; the DAG's blue score goes in dagblockconnected. It
// never blocks: a client whose queue is full is dropped. The node calls it
// for every block that enters the DAG.
func (s *Server) NotifyBlockAccepted(block *wire.MsgBlock, hash wire.Hash, height uint32, blueScore uint64) {
	clients := s.ntfn.subscribers(func(c *wsClient) bool { return c.notifyBlocks.Load() })
	if len(clients) == 0 {
		return
	}
	secs := block.Header.Timestamp / 1000
	btcdMsg := marshalNtfn(rpcmodel.NtfnBlockConnected, hash.String(), height, secs)
	dagMsg := marshalNtfn(rpcmodel.NtfnDAGBlockConnected, hash.String(), height, blueScore, secs)
	if btcdMsg == nil || dagMsg == nil {
		return
	}
	for _, c := range clients {
		c.queue(btcdMsg)
		c.queue(dagMsg)
	}
}

// NotifyVirtualChanged sends virtualchanged to clients that asked for block
// notifications: the chain blocks added to and removed from the virtual's
// selected chain, and the virtual's new parents and blue score. It also
// starts a new block template generation: long polls answer and
// blocktemplatechanged goes out. It never blocks.
func (s *Server) NotifyVirtualChanged(added, removed, virtualParents []wire.Hash, virtualBlueScore uint64) {
	s.templates.virtualChanged(virtualParents)
	clients := s.ntfn.subscribers(func(c *wsClient) bool { return c.notifyBlocks.Load() })
	if len(clients) == 0 {
		return
	}
	msg := marshalNtfn(rpcmodel.NtfnVirtualChanged, rpcmodel.VirtualChangedNtfn{
		Added:            hashStrings(added),
		Removed:          hashStrings(removed),
		VirtualBlueScore: virtualBlueScore,
		VirtualParents:   hashStrings(virtualParents),
	})
	if msg == nil {
		return
	}
	for _, c := range clients {
		c.queue(msg)
	}
}

// NotifyTxAccepted sends txaccepted or txacceptedverbose to clients that
// asked for transaction notifications, and applies the mempool rule of
// block templates. It never blocks. The node calls it for every
// transaction the mempool accepts.
func (s *Server) NotifyTxAccepted(tx *wire.MsgTx, txID wire.Hash) {
	s.templates.txAccepted()
	clients := s.ntfn.subscribers(func(c *wsClient) bool { return c.notifyTxs.Load() })
	if len(clients) == 0 {
		return
	}
	var short, verbose []byte
	for _, c := range clients {
		if c.notifyTxsVerb.Load() {
			if verbose == nil {
				verbose = marshalNtfn(rpcmodel.NtfnTxAcceptedVerbose,
					txRawResult(s.cfg.Params.AddressPrefix, tx, true, nil, time.Now().Unix()))
			}
			if verbose != nil {
				c.queue(verbose)
			}
			continue
		}
		if short == nil {
			var total uint64
			for i := range tx.TxOut {
				total += tx.TxOut[i].Value
			}
			short = marshalNtfn(rpcmodel.NtfnTxAccepted, txID.String(), coins(total))
		}
		if short != nil {
			c.queue(short)
		}
	}
}

// handleAuthenticate: authenticate user pass, on a connection that already
// authenticated (the first one is handled by the reader).
func handleAuthenticate(_ *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidRequest,
		"the connection is already authenticated")
}

// handleNotifyBlocks: notifyblocks.
func handleNotifyBlocks(_ *Server, _ rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	cl.ws.notifyBlocks.Store(true)
	return nil, nil
}

// handleStopNotifyBlocks: stopnotifyblocks.
func handleStopNotifyBlocks(_ *Server, _ rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	cl.ws.notifyBlocks.Store(false)
	return nil, nil
}

// handleNotifyNewTransactions: notifynewtransactions (verbose=false).
func handleNotifyNewTransactions(_ *Server, args rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	cl.ws.notifyTxsVerb.Store(args.Bool(0))
	cl.ws.notifyTxs.Store(true)
	return nil, nil
}

// handleStopNotifyNewTransactions: stopnotifynewtransactions.
func handleStopNotifyNewTransactions(_ *Server, _ rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	cl.ws.notifyTxs.Store(false)
	return nil, nil
}
