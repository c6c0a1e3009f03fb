package procnode

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/soterdag/soterd/rpcmodel"
)

// maxReplyBytes bounds a reply read into memory: getdagcoloring of 10,000
// blocks or a large getblock is a few megabytes.
const maxReplyBytes = 64 << 20

// maxConnsPerNode bounds the HTTP connections a Node opens to its process,
// below soterd's default of 10 RPC clients, so concurrent callers queue here
// instead of being turned away.
const maxConnsPerNode = 6

// busyRetries and busyBackoff govern retrying a call the server turned away
// with 503 Too busy: it is shedding load, not failing.
const (
	busyRetries = 20
	busyBackoff = 50 * time.Millisecond
)

// newClient returns the HTTP client and URL for the RPC server at addr.
func (n *Node) newClient(addr string) (*http.Client, string, error) {
	transport := &http.Transport{
		MaxConnsPerHost:     maxConnsPerNode,
		MaxIdleConnsPerHost: maxConnsPerNode,
		IdleConnTimeout:     30 * time.Second,
	}
	scheme := "http"
	if n.cfg.TLS {
		scheme = "https"
		pem, err := os.ReadFile(n.CertFile())
		if err != nil {
			return nil, "", procError(ErrInvalidConfig, fmt.Sprintf("procnode: "+
				"RPC certificate: %v", err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "", procError(ErrInvalidConfig, fmt.Sprintf("procnode: "+
				"RPC certificate %s holds no PEM certificate", n.CertFile()))
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Transport: transport, Timeout: n.cfg.RPCTimeout}
	return client, scheme + "://" + addr + "/", nil
}

// Call sends one JSON-RPC request and returns the raw result. An error the
// server answers with is a *rpcmodel.RPCError (use errors.As to read its
// code); anything else is an Error of kind ErrRPCTransport.
func (n *Node) Call(method string, params ...interface{}) (json.RawMessage, error) {
	n.mu.Lock()
	client, url := n.client, n.rpcURL
	n.mu.Unlock()
	if client == nil {
		return nil, procError(ErrNotRunning, "procnode: call "+method+": not started")
	}
	req, err := rpcmodel.NewRequest(n.rpcID.Add(1), method, params...)
	if err != nil {
		return nil, procError(ErrRPCTransport, fmt.Sprintf("procnode: call %s: %v", method, err))
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, procError(ErrRPCTransport, fmt.Sprintf("procnode: call %s: %v", method, err))
	}
	for attempt := 0; ; attempt++ {
		status, reply, err := n.post(client, url, body)
		if err != nil {
			return nil, procError(ErrRPCTransport, fmt.Sprintf("procnode: call %s: %v", method, err))
		}
		if status == http.StatusServiceUnavailable && attempt < busyRetries &&
			strings.Contains(string(reply), "Too busy") {
			time.Sleep(busyBackoff)
			continue
		}
		var resp rpcmodel.Response
		if err := json.Unmarshal(reply, &resp); err != nil {
			return nil, procError(ErrRPCTransport, fmt.Sprintf("procnode: call %s: "+
				"HTTP %d: %s", method, status, strings.TrimSpace(truncate(string(reply), 200))))
		}
		if resp.Error != nil {
			return nil, resp.Error
		}
		return resp.Result, nil
	}
}

// post sends body and returns the status and the bounded reply.
func (n *Node) post(client *http.Client, url string, body []byte) (int, []byte, error) {
	httpReq, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	httpReq.SetBasicAuth(n.cfg.RPCUser, n.cfg.RPCPass)
	httpReq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(httpReq)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return 0, nil, err
	}
	if len(reply) > maxReplyBytes {
		return 0, nil, fmt.Errorf("reply over %d bytes", maxReplyBytes)
	}
	return resp.StatusCode, reply, nil
}

// truncate shortens s to at most n bytes for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// CallResult calls method and decodes its result into result.
func (n *Node) CallResult(result interface{}, method string, params ...interface{}) error {
	raw, err := n.Call(method, params...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return procError(ErrRPCTransport, fmt.Sprintf("procnode: %s: decode "+
			"the result: %v", method, err))
	}
	return nil
}

// Generate mines n blocks at once (regtest and simnet) and returns their
// hashes. Counts above rpcmodel.MaxGenerateBlocks take several calls.
func (n *Node) Generate(count int) ([]string, error) {
	hashes := make([]string, 0, min(count, rpcmodel.MaxGenerateBlocks))
	for count > 0 {
		batch := min(count, rpcmodel.MaxGenerateBlocks)
		var got []string
		if err := n.CallResult(&got, "generate", batch); err != nil {
			return hashes, err
		}
		hashes = append(hashes, got...)
		count -= batch
	}
	return hashes, nil
}

// SetGenerate starts (with workers goroutines; -1 keeps the configured
// number) or stops the CPU miner.
func (n *Node) SetGenerate(on bool, workers int) error {
	_, err := n.Call("setgenerate", on, workers)
	return err
}

// GetDAGInfo returns getdaginfo's result.
func (n *Node) GetDAGInfo() (*rpcmodel.GetDAGInfoResult, error) {
	var r rpcmodel.GetDAGInfoResult
	if err := n.CallResult(&r, "getdaginfo"); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetSyncInfo returns getsyncinfo's result.
func (n *Node) GetSyncInfo() (*rpcmodel.GetSyncInfoResult, error) {
	var r rpcmodel.GetSyncInfoResult
	if err := n.CallResult(&r, "getsyncinfo"); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetPeerInfo returns getpeerinfo's result.
func (n *Node) GetPeerInfo() ([]rpcmodel.GetPeerInfoResult, error) {
	var r []rpcmodel.GetPeerInfoResult
	if err := n.CallResult(&r, "getpeerinfo"); err != nil {
		return nil, err
	}
	return r, nil
}

// GetConnectionCount returns the number of connected peers.
func (n *Node) GetConnectionCount() (int, error) {
	var c int
	err := n.CallResult(&c, "getconnectioncount")
	return c, err
}

// AddNode asks the node to keep a connection to the peer at addr
// (addnode add).
func (n *Node) AddNode(addr string) error {
	_, err := n.Call("addnode", addr, "add")
	return err
}

// RemoveNode asks the node to drop the peer at addr and stop redialling it
// (addnode remove).
func (n *Node) RemoveNode(addr string) error {
	_, err := n.Call("addnode", addr, "remove")
	return err
}

// SendRawTransaction submits a serialized transaction in hex and returns
// its txid.
func (n *Node) SendRawTransaction(txHex string) (string, error) {
	var txid string
	err := n.CallResult(&txid, "sendrawtransaction", txHex)
	return txid, err
}

// GetTxOut returns an unspent output of the virtual's UTXO set (and of the
// mempool with includeMempool), nil when it does not exist or is spent.
func (n *Node) GetTxOut(txid string, vout uint32, includeMempool bool) (*rpcmodel.GetTxOutResult, error) {
	raw, err := n.Call("gettxout", txid, vout, includeMempool)
	if err != nil {
		return nil, err
	}
	if rpcmodel.IsNull(raw) {
		return nil, nil
	}
	var r rpcmodel.GetTxOutResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, procError(ErrRPCTransport, fmt.Sprintf("procnode: gettxout: "+
			"decode the result: %v", err))
	}
	return &r, nil
}

// GetRawMempool returns the txids in the mempool.
func (n *Node) GetRawMempool() ([]string, error) {
	var ids []string
	err := n.CallResult(&ids, "getrawmempool", false)
	return ids, err
}

// GetBlock returns a block as JSON: verbosity 1 lists txids, 2 decodes the
// transactions.
func (n *Node) GetBlock(hash string, verbosity int) (*rpcmodel.GetBlockVerboseResult, error) {
	var r rpcmodel.GetBlockVerboseResult
	if err := n.CallResult(&r, "getblock", hash, verbosity); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetBlockHashes returns the blocks at a DAG height.
func (n *Node) GetBlockHashes(height uint32) ([]string, error) {
	var hashes []string
	err := n.CallResult(&hashes, "getblockhashes", height)
	return hashes, err
}

// GetDAGTips returns the DAG's tips.
func (n *Node) GetDAGTips() ([]string, error) {
	var hashes []string
	err := n.CallResult(&hashes, "getdagtips")
	return hashes, err
}

// GetDAGColoring returns count entries of the virtual's total order from
// start; count is at most rpcmodel.MaxColoringCount.
func (n *Node) GetDAGColoring(start uint64, count int) ([]rpcmodel.ColoredBlock, error) {
	var blocks []rpcmodel.ColoredBlock
	err := n.CallResult(&blocks, "getdagcoloring", start, count)
	return blocks, err
}

// GetDAGOrder returns the whole total order of the virtual's past with each
// block's color, in as many getdagcoloring calls as it takes.
func (n *Node) GetDAGOrder() ([]rpcmodel.ColoredBlock, error) {
	var all []rpcmodel.ColoredBlock
	for {
		page, err := n.GetDAGColoring(uint64(len(all)), rpcmodel.MaxColoringCount)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < rpcmodel.MaxColoringCount {
			return all, nil
		}
	}
}

// GetUTXOStats returns getutxostats' result: the count, total and
// commitment of the virtual's UTXO set, read together.
func (n *Node) GetUTXOStats() (*rpcmodel.GetUTXOStatsResult, error) {
	var r rpcmodel.GetUTXOStatsResult
	if err := n.CallResult(&r, "getutxostats"); err != nil {
		return nil, err
	}
	return &r, nil
}
