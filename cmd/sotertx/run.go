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
	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/rpcmodel"
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

The wallet, over soterd's RPC (soterd needs --utxoindex):
  createwallet                          make a wallet file with one key; print its address
  newaddress                            add a key to the wallet; print its address
  addresses                             print the wallet's addresses
  importkey --key file                  add the key of a key file (soterd's mining.key, say)
  balance                               the wallet's coins (getbalance's fields)
  listunspent                           the wallet's unspent outputs (listunspent's fields)
  send <address> <amount>               pay amount coins to address: picks coins, adds change
       [--feerate coins/kB]             to a new address, signs, shows the fee, refuses a
       [--allowhighfee] [--units]       high one unless --allowhighfee, and submits
  Wallet commands take soterctl's connection options (--regtest, -u, -P,
  --rpcserver, --notls, ...) and --wallet file; sotertx <command> -h lists them.

Offline, without a node:
  keygen [-o file]                      make a key pair; with -o write the private key
                                        to a new 0600 key file and print its address
  address -key file [-hex]              print the address (or hex public key) of a key file
  create -in txid:index:amount:address... build an unsigned transaction (hex); the fee
         -out address:amount...         goes to standard error; a high fee is refused
         [-locktime N] [-allowhighfee]  unless -allowhighfee
  sign -key file... -tx hex|-           sign every input; -prevout lists the spent
       -prevout amount:address...       outputs in input order
  decode -tx hex|-                      print a transaction as JSON (decoderawtransaction's fields)
  Offline commands take -testnet, -regtest or -simnet for addresses of that
  network (mainnet by default) and -units for amounts in base units.

Amounts are in coins (12.5, 0.001) unless -units says base units (one coin
is 100000000); -in, -out, -prevout and -key may be given several times;
"-tx -" reads standard input.
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
	case "createwallet", "newaddress", "addresses", "importkey", "balance", "listunspent", "send":
		err = runWallet(cmd, rest, stdout, stderr)
	case "keygen":
		err = cmdKeygen(rest, stdout, stderr)
	case "address":
		err = cmdAddress(rest, stdout, stderr)
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

// netFlags are the offline commands' network and amount flags.
type netFlags struct {
	testnet, regtest, simnet, units *bool
}

// addNetFlags adds -testnet, -regtest, -simnet and -units to fs.
func addNetFlags(fs *flag.FlagSet) *netFlags {
	return &netFlags{
		testnet: fs.Bool("testnet", false, "addresses of the test network"),
		regtest: fs.Bool("regtest", false, "addresses of the regression test network"),
		simnet:  fs.Bool("simnet", false, "addresses of the simulation network"),
		units:   fs.Bool("units", false, "amounts in base units instead of coins"),
	}
}

// params returns the network the flags name.
func (n *netFlags) params() (*blockdag.Params, error) {
	p, count := blockdag.MainNetParams(), 0
	for _, c := range []struct {
		on bool
		p  func() *blockdag.Params
	}{{*n.testnet, blockdag.TestNetParams}, {*n.regtest, blockdag.RegressionNetParams},
		{*n.simnet, blockdag.SimNetParams}} {
		if c.on {
			p = c.p()
			count++
		}
	}
	if count > 1 {
		return nil, usageError{"testnet, regtest and simnet: choose at most one"}
	}
	return p, nil
}

// amount parses an amount in coins, or in base units with -units.
func (n *netFlags) amount(s string) (uint64, error) {
	if *n.units {
		return parseUnits(s)
	}
	return parseCoins(s)
}

// show formats an amount the way the user types them.
func (n *netFlags) show(v uint64) string {
	if *n.units {
		return strconv.FormatUint(v, 10) + " base units"
	}
	return formatCoins(v) + " coins"
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
	nf := addNetFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params, err := nf.params()
	if err != nil {
		return err
	}
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		return err
	}
	addr := address.Encode(params.AddressPrefix, pub)
	if *out == "" {
		fmt.Fprintf(stdout, "private key: %s\naddress:     %s\n", keys.EncodePrivateKeyHex(priv), addr)
		return nil
	}
	if err := keys.WriteKeyFile(*out, priv); err != nil {
		return err
	}
	fmt.Fprintln(stdout, addr)
	return nil
}

func cmdAddress(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("address", stderr)
	path := fs.String("key", "", "key file")
	asHex := fs.Bool("hex", false, "print the x-only public key as 64 hex characters instead")
	nf := addNetFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params, err := nf.params()
	if err != nil {
		return err
	}
	if *path == "" {
		return usageError{"address: -key is required"}
	}
	priv, err := keys.LoadKeyFile(*path)
	if err != nil {
		return err
	}
	pub := keys.PubKey(priv)
	if *asHex {
		fmt.Fprintln(stdout, keys.EncodePubKeyHex(pub))
		return nil
	}
	fmt.Fprintln(stdout, address.Encode(params.AddressPrefix, pub))
	return nil
}

// argParser parses the pieces of -in, -out and -prevout for one network
// and amount unit.
type argParser struct {
	prefix string
	nf     *netFlags
}

// parseInput parses txid:index:amount:address.
func (p *argParser) parseInput(s string) (wire.OutPoint, wire.TxOut, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: want txid:index:amount:address", s)
	}
	txID, err := wire.NewHashFromStr(parts[0])
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: txid: %v", s, err)
	}
	index, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: index %q is not in 0..%d", s, parts[1], uint32(1<<32-1))
	}
	value, err := p.nf.amount(parts[2])
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: %v", s, err)
	}
	pub, err := address.Parse(p.prefix, parts[3])
	if err != nil {
		return wire.OutPoint{}, wire.TxOut{}, fmt.Errorf("-in %q: %v", s, err)
	}
	return wire.OutPoint{TxID: *txID, Index: uint32(index)}, wire.TxOut{Value: value, PubKey: pub}, nil
}

// parseOutput parses address:amount (order as -out takes it) or
// amount:address (as -prevout takes it), depending on valueFirst.
func (p *argParser) parseOutput(s, flagName string, valueFirst bool) (wire.TxOut, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 {
		if valueFirst {
			return wire.TxOut{}, fmt.Errorf("%s %q: want amount:address", flagName, s)
		}
		return wire.TxOut{}, fmt.Errorf("%s %q: want address:amount", flagName, s)
	}
	valueStr, addrStr := parts[1], parts[0]
	if valueFirst {
		valueStr, addrStr = parts[0], parts[1]
	}
	value, err := p.nf.amount(valueStr)
	if err != nil {
		return wire.TxOut{}, fmt.Errorf("%s %q: %v", flagName, s, err)
	}
	pub, err := address.Parse(p.prefix, addrStr)
	if err != nil {
		return wire.TxOut{}, fmt.Errorf("%s %q: %v", flagName, s, err)
	}
	return wire.TxOut{Value: value, PubKey: pub}, nil
}

func cmdCreate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("create", stderr)
	var ins, outs listFlag
	fs.Var(&ins, "in", "an output to spend, txid:index:amount:address (repeatable)")
	fs.Var(&outs, "out", "an output to create, address:amount (repeatable)")
	lockTime := fs.Uint64("locktime", 0, "blue score before which the transaction is not final")
	allowHigh := fs.Bool("allowhighfee", false, "build the transaction even when its fee is high")
	nf := addNetFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params, err := nf.params()
	if err != nil {
		return err
	}
	if len(ins) == 0 || len(outs) == 0 {
		return usageError{"create: at least one -in and one -out are required"}
	}
	p := &argParser{prefix: params.AddressPrefix, nf: nf}
	tx := &wire.MsgTx{Version: wire.TxVersion, LockTime: *lockTime}
	var in, out uint64
	for _, s := range ins {
		op, prev, err := p.parseInput(s)
		if err != nil {
			return err
		}
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: op})
		in += prev.Value
	}
	for _, s := range outs {
		o, err := p.parseOutput(s, "-out", false)
		if err != nil {
			return err
		}
		tx.TxOut = append(tx.TxOut, o)
		out += o.Value
	}
	if err := blockdag.CheckTransactionSanity(tx, params); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if in > blockdag.MaxSupply {
		return fmt.Errorf("create: inputs total more than the maximum supply")
	}
	if out > in {
		return fmt.Errorf("create: outputs total %s, more than the inputs' %s", nf.show(out), nf.show(in))
	}
	fee, size := in-out, tx.SerializeSize()
	if mempool.IsHighFee(fee, size) && !*allowHigh {
		return fmt.Errorf("create: the fee would be %s for %d bytes, far more than needed; "+
			"did you forget a change output? Fees are burned. Add -allowhighfee to build it anyway",
			nf.show(fee), size)
	}
	fmt.Fprintf(stderr, "fee: %s for %d bytes (%s per kB once signed)\n",
		nf.show(fee), size, nf.show(feePerKB(fee, size)))
	fmt.Fprintln(stdout, hex.EncodeToString(tx.Serialize()))
	return nil
}

// feePerKB is fee per 1000 bytes of size, rounded down; fee*1000 can pass
// 64 bits, so it is done in two steps.
func feePerKB(fee uint64, size int) uint64 {
	sz := uint64(size)
	return fee/sz*1000 + fee%sz*1000/sz
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
	fs.Var(&prevouts, "prevout", "the output input i spends, amount:address, in input order (repeatable)")
	txHex := fs.String("tx", "", "the transaction as hex, or - for standard input")
	nf := addNetFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params, err := nf.params()
	if err != nil {
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
	p := &argParser{prefix: params.AddressPrefix, nf: nf}
	prevOuts := make([]wire.TxOut, len(prevouts))
	privs := make([]*btcec.PrivateKey, len(prevouts))
	for i, s := range prevouts {
		o, err := p.parseOutput(s, "-prevout", true)
		if err != nil {
			return err
		}
		prevOuts[i] = o
		priv, ok := byPub[o.PubKey]
		if !ok {
			return fmt.Errorf("sign: input %d spends an output locked to %s, and no -key file holds its key",
				i, address.Encode(params.AddressPrefix, o.PubKey))
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

// decodedTx is decode's output: decoderawtransaction's fields, plus the
// total of the outputs.
type decodedTx struct {
	rpcmodel.TxRawResult
	TotalOut float64 `json:"totalout"`
}

func cmdDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("decode", stderr)
	txHex := fs.String("tx", "", "the transaction as hex, or - for standard input")
	nf := addNetFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params, err := nf.params()
	if err != nil {
		return err
	}
	tx, err := readTx(*txHex, stdin)
	if err != nil {
		return err
	}
	j := decodedTx{TxRawResult: rpcmodel.TxRawResult{
		TxID:     tx.TxID().String(),
		Version:  tx.Version,
		Size:     tx.SerializeSize(),
		LockTime: tx.LockTime,
		Vin:      make([]rpcmodel.Vin, len(tx.TxIn)),
		Vout:     make([]rpcmodel.Vout, len(tx.TxOut)),
		Coinbase: tx.IsCoinBase(),
		Payload:  hex.EncodeToString(tx.Payload),
	}}
	for i, in := range tx.TxIn {
		j.Vin[i] = rpcmodel.Vin{
			TxID:      in.PreviousOutPoint.TxID.String(),
			Vout:      in.PreviousOutPoint.Index,
			Signature: hex.EncodeToString(in.Signature[:]),
		}
	}
	var total uint64
	for i, out := range tx.TxOut {
		j.Vout[i] = rpcmodel.Vout{
			Value:   float64(out.Value) / blockdag.BaseUnitsPerCoin,
			N:       uint32(i),
			Address: address.Encode(params.AddressPrefix, out.PubKey),
			PubKey:  hex.EncodeToString(out.PubKey[:]),
		}
		total += out.Value
	}
	j.TotalOut = float64(total) / blockdag.BaseUnitsPerCoin
	return writeJSON(stdout, j)
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v interface{}) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
