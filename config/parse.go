package config

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/btcsuite/btclog"
	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// subsystems are the log subsystem tags, one per package that logs, sorted.
var subsystems = []string{
	"CMGR", // connection manager, bans and address book (connmgr)
	"DAG",  // consensus (blockdag)
	"DB",   // storage (database)
	"MINR", // miner (mining)
	"MTRC", // Prometheus metrics server (metrics)
	"PEER", // single peers (peer)
	"RPCS", // RPC server (rpcserver)
	"SOTD", // the daemon itself (cmd/soterd)
	"SRVR", // node wiring and peer handlers (node)
	"SYNC", // sync manager (netsync)
	"TXMP", // mempool (mempool)
}

// Subsystems returns the log subsystem tags --debuglevel accepts, sorted.
// The daemon creates one logger per tag.
func Subsystems() []string {
	return append([]string(nil), subsystems...)
}

// levelNames lists the levels --debuglevel accepts, for error messages.
const levelNames = "trace, debug, info, warn, error, critical or off"

// ParseDebugLevel parses a --debuglevel value: comma-separated items, each
// either a level, which applies to every subsystem not named, or
// SUBSYS=level for one subsystem. Subsystem tags are matched without regard
// to case against the given list and returned in upper case. Without a bare
// level the default is info.
func ParseDebugLevel(spec string, subsystems []string) (btclog.Level, map[string]btclog.Level, error) {
	known := make(map[string]bool, len(subsystems))
	for _, s := range subsystems {
		known[strings.ToUpper(s)] = true
	}
	level := btclog.LevelInfo
	haveDefault := false
	perSubsystem := make(map[string]btclog.Level)
	if strings.TrimSpace(spec) == "" {
		return 0, nil, invalid("debuglevel", "empty; want a level (%s) "+
			"or SUBSYS=level pairs", levelNames)
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return 0, nil, invalid("debuglevel", "empty item in %q", spec)
		}
		subsystem, levelName, pair := strings.Cut(item, "=")
		if !pair {
			levelName = item
		}
		l, ok := btclog.LevelFromString(strings.TrimSpace(levelName))
		if !ok {
			return 0, nil, invalid("debuglevel", "unknown level %q (want %s)",
				strings.TrimSpace(levelName), levelNames)
		}
		if !pair {
			if haveDefault {
				return 0, nil, invalid("debuglevel", "more than one level "+
					"for all subsystems in %q", spec)
			}
			level, haveDefault = l, true
			continue
		}
		tag := strings.ToUpper(strings.TrimSpace(subsystem))
		if !known[tag] {
			return 0, nil, invalid("debuglevel", "unknown subsystem %q "+
				"(want one of %s)", strings.TrimSpace(subsystem),
				strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
		if _, dup := perSubsystem[tag]; dup {
			return 0, nil, invalid("debuglevel", "subsystem %s given "+
				"twice", tag)
		}
		perSubsystem[tag] = l
	}
	return level, perSubsystem, nil
}

// coinDecimals is the number of decimal places of a coin amount:
// BaseUnitsPerCoin is 10^coinDecimals.
const coinDecimals = 8

// ParseAmount parses a decimal amount of coins, such as "0.00001", into base
// units, exactly: at most 8 decimal places, no sign, no exponent, and at most
// blockdag.MaxSupply.
func ParseAmount(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if (whole == "" && frac == "") || !isDigits(whole) || !isDigits(frac) {
		return 0, fmt.Errorf("%q is not an amount of coins such as "+
			"0.00001", s)
	}
	if len(frac) > coinDecimals {
		return 0, fmt.Errorf("%q has more than %d decimal places", s,
			coinDecimals)
	}
	units := uint64(0)
	if whole != "" {
		w, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || w > math.MaxUint64/blockdag.BaseUnitsPerCoin {
			return 0, fmt.Errorf("%s is more than the supply of %s coins",
				s, FormatAmount(blockdag.MaxSupply))
		}
		units = w * blockdag.BaseUnitsPerCoin
	}
	if frac != "" {
		f, err := strconv.ParseUint(frac+strings.Repeat("0", coinDecimals-len(frac)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an amount of coins", s)
		}
		units += f
	}
	if units > blockdag.MaxSupply {
		return 0, fmt.Errorf("%s is more than the supply of %s coins", s,
			FormatAmount(blockdag.MaxSupply))
	}
	return units, nil
}

// FormatAmount formats base units as a decimal amount of coins, without
// trailing zeros: the inverse of ParseAmount.
func FormatAmount(units uint64) string {
	whole := units / blockdag.BaseUnitsPerCoin
	frac := units % blockdag.BaseUnitsPerCoin
	if frac == 0 {
		return strconv.FormatUint(whole, 10)
	}
	f := fmt.Sprintf("%0*d", coinDecimals, frac)
	return strconv.FormatUint(whole, 10) + "." + strings.TrimRight(f, "0")
}

// isDigits reports whether s holds only ASCII digits (true for "").
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseMiningAddr parses the address coins are mined to: an address of
// the network with the given prefix (blockdag.Params.AddressPrefix) or, as
// before addresses, an x-only public key written as 64 hex characters. The
// key is checked to be a point on secp256k1, so that coins are never mined
// to a key nobody can sign for.
func ParseMiningAddr(prefix, s string) ([wire.PubKeySize]byte, error) {
	return address.Parse(prefix, s)
}
