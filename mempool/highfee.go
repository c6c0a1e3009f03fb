package mempool

// A fee is burned, so one paid by mistake, most often a forgotten change
// output (the whole rest of the inputs becomes the fee), is lost for good.
// Tools that build transactions, and sendrawtransaction unless told
// allowhighfees, refuse a fee IsHighFee calls high.
const (
	// HighFeeFloor is the fee, in base units, at or below which no fee is
	// high whatever the size: 0.01 coins.
	HighFeeFloor = 1_000_000

	// HighFeeRatePerKB is the rate, in base units per 1000 bytes, above
	// which a fee is high: a hundred times the default relay fee rate,
	// as btcd's absurd-fee rule.
	HighFeeRatePerKB = 100 * DefaultMinRelayTxFee
)

// IsHighFee reports whether fee for a transaction of size bytes is more
// than a sender likely meant to pay: above HighFeeFloor and above
// HighFeeRatePerKB.
func IsHighFee(fee uint64, size int) bool {
	return fee > HighFeeFloor && !meetsFeeRateAtMost(fee, size, HighFeeRatePerKB)
}

// meetsFeeRateAtMost reports whether fee for size bytes is at most rate
// base units per 1000 bytes: fee*1000 <= rate*size.
func meetsFeeRateAtMost(fee uint64, size int, rate uint64) bool {
	return !feeRateLess(rate, 1000, fee, size)
}
