package procnode

import (
	"fmt"
	"os"
	"testing"
)

// bins are the binaries TestMain builds once for every test.
var bins *Binaries

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests builds the binaries into a temporary directory, runs the tests
// and removes the directory.
func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "procnode-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err = Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
