package rpcserver

import (
	"errors"
	"math/big"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// generateNetworks are the networks whose difficulty lets generate finish:
// their PoW limit makes almost any nonce valid.
var generateNetworks = map[string]bool{"regtest": true, "simnet": true}

// networkHashPS estimates the network's hashes per second from the bits the
// next block needs: expected hashes per block over the target interval.
func networkHashPS(bits uint32, params *blockdag.Params) float64 {
	secs := params.TargetTimePerBlock.Seconds()
	if secs <= 0 {
		return 0
	}
	work, _ := new(big.Float).SetInt(wire.CalcWork(bits)).Float64()
	return work / secs
}

// handleGetMiningInfo: getmininginfo.
func handleGetMiningInfo(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	vi := s.cfg.DAG.VirtualInfo()
	r := rpcmodel.GetMiningInfoResult{
		Blocks:        lastChainIndex(vi),
		Difficulty:    vi.Difficulty,
		NetworkHashPS: networkHashPS(vi.RequiredBits, s.cfg.Params),
		TestNet:       s.cfg.Params.Name == "testnet",
	}
	if s.cfg.Mempool != nil {
		r.PooledTx = uint64(s.cfg.Mempool.Count())
	}
	if m := s.cfg.Miner; m != nil {
		r.Generate = m.IsMining()
		r.GenProcLimit = int32(m.Workers())
		r.HashesPerSec = m.HashesPerSecond()
		mined := m.MinedBlocks()
		r.BlocksMined = len(mined)
		if len(mined) > 0 {
			last := mined[len(mined)-1]
			r.CurrentBlockSize = uint64(last.Size)
			r.CurrentBlockTx = uint64(last.TxCount)
		}
	}
	return r, nil
}

// handleGenerate: generate numblocks.
func handleGenerate(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.Miner == nil {
		return nil, unavailable("miner")
	}
	if !generateNetworks[s.cfg.Params.Name] {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCDifficulty,
			"no support for generate on the current network, %s, as it is unlikely "+
				"to be possible to mine a block with the CPU; use regtest or simnet",
			s.cfg.Params.Name)
	}
	hashes, err := s.cfg.Miner.Generate(uint32(args.Int(0)))
	if err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCMisc, "generate: %v", err)
	}
	return hashStrings(hashes), nil
}

// handleSetGenerate: setgenerate generate (genproclimit=-1).
func handleSetGenerate(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.Miner == nil {
		return nil, unavailable("miner")
	}
	on, workers := args.Bool(0), int(args.Int(1))
	if workers == 0 {
		on = false
	}
	s.cfg.Miner.SetGenerate(on, workers)
	return nil, nil
}

// handleGetGenerate: getgenerate.
func handleGetGenerate(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.Miner == nil {
		return false, nil
	}
	return s.cfg.Miner.IsMining(), nil
}

// submitblock results other than null (accepted), after BIP 22.
const (
	submitDuplicate = "duplicate"
	submitOrphan    = "orphan"
	submitRejected  = "rejected: "
)

// decodeBlockHex decodes a hex-encoded block given in the named parameter.
func decodeBlockHex(param, hexBlock string) (*wire.MsgBlock, error) {
	b, err := decodeHex(param, hexBlock)
	if err != nil {
		return nil, err
	}
	block := new(wire.MsgBlock)
	if err := block.Deserialize(b); err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCDeserialization, "block decode failed: %v", err)
	}
	return block, nil
}

// handleSubmitBlock: submitblock hexblock (options).
func handleSubmitBlock(s *Server, args rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	block, err := decodeBlockHex("hexblock", args.String(0))
	if err != nil {
		return nil, err
	}
	hash := block.BlockHash()
	isOrphan, err := s.cfg.DAG.ProcessBlock(block, blockdag.BFNone)
	switch {
	case errors.Is(err, blockdag.ErrDuplicateBlock):
		return submitDuplicate, nil
	case err != nil:
		var rule blockdag.RuleError
		if !errors.As(err, &rule) {
			log.Errorf("submitblock %s from %s: %v", hash, cl.addr, err)
		} else {
			log.Infof("Rejected block %s submitted by %s: %v", hash, cl.addr, err)
		}
		return submitRejected + err.Error(), nil
	case isOrphan:
		return submitOrphan, nil
	}
	log.Infof("Accepted block %s via submitblock", hash)
	return nil, nil
}

// handleGetBlockMetrics: getblockmetrics.
func handleGetBlockMetrics(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.Miner == nil {
		return nil, unavailable("miner")
	}
	mined := s.cfg.Miner.MinedBlocks()
	r := rpcmodel.GetBlockMetricsResult{
		Count:  len(mined),
		Blocks: make([]rpcmodel.MinedBlockResult, len(mined)),
	}
	var total int64
	for i := range mined {
		m := &mined[i]
		ms := m.Elapsed.Milliseconds()
		total += ms
		r.Blocks[i] = rpcmodel.MinedBlockResult{
			Hash:   m.Hash.String(),
			Height: m.Height,
			Time:   m.Found.UnixMilli(),
			Millis: ms,
		}
	}
	if len(mined) > 0 {
		r.AverageMillis = total / int64(len(mined))
	}
	return r, nil
}
