package blockdag

import "time"

// Stage is a part of a block's processing, for Config.StageObserver.
type Stage int

// The stages a block's processing time is split into.
const (
	// StageValidation is the rule checks other than UTXO and signatures:
	// stage one (context-free) and stage two (against the DAG).
	StageValidation Stage = iota

	// StageGHOSTDAG is the block's and the virtual's GHOSTDAG data, the
	// reachability index and the choice of the virtual's parents.
	StageGHOSTDAG

	// StageUTXO is the UTXO state of the block's past, its transactions
	// and signatures, and the virtual's move.
	StageUTXO

	// StageStore is building and writing the block's batch.
	StageStore

	numStages
)

// String returns the stage's label.
func (s Stage) String() string {
	switch s {
	case StageValidation:
		return "validation"
	case StageGHOSTDAG:
		return "ghostdag"
	case StageUTXO:
		return "utxo"
	case StageStore:
		return "store"
	}
	return "unknown"
}

// Stages lists every stage, in processing order.
func Stages() []Stage {
	return []Stage{StageValidation, StageGHOSTDAG, StageUTXO, StageStore}
}

// StageTimes holds one block's time in each stage, indexed by Stage.
type StageTimes [numStages]time.Duration

// StageObserver is told how long each stage of a block's processing took,
// once per block that joined the DAG (accepted, or kept pending below
// finality). It is called with the DAG's process lock held, so it must not
// block or call the DAG.
type StageObserver interface {
	BlockStages(took *StageTimes)
}

// stageClock splits one block's processing time into stages. Off, it
// measures nothing, so a DAG without an observer pays a flag test.
type stageClock struct {
	on   bool
	last time.Time
	took StageTimes
}

// start begins a block's measurement, charging sanity (the context-free
// checks, made before the lock) to StageValidation.
func (c *stageClock) start(on bool, sanity time.Duration) {
	c.on = on
	if on {
		c.took = StageTimes{StageValidation: sanity}
		c.last = time.Now()
	}
}

// lap charges the time since the last lap to stage s.
func (c *stageClock) lap(s Stage) {
	if !c.on {
		return
	}
	now := time.Now()
	c.took[s] += now.Sub(c.last)
	c.last = now
}
