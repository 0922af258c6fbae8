package protocol

import (
	"strings"
	"testing"
	"time"
)

// The vectors of ASP.NET Core's JsonHubProtocolTestsBase.cs and
// JsonHubProtocolTests.cs. Not expressible here: CloseMessage_HasErrorEmptyString
// (a Go Message has no error "" apart from none), and the three
// Polymorphic* tests (.NET type hierarchies bound through "$type"). MagicCast
// is skipped upstream.

// sh is the tests' SerializedHeaders.
const sh = `"headers":{"Foo":"Bar","KeyWith\nNew\r\nLines":"Still Works","ValueWithNewLines":"Also\nWorks\r\nFine"}`

// jsonProtocolTestData is ProtocolTestData and CustomProtocolTestData: each
// message is written as the JSON, and the JSON parses into the message.
var jsonProtocolTestData = []struct {
	name string
	m    Message
	json string
}{
	{"InvocationMessage_HasInvocationId", Message{Type: Invocation, InvocationID: "123", Target: "Target", Arguments: []any{1, "Foo"}}, `{"type":1,"invocationId":"123","target":"Target","arguments":[1,"Foo"]}`},
	{"InvocationMessage_HasBoolArgument", Message{Type: Invocation, Target: "Target", Arguments: []any{true}}, `{"type":1,"target":"Target","arguments":[true]}`},
	{"InvocationMessage_HasNullArgument", Message{Type: Invocation, Target: "Target", Arguments: []any{nil}}, `{"type":1,"target":"Target","arguments":[null]}`},
	{"InvocationMessage_HasStreamArgument", Message{Type: Invocation, Target: "Target", Arguments: []any{}, StreamIDs: []string{"__test_id__"}}, `{"type":1,"target":"Target","arguments":[],"streamIds":["__test_id__"]}`},
	{"InvocationMessage_HasStreamAndNormalArgument", Message{Type: Invocation, Target: "Target", Arguments: []any{42}, StreamIDs: []string{"__test_id__"}}, `{"type":1,"target":"Target","arguments":[42],"streamIds":["__test_id__"]}`},
	{"InvocationMessage_HasMultipleStreams", Message{Type: Invocation, Target: "Target", Arguments: []any{}, StreamIDs: []string{"__test_id__", "__test_id2__"}}, `{"type":1,"target":"Target","arguments":[],"streamIds":["__test_id__","__test_id2__"]}`},
	{"InvocationMessage_DateTimeOffsetArgument", Message{Type: Invocation, Target: "Method", Arguments: []any{time.Date(2016, 5, 10, 13, 51, 20, 0, time.FixedZone("", 12*3600+34*60))}}, `{"type":1,"target":"Method","arguments":["2016-05-10T13:51:20+12:34"]}`},
	{"InvocationMessage_StringIsoDateArgument", Message{Type: Invocation, Target: "Method", Arguments: []any{"2016-05-10T13:51:20+12:34"}}, `{"type":1,"target":"Method","arguments":["2016-05-10T13:51:20+12:34"]}`},
	{"InvocationMessage_HasNonAsciiArgument", Message{Type: Invocation, Target: "Method", Arguments: []any{"מחרוזת כלשהי"}}, `{"type":1,"target":"Method","arguments":["מחרוזת כלשהי"]}`},
	{"InvocationMessage_HasCustomArgumentWithNoCamelCase", Message{Type: Invocation, Target: "Target", Arguments: []any{pascalNoNull}}, `{"type":1,"target":"Target","arguments":[{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","ByteArrProp":"AQID"}]}`},
	{"InvocationMessage_HasCustomArgumentWithNullValueIgnore", Message{Type: Invocation, Target: "Target", Arguments: []any{camelNoNull}}, `{"type":1,"target":"Target","arguments":[{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","byteArrProp":"AQID"}]}`},
	{"InvocationMessage_HasCustomArgumentWithNullValueIgnoreAndNoCamelCase", Message{Type: Invocation, Target: "Target", Arguments: []any{pascal}}, `{"type":1,"target":"Target","arguments":[{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","NullProp":null,"ByteArrProp":"AQID"}]}`},
	{"InvocationMessage_HasCustomArgumentWithNullValueInclude", Message{Type: Invocation, Target: "Target", Arguments: []any{camel}}, `{"type":1,"target":"Target","arguments":[{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","nullProp":null,"byteArrProp":"AQID"}]}`},

	{"StreamItemMessage_HasHeaders", withHeaders(Message{Type: StreamItem, InvocationID: "123", Item: camel}), `{"type":2,` + sh + `,"invocationId":"123","item":{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","nullProp":null,"byteArrProp":"AQID"}}`},
	{"StreamItemMessage_HasCustomItemWithNoCamelCase", Message{Type: StreamItem, InvocationID: "123", Item: pascalNoNull}, `{"type":2,"invocationId":"123","item":{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","ByteArrProp":"AQID"}}`},
	{"StreamItemMessage_HasCustomItemWithNullValueIgnore", Message{Type: StreamItem, InvocationID: "123", Item: camelNoNull}, `{"type":2,"invocationId":"123","item":{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","byteArrProp":"AQID"}}`},
	{"StreamItemMessage_HasCustomItemWithNullValueIgnoreAndNoCamelCase", Message{Type: StreamItem, InvocationID: "123", Item: pascal}, `{"type":2,"invocationId":"123","item":{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","NullProp":null,"ByteArrProp":"AQID"}}`},
	{"StreamItemMessage_HasCustomItemWithNullValueInclude", Message{Type: StreamItem, InvocationID: "123", Item: camel}, `{"type":2,"invocationId":"123","item":{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","nullProp":null,"byteArrProp":"AQID"}}`},
	{"StreamItemMessage_HasIntegerItem", Message{Type: StreamItem, InvocationID: "123", Item: 1}, `{"type":2,"invocationId":"123","item":1}`},
	{"StreamItemMessage_HasStringItem", Message{Type: StreamItem, InvocationID: "123", Item: "Foo"}, `{"type":2,"invocationId":"123","item":"Foo"}`},
	{"StreamItemMessage_HasBoolItem", Message{Type: StreamItem, InvocationID: "123", Item: true}, `{"type":2,"invocationId":"123","item":true}`},
	{"StreamItemMessage_HasNullItem", Message{Type: StreamItem, InvocationID: "123"}, `{"type":2,"invocationId":"123","item":null}`},

	{"CompletionMessage_HasCustomResultWithNoCamelCase", Message{Type: Completion, InvocationID: "123", Result: pascalNoNull, HasResult: true}, `{"type":3,"invocationId":"123","result":{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","ByteArrProp":"AQID"}}`},
	{"CompletionMessage_HasCustomResultWithNullValueIgnore", Message{Type: Completion, InvocationID: "123", Result: camelNoNull, HasResult: true}, `{"type":3,"invocationId":"123","result":{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","byteArrProp":"AQID"}}`},
	{"CompletionMessage_HasCustomResultWithNullValueIncludeAndNoCamelCase", Message{Type: Completion, InvocationID: "123", Result: pascal, HasResult: true}, `{"type":3,"invocationId":"123","result":{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","NullProp":null,"ByteArrProp":"AQID"}}`},
	{"CompletionMessage_HasCustomResultWithNullValueInclude", Message{Type: Completion, InvocationID: "123", Result: camel, HasResult: true}, `{"type":3,"invocationId":"123","result":{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","nullProp":null,"byteArrProp":"AQID"}}`},
	{"CompletionMessage_HasErrorAndCamelCase", Message{Type: Completion, InvocationID: "123"}, `{"type":3,"invocationId":"123"}`},
	{"CompletionMessage_HasTestHeadersAndCustomItemResult", withHeaders(Message{Type: Completion, InvocationID: "123", Result: camel, HasResult: true}), `{"type":3,` + sh + `,"invocationId":"123","result":{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","nullProp":null,"byteArrProp":"AQID"}}`},
	{"CompletionMessage_HasErrorAndHeadersAndCamelCase", withHeaders(Message{Type: Completion, InvocationID: "123"}), `{"type":3,` + sh + `,"invocationId":"123"}`},
	{"CompletionMessage_HasIntegerResult", Message{Type: Completion, InvocationID: "123", Result: 1, HasResult: true}, `{"type":3,"invocationId":"123","result":1}`},
	{"CompletionMessage_HasStringResult", Message{Type: Completion, InvocationID: "123", Result: "Foo", HasResult: true}, `{"type":3,"invocationId":"123","result":"Foo"}`},
	{"CompletionMessage_HasBoolResult", Message{Type: Completion, InvocationID: "123", Result: true, HasResult: true}, `{"type":3,"invocationId":"123","result":true}`},
	{"CompletionMessage_HasNullResult", Message{Type: Completion, InvocationID: "123", HasResult: true}, `{"type":3,"invocationId":"123","result":null}`},
	{"CompletionMessage_HasError", Message{Type: Completion, InvocationID: "123", Error: "Whoops!"}, `{"type":3,"invocationId":"123","error":"Whoops!"}`},
	{"CompletionMessage_HasErrorAndHeaders", withHeaders(Message{Type: Completion, InvocationID: "123", Error: "Whoops!"}), `{"type":3,` + sh + `,"invocationId":"123","error":"Whoops!"}`},

	{"StreamInvocationMessage_HasHeaders", withHeaders(Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{camel}}), `{"type":4,` + sh + `,"invocationId":"123","target":"Target","arguments":[{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","nullProp":null,"byteArrProp":"AQID"}]}`},
	{"StreamInvocationMessage_HasCustomArgumentWithNoCamelCase", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{pascalNoNull}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","ByteArrProp":"AQID"}]}`},
	{"StreamInvocationMessage_HasCustomArgumentWithNullValueIgnore", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{camelNoNull}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","byteArrProp":"AQID"}]}`},
	{"StreamInvocationMessage_HasCustomArgumentWithNullValueIgnoreAndNoCamelCase", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{pascal}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[{"StringProp":"SignalR!","DoubleProp":6.2831853071,"IntProp":42,"DateTimeProp":"2017-04-11T00:00:00Z","NullProp":null,"ByteArrProp":"AQID"}]}`},
	{"StreamInvocationMessage_HasCustomArgumentWithNullValueInclude", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{camel}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[{"stringProp":"SignalR!","doubleProp":6.2831853071,"intProp":42,"dateTimeProp":"2017-04-11T00:00:00Z","nullProp":null,"byteArrProp":"AQID"}]}`},
	{"StreamInvocationMessage_HasInvocationId", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{1, "Foo"}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[1,"Foo"]}`},
	{"StreamInvocationMessage_HasBoolArgument", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{true}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[true]}`},
	{"StreamInvocationMessage_HasNullArgument", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{nil}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[null]}`},
	{"StreamInvocationMessage_HasStreamArgument", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{}, StreamIDs: []string{"__test_id__"}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[],"streamIds":["__test_id__"]}`},

	{"CancelInvocationMessage_HasInvocationId", Message{Type: CancelInvocation, InvocationID: "123"}, `{"type":5,"invocationId":"123"}`},
	{"CancelInvocationMessage_HasHeaders", withHeaders(Message{Type: CancelInvocation, InvocationID: "123"}), `{"type":5,` + sh + `,"invocationId":"123"}`},

	{"PingMessage", Message{Type: Ping}, `{"type":6}`},

	{"CloseMessage", Message{Type: Close}, `{"type":7}`},
	{"CloseMessage_HasError", Message{Type: Close, Error: "Error!"}, `{"type":7,"error":"Error!"}`},
	{"CloseMessage_HasErrorWithCamelCase", Message{Type: Close, Error: "Error!"}, `{"type":7,"error":"Error!"}`},
	{"CloseMessage_HasAllowReconnect", Message{Type: Close, AllowReconnect: true}, `{"type":7,"allowReconnect":true}`},
	{"CloseMessage_HasErrorAndAllowReconnect", Message{Type: Close, Error: "Error!", AllowReconnect: true}, `{"type":7,"error":"Error!","allowReconnect":true}`},

	// JsonHubProtocolTests' CustomProtocolTestData.
	{"InvocationMessage_HasFloatArgument", Message{Type: Invocation, Target: "Target", Arguments: []any{1, "Foo", float32(2)}}, `{"type":1,"target":"Target","arguments":[1,"Foo",2]}`},
	{"InvocationMessage_HasHeaders", withHeaders(Message{Type: Invocation, InvocationID: "123", Target: "Target", Arguments: []any{1, "Foo", float32(2)}}), `{"type":1,` + sh + `,"invocationId":"123","target":"Target","arguments":[1,"Foo",2]}`},
	{"StreamItemMessage_HasFloatItem", Message{Type: StreamItem, InvocationID: "123", Item: float32(2)}, `{"type":2,"invocationId":"123","item":2}`},
	{"CompletionMessage_HasFloatResult", Message{Type: Completion, InvocationID: "123", Result: float32(2), HasResult: true}, `{"type":3,"invocationId":"123","result":2}`},
	{"StreamInvocationMessage_HasFloatArgument", Message{Type: StreamInvocation, InvocationID: "123", Target: "Target", Arguments: []any{1, "Foo", float32(2)}}, `{"type":4,"invocationId":"123","target":"Target","arguments":[1,"Foo",2]}`},
}

// TestJSONProtocolTestData is WriteMessage, ParseMessage, CustomWriteMessage
// and CustomParseMessage.
func TestJSONProtocolTestData(t *testing.T) {
	for _, tt := range jsonProtocolTestData {
		t.Run(tt.name, func(t *testing.T) {
			b, err := JSON.Append(nil, &tt.m)
			if err != nil || string(b) != tt.json+rs {
				t.Errorf("wrote %s (%v)\nwant %s", b, err, tt.json)
			}
			got := parseOne(t, tt.json+rs)
			if err := sameParsed(JSON, got, tt.m); err != nil {
				t.Errorf("parsed: %v", err)
			}
		})
	}
}

// TestJSONOutOfOrder is ParseOutOfOrderJson.
func TestJSONOutOfOrder(t *testing.T) {
	dto := time.Date(2016, 5, 10, 13, 51, 20, 0, time.FixedZone("", 12*3600+34*60))
	for _, tt := range []struct {
		name string
		json string
		want Message
	}{
		{"InvocationMessage_StringIsoDateArgumentFirst", `{ "arguments": ["2016-05-10T13:51:20+12:34"], "type":1, "target": "Method" }`, Message{Type: Invocation, Target: "Method", Arguments: []any{"2016-05-10T13:51:20+12:34"}}},
		{"InvocationMessage_DateTimeOffsetArgumentFirst", `{ "arguments": ["2016-05-10T13:51:20+12:34"], "type":1, "target": "Method" }`, Message{Type: Invocation, Target: "Method", Arguments: []any{dto}}},
		{"InvocationMessage_IntegerArrayArgumentFirst", `{ "arguments": [1,2], "type":1, "target": "Method" }`, Message{Type: Invocation, Target: "Method", Arguments: []any{1, 2}}},
		{"StreamInvocationMessage_IntegerArrayArgumentFirst", `{ "type":4, "arguments": [1,2], "target": "Method", "invocationId": "3" }`, Message{Type: StreamInvocation, InvocationID: "3", Target: "Method", Arguments: []any{1, 2}}},
		{"CompletionMessage_ResultFirst", `{ "type":3, "result": 10, "invocationId": "15" }`, Message{Type: Completion, InvocationID: "15", Result: 10, HasResult: true}},
		{"StreamItemMessage_ItemFirst", `{ "item": "foo", "invocationId": "1a", "type":2 }`, Message{Type: StreamItem, InvocationID: "1a", Item: "foo"}},
	} {
		if err := sameParsed(JSON, parseOne(t, tt.json+rs), tt.want); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// jsonInvalidMessages is InvalidMessages and JsonHubProtocolTests'
// CustomInvalidMessages: records that fail with these texts.
var jsonInvalidMessages = []struct{ json, want string }{
	{`null`, "Unexpected JSON Token Type 'Null'. Expected a JSON Object."},
	{`"foo"`, "Unexpected JSON Token Type 'String'. Expected a JSON Object."},
	{`[42]`, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
	{`{}`, "Missing required property 'type'."},

	{`{"type":1,"headers":{"Foo": 42},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},
	{`{"type":1,"headers":{"Foo": true},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},
	{`{"type":1,"headers":{"Foo": null},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},
	{`{"type":1,"headers":{"Foo": []},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},

	{`{"type":1}`, "Missing required property 'target'."},
	{`{"type":1,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
	{`{"type":1,"invocationId":"42"}`, "Missing required property 'target'."},
	{`{"type":1,"invocationId":"42","target":42}`, "Expected 'target' to be of type String."},
	{`{"type":1,"invocationId":"42","target":"foo"}`, "Missing required property 'arguments'."},
	{`{"type":1,"invocationId":"42","target":"foo","arguments":{}}`, "Expected 'arguments' to be of type Array."},

	{`{"type":2}`, "Missing required property 'invocationId'."},
	{`{"type":2,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
	{`{"type":2,"invocationId":"42"}`, "Missing required property 'item'."},

	{`{"type":3}`, "Missing required property 'invocationId'."},
	{`{"type":3,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
	{`{"type":3,"invocationId":"42","error":[]}`, "Expected 'error' to be of type String."},

	// The table says 'invocationId': written for a JsonHubProtocol that did
	// not look for the target of a StreamInvocation first, as it now does.
	{`{"type":4}`, "Missing required property 'target'."},
	{`{"type":4,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
	{`{"type":4,"invocationId":"42","target":42}`, "Expected 'target' to be of type String."},
	{`{"type":4,"invocationId":"42","target":"foo"}`, "Missing required property 'arguments'."},
	{`{"type":4,"invocationId":"42","target":"foo","arguments":{}}`, "Expected 'arguments' to be of type Array."},

	{`{"type":3,"invocationId":"42","error":"foo","result":true}`, "The 'error' and 'result' properties are mutually exclusive."},

	// CustomInvalidMessages.
	{``, "Error reading JSON."},
	{`42`, "Unexpected JSON Token Type 'Number'. Expected a JSON Object."},
	{`{"type":"foo"}`, "Expected 'type' to be of type Number."},
	{`{"type":3,"invocationId":"42","result":true`, "Error reading JSON."},
	{`{"type":8,"sequenceId":true}`, "Expected 'sequenceId' to be of type Number."},
	{`{"type":9,"sequenceId":"value"}`, "Expected 'sequenceId' to be of type Number."},

	// InvalidNestingWhileBindingTypesFails.
	{`{"type":1,"invocationId":"42","target":"foo","arguments":[[}]}`, "Error reading JSON."},
}

// TestJSONInvalidMessages checks that each record fails with its
// InvalidDataException's text.
func TestJSONInvalidMessages(t *testing.T) {
	for _, tt := range jsonInvalidMessages {
		var m Message
		_, err := JSON.Parse([]byte(tt.json+rs), &m)
		pe, ok := err.(*Error)
		if !ok || err.Error() != tt.want || pe.Kind() != "InvalidDataException" {
			t.Errorf("Parse(%s) = %v (%T), want %q", tt.json, err, err, tt.want)
		}
	}
}

// TestJSONArgumentBindingErrors is ArgumentBindingErrors,
// ExtraItemsInMessageAreIgnored and ReadToEndOfArgumentArrayOnError: the
// record parses, and binding its arguments to (int, string), as the test
// binder has it, fails with these texts, in the receiver that binds them.
func TestJSONArgumentBindingErrors(t *testing.T) {
	for _, tt := range []struct{ json, want string }{
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[]}`, "Invocation provides 0 argument(s) but target expects 2."},
		{`{"type":1,"arguments":[], "invocationId":"42","target":"foo"}`, "Invocation provides 0 argument(s) but target expects 2."},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[ "abc", "xyz"]}`, textBindingFailed},
		{`{"type":1,"invocationId":"42","arguments":[ "abc", "xyz"], "target":"foo"}`, textBindingFailed},
		{`{"type":4,"invocationId":"42","target":"foo","arguments":[]}`, "Invocation provides 0 argument(s) but target expects 2."},
		{`{"type":4,"invocationId":"42","target":"foo","arguments":[ "abc", "xyz"]}`, textBindingFailed},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[1,"",{"1":1,"2":2}]}`, "Invocation provides 3 argument(s) but target expects 2."},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[1,[1]]}`, textBindingFailed},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[1,[]]}`, textBindingFailed},
		// ExtraItemsInMessageAreIgnored: it binds.
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[],"extraParameter":"1"}`, "Invocation provides 0 argument(s) but target expects 2."},
	} {
		m := parseOne(t, tt.json+rs)
		if m.Target != "foo" || m.InvocationID != "42" {
			t.Errorf("Parse(%s): %+v", tt.json, m)
		}
		if got := bind(JSON, &m, 0, ""); got != tt.want {
			t.Errorf("binding %s: %q, want %q", tt.json, got, tt.want)
		}
	}
	// The table's '{"type":1,"arguments":[1,"",{...}]},"invocationId":...'
	// ends its object after the arguments, so that the record has no
	// target: JsonHubProtocol now refuses that before binding.
	var m Message
	if _, err := JSON.Parse([]byte(`{"type":1,"arguments":[1,"",{"1":1,"2":2}]},"invocationId":"42","target":"foo"`+rs), &m); err == nil || err.Error() != "Missing required property 'target'." {
		t.Errorf("an object closed after its arguments: %v", err)
	}
	// ReadToEndOfArgumentArrayOnError: the target is not the one inside the
	// arguments, and binding them to (string) fails.
	m = parseOne(t, `{"type":1,"invocationId":"42","target":"foo","arguments":[[],{"target":"foo2"}]}`+rs)
	if m.Target != "foo" || bind(JSON, &m, "") != "Invocation provides 2 argument(s) but target expects 1." {
		t.Errorf("ReadToEndOfArgumentArrayOnError: %+v", m)
	}
	m.RawArguments = m.RawArguments[:1]
	if bind(JSON, &m, "") != textBindingFailed {
		t.Errorf("[] bound to a string")
	}
}

// TestJSONDates is DateTimeArgumentPreservesUtcKind,
// DateTimeReturnValuePreservesUtcKind and ReadCaseInsensitivePropertiesByDefault.
func TestJSONDates(t *testing.T) {
	want := time.Date(2007, 3, 1, 13, 0, 0, 0, time.UTC)
	for _, text := range []string{
		`{"type":1,"invocationId":"42","target":"foo","arguments":["2007-03-01T13:00:00Z"]}`,
		`{"type":1,"invocationId":"42","arguments":["2007-03-01T13:00:00Z"],"target":"foo"}`,
		`{"type":3,"invocationId":"42","target":"foo","arguments":[],"result":"2007-03-01T13:00:00Z"}`,
		`{"type":3,"target":"foo","arguments":[],"result":"2007-03-01T13:00:00Z","invocationId":"42"}`,
	} {
		m := parseOne(t, text+rs)
		raw := m.RawResult
		if m.Type == Invocation {
			raw = m.RawArguments[0]
		}
		var got time.Time
		if err := JSON.Decode(raw, &got); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: %v (%v), %v", text, got, got.Location(), err)
		}
	}
	m := parseOne(t, `{"type":2,"invocationId":"123","item":{"StrIngProp":"test","DoublePrOp":3.14159,"IntProp":43,"DateTimeProp":"2019-06-03T22:00:00","NuLLProp":null,"ByteARRProp":"AgQG"}}`+rs)
	if err := sameDecoded(JSON, m.RawItem, customPascal{"test", 3.14159, 43, time.Date(2019, 6, 3, 22, 0, 0, 0, time.UTC), nil, []byte{2, 4, 6}}); err != nil {
		t.Errorf("ReadCaseInsensitivePropertiesByDefault: %v", err)
	}
}

// TestJSONMessageSize is VerifyMessageSize: the bytes each message takes.
func TestJSONMessageSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    Message
		size int
	}{
		{"InvocationMessage_WithoutInvocationId", Message{Type: Invocation, Target: "Target", Arguments: []any{1}}, 45},
		{"InvocationMessage_WithInvocationId", Message{Type: Invocation, InvocationID: "1", Target: "Target", Arguments: []any{1}}, 64},
		{"InvocationMessage_WithInvocationIdAndStreamId", Message{Type: Invocation, InvocationID: "1", Target: "Target", Arguments: []any{1}, StreamIDs: []string{"2"}}, 82},
		{"CloseMessage_Empty", Message{Type: Close}, 11},
		{"CloseMessage_WithError", Message{Type: Close, Error: "error"}, 27},
		{"StreamItemMessage_WithNullItem", Message{Type: StreamItem, InvocationID: "1"}, 42},
		{"StreamItemMessage_WithItem", Message{Type: StreamItem, InvocationID: "1", Item: 1}, 39},
		{"CompletionMessage_Empty", Message{Type: Completion, InvocationID: "1"}, 30},
		{"CompletionMessage_WithResult", Message{Type: Completion, InvocationID: "1", Result: 1, HasResult: true}, 41},
		{"CompletionMessage_WithError", Message{Type: Completion, InvocationID: "1", Error: "error"}, 46},
		{"StreamInvocationMessage", Message{Type: StreamInvocation, InvocationID: "1", Target: "target", Arguments: []any{}}, 63},
		{"StreamInvocationMessage_WithStreamId", Message{Type: StreamInvocation, InvocationID: "1", Target: "target", Arguments: []any{}, StreamIDs: []string{"2"}}, 81},
		{"CancelInvocationMessage", Message{Type: CancelInvocation, InvocationID: "1"}, 30},
		{"PingMessage", Message{Type: Ping}, 11},
	} {
		b, err := JSON.Append(nil, &tt.m)
		if err != nil || len(b) != tt.size {
			t.Errorf("%s: %d bytes (%s), want %d", tt.name, len(b), strings.TrimSuffix(string(b), rs), tt.size)
		}
	}
}
