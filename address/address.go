package address

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/internal/bech32"
	"github.com/soterdag/soterd/wire"
)

// Version0 is the only address version: a bare x-only public key.
const Version0 = 0

// keyGroups is the number of 5-bit groups of a 32-byte key: 256 bits
// padded to 260.
const keyGroups = (wire.PubKeySize*8 + 4) / 5

// Encode returns the address of an x-only public key on the network with
// the given prefix (blockdag.Params.AddressPrefix). It panics only when
// prefix is not a valid lower-case bech32 prefix, which is a programming
// error, since prefixes come from the network parameters.
func Encode(prefix string, pub [wire.PubKeySize]byte) string {
	data := make([]byte, 1, 1+keyGroups)
	data[0] = Version0
	groups, err := bech32.ConvertBits(pub[:], 8, 5, true)
	if err != nil {
		panic(fmt.Sprintf("address: convert key: %v", err))
	}
	s, err := bech32.Encode(prefix, append(data, groups...))
	if err != nil {
		panic(fmt.Sprintf("address: prefix %q: %v", prefix, err))
	}
	return s
}

// Decode returns the public key of an address of the network with the
// given prefix. Mistyped characters, another network's prefix, unknown
// versions and keys that are not on the curve are refused with an Error
// that says which. Surrounding white space is ignored.
func Decode(prefix, s string) ([wire.PubKeySize]byte, error) {
	var pub [wire.PubKeySize]byte
	s = strings.TrimSpace(s)
	hrp, data, err := bech32.Decode(s)
	if sep := strings.LastIndexByte(s, '1'); err != nil && sep > 0 && strings.ToLower(s[:sep]) != prefix {
		// Not this network's prefix and not valid: more likely
		// something else entirely than a typo in an address.
		return pub, addrError(ErrMalformed, fmt.Sprintf(
			"%q is not an address (this network's addresses start with %q)", s, prefix+"1"))
	}
	if err != nil {
		if errors.Is(err, bech32.ErrChecksum) {
			return pub, addrError(ErrChecksum, fmt.Sprintf(
				"address %s has a typo: its checksum does not match; copy it again", s))
		}
		return pub, addrError(ErrMalformed, fmt.Sprintf(
			"%q is not an address: %v", s, err))
	}
	if hrp != prefix {
		return pub, addrError(ErrWrongNetwork, fmt.Sprintf(
			"address %s is for another network (prefix %q); this network's addresses start with %q",
			s, hrp, prefix+"1"))
	}
	if len(data) == 0 || data[0] != Version0 {
		v := -1
		if len(data) > 0 {
			v = int(data[0])
		}
		return pub, addrError(ErrVersion, fmt.Sprintf(
			"address %s has version %d; this node knows only version %d", s, v, Version0))
	}
	if len(data) != 1+keyGroups {
		return pub, addrError(ErrVersion, fmt.Sprintf(
			"address %s is %d characters long, the wrong length for a version %d address",
			s, len(s), Version0))
	}
	key, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil || len(key) != wire.PubKeySize {
		return pub, addrError(ErrMalformed, fmt.Sprintf("address %s does not hold a 32-byte key", s))
	}
	copy(pub[:], key)
	if err := checkKey(pub); err != nil {
		return pub, addrError(ErrBadKey, fmt.Sprintf(
			"address %s does not hold a valid public key: %v", s, err))
	}
	return pub, nil
}

// Parse accepts an address of the network with the given prefix, or a raw
// x-only public key as 64 hex characters (the form used before addresses;
// it has no checksum, so prefer addresses). Either way the key is checked to
// be on secp256k1, so no output is locked to a key nobody can sign for.
func Parse(prefix, s string) ([wire.PubKeySize]byte, error) {
	t := strings.TrimSpace(s)
	if len(t) == 2*wire.PubKeySize && isHex(t) {
		var pub [wire.PubKeySize]byte
		if _, err := hex.Decode(pub[:], []byte(t)); err != nil {
			return pub, addrError(ErrMalformed, fmt.Sprintf("%q is not hex", t))
		}
		if err := checkKey(pub); err != nil {
			return pub, addrError(ErrBadKey, fmt.Sprintf("%s is not a valid public key: %v", t, err))
		}
		return pub, nil
	}
	return Decode(prefix, t)
}

func checkKey(pub [wire.PubKeySize]byte) error {
	_, err := schnorr.ParsePubKey(pub[:])
	return err
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
