package rpcserver

import (
	"encoding/json"
	"testing"

	"github.com/soterdag/soterd/rpcmodel"
)

// FuzzProcessBody feeds arbitrary request bodies to the dispatcher, as the
// admin: it must never panic (handlers' panics are recovered, but parsing
// must not need that), and must always answer a JSON object, or an array
// for a batch.
func FuzzProcessBody(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"1.0","id":1,"method":"getblock","params":["00",2]}`))
	f.Add([]byte(`[{"id":1,"method":"getblockcount"},{"id":2,"method":"getdagcoloring","params":[0,5]}]`))
	f.Add([]byte(`{"id":1,"method":"createrawtransaction","params":[[{"txid":"00","vout":1}],{"ab":1}]}`))
	f.Add([]byte(`{"id":{"a":[1]},"method":"decoderawtransaction","params":["0100000000"]}`))
	f.Add([]byte(`{"id":1,"method":"renderdag","params":[3]}`))
	f.Add([]byte(`[1,[],{}]`))
	ts := newTestServer(f, nil)
	cl := &clientInfo{isAdmin: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		reply := ts.processBody(body, cl)
		if !json.Valid(reply) {
			t.Fatalf("reply is not JSON: %s", reply)
		}
		var one rpcmodel.Response
		if json.Unmarshal(reply, &one) == nil {
			if one.Error != nil && one.Error.Code == rpcmodel.ErrRPCInternal {
				t.Fatalf("internal error for %q: %v", body, one.Error)
			}
			return
		}
		var many []rpcmodel.Response
		if err := json.Unmarshal(reply, &many); err != nil {
			t.Fatalf("reply is neither a response nor a batch: %s", reply)
		}
		for _, r := range many {
			if r.Error != nil && r.Error.Code == rpcmodel.ErrRPCInternal {
				t.Fatalf("internal error for %q: %v", body, r.Error)
			}
		}
	})
}
