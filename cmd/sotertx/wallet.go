package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	flags "github.com/jessevdk/go-flags"
	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/internal/rpcclient"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// rpcTimeout bounds one wallet command's RPC calls.
const rpcTimeout = 60 * time.Second

// maxSendSize bounds the transaction send builds: the mempool's default
// limit, so the node relays it.
const maxSendSize = mempool.DefaultMaxTxSize

// walletOptions are the options of the wallet commands.
type walletOptions struct {
	rpcclient.ConnOptions
	Wallet string `short:"w" long:"wallet" description:"Wallet file (default ~/.sotertx/<network>/wallet.keys)"`

	// importkey
	Key string `long:"key" description:"importkey: the key file to import"`

	// send
	FeeRate      string `long:"feerate" description:"send: fee rate in coins per 1000 bytes (default: the node's relay fee rate)"`
	AllowHighFee bool   `long:"allowhighfee" description:"send: send even when the fee is high (over 0.01 coins and 100 times the default rate)"`
	Units        bool   `long:"units" description:"Amounts in base units instead of coins, in what you type and what is printed"`
}

// walletCmd is one wallet command's state.
type walletCmd struct {
	opts   walletOptions
	params *blockdag.Params
	args   []string
	stdout io.Writer
	client *rpcclient.WSClient
}

// runWallet runs a wallet command.
func runWallet(cmd string, args []string, stdout, stderr io.Writer) error {
	wc := &walletCmd{stdout: stdout}
	parser := flags.NewParser(&wc.opts, flags.HelpFlag|flags.PassDoubleDash)
	parser.Name = "sotertx " + cmd
	parser.Usage = walletUsage[cmd]
	rest, err := parser.ParseArgs(args)
	if err != nil {
		var fe *flags.Error
		if errors.As(err, &fe) && fe.Type == flags.ErrHelp {
			fmt.Fprintln(stdout, err)
			return flag.ErrHelp
		}
		return usageError{err.Error()}
	}
	wc.args = rest
	home, _ := os.UserHomeDir()
	if wc.params, err = wc.opts.Resolve(home); err != nil {
		return err
	}
	if wc.opts.Wallet == "" {
		wc.opts.Wallet = filepath.Join(home, ".sotertx", wc.params.Name, "wallet.keys")
	}
	want := map[string]int{"send": 2}[cmd]
	if len(rest) != want {
		return usageError{fmt.Sprintf("%s takes %d arguments, got %d: %s", cmd, want, len(rest), walletUsage[cmd])}
	}
	defer func() {
		if wc.client != nil {
			wc.client.Close()
		}
	}()
	switch cmd {
	case "createwallet":
		return wc.createWallet()
	case "newaddress":
		return wc.newAddress()
	case "addresses":
		return wc.addresses()
	case "importkey":
		return wc.importKey()
	case "balance":
		return wc.balance()
	case "listunspent":
		return wc.listUnspent()
	default:
		return wc.send()
	}
}

// walletUsage is each wallet command's synopsis.
var walletUsage = map[string]string{
	"createwallet": "[options]",
	"newaddress":   "[options]",
	"addresses":    "[options]",
	"importkey":    "--key file [options]",
	"balance":      "[options]",
	"listunspent":  "[options]",
	"send":         "[options] <address> <amount>",
}

// load reads the wallet and checks it belongs to the chosen network.
func (wc *walletCmd) load() (*wallet, error) {
	w, err := loadWallet(wc.opts.Wallet)
	if err != nil {
		return nil, err
	}
	if w.network != wc.params.Name {
		return nil, fmt.Errorf("wallet file %s is for %s, not %s: choose the network with "+
			"--testnet, --regtest or --simnet, or another --wallet", w.path, w.network, wc.params.Name)
	}
	return w, nil
}

// addr returns the address of a key on the wallet's network.
func (wc *walletCmd) addr(pub [wire.PubKeySize]byte) string {
	return address.Encode(wc.params.AddressPrefix, pub)
}

func (wc *walletCmd) createWallet() error {
	if _, err := os.Stat(wc.opts.Wallet); err == nil {
		return fmt.Errorf("wallet file %s exists already; it is never overwritten", wc.opts.Wallet)
	}
	w := newWallet(wc.opts.Wallet, wc.params.Name)
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		return err
	}
	w.add(priv)
	if err := w.save(); err != nil {
		return err
	}
	fmt.Fprintln(wc.stdout, wc.addr(pub))
	return nil
}

// addKey adds a new key to w and saves it before anything uses the key,
// so no address the wallet hands out is ever lost.
func (wc *walletCmd) addKey(w *wallet) ([wire.PubKeySize]byte, error) {
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		return pub, err
	}
	if !w.add(priv) {
		return pub, fmt.Errorf("the wallet holds %d keys, the most a wallet file may", maxWalletKeys)
	}
	return pub, w.save()
}

func (wc *walletCmd) newAddress() error {
	w, err := wc.load()
	if err != nil {
		return err
	}
	pub, err := wc.addKey(w)
	if err != nil {
		return err
	}
	fmt.Fprintln(wc.stdout, wc.addr(pub))
	return nil
}

func (wc *walletCmd) addresses() error {
	w, err := wc.load()
	if err != nil {
		return err
	}
	for _, pub := range w.pubKeys() {
		fmt.Fprintln(wc.stdout, wc.addr(pub))
	}
	return nil
}

func (wc *walletCmd) importKey() error {
	if wc.opts.Key == "" {
		return usageError{"importkey: --key is required"}
	}
	w, err := wc.load()
	if err != nil {
		return err
	}
	priv, err := keys.LoadKeyFile(wc.opts.Key)
	if err != nil {
		return err
	}
	if !w.add(priv) {
		return fmt.Errorf("the wallet holds the key of %s already", wc.opts.Key)
	}
	if err := w.save(); err != nil {
		return err
	}
	fmt.Fprintln(wc.stdout, wc.addr(keys.PubKey(priv)))
	return nil
}

// call makes an RPC call, connecting on first use.
func (wc *walletCmd) call(result interface{}, method string, params ...interface{}) error {
	if wc.client == nil {
		c, err := rpcclient.Dial(&wc.opts.ConnOptions)
		if err != nil {
			return err
		}
		wc.client = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	if err := wc.client.Call(ctx, result, method, params...); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// addressArgs returns the wallet's addresses in groups the RPC accepts.
func (wc *walletCmd) addressArgs(w *wallet) [][]interface{} {
	var groups [][]interface{}
	var g []interface{}
	for _, pub := range w.pubKeys() {
		if len(g) == rpcmodel.MaxVariadic {
			groups = append(groups, g)
			g = nil
		}
		g = append(g, wc.addr(pub))
	}
	return append(groups, g)
}

// walletBalance is what balance prints: getbalance's fields, in coins, or
// in base units with --units.
type walletBalance struct {
	Balance   interface{} `json:"balance"`
	Spendable interface{} `json:"spendable"`
	Immature  interface{} `json:"immature"`
	Pending   interface{} `json:"pending"`
	Outputs   int         `json:"outputs"`
	BlueScore uint64      `json:"bluescore"`
}

// amountJSON is an amount as printed: coins, or base units with --units.
func (wc *walletCmd) amountJSON(units uint64) interface{} {
	if wc.opts.Units {
		return units
	}
	return json.Number(formatCoins(units))
}

func (wc *walletCmd) balance() error {
	w, err := wc.load()
	if err != nil {
		return err
	}
	var total [4]uint64
	out := walletBalance{}
	for _, g := range wc.addressArgs(w) {
		var r rpcmodel.GetBalanceResult
		if err := wc.call(&r, "getbalance", g...); err != nil {
			return err
		}
		for i, v := range []float64{r.Balance, r.Spendable, r.Immature, r.Pending} {
			total[i] += toUnits(v)
		}
		out.Outputs += r.Outputs
		out.BlueScore = max(out.BlueScore, r.BlueScore)
	}
	out.Balance, out.Spendable = wc.amountJSON(total[0]), wc.amountJSON(total[1])
	out.Immature, out.Pending = wc.amountJSON(total[2]), wc.amountJSON(total[3])
	return writeJSON(wc.stdout, out)
}

// toUnits converts an RPC amount in coins to base units. Amounts have at
// most eight decimals, so rounding recovers the exact value.
func toUnits(coins float64) uint64 {
	return uint64(coins*blockdag.BaseUnitsPerCoin + 0.5)
}

// unspent returns the wallet's unspent outputs that no mempool
// transaction spends.
func (wc *walletCmd) unspent(w *wallet) ([]rpcmodel.UnspentOutput, error) {
	var all []rpcmodel.UnspentOutput
	for _, g := range wc.addressArgs(w) {
		var list []rpcmodel.UnspentOutput
		if err := wc.call(&list, "listunspent", g...); err != nil {
			return nil, err
		}
		all = append(all, list...)
	}
	return all, nil
}

func (wc *walletCmd) listUnspent() error {
	w, err := wc.load()
	if err != nil {
		return err
	}
	list, err := wc.unspent(w)
	if err != nil {
		return err
	}
	if list == nil {
		list = []rpcmodel.UnspentOutput{}
	}
	if !wc.opts.Units {
		return writeJSON(wc.stdout, list)
	}
	type unitsOutput struct {
		rpcmodel.UnspentOutput
		Amount uint64 `json:"amount"`
	}
	out := make([]unitsOutput, len(list))
	for i, u := range list {
		out[i] = unitsOutput{UnspentOutput: u, Amount: toUnits(u.Amount)}
	}
	return writeJSON(wc.stdout, out)
}

// sendResult is what send prints.
type sendResult struct {
	TxID          string      `json:"txid"`
	Address       string      `json:"address"`
	Amount        interface{} `json:"amount"`
	Fee           interface{} `json:"fee"`
	Size          int         `json:"size"`
	Change        interface{} `json:"change"`
	ChangeAddress string      `json:"changeaddress,omitempty"`
}

// coin is a spendable output of the wallet.
type coin struct {
	op    wire.OutPoint
	out   wire.TxOut
	priv  *btcec.PrivateKey
	units uint64
}

func (wc *walletCmd) send() error {
	w, err := wc.load()
	if err != nil {
		return err
	}
	to, err := address.Parse(wc.params.AddressPrefix, wc.args[0])
	if err != nil {
		return err
	}
	var amount uint64
	if wc.opts.Units {
		amount, err = parseUnits(wc.args[1])
	} else {
		amount, err = parseCoins(wc.args[1])
	}
	if err != nil {
		return err
	}
	if amount < mempool.DefaultDustLimit {
		return fmt.Errorf("%s is below the dust limit of %s, which nodes do not relay",
			wc.show(amount), wc.show(mempool.DefaultDustLimit))
	}
	rate, err := wc.feeRate()
	if err != nil {
		return err
	}

	list, err := wc.unspent(w)
	if err != nil {
		return err
	}
	var coins []coin
	var immature uint64
	for _, u := range list {
		txID, err := wire.NewHashFromStr(u.TxID)
		if err != nil {
			return fmt.Errorf("listunspent returned txid %q: %v", u.TxID, err)
		}
		pub, err := address.Decode(wc.params.AddressPrefix, u.Address)
		if err != nil {
			return fmt.Errorf("listunspent returned address %q: %v", u.Address, err)
		}
		priv, ok := w.byPub[pub]
		if !ok {
			return fmt.Errorf("listunspent returned an output of %s, which is not the wallet's", u.Address)
		}
		units := toUnits(u.Amount)
		if !u.Spendable {
			immature += units
			continue
		}
		coins = append(coins, coin{op: wire.OutPoint{TxID: *txID, Index: u.Vout},
			out: wire.TxOut{Value: units, PubKey: pub}, priv: priv, units: units})
	}
	// Largest first: the fewest inputs, so the smallest fee. Ties in a
	// fixed order, so the same wallet state builds the same transaction.
	slices.SortFunc(coins, func(a, b coin) int {
		if a.units != b.units {
			return compareDesc(a.units, b.units)
		}
		if c := a.op.TxID.Compare(&b.op.TxID); c != 0 {
			return c
		}
		return int(a.op.Index) - int(b.op.Index)
	})

	tx := &wire.MsgTx{Version: wire.TxVersion}
	tx.TxOut = []wire.TxOut{{Value: amount, PubKey: to}, {Value: 0, PubKey: to}} // second: change
	var in uint64
	var chosen []coin
	// The fee with one input, for the message when there are no coins.
	fee := feeFor(rate, tx.SerializeSize()+wire.TxInSerializeSize)
	enough := false
	for _, c := range coins {
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: c.op})
		chosen = append(chosen, c)
		in += c.units
		if tx.SerializeSize() > maxSendSize {
			return fmt.Errorf("paying %s needs more than %d bytes of inputs; send less, "+
				"or send coins to yourself in smaller steps first", wc.show(amount), maxSendSize)
		}
		fee = feeFor(rate, tx.SerializeSize())
		if in >= amount+fee {
			enough = true
			break
		}
	}
	if !enough {
		var spendable uint64
		for _, c := range coins {
			spendable += c.units
		}
		return fmt.Errorf("the wallet cannot pay %s and a fee of about %s: it has %s spendable "+
			"(%s more still maturing; outputs spent by unconfirmed transactions count once "+
			"those are in a block)", wc.show(amount), wc.show(fee), wc.show(spendable), wc.show(immature))
	}

	change := in - amount - fee
	res := sendResult{Address: wc.addr(to)}
	if change < mempool.DefaultDustLimit {
		// Change this small would be dust: it goes to the fee.
		tx.TxOut = tx.TxOut[:1]
		fee = in - amount
		change = 0
	} else {
		pub, err := wc.addKey(w)
		if err != nil {
			return err
		}
		tx.TxOut[1] = wire.TxOut{Value: change, PubKey: pub}
		res.ChangeAddress = wc.addr(pub)
	}
	size := tx.SerializeSize()
	if mempool.IsHighFee(fee, size) && !wc.opts.AllowHighFee {
		return fmt.Errorf("the fee would be %s for %d bytes, more than such a transaction needs "+
			"(check --feerate); fees are burned. Add --allowhighfee to send it anyway", wc.show(fee), size)
	}

	prevOuts := make([]wire.TxOut, len(chosen))
	privs := make([]*btcec.PrivateKey, len(chosen))
	for i, c := range chosen {
		prevOuts[i], privs[i] = c.out, c.priv
	}
	if err := keys.SignTx(tx, prevOuts, privs); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	var txid string
	if err := wc.call(&txid, "sendrawtransaction", hex.EncodeToString(tx.Serialize()), wc.opts.AllowHighFee); err != nil {
		return err
	}
	res.TxID = txid
	res.Amount, res.Fee, res.Change = wc.amountJSON(amount), wc.amountJSON(fee), wc.amountJSON(change)
	res.Size = size
	return writeJSON(wc.stdout, res)
}

// feeRate returns the fee rate in base units per 1000 bytes: --feerate,
// else the node's relay fee rate.
func (wc *walletCmd) feeRate() (uint64, error) {
	if wc.opts.FeeRate != "" {
		if wc.opts.Units {
			v, err := strconv.ParseUint(wc.opts.FeeRate, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("feerate %q is not an integer number of base units per kB", wc.opts.FeeRate)
			}
			return v, nil
		}
		if wc.opts.FeeRate == "0" {
			return 0, nil
		}
		v, err := parseCoins(wc.opts.FeeRate)
		if err != nil {
			return 0, fmt.Errorf("feerate: %v", err)
		}
		return v, nil
	}
	var info rpcmodel.GetInfoResult
	if err := wc.call(&info, "getinfo"); err != nil {
		return 0, err
	}
	return toUnits(info.RelayFee), nil
}

// feeFor is the fee at rate base units per 1000 bytes for size bytes,
// rounded up so the node's minimum is always met.
func feeFor(rate uint64, size int) uint64 {
	return (rate*uint64(size) + 999) / 1000
}

func compareDesc(a, b uint64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// show formats an amount in the unit the user chose.
func (wc *walletCmd) show(v uint64) string {
	if wc.opts.Units {
		return strconv.FormatUint(v, 10) + " base units"
	}
	return formatCoins(v) + " coins"
}
