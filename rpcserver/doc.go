// Package rpcserver implements soterd's JSON-RPC server: JSON-RPC 1.0 over
// HTTP POST and over a websocket at /ws, with the conventions of btcd so its
// clients and tools work (envelopes, method names, result shapes and error
// codes, all defined in package rpcmodel).
//
// # Security
//
// Every request needs HTTP basic auth, or on a websocket either basic auth on
// the upgrade or an authenticate request as the first message. The server
// keeps SHA-256 digests of the two valid Authorization headers (admin and
// limited user) and compares the digest of each header against both in
// constant time. A failure is a bare 401 with a WWW-Authenticate challenge
// and no hint of what was wrong. The limited user may call only the methods
// rpcmodel marks Limited (reads, plus submitting transactions and blocks,
// which anyone could relay over P2P); anything else is answered, like btcd,
// with -32602 "limited user not authorized for this method".
//
// TLS is on unless Config.NoTLS, which is refused unless every listen
// address is loopback. When neither the certificate nor the key file exists
// New generates a self-signed ECDSA P-256 pair (GenCertPair).
//
// # Limits
//
// MaxClients bounds concurrent HTTP requests (more get 503), MaxWebsockets
// websocket clients (more get 503 before the upgrade), MaxConcurrentReqs the
// requests handled at once across both, and MaxRequestBytes a body or a
// websocket message (a larger body gets 413). A batch holds at most 500
// requests. Each websocket client has a bounded send queue: a client that
// falls behind by a full queue is disconnected, so notifications never block
// the node. Refused requests are logged once and then summed up every 10 s.
//
// With Config.WebUI the server also serves the web view's files under
// /webui/ and the same JSON-RPC at /webui/rpc and /webui/ws; /webui/ws also
// takes the signed session cookie the files set, since browsers send no
// basic auth with a websocket handshake. Config.Observer, when set, is told
// of every request (the node's Prometheus metrics).
//
// # Node integration
//
// New binds the listeners (so bind and certificate problems surface before
// the node starts), Start serves them and Stop closes them and every
// connection, websockets included, and returns after every goroutine
// exited. The node reads RequestedProcessShutdown to learn that a client
// called stop, and calls NotifyBlockAccepted, NotifyVirtualChanged and
// NotifyUTXOsChanged (from the DAG's Subscribe callback) and
// NotifyTxAccepted (from the mempool's acceptance hook) to feed websocket
// notifications. State comes from small interfaces declared here (DAG,
// SyncManager, ConnManager, TxMempool, Miner, TxLocator, UTXOIndex,
// BlockTemplater); only DAG is required, and a method whose source is
// missing answers -1 "this node has no ..." (the UTXO index methods say to
// start soterd with --utxoindex).
//
// # Block templates
//
// getblocktemplate (BIP 22 and 23, adapted to the DAG) serves one template
// per generation, built once by the BlockTemplater and given to each caller
// with a coinbase of its own. NotifyVirtualChanged starts a new generation;
// NotifyTxAccepted does when the generation is TemplateTxRefresh old, or
// arms a timer for when it will be. A new generation answers long polls
// (which wait without a handler slot) and sends blocktemplatechanged to
// websocket clients that asked. Proposals run the DAG's CheckBlockTemplate
// and answer BIP 22 reject reasons.
//
// A handler that panics is recovered, logged at error level and answered
// with -32603; the server goes on. What clients cause is logged at debug,
// info or warn.
//
// Package rpcserver does not open the database, decide on relaying, or keep
// any state of its own beyond connections and subscriptions; it has no
// wallet, no address index (getrawtransaction finds transactions in the
// mempool, in a block the client names, or through an optional TxLocator)
// and no HTTP endpoints other than / and /ws.
package rpcserver
