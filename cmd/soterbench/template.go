package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/internal/rpcclient"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// Bounds and timing of the template command.
const (
	// maxTemplateBlocks bounds -blocks.
	maxTemplateBlocks = 10_000

	// templateTimeout bounds the wait for one template after a block; a
	// node that takes this long is broken, not slow.
	templateTimeout = 30 * time.Second

	// longPollSettle is the pause between sending a long poll and the
	// block, so the poll is waiting when the block arrives.
	longPollSettle = 20 * time.Millisecond
)

// templateResult holds the measured latencies: from sending a block to a
// miner holding a template on it, by websocket notification and by long
// poll.
type templateResult struct {
	ws, longPoll []time.Duration
}

// cmdTemplate measures how soon a miner holds a template built on a block
// that reached the node.
func cmdTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("template", stderr)
	blocks := fs.Int("blocks", 50, fmt.Sprintf("blocks to submit, one at a time (1..%d)", maxTemplateBlocks))
	soterd := fs.String("soterd", "", "soterd executable (default: beside soterbench, bin/soterd or on PATH)")
	dirFlag := fs.String("dir", "", "keep the node home here (default: a temporary directory, removed)")
	network := fs.String("net", "regtest", "network: regtest or simnet")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *blocks < 1 || *blocks > maxTemplateBlocks {
		return usageError{fmt.Sprintf("-blocks must be in 1..%d, got %d", maxTemplateBlocks, *blocks)}
	}
	if *network != "regtest" && *network != "simnet" {
		return usageError{fmt.Sprintf("-net must be regtest or simnet, got %q", *network)}
	}
	binary, err := findSoterd(*soterd)
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir(*dirFlag, "soterbench-template-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	defer cleanup()

	res, err := runTemplate(ctx, binary, *network, dir, *blocks, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "template blocks=%d ws_median_ms=%.3f ws_p99_ms=%.3f "+
		"longpoll_median_ms=%.3f longpoll_p99_ms=%.3f\n", *blocks,
		millis(percentile(res.ws, 50)), millis(percentile(res.ws, 99)),
		millis(percentile(res.longPoll, 50)), millis(percentile(res.longPoll, 99)))
	return nil
}

// runTemplate starts a node and, block after block, submits a block mined
// from the current template while a websocket client subscribed to
// blocktemplatechanged and an HTTP long poll wait, and times each until it
// holds a template on the block. The clock starts when submitblock is
// sent, so the block's upload and validation are counted.
func runTemplate(ctx context.Context, binary, network, dir string, blocks int,
	stderr io.Writer) (*templateResult, error) {

	c := &cluster{log: stderr}
	defer c.stopAll()
	n, err := c.start(&procnode.Config{Binary: binary, Network: network,
		HomeDir: filepath.Join(dir, "node0")})
	if err != nil {
		return nil, fmt.Errorf("start the node: %w", err)
	}
	cfg := n.Config()
	ws, err := rpcclient.Dial(&rpcclient.ConnOptions{NoTLS: true, RPCServer: n.RPCAddr(),
		RPCUser: cfg.RPCUser, RPCPass: cfg.RPCPass})
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	if err := ws.Call(ctx, nil, "notifyblocktemplate"); err != nil {
		return nil, err
	}
	var cur rpcmodel.GetBlockTemplateResult
	if err := ws.Call(ctx, &cur, "getblocktemplate"); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "soterbench: submitting %d blocks to one node\n", blocks)

	res := &templateResult{}
	for i := 0; i < blocks; i++ {
		block, err := solveTemplate(&cur)
		if err != nil {
			return nil, err
		}
		hash := block.BlockHash().String()
		poll := startLongPoll(n, cur.LongPollID)
		select {
		case <-time.After(longPollSettle):
		case <-ctx.Done():
			return nil, ctx.Err()
		}

		start := time.Now()
		submitted := make(chan error, 1)
		go func() {
			var answer *string
			err := n.CallResult(&answer, "submitblock", hex.EncodeToString(block.Serialize()))
			if err == nil && answer != nil {
				err = fmt.Errorf("submitblock: %s", *answer)
			}
			submitted <- err
		}()
		next, err := awaitTemplate(ctx, ws, cur.LongPollID, hash)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i+1, err)
		}
		res.ws = append(res.ws, time.Since(start))
		if err := <-submitted; err != nil {
			return nil, fmt.Errorf("block %d: %w", i+1, err)
		}
		select {
		case p := <-poll:
			if p.err != nil {
				return nil, fmt.Errorf("block %d: long poll: %w", i+1, p.err)
			}
			if !slices.Contains(p.tmpl.Parents, hash) {
				return nil, fmt.Errorf("block %d: the long poll's template has parents %v, not %s",
					i+1, p.tmpl.Parents, hash)
			}
			res.longPoll = append(res.longPoll, p.at.Sub(start))
		case <-time.After(templateTimeout):
			return nil, fmt.Errorf("block %d: the long poll did not answer within %v", i+1, templateTimeout)
		}
		cur = *next
	}
	return res, nil
}

// longPollAnswer is what a long poll brought back, and when.
type longPollAnswer struct {
	tmpl rpcmodel.GetBlockTemplateResult
	err  error
	at   time.Time
}

// startLongPoll sends getblocktemplate with a longpollid over HTTP and
// returns the channel its answer arrives on.
func startLongPoll(n *procnode.Node, id string) <-chan longPollAnswer {
	out := make(chan longPollAnswer, 1)
	go func() {
		var a longPollAnswer
		a.err = n.CallResult(&a.tmpl, "getblocktemplate", rpcmodel.TemplateRequest{LongPollID: id})
		a.at = time.Now()
		out <- a
	}()
	return out
}

// awaitTemplate waits for blocktemplatechanged announcing a template other
// than the one with id, fetches it over the websocket and checks that it
// builds on the block hash.
func awaitTemplate(ctx context.Context, ws *rpcclient.WSClient, id, hash string) (*rpcmodel.GetBlockTemplateResult, error) {
	timeout := time.NewTimer(templateTimeout)
	defer timeout.Stop()
	for {
		select {
		case n := <-ws.Notifications():
			if n.Method != rpcmodel.NtfnBlockTemplateChanged {
				continue
			}
			var next rpcmodel.GetBlockTemplateResult
			if err := ws.Call(ctx, &next, "getblocktemplate"); err != nil {
				return nil, err
			}
			if next.LongPollID == id || !slices.Contains(next.Parents, hash) {
				// Announced before the block: wait for the next.
				continue
			}
			return &next, nil
		case <-ws.Done():
			return nil, fmt.Errorf("websocket: %w", ws.Err())
		case <-timeout.C:
			return nil, fmt.Errorf("no template on %s within %v", hash, templateTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// solveTemplate assembles the block of a template (its coinbasetxn, its
// transactions, the merkle root, the header) and grinds the nonce, which on
// regtest and simnet takes a try or two.
func solveTemplate(r *rpcmodel.GetBlockTemplateResult) (*wire.MsgBlock, error) {
	if r.CoinbaseTxn == nil {
		return nil, errors.New("template has no coinbasetxn")
	}
	entries := append([]rpcmodel.GetBlockTemplateResultTx{*r.CoinbaseTxn}, r.Transactions...)
	txs := make([]*wire.MsgTx, len(entries))
	for i, e := range entries {
		raw, err := hex.DecodeString(e.Data)
		if err != nil {
			return nil, fmt.Errorf("template transaction %d: %w", i, err)
		}
		txs[i] = &wire.MsgTx{}
		if err := txs[i].Deserialize(raw); err != nil {
			return nil, fmt.Errorf("template transaction %d: %w", i, err)
		}
	}
	parents := make([]wire.Hash, len(r.Parents))
	for i, p := range r.Parents {
		h, err := wire.NewHashFromStr(p)
		if err != nil {
			return nil, fmt.Errorf("template parent: %w", err)
		}
		parents[i] = *h
	}
	bits, err := strconv.ParseUint(r.Bits, 16, 32)
	if err != nil {
		return nil, fmt.Errorf("template bits: %w", err)
	}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{Version: r.Version, Parents: parents, Timestamp: r.CurTime,
			Bits: uint32(bits)},
		Transactions: txs,
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(txs)
	target := mining.TargetFromBits(block.Header.Bits)
	nonce, _, ok := mining.NewHeaderHasher(&block.Header).Search(0, 1<<24, &target)
	if !ok {
		return nil, fmt.Errorf("no nonce meets bits %s: not a local test network", r.Bits)
	}
	block.Header.Nonce = nonce
	return block, nil
}
