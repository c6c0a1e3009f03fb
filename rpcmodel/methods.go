package rpcmodel

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Method categories, as soterctl -l and help group the methods.
const (
	CategoryControl   = "Control"
	CategoryDAG       = "DAG"
	CategoryNetwork   = "Network"
	CategoryTx        = "Transactions and mempool"
	CategoryMining    = "Mining"
	CategoryWebsocket = "Websocket"
)

// Categories lists the categories in display order.
var categories = []string{CategoryDAG, CategoryTx, CategoryNetwork,
	CategoryMining, CategoryControl, CategoryWebsocket}

// Categories returns the method categories in display order.
func Categories() []string {
	return append([]string(nil), categories...)
}

// Websocket notification method names.
const (
	// NtfnBlockConnected is sent to clients that called notifyblocks when
	// a block enters the DAG, in btcd's shape so that btcd's client
	// library (rpcclient's OnBlockConnected) understands it. Params:
	// hash, height, time (unix seconds).
	NtfnBlockConnected = "blockconnected"

	// NtfnDAGBlockConnected is sent with every blockconnected, with the
	// DAG's fields. Params: hash, height, blue score, time (unix
	// seconds).
	NtfnDAGBlockConnected = "dagblockconnected"

	// NtfnVirtualChanged is sent to clients that called notifyblocks when
	// the virtual block's selected chain changes. Params: one
	// VirtualChangedNtfn object.
	NtfnVirtualChanged = "virtualchanged"

	// NtfnTxAccepted is sent to clients that called
	// notifynewtransactions false when a transaction enters the mempool.
	// Params: txid, total output value in coins.
	NtfnTxAccepted = "txaccepted"

	// NtfnTxAcceptedVerbose is sent to clients that called
	// notifynewtransactions true. Params: one TxRawResult object.
	NtfnTxAcceptedVerbose = "txacceptedverbose"

	// NtfnBlockTemplateChanged is sent to clients that called
	// notifyblocktemplate when a new block template is worth fetching:
	// the virtual's parents changed, or transactions entered the mempool
	// and the current template has been served long enough. Params: one
	// BlockTemplateChangedNtfn object.
	NtfnBlockTemplateChanged = "blocktemplatechanged"

	// NtfnUTXOsChanged is sent to clients that called notifyutxos when
	// the virtual's UTXO set gains or loses outputs of their addresses.
	// Params: one UTXOsChangedNtfn object.
	NtfnUTXOsChanged = "utxoschanged"
)

// Bounds on request sizes that a client controls. Each keeps one request's
// work and reply size bounded, whatever the DAG's size.
const (
	// MaxGenerateBlocks bounds generate: mining is synchronous and holds
	// the request open until every block is found.
	MaxGenerateBlocks = 1000

	// MaxRenderDAGBlocks bounds renderdag: Graphviz output grows with the
	// edges, and nobody reads a picture of more blocks.
	MaxRenderDAGBlocks = 1000

	// MaxColoringCount bounds getdagcoloring: about 150 bytes of JSON per
	// block, so the reply stays near 1.5 MB.
	MaxColoringCount = 10000

	// MaxMiningWorkers bounds setgenerate's genproclimit.
	MaxMiningWorkers = 256

	// MaxListUnspent bounds listunspent's result, about 250 bytes of
	// JSON per output, so a reply stays near 25 MB.
	MaxListUnspent = 100_000

	// MaxWatchedAddresses bounds the addresses one websocket client
	// watches with notifyutxos, so a client cannot make every virtual
	// change cost the node unbounded work.
	MaxWatchedAddresses = 10_000
)

// APIVersion is the semantic version of this JSON-RPC API, reported by the
// version method. The major number changes only when a result shape or a
// method's meaning changes incompatibly.
const (
	APIVersionMajor = 1
	APIVersionMinor = 0
	APIVersionPatch = 0
)

// Method describes one RPC method: everything a server needs to validate a
// call and a client needs to form one.
type Method struct {
	// Name is the method name on the wire.
	Name string

	// Category groups the method in listings.
	Category string

	// Params lists the positional parameters.
	Params []Param

	// Description says what the method does, in help.
	Description string

	// Result describes the result, in help.
	Result string

	// Limited reports whether the limited RPC user may call the method:
	// it reads state, or submits data anybody could relay to the node over
	// P2P anyway, but never administers the node.
	Limited bool

	// WebsocketOnly methods need a websocket connection (notifications,
	// authenticate).
	WebsocketOnly bool
}

// Usage returns the one-line synopsis: the name, then required parameters
// by name and optional ones in parentheses, with defaults.
func (m *Method) Usage() string {
	var b strings.Builder
	b.WriteString(m.Name)
	for _, p := range m.Params {
		b.WriteByte(' ')
		name := p.Name
		if p.Type == TypeString {
			name = `"` + name + `"`
		}
		if p.Variadic {
			if p.Optional {
				fmt.Fprintf(&b, "(%s ...)", name)
			} else {
				b.WriteString(name + " ...")
			}
			continue
		}
		if !p.Optional {
			b.WriteString(name)
			continue
		}
		if p.Default != nil {
			fmt.Fprintf(&b, "(%s=%v)", name, p.Default)
		} else {
			fmt.Fprintf(&b, "(%s)", name)
		}
	}
	return b.String()
}

// HelpText returns the method's full help: synopsis, description, the
// arguments with their types and defaults, and the result.
func (m *Method) HelpText() string {
	var b strings.Builder
	b.WriteString(m.Usage())
	b.WriteString("\n\n")
	b.WriteString(m.Description)
	b.WriteString("\n")
	if len(m.Params) > 0 {
		b.WriteString("\nArguments:\n")
		width := 0
		for _, p := range m.Params {
			if len(p.Name) > width {
				width = len(p.Name)
			}
		}
		for i, p := range m.Params {
			req := "required"
			if p.Optional {
				req = "optional"
				if p.Default != nil {
					req = fmt.Sprintf("optional, default=%v", p.Default)
				}
			}
			if p.HasRange {
				req += fmt.Sprintf(", %d..%d", p.Min, p.Max)
			}
			fmt.Fprintf(&b, "%d. %-*s (%s, %s) %s\n", i+1, width, p.Name, p.Type, req, p.Help)
		}
	}
	b.WriteString("\nResult:\n")
	b.WriteString(m.Result)
	b.WriteString("\n")
	if !m.Limited {
		b.WriteString("\nAdmin only: the limited RPC user may not call it.\n")
	}
	if m.WebsocketOnly {
		b.WriteString("\nWebsocket only.\n")
	}
	return b.String()
}

// LookupMethod returns the method with the name.
func LookupMethod(name string) (*Method, bool) {
	m, ok := methodIndex[name]
	return m, ok
}

// Methods returns every method, sorted by name. The pointers are shared:
// callers must not modify them.
func Methods() []*Method {
	return append([]*Method(nil), sortedMethods...)
}

// MethodsByCategory returns the methods of one category, sorted by name.
func MethodsByCategory(category string) []*Method {
	var out []*Method
	for _, m := range sortedMethods {
		if m.Category == category {
			out = append(out, m)
		}
	}
	return out
}

var (
	methodIndex   map[string]*Method
	sortedMethods []*Method
)

func init() {
	methodIndex = make(map[string]*Method, len(methodTable))
	for i := range methodTable {
		m := &methodTable[i]
		methodIndex[m.Name] = m
		sortedMethods = append(sortedMethods, m)
	}
	sort.Slice(sortedMethods, func(i, j int) bool {
		return sortedMethods[i].Name < sortedMethods[j].Name
	})
}

// Parameter helpers keep the table readable.

// addressesParam is the address list of the UTXO index methods.
var addressesParam = Param{Name: "address", Type: TypeString, Variadic: true,
	Help: "One or more addresses of the node's network (or x-only public keys in hex)."}

func reqString(name, help string) Param {
	return Param{Name: name, Type: TypeString, Help: help}
}

func reqInt(name string, min, max int64, help string) Param {
	return Param{Name: name, Type: TypeInt, HasRange: true, Min: min, Max: max, Help: help}
}

func optBool(name string, def bool, help string) Param {
	return Param{Name: name, Type: TypeBool, Optional: true, Default: def, Help: help}
}

const (
	hashHelp   = "The block hash, byte-reversed hex (64 characters)."
	txidHelp   = "The transaction id, byte-reversed hex (64 characters)."
	maxHeight  = math.MaxUint32
	maxIndex   = math.MaxInt64
	txRawShape = `{
  "hex": "...",            (string) the serialized transaction, when asked for
  "txid": "...",           (string) the transaction id
  "version": n,            (numeric) transaction version
  "size": n,               (numeric) serialized size in bytes
  "locktime": n,           (numeric) blue score before which it is not final (0: none)
  "vin": [ { "txid": "...", "vout": n, "signature": "hex" } ],
  "vout": [ { "value": x.xxx, "n": n, "address": "...", "pubkey": "hex" } ],
  "payload": "hex",        (string) coinbase payload (blue score, extra nonce, tag)
  "coinbase": bool,        (boolean) whether it is a coinbase
  "blockhash": "...",      (string) containing block, when known
  "time": n                (numeric) time of the containing block or of mempool entry, when known
}`
	blockVerboseShape = `{
  "hash": "...", "confirmations": n, "size": n, "height": n, "version": n,
  "versionHex": "...", "merkleroot": "...", "tx": ["txid", ...] (verbosity 1)
  or "rawtx": [txRawResult, ...] (verbosity 2), "time": n (unix seconds),
  "timemillis": n, "nonce": n, "bits": "hex", "difficulty": x.xxx,
  "parents": ["hash", ...], "children": ["hash", ...], "selectedparent": "...",
  "bluescore": n, "bluework": "hex", "isblue": bool, "ischainblock": bool,
  "acceptingblock": "...", "mergesetblues": [...], "mergesetreds": [...],
  "status": "valid" | "pending" | "invalid"
}
confirmations is the virtual's blue score minus the block's blue score: 1
for the virtual's selected parent, growing by one per blue block after it.
status is "pending" for a block kept below the finality point without UTXO
validation, and "invalid" for such a block that failed it when something
merged it (docs/consensus.md, Finality).`
)

// methodTable is the complete list of methods. Handlers live in package
// rpcserver; a test there checks both sides name the same methods.
var methodTable = []Method{
	// DAG.
	{
		Name: "getblockcount", Category: CategoryDAG, Limited: true,
		Description: "Returns the index of the virtual block's selected parent on the " +
			"selected chain (genesis is 0). On a chain this is btcd's block height, and " +
			"getblockhash of it returns getbestblockhash. getdaginfo has the number of " +
			"blocks in the DAG.",
		Result: "n (numeric) the selected chain's last index",
	},
	{
		Name: "getbestblockhash", Category: CategoryDAG, Limited: true,
		Description: "Returns the hash of the virtual block's selected parent, the tip " +
			"of the selected chain.",
		Result: `"hash" (string) the block hash`,
	},
	{
		Name: "getblockhash", Category: CategoryDAG, Limited: true,
		Params: []Param{reqInt("index", 0, maxIndex,
			"Position on the virtual's selected chain, genesis 0.")},
		Description: "Returns the hash of the block at a position of the virtual block's " +
			"selected-parent chain. A DAG height can hold several blocks (see " +
			"getblockhashes); the chain index names exactly one, and it is btcd's height " +
			"when the DAG is a chain.",
		Result: `"hash" (string) the block hash; error -1 when the index is beyond the chain`,
	},
	{
		Name: "getblock", Category: CategoryDAG, Limited: true,
		Params: []Param{
			reqString("hash", hashHelp),
			{Name: "verbosity", Type: TypeBoolOrInt, Optional: true, Default: int64(1),
				HasRange: true, Min: 0, Max: 2,
				Help: "0 or false: hex; 1 or true: JSON with txids; 2: JSON with decoded transactions."},
		},
		Description: "Returns a block: its serialized hex, or a JSON object with the " +
			"header, the DAG data (parents, children, selected parent, blue score, blue " +
			"work, coloring) and its transactions.",
		Result: `verbosity 0: "hex" (string) the serialized block; on a pruned node, a block below
its lowest retained height answers error -1 "block not available (pruned data)"
with that height
verbosity 1 and 2: ` + blockVerboseShape,
	},
	{
		Name: "getblockheader", Category: CategoryDAG, Limited: true,
		Params: []Param{
			reqString("hash", hashHelp),
			optBool("verbose", true, "true: JSON object; false: serialized header hex."),
		},
		Description: "Returns a block header, as hex or as JSON with the DAG data.",
		Result: `verbose false: "hex" (string)
verbose true: { "hash", "confirmations", "height", "version", "versionHex",
  "merkleroot", "time", "timemillis", "nonce", "bits", "difficulty", "parents",
  "children", "selectedparent", "bluescore", "bluework" }`,
	},
	{
		Name: "getdifficulty", Category: CategoryDAG, Limited: true,
		Description: "Returns the difficulty the next block needs, as a multiple of the " +
			"network's minimum difficulty.",
		Result: "x.xxx (numeric) the difficulty",
	},
	{
		Name: "getdaginfo", Category: CategoryDAG, Limited: true,
		Description: "Returns the state of the DAG and of the virtual block.",
		Result: `{
  "network": "...", "blocks": n (blocks in the DAG, genesis included),
  "tips": n, "tiphashes": [...], "maxheight": n, "chainheight": n (blocks on
  the selected chain), "bluescore": n, "bluework": "hex",
  "virtualselectedparent": "...", "virtualparents": [...], "difficulty": x,
  "bits": "hex", "pastmediantime": n (unix ms), "utxocount": n,
  "utxocommitment": "...", "iscurrent": bool, "finalitypoint": "..." (the
  chain block the virtual never leaves), "finalitybluescore": n,
  "pruned": bool, "prunetarget": n (MiB, 0 on an archive node),
  "lowestretainedheight": n (lowest height whose block bodies are kept)
}`,
	},
	{
		Name: "getutxostats", Category: CategoryDAG, Limited: true,
		Description: "Returns the number of unspent outputs in the virtual block's UTXO " +
			"set, their total value and the set's commitment, read together. With fees " +
			"burned, the total is the sum of the accepted coinbase outputs minus the fees " +
			"of the accepted transactions.",
		Result: `{ "count": n, "total": x.xxx (coins), "totalunits": n (base units, exact),
  "utxocommitment": "..." }`,
	},
	{
		Name: "getdagtips", Category: CategoryDAG, Limited: true,
		Description: "Returns the DAG's tips (blocks without children), by blue work " +
			"descending, then hash.",
		Result: `["hash", ...]`,
	},
	{
		Name: "getblockhashes", Category: CategoryDAG, Limited: true,
		Params: []Param{reqInt("height", 0, maxHeight,
			"The DAG height: 1 + the largest height among a block's parents, genesis 0.")},
		Description: "Returns every block at a DAG height.",
		Result:      `["hash", ...] (empty above the DAG's max height)`,
	},
	{
		Name: "getdagcoloring", Category: CategoryDAG, Limited: true,
		Params: []Param{
			reqInt("start", 0, maxIndex, "First position in the GHOSTDAG total order, genesis 0."),
			{Name: "count", Type: TypeInt, Optional: true, Default: int64(100),
				HasRange: true, Min: 1, Max: MaxColoringCount, Help: "How many blocks to return."},
		},
		Description: "Returns a stretch of the virtual block's GHOSTDAG total order with " +
			"each block's color (blue or red) and the chain block that merged it.",
		Result: `[ { "index": n, "hash": "...", "color": "blue"|"red", "acceptingblock": "..." }, ... ]`,
	},
	{
		Name: "renderdag", Category: CategoryDAG, Limited: true,
		Params: []Param{{Name: "count", Type: TypeInt, Optional: true, Default: int64(50),
			HasRange: true, Min: 1, Max: MaxRenderDAGBlocks,
			Help: "How many of the highest blocks to draw."}},
		Description: "Returns a Graphviz DOT picture of the highest blocks of the DAG: " +
			"edges point to parents (bold to the selected parent), blue and red blocks " +
			"are filled in their color, chain blocks have a double border. Render with " +
			"`soterctl renderdag 100 | dot -Tsvg > dag.svg`.",
		Result: `"digraph ..." (string) the DOT source`,
	},
	{
		Name: "getdagview", Category: CategoryDAG, Limited: true,
		Params: []Param{{Name: "count", Type: TypeInt, Optional: true, Default: int64(100),
			HasRange: true, Min: 1, Max: MaxRenderDAGBlocks,
			Help: "How many of the highest blocks to return."}},
		Description: "Returns the highest blocks of the DAG, oldest first, with their parents, " +
			"color and whether they are on the virtual's selected chain, for drawing the DAG " +
			"(the web view uses it). Color is blue or red as renderdag fills it, unmerged " +
			"for a red block no chain block has merged yet.",
		Result: `{ "maxheight": n, "blocks": n, "tips": ["hash", ...],
  "view": [ { "hash": "...", "height": n, "bluescore": n, "timestamp": n (unix ms),
    "parents": ["hash", ...], "selectedparent": "...", "color": "blue"|"red"|"unmerged",
    "chain": bool }, ... ] }`,
	},
	{
		Name: "getsyncinfo", Category: CategoryDAG, Limited: false,
		Description: "Returns the sync manager's state: sync peer, whether the node is " +
			"current, heights, requested and orphan blocks.",
		Result: `{ "syncpeer": n, "syncpeeraddr": "...", "insyncmode": bool,
  "iscurrent": bool, "maxheight": n, "syncpeermaxheight": n, "orphans": n,
  "requestedblocks": n, "blocksprocessed": n, "lastblocktime": n,
  "lastprogress": n, "onlyprunedpeers": bool (peers are ahead but all of
  them pruned the blocks we need next: connect an archive node),
  "pruned": bool, "prunetarget": n (MiB), "lowestretainedheight": n }`,
	},

	// Transactions and mempool.
	{
		Name: "getrawmempool", Category: CategoryTx, Limited: true,
		Params: []Param{optBool("verbose", false,
			"false: array of txids; true: object keyed by txid.")},
		Description: "Returns the transactions in the mempool.",
		Result: `verbose false: ["txid", ...]
verbose true: { "txid": { "size": n, "fee": x.xxx, "time": n, "height": n,
  "depends": ["txid", ...] }, ... }`,
	},
	{
		Name: "getmempoolinfo", Category: CategoryTx, Limited: true,
		Description: "Returns the mempool's size.",
		Result:      `{ "size": n (transactions), "bytes": n (serialized bytes) }`,
	},
	{
		Name: "getrawtransaction", Category: CategoryTx, Limited: true,
		Params: []Param{
			reqString("txid", txidHelp),
			{Name: "verbose", Type: TypeBoolOrInt, Optional: true, Default: int64(0),
				HasRange: true, Min: 0, Max: 1, Help: "0 or false: hex; 1 or true: JSON."},
			{Name: "blockhash", Type: TypeString, Optional: true,
				Help: "A block to look for the transaction in."},
		},
		Description: "Returns a transaction from the mempool, from the given block, or " +
			"from a block the node's transaction lookup knows.",
		Result: `verbose 0: "hex" (string)
verbose 1: ` + txRawShape,
	},
	{
		Name: "sendrawtransaction", Category: CategoryTx, Limited: true,
		Params: []Param{
			reqString("hextx", "The serialized, signed transaction in hex."),
			optBool("allowhighfees", false, "Send even when the fee is high: over 0.01 coins and over "+
				"100 times the default relay fee rate, as a forgotten change output makes it. Fees are burned."),
		},
		Description: "Submits a transaction to the mempool, which relays it to peers.",
		Result:      `"txid" (string); error -22 when it does not decode, -25 when it is rejected`,
	},
	{
		Name: "gettxout", Category: CategoryTx, Limited: true,
		Params: []Param{
			reqString("txid", txidHelp),
			reqInt("vout", 0, math.MaxUint32, "The output index."),
			optBool("includemempool", true, "Also look at mempool transactions."),
		},
		Description: "Returns an unspent output of the virtual block's UTXO set, or of a " +
			"mempool transaction; null when it does not exist or is spent.",
		Result: `null, or { "bestblock": "...", "confirmations": n, "value": x.xxx,
  "address": "...", "pubkey": "hex", "coinbase": bool, "bluescore": n }`,
	},
	{
		Name: "getbalance", Category: CategoryTx, Limited: true,
		Params:      []Param{addressesParam},
		Description: "Returns the coins of the virtual block's UTXO set locked to the addresses. Needs --utxoindex.",
		Result: `{ "balance": x.xxx (all unspent outputs), "spendable": x.xxx (mature and not spent by a mempool
  transaction), "immature": x.xxx (coinbase outputs still maturing), "pending": x.xxx (spent by a
  mempool transaction), "outputs": n, "bluescore": n (the virtual's) }`,
	},
	{
		Name: "listunspent", Category: CategoryTx, Limited: true,
		Params: []Param{addressesParam},
		Description: "Lists the unspent outputs of the virtual block's UTXO set locked to the addresses, " +
			"leaving out those a mempool transaction spends; at most 100000. Needs --utxoindex.",
		Result: `[{ "txid": "hex", "vout": n, "address": "...", "pubkey": "hex", "amount": x.xxx,
  "confirmations": n, "bluescore": n, "coinbase": bool, "spendable": bool }, ...]`,
	},
	{
		Name: "createrawtransaction", Category: CategoryTx, Limited: true,
		Params: []Param{
			{Name: "inputs", Type: TypeArray, Help: `[{"txid": "...", "vout": n}, ...]`},
			{Name: "outputs", Type: TypeObject,
				Help: `{"address": amount, ...}: addresses (or x-only public keys in hex) and coins, in order.`},
			{Name: "locktime", Type: TypeInt, Optional: true, Default: int64(0), HasRange: true,
				Min: 0, Max: maxIndex, Help: "Blue score before which it is not final (0: none)."},
		},
		Description: "Returns an unsigned transaction spending the inputs to the " +
			"outputs; sign it with sotertx sign.",
		Result: `"hex" (string) the transaction with zero signatures`,
	},
	{
		Name: "decoderawtransaction", Category: CategoryTx, Limited: true,
		Params:      []Param{reqString("hextx", "The serialized transaction in hex.")},
		Description: "Decodes a serialized transaction.",
		Result:      txRawShape,
	},

	// Network.
	{
		Name: "getpeerinfo", Category: CategoryNetwork,
		Description: "Returns the connected peers.",
		Result: `[ { "id": n, "addr": "...", "addrlocal": "...", "services": "...",
  "relaytxes": bool, "lastsend": n, "lastrecv": n, "bytessent": n,
  "bytesrecv": n, "conntime": n, "timeoffset": n, "pingtime": n (µs),
  "pingwait": n (µs), "version": n, "subver": "...", "inbound": bool,
  "startingheight": n, "currentheight": n, "banscore": n, "syncnode": bool }, ... ]`,
	},
	{
		Name: "getconnectioncount", Category: CategoryNetwork,
		Description: "Returns the number of connected peers.",
		Result:      "n (numeric)",
	},
	{
		Name: "addnode", Category: CategoryNetwork,
		Params: []Param{
			reqString("addr", "host:port of the peer (the network's port if left out)."),
			reqString("subcmd", `"add": keep connected; "remove": stop; "onetry": connect once.`),
		},
		Description: "Adds, removes or tries a persistent peer.",
		Result:      "null",
	},
	{
		Name: "getnettotals", Category: CategoryNetwork, Limited: true,
		Description: "Returns the bytes sent and received over P2P since start.",
		Result:      `{ "totalbytesrecv": n, "totalbytessent": n, "timemillis": n }`,
	},
	{
		Name: "ping", Category: CategoryNetwork,
		Description: "Queues a ping to every peer; getpeerinfo shows the times.",
		Result:      "null",
	},
	{
		Name: "getlistenaddrs", Category: CategoryNetwork,
		Description: "Returns the addresses the node listens on for peers and for RPC.",
		Result:      `{ "p2p": ["host:port", ...], "rpc": ["host:port", ...] }`,
	},
	{
		Name: "getinfo", Category: CategoryNetwork, Limited: true,
		Description: "Returns a summary of the node's state.",
		Result: `{ "version": n, "protocolversion": n, "blocks": n (getblockcount),
  "dagblocks": n, "timeoffset": n, "connections": n, "proxy": "", "difficulty": x,
  "testnet": bool, "network": "...", "relayfee": x, "errors": "" }`,
	},

	// Mining.
	{
		Name: "getmininginfo", Category: CategoryMining,
		Description: "Returns mining state.",
		Result: `{ "blocks": n, "currentblocksize": n, "currentblocktx": n,
  "difficulty": x, "errors": "", "generate": bool, "genproclimit": n,
  "hashespersec": n, "networkhashps": n, "pooledtx": n, "testnet": bool,
  "blocksmined": n }`,
	},
	{
		Name: "generate", Category: CategoryMining,
		Params: []Param{reqInt("numblocks", 1, MaxGenerateBlocks, "How many blocks to mine.")},
		Description: "Mines blocks on the current tips right away (regtest and simnet " +
			"only) and returns when all are in the DAG.",
		Result: `["hash", ...]`,
	},
	{
		Name: "setgenerate", Category: CategoryMining,
		Params: []Param{
			{Name: "generate", Type: TypeBool, Help: "true: start the CPU miner; false: stop it."},
			{Name: "genproclimit", Type: TypeInt, Optional: true, Default: int64(-1),
				HasRange: true, Min: -1, Max: MaxMiningWorkers,
				Help: "Worker goroutines; -1 keeps the configured number, 0 stops mining."},
		},
		Description: "Starts or stops the CPU miner.",
		Result:      "null",
	},
	{
		Name: "getgenerate", Category: CategoryMining,
		Description: "Returns whether the CPU miner is running.",
		Result:      "bool",
	},
	{
		Name: "submitblock", Category: CategoryMining, Limited: true,
		Params: []Param{
			reqString("hexblock", "The serialized block in hex."),
			{Name: "options", Type: TypeObject, Optional: true, Help: "Ignored; for btcd compatibility."},
		},
		Description: "Submits a mined block to the DAG.",
		Result: `null when accepted; "duplicate" when already known; "orphan" when its ` +
			`parents are unknown (kept until they arrive); "rejected: reason" otherwise`,
	},
	{
		Name: "getblocktemplate", Category: CategoryMining, Limited: true,
		Params: []Param{{Name: "request", Type: TypeObject, Optional: true,
			Help: `{"mode": "template" (default) or "proposal", "longpollid": "id" ` +
				`(wait until the template changes), "miningaddr": "address" ` +
				`(coinbase key), "data": "hex block" (proposal), "capabilities": [...] (ignored)}`}},
		Description: "Returns a block template for an external miner (BIP 22 and 23, adapted " +
			"to the DAG): the parents it merges, its transactions with fees and " +
			"dependencies, a coinbase paying the request's miningaddr (else the node's " +
			"mining key), bits, target and times in unix milliseconds. With a longpollid " +
			"it answers when the template changes (a new virtual, or new transactions once " +
			"the template is 5 s old) or after 60 s. Mode proposal checks a block in every " +
			"way but proof of work without accepting it and answers null or a BIP 22 reject " +
			"reason.",
		Result: `mode template: {
  "version": n, "parents": ["hash", ...], "height": n, "bluescore": n,
  "bits": "hex", "target": "hex", "curtime": n, "mintime": n, "maxtime": n (unix ms),
  "noncerange": "hex", "sizelimit": n, "transactions": [ { "data": "hex", "txid": "...",
  "hash": "...", "depends": [n, ...], "fee": n (base units) }, ... ],
  "coinbasetxn": { "data": "hex", "txid": "...", "hash": "...", "depends": [], "fee": 0 },
  "coinbasevalue": n (base units), "coinbasepayload": { "prefix": "hex",
  "maxlength": n, "extranonceoffset": n, "extranoncelength": n },
  "miningaddr": "address", "longpollid": "id", "submitold": true,
  "mutable": ["time", "transactions", "coinbase", "coinbase/append"],
  "capabilities": ["proposal", "longpoll", "coinbasetxn"]
}
mode proposal: null when the block is valid, else a reject reason such as
"bad-txnmrklroot", "bad-diffbits", "duplicate" or "inconclusive"`,
	},
	{
		Name: "getblockmetrics", Category: CategoryMining,
		Description: "Returns the blocks this node mined since it started, most recent " +
			"last, with how long each took to find.",
		Result: `{ "count": n, "averagemillis": n, "blocks": [ { "hash": "...",
  "height": n, "time": n (unix ms), "millis": n }, ... ] }`,
	},

	// Control.
	{
		Name: "help", Category: CategoryControl, Limited: true,
		Params: []Param{{Name: "command", Type: TypeString, Optional: true,
			Help: "A method name."}},
		Description: "Lists the methods, or returns one method's help.",
		Result:      `"text" (string)`,
	},
	{
		Name: "stop", Category: CategoryControl,
		Description: "Shuts the node down.",
		Result:      `"soterd stopping." (string)`,
	},
	{
		Name: "uptime", Category: CategoryControl, Limited: true,
		Description: "Returns the seconds since the node started.",
		Result:      "n (numeric)",
	},
	{
		Name: "version", Category: CategoryControl, Limited: true,
		Description: "Returns the JSON-RPC API version.",
		Result: `{ "soterdjsonrpcapi": { "versionstring": "x.y.z", "major": x,
  "minor": y, "patch": z, "prerelease": "", "buildmetadata": "" } }`,
	},

	// Websocket.
	{
		Name: "authenticate", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Params: []Param{
			reqString("username", "RPC user name."),
			reqString("passphrase", "RPC password."),
		},
		Description: "Authenticates a websocket connection opened without HTTP basic " +
			"auth; it must be the first request. A failure closes the connection.",
		Result: "null",
	},
	{
		Name: "notifyblocks", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Description: "Sends blockconnected (btcd's params) and dagblockconnected (with the " +
			"blue score) for every block entering the DAG, and virtualchanged when the " +
			"virtual's selected chain changes.",
		Result: "null",
	},
	{
		Name: "stopnotifyblocks", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Description: "Stops blockconnected, dagblockconnected and virtualchanged.",
		Result:      "null",
	},
	{
		Name: "notifynewtransactions", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Params: []Param{optBool("verbose", false,
			"false: txaccepted with txid and amount; true: txacceptedverbose with the decoded transaction.")},
		Description: "Sends a notification for every transaction entering the mempool.",
		Result:      "null",
	},
	{
		Name: "notifyutxos", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Params: []Param{addressesParam},
		Description: "Adds the addresses to those watched (at most 10000 per client) and sends " +
			"utxoschanged whenever the virtual block's UTXO set gains or loses outputs of a " +
			"watched address. Needs --utxoindex.",
		Result: "null",
	},
	{
		Name: "stopnotifyutxos", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Params: []Param{{Name: "address", Type: TypeString, Variadic: true, Optional: true,
			Help: "Addresses to stop watching; none stops them all."}},
		Description: "Stops watching the addresses, or all of them.",
		Result:      "null",
	},
	{
		Name: "stopnotifynewtransactions", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Description: "Stops transaction notifications.",
		Result:      "null",
	},
	{
		Name: "notifyblocktemplate", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Description: "Sends blocktemplatechanged whenever a new block template is worth " +
			"fetching with getblocktemplate: when the virtual's parents change, and when " +
			"transactions entered the mempool and the current template is 5 s old, so " +
			"miners need not poll.",
		Result: "null",
	},
	{
		Name: "stopnotifyblocktemplate", Category: CategoryWebsocket, Limited: true, WebsocketOnly: true,
		Description: "Stops blocktemplatechanged.",
		Result:      "null",
	},
}
