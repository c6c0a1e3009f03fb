package config

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// samplePath is the sample conf file at the repository root.
var samplePath = filepath.Join("..", "sample-soterd.conf")

// sampleOption matches a commented-out option line of the sample file:
// "; name=value".
var sampleOption = regexp.MustCompile(`^; ([a-z]+)=(.*)$`)

// sampleLines returns the option lines of the sample file, in order.
func sampleLines(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line != "" && !strings.HasPrefix(line, ";") {
			t.Errorf("line %q is not commented out", line)
		}
		if m := sampleOption.FindStringSubmatch(line); m != nil {
			lines = append(lines, [2]string{m[1], m[2]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestSampleDocumentsEveryOption checks that every option that may appear in
// a conf file has an example in the sample file, and that the sample names
// no option that does not exist.
func TestSampleDocumentsEveryOption(t *testing.T) {
	inSample := make(map[string]bool)
	for _, l := range sampleLines(t) {
		inSample[l[0]] = true
	}
	typ := reflect.TypeOf(Config{})
	options := make(map[string]bool)
	for i := 0; i < typ.NumField(); i++ {
		field := typ.Field(i)
		long := field.Tag.Get("long")
		if long == "" {
			continue
		}
		if field.Tag.Get("description") == "" {
			t.Errorf("option %s has no description", long)
		}
		if field.Tag.Get("no-ini") != "" {
			continue
		}
		options[long] = true
		if !inSample[long] {
			t.Errorf("option %s is not in %s", long, samplePath)
		}
	}
	for name := range inSample {
		if !options[name] {
			t.Errorf("%s shows option %s, which does not exist", samplePath, name)
		}
	}
}

// TestSampleLoads checks that Load accepts the sample file as it is, and that
// it changes nothing.
func TestSampleLoads(t *testing.T) {
	abs, err := filepath.Abs(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	withSample, home := mustLoad(t, "", "--configfile="+abs)
	without, _, err := Load([]string{"--appdata=" + home})
	if err != nil {
		t.Fatal(err)
	}
	withSample.ConfigFile = without.ConfigFile
	if !reflect.DeepEqual(withSample, without) {
		t.Errorf("the sample file changes the configuration:\n%+v\n%+v",
			withSample, without)
	}
}

// sampleCompanions are the lines an example needs beside it to be valid on
// its own.
var sampleCompanions = map[string]string{
	"rpcuser":      "rpcpass=p\n",
	"rpcpass":      "rpcuser=u\n",
	"rpclimituser": "rpclimitpass=p\n",
	"rpclimitpass": "rpclimituser=r\n",
	"webui":        "rpcuser=u\nrpcpass=p\n",
}

// TestSampleExamples uncomments each example line of the sample file on its
// own and checks that Load accepts it, so the sample never shows a value
// the node refuses.
func TestSampleExamples(t *testing.T) {
	for i, l := range sampleLines(t) {
		conf := l[0] + "=" + l[1] + "\n" + sampleCompanions[l[0]]
		if _, _, err := load(t, conf); err != nil {
			t.Errorf("example %d %q: %v", i, l[0]+"="+l[1], err)
		}
	}
}
