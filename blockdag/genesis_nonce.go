package blockdag

// The genesis nonces, found once by searching for a hash below each
// network's proof-of-work limit; TestGenesisHashes pins the resulting hashes.
const (
	mainNetGenesisNonce = 19730
	testNetGenesisNonce = 6746
	regTestGenesisNonce = 0
	simNetGenesisNonce  = 0
)
