package integration

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/soterdag/soterd/internal/procnode"
)

// docStep is one command of a walk-through and the output shown for it.
type docStep struct {
	line int
	cmd  string
	out  []string
}

// docSteps reads the "$ command" lines of the sh blocks of a markdown
// page and the output lines that follow each.
func docSteps(t *testing.T, path string) []docStep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []docStep
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in && line == "```sh":
			in = true
		case in && line == "```":
			in = false
		case in && strings.HasPrefix(line, "$ "):
			steps = append(steps, docStep{line: n, cmd: strings.TrimPrefix(line, "$ ")})
		case in && len(steps) > 0:
			steps[len(steps)-1].out = append(steps[len(steps)-1].out, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}

// outputMatches reports whether got matches the documented lines: "…"
// inside a line stands for any text, and a line that is only "…" for any
// number of lines.
func outputMatches(want []string, got string) bool {
	var re strings.Builder
	re.WriteString(`^`)
	for _, w := range want {
		if w == "…" {
			re.WriteString(`(?:.*\n)*`)
			continue
		}
		parts := strings.Split(w, "…")
		for i, p := range parts {
			if i > 0 {
				re.WriteString(`.*`)
			}
			re.WriteString(regexp.QuoteMeta(p))
		}
		re.WriteString(`\n`)
	}
	re.WriteString(`$`)
	return regexp.MustCompile(re.String()).MatchString(got)
}

// varRef is a shell variable reference.
var varRef = regexp.MustCompile(`\$\{?([A-Z_][A-Z0-9_]*)\}?`)

// TestWalletDoc runs the walk-through of docs/wallet.md, command by
// command, with the real binaries, and checks every output it shows. It
// understands what the page uses: NAME=$(command), $NAME, and soterd,
// which it starts through procnode (on free loopback ports, so soterctl
// and sotertx get --rpcserver).
func TestWalletDoc(t *testing.T) {
	steps := docSteps(t, filepath.Join("..", "docs", "wallet.md"))
	if len(steps) < 10 {
		t.Fatalf("docs/wallet.md has %d commands; the walk-through is missing", len(steps))
	}
	home := t.TempDir()
	vars := map[string]string{}
	var node *procnode.Node
	for _, st := range steps {
		cmd := varRef.ReplaceAllStringFunc(st.cmd, func(ref string) string {
			name := varRef.FindStringSubmatch(ref)[1]
			v, ok := vars[name]
			if !ok {
				t.Fatalf("line %d: $%s is not set", st.line, name)
			}
			return v
		})
		assign := ""
		if name, rest, ok := strings.Cut(cmd, "=$("); ok && strings.HasSuffix(rest, ")") {
			assign, cmd = name, strings.TrimSuffix(rest, ")")
		}
		args := strings.Fields(cmd)
		if args[0] == "soterd" {
			var extra []string
			for _, a := range args[1:] {
				if a != "--regtest" {
					extra = append(extra, a)
				}
			}
			var err error
			node, err = procnode.Start(&procnode.Config{
				Binary:    bins.Soterd,
				Network:   "regtest",
				HomeDir:   filepath.Join(home, ".soterd"),
				TLS:       true,
				NoListen:  true,
				ExtraArgs: extra,
			})
			if err != nil {
				t.Fatalf("line %d: %s: %v", st.line, cmd, err)
			}
			t.Cleanup(func() { node.Stop() })
			continue
		}
		var bin string
		at := 1 // where --rpcserver goes: before soterctl's method
		switch args[0] {
		case "soterctl":
			bin = bins.Soterctl
		case "sotertx":
			bin, at = bins.Sotertx, 2
		default:
			t.Fatalf("line %d: the test does not know how to run %q", st.line, args[0])
		}
		if node != nil && node.Running() && len(args) >= at {
			args = append(args[:at], append([]string{"--rpcserver=" + node.RPCAddr()}, args[at:]...)...)
		}
		c := exec.Command(bin, args[1:]...)
		c.Dir = home
		c.Env = append(os.Environ(), "HOME="+home)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatalf("line %d: %s: %v", st.line, cmd, err)
		}
		wantFail := len(st.out) > 0 && strings.HasPrefix(st.out[0], args[0]+": ")
		switch {
		case wantFail && err == nil:
			t.Errorf("line %d: %s succeeded; the page shows an error", st.line, cmd)
		case !wantFail && err != nil:
			t.Fatalf("line %d: %s: %v\n%s", st.line, cmd, err, stderr.String())
		}
		got := stdout.String()
		if wantFail {
			got = stderr.String()
		}
		if assign != "" {
			vars[assign] = strings.TrimSpace(got)
			continue
		}
		if !outputMatches(st.out, got) {
			t.Errorf("line %d: %s printed\n%s\nthe page shows\n%s", st.line, cmd, got,
				strings.Join(st.out, "\n"))
		}
	}
	if node == nil {
		t.Fatal("the walk-through never started soterd")
	}
	select {
	case <-node.Done():
	case <-time.After(time.Minute):
		t.Fatal("soterd did not stop after soterctl stop")
	}
	if code, _ := node.ExitCode(); code != 0 {
		t.Errorf("soterd exited with %d", code)
	}
}
