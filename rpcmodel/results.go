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
	Value  float64 `json:"value"`
	N      uint32  `json:"n"`
	PubKey string  `json:"pubkey"`
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

// Block colors in getdagcoloring.
const (
	ColorBlue = "blue"
	ColorRed  = "red"
)

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

// GetTxOutResult is gettxout's result when the output exists.
type GetTxOutResult struct {
	BestBlock     string  `json:"bestblock"`
	Confirmations uint64  `json:"confirmations"`
	Value         float64 `json:"value"`
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
