package blockdag

// Err returns the failure after which the DAG refuses every block: a store
// write that failed, or an internal error after which memory and store may
// disagree. Its message says to restart the node; nil while the DAG works.
// It is safe for concurrent access.
func (d *BlockDAG) Err() error {
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	return d.fatalErr
}
