package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/btcsuite/websocket"
)

// Websocket client limits.
const (
	// wsDialTimeout bounds the websocket handshake.
	wsDialTimeout = 10 * time.Second

	// wsReplyTimeout bounds the wait for the answer to notifyblocks.
	wsReplyTimeout = 10 * time.Second

	// maxWSMessage bounds a message read from the node: notifications
	// are a few hundred bytes; a block-sized reply is the most the server
	// sends.
	maxWSMessage = 8<<20 + 64<<10
)

// blockEvent is a blockconnected notification with the time it was read.
type blockEvent struct {
	node int
	hash string
	at   time.Time
}

// blockWatcher holds a websocket connection to one node that has asked for
// block notifications, and forwards every blockconnected to a channel with
// the time it arrived.
type blockWatcher struct {
	node int
	conn *websocket.Conn
	done chan struct{}
	once sync.Once
}

// wsMessage is what the server sends: a reply (id set) or a notification
// (method set).
type wsMessage struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// watchBlocks connects to the websocket endpoint of the RPC server at addr
// (plain HTTP), authenticates with basic auth on the upgrade, sends
// notifyblocks and waits for its answer, then sends every blockconnected
// to events until close. Events are dropped rather than block when
// stopped is closed.
func watchBlocks(node int, addr, user, pass string, events chan<- blockEvent,
	stopped <-chan struct{}) (*blockWatcher, error) {

	dialer := &websocket.Dialer{HandshakeTimeout: wsDialTimeout}
	header := http.Header{}
	header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	conn, _, err := dialer.Dial("ws://"+addr+"/ws", header)
	if err != nil {
		return nil, fmt.Errorf("websocket to node %d at %s: %w", node, addr, err)
	}
	conn.SetReadLimit(maxWSMessage)
	req := `{"jsonrpc":"1.0","id":1,"method":"notifyblocks","params":[]}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(req)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notifyblocks on node %d: %w", node, err)
	}
	conn.SetReadDeadline(time.Now().Add(wsReplyTimeout))
	for {
		msg, err := readWSMessage(conn)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("notifyblocks on node %d: %w", node, err)
		}
		if msg.Method != "" {
			continue
		}
		if msg.Error != nil {
			conn.Close()
			return nil, fmt.Errorf("notifyblocks on node %d: %d: %s", node, msg.Error.Code, msg.Error.Message)
		}
		break
	}
	conn.SetReadDeadline(time.Time{})
	w := &blockWatcher{node: node, conn: conn, done: make(chan struct{})}
	go w.read(events, stopped)
	return w, nil
}

// readWSMessage reads and decodes one message.
func readWSMessage(conn *websocket.Conn) (*wsMessage, error) {
	_, data, err := conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var msg wsMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		return nil, fmt.Errorf("undecodable websocket message: %w", err)
	}
	return &msg, nil
}

// read is the watcher's goroutine; it exits when the connection closes.
func (w *blockWatcher) read(events chan<- blockEvent, stopped <-chan struct{}) {
	defer close(w.done)
	for {
		_, data, err := w.conn.ReadMessage()
		// The time is taken before decoding, as close to the arrival
		// as the reader can.
		at := time.Now()
		if err != nil {
			return
		}
		var msg wsMessage
		if json.Unmarshal(data, &msg) != nil || msg.Method != "blockconnected" || len(msg.Params) == 0 {
			continue
		}
		var hash string
		if json.Unmarshal(msg.Params[0], &hash) != nil {
			continue
		}
		select {
		case events <- blockEvent{node: w.node, hash: hash, at: at}:
		case <-stopped:
			return
		}
	}
}

// close closes the connection and waits for the reader to exit.
func (w *blockWatcher) close() {
	w.once.Do(func() { w.conn.Close() })
	<-w.done
}
