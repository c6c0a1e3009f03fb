package rpcmodel

import (
	"bytes"
	"encoding/json"
)

// Request is a JSON-RPC request. JSONRPC is "1.0" for btcd-style clients;
// "2.0" is accepted too. ID is kept raw so the reply echoes it unchanged,
// whatever JSON type the client chose.
type Request struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

// Response is a JSON-RPC response in btcd's shape: result and error are both
// always present, one of them null.
type Response struct {
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
	ID     json.RawMessage `json:"id"`
}

// Notification is a server-to-client websocket message: a request with a
// null id, the btcd convention for notifications.
type Notification struct {
	JSONRPC string        `json:"jsonrpc"`
	Method  string        `json:"method"`
	Params  []interface{} `json:"params"`
	ID      interface{}   `json:"id"`
}

// NewRequest builds a request with params marshalled from Go values. Use
// json.RawMessage values to pass JSON through untouched.
func NewRequest(id interface{}, method string, params ...interface{}) (*Request, error) {
	rawID, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	if params == nil {
		params = []interface{}{}
	}
	rawParams, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	return &Request{JSONRPC: "1.0", Method: method, Params: rawParams, ID: rawID}, nil
}

// NewNotification builds a notification with the method and params.
func NewNotification(method string, params ...interface{}) *Notification {
	if params == nil {
		params = []interface{}{}
	}
	return &Notification{JSONRPC: "1.0", Method: method, Params: params}
}

// IsNull reports whether raw JSON is absent or the literal null.
func IsNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}
