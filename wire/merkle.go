package wire

// MerkleRoot returns the root of the merkle tree over hashes, built the way
// btcd builds it: pairs are concatenated and double SHA-256 hashed level by
// level, and a level with an odd count pairs its last hash with itself. The
// root of one hash is that hash; of none, the zero hash.
//
// Because an odd leaf is duplicated, two different lists can share a root
// (CVE-2012-2459); consensus rejects blocks with duplicate txids, which
// closes that hole.
func MerkleRoot(hashes []Hash) Hash {
	switch len(hashes) {
	case 0:
		return ZeroHash
	case 1:
		return hashes[0]
	}
	level := make([]Hash, len(hashes))
	copy(level, hashes)
	var pair [2 * HashSize]byte
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			j := i + 1
			if j == len(level) {
				j = i
			}
			copy(pair[:HashSize], level[i][:])
			copy(pair[HashSize:], level[j][:])
			next = append(next, DoubleHashH(pair[:]))
		}
		level = next
	}
	return level[0]
}

// BlockMerkleRoot returns the merkle root of the tx hashes (signatures
// included) of txs: the root a block header carries. Committing to the
// signatures, not only to the txids, means a block hash names exactly one
// block body, so a node may mark a hash invalid when its body fails any rule.
func BlockMerkleRoot(txs []*MsgTx) Hash {
	hashes := make([]Hash, len(txs))
	for i, tx := range txs {
		hashes[i] = tx.TxHash()
	}
	return MerkleRoot(hashes)
}
