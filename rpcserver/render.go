package rpcserver

import (
	"fmt"
	"strings"

	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// Graphviz fill colors of renderdag.
const (
	dotBlue     = "#9ecae1"
	dotRed      = "#fc9272"
	dotUnmerged = "#e0e0e0"
)

// shortHashLen is how many hex characters of a hash label a node: enough to
// tell blocks apart in a picture, short enough to fit in a box.
const shortHashLen = 8

// renderDAG returns a Graphviz DOT picture of the count highest blocks, by
// height then hash. Edges point from a block to its parents (those drawn),
// bold to its selected parent; blue and red blocks are filled in their
// color, blocks no chain block has merged yet in gray, and blocks on the
// virtual's selected chain get a double border.
func renderDAG(dag DAG, count int) (string, error) {
	hashes := highestBlocks(dag, count)
	drawn := make(map[wire.Hash]struct{}, len(hashes))
	for _, h := range hashes {
		drawn[h] = struct{}{}
	}

	var b strings.Builder
	b.WriteString("digraph soterdag {\n")
	b.WriteString("  // Edges point to parents; bold: selected parent. Fill: blue, red,\n")
	b.WriteString("  // gray = not merged yet. Double border: selected chain block.\n")
	b.WriteString("  rankdir=RL;\n")
	b.WriteString("  node [shape=box, style=filled, fontname=\"monospace\"];\n")
	var edges strings.Builder
	// Oldest first, so Graphviz lays the DAG out in a stable order.
	for i := len(hashes) - 1; i >= 0; i-- {
		hash := hashes[i]
		info, err := dag.BlockInfo(&hash)
		if err != nil {
			return "", blockLookupError(&hash, err)
		}
		id := hash.String()
		fill := dotUnmerged
		switch {
		case info.IsBlue:
			fill = dotBlue
		case !info.AcceptingBlock.IsZero():
			fill = dotRed
		}
		periph := 1
		if info.IsChainBlock {
			periph = 2
		}
		fmt.Fprintf(&b, "  \"%s\" [label=\"%s\\nh=%d bs=%d\", fillcolor=\"%s\", peripheries=%d];\n",
			id, id[:shortHashLen], info.Height, info.BlueScore, fill, periph)
		for _, p := range info.Header.Parents {
			if _, ok := drawn[p]; !ok {
				continue
			}
			style := ""
			if p == info.SelectedParent {
				style = " [style=bold]"
			}
			fmt.Fprintf(&edges, "  \"%s\" -> \"%s\"%s;\n", id, p.String(), style)
		}
	}
	b.WriteString(edges.String())
	b.WriteString("}\n")
	return b.String(), nil
}

// highestBlocks returns the count highest blocks, newest first: by height,
// then in the DAG's order of a height's blocks.
func highestBlocks(dag DAG, count int) []wire.Hash {
	var hashes []wire.Hash
	for h := int64(dag.MaxHeight()); h >= 0 && len(hashes) < count; h-- {
		at := dag.BlockHashesAtHeight(uint32(h))
		if room := count - len(hashes); len(at) > room {
			at = at[:room]
		}
		hashes = append(hashes, at...)
	}
	return hashes
}

// dagView returns the count highest blocks, oldest first, for drawing.
func dagView(dag DAG, count int) (*rpcmodel.GetDAGViewResult, error) {
	hashes := highestBlocks(dag, count)
	res := &rpcmodel.GetDAGViewResult{
		MaxHeight: dag.MaxHeight(),
		Blocks:    dag.BlockCount(),
		Tips:      hashStrings(dag.Tips()),
		View:      make([]rpcmodel.DAGViewBlock, 0, len(hashes)),
	}
	for i := len(hashes) - 1; i >= 0; i-- {
		hash := hashes[i]
		info, err := dag.BlockInfo(&hash)
		if err != nil {
			return nil, blockLookupError(&hash, err)
		}
		color := rpcmodel.ColorUnmerged
		switch {
		case info.IsBlue:
			color = rpcmodel.ColorBlue
		case !info.AcceptingBlock.IsZero():
			color = rpcmodel.ColorRed
		}
		res.View = append(res.View, rpcmodel.DAGViewBlock{
			Hash:           hash.String(),
			Height:         info.Height,
			BlueScore:      info.BlueScore,
			Timestamp:      info.Header.Timestamp,
			Parents:        hashStrings(info.Header.Parents),
			SelectedParent: hashOrEmpty(info.SelectedParent),
			Color:          color,
			Chain:          info.IsChainBlock,
		})
	}
	return res, nil
}
