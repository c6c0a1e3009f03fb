package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// maxHexInput bounds what "-tx -" reads from standard input: the hex of
// the largest transaction the wire accepts, plus white space.
const maxHexInput = 2*wire.MaxBlockPayload + 1024

const usage = `usage: sotertx <command> [options]

commands:
  keygen [-o file]                      make a key pair; with -o write the private key
                                        to a new 0600 key file and print the public key
  pubkey -key file                      print the public key of a key file
  create -in txid:index:value:pubkey... build an unsigned transaction (hex); the fee
         -out pubkey:value...           goes to standard error
         [-locktime N]
  sign -key file... -tx hex|-           sign every input; -prevout lists the spent
       -prevout value:pubkey...         outputs in input order
  decode -tx hex|-                      print a transaction as JSON

Values are integers in base units; public keys are 64 hex characters; -in,
-out, -prevout and -key may be given several times; "-tx -" reads standard
input.
`

// usageError is an error in how sotertx was called.
type usageError struct{ msg string }

// Error implements error.
func (e usageError) Error() string { return e.msg }

// run executes one sotertx command and returns its exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "keygen":
		err = cmdKeygen(rest, stdout, stderr)
	case "pubkey":
		err = cmdPubkey(rest, stdout, stderr)
	case "create":
		err = cmdCreate(rest, stdout, stderr)
	case "sign":
		err = cmdSign(rest, stdin, stdout, stderr)
	case "decode":
		err = cmdDecode(rest, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		err = usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "sotertx: %v\n\n%s", err, usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "sotertx: %v\n", err)
		return exitError
	}
}

// listFlag collects every value of a repeatable flag.
type listFlag []string

// String implements flag.Value.
func (l *listFlag) String() string { return strings.Join(*l, " ") }

// Set implements flag.Value: each use of the flag adds a value.
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sotertx "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and refuses positional arguments, which are
// always a mistake here (a forgotten -in, say).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func cmdKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keygen", stderr)
	out := fs.String("o", "", "write the private key to this new key file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintf(stdout, "private key: %s\npublic key:  %s\n",
			keys.EncodePrivateKeyHex(priv), keys.EncodePubKeyHex(pub))
		return nil
	}
	if err := keys.WriteKeyFile(*out, priv); err != nil {
		return err
	}
	fmt.Fprintln(stdout, keys.EncodePubKeyHex(pub))
	return nil
}

func cmdPubkey(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pubkey", stderr)
	path := fs.String("key", "", "key file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{"pubkey: -key is required"}
	}
	priv, err := keys.LoadKeyFile(*path)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, keys.EncodePubKeyHex(keys.PubKey(priv)))
	return nil
}

// parseValue parses an amount in base units: a positive integer no larger
// than the maximum supply.
func parseValue(s, what string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 || v > blockdag.MaxSupply {
		return 0, fmt.Errorf("%s %q is not an integer amount in base units in 1..%d",
			what, s, uint64(blockdag.MaxSupply))
	}
	return v, nil
}

// parseInput parses txid:index:value:pubkey.
func parseInput(s string) (wire.OutPoint, wire.TxOut, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: want txid:index:value:pubkey", s)
	}
	txID, err := wire.NewHashFromStr(parts[0])
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: txid: %v", s, err)
	}
	index, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: index %q is not in 0..%d", s, parts[1], uint32(1<<32-1))
	}
	value, err := parseValue(parts[2], "value")
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: %v", s, err)
	}
	pub, err := keys.ParsePubKeyHex(parts[3])
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: %v", s, err)
	}
	return wire.OutPoint{TxID: *txID, Index: uint32(index)}, wire.TxOut{Value: value, PubKey: pub}, nil
}

// parseOutput parses pubkey:value (order as -out takes it) or value:pubkey
// (as -prevout takes it), depending on valueFirst.
func parseOutput(s, flagName string, valueFirst bool) (wire.TxOut, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 {
		if valueFirst {
			return wire.TxOut{}, fmt.Errorf("%s %q: want value:pubkey", flagName, s)
		}
		return wire.TxOut{}, fmt.Errorf("%s %q: want pubkey:value", flagName, s)
	}
	valueStr, pubStr := parts[1], parts[0]
	if valueFirst {
		valueStr, pubStr = parts[0], parts[1]
	}
	value, err := parseValue(valueStr, "value")
	if err != nil {
		return wire.TxOut{}, fmt.Errorf("%s %q: %v", flagName, s, err)
	}
	pub, err := keys.ParsePubKeyHex(pubStr)
	if err != nil {
		return wire.TxOut{}, fmt.Errorf("%s %q: %v", flagName, s, err)
	}
	return wire.TxOut{Value: value, PubKey: pub}, nil
}

func cmdCreate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("create", stderr)
	var ins, outs listFlag
	fs.Var(&ins, "in", "an output to spend, txid:index:value:pubkey (repeatable)")
	fs.Var(&outs, "out", "an output to create, pubkey:value (repeatable)")
	lockTime := fs.Uint64("locktime", 0, "blue score before which the transaction is not final")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(ins) == 0 || len(outs) == 0 {
		return usageError{"create: at least one -in and one -out are required"}
	}
	tx := &wire.MsgTx{Version: wire.TxVersion, LockTime: *lockTime}
	var in, out uint64
	for _, s := range ins {
		op, prev, err := parseInput(s)
		if err != nil {
			return err
		}
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: op})
		in += prev.Value
	}
	for _, s := range outs {
		o, err := parseOutput(s, "-out", false)
		if err != nil {
			return err
		}
		tx.TxOut = append(tx.TxOut, o)
		out += o.Value
	}
	if err := blockdag.CheckTransactionSanity(tx, blockdag.MainNetParams()); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if in > blockdag.MaxSupply {
		return fmt.Errorf("create: inputs total more than the maximum supply")
	}
	if out > in {
		return fmt.Errorf("create: outputs total %d, more than the inputs' %d", out, in)
	}
	fee, size := in-out, uint64(tx.SerializeSize())
	// fee*1000/size in two steps: fee*1000 can pass 64 bits.
	perKB := fee/size*1000 + fee%size*1000/size
	fmt.Fprintf(stderr, "fee: %d base units for %d bytes (%d per kB once signed)\n",
		fee, size, perKB)
	fmt.Fprintln(stdout, hex.EncodeToString(tx.Serialize()))
	return nil
}

// readTx decodes a transaction from hex, or from standard input's hex when
// s is "-".
func readTx(s string, stdin io.Reader) (*wire.MsgTx, error) {
	if s == "" {
		return nil, usageError{"-tx is required"}
	}
	if s == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, maxHexInput+1))
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		if len(b) > maxHexInput {
			return nil, fmt.Errorf("standard input is over %d bytes, too long for a transaction", maxHexInput)
		}
		s = string(b)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("transaction is not hex: %v", err)
	}
	tx := new(wire.MsgTx)
	if err := tx.Deserialize(raw); err != nil {
		return nil, fmt.Errorf("cannot decode transaction: %w", err)
	}
	return tx, nil
}

func cmdSign(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("sign", stderr)
	var keyFiles, prevouts listFlag
	fs.Var(&keyFiles, "key", "a key file to sign with (repeatable)")
	fs.Var(&prevouts, "prevout", "the output input i spends, value:pubkey, in input order (repeatable)")
	txHex := fs.String("tx", "", "the transaction as hex, or - for standard input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(keyFiles) == 0 {
		return usageError{"sign: at least one -key is required"}
	}
	tx, err := readTx(*txHex, stdin)
	if err != nil {
		return err
	}
	if tx.IsCoinBase() {
		return errors.New("sign: the transaction has no inputs")
	}
	if len(prevouts) != len(tx.TxIn) {
		return fmt.Errorf("sign: %d -prevout for %d inputs; give one per input, in order",
			len(prevouts), len(tx.TxIn))
	}
	byPub := make(map[[wire.PubKeySize]byte]*btcec.PrivateKey, len(keyFiles))
	for _, path := range keyFiles {
		priv, err := keys.LoadKeyFile(path)
		if err != nil {
			return err
		}
		byPub[keys.PubKey(priv)] = priv
	}
	prevOuts := make([]wire.TxOut, len(prevouts))
	privs := make([]*btcec.PrivateKey, len(prevouts))
	for i, s := range prevouts {
		o, err := parseOutput(s, "-prevout", true)
		if err != nil {
			return err
		}
		prevOuts[i] = o
		priv, ok := byPub[o.PubKey]
		if !ok {
			return fmt.Errorf("sign: input %d spends an output locked to %s, and no -key file holds its key",
				i, keys.EncodePubKeyHex(o.PubKey))
		}
		privs[i] = priv
	}
	if err := keys.SignTx(tx, prevOuts, privs); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	for i := range tx.TxIn {
		if !keys.VerifyInput(tx, i, prevOuts) {
			return fmt.Errorf("sign: input %d does not verify after signing", i)
		}
	}
	fmt.Fprintln(stdout, hex.EncodeToString(tx.Serialize()))
	return nil
}

// txJSON is how decode shows a transaction.
type txJSON struct {
	TxID     wire.Hash    `json:"txid"`
	Version  uint16       `json:"version"`
	Size     int          `json:"size"`
	LockTime uint64       `json:"locktime"`
	Coinbase bool         `json:"coinbase"`
	Inputs   []inputJSON  `json:"inputs"`
	Outputs  []outputJSON `json:"outputs"`
	TotalOut uint64       `json:"total_out"`
	Payload  string       `json:"payload,omitempty"`
}

type inputJSON struct {
	TxID      wire.Hash `json:"txid"`
	Index     uint32    `json:"index"`
	Signature string    `json:"signature"`
}

type outputJSON struct {
	Value  uint64 `json:"value"`
	PubKey string `json:"pubkey"`
}

func cmdDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("decode", stderr)
	txHex := fs.String("tx", "", "the transaction as hex, or - for standard input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	tx, err := readTx(*txHex, stdin)
	if err != nil {
		return err
	}
	j := txJSON{
		TxID:     tx.TxID(),
		Version:  tx.Version,
		Size:     tx.SerializeSize(),
		LockTime: tx.LockTime,
		Coinbase: tx.IsCoinBase(),
		Inputs:   make([]inputJSON, len(tx.TxIn)),
		Outputs:  make([]outputJSON, len(tx.TxOut)),
		Payload:  hex.EncodeToString(tx.Payload),
	}
	for i, in := range tx.TxIn {
		j.Inputs[i] = inputJSON{
			TxID:      in.PreviousOutPoint.TxID,
			Index:     in.PreviousOutPoint.Index,
			Signature: hex.EncodeToString(in.Signature[:]),
		}
	}
	for i, out := range tx.TxOut {
		j.Outputs[i] = outputJSON{Value: out.Value, PubKey: hex.EncodeToString(out.PubKey[:])}
		j.TotalOut += out.Value
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(j); err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}
