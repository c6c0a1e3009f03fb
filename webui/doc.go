// Package webui holds soterd's web view: a page served by the daemon itself
// that shows the recent DAG as a picture (blocks as nodes, parent edges,
// blue and red coloring, the selected chain highlighted), the sync state
// with progress, rate and time left, the peers, the mempool, and small
// charts of the node's figures, all updated live over the RPC websocket.
//
// The page, its script and its style sheet are embedded in the binary: the
// browser fetches nothing from anywhere but the node, and the Content
// Security Policy it gets forbids anything else. The page keeps a bounded
// number of blocks and chart points, so it can stay open for days while
// blocks stream in.
//
// Package webui only serves files. The RPC server mounts Handler under
// /webui/ behind its own authentication, and serves the websocket and
// JSON-RPC endpoints the page talks to (/webui/ws and /webui/rpc), so the
// browser's cached credentials for /webui/ cover them.
package webui
