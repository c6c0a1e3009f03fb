package rpcserver

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// Fixed members of every template result.
var (
	// templateMutable says what a miner may change (BIP 23): the time
	// within mintime..maxtime, the transaction list (dropping one drops
	// its dependents), the whole coinbase within coinbasevalue and the
	// payload rules, or only the payload after its prefix.
	templateMutable = []string{"time", "transactions", "coinbase", "coinbase/append"}

	// templateCapabilities are the BIP 22 and 23 features the server
	// offers.
	templateCapabilities = []string{"proposal", "longpoll", "coinbasetxn"}
)

// fullNonceRange is BIP 22's noncerange for a 64-bit nonce: the lowest and
// the highest value, each as 8 bytes in hex.
const fullNonceRange = "0000000000000000ffffffffffffffff"

// parseTemplateRequest decodes and checks getblocktemplate's request
// object; raw nil means the defaults. Members it does not know are
// ignored, as BIP 22 asks. Errors are RPC errors for the client.
func parseTemplateRequest(raw json.RawMessage, prefix string) (*rpcmodel.TemplateRequest, error) {
	req := &rpcmodel.TemplateRequest{}
	if raw == nil {
		return req, nil
	}
	if err := json.Unmarshal(raw, req); err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
			"getblocktemplate request: %v", err)
	}
	switch req.Mode {
	case "", rpcmodel.TemplateModeTemplate, rpcmodel.TemplateModeProposal:
	default:
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
			"getblocktemplate request: mode must be %q or %q, not %s",
			rpcmodel.TemplateModeTemplate, rpcmodel.TemplateModeProposal, clip(req.Mode))
	}
	if req.MiningAddr != "" {
		if _, err := address.Parse(prefix, req.MiningAddr); err != nil {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidAddressOrKey,
				"getblocktemplate request: miningaddr: %v", err)
		}
	}
	if req.LongPollID != "" {
		if _, err := parseLongPollID(req.LongPollID); err != nil {
			return nil, rpcmodel.Errorf(rpcmodel.ErrRPCInvalidParameter,
				"getblocktemplate request: %v", err)
		}
	}
	return req, nil
}

// handleGetBlockTemplate: getblocktemplate (request).
func handleGetBlockTemplate(s *Server, args rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	req, err := parseTemplateRequest(args.Raw(0), s.cfg.Params.AddressPrefix)
	if err != nil {
		return nil, err
	}
	if req.Mode == rpcmodel.TemplateModeProposal {
		return s.checkProposal(req, cl)
	}
	if s.cfg.Templater == nil {
		return nil, unavailable("block template generator")
	}
	payTo, err := s.templatePayTo(req)
	if err != nil {
		return nil, err
	}
	if err := s.checkMiningState(); err != nil {
		return nil, err
	}
	if req.LongPollID != "" {
		id, _ := parseLongPollID(req.LongPollID)
		// The wait holds no handler slot: only the HTTP client slot
		// (rpcmaxclients) bounds how many clients wait at once.
		cl.slot.release()
		if err := s.templates.waitChange(id, s.cfg.LongPollTimeout, cl.quit); err != nil {
			return nil, err
		}
		if err := cl.slot.acquire(cl.quit); err != nil {
			return nil, err
		}
	}
	st, err := s.templates.template()
	if err != nil {
		return nil, rpcmodel.Errorf(rpcmodel.ErrRPCMisc, "cannot build a block template: %v", err)
	}
	return s.templateResult(st, payTo), nil
}

// templatePayTo returns the key the coinbase pays: the request's, else the
// node's.
func (s *Server) templatePayTo(req *rpcmodel.TemplateRequest) ([wire.PubKeySize]byte, error) {
	if req.MiningAddr != "" {
		// parseTemplateRequest checked it.
		return address.Parse(s.cfg.Params.AddressPrefix, req.MiningAddr)
	}
	if s.cfg.MiningAddr == nil {
		return [wire.PubKeySize]byte{}, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidParameter,
			"no mining address: name one in the request's miningaddr or start soterd with --miningaddr")
	}
	return *s.cfg.MiningAddr, nil
}

// checkMiningState refuses templates a miner should not work on: on the
// public networks, a node without peers could only mine a private branch,
// and a node still downloading would mine on an old part of the DAG. On
// regtest and simnet a lone node mines, as generate does.
func (s *Server) checkMiningState() error {
	if generateNetworks[s.cfg.Params.Name] {
		return nil
	}
	if s.cfg.ConnMgr != nil && s.cfg.ConnMgr.ConnectedCount() == 0 {
		return rpcmodel.NewRPCError(rpcmodel.ErrRPCClientNotConnected, "soterd is not connected")
	}
	if s.cfg.SyncMgr != nil && !s.cfg.SyncMgr.IsCurrent() {
		return rpcmodel.NewRPCError(rpcmodel.ErrRPCClientInInitialDownload,
			"soterd is downloading blocks...")
	}
	return nil
}

// templateResult builds the result for one caller: the generation's
// template with a coinbase of the caller's own and the current time.
func (s *Server) templateResult(st *servedTemplate, payTo [wire.PubKeySize]byte) *rpcmodel.GetBlockTemplateResult {
	tmpl := st.tmpl
	h := &tmpl.Block.Header
	cb := s.cfg.Templater.NewCoinbase(tmpl.BlueScore, payTo)
	now := s.cfg.TimeSource().UnixMilli()
	prefix := make([]byte, 8)
	copy(prefix, cb.Payload)
	return &rpcmodel.GetBlockTemplateResult{
		Version:      h.Version,
		Parents:      hashStrings(h.Parents),
		Height:       tmpl.Height,
		BlueScore:    tmpl.BlueScore,
		Bits:         bitsHex(h.Bits),
		Target:       fmt.Sprintf("%064x", wire.CompactToBig(h.Bits)),
		CurTime:      max(now, tmpl.MinTimestamp),
		MinTime:      tmpl.MinTimestamp,
		MaxTime:      now + s.cfg.Params.MaxTimeOffset.Milliseconds(),
		NonceRange:   fullNonceRange,
		SizeLimit:    s.cfg.Params.MaxBlockSize,
		Transactions: st.txs,
		CoinbaseTxn: &rpcmodel.GetBlockTemplateResultTx{
			Data:    hex.EncodeToString(cb.Serialize()),
			TxID:    cb.TxID().String(),
			Hash:    cb.TxHash().String(),
			Depends: []int64{},
		},
		CoinbaseValue: tmpl.Subsidy,
		CoinbasePayload: rpcmodel.CoinbasePayloadRules{
			Prefix:           hex.EncodeToString(prefix),
			MaxLength:        s.cfg.Params.MaxCoinbasePayloadLen,
			ExtraNonceOffset: tmpl.ExtraNonceOffset,
			ExtraNonceLength: tmpl.ExtraNonceLen,
		},
		MiningAddr:   address.Encode(s.cfg.Params.AddressPrefix, payTo),
		LongPollID:   st.id.String(),
		SubmitOld:    true,
		Mutable:      templateMutable,
		Capabilities: templateCapabilities,
	}
}

// checkProposal answers a BIP 23 proposal: null when the block passes every
// check but proof of work against the DAG as it is, else the reject reason.
// Nothing is stored or remembered.
func (s *Server) checkProposal(req *rpcmodel.TemplateRequest, cl *clientInfo) (interface{}, error) {
	if req.Data == "" {
		return nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCInvalidParameter,
			"getblocktemplate request: a proposal needs the block in data")
	}
	block, err := decodeBlockHex("data", req.Data)
	if err != nil {
		return nil, err
	}
	hash := block.BlockHash()
	switch {
	case s.cfg.DAG.HaveBlock(&hash):
		return rpcmodel.RejectDuplicate, nil
	case s.cfg.DAG.IsKnownInvalid(&hash):
		return rpcmodel.RejectDuplicateInvalid, nil
	case s.cfg.DAG.IsKnownOrphan(&hash):
		return rpcmodel.RejectDuplicateInconclusive, nil
	}
	err = s.cfg.DAG.CheckBlockTemplate(block)
	if err == nil {
		return nil, nil
	}
	reason, ok := rejectReason(err)
	if !ok {
		return nil, fmt.Errorf("check proposal %s: %w", hash, err)
	}
	log.Debugf("Proposal %s from %s: %s: %v", hash, cl.addr, reason, err)
	return reason, nil
}

// rejectReasons maps the rules of package blockdag to BIP 22 reject
// reasons (rpcmodel.RejectX).
var rejectReasons = map[blockdag.ErrorKind]string{
	blockdag.ErrDuplicateBlock:       rpcmodel.RejectDuplicate,
	blockdag.ErrKnownInvalid:         rpcmodel.RejectDuplicateInvalid,
	blockdag.ErrBlockNotFound:        rpcmodel.RejectInconclusive,
	blockdag.ErrInvalidParent:        rpcmodel.RejectBadPrevBlk,
	blockdag.ErrNoParents:            rpcmodel.RejectBadParents,
	blockdag.ErrTooManyParents:       rpcmodel.RejectBadParents,
	blockdag.ErrParentsNotSorted:     rpcmodel.RejectBadParents,
	blockdag.ErrParentIsAncestor:     rpcmodel.RejectBadParents,
	blockdag.ErrMergeSetTooBig:       rpcmodel.RejectBadMergeSet,
	blockdag.ErrBlockVersion:         rpcmodel.RejectBadVersion,
	blockdag.ErrUnexpectedDifficulty: rpcmodel.RejectBadDiffBits,
	blockdag.ErrHighHash:             rpcmodel.RejectHighHash,
	blockdag.ErrTimeTooNew:           rpcmodel.RejectTimeTooNew,
	blockdag.ErrTimeTooOld:           rpcmodel.RejectTimeTooOld,
	blockdag.ErrBlockTooBig:          rpcmodel.RejectBadLength,
	blockdag.ErrBadMerkleRoot:        rpcmodel.RejectBadMerkleRoot,
	blockdag.ErrNoTransactions:       rpcmodel.RejectCoinbaseMissing,
	blockdag.ErrFirstTxNotCoinbase:   rpcmodel.RejectCoinbaseMissing,
	blockdag.ErrMultipleCoinbases:    rpcmodel.RejectCoinbaseMultiple,
	blockdag.ErrBadCoinbasePayload:   rpcmodel.RejectCoinbasePayload,
	blockdag.ErrBadCoinbaseValue:     rpcmodel.RejectCoinbaseAmount,
	blockdag.ErrDuplicateTx:          rpcmodel.RejectTxnsDuplicate,
	blockdag.ErrDoubleSpendInBlock:   rpcmodel.RejectTxnsDoubleSpend,
	blockdag.ErrUnfinalizedTx:        rpcmodel.RejectTxnsNonFinal,
	blockdag.ErrMissingTxOut:         rpcmodel.RejectTxnsMissingInputs,
	blockdag.ErrImmatureSpend:        rpcmodel.RejectTxnsPrematureSpend,
	blockdag.ErrSpendTooHigh:         rpcmodel.RejectTxnsInBelowOut,
	blockdag.ErrBadSignature:         rpcmodel.RejectTxnsSignature,
	blockdag.ErrOutputExists:         rpcmodel.RejectTxnsOutputExists,
	blockdag.ErrBadTxVersion:         rpcmodel.RejectTxns,
	blockdag.ErrTxTooBig:             rpcmodel.RejectTxns,
	blockdag.ErrTxPayload:            rpcmodel.RejectTxns,
	blockdag.ErrNoTxInputs:           rpcmodel.RejectTxns,
	blockdag.ErrNoTxOutputs:          rpcmodel.RejectTxns,
	blockdag.ErrBadTxOutValue:        rpcmodel.RejectTxns,
	blockdag.ErrDuplicateTxInputs:    rpcmodel.RejectTxns,
}

// rejectReason returns the BIP 22 reason for a rule error; ok is false for
// an error that is not a rule violation (the store failed, the DAG is
// closed), which is ours to report, not the block's.
func rejectReason(err error) (reason string, ok bool) {
	var rule blockdag.RuleError
	if !errors.As(err, &rule) {
		return "", false
	}
	kind, isKind := rule.Err.(blockdag.ErrorKind)
	if !isKind || kind == blockdag.ErrCorruptState {
		return "", false
	}
	if r, found := rejectReasons[kind]; found {
		return r, true
	}
	return rpcmodel.RejectRejected, true
}

// handleNotifyBlockTemplate: notifyblocktemplate.
func handleNotifyBlockTemplate(_ *Server, _ rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	cl.ws.notifyTemplate.Store(true)
	return nil, nil
}

// handleStopNotifyBlockTemplate: stopnotifyblocktemplate.
func handleStopNotifyBlockTemplate(_ *Server, _ rpcmodel.Args, cl *clientInfo) (interface{}, error) {
	cl.ws.notifyTemplate.Store(false)
	return nil, nil
}
