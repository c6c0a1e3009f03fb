// Package address implements soterd addresses: the text form of the x-only
// BIP-340 public key an output is locked to, with the network's prefix and
// a bech32m checksum (BIP-350), as in
//
//	soter1q<52 characters of key><6 characters of checksum>
//
// The data part is a version value (0, the only one defined) followed by
// the 32-byte key in 5-bit groups. The checksum catches every typo of up
// to four characters, and the prefix keeps a test network's address from
// being paid on the main network.
//
// Parse also accepts the raw 64-character hex key that tools accepted
// before addresses existed, so old scripts keep working; everything soterd
// prints is an address. The package does not hold keys, know network
// parameters beyond the prefix it is given, or log.
package address
