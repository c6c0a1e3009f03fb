package rpcmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParamType is the JSON type a parameter must have.
type ParamType int

// The parameter types the method table uses. Each parses to one Go type in
// Args: TypeString to string, TypeInt to int64, TypeBool to bool,
// TypeBoolOrInt to int64 (false is 0, true is 1), TypeFloat to float64, and
// TypeObject and TypeArray to json.RawMessage.
const (
	TypeString ParamType = iota
	TypeInt
	TypeBool
	TypeBoolOrInt
	TypeFloat
	TypeObject
	TypeArray
)

// String returns the type's name as help texts show it.
func (t ParamType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "numeric"
	case TypeBool:
		return "boolean"
	case TypeBoolOrInt:
		return "boolean or numeric"
	case TypeFloat:
		return "numeric"
	case TypeObject:
		return "json object"
	case TypeArray:
		return "json array"
	}
	return "unknown"
}

// Param describes one positional parameter of a method.
type Param struct {
	// Name is the parameter's name in help texts and error messages.
	Name string

	// Type is the JSON type the value must have.
	Type ParamType

	// Optional parameters may be left out; trailing ones only, as
	// parameters are positional.
	Optional bool

	// Default is the value an omitted optional parameter takes, of the Go
	// type Type parses to; nil means "not given" (Args.Has reports false).
	Default interface{}

	// Min and Max bound TypeInt and TypeBoolOrInt values when HasRange is
	// set; a value outside is ErrParamRange (btcd code -8).
	HasRange bool
	Min, Max int64

	// Help describes the parameter.
	Help string

	// Variadic marks the last parameter as taking one or more values,
	// at most MaxVariadic, all of its Type; Args.Strings returns them.
	// Only TypeString parameters may be variadic.
	Variadic bool
}

// MaxVariadic bounds the values of a variadic parameter, so one request's
// work stays bounded (getbalance and listunspent take addresses).
const MaxVariadic = 1000

// variadic reports whether the method's last parameter is variadic.
func (m *Method) variadic() bool {
	return len(m.Params) > 0 && m.Params[len(m.Params)-1].Variadic
}

// countOK reports whether n parameters fit the method's list.
func (m *Method) countOK(n int) bool {
	if n < m.requiredCount() {
		return false
	}
	if m.variadic() {
		return n <= len(m.Params)-1+MaxVariadic
	}
	return n <= len(m.Params)
}

// Args holds a request's parameters parsed against the method table, one
// entry per declared parameter, defaults filled in. An omitted optional
// parameter without a default is nil.
type Args []interface{}

// Has reports whether parameter i was given or has a default.
func (a Args) Has(i int) bool {
	return i < len(a) && a[i] != nil
}

// String returns parameter i as a string, or "" if it is absent.
func (a Args) String(i int) string {
	if i < len(a) {
		if v, ok := a[i].(string); ok {
			return v
		}
	}
	return ""
}

// Int returns parameter i as an integer, or 0 if it is absent.
func (a Args) Int(i int) int64 {
	if i < len(a) {
		if v, ok := a[i].(int64); ok {
			return v
		}
	}
	return 0
}

// Bool returns parameter i as a bool, or false if it is absent.
func (a Args) Bool(i int) bool {
	if i < len(a) {
		if v, ok := a[i].(bool); ok {
			return v
		}
	}
	return false
}

// Float returns parameter i as a float, or 0 if it is absent.
func (a Args) Float(i int) float64 {
	if i < len(a) {
		if v, ok := a[i].(float64); ok {
			return v
		}
	}
	return 0
}

// Strings returns the values of variadic parameter i, or nil if absent.
func (a Args) Strings(i int) []string {
	if i < len(a) {
		if v, ok := a[i].([]string); ok {
			return v
		}
	}
	return nil
}

// Raw returns parameter i as raw JSON, or nil if it is absent.
func (a Args) Raw(i int) json.RawMessage {
	if i < len(a) {
		if v, ok := a[i].(json.RawMessage); ok {
			return v
		}
	}
	return nil
}

// requiredCount returns how many leading parameters are required.
func (m *Method) requiredCount() int {
	n := 0
	for _, p := range m.Params {
		if !p.Optional {
			n++
		}
	}
	return n
}

// countError returns the ErrParamCount error for n received parameters.
func (m *Method) countError(n int) error {
	req, max := m.requiredCount(), len(m.Params)
	if m.variadic() {
		return paramError(ErrParamCount, "wrong number of params for %s "+
			"(expected %d to %d, received %d); usage: %s", m.Name, req,
			max-1+MaxVariadic, n, m.Usage())
	}
	if req == max {
		return paramError(ErrParamCount, "wrong number of params for %s "+
			"(expected %d, received %d); usage: %s", m.Name, max, n, m.Usage())
	}
	return paramError(ErrParamCount, "wrong number of params for %s "+
		"(expected %d to %d, received %d); usage: %s", m.Name, req, max, n, m.Usage())
}

// ParseParams checks a request's params member against the method's
// parameter list and returns the parsed values. An absent or null params is
// an empty list. Errors are ParamErrors; their RPCCode gives btcd's code.
func (m *Method) ParseParams(raw json.RawMessage) (Args, error) {
	var list []json.RawMessage
	if !IsNull(raw) {
		t := bytes.TrimSpace(raw)
		if t[0] != '[' {
			return nil, paramError(ErrParamsNotArray,
				"params for %s must be a JSON array", m.Name)
		}
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, paramError(ErrParamsNotArray,
				"params for %s are not a valid JSON array: %v", m.Name, err)
		}
	}
	if !m.countOK(len(list)) {
		return nil, m.countError(len(list))
	}
	args := make(Args, len(m.Params))
	for i := range m.Params {
		p := &m.Params[i]
		if p.Variadic && i < len(list) {
			vals := make([]string, 0, len(list)-i)
			for j := i; j < len(list); j++ {
				v, err := p.parseJSON(list[j])
				if err != nil {
					return nil, paramError(err.(ErrorKind), "parameter #%d '%s' of %s %s",
						j+1, p.Name, m.Name, p.describeError(err.(ErrorKind), list[j]))
				}
				s, _ := v.(string)
				vals = append(vals, s)
			}
			args[i] = vals
			break
		}
		if i >= len(list) || (p.Optional && IsNull(list[i])) {
			args[i] = p.Default
			continue
		}
		v, err := p.parseJSON(list[i])
		if err != nil {
			return nil, paramError(err.(ErrorKind), "parameter #%d '%s' of %s %s",
				i+1, p.Name, m.Name, p.describeError(err.(ErrorKind), list[i]))
		}
		args[i] = v
	}
	return args, nil
}

// describeError says what was wrong with a value, for error messages.
func (p *Param) describeError(kind ErrorKind, raw json.RawMessage) string {
	if kind == ErrParamRange {
		return fmt.Sprintf("must be in %d..%d, got %s", p.Min, p.Max, shorten(raw))
	}
	return fmt.Sprintf("must be of type %s, got %s", p.Type, jsonKind(raw))
}

// shorten returns raw JSON cut to a length fit for an error message, so a
// huge bad value is not echoed back whole.
func shorten(raw json.RawMessage) string {
	const maxShown = 40
	s := string(bytes.TrimSpace(raw))
	if len(s) > maxShown {
		return s[:maxShown] + "..."
	}
	return s
}

// jsonKind names the JSON type of a raw value.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number " + shorten(raw)
}

// parseJSON converts one raw JSON value to the parameter's Go type. The
// error is an ErrorKind.
func (p *Param) parseJSON(raw json.RawMessage) (interface{}, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return nil, ErrParamType
	}
	switch p.Type {
	case TypeString:
		if t[0] != '"' {
			return nil, ErrParamType
		}
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, ErrParamType
		}
		return s, nil

	case TypeBool:
		var b bool
		if err := json.Unmarshal(t, &b); err != nil {
			return nil, ErrParamType
		}
		return b, nil

	case TypeInt, TypeBoolOrInt:
		if p.Type == TypeBoolOrInt && (t[0] == 't' || t[0] == 'f') {
			var b bool
			if err := json.Unmarshal(t, &b); err != nil {
				return nil, ErrParamType
			}
			if b {
				return p.checkRange(1)
			}
			return p.checkRange(0)
		}
		n, ok := parseJSONInt(t)
		if !ok {
			return nil, ErrParamType
		}
		return p.checkRange(n)

	case TypeFloat:
		if t[0] == '"' || t[0] == '{' || t[0] == '[' || t[0] == 't' ||
			t[0] == 'f' || t[0] == 'n' {
			return nil, ErrParamType
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, ErrParamType
		}
		return f, nil

	case TypeObject, TypeArray:
		open := byte('{')
		if p.Type == TypeArray {
			open = '['
		}
		if t[0] != open || !json.Valid(t) {
			return nil, ErrParamType
		}
		return json.RawMessage(append([]byte(nil), t...)), nil
	}
	return nil, ErrParamType
}

// parseJSONInt parses a JSON number that is an integer. A number with a
// zero fraction or an exponent ("5.0", "1e3") is accepted when it is exactly
// an int64, as JavaScript clients send such numbers.
func parseJSONInt(t []byte) (int64, bool) {
	if len(t) == 0 || !(t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) {
		return 0, false
	}
	if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
		return n, true
	}
	if !json.Valid(t) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// checkRange returns n, or ErrParamRange when the parameter has a range and
// n is outside it.
func (p *Param) checkRange(n int64) (interface{}, error) {
	if p.HasRange && (n < p.Min || n > p.Max) {
		return nil, ErrParamRange
	}
	return n, nil
}

// ParamsFromStrings converts command-line arguments to JSON parameters by
// the method's parameter types, the way soterctl does: a string parameter is
// taken as is, numbers and booleans are parsed, and JSON objects and arrays
// must be valid JSON. Ranges are left to the server so its message is the
// one the user sees.
func (m *Method) ParamsFromStrings(args []string) ([]json.RawMessage, error) {
	if !m.countOK(len(args)) {
		return nil, m.countError(len(args))
	}
	out := make([]json.RawMessage, len(args))
	for i, s := range args {
		p := &m.Params[min(i, len(m.Params)-1)]
		raw, err := p.fromString(s)
		if err != nil {
			return nil, paramError(ErrParamType, "parameter #%d '%s' of %s "+
				"must be of type %s: %q does not parse", i+1, p.Name, m.Name, p.Type, shortenString(s))
		}
		out[i] = raw
	}
	return out, nil
}

// shortenString cuts a command-line value for an error message.
func shortenString(s string) string {
	const maxShown = 40
	if len(s) > maxShown {
		return s[:maxShown] + "..."
	}
	return s
}

// fromString converts one command-line argument to JSON.
func (p *Param) fromString(s string) (json.RawMessage, error) {
	switch p.Type {
	case TypeString:
		return json.Marshal(s)
	case TypeInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(strconv.FormatInt(n, 10)), nil
	case TypeBool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		return json.RawMessage(strconv.FormatBool(b)), nil
	case TypeBoolOrInt:
		s = strings.TrimSpace(s)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return json.RawMessage(strconv.FormatInt(n, 10)), nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(strconv.FormatBool(b)), nil
	case TypeFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("not a finite number")
		}
		return json.RawMessage(strconv.FormatFloat(f, 'f', -1, 64)), nil
	case TypeObject, TypeArray:
		raw := json.RawMessage(strings.TrimSpace(s))
		if _, err := p.parseJSON(raw); err != nil {
			return nil, err
		}
		return raw, nil
	}
	return nil, fmt.Errorf("unknown parameter type")
}
