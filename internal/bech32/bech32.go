package bech32

import (
	"fmt"
	"strings"
)

// charset is the bech32 alphabet: value i is written as charset[i].
const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32mConst is the value the checksum polynomial must leave for bech32m
// (BIP-350); the original bech32 used 1.
const bech32mConst = 0x2bc830a3

// MaxLength is the longest string BIP-350 allows. The checksum's error
// detection guarantees hold up to this length.
const MaxLength = 90

// checksumLen is the number of checksum characters.
const checksumLen = 6

// charValue maps an ASCII byte to its value in charset, or -1.
var charValue = func() [128]int8 {
	var t [128]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(charset); i++ {
		c := charset[i]
		t[c] = int8(i)
		if c >= 'a' && c <= 'z' {
			t[c-'a'+'A'] = int8(i)
		}
	}
	return t
}()

// polymod is the BCH checksum of BIP-173 over 5-bit values.
func polymod(values []byte, chk uint32) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// hrpChecksum feeds the expanded prefix into the checksum: the high bits of
// each character, a zero, the low bits of each character.
func hrpChecksum(hrp string) uint32 {
	chk := uint32(1)
	buf := make([]byte, 0, 2*len(hrp)+1)
	for i := 0; i < len(hrp); i++ {
		buf = append(buf, hrp[i]>>5)
	}
	buf = append(buf, 0)
	for i := 0; i < len(hrp); i++ {
		buf = append(buf, hrp[i]&31)
	}
	return polymod(buf, chk)
}

// Encode returns the bech32m string of a lower-case prefix and data of
// 5-bit values. It fails when a value is above 31, the prefix is empty or
// not printable lower-case ASCII, or the result would pass MaxLength.
func Encode(hrp string, data []byte) (string, error) {
	if len(hrp) == 0 {
		return "", bechError(ErrSeparator, "bech32m prefix is empty")
	}
	if len(hrp)+1+len(data)+checksumLen > MaxLength {
		return "", bechError(ErrLength, fmt.Sprintf(
			"bech32m string would be %d characters, more than %d",
			len(hrp)+1+len(data)+checksumLen, MaxLength))
	}
	for i := 0; i < len(hrp); i++ {
		c := hrp[i]
		if c < 33 || c > 126 || (c >= 'A' && c <= 'Z') {
			return "", bechError(ErrCharacter, fmt.Sprintf(
				"bech32m prefix %q has character %q, want printable lower-case ASCII", hrp, c))
		}
	}
	for _, v := range data {
		if v > 31 {
			return "", bechError(ErrCharacter, fmt.Sprintf("data value %d is not 5 bits", v))
		}
	}
	chk := polymod(data, hrpChecksum(hrp))
	chk = polymod(make([]byte, checksumLen), chk) ^ bech32mConst
	var sb strings.Builder
	sb.Grow(len(hrp) + 1 + len(data) + checksumLen)
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, v := range data {
		sb.WriteByte(charset[v])
	}
	for i := 0; i < checksumLen; i++ {
		sb.WriteByte(charset[(chk>>(5*(checksumLen-1-i)))&31])
	}
	return sb.String(), nil
}

// Decode splits a bech32m string into its prefix (lower case) and its data
// as 5-bit values, checksum removed. Upper-case strings are accepted (QR
// codes use them); mixed case is not.
func Decode(s string) (hrp string, data []byte, err error) {
	if len(s) > MaxLength {
		return "", nil, bechError(ErrLength, fmt.Sprintf(
			"bech32m string is %d characters, more than %d", len(s), MaxLength))
	}
	var lower, upper bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 {
			return "", nil, bechError(ErrCharacter, fmt.Sprintf(
				"character %d is not printable ASCII", i+1))
		}
		lower = lower || (c >= 'a' && c <= 'z')
		upper = upper || (c >= 'A' && c <= 'Z')
	}
	if lower && upper {
		return "", nil, bechError(ErrMixedCase, "bech32m string mixes upper and lower case")
	}
	sep := strings.LastIndexByte(s, '1')
	if sep < 1 {
		return "", nil, bechError(ErrSeparator, "bech32m string has no prefix and '1' separator")
	}
	if len(s)-sep-1 < checksumLen {
		return "", nil, bechError(ErrLength, "bech32m string is too short for its checksum")
	}
	hrp = strings.ToLower(s[:sep])
	rest := s[sep+1:]
	values := make([]byte, len(rest))
	for i := 0; i < len(rest); i++ {
		v := charValue[rest[i]]
		if v < 0 {
			return "", nil, bechError(ErrCharacter, fmt.Sprintf(
				"character %d (%q) is not in the bech32 alphabet", sep+2+i, rest[i]))
		}
		values[i] = byte(v)
	}
	if polymod(values, hrpChecksum(hrp)) != bech32mConst {
		return "", nil, bechError(ErrChecksum, "bech32m checksum does not match: a character is mistyped")
	}
	return hrp, values[:len(values)-checksumLen], nil
}

// ConvertBits regroups data from groups of from bits to groups of to bits
// (each 1 to 8). With pad, a final partial group is padded with zero bits;
// without it, leftover bits must be fewer than from and all zero, as when
// decoding 5-bit groups back into bytes.
func ConvertBits(data []byte, from, to uint, pad bool) ([]byte, error) {
	var acc, bits uint
	maxv := uint(1)<<to - 1
	out := make([]byte, 0, (uint(len(data))*from+to-1)/to)
	for _, v := range data {
		if uint(v)>>from != 0 {
			return nil, bechError(ErrCharacter, fmt.Sprintf("value %d is wider than %d bits", v, from))
		}
		acc = acc<<from | uint(v)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte(acc>>bits&maxv))
		}
		acc &= 1<<bits - 1
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(to-bits)&maxv))
		}
	} else if bits >= from || acc != 0 {
		return nil, bechError(ErrPadding, "bech32m data has invalid padding")
	}
	return out, nil
}
