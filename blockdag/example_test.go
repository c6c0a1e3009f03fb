package blockdag_test

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// This example opens a store, builds the DAG on it, mines one block on the
// regression test network (any nonce nearly meets its target) and
// processes it.
func Example() {
	dir, err := os.MkdirTemp("", "blockdag-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	db, err := database.Open(dir, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	params := blockdag.RegressionNetParams()
	dag, err := blockdag.New(&blockdag.Config{DB: db, Params: params})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dag.Close()

	// A block on the current virtual: its parents, blue score, bits and
	// earliest timestamp come from TemplateInfo.
	ti := dag.TemplateInfo()
	payload := binary.LittleEndian.AppendUint64(nil, ti.BlueScore)
	payload = append(payload, "example"...)
	coinbase := &wire.MsgTx{
		Version: wire.TxVersion,
		TxOut:   []wire.TxOut{{Value: params.CalcBlockSubsidy(ti.BlueScore)}},
		Payload: payload,
	}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:   blockdag.BlockVersion,
			Parents:   ti.Parents,
			Timestamp: ti.MinTimestamp,
			Bits:      ti.Bits,
		},
		Transactions: []*wire.MsgTx{coinbase},
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
	target := wire.CompactToBig(block.Header.Bits)
	for {
		h := block.BlockHash()
		if wire.HashToBig(&h).Cmp(target) <= 0 {
			break
		}
		block.Header.Nonce++
	}

	isOrphan, err := dag.ProcessBlock(block, blockdag.BFNone)
	fmt.Println("orphan:", isOrphan, "error:", err)
	fmt.Println("blocks:", dag.BlockCount(), "max height:", dag.MaxHeight())
	fmt.Println("virtual blue score:", dag.VirtualInfo().BlueScore)
	// Output:
	// orphan: false error: <nil>
	// blocks: 2 max height: 1
	// virtual blue score: 2
}
