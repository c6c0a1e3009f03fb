package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/soterdag/soterd/blockdag"
)

// coinDecimals is the number of decimals of a coin amount: one base unit is
// 0.00000001 coins.
const coinDecimals = 8

// parseCoins parses an amount in coins written as a decimal number with at
// most eight decimals ("12", "0.5", "0.00000420") into base units, exactly:
// no floating point, so what a person types is what is paid. It refuses
// zero, negative amounts and amounts above the maximum supply.
func parseCoins(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(t, ".")
	if t == "" || (whole == "" && frac == "") || (hasDot && frac == "") ||
		!allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%q is not an amount in coins, such as 12.5", s)
	}
	if len(frac) > coinDecimals {
		return 0, fmt.Errorf("%q has more than %d decimals; one base unit is 0.00000001 coins", s, coinDecimals)
	}
	maxCoins := uint64(blockdag.MaxSupply / blockdag.BaseUnitsPerCoin)
	var w uint64
	if whole != "" {
		var err error
		w, err = strconv.ParseUint(whole, 10, 64)
		if err != nil || w > maxCoins {
			return 0, fmt.Errorf("%q is more than the maximum supply of %d coins", s, maxCoins)
		}
	}
	f := uint64(0)
	if frac != "" {
		frac += strings.Repeat("0", coinDecimals-len(frac))
		f, _ = strconv.ParseUint(frac, 10, 64)
	}
	v := w*blockdag.BaseUnitsPerCoin + f
	if v == 0 {
		return 0, fmt.Errorf("amount %q is zero", s)
	}
	if v > blockdag.MaxSupply {
		return 0, fmt.Errorf("%q is more than the maximum supply of %d coins", s, maxCoins)
	}
	return v, nil
}

// parseUnits parses an amount in base units, for -units.
func parseUnits(s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || v == 0 || v > blockdag.MaxSupply {
		return 0, fmt.Errorf("%q is not an integer amount in base units in 1..%d",
			s, uint64(blockdag.MaxSupply))
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatCoins writes base units as coins, without trailing zeros: 1250000000
// is "12.5", 420 is "0.0000042".
func formatCoins(v uint64) string {
	s := strconv.FormatUint(v/blockdag.BaseUnitsPerCoin, 10)
	if frac := v % blockdag.BaseUnitsPerCoin; frac != 0 {
		f := fmt.Sprintf("%08d", frac)
		s += "." + strings.TrimRight(f, "0")
	}
	return s
}
