package bech32

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestValidVectors checks the valid bech32m strings of BIP-350: each
// decodes, and encoding its parts gives the string back (in lower case).
func TestValidVectors(t *testing.T) {
	tests := []string{
		"A1LQFN3A",
		"a1lqfn3a",
		"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
		"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
		"11" + strings.Repeat("l", 82) + "ludsr8",
		"split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
		"?1v759aa",
	}
	for _, s := range tests {
		hrp, data, err := Decode(s)
		if err != nil {
			t.Errorf("%s: got error %v, want none", s, err)
			continue
		}
		got, err := Encode(hrp, data)
		if err != nil {
			t.Errorf("%s: encode: %v", s, err)
			continue
		}
		if got != strings.ToLower(s) {
			t.Errorf("%s: encoded again as %s", s, got)
		}
	}
}

// TestInvalidVectors checks the invalid bech32m strings of BIP-350 and the
// kind of error each gets.
func TestInvalidVectors(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want ErrorKind
	}{
		{"hrp char 0x20", "\x201xj0phk", ErrCharacter},
		{"hrp char 0x7f", "\x7f1g6xzxy", ErrCharacter},
		{"hrp char 0x80", "\x801vctc34", ErrCharacter},
		{"too long", "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4", ErrLength},
		{"no separator", "qyrz8wqd2c9m", ErrSeparator},
		{"empty hrp", "1qyrz8wqd2c9m", ErrSeparator},
		{"bad data char", "y1b0jsk6g", ErrCharacter},
		{"bad data char 2", "lt1igcx5c0", ErrCharacter},
		{"short checksum", "in1muywd", ErrLength},
		{"bad checksum char", "mm1crxm3i", ErrCharacter},
		{"bad checksum char 2", "au1s5cgom", ErrCharacter},
		{"upper-case hrp checksum", "M1VUXWEZ", ErrChecksum},
		{"empty hrp 2", "16plkw9", ErrSeparator},
		{"empty hrp 3", "1p2gdwpf", ErrSeparator},
		{"bech32 not bech32m", "a12uel5l", ErrChecksum},
		{"mixed case", "A1lqfn3a", ErrMixedCase},
	}
	for _, tc := range tests {
		_, _, err := Decode(tc.s)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestSegwitVectors decodes the BIP-350 segwit v1+ addresses: a witness
// version value followed by the program in 5-bit groups. The last one is
// the x-only key of the secp256k1 generator, the shape of a soterd address.
func TestSegwitVectors(t *testing.T) {
	tests := []struct {
		addr, hrp, script string
	}{
		{"BC1SW50QGDZ25J", "bc", "6002751e"},
		{"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "bc",
			"5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"},
		{"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "tb",
			"5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc",
			"512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
	}
	for _, tc := range tests {
		hrp, data, err := Decode(tc.addr)
		if err != nil {
			t.Errorf("%s: %v", tc.addr, err)
			continue
		}
		if hrp != tc.hrp || len(data) == 0 {
			t.Errorf("%s: got prefix %q, want %q", tc.addr, hrp, tc.hrp)
			continue
		}
		prog, err := ConvertBits(data[1:], 5, 8, false)
		if err != nil {
			t.Errorf("%s: program: %v", tc.addr, err)
			continue
		}
		// The script is OP_n, the push length, the program.
		script, _ := hex.DecodeString(tc.script)
		if int(script[0]) != 0x50+int(data[0]) || int(script[1]) != len(prog) ||
			hex.EncodeToString(script[2:]) != hex.EncodeToString(prog) {
			t.Errorf("%s: got version %d program %x, want script %s", tc.addr, data[0], prog, tc.script)
		}
		back, err := ConvertBits(prog, 8, 5, true)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := Encode(hrp, append([]byte{data[0]}, back...))
		if err != nil || enc != strings.ToLower(tc.addr) {
			t.Errorf("%s: encoded again as %s (%v)", tc.addr, enc, err)
		}
	}
}

// TestSingleTypos changes each character of a valid string to every other
// alphabet character: the checksum must refuse all of them (BCH codes
// detect every single substitution).
func TestSingleTypos(t *testing.T) {
	const s = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
	sep := strings.LastIndexByte(s, '1')
	for i := sep + 1; i < len(s); i++ {
		for _, c := range charset {
			if byte(c) == s[i] {
				continue
			}
			typo := s[:i] + string(c) + s[i+1:]
			if _, _, err := Decode(typo); !errors.Is(err, ErrChecksum) {
				t.Fatalf("%s: got %v, want %v", typo, err, ErrChecksum)
			}
		}
	}
}

func TestConvertBitsPadding(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"exact", []byte{0, 0, 0, 0, 0, 0, 0, 0}, true},
		{"nonzero padding", []byte{0, 1}, false},
		{"too much padding", []byte{0, 0, 0}, false},
		{"wide value", []byte{32}, false},
	}
	for _, tc := range tests {
		_, err := ConvertBits(tc.in, 5, 8, false)
		if (err == nil) != tc.ok {
			t.Errorf("%s: got %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name string
		hrp  string
		data []byte
		want ErrorKind
	}{
		{"empty prefix", "", nil, ErrSeparator},
		{"upper prefix", "BC", nil, ErrCharacter},
		{"wide value", "bc", []byte{32}, ErrCharacter},
		{"too long", "bc", make([]byte, 82), ErrLength},
	}
	for _, tc := range tests {
		if _, err := Encode(tc.hrp, tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}
