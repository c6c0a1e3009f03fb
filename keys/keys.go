package keys

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/wire"
)

// PrivateKeySize is the size of a serialized private key: a 256-bit scalar.
const PrivateKeySize = 32

// PubKeySize is the size of an x-only BIP-340 public key, the key every
// output is locked to.
const PubKeySize = wire.PubKeySize

// GenerateKey returns a new private key from the operating system's random
// source and its x-only public key.
func GenerateKey() (*btcec.PrivateKey, [PubKeySize]byte, error) {
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		return nil, [PubKeySize]byte{}, fmt.Errorf("generate key: %w", err)
	}
	return priv, PubKey(priv), nil
}

// PubKey returns the x-only BIP-340 public key of priv, the 32 bytes an
// output locked to it carries.
func PubKey(priv *btcec.PrivateKey) [PubKeySize]byte {
	var pub [PubKeySize]byte
	copy(pub[:], schnorr.SerializePubKey(priv.PubKey()))
	return pub
}

// PrivateKeyFromBytes returns the private key b encodes (32 bytes, big
// endian). Unlike btcec.PrivKeyFromBytes it refuses zero and values not
// below the curve order instead of silently reducing them, so a damaged key
// file never turns into a different key.
func PrivateKeyFromBytes(b []byte) (*btcec.PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, keyError(ErrBadKeyEncoding, fmt.Sprintf(
			"private key is %d bytes, want %d", len(b), PrivateKeySize))
	}
	var scalar btcec.ModNScalar
	if overflow := scalar.SetByteSlice(b); overflow {
		return nil, keyError(ErrBadPrivateKey, "private key is not below the secp256k1 curve order")
	}
	if scalar.IsZero() {
		return nil, keyError(ErrBadPrivateKey, "private key is zero")
	}
	return btcec.PrivKeyFromScalar(&scalar), nil
}

// ParsePrivateKeyHex parses a private key written as 64 hex characters.
// Surrounding white space is ignored.
func ParsePrivateKeyHex(s string) (*btcec.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2*PrivateKeySize {
		return nil, keyError(ErrBadKeyEncoding, fmt.Sprintf(
			"private key hex has %d characters, want %d", len(s), 2*PrivateKeySize))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, keyError(ErrBadKeyEncoding, fmt.Sprintf("private key is not hex: %v", err))
	}
	return PrivateKeyFromBytes(b)
}

// EncodePrivateKeyHex returns the private key as 64 lower-case hex
// characters, the form ParsePrivateKeyHex and key files use.
func EncodePrivateKeyHex(priv *btcec.PrivateKey) string {
	b := priv.Key.Bytes()
	return hex.EncodeToString(b[:])
}

// ParsePubKeyHex parses an x-only public key written as 64 hex characters
// and checks that it is a point on secp256k1, so no output is ever locked to
// a key nobody can sign for. Surrounding white space is ignored.
func ParsePubKeyHex(s string) ([PubKeySize]byte, error) {
	var pub [PubKeySize]byte
	s = strings.TrimSpace(s)
	if len(s) != 2*PubKeySize {
		return pub, keyError(ErrBadKeyEncoding, fmt.Sprintf(
			"public key hex has %d characters, want %d", len(s), 2*PubKeySize))
	}
	if _, err := hex.Decode(pub[:], []byte(s)); err != nil {
		return pub, keyError(ErrBadKeyEncoding, fmt.Sprintf("public key is not hex: %v", err))
	}
	if err := CheckPubKey(pub); err != nil {
		return pub, err
	}
	return pub, nil
}

// CheckPubKey returns an error unless pub is the x coordinate of a point on
// secp256k1 (as BIP-340 requires of every public key).
func CheckPubKey(pub [PubKeySize]byte) error {
	if _, err := schnorr.ParsePubKey(pub[:]); err != nil {
		return keyError(ErrBadPublicKey, fmt.Sprintf("invalid public key %x: %v", pub, err))
	}
	return nil
}

// EncodePubKeyHex returns the public key as 64 lower-case hex characters.
func EncodePubKeyHex(pub [PubKeySize]byte) string {
	return hex.EncodeToString(pub[:])
}
