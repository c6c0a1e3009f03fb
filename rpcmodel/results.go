package rpcmodel

// Result structs, one per method result that is an object. Field names and
// JSON tags follow btcd where the method means the same thing. Hashes are
// byte-reversed hex strings, amounts are coins, times are unix seconds
// unless the field name says millis.

// GetBlockVerboseResult is getblock's result at verbosity 1 (Tx holds the
// txids) and 2 (RawTx holds the decoded transactions).
type GetBlockVerboseResult struct {
	Hash           string        `json:"hash"`
	Confirmations  uint64        `json:"confirmations"`
	Size           int           `json:"size,omitempty"`
	Height         uint32        `json:"height"`
	Version        int32         `json:"version"`
	VersionHex     string        `json:"versionHex"`
	MerkleRoot     string        `json:"merkleroot"`
	Tx             []string      `json:"tx,omitempty"`
	RawTx          []TxRawResult `json:"rawtx,omitempty"`
	Time           int64         `json:"time"`
	TimeMillis     int64         `json:"timemillis"`
	Nonce          uint64        `json:"nonce"`
	Bits           string        `json:"bits"`
	Difficulty     float64       `json:"difficulty"`
	Parents        []string      `json:"parents"`
	Children       []string      `json:"children"`
	SelectedParent string        `json:"selectedparent,omitempty"`
	BlueScore      uint64        `json:"bluescore"`
	BlueWork       string        `json:"bluework"`
	IsBlue         bool          `json:"isblue"`
	IsChainBlock   bool          `json:"ischainblock"`
	AcceptingBlock string        `json:"acceptingblock,omitempty"`
	MergeSetBlues  []string      `json:"mergesetblues,omitempty"`
	MergeSetReds   []string      `json:"mergesetreds,omitempty"`
	NTx            int           `json:"ntx,omitempty"`
	Status         string        `json:"status"`
}

// GetBlockHeaderVerboseResult is getblockheader's verbose result.
type GetBlockHeaderVerboseResult struct {
	Hash           string   `json:"hash"`
	Confirmations  uint64   `json:"confirmations"`
	Height         uint32   `json:"height"`
	Version        int32    `json:"version"`
	VersionHex     string   `json:"versionHex"`
	MerkleRoot     string   `json:"merkleroot"`
	Time           int64    `json:"time"`
	TimeMillis     int64    `json:"timemillis"`
	Nonce          uint64   `json:"nonce"`
	Bits           string   `json:"bits"`
	Difficulty     float64  `json:"difficulty"`
	Parents        []string `json:"parents"`
	Children       []string `json:"children"`
	SelectedParent string   `json:"selectedparent,omitempty"`
	BlueScore      uint64   `json:"bluescore"`
	BlueWork       string   `json:"bluework"`
}

// Vin is one input of a decoded transaction.
type Vin struct {
	TxID      string `json:"txid"`
	Vout      uint32 `json:"vout"`
	Signature string `json:"signature"`
}

// Vout is one output of a decoded transaction.
type Vout struct {
	Value float64 `json:"value"`
	N     uint32  `json:"n"`
	// Address is the output's key as an address of the node's network;
	// PubKey is the same key as 64 hex characters.
	Address string `json:"address"`
	PubKey  string `json:"pubkey"`
}

// TxRawResult is a decoded transaction: decoderawtransaction's result,
// getrawtransaction's verbose result, the entries of getblock at verbosity
// 2, and txacceptedverbose's parameter.
type TxRawResult struct {
	Hex       string `json:"hex,omitempty"`
	TxID      string `json:"txid"`
	Version   uint16 `json:"version"`
	Size      int    `json:"size"`
	LockTime  uint64 `json:"locktime"`
	Vin       []Vin  `json:"vin"`
	Vout      []Vout `json:"vout"`
	Payload   string `json:"payload,omitempty"`
	Coinbase  bool   `json:"coinbase"`
	BlockHash string `json:"blockhash,omitempty"`
	Time      int64  `json:"time,omitempty"`
}

// GetDAGInfoResult is getdaginfo's result.
type GetDAGInfoResult struct {
	Network               string   `json:"network"`
	Blocks                uint64   `json:"blocks"`
	Tips                  int      `json:"tips"`
	TipHashes             []string `json:"tiphashes"`
	MaxHeight             uint32   `json:"maxheight"`
	ChainHeight           uint64   `json:"chainheight"`
	BlueScore             uint64   `json:"bluescore"`
	BlueWork              string   `json:"bluework"`
	VirtualSelectedParent string   `json:"virtualselectedparent"`
	VirtualParents        []string `json:"virtualparents"`
	Difficulty            float64  `json:"difficulty"`
	Bits                  string   `json:"bits"`
	PastMedianTime        int64    `json:"pastmediantime"`
	UTXOCount             uint64   `json:"utxocount"`
	UTXOCommitment        string   `json:"utxocommitment"`
	IsCurrent             bool     `json:"iscurrent"`
	FinalityPoint         string   `json:"finalitypoint"`
	FinalityBlueScore     uint64   `json:"finalitybluescore"`
	Pruned                bool     `json:"pruned"`
	PruneTargetMiB        uint64   `json:"prunetarget"`
	LowestRetainedHeight  uint32   `json:"lowestretainedheight"`
}

// GetUTXOStatsResult is getutxostats' result. Total is in coins like every
// amount; TotalUnits is the same sum in base units, exact where a JSON
// number of coins may round.
type GetUTXOStatsResult struct {
	Count      uint64  `json:"count"`
	Total      float64 `json:"total"`
	TotalUnits uint64  `json:"totalunits"`
	Commitment string  `json:"utxocommitment"`
}

// ColoredBlock is one entry of getdagcoloring's result.
type ColoredBlock struct {
	Index          uint64 `json:"index"`
	Hash           string `json:"hash"`
	Color          string `json:"color"`
	AcceptingBlock string `json:"acceptingblock,omitempty"`
}

// Block colors in getdagcoloring and getdagview; ColorUnmerged only in
// getdagview.
const (
	ColorBlue     = "blue"
	ColorRed      = "red"
	ColorUnmerged = "unmerged"
)

// GetDAGViewResult is getdagview's result.
type GetDAGViewResult struct {
	MaxHeight uint32         `json:"maxheight"`
	Blocks    uint64         `json:"blocks"`
	Tips      []string       `json:"tips"`
	View      []DAGViewBlock `json:"view"`
}

// DAGViewBlock is one block of getdagview.
type DAGViewBlock struct {
	Hash           string   `json:"hash"`
	Height         uint32   `json:"height"`
	BlueScore      uint64   `json:"bluescore"`
	Timestamp      int64    `json:"timestamp"`
	Parents        []string `json:"parents"`
	SelectedParent string   `json:"selectedparent,omitempty"`
	Color          string   `json:"color"`
	Chain          bool     `json:"chain"`
}

// GetSyncInfoResult is getsyncinfo's result.
type GetSyncInfoResult struct {
	SyncPeer          int32  `json:"syncpeer"`
	SyncPeerAddr      string `json:"syncpeeraddr"`
	InSyncMode        bool   `json:"insyncmode"`
	IsCurrent         bool   `json:"iscurrent"`
	MaxHeight         uint32 `json:"maxheight"`
	SyncPeerMaxHeight uint32 `json:"syncpeermaxheight"`
	Orphans           int    `json:"orphans"`
	RequestedBlocks   int    `json:"requestedblocks"`
	BlocksProcessed   uint64 `json:"blocksprocessed"`
	LastBlockTime     int64  `json:"lastblocktime"`
	LastProgress      int64  `json:"lastprogress"`
	// OnlyPrunedPeers is true when peers are ahead of us but every one
	// of them has pruned the blocks we need next.
	OnlyPrunedPeers      bool   `json:"onlyprunedpeers"`
	Pruned               bool   `json:"pruned"`
	PruneTargetMiB       uint64 `json:"prunetarget"`
	LowestRetainedHeight uint32 `json:"lowestretainedheight"`
}

// GetPeerInfoResult is one entry of getpeerinfo's result.
type GetPeerInfoResult struct {
	ID             int32  `json:"id"`
	Addr           string `json:"addr"`
	AddrLocal      string `json:"addrlocal,omitempty"`
	Services       string `json:"services"`
	RelayTxes      bool   `json:"relaytxes"`
	LastSend       int64  `json:"lastsend"`
	LastRecv       int64  `json:"lastrecv"`
	BytesSent      uint64 `json:"bytessent"`
	BytesRecv      uint64 `json:"bytesrecv"`
	ConnTime       int64  `json:"conntime"`
	TimeOffset     int64  `json:"timeoffset"`
	PingTime       int64  `json:"pingtime"`
	PingWait       int64  `json:"pingwait,omitempty"`
	Version        uint32 `json:"version"`
	SubVer         string `json:"subver"`
	Inbound        bool   `json:"inbound"`
	StartingHeight uint32 `json:"startingheight"`
	CurrentHeight  uint32 `json:"currentheight"`
	BanScore       int32  `json:"banscore"`
	SyncNode       bool   `json:"syncnode"`
}

// GetNetTotalsResult is getnettotals' result.
type GetNetTotalsResult struct {
	TotalBytesRecv uint64 `json:"totalbytesrecv"`
	TotalBytesSent uint64 `json:"totalbytessent"`
	TimeMillis     int64  `json:"timemillis"`
}

// GetListenAddrsResult is getlistenaddrs' result.
type GetListenAddrsResult struct {
	P2P []string `json:"p2p"`
	RPC []string `json:"rpc"`
}

// GetInfoResult is getinfo's result.
type GetInfoResult struct {
	Version         int32   `json:"version"`
	ProtocolVersion uint32  `json:"protocolversion"`
	Blocks          uint64  `json:"blocks"`
	DAGBlocks       uint64  `json:"dagblocks"`
	TimeOffset      int64   `json:"timeoffset"`
	Connections     int32   `json:"connections"`
	Proxy           string  `json:"proxy"`
	Difficulty      float64 `json:"difficulty"`
	TestNet         bool    `json:"testnet"`
	Network         string  `json:"network"`
	RelayFee        float64 `json:"relayfee"`
	Errors          string  `json:"errors"`
}

// GetRawMempoolVerboseResult is one value of getrawmempool's verbose result.
type GetRawMempoolVerboseResult struct {
	Size    int      `json:"size"`
	Fee     float64  `json:"fee"`
	Time    int64    `json:"time"`
	Height  uint32   `json:"height"`
	Depends []string `json:"depends"`
}

// GetMempoolInfoResult is getmempoolinfo's result.
type GetMempoolInfoResult struct {
	Size  int    `json:"size"`
	Bytes uint64 `json:"bytes"`
}

// UnspentOutput is one entry of listunspent's result (btcd's shape, with
// the output's key in place of scriptPubKey) and of utxoschanged's added
// outputs.
type UnspentOutput struct {
	TxID    string  `json:"txid"`
	Vout    uint32  `json:"vout"`
	Address string  `json:"address"`
	PubKey  string  `json:"pubkey"`
	Amount  float64 `json:"amount"`
	// Confirmations is the virtual's blue score minus BlueScore, the
	// blue score of the output's block, as gettxout counts them.
	Confirmations uint64 `json:"confirmations"`
	BlueScore     uint64 `json:"bluescore"`
	Coinbase      bool   `json:"coinbase"`
	// Spendable is false for a coinbase output that has not matured.
	Spendable bool `json:"spendable"`
}

// GetBalanceResult is getbalance's result: sums over the addresses asked
// for, in coins.
type GetBalanceResult struct {
	// Balance is the value of every unspent output of the virtual
	// locked to the addresses; Spendable the part that a transaction
	// can spend now, Immature the coinbase outputs still maturing, and
	// Pending the outputs a mempool transaction already spends.
	Balance   float64 `json:"balance"`
	Spendable float64 `json:"spendable"`
	Immature  float64 `json:"immature"`
	Pending   float64 `json:"pending"`
	// Outputs counts the unspent outputs.
	Outputs   int    `json:"outputs"`
	BlueScore uint64 `json:"bluescore"`
}

// SpentOutput is one of utxoschanged's removed outputs.
type SpentOutput struct {
	TxID    string `json:"txid"`
	Vout    uint32 `json:"vout"`
	Address string `json:"address"`
}

// UTXOsChangedNtfn is utxoschanged's parameter: the outputs of watched
// addresses that entered and left the virtual's UTXO set.
type UTXOsChangedNtfn struct {
	VirtualBlueScore uint64          `json:"virtualbluescore"`
	Added            []UnspentOutput `json:"added"`
	Removed          []SpentOutput   `json:"removed"`
}

// GetTxOutResult is gettxout's result when the output exists.
type GetTxOutResult struct {
	BestBlock     string  `json:"bestblock"`
	Confirmations uint64  `json:"confirmations"`
	Value         float64 `json:"value"`
	Address       string  `json:"address"`
	PubKey        string  `json:"pubkey"`
	Coinbase      bool    `json:"coinbase"`
	BlueScore     uint64  `json:"bluescore"`
}

// GetMiningInfoResult is getmininginfo's result.
type GetMiningInfoResult struct {
	Blocks           uint64  `json:"blocks"`
	CurrentBlockSize uint64  `json:"currentblocksize"`
	CurrentBlockTx   uint64  `json:"currentblocktx"`
	Difficulty       float64 `json:"difficulty"`
	Errors           string  `json:"errors"`
	Generate         bool    `json:"generate"`
	GenProcLimit     int32   `json:"genproclimit"`
	HashesPerSec     float64 `json:"hashespersec"`
	NetworkHashPS    float64 `json:"networkhashps"`
	PooledTx         uint64  `json:"pooledtx"`
	TestNet          bool    `json:"testnet"`
	BlocksMined      int     `json:"blocksmined"`
}

// MinedBlockResult is one entry of getblockmetrics' result.
type MinedBlockResult struct {
	Hash   string `json:"hash"`
	Height uint32 `json:"height"`
	Time   int64  `json:"time"`
	Millis int64  `json:"millis"`
}

// GetBlockMetricsResult is getblockmetrics' result.
type GetBlockMetricsResult struct {
	Count         int                `json:"count"`
	AverageMillis int64              `json:"averagemillis"`
	Blocks        []MinedBlockResult `json:"blocks"`
}

// VersionResult is one value of version's result, keyed by API name.
type VersionResult struct {
	VersionString string `json:"versionstring"`
	Major         uint32 `json:"major"`
	Minor         uint32 `json:"minor"`
	Patch         uint32 `json:"patch"`
	Prerelease    string `json:"prerelease"`
	BuildMetadata string `json:"buildmetadata"`
}

// APIName is the key of version's result.
const APIName = "soterdjsonrpcapi"

// VirtualChangedNtfn is virtualchanged's parameter.
type VirtualChangedNtfn struct {
	Added            []string `json:"added"`
	Removed          []string `json:"removed"`
	VirtualBlueScore uint64   `json:"virtualbluescore"`
	VirtualParents   []string `json:"virtualparents"`
}

// TransactionInput is one entry of createrawtransaction's inputs.
type TransactionInput struct {
	TxID string `json:"txid"`
	Vout uint32 `json:"vout"`
}

// Modes of a getblocktemplate request.
const (
	// TemplateModeTemplate asks for a template (the default).
	TemplateModeTemplate = "template"

	// TemplateModeProposal asks the node to check a block without
	// accepting it (BIP 23).
	TemplateModeProposal = "proposal"
)

// TemplateRequest is getblocktemplate's optional request object: BIP 22's
// template request and BIP 23's proposal, plus the key the coinbase pays.
// Members it does not know are ignored, as BIP 22 asks.
type TemplateRequest struct {
	// Mode is TemplateModeTemplate (or empty) or TemplateModeProposal.
	Mode string `json:"mode,omitempty"`

	// Capabilities the client has; accepted for BIP 22 clients and
	// ignored.
	Capabilities []string `json:"capabilities,omitempty"`

	// LongPollID is the longpollid of the template the client holds: the
	// call answers once the node's template differs from it.
	LongPollID string `json:"longpollid,omitempty"`

	// MiningAddr is the x-only public key (64 hex characters) the
	// coinbase pays; empty means the node's mining key.
	MiningAddr string `json:"miningaddr,omitempty"`

	// Data is the serialized block a proposal asks about, in hex.
	Data string `json:"data,omitempty"`
}

// GetBlockTemplateResultTx is one transaction of a block template. Depends
// holds the 1-based positions in the template's transactions of the
// transactions it spends outputs of, as BIP 22 numbers them; Fee is in base
// units, as BIP 22 counts satoshis.
type GetBlockTemplateResultTx struct {
	Data    string  `json:"data"`
	TxID    string  `json:"txid"`
	Hash    string  `json:"hash"`
	Depends []int64 `json:"depends"`
	Fee     uint64  `json:"fee"`
}

// CoinbasePayloadRules say what a coinbase payload must and may hold: it
// must start with Prefix (the block's blue score, 8 bytes little endian)
// and be at most MaxLength bytes. In coinbasetxn's payload the extra nonce
// is the ExtraNonceLength bytes at ExtraNonceOffset, which a miner may
// change freely.
type CoinbasePayloadRules struct {
	Prefix           string `json:"prefix"`
	MaxLength        int    `json:"maxlength"`
	ExtraNonceOffset int    `json:"extranonceoffset"`
	ExtraNonceLength int    `json:"extranoncelength"`
}

// GetBlockTemplateResult is getblocktemplate's result in template mode:
// BIP 22's shape adapted to the DAG. Parents replace previousblockhash and
// are sorted as the header lists them; CurTime, MinTime and MaxTime are
// unix milliseconds, like the header's timestamp; CoinbaseValue is in base
// units. SubmitOld is always true: a block mined on a template whose
// parents have since been built on is still valid (see docs/mining.md).
type GetBlockTemplateResult struct {
	Version         int32                      `json:"version"`
	Parents         []string                   `json:"parents"`
	Height          uint32                     `json:"height"`
	BlueScore       uint64                     `json:"bluescore"`
	Bits            string                     `json:"bits"`
	Target          string                     `json:"target"`
	CurTime         int64                      `json:"curtime"`
	MinTime         int64                      `json:"mintime"`
	MaxTime         int64                      `json:"maxtime"`
	NonceRange      string                     `json:"noncerange"`
	SizeLimit       int                        `json:"sizelimit"`
	Transactions    []GetBlockTemplateResultTx `json:"transactions"`
	CoinbaseTxn     *GetBlockTemplateResultTx  `json:"coinbasetxn"`
	CoinbaseValue   uint64                     `json:"coinbasevalue"`
	CoinbasePayload CoinbasePayloadRules       `json:"coinbasepayload"`
	MiningAddr      string                     `json:"miningaddr"`
	LongPollID      string                     `json:"longpollid"`
	SubmitOld       bool                       `json:"submitold"`
	Mutable         []string                   `json:"mutable"`
	Capabilities    []string                   `json:"capabilities"`
}

// Reasons for a blocktemplatechanged notification.
const (
	// TemplateChangedParents: the virtual block moved, so templates must
	// name other parents.
	TemplateChangedParents = "parents"

	// TemplateChangedMempool: transactions entered the mempool while the
	// template aged.
	TemplateChangedMempool = "mempool"
)

// BlockTemplateChangedNtfn is blocktemplatechanged's parameter.
// LongPollID is the longpollid getblocktemplate now answers with, so a
// miner holding that template can ignore the notification.
type BlockTemplateChangedNtfn struct {
	LongPollID string `json:"longpollid"`
	Reason     string `json:"reason"`
}

// Reject reasons a getblocktemplate proposal answers with. They are BIP
// 22's and Bitcoin Core's names where the rule means the same thing, and
// new names in the same style for the rules of the DAG (parents,
// mergeset, coinbase payload). A client must expect reasons it does not
// know, as BIP 22 says.
const (
	// RejectDuplicate: the block is already in the DAG.
	RejectDuplicate = "duplicate"

	// RejectDuplicateInvalid: the block failed validation before.
	RejectDuplicateInvalid = "duplicate-invalid"

	// RejectDuplicateInconclusive: the block waits in the orphan pool
	// for its parents.
	RejectDuplicateInconclusive = "duplicate-inconclusive"

	// RejectInconclusive: the block names a parent the node does not
	// have, so it cannot be checked.
	RejectInconclusive = "inconclusive"

	// RejectBadPrevBlk: a parent is known to be invalid.
	RejectBadPrevBlk = "bad-prevblk"

	// RejectBadParents: no parents, too many, not sorted, or one parent
	// in the past of another.
	RejectBadParents = "bad-parents"

	// RejectBadMergeSet: the parents merge more blocks than the mergeset
	// limit.
	RejectBadMergeSet = "bad-mergeset"

	// RejectBadVersion: a header version the node does not accept.
	RejectBadVersion = "bad-version"

	// RejectBadDiffBits: bits are not the difficulty the block's past
	// requires.
	RejectBadDiffBits = "bad-diffbits"

	// RejectHighHash: the hash is above the target (only for submitted
	// blocks; proposals are not checked for proof of work).
	RejectHighHash = "high-hash"

	// RejectTimeTooNew: the timestamp is too far in the future.
	RejectTimeTooNew = "time-too-new"

	// RejectTimeTooOld: the timestamp is not above the past median time.
	RejectTimeTooOld = "time-too-old"

	// RejectBadLength: the block is larger than the size limit.
	RejectBadLength = "bad-blk-length"

	// RejectBadMerkleRoot: the merkle root does not commit to the
	// transactions.
	RejectBadMerkleRoot = "bad-txnmrklroot"

	// RejectCoinbaseMissing: no transactions, or the first is not a
	// coinbase.
	RejectCoinbaseMissing = "bad-cb-missing"

	// RejectCoinbaseMultiple: a coinbase other than the first
	// transaction.
	RejectCoinbaseMultiple = "bad-cb-multiple"

	// RejectCoinbasePayload: the coinbase payload does not start with the
	// block's blue score, or is too long.
	RejectCoinbasePayload = "bad-cb-payload"

	// RejectCoinbaseAmount: the coinbase pays more than the subsidy.
	RejectCoinbaseAmount = "bad-cb-amount"

	// RejectTxnsDuplicate: two transactions share a txid.
	RejectTxnsDuplicate = "bad-txns-duplicate"

	// RejectTxnsDoubleSpend: two transactions of the block spend one
	// output.
	RejectTxnsDoubleSpend = "bad-txns-double-spend"

	// RejectTxnsNonFinal: a transaction's lock time is not reached.
	RejectTxnsNonFinal = "bad-txns-nonfinal"

	// RejectTxnsMissingInputs: an input spends an output that does not
	// exist or is spent, in the block's past.
	RejectTxnsMissingInputs = "bad-txns-inputs-missingorspent"

	// RejectTxnsPrematureSpend: a coinbase output spent before maturity.
	RejectTxnsPrematureSpend = "bad-txns-premature-spend-of-coinbase"

	// RejectTxnsInBelowOut: outputs worth more than inputs.
	RejectTxnsInBelowOut = "bad-txns-in-belowout"

	// RejectTxnsSignature: a signature does not verify.
	RejectTxnsSignature = "bad-txns-signature"

	// RejectTxnsOutputExists: the coinbase creates an output that exists
	// unspent.
	RejectTxnsOutputExists = "bad-txns-output-exists"

	// RejectTxns: a transaction fails its own checks (version, size,
	// outputs, values, payload, duplicate inputs).
	RejectTxns = "bad-txns"

	// RejectRejected: any other rule.
	RejectRejected = "rejected"
)
