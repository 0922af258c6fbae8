package protocol

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Helpers of the tables ported from ASP.NET Core's protocol tests
// (dotnet/aspnetcore, src/SignalR/common/SignalR.Common/test/Internal/): the
// inputs, messages, bytes and texts are theirs; the code is not.

// testHeaders are the tests' TestHeaders. Their dictionary keeps insertion
// order, which is sorted, as hubgen writes headers.
var testHeaders = map[string]string{
	"Foo":                   "Bar",
	"KeyWith\nNew\r\nLines": "Still Works",
	"ValueWithNewLines":     "Also\nWorks\r\nFine",
}

// customDate is CustomObject's DateTimeProp.
var customDate = time.Date(2017, 4, 11, 0, 0, 0, 0, time.UTC)

// The tests' CustomObject, in the shapes their JSON options write: camelCase
// or PascalCase names, the null property written or left out. MessagePack
// writes the PascalCase one with its null.
type customCamel struct {
	StringProp   string    `json:"stringProp"`
	DoubleProp   float64   `json:"doubleProp"`
	IntProp      int       `json:"intProp"`
	DateTimeProp time.Time `json:"dateTimeProp"`
	NullProp     any       `json:"nullProp"`
	ByteArrProp  []byte    `json:"byteArrProp"`
}

type customCamelNoNull struct {
	StringProp   string    `json:"stringProp"`
	DoubleProp   float64   `json:"doubleProp"`
	IntProp      int       `json:"intProp"`
	DateTimeProp time.Time `json:"dateTimeProp"`
	NullProp     any       `json:"nullProp,omitempty"`
	ByteArrProp  []byte    `json:"byteArrProp"`
}

type customPascal struct {
	StringProp   string
	DoubleProp   float64
	IntProp      int
	DateTimeProp time.Time
	NullProp     any
	ByteArrProp  []byte
}

type customPascalNoNull struct {
	StringProp   string
	DoubleProp   float64
	IntProp      int
	DateTimeProp time.Time
	NullProp     any `json:",omitempty"`
	ByteArrProp  []byte
}

var (
	camel        = customCamel{"SignalR!", 6.2831853071, 42, customDate, nil, []byte{1, 2, 3}}
	camelNoNull  = customCamelNoNull{"SignalR!", 6.2831853071, 42, customDate, nil, []byte{1, 2, 3}}
	pascal       = customPascal{"SignalR!", 6.2831853071, 42, customDate, nil, []byte{1, 2, 3}}
	pascalNoNull = customPascalNoNull{"SignalR!", 6.2831853071, 42, customDate, nil, []byte{1, 2, 3}}
)

// testEnum is the tests' TestEnum: MessagePack writes its members' names.
type testEnum int

func (e testEnum) MarshalText() ([]byte, error) {
	switch e {
	case 0:
		return []byte("Zero"), nil
	case 1:
		return []byte("One"), nil
	}
	return nil, fmt.Errorf("no TestEnum %d", int(e))
}

func (e *testEnum) UnmarshalText(b []byte) error {
	switch string(b) {
	case "Zero":
		*e = 0
	case "One":
		*e = 1
	default:
		return fmt.Errorf("no TestEnum %q", b)
	}
	return nil
}

// withHeaders is m with the tests' headers.
func withHeaders(m Message) Message {
	m.Headers = testHeaders
	return m
}

// sameParsed reports how a parsed message differs from the one a vector
// describes: its envelope, and its payloads decoded into the Go types of the
// vector's values, which stand for the types ASP.NET Core's test binder
// gives.
func sameParsed(p Protocol, got, want Message) error {
	if got.Type != want.Type || got.InvocationID != want.InvocationID || got.Target != want.Target ||
		got.Error != want.Error || got.AllowReconnect != want.AllowReconnect || got.SequenceID != want.SequenceID ||
		got.HasResult != want.HasResult || got.ArgumentsError != nil {
		return fmt.Errorf("envelope %+v", got)
	}
	if len(got.StreamIDs) != len(want.StreamIDs) || len(got.StreamIDs) > 0 && !reflect.DeepEqual(got.StreamIDs, want.StreamIDs) {
		return fmt.Errorf("stream ids %q, want %q", got.StreamIDs, want.StreamIDs)
	}
	if len(got.Headers) != len(want.Headers) || len(got.Headers) > 0 && !reflect.DeepEqual(got.Headers, want.Headers) {
		return fmt.Errorf("headers %q, want %q", got.Headers, want.Headers)
	}
	if len(got.RawArguments) != len(want.Arguments) {
		return fmt.Errorf("%d arguments, want %d", len(got.RawArguments), len(want.Arguments))
	}
	for i, a := range want.Arguments {
		if err := sameDecoded(p, got.RawArguments[i], a); err != nil {
			return fmt.Errorf("argument %d: %v", i, err)
		}
	}
	switch {
	case want.Type == StreamItem:
		return sameDecoded(p, got.RawItem, want.Item)
	case want.Type == Completion && want.HasResult:
		return sameDecoded(p, got.RawResult, want.Result)
	}
	return nil
}

// sameDecoded decodes raw into a value of want's type and compares the two;
// a nil want stands for null.
func sameDecoded(p Protocol, raw Raw, want any) error {
	if want == nil {
		if string(raw) != "null" && string(raw) != "\xc0" {
			return fmt.Errorf("%q, want null", raw)
		}
		return nil
	}
	v := reflect.New(reflect.TypeOf(want))
	if err := p.Decode(raw, v.Interface()); err != nil {
		return fmt.Errorf("decoding %q into a %T: %v", raw, want, err)
	}
	if !sameValue(v.Elem(), reflect.ValueOf(want)) {
		return fmt.Errorf("decoded %#v, want %#v", v.Elem().Interface(), want)
	}
	return nil
}

// sameValue compares values as DeepEqual does, except that times are equal
// when they are the same instant and an empty slice is a nil one.
func sameValue(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Map:
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	return a.Equal(b)
}

// bind binds a parsed invocation's arguments to parameters of the given
// types, as ASP.NET Core's binding does, and returns its failure's text.
func bind(p Protocol, m *Message, params ...any) string {
	if m.ArgumentsError != nil {
		return m.ArgumentsError.Error()
	}
	if len(m.RawArguments) != len(params) {
		return fmt.Sprintf("Invocation provides %d argument(s) but target expects %d.", len(m.RawArguments), len(params))
	}
	for i, param := range params {
		if err := p.Decode(m.RawArguments[i], reflect.New(reflect.TypeOf(param)).Interface()); err != nil {
			return textBindingFailed
		}
	}
	return ""
}

func TestSameValue(t *testing.T) {
	plus := time.Date(2017, 4, 11, 2, 0, 0, 0, time.FixedZone("", 2*3600))
	if !sameValue(reflect.ValueOf(camel), reflect.ValueOf(customCamel{"SignalR!", 6.2831853071, 42, plus, nil, []byte{1, 2, 3}})) {
		t.Error("the same instant in another zone differs")
	}
	for _, other := range []customCamel{
		{"SignalR?", 6.2831853071, 42, customDate, nil, []byte{1, 2, 3}},
		{"SignalR!", 6.2831853071, 42, customDate.Add(time.Nanosecond), nil, []byte{1, 2, 3}},
		{"SignalR!", 6.2831853071, 42, customDate, "x", []byte{1, 2, 3}},
		{"SignalR!", 6.2831853071, 42, customDate, nil, []byte{1, 2}},
	} {
		if sameValue(reflect.ValueOf(camel), reflect.ValueOf(other)) {
			t.Errorf("%+v is the same as %+v", other, camel)
		}
	}
}
