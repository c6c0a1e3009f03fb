package rpcserver

import (
	"encoding/json"
	"errors"
	"reflect"
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
	f.Add([]byte(`{"id":1,"method":"getblocktemplate","params":[{"mode":"proposal","data":"01"}]}`))
	f.Add([]byte(`{"id":1,"method":"getblocktemplate","params":[{"longpollid":"0000000000000001-1"}]}`))
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

// FuzzParseLongPollID checks that the longpollid parser never panics and
// accepts only canonical ids: parse, print, parse gives the same id and
// the same text.
func FuzzParseLongPollID(f *testing.F) {
	f.Add("0123456789abcdef-1")
	f.Add("00000000000000ff-18446744073709551615")
	f.Add("0123456789ABCDEF-01")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseLongPollID(s)
		if err != nil {
			return
		}
		text := id.String()
		if text != s {
			t.Fatalf("%q parses to %+v, which prints as %q", s, id, text)
		}
		again, err := parseLongPollID(text)
		if err != nil || again != id {
			t.Fatalf("%q: round trip gives %+v, %v", text, again, err)
		}
	})
}

// FuzzParseTemplateRequest checks that getblocktemplate's request decoder
// never panics, answers every refusal with an RPC error, and that a
// request it accepts survives encode and decode unchanged.
func FuzzParseTemplateRequest(f *testing.F) {
	f.Add([]byte(`{"mode":"template","capabilities":["longpoll","coinbasetxn"]}`))
	f.Add([]byte(`{"mode":"proposal","data":"0100"}`))
	f.Add([]byte(`{"longpollid":"0123456789abcdef-3","rules":["segwit"]}`))
	f.Add([]byte(`{"miningaddr":"79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"}`))
	f.Add([]byte(`{"mode":7}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		req, err := parseTemplateRequest(raw, "soterreg")
		if err != nil {
			var re *rpcmodel.RPCError
			if !errors.As(err, &re) {
				t.Fatalf("%q: error %v is not an RPC error", raw, err)
			}
			return
		}
		enc, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("%+v does not encode: %v", req, err)
		}
		again, err := parseTemplateRequest(enc, "soterreg")
		if err != nil {
			t.Fatalf("%s: re-decode failed: %v", enc, err)
		}
		if !reflect.DeepEqual(normalizeRequest(req), normalizeRequest(again)) {
			t.Fatalf("round trip: %+v, then %+v", req, again)
		}
	})
}

// normalizeRequest treats an empty and a nil capability list alike, as
// the encoding does.
func normalizeRequest(r *rpcmodel.TemplateRequest) rpcmodel.TemplateRequest {
	c := *r
	if len(c.Capabilities) == 0 {
		c.Capabilities = nil
	}
	return c
}
