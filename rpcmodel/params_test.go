package rpcmodel

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		params  string
		want    Args
		kind    ErrorKind
		code    RPCErrorCode
		message string
	}{
		{name: "no params", method: "getblockcount", params: ``, want: Args{}},
		{name: "null params", method: "getblockcount", params: `null`, want: Args{}},
		{name: "empty array", method: "getblockcount", params: `[]`, want: Args{}},
		{name: "too many", method: "getblockcount", params: `[1]`,
			kind: ErrParamCount, code: ErrRPCInvalidParams, message: "expected 0, received 1"},
		{name: "object params", method: "getblockhash", params: `{"index":1}`,
			kind: ErrParamsNotArray, code: ErrRPCInvalidParams, message: "JSON array"},
		{name: "bad array", method: "getblockhash", params: `[1,`,
			kind: ErrParamsNotArray, code: ErrRPCInvalidParams},
		{name: "int", method: "getblockhash", params: `[7]`, want: Args{int64(7)}},
		{name: "int as float", method: "getblockhash", params: `[7.0]`, want: Args{int64(7)}},
		{name: "int exponent", method: "getblockhash", params: `[1e2]`, want: Args{int64(100)}},
		{name: "int fraction", method: "getblockhash", params: `[7.5]`,
			kind: ErrParamType, code: ErrRPCInvalidParams, message: "must be of type numeric"},
		{name: "int as string", method: "getblockhash", params: `["7"]`,
			kind: ErrParamType, code: ErrRPCInvalidParams, message: "got string"},
		{name: "negative index", method: "getblockhash", params: `[-1]`,
			kind: ErrParamRange, code: ErrRPCInvalidParameter, message: "must be in 0.."},
		{name: "missing required", method: "getblockhash", params: `[]`,
			kind: ErrParamCount, code: ErrRPCInvalidParams, message: "expected 1, received 0"},
		{name: "defaults", method: "getblock", params: `["aa"]`, want: Args{"aa", int64(1)}},
		{name: "verbosity bool", method: "getblock", params: `["aa", false]`, want: Args{"aa", int64(0)}},
		{name: "verbosity true", method: "getblock", params: `["aa", true]`, want: Args{"aa", int64(1)}},
		{name: "verbosity 2", method: "getblock", params: `["aa", 2]`, want: Args{"aa", int64(2)}},
		{name: "verbosity 3", method: "getblock", params: `["aa", 3]`,
			kind: ErrParamRange, code: ErrRPCInvalidParameter, message: "0..2"},
		{name: "verbosity null", method: "getblock", params: `["aa", null]`, want: Args{"aa", int64(1)}},
		{name: "hash not string", method: "getblock", params: `[5]`,
			kind: ErrParamType, code: ErrRPCInvalidParams, message: "'hash'"},
		{name: "too many optional", method: "getblock", params: `["aa", 1, 2]`,
			kind: ErrParamCount, code: ErrRPCInvalidParams, message: "expected 1 to 2"},
		{name: "bool", method: "getrawmempool", params: `[true]`, want: Args{true}},
		{name: "bool wrong", method: "getrawmempool", params: `[1]`,
			kind: ErrParamType, code: ErrRPCInvalidParams, message: "boolean"},
		{name: "array", method: "createrawtransaction", params: `[[], {}]`,
			want: Args{json.RawMessage(`[]`), json.RawMessage(`{}`), int64(0)}},
		{name: "array wrong", method: "createrawtransaction", params: `[{}, {}]`,
			kind: ErrParamType, code: ErrRPCInvalidParams, message: "json array"},
		{name: "optional no default", method: "help", params: `[]`, want: Args{nil}},
		{name: "long bad value cut", method: "getblockhash",
			params: `[` + strings.Repeat("9", 100) + `]`, kind: ErrParamType, code: ErrRPCInvalidParams},
	}
	for _, test := range tests {
		m, ok := LookupMethod(test.method)
		if !ok {
			t.Fatalf("%s: no method %s", test.name, test.method)
		}
		got, err := m.ParseParams(json.RawMessage(test.params))
		if test.kind != "" {
			if !errors.Is(err, test.kind) {
				t.Errorf("%s: got error %v, want kind %v", test.name, err, test.kind)
				continue
			}
			var pe ParamError
			if !errors.As(err, &pe) {
				t.Errorf("%s: error %T is not a ParamError", test.name, err)
				continue
			}
			if pe.RPCCode() != test.code || pe.ToRPCError().Code != test.code {
				t.Errorf("%s: got code %d, want %d", test.name, pe.RPCCode(), test.code)
			}
			if !strings.Contains(err.Error(), test.message) {
				t.Errorf("%s: message %q does not contain %q", test.name, err, test.message)
			}
			if len(err.Error()) > 400 {
				t.Errorf("%s: message of %d bytes echoes too much", test.name, len(err.Error()))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %v", test.name, err)
			continue
		}
		if len(got) == 0 && len(test.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, test.want) {
			t.Errorf("%s: got %#v, want %#v", test.name, got, test.want)
		}
	}
}

func TestArgsAccessors(t *testing.T) {
	a := Args{"s", int64(3), true, 1.5, json.RawMessage(`[]`), nil}
	if a.String(0) != "s" || a.Int(1) != 3 || !a.Bool(2) || a.Float(3) != 1.5 ||
		string(a.Raw(4)) != "[]" {
		t.Errorf("accessors returned wrong values: %v", a)
	}
	if a.Has(5) || a.Has(9) || !a.Has(0) {
		t.Errorf("Has is wrong")
	}
	// Wrong type and out of bounds give zero values, never a panic.
	if a.String(1) != "" || a.Int(0) != 0 || a.Bool(0) || a.Float(0) != 0 ||
		a.Raw(0) != nil || a.String(10) != "" {
		t.Errorf("accessors on wrong types are not zero")
	}
}

func TestParamsFromStrings(t *testing.T) {
	tests := []struct {
		name   string
		method string
		args   []string
		want   string
		err    bool
	}{
		{name: "none", method: "getblockcount", args: nil, want: `[]`},
		{name: "int", method: "getblockhash", args: []string{"12"}, want: `[12]`},
		{name: "int bad", method: "getblockhash", args: []string{"x"}, err: true},
		{name: "string", method: "getblock", args: []string{"ab", "2"}, want: `["ab",2]`},
		{name: "bool or int", method: "getblock", args: []string{"ab", "false"}, want: `["ab",false]`},
		{name: "bool or int bad", method: "getblock", args: []string{"ab", "maybe"}, err: true},
		{name: "bool", method: "getrawmempool", args: []string{"true"}, want: `[true]`},
		{name: "bool bad", method: "getrawmempool", args: []string{"2x"}, err: true},
		{name: "json", method: "createrawtransaction",
			args: []string{`[{"txid":"aa","vout":0}]`, `{"k":1.5}`},
			want: `[[{"txid":"aa","vout":0}],{"k":1.5}]`},
		{name: "json bad", method: "createrawtransaction", args: []string{`[`, `{}`}, err: true},
		{name: "json wrong kind", method: "createrawtransaction", args: []string{`{}`, `{}`}, err: true},
		{name: "too many", method: "getblockcount", args: []string{"1"}, err: true},
		{name: "too few", method: "getblockhash", args: nil, err: true},
	}
	for _, test := range tests {
		m, _ := LookupMethod(test.method)
		got, err := m.ParamsFromStrings(test.args)
		if test.err {
			if err == nil {
				t.Errorf("%s: no error", test.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: unexpected error %v", test.name, err)
			continue
		}
		b, _ := json.Marshal(got)
		if string(b) != test.want {
			t.Errorf("%s: got %s, want %s", test.name, b, test.want)
		}
		// What soterctl builds, the server must parse.
		if _, err := m.ParseParams(b); err != nil {
			t.Errorf("%s: server refuses client params: %v", test.name, err)
		}
	}
}

// TestMethodTable checks every method has what help and soterctl need.
func TestMethodTable(t *testing.T) {
	seen := make(map[string]bool)
	for _, m := range Methods() {
		if seen[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		seen[m.Name] = true
		if m.Description == "" || m.Result == "" {
			t.Errorf("%s: missing description or result help", m.Name)
		}
		found := false
		for _, c := range Categories() {
			found = found || c == m.Category
		}
		if !found {
			t.Errorf("%s: unknown category %q", m.Name, m.Category)
		}
		optional := false
		for _, p := range m.Params {
			if p.Help == "" {
				t.Errorf("%s: parameter %s has no help", m.Name, p.Name)
			}
			if optional && !p.Optional {
				t.Errorf("%s: required parameter %s after an optional one", m.Name, p.Name)
			}
			optional = optional || p.Optional
			if p.Default != nil {
				raw, _ := json.Marshal(p.Default)
				if v, err := p.parseJSON(raw); err != nil || !reflect.DeepEqual(v, p.Default) {
					t.Errorf("%s: default of %s does not parse to itself", m.Name, p.Name)
				}
			}
		}
		help := m.HelpText()
		if !strings.HasPrefix(help, m.Usage()) {
			t.Errorf("%s: help does not start with usage", m.Name)
		}
	}
	total := 0
	for _, c := range Categories() {
		total += len(MethodsByCategory(c))
	}
	if total != len(Methods()) {
		t.Errorf("categories hold %d methods, table %d", total, len(Methods()))
	}
	if _, ok := LookupMethod("nosuchmethod"); ok {
		t.Errorf("found a method that does not exist")
	}
}

func TestUsage(t *testing.T) {
	m, _ := LookupMethod("getblock")
	if got, want := m.Usage(), `getblock "hash" (verbosity=1)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	m, _ = LookupMethod("help")
	if got, want := m.Usage(), `help ("command")`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRPCError(t *testing.T) {
	err := Errorf(ErrRPCBlockNotFound, "block %s not found", "x")
	if err.Error() != "-5: block x not found" {
		t.Errorf("got %q", err.Error())
	}
	var e error = NewRPCError(ErrRPCMisc, "m")
	var re *RPCError
	if !errors.As(e, &re) || re.Code != -1 {
		t.Errorf("errors.As failed")
	}
}

func TestNewRequest(t *testing.T) {
	req, err := NewRequest(1, "getblock", "aa", 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(req)
	want := `{"jsonrpc":"1.0","method":"getblock","params":["aa",2],"id":1}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	n := NewNotification(NtfnBlockConnected)
	b, _ = json.Marshal(n)
	if string(b) != `{"jsonrpc":"1.0","method":"blockconnected","params":[],"id":null}` {
		t.Errorf("got %s", b)
	}
}

// FuzzParseParams feeds arbitrary params to every method: parsing must never
// panic, and whatever parses must parse again to the same values after a
// round trip through JSON.
func FuzzParseParams(f *testing.F) {
	f.Add("getblock", `["00", 2]`)
	f.Add("createrawtransaction", `[[{"txid":"aa","vout":1}], {"k": 1}, 5]`)
	f.Add("getblockhash", `[1e400]`)
	f.Add("gettxout", `["x", -0, null]`)
	f.Fuzz(func(t *testing.T, method, params string) {
		m, ok := LookupMethod(method)
		if !ok {
			m, _ = LookupMethod("getblock")
		}
		args, err := m.ParseParams(json.RawMessage(params))
		if err != nil {
			var pe ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a ParamError", err)
			}
			return
		}
		raw, err := json.Marshal(args)
		if err != nil {
			t.Fatalf("marshal parsed args: %v", err)
		}
		again, err := m.ParseParams(raw)
		if err != nil {
			t.Fatalf("parsed args %s do not parse again: %v", raw, err)
		}
		for i := range args {
			if args[i] == nil {
				continue
			}
			if r, ok := args[i].(json.RawMessage); ok {
				if !json.Valid(r) || !json.Valid(again.Raw(i)) {
					t.Fatalf("raw param %d invalid", i)
				}
				continue
			}
			if !reflect.DeepEqual(args[i], again[i]) {
				t.Fatalf("param %d: %#v then %#v", i, args[i], again[i])
			}
		}
	})
}

// TestVariadic checks a variadic parameter: one or more values, at most
// MaxVariadic, each of its type, from JSON and from command-line strings.
func TestVariadic(t *testing.T) {
	m, ok := LookupMethod("listunspent")
	if !ok {
		t.Fatal("no listunspent")
	}
	if got, want := m.Usage(), `listunspent "address" ...`; got != want {
		t.Errorf("usage: got %q, want %q", got, want)
	}
	many := make([]string, MaxVariadic+1)
	for i := range many {
		many[i] = `"a"`
	}
	tests := []struct {
		name string
		raw  string
		want []string
		kind ErrorKind
	}{
		{"one", `["a"]`, []string{"a"}, ""},
		{"three", `["a","b","c"]`, []string{"a", "b", "c"}, ""},
		{"none", `[]`, nil, ErrParamCount},
		{"wrong type", `["a",1]`, nil, ErrParamType},
		{"too many", "[" + strings.Join(many, ",") + "]", nil, ErrParamCount},
	}
	for _, test := range tests {
		args, err := m.ParseParams(json.RawMessage(test.raw))
		if test.kind != "" {
			if !errors.Is(err, test.kind) {
				t.Errorf("%s: got %v, want %v", test.name, err, test.kind)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(args.Strings(0), test.want) {
			t.Errorf("%s: got %v, %v; want %v", test.name, args.Strings(0), err, test.want)
		}
	}
	raws, err := m.ParamsFromStrings([]string{"x", "y"})
	if err != nil || len(raws) != 2 || string(raws[1]) != `"y"` {
		t.Errorf("from strings: got %s, %v", raws, err)
	}
	stop, _ := LookupMethod("stopnotifyutxos")
	if args, err := stop.ParseParams(nil); err != nil || args.Strings(0) != nil {
		t.Errorf("optional variadic with nothing: got %v, %v", args, err)
	}
}
