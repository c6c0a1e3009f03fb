package rpcclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/websocket"
	"github.com/soterdag/soterd/rpcmodel"
)

// Websocket client limits.
const (
	// dialTimeout bounds the connection and the websocket handshake.
	dialTimeout = 10 * time.Second

	// writeTimeout bounds writing one request.
	writeTimeout = 10 * time.Second

	// maxMessageBytes bounds a message read from the server: the largest
	// reply is a block template of a full block in hex, about twice the
	// block size limit, plus the envelope.
	maxMessageBytes = 16 << 20

	// NotificationQueue is how many notifications wait for the caller. A
	// caller that falls this far behind is disconnected, as soterd does
	// to clients that do not read: the reader never blocks, so replies to
	// calls are never held up behind notifications.
	NotificationQueue = 256
)

// ErrClosed is returned by calls on a client that is closed or whose
// connection ended; Err tells why it ended.
var ErrClosed = errors.New("rpcclient: websocket closed")

// Notification is a server-to-client message: a method and its raw
// parameters, with the time it was read.
type Notification struct {
	Method   string
	Params   []json.RawMessage
	Received time.Time
}

// WSClient is a JSON-RPC client over soterd's websocket endpoint. Calls may
// be made from several goroutines at once; replies are matched to them by
// id, and notifications go to a bounded channel. It is safe for concurrent
// use.
type WSClient struct {
	conn *websocket.Conn

	writeMu sync.Mutex
	nextID  atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]chan *rpcmodel.Response
	err     error

	ntfns     chan Notification
	done      chan struct{} // closed when the reader has exited
	closeOnce sync.Once
}

// wsMessage is either a reply (id set) or a notification (method set).
type wsMessage struct {
	ID     json.RawMessage    `json:"id"`
	Method string             `json:"method"`
	Params []json.RawMessage  `json:"params"`
	Result json.RawMessage    `json:"result"`
	Error  *rpcmodel.RPCError `json:"error"`
}

// Dial connects to the websocket endpoint the options name, logging in
// with basic auth on the upgrade, and starts the reader goroutine, which
// runs until Close or the connection ends.
func Dial(o *ConnOptions) (*WSClient, error) {
	tlsConfig, err := o.TLSConfig()
	if err != nil {
		return nil, err
	}
	dialer := &websocket.Dialer{HandshakeTimeout: dialTimeout, TLSClientConfig: tlsConfig}
	header := http.Header{}
	header.Set("Authorization", "Basic "+
		base64.StdEncoding.EncodeToString([]byte(o.RPCUser+":"+o.RPCPass)))
	conn, resp, err := dialer.Dial(o.URL("/ws", true), header)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, errors.New("authentication failed: check rpcuser and rpcpass")
		}
		return nil, fmt.Errorf("connect to %s: %w", o.RPCServer, err)
	}
	conn.SetReadLimit(maxMessageBytes)
	c := &WSClient{
		conn:    conn,
		pending: make(map[uint64]chan *rpcmodel.Response),
		ntfns:   make(chan Notification, NotificationQueue),
		done:    make(chan struct{}),
	}
	go c.reader()
	return c, nil
}

// reader reads messages until the connection ends, hands replies to their
// calls and queues notifications.
func (c *WSClient) reader() {
	defer close(c.done)
	for {
		_, data, err := c.conn.ReadMessage()
		received := time.Now()
		if err != nil {
			c.fail(fmt.Errorf("rpcclient: read: %w", err))
			return
		}
		var msg wsMessage
		if err := json.Unmarshal(data, &msg); err != nil {
			c.fail(fmt.Errorf("rpcclient: undecodable message from the server: %w", err))
			return
		}
		if msg.Method != "" {
			select {
			case c.ntfns <- Notification{Method: msg.Method, Params: msg.Params, Received: received}:
			default:
				c.fail(fmt.Errorf("rpcclient: %d notifications not read; disconnecting", NotificationQueue))
				return
			}
			continue
		}
		var id uint64
		if err := json.Unmarshal(msg.ID, &id); err != nil {
			// Not a reply to any call of ours.
			continue
		}
		c.mu.Lock()
		ch, ok := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if ok {
			ch <- &rpcmodel.Response{ID: msg.ID, Result: msg.Result, Error: msg.Error}
		}
	}
}

// fail records why the client ended and closes the connection; calls
// waiting for replies return ErrClosed.
func (c *WSClient) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	c.closeOnce.Do(func() { c.conn.Close() })
}

// Call sends method with params and decodes the result into result (which
// may be nil), waiting until the reply arrives, ctx ends or the connection
// ends. An error the server answers with is a *rpcmodel.RPCError.
func (c *WSClient) Call(ctx context.Context, result interface{}, method string, params ...interface{}) error {
	id := c.nextID.Add(1)
	req, err := rpcmodel.NewRequest(id, method, params...)
	if err != nil {
		return err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ch := make(chan *rpcmodel.Response, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ErrClosed)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()

	c.writeMu.Lock()
	c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	err = c.conn.WriteMessage(websocket.TextMessage, body)
	c.writeMu.Unlock()
	if err != nil {
		c.fail(fmt.Errorf("rpcclient: write: %w", err))
		return fmt.Errorf("%s: %w", method, err)
	}

	select {
	case resp := <-ch:
		if resp.Error != nil {
			return resp.Error
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return fmt.Errorf("%s: decode the result: %w", method, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	case <-c.done:
		return fmt.Errorf("%s: %w", method, ErrClosed)
	}
}

// Notifications returns the channel notifications arrive on. It is not
// closed; wait on Done as well.
func (c *WSClient) Notifications() <-chan Notification {
	return c.ntfns
}

// Done is closed when the connection has ended and the reader exited.
func (c *WSClient) Done() <-chan struct{} {
	return c.done
}

// Err returns why the connection ended, nil while it is up or after a
// plain Close.
func (c *WSClient) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if errors.Is(c.err, ErrClosed) {
		return nil
	}
	return c.err
}

// Close closes the connection and returns when the reader has exited. It
// is safe to call more than once.
func (c *WSClient) Close() {
	c.fail(ErrClosed)
	<-c.done
}
