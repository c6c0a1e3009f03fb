package blockdag

import (
	"fmt"
	"math/big"
	"time"

	"github.com/soterdag/soterd/wire"
)

// BaseUnitsPerCoin is the number of base units in one coin.
const BaseUnitsPerCoin = 100_000_000

// MaxSupply bounds every amount: no output, and no sum of outputs, may exceed
// it. It is above the sum of all subsidies, so it only guards overflow.
const MaxSupply = 21_000_000 * BaseUnitsPerCoin * 10

// Params defines one network. Values are built by the constructor functions
// below (never mutable globals) and are read-only after that.
type Params struct {
	// Name is the network's name: "mainnet", "testnet", "regtest" or
	// "simnet". It is also the data directory's subfolder.
	Name string

	// AddressPrefix is the bech32m prefix of the network's addresses
	// (package address): "soter", "sotertest", "soterreg" or "sotersim".
	// Distinct prefixes keep one network's address from being paid on
	// another.
	AddressPrefix string

	// Net is the frame magic of the network.
	Net wire.SoterNet

	// DefaultPort and RPCPort are the default P2P and JSON-RPC ports.
	DefaultPort string
	RPCPort     string

	// GenesisBlock is the network's first block and GenesisHash its hash.
	GenesisBlock *wire.MsgBlock
	GenesisHash  wire.Hash

	// K is the GHOSTDAG parameter: the largest anticone a blue block may
	// have among the blues.
	K uint32

	// MaxParents is the most parents a block may name.
	MaxParents int

	// MergeSetSizeLimit is the largest mergeset (blues and reds, selected
	// parent included) a block may have.
	MergeSetSizeLimit int

	// FinalityDepth is the blue score below the virtual's at which the
	// selected chain is final (finality.go): the virtual never moves off
	// a chain block that deep, and a block whose selected chain forks
	// below it is kept without UTXO validation until something merges it.
	FinalityDepth uint64

	// MergeDepth bounds how old a block a new block may merge
	// (mergedepth.go): every block of a block's mergeset must have, on
	// its selected chain, the block's merge depth root, the block of its
	// own selected chain MergeDepth blue score below it. It must be less
	// than FinalityDepth.
	MergeDepth uint64

	// MaxBlockSize is the largest serialized block, at most
	// wire.MaxBlockPayload.
	MaxBlockSize int

	// TargetTimePerBlock is the block interval difficulty aims at.
	TargetTimePerBlock time.Duration

	// PowLimit is the easiest target allowed and PowLimitBits its compact
	// form.
	PowLimit     *big.Int
	PowLimitBits uint32

	// NoDifficultyAdjustment keeps every block at PowLimitBits; only the
	// local test networks set it, so tests mine instantly.
	NoDifficultyAdjustment bool

	// DifficultyWindowSize is how many blocks of a block's past, by blue
	// order, its required difficulty is computed from.
	DifficultyWindowSize int

	// PastMedianTimeWindow is how many blocks of a block's past, by blue
	// order, its past median time is the median of.
	PastMedianTimeWindow int

	// MaxTimeOffset is how far in the future a block timestamp may be.
	MaxTimeOffset time.Duration

	// BaseSubsidy is the coinbase subsidy before any halving, in base
	// units, and SubsidyHalvingInterval the blue score between halvings.
	BaseSubsidy            uint64
	SubsidyHalvingInterval uint64

	// CoinbaseMaturity is the blue score that must pass before a coinbase
	// output may be spent.
	CoinbaseMaturity uint64

	// MaxCoinbasePayloadLen bounds the coinbase payload (blue score, extra
	// nonce and miner tag).
	MaxCoinbasePayloadLen int

	// RelayNonStdTxs allows relaying non-standard transactions (mempool
	// policy only).
	RelayNonStdTxs bool

	// AllowLocalAddrs lets the address book keep and gossip private and
	// loopback addresses, which only local test networks want.
	AllowLocalAddrs bool

	// DNSSeeds are host names whose A and AAAA records are nodes of the
	// network listening on DefaultPort; a node with a short address book
	// asks them. Empty until the network has seeders: a new node then
	// needs --addpeer or --connect, and says so at start.
	DNSSeeds []string

	// AssumeValid is the default of --assumevalid: a block the software's
	// authors checked in full, whose past a new node may download without
	// checking signatures (everything else is still checked). The zero
	// hash, every network's value until it has a history worth skipping,
	// means none.
	AssumeValid wire.Hash
}

// Numbers shared by the networks.
const (
	defaultK                 = 18
	defaultMaxParents        = 10
	defaultMergeSetLimit     = defaultK * 10
	defaultMaxBlockSize      = 1_000_000
	defaultFinalityDepth     = 86_400 // a day at one block a second
	localFinalityDepth       = 10_000
	defaultMergeDepth        = 3_600 // an hour at one block a second
	localMergeDepth          = 5_000
	defaultPastMedianWindow  = 27
	defaultDifficultyWindow  = 263
	defaultMaxTimeOffset     = 132 * time.Second
	defaultBaseSubsidy       = 50 * BaseUnitsPerCoin
	defaultCoinbaseMaturity  = 100
	defaultMaxCoinbasePayld  = 150
	defaultTargetTimePerBlck = time.Second
)

// genesisTimestamp is 2026-11-27 00:00:00 UTC in unix milliseconds.
const genesisTimestamp = 1795737600000

// powLimit returns 2^bits - 1.
func powLimit(bits uint) *big.Int {
	l := new(big.Int).Lsh(big.NewInt(1), bits)
	return l.Sub(l, big.NewInt(1))
}

// newGenesis builds a genesis block: no parents, and a coinbase with no
// outputs, so the genesis creates no coins, whose payload (blue score zero,
// then a tag) makes each network's genesis distinct.
func newGenesis(tag string, bits uint32, nonce uint64) *wire.MsgBlock {
	payload := make([]byte, 8, 8+len(tag))
	payload = append(payload, tag...)
	coinbase := &wire.MsgTx{Version: wire.TxVersion, Payload: payload}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:   BlockVersion,
			Timestamp: genesisTimestamp,
			Bits:      bits,
			Nonce:     nonce,
		},
		Transactions: []*wire.MsgTx{coinbase},
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
	return block
}

func finish(p *Params) *Params {
	p.PowLimitBits = wire.BigToCompact(p.PowLimit)
	p.GenesisHash = p.GenesisBlock.BlockHash()
	return p
}

func baseParams() Params {
	return Params{
		K:                     defaultK,
		MaxParents:            defaultMaxParents,
		MergeSetSizeLimit:     defaultMergeSetLimit,
		FinalityDepth:         defaultFinalityDepth,
		MergeDepth:            defaultMergeDepth,
		MaxBlockSize:          defaultMaxBlockSize,
		TargetTimePerBlock:    defaultTargetTimePerBlck,
		DifficultyWindowSize:  defaultDifficultyWindow,
		PastMedianTimeWindow:  defaultPastMedianWindow,
		MaxTimeOffset:         defaultMaxTimeOffset,
		BaseSubsidy:           defaultBaseSubsidy,
		CoinbaseMaturity:      defaultCoinbaseMaturity,
		MaxCoinbasePayloadLen: defaultMaxCoinbasePayld,
	}
}

// MainNetParams returns the parameters of the main network.
func MainNetParams() *Params {
	p := baseParams()
	p.Name = "mainnet"
	p.AddressPrefix = "soter"
	p.Net = wire.MainNet
	p.DefaultPort = "18911"
	p.RPCPort = "18912"
	p.PowLimit = powLimit(236)
	p.SubsidyHalvingInterval = 126_000_000
	p.GenesisBlock = newGenesis("soterd mainnet genesis", wire.BigToCompact(p.PowLimit), mainNetGenesisNonce)
	return finish(&p)
}

// TestNetParams returns the parameters of the public test network.
func TestNetParams() *Params {
	p := baseParams()
	p.Name = "testnet"
	p.AddressPrefix = "sotertest"
	p.Net = wire.TestNet
	p.DefaultPort = "18921"
	p.RPCPort = "18922"
	p.PowLimit = powLimit(239)
	p.SubsidyHalvingInterval = 126_000_000
	p.RelayNonStdTxs = true
	p.GenesisBlock = newGenesis("soterd testnet genesis", wire.BigToCompact(p.PowLimit), testNetGenesisNonce)
	return finish(&p)
}

// localPowLimit is the target of the local test networks: about half of all
// hashes meet it, so a block takes a couple of tries.
var localPowLimit = wire.CompactToBig(0x207fffff)

// localParams returns the parameters the local test networks share:
// instant mining at a fixed difficulty, relay of non-standard transactions
// and local addresses in the address book.
func localParams(name, prefix string, net wire.SoterNet, port, rpcPort string,
	halving uint64, nonce uint64) *Params {

	p := baseParams()
	p.Name = name
	p.AddressPrefix = prefix
	p.Net = net
	p.DefaultPort = port
	p.RPCPort = rpcPort
	p.PowLimit = localPowLimit
	p.NoDifficultyAdjustment = true
	p.FinalityDepth = localFinalityDepth
	p.MergeDepth = localMergeDepth
	p.SubsidyHalvingInterval = halving
	p.RelayNonStdTxs = true
	p.AllowLocalAddrs = true
	p.GenesisBlock = newGenesis("soterd "+name+" genesis", 0x207fffff, nonce)
	return finish(&p)
}

// RegressionNetParams returns the parameters of the regression test network:
// instant mining, fixed difficulty, short halving interval.
func RegressionNetParams() *Params {
	return localParams("regtest", "soterreg", wire.RegTest, "18931", "18932", 150, regTestGenesisNonce)
}

// SimNetParams returns the parameters of the simulation network, for local
// multi-node setups: instant mining, fixed difficulty.
func SimNetParams() *Params {
	return localParams("simnet", "sotersim", wire.SimNet, "18941", "18942", 210_000, simNetGenesisNonce)
}

// ParamsForNet returns the parameters of the network with that magic.
func ParamsForNet(net wire.SoterNet) (*Params, error) {
	switch net {
	case wire.MainNet:
		return MainNetParams(), nil
	case wire.TestNet:
		return TestNetParams(), nil
	case wire.RegTest:
		return RegressionNetParams(), nil
	case wire.SimNet:
		return SimNetParams(), nil
	}
	return nil, fmt.Errorf("no parameters for %s", net)
}

// ParamsByName returns the parameters of the network with that name.
func ParamsByName(name string) (*Params, error) {
	switch name {
	case "mainnet":
		return MainNetParams(), nil
	case "testnet":
		return TestNetParams(), nil
	case "regtest":
		return RegressionNetParams(), nil
	case "simnet":
		return SimNetParams(), nil
	}
	return nil, fmt.Errorf("unknown network %q (want mainnet, testnet, regtest or simnet)", name)
}

// CalcBlockSubsidy returns the coinbase subsidy of a block with the given
// blue score: BaseSubsidy halved once per SubsidyHalvingInterval.
func (p *Params) CalcBlockSubsidy(blueScore uint64) uint64 {
	if p.SubsidyHalvingInterval == 0 {
		return p.BaseSubsidy
	}
	halvings := blueScore / p.SubsidyHalvingInterval
	if halvings >= 64 {
		return 0
	}
	return p.BaseSubsidy >> halvings
}
