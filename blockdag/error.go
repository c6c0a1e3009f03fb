package blockdag

// ErrorKind identifies a kind of consensus or processing error. It satisfies
// the error interface so callers can test for a kind with errors.Is.
type ErrorKind string

// These constants identify the rules a block or transaction can break. Each
// is its own name, so logs and RPC errors show which rule failed.
const (
	// ErrDuplicateBlock: the block is already in the DAG or the orphan pool.
	ErrDuplicateBlock = ErrorKind("ErrDuplicateBlock")

	// ErrKnownInvalid: the block, or one of its ancestors, failed
	// validation before.
	ErrKnownInvalid = ErrorKind("ErrKnownInvalid")

	// ErrBlockTooBig: the serialized block exceeds MaxBlockSize.
	ErrBlockTooBig = ErrorKind("ErrBlockTooBig")

	// ErrBlockVersion: the block version is not one this node accepts.
	ErrBlockVersion = ErrorKind("ErrBlockVersion")

	// ErrTimeTooNew: the block timestamp is too far in the future.
	ErrTimeTooNew = ErrorKind("ErrTimeTooNew")

	// ErrTimeTooOld: the block timestamp is not above its past median time.
	ErrTimeTooOld = ErrorKind("ErrTimeTooOld")

	// ErrUnexpectedDifficulty: bits do not equal the required difficulty,
	// or are outside the network's proof-of-work limit.
	ErrUnexpectedDifficulty = ErrorKind("ErrUnexpectedDifficulty")

	// ErrHighHash: the block hash is above the target its bits claim.
	ErrHighHash = ErrorKind("ErrHighHash")

	// ErrBadMerkleRoot: the merkle root does not commit to the txs.
	ErrBadMerkleRoot = ErrorKind("ErrBadMerkleRoot")

	// ErrNoParents: a non-genesis block has no parents.
	ErrNoParents = ErrorKind("ErrNoParents")

	// ErrTooManyParents: more parents than MaxParents.
	ErrTooManyParents = ErrorKind("ErrTooManyParents")

	// ErrParentsNotSorted: parents are not strictly ascending (which also
	// catches duplicates).
	ErrParentsNotSorted = ErrorKind("ErrParentsNotSorted")

	// ErrInvalidParent: a parent is known to be invalid.
	ErrInvalidParent = ErrorKind("ErrInvalidParent")

	// ErrParentIsAncestor: one parent is an ancestor of another, so the
	// block names a redundant parent.
	ErrParentIsAncestor = ErrorKind("ErrParentIsAncestor")

	// ErrMergeDepth: the block merges a block whose selected chain does
	// not hold the block's merge depth root (mergedepth.go).
	ErrMergeDepth = ErrorKind("ErrMergeDepth")

	// ErrBelowFinality: a block template or proposal whose selected
	// chain forks below the finality point; such a block could never
	// extend the virtual's chain.
	ErrBelowFinality = ErrorKind("ErrBelowFinality")

	// ErrMergeSetTooBig: the block's mergeset exceeds MergeSetSizeLimit.
	ErrMergeSetTooBig = ErrorKind("ErrMergeSetTooBig")

	// ErrNoTransactions: the block has no coinbase.
	ErrNoTransactions = ErrorKind("ErrNoTransactions")

	// ErrFirstTxNotCoinbase: the first transaction is not a coinbase.
	ErrFirstTxNotCoinbase = ErrorKind("ErrFirstTxNotCoinbase")

	// ErrMultipleCoinbases: a transaction other than the first has the
	// coinbase shape.
	ErrMultipleCoinbases = ErrorKind("ErrMultipleCoinbases")

	// ErrBadCoinbasePayload: the coinbase payload is too short, too long
	// or does not start with the block's blue score.
	ErrBadCoinbasePayload = ErrorKind("ErrBadCoinbasePayload")

	// ErrBadCoinbaseValue: the coinbase pays more than the subsidy.
	ErrBadCoinbaseValue = ErrorKind("ErrBadCoinbaseValue")

	// ErrDuplicateTx: two transactions of the block share a txid.
	ErrDuplicateTx = ErrorKind("ErrDuplicateTx")

	// ErrDoubleSpendInBlock: two transactions of the block spend the same
	// output.
	ErrDoubleSpendInBlock = ErrorKind("ErrDoubleSpendInBlock")

	// ErrBadTxVersion: the transaction version is not one this node
	// accepts.
	ErrBadTxVersion = ErrorKind("ErrBadTxVersion")

	// ErrNoTxInputs: a non-coinbase transaction has no inputs.
	ErrNoTxInputs = ErrorKind("ErrNoTxInputs")

	// ErrNoTxOutputs: a transaction has no outputs.
	ErrNoTxOutputs = ErrorKind("ErrNoTxOutputs")

	// ErrTxTooBig: the transaction exceeds the block size limit.
	ErrTxTooBig = ErrorKind("ErrTxTooBig")

	// ErrBadTxOutValue: an output value is zero, or the values overflow or
	// exceed the maximum supply.
	ErrBadTxOutValue = ErrorKind("ErrBadTxOutValue")

	// ErrDuplicateTxInputs: a transaction spends one output twice.
	ErrDuplicateTxInputs = ErrorKind("ErrDuplicateTxInputs")

	// ErrTxPayload: a non-coinbase transaction carries a payload.
	ErrTxPayload = ErrorKind("ErrTxPayload")

	// ErrMissingTxOut: an input spends an output that does not exist, or is
	// already spent, in the UTXO state it is checked against.
	ErrMissingTxOut = ErrorKind("ErrMissingTxOut")

	// ErrSpendTooHigh: outputs are worth more than inputs.
	ErrSpendTooHigh = ErrorKind("ErrSpendTooHigh")

	// ErrImmatureSpend: an input spends a coinbase output before
	// CoinbaseMaturity.
	ErrImmatureSpend = ErrorKind("ErrImmatureSpend")

	// ErrUnfinalizedTx: the transaction's lock time is not yet reached.
	ErrUnfinalizedTx = ErrorKind("ErrUnfinalizedTx")

	// ErrBadSignature: a signature or public key does not verify.
	ErrBadSignature = ErrorKind("ErrBadSignature")

	// ErrOutputExists: a transaction creates an output that already exists
	// unspent in the UTXO state it is checked against (a repeated
	// coinbase).
	ErrOutputExists = ErrorKind("ErrOutputExists")

	// ErrOrphanLimit: the orphan could not be kept (too big for the pool).
	ErrOrphanLimit = ErrorKind("ErrOrphanLimit")

	// ErrBlockNotFound: a lookup named a block the DAG does not have.
	ErrBlockNotFound = ErrorKind("ErrBlockNotFound")

	// ErrBlockPruned: a lookup named a block whose body this pruned node
	// has deleted; the block is in the DAG, its body is not.
	ErrBlockPruned = ErrorKind("ErrBlockPruned")

	// ErrNoUTXOIndex: a lookup by address needs the UTXO index, which is
	// off (Config.UTXOIndex).
	ErrNoUTXOIndex = ErrorKind("ErrNoUTXOIndex")

	// ErrCorruptState: the stored DAG state is inconsistent. This is our
	// bug or a damaged disk, never a peer's doing.
	ErrCorruptState = ErrorKind("ErrCorruptState")
)

// Error satisfies the error interface and prints human-readable errors.
func (e ErrorKind) Error() string {
	return string(e)
}

// RuleError identifies a rule violation. Err is the ErrorKind; Description
// says what was wrong. Callers use errors.Is(err, ErrX) to tell kinds apart
// and errors.As(err, &RuleError{}) to tell a rule violation from an I/O or
// internal failure: only rule violations are the sender's fault.
type RuleError struct {
	Err         error
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

// Unwrap returns the underlying wrapped error kind.
func (e RuleError) Unwrap() error {
	return e.Err
}

// ruleError creates a RuleError of the given kind.
func ruleError(kind ErrorKind, desc string) RuleError {
	return RuleError{Err: kind, Description: desc}
}
