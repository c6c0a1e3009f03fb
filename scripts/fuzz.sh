#!/bin/sh
# Runs every fuzz target of the module for $FUZZTIME each. go test -fuzz takes
# one target at a time, so this finds them with grep and loops.
#
# go test -fuzz can end a clean run with "context deadline exceeded" when the
# time runs out in the middle of an input (the toolchain's own race, not a
# finding: it writes no failing input). Such a run is retried once and then
# accepted; any run that writes a failing input fails the script.
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-2s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
count=0
for file in $(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go'); do
	dir=$(dirname "$file")
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "fuzz $dir $target ($FUZZTIME)"
		tries=0
		while :; do
			if $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "./$dir" >"$log" 2>&1; then
				break
			fi
			if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
				tries=$((tries + 1))
				if [ "$tries" -lt 2 ]; then
					continue
				fi
				echo "  (ended by the fuzz deadline mid-input twice; no failing input)"
				break
			fi
			cat "$log"
			exit 1
		done
		count=$((count + 1))
	done
done
echo "fuzz: $count targets ran for $FUZZTIME each"
