package mempool

import (
	"errors"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// ErrorKind identifies a kind of pool policy error. It satisfies the error
// interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify why the pool refused a transaction. Consensus
// failures are not here: they keep their blockdag.ErrorKind, wrapped in a
// RuleError.
const (
	// ErrDuplicate: the transaction is already in the pool, in the orphan
	// pool, or (as far as the UTXO set shows) in the DAG.
	ErrDuplicate = ErrorKind("ErrDuplicate")

	// ErrCoinbase: a coinbase is only valid inside its block.
	ErrCoinbase = ErrorKind("ErrCoinbase")

	// ErrTxTooLarge: the transaction is larger than the pool's maximum
	// transaction size.
	ErrTxTooLarge = ErrorKind("ErrTxTooLarge")

	// ErrDust: an output pays less than the dust limit.
	ErrDust = ErrorKind("ErrDust")

	// ErrDoubleSpend: an input spends an output that a transaction in the
	// pool already spends.
	ErrDoubleSpend = ErrorKind("ErrDoubleSpend")

	// ErrInsufficientFee: the fee rate is below the minimum relay fee rate.
	ErrInsufficientFee = ErrorKind("ErrInsufficientFee")

	// ErrPoolFull: the pool is at its byte limit and holds nothing of a
	// lower fee rate to evict for this transaction.
	ErrPoolFull = ErrorKind("ErrPoolFull")

	// ErrMissingInputs: an input spends an output that neither the UTXO
	// set nor the pool has, and the caller did not allow orphans.
	ErrMissingInputs = ErrorKind("ErrMissingInputs")

	// ErrOrphanPolicy: the transaction is an orphan the orphan pool will
	// not keep (too large, or orphans are turned off).
	ErrOrphanPolicy = ErrorKind("ErrOrphanPolicy")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// RuleError says why the pool refused a transaction. Err is either a
// mempool ErrorKind (a policy rule) or a blockdag.RuleError (a consensus
// rule), so errors.Is works with the kinds of both packages. Every
// RuleError is the sender's doing; any other error from the pool is ours.
type RuleError struct {
	Err         error
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

// Unwrap returns the underlying policy kind or consensus error.
func (e RuleError) Unwrap() error {
	return e.Err
}

// ruleError creates a RuleError of the given kind.
func ruleError(kind ErrorKind, desc string) RuleError {
	return RuleError{Err: kind, Description: desc}
}

// dagRuleError wraps a consensus error from package blockdag, keeping its
// description and naming the transaction.
func dagRuleError(txID wire.Hash, err error) error {
	var re blockdag.RuleError
	if errors.As(err, &re) {
		return RuleError{Err: re, Description: "transaction " + txID.String() + ": " + re.Description}
	}
	return err
}

// RejectCode returns the reject message code and reason that tell a peer why
// its transaction was refused. Consensus violations are RejectInvalid except
// a lock time not yet reached, which like Bitcoin's non-final transactions
// is RejectNonstandard; errors that are not a RuleError are RejectInvalid
// too. The reason is the error text cut to the wire's limit.
func RejectCode(err error) (wire.RejectCode, string) {
	reason := err.Error()
	if len(reason) > wire.MaxRejectReasonLen {
		reason = reason[:wire.MaxRejectReasonLen]
	}
	var kind ErrorKind
	if errors.As(err, &kind) {
		switch kind {
		case ErrDuplicate, ErrDoubleSpend, ErrMissingInputs:
			return wire.RejectDuplicate, reason
		case ErrInsufficientFee, ErrPoolFull:
			return wire.RejectInsufficientFee, reason
		case ErrDust:
			return wire.RejectDust, reason
		case ErrTxTooLarge, ErrOrphanPolicy:
			return wire.RejectNonstandard, reason
		case ErrCoinbase:
			return wire.RejectInvalid, reason
		}
	}
	if errors.Is(err, blockdag.ErrUnfinalizedTx) {
		return wire.RejectNonstandard, reason
	}
	return wire.RejectInvalid, reason
}
