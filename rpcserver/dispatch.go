package rpcserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/rpcmodel"
)

// maxBatchRequests bounds the requests of one batch. The body limit bounds
// bytes; this bounds work, since a tiny request can be an expensive one.
const maxBatchRequests = 500

// clientInfo is what a handler knows about its caller.
type clientInfo struct {
	isAdmin bool
	addr    string
	// quit is closed when the client goes away, so a request waiting for
	// a free handler slot can give up.
	quit <-chan struct{}
	// ws is the websocket client, nil for HTTP.
	ws *wsClient
	// slot is the handler slot of the request being handled. Requests of
	// one client are handled one after the other, so one field serves.
	slot *requestSlot
	// stopRequested is set by stop: the shutdown is requested once the
	// reply is on its way, or the listeners could close under it and the
	// client would see the connection drop instead of the answer.
	stopRequested bool
}

// requestSlot is a request's hold on one of the MaxConcurrentReqs handler
// slots. A handler that waits for an event (a getblocktemplate long poll)
// gives its slot up while it waits, so waiting clients cannot starve the
// others, and takes one again before it works.
type requestSlot struct {
	s    *Server
	held bool
}

// release gives the slot up; it does nothing if the slot is not held.
func (r *requestSlot) release() {
	if r.held {
		<-r.s.reqSem
		r.held = false
	}
}

// acquire takes a slot, waiting for one, unless the server stops or the
// client goes away first.
func (r *requestSlot) acquire(clientQuit <-chan struct{}) *rpcmodel.RPCError {
	if r.held {
		return nil
	}
	select {
	case r.s.reqSem <- struct{}{}:
		r.held = true
		return nil
	case <-r.s.quit:
		return errShuttingDown
	case <-clientQuit:
		return errClientGone
	}
}

// Answers to a request whose handling was cut short.
var (
	errShuttingDown = rpcmodel.NewRPCError(rpcmodel.ErrRPCMisc, "server shutting down")
	errClientGone   = rpcmodel.NewRPCError(rpcmodel.ErrRPCMisc, "client went away")
)

// handler serves one method. args are already checked against the method
// table. A returned *rpcmodel.RPCError reaches the client as is; any other
// error is a bug and is answered with -32603.
type handler func(s *Server, args rpcmodel.Args, cl *clientInfo) (interface{}, error)

// handlers maps every method in rpcmodel's table to its handler. It is set
// in init because some handlers (help) read it.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		// DAG.
		"getblockcount":    handleGetBlockCount,
		"getbestblockhash": handleGetBestBlockHash,
		"getblockhash":     handleGetBlockHash,
		"getblock":         handleGetBlock,
		"getblockheader":   handleGetBlockHeader,
		"getdifficulty":    handleGetDifficulty,
		"getdaginfo":       handleGetDAGInfo,
		"getdagtips":       handleGetDAGTips,
		"getutxostats":     handleGetUTXOStats,
		"getblockhashes":   handleGetBlockHashes,
		"getdagcoloring":   handleGetDAGColoring,
		"renderdag":        handleRenderDAG,
		"getdagview":       handleGetDAGView,
		"getsyncinfo":      handleGetSyncInfo,

		// Transactions and mempool.
		"getrawmempool":        handleGetRawMempool,
		"getmempoolinfo":       handleGetMempoolInfo,
		"getrawtransaction":    handleGetRawTransaction,
		"sendrawtransaction":   handleSendRawTransaction,
		"gettxout":             handleGetTxOut,
		"createrawtransaction": handleCreateRawTransaction,
		"decoderawtransaction": handleDecodeRawTransaction,
		"getbalance":           handleGetBalance,
		"listunspent":          handleListUnspent,

		// Network.
		"getpeerinfo":        handleGetPeerInfo,
		"getconnectioncount": handleGetConnectionCount,
		"addnode":            handleAddNode,
		"getnettotals":       handleGetNetTotals,
		"ping":               handlePing,
		"getlistenaddrs":     handleGetListenAddrs,
		"getinfo":            handleGetInfo,

		// Mining.
		"getmininginfo":    handleGetMiningInfo,
		"generate":         handleGenerate,
		"setgenerate":      handleSetGenerate,
		"getgenerate":      handleGetGenerate,
		"submitblock":      handleSubmitBlock,
		"getblockmetrics":  handleGetBlockMetrics,
		"getblocktemplate": handleGetBlockTemplate,

		// Control.
		"help":    handleHelp,
		"stop":    handleStop,
		"uptime":  handleUptime,
		"version": handleVersion,

		// Websocket.
		"authenticate":              handleAuthenticate,
		"notifyblocks":              handleNotifyBlocks,
		"stopnotifyblocks":          handleStopNotifyBlocks,
		"notifynewtransactions":     handleNotifyNewTransactions,
		"stopnotifynewtransactions": handleStopNotifyNewTransactions,
		"notifyblocktemplate":       handleNotifyBlockTemplate,
		"stopnotifyblocktemplate":   handleStopNotifyBlockTemplate,
		"notifyutxos":               handleNotifyUTXOs,
		"stopnotifyutxos":           handleStopNotifyUTXOs,
	}
}

// errLimitedUser is btcd's answer to a limited user calling an admin method.
var errLimitedUser = rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidParams,
	"limited user not authorized for this method")

// processBody answers a request body: one request or a batch (a JSON
// array), and returns the marshalled reply.
func (s *Server) processBody(body []byte, cl *clientInfo) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return s.processOne(trimmed, cl)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(trimmed, &items); err != nil {
		return marshalResponse(nil, nil, rpcmodel.Errorf(rpcmodel.ErrRPCParse,
			"failed to parse request: %v", err))
	}
	if len(items) == 0 {
		return marshalResponse(nil, nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidRequest,
			"empty batch"))
	}
	if len(items) > maxBatchRequests {
		return marshalResponse(nil, nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidRequest,
			"batch of %d requests is over the limit of %d", len(items), maxBatchRequests))
	}
	replies := make([]json.RawMessage, len(items))
	for i, item := range items {
		replies[i] = s.processOne(item, cl)
	}
	out, err := json.Marshal(replies)
	if err != nil {
		log.Errorf("marshal batch reply: %v", err)
		return marshalResponse(nil, nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInternal,
			"internal error"))
	}
	return out
}

// processOne answers one request.
func (s *Server) processOne(raw []byte, cl *clientInfo) []byte {
	var req rpcmodel.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		if !json.Valid(raw) {
			return marshalResponse(nil, nil, rpcmodel.Errorf(rpcmodel.ErrRPCParse,
				"failed to parse request: %v", err))
		}
		return marshalResponse(nil, nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidRequest,
			"request must be a JSON object with method, params and id"))
	}
	start := time.Now()
	result, rpcErr := s.handleRequest(&req, cl)
	if s.cfg.Observer != nil {
		s.observe(req.Method, rpcErr, time.Since(start))
	}
	return marshalResponse(req.ID, result, rpcErr)
}

// observe reports a request to the observer, naming unknown methods
// UnknownMethodLabel.
func (s *Server) observe(method string, rpcErr *rpcmodel.RPCError, took time.Duration) {
	if _, ok := handlers[method]; !ok {
		method = UnknownMethodLabel
	}
	result := "ok"
	if rpcErr != nil {
		result = strconv.Itoa(int(rpcErr.Code))
	}
	s.cfg.Observer.RPCRequest(method, result, took)
}

// handleRequest checks a request's method, the caller's rights and the
// params, then runs the handler in a handler slot.
func (s *Server) handleRequest(req *rpcmodel.Request, cl *clientInfo) (interface{}, *rpcmodel.RPCError) {
	if req.Method == "" {
		return nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidRequest, "request has no method")
	}
	m, ok := rpcmodel.LookupMethod(req.Method)
	h := handlers[req.Method]
	if !ok || h == nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCMethodNotFound, "method not found: %s",
			clip(req.Method))
	}
	if !cl.isAdmin && !m.Limited {
		return nil, errLimitedUser
	}
	if m.WebsocketOnly && cl.ws == nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCMethodNotFound,
			"%s is only available over a websocket connection (/ws)", m.Name)
	}
	args, err := m.ParseParams(req.Params)
	if err != nil {
		var pe rpcmodel.ParamError
		if errors.As(err, &pe) {
			return nil, pe.ToRPCError()
		}
		return nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidParams, err.Error())
	}

	slot := &requestSlot{s: s}
	if err := slot.acquire(cl.quit); err != nil {
		return nil, err
	}
	defer slot.release()
	cl.slot = slot
	defer func() { cl.slot = nil }()
	return s.callHandler(m.Name, h, args, cl)
}

// callHandler runs a handler and turns its panics and non-RPC errors into
// -32603: they are our bugs, logged at error level, and never take the
// server down.
func (s *Server) callHandler(name string, h handler, args rpcmodel.Args,
	cl *clientInfo) (result interface{}, rpcErr *rpcmodel.RPCError) {

	defer func() {
		if r := recover(); r != nil {
			log.Errorf("RPC handler %s panicked: %v\n%s", name, r, debug.Stack())
			result = nil
			rpcErr = rpcmodel.Errorf(rpcmodel.ErrRPCInternal, "internal error in %s", name)
		}
	}()
	result, err := h(s, args, cl)
	if err == nil {
		return result, nil
	}
	var re *rpcmodel.RPCError
	if errors.As(err, &re) {
		return nil, re
	}
	if errors.Is(err, database.ErrIO) || errors.Is(err, database.ErrCorrupt) {
		// Not our bug but the store's failure, which stops the node
		// and is reported once, with what to do, by the node.
		log.Debugf("RPC handler %s: %v", name, err)
	} else {
		log.Errorf("RPC handler %s: %v", name, err)
	}
	return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInternal, "internal error in %s: %v", name, err)
}

// marshalResponse builds the reply envelope. A nil id becomes null.
func marshalResponse(id json.RawMessage, result interface{}, rpcErr *rpcmodel.RPCError) []byte {
	resp := rpcmodel.Response{ID: id, Error: rpcErr}
	if rpcmodel.IsNull(id) {
		resp.ID = json.RawMessage("null")
	}
	if rpcErr == nil {
		raw, err := json.Marshal(result)
		if err != nil {
			log.Errorf("marshal RPC result: %v", err)
			resp.Error = rpcmodel.NewRPCError(rpcmodel.ErrRPCInternal, "internal error")
		} else {
			resp.Result = raw
		}
	}
	if resp.Result == nil {
		resp.Result = json.RawMessage("null")
	}
	// The envelope is written by hand around the result: marshalling the
	// Response would copy and re-validate a result of megabytes (a
	// listunspent of 10,000 outputs) that json.Marshal just produced.
	// The members are those of rpcmodel.Response, in its order.
	errJSON, err := json.Marshal(resp.Error)
	var idJSON []byte
	if err == nil {
		idJSON, err = json.Marshal(resp.ID)
	}
	if err == nil {
		out := make([]byte, 0, len(resp.Result)+len(errJSON)+len(idJSON)+32)
		out = append(out, `{"result":`...)
		out = append(out, resp.Result...)
		out = append(out, `,"error":`...)
		out = append(out, errJSON...)
		out = append(out, `,"id":`...)
		out = append(out, idJSON...)
		return append(out, '}')
	}
	// Only a malformed id can get here, and json.Unmarshal checked it.
	log.Errorf("marshal RPC response: %v", err)
	return []byte(fmt.Sprintf(`{"result":null,"error":{"code":%d,"message":"internal error"},"id":null}`,
		rpcmodel.ErrRPCInternal))
}

// clip shortens a client-supplied string for an error message, so a huge
// bad value is not echoed back whole.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
