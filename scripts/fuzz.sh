#!/bin/sh
# Runs every fuzz target of the module for $FUZZTIME each. go test -fuzz takes
# one target at a time, so this finds them with grep and loops.
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-2s}
count=0
for file in $(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go'); do
	dir=$(dirname "$file")
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "fuzz $dir $target ($FUZZTIME)"
		$GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "./$dir" >/tmp/soterd-fuzz.$$ 2>&1 || {
			cat /tmp/soterd-fuzz.$$; rm -f /tmp/soterd-fuzz.$$; exit 1; }
		count=$((count + 1))
	done
done
rm -f /tmp/soterd-fuzz.$$
echo "fuzz: $count targets ran for $FUZZTIME each"
