// Package schnorrbatch verifies many BIP-340 Schnorr signatures at once.
//
// A Batch collects (x-only public key, 32-byte message, 64-byte signature)
// triples and checks them all with one random linear combination, as the
// "Batch Verification" section of BIP-340 describes: with weights a_1 = 1
// and a_2..a_u drawn from crypto/rand for every run,
//
//	(a_1 s_1 + ... + a_u s_u) G == a_1 R_1 + ... + a_u R_u +
//	                               (a_1 e_1) P_1 + ... + (a_u e_u) P_u
//
// is evaluated with one multi-scalar multiplication (Strauss with wNAF for
// small batches, the Pippenger bucket method for large ones, both using the
// secp256k1 endomorphism to halve scalar lengths). A batch of valid
// signatures always passes; a batch holding an invalid one fails except with
// probability below 2^-127 (see Batch.Verify). Parsing follows BIP-340
// exactly: r must be below p, s below n, the key and r x coordinates of
// points on the curve, and R and P are lifted with even y.
//
// When a batch fails, Batch.FirstInvalid bisects it with fresh weights and
// names the lowest-indexed invalid entry with the reason, so a caller can
// reject the input that carries it. Verify checks one signature on its own
// with the same rules. A KeyCache keeps parsed public keys so that a key
// seen again skips its square root.
//
// A node uses it like this: collect every signature of a block, cut them
// into a few batches (one per worker, a few hundred signatures each when
// there are that many, since the cost per signature falls with size), run
// Verify on each batch on the worker pool, each worker with a Batch of its
// own and all sharing one KeyCache, and only when a batch fails call
// FirstInvalid on it to name the input to reject.
//
// Package schnorrbatch does not sign, does not hash messages (the 32-byte
// message is whatever the caller signs, a sighash here), does not run
// goroutines of its own (a caller spreads batches over its own workers) and
// does not accept anything but 32-byte messages and x-only keys. Its
// arithmetic is variable-time: it handles public data only, never secrets.
package schnorrbatch
