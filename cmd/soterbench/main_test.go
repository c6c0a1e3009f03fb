package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRunUsage checks the exit codes and messages of command lines that
// never start a node.
func TestRunUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no command", args: nil, wantCode: 2, wantErr: "usage:"},
		{name: "unknown command", args: []string{"mine"}, wantCode: 2, wantErr: `unknown command "mine"`},
		{name: "help", args: []string{"help"}, wantCode: 0},
		{name: "ibd help", args: []string{"ibd", "-h"}, wantCode: 0, wantErr: "-txs"},
		{name: "ibd zero blocks", args: []string{"ibd", "-n", "0"}, wantCode: 2, wantErr: "-n must be in"},
		{name: "ibd too many txs", args: []string{"ibd", "-txs", "5001"}, wantCode: 2, wantErr: "-txs must be in"},
		{name: "ibd too wide", args: []string{"ibd", "-width", "11"}, wantCode: 2, wantErr: "-width must be in"},
		{name: "ibd mainnet", args: []string{"ibd", "-net", "mainnet"}, wantCode: 2, wantErr: "-net must be"},
		{name: "ibd bad timeout", args: []string{"ibd", "-timeout", "0s"}, wantCode: 2, wantErr: "-timeout"},
		{name: "ibd bad profile length", args: []string{"ibd", "-profileseconds", "0"}, wantCode: 2, wantErr: "-profileseconds"},
		{name: "ibd bad scrape interval", args: []string{"ibd", "-metrics", "-scrapeinterval", "0s"}, wantCode: 2, wantErr: "-scrapeinterval"},
		{name: "ibd stray argument", args: []string{"ibd", "extra"}, wantCode: 2, wantErr: "unexpected argument"},
		{name: "ibd unknown flag", args: []string{"ibd", "-x"}, wantCode: 2, wantErr: "-x"},
		{name: "propagate one node", args: []string{"propagate", "-nodes", "1"}, wantCode: 2, wantErr: "-nodes must be in"},
		{name: "propagate no blocks", args: []string{"propagate", "-blocks", "0"}, wantCode: 2, wantErr: "-blocks must be in"},
		{name: "propagate testnet", args: []string{"propagate", "-net", "testnet"}, wantCode: 2, wantErr: "-net must be"},
		{name: "schnorr no cpu", args: []string{"schnorr", "-cpu", "0"}, wantCode: 2, wantErr: "-cpu must be in"},
		{name: "schnorr too short", args: []string{"schnorr", "-seconds", "0.01"}, wantCode: 2, wantErr: "-seconds must be in"},
		{name: "missing soterd", args: []string{"ibd", "-soterd", "/nonexistent/soterd"}, wantCode: 1, wantErr: "-soterd"},
		{name: "template no blocks", args: []string{"template", "-blocks", "0"}, wantCode: 2, wantErr: "-blocks must be in"},
		{name: "template mainnet", args: []string{"template", "-net", "mainnet"}, wantCode: 2, wantErr: "-net must be"},
		{name: "hashrate too short", args: []string{"hashrate", "-seconds", "1"}, wantCode: 2, wantErr: "-seconds must be in"},
		{name: "hashrate no rounds", args: []string{"hashrate", "-rounds", "0"}, wantCode: 2, wantErr: "-rounds must be in"},
		{name: "hashrate no workers", args: []string{"hashrate", "-workers", "0"}, wantCode: 2, wantErr: "-workers must be in"},
		{name: "missing sotermine", args: []string{"hashrate", "-sotermine", "/nonexistent/sotermine"},
			wantCode: 1, wantErr: "-sotermine"},
	}
	for _, test := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), test.args, &stdout, &stderr)
		if code != test.wantCode {
			t.Errorf("%s: got exit code %d, want %d (stderr %q)", test.name, code, test.wantCode, stderr.String())
		}
		if test.wantErr != "" && !strings.Contains(stderr.String(), test.wantErr) {
			t.Errorf("%s: got stderr %q, want it to contain %q", test.name, stderr.String(), test.wantErr)
		}
	}
}

// TestSchnorrCommand runs a short measurement.
func TestSchnorrCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"schnorr", "-seconds", "0.2", "-cpu", "2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("got exit code %d, stderr %q", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "schnorr cpu=2 ") || !strings.Contains(stdout.String(), "verifies_per_s=") {
		t.Errorf("got %q, want the schnorr result line", stdout.String())
	}
}

// TestSchnorrCanceled checks that a canceled measurement reports the
// cancellation rather than a rate.
func TestSchnorrCanceled(t *testing.T) {
	samples, err := makeSchnorrSamples(4)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := measureSchnorr(ctx, samples, 2, 0); err == nil {
		t.Error("got no error from a canceled measurement")
	}
	samples[0].sig[5] ^= 1
	if _, _, err := measureSchnorr(context.Background(), samples, 1, 50_000_000); err == nil {
		t.Error("got no error with a bad sample signature")
	}
}
