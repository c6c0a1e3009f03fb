package procnode

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are the paths of the compiled commands.
type Binaries struct {
	Soterd    string
	Soterctl  string
	Sotertx   string
	Sotermine string
}

// commands are the packages Build compiles. They are named one by one
// rather than as ./cmd/... so that a half-written command elsewhere in the
// tree cannot break every test that needs a node.
var commands = []string{"./cmd/soterd", "./cmd/soterctl", "./cmd/sotertx", "./cmd/sotermine"}

// Build compiles soterd, soterctl, sotertx and sotermine into outDir,
// without the race detector whatever the calling test uses: the
// processes should run at their real speed, and only the test process needs
// instrumenting. The module is the one that holds the working directory,
// which under go test is the package directory. Build takes tens of seconds
// on a cold cache, so a test binary calls it once, from TestMain.
func Build(outDir string) (*Binaries, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, procError(ErrBuild, fmt.Sprintf("build: no go command "+
			"in PATH: %v", err))
	}
	root, err := moduleRoot(goBin)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, procError(ErrBuild, fmt.Sprintf("build: %v", err))
	}
	outDir, err = filepath.Abs(outDir)
	if err != nil {
		return nil, procError(ErrBuild, fmt.Sprintf("build: %v", err))
	}
	args := append([]string{"build", "-o", outDir + string(filepath.Separator)}, commands...)
	cmd := exec.Command(goBin, args...)
	cmd.Dir = root
	// GOFLAGS from the environment could carry -race; the binaries are
	// built plain on purpose.
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, procError(ErrBuild, fmt.Sprintf("build: go build %s "+
			"in %s: %v\n%s", strings.Join(commands, " "), root, err, out.String()))
	}
	bins := &Binaries{
		Soterd:    filepath.Join(outDir, "soterd"),
		Soterctl:  filepath.Join(outDir, "soterctl"),
		Sotertx:   filepath.Join(outDir, "sotertx"),
		Sotermine: filepath.Join(outDir, "sotermine"),
	}
	for _, p := range []string{bins.Soterd, bins.Soterctl, bins.Sotertx, bins.Sotermine} {
		if _, err := os.Stat(p); err != nil {
			return nil, procError(ErrBuild, fmt.Sprintf("build: %v", err))
		}
	}
	return bins, nil
}

// moduleRoot returns the directory of the go.mod that holds the working
// directory.
func moduleRoot(goBin string) (string, error) {
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		return "", procError(ErrBuild, fmt.Sprintf("build: go env GOMOD: %v", err))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", procError(ErrBuild, "build: the working directory is "+
			"not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}
