package rpcserver

import (
	"encoding/hex"
	"fmt"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
)

// lastChainIndex returns the selected chain index of the virtual's selected
// parent: ChainHeight counts genesis as 1, indexes count it as 0.
func lastChainIndex(vi *blockdag.VirtualInfo) uint64 {
	if vi.ChainHeight == 0 {
		return 0
	}
	return vi.ChainHeight - 1
}

// handleGetBlockCount: getblockcount.
func handleGetBlockCount(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return lastChainIndex(s.cfg.DAG.VirtualInfo()), nil
}

// handleGetBestBlockHash: getbestblockhash.
func handleGetBestBlockHash(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return s.cfg.DAG.VirtualInfo().SelectedParent.String(), nil
}

// handleGetBlockHash: getblockhash index.
func handleGetBlockHash(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	index := uint64(args.Int(0))
	last := lastChainIndex(s.cfg.DAG.VirtualInfo())
	if index > last {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCOutOfRange,
			"block number out of range: %d is beyond the selected chain's last index %d", index, last)
	}
	hash, err := s.cfg.DAG.SelectedChainBlock(index)
	if err != nil {
		// The chain may have been reorganised shorter since we looked.
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCOutOfRange,
			"block number out of range: %d: %v", index, err)
	}
	return hash.String(), nil
}

// handleGetBlock: getblock hash (verbosity=1).
func handleGetBlock(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	hash, err := decodeHash("hash", args.String(0))
	if err != nil {
		return nil, err
	}
	block, err := s.cfg.DAG.BlockByHash(hash)
	if err != nil {
		return nil, blockLookupError(hash, err)
	}
	verbosity := args.Int(1)
	if verbosity == 0 {
		return hex.EncodeToString(block.Serialize()), nil
	}
	info, err := s.cfg.DAG.BlockInfo(hash)
	if err != nil {
		return nil, blockLookupError(hash, err)
	}
	vi := s.cfg.DAG.VirtualInfo()
	h := &block.Header
	r := rpcmodel.GetBlockVerboseResult{
		Hash:           hash.String(),
		Confirmations:  confirmationsOf(vi.BlueScore, info.BlueScore),
		Size:           block.SerializeSize(),
		Height:         info.Height,
		Version:        h.Version,
		VersionHex:     fmt.Sprintf("%08x", uint32(h.Version)),
		MerkleRoot:     h.MerkleRoot.String(),
		Time:           h.Timestamp / 1000,
		TimeMillis:     h.Timestamp,
		Nonce:          h.Nonce,
		Bits:           bitsHex(h.Bits),
		Difficulty:     difficultyRatio(h.Bits, s.cfg.Params),
		Parents:        hashStrings(h.Parents),
		Children:       hashStrings(info.Children),
		SelectedParent: hashOrEmpty(info.SelectedParent),
		BlueScore:      info.BlueScore,
		BlueWork:       blueWorkHex(info.BlueWork),
		IsBlue:         info.IsBlue,
		IsChainBlock:   info.IsChainBlock,
		AcceptingBlock: hashOrEmpty(info.AcceptingBlock),
		MergeSetBlues:  hashStrings(info.MergeSetBlues),
		MergeSetReds:   hashStrings(info.MergeSetReds),
		NTx:            len(block.Transactions),
		Status:         info.Status,
	}
	if verbosity == 1 {
		r.Tx = hashStrings(block.TxIDs())
	} else {
		r.RawTx = make([]rpcmodel.TxRawResult, len(block.Transactions))
		for i, tx := range block.Transactions {
			r.RawTx[i] = txRawResult(s.cfg.Params.AddressPrefix, tx, true, hash, r.Time)
		}
	}
	return r, nil
}

// handleGetBlockHeader: getblockheader hash (verbose=true).
func handleGetBlockHeader(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	hash, err := decodeHash("hash", args.String(0))
	if err != nil {
		return nil, err
	}
	header, err := s.cfg.DAG.HeaderByHash(hash)
	if err != nil {
		return nil, blockLookupError(hash, err)
	}
	if !args.Bool(1) {
		return hex.EncodeToString(header.Serialize()), nil
	}
	info, err := s.cfg.DAG.BlockInfo(hash)
	if err != nil {
		return nil, blockLookupError(hash, err)
	}
	vi := s.cfg.DAG.VirtualInfo()
	return rpcmodel.GetBlockHeaderVerboseResult{
		Hash:           hash.String(),
		Confirmations:  confirmationsOf(vi.BlueScore, info.BlueScore),
		Height:         info.Height,
		Version:        header.Version,
		VersionHex:     fmt.Sprintf("%08x", uint32(header.Version)),
		MerkleRoot:     header.MerkleRoot.String(),
		Time:           header.Timestamp / 1000,
		TimeMillis:     header.Timestamp,
		Nonce:          header.Nonce,
		Bits:           bitsHex(header.Bits),
		Difficulty:     difficultyRatio(header.Bits, s.cfg.Params),
		Parents:        hashStrings(header.Parents),
		Children:       hashStrings(info.Children),
		SelectedParent: hashOrEmpty(info.SelectedParent),
		BlueScore:      info.BlueScore,
		BlueWork:       blueWorkHex(info.BlueWork),
	}, nil
}

// handleGetDifficulty: getdifficulty.
func handleGetDifficulty(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return s.cfg.DAG.VirtualInfo().Difficulty, nil
}

// handleGetDAGInfo: getdaginfo.
func handleGetDAGInfo(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	dag := s.cfg.DAG
	vi := dag.VirtualInfo()
	tips := dag.Tips()
	pi := dag.PruneInfo()
	return rpcmodel.GetDAGInfoResult{
		Network:               s.cfg.Params.Name,
		Blocks:                dag.BlockCount(),
		Tips:                  len(tips),
		TipHashes:             hashStrings(tips),
		MaxHeight:             dag.MaxHeight(),
		ChainHeight:           vi.ChainHeight,
		BlueScore:             vi.BlueScore,
		BlueWork:              blueWorkHex(vi.BlueWork),
		VirtualSelectedParent: vi.SelectedParent.String(),
		VirtualParents:        hashStrings(vi.Parents),
		Difficulty:            vi.Difficulty,
		Bits:                  bitsHex(vi.RequiredBits),
		PastMedianTime:        vi.PastMedianTime,
		UTXOCount:             vi.UTXOCount,
		UTXOCommitment:        vi.UTXOCommitment.String(),
		IsCurrent:             s.isCurrent(),
		FinalityPoint:         vi.FinalityPoint.String(),
		FinalityBlueScore:     vi.FinalityBlueScore,
		Pruned:                pi.Pruned,
		PruneTargetMiB:        pi.TargetBytes >> 20,
		LowestRetainedHeight:  pi.LowestHeight,
	}, nil
}

// isCurrent is the one answer to "is the node caught up" that every method
// gives: the sync manager's, which adds "not downloading blocks" to the
// DAG's "newest block is recent"; the DAG's alone only without a sync
// manager.
func (s *Server) isCurrent() bool {
	if s.cfg.SyncMgr != nil {
		return s.cfg.SyncMgr.IsCurrent()
	}
	return s.cfg.DAG.IsCurrent()
}

// handleGetUTXOStats: getutxostats. The three figures come from one read
// of the DAG, so they describe the same UTXO set even while blocks arrive.
func handleGetUTXOStats(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	count, total, commitment := s.cfg.DAG.UTXOStats()
	return rpcmodel.GetUTXOStatsResult{
		Count:      count,
		Total:      coins(total),
		TotalUnits: total,
		Commitment: commitment.String(),
	}, nil
}

// handleGetDAGTips: getdagtips.
func handleGetDAGTips(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return hashStrings(s.cfg.DAG.Tips()), nil
}

// handleGetBlockHashes: getblockhashes height.
func handleGetBlockHashes(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return hashStrings(s.cfg.DAG.BlockHashesAtHeight(uint32(args.Int(0)))), nil
}

// handleGetDAGColoring: getdagcoloring start (count=100).
func handleGetDAGColoring(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	start := uint64(args.Int(0))
	count := int(args.Int(1))
	total := s.cfg.DAG.BlockCount()
	if start >= total {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCOutOfRange,
			"start %d is beyond the last order position %d", start, total-1)
	}
	blocks, err := s.cfg.DAG.Order(start, count)
	if err != nil {
		return nil, fmt.Errorf("order from %d: %w", start, err)
	}
	out := make([]rpcmodel.ColoredBlock, len(blocks))
	for i := range blocks {
		b := &blocks[i]
		color := rpcmodel.ColorRed
		if b.IsBlue {
			color = rpcmodel.ColorBlue
		}
		out[i] = rpcmodel.ColoredBlock{
			Index:          b.Index,
			Hash:           b.Hash.String(),
			Color:          color,
			AcceptingBlock: hashOrEmpty(b.AcceptingBlock),
		}
	}
	return out, nil
}

// handleRenderDAG: renderdag (count=50).
func handleRenderDAG(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return renderDAG(s.cfg.DAG, int(args.Int(0)))
}

// handleGetDAGView: getdagview (count=100).
func handleGetDAGView(s *Server, args rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	return dagView(s.cfg.DAG, int(args.Int(0)))
}

// unixOrZero returns t in unix seconds, 0 for the zero time.
func unixOrZero(t interface{ IsZero() bool }, unix int64) int64 {
	if t.IsZero() {
		return 0
	}
	return unix
}

// handleGetSyncInfo: getsyncinfo.
func handleGetSyncInfo(s *Server, _ rpcmodel.Args, _ *clientInfo) (interface{}, error) {
	if s.cfg.SyncMgr == nil {
		return nil, unavailable("sync manager")
	}
	st := s.cfg.SyncMgr.SyncStatus()
	pi := s.cfg.DAG.PruneInfo()
	return rpcmodel.GetSyncInfoResult{
		SyncPeer:             st.SyncPeerID,
		SyncPeerAddr:         st.SyncPeerAddr,
		InSyncMode:           st.InSyncMode,
		IsCurrent:            st.IsCurrent,
		MaxHeight:            st.MaxHeight,
		SyncPeerMaxHeight:    st.SyncPeerMaxHeight,
		Orphans:              st.Orphans,
		RequestedBlocks:      st.RequestedBlocks,
		BlocksProcessed:      st.BlocksProcessed,
		LastBlockTime:        unixOrZero(st.LastBlockTime, st.LastBlockTime.Unix()),
		LastProgress:         unixOrZero(st.LastProgress, st.LastProgress.Unix()),
		OnlyPrunedPeers:      st.OnlyPrunedPeers,
		Pruned:               pi.Pruned,
		PruneTargetMiB:       pi.TargetBytes >> 20,
		LowestRetainedHeight: pi.LowestHeight,
	}, nil
}
