package protocol

import (
	"encoding/base64"
	"testing"
	"time"
)

// The vectors of ASP.NET Core's MessagePackHubProtocolTestBase.cs and
// MessagePackHubProtocolTests.cs, with MessagePack-CSharp's bytes. Every one
// is expressible; WriteAndParseDateTimeOffset compares instants only, as
// .NET's DateTimeOffset equality does (Go has one time type, written as the
// timestamp extension, where .NET writes a DateTimeOffset as an array).

// mpFramed is body behind its length, as the tests' Frame writes it.
func mpFramed(body []byte) []byte { return append(appendVarInt(nil, len(body)), body...) }

// mpProtocolTestData is BaseTestData and TestData: each message is written as
// the base64 bytes (length prefix aside), and the bytes parse into it.
var mpProtocolTestData = []struct {
	name   string
	m      Message
	binary string
}{
	// BaseTestData.
	{"InvocationWithNoHeadersAndNoArgs", Message{Type: Invocation, InvocationID: "xyz", Target: "method", Arguments: []any{}}, "lgGAo3h5eqZtZXRob2SQkA=="},
	{"InvocationWithNoHeadersNoIdAndNoArgs", Message{Type: Invocation, Target: "method", Arguments: []any{}}, "lgGAwKZtZXRob2SQkA=="},
	{"InvocationWithNoHeadersNoIdAndSingleIntArg", Message{Type: Invocation, Target: "method", Arguments: []any{42}}, "lgGAwKZtZXRob2SRKpA="},
	{"InvocationWithNoHeadersNoIdIntAndStringArgs", Message{Type: Invocation, Target: "method", Arguments: []any{42, "string"}}, "lgGAwKZtZXRob2SSKqZzdHJpbmeQ"},
	{"InvocationWithStreamArgument", Message{Type: Invocation, Target: "Target", Arguments: []any{}, StreamIDs: []string{"__test_id__"}}, "lgGAwKZUYXJnZXSQkatfX3Rlc3RfaWRfXw=="},
	{"InvocationWithStreamAndNormalArgument", Message{Type: Invocation, Target: "Target", Arguments: []any{42}, StreamIDs: []string{"__test_id__"}}, "lgGAwKZUYXJnZXSRKpGrX190ZXN0X2lkX18="},
	{"InvocationWithMultipleStreams", Message{Type: Invocation, Target: "Target", Arguments: []any{}, StreamIDs: []string{"__test_id__", "__test_id2__"}}, "lgGAwKZUYXJnZXSQkqtfX3Rlc3RfaWRfX6xfX3Rlc3RfaWQyX18="},

	{"StreamItemWithNoHeadersAndIntItem", Message{Type: StreamItem, InvocationID: "xyz", Item: 42}, "lAKAo3h5eio="},
	{"StreamItemWithNoHeadersAndFloatItem", Message{Type: StreamItem, InvocationID: "xyz", Item: float32(42)}, "lAKAo3h5espCKAAA"},
	{"StreamItemWithNoHeadersAndStringItem", Message{Type: StreamItem, InvocationID: "xyz", Item: "string"}, "lAKAo3h5eqZzdHJpbmc="},
	{"StreamItemWithNoHeadersAndBoolItem", Message{Type: StreamItem, InvocationID: "xyz", Item: true}, "lAKAo3h5esM="},

	{"CompletionWithNoHeadersAndError", Message{Type: Completion, InvocationID: "xyz", Error: "Error not found!"}, "lQOAo3h5egGwRXJyb3Igbm90IGZvdW5kIQ=="},
	{"CompletionWithHeadersAndError", withHeaders(Message{Type: Completion, InvocationID: "xyz", Error: "Error not found!"}), "lQODo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6AbBFcnJvciBub3QgZm91bmQh"},
	{"CompletionWithNoHeadersAndNoResult", Message{Type: Completion, InvocationID: "xyz"}, "lAOAo3h5egI="},
	{"CompletionWithHeadersAndNoResult", withHeaders(Message{Type: Completion, InvocationID: "xyz"}), "lAODo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6Ag=="},
	{"CompletionWithNoHeadersAndIntResult", Message{Type: Completion, InvocationID: "xyz", Result: 42, HasResult: true}, "lQOAo3h5egMq"},
	{"CompletionWithNoHeadersAndFloatResult", Message{Type: Completion, InvocationID: "xyz", Result: float32(42), HasResult: true}, "lQOAo3h5egPKQigAAA=="},
	{"CompletionWithNoHeadersAndStringResult", Message{Type: Completion, InvocationID: "xyz", Result: "string", HasResult: true}, "lQOAo3h5egOmc3RyaW5n"},
	{"CompletionWithNoHeadersAndBooleanResult", Message{Type: Completion, InvocationID: "xyz", Result: true, HasResult: true}, "lQOAo3h5egPD"},

	{"StreamInvocationWithNoHeadersAndNoArgs", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{}}, "lgSAo3h5eqZtZXRob2SQkA=="},
	{"StreamInvocationWithNoHeadersAndIntArg", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{42}}, "lgSAo3h5eqZtZXRob2SRKpA="},
	{"StreamInvocationWithStreamArgument", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{}, StreamIDs: []string{"__test_id__"}}, "lgSAo3h5eqZtZXRob2SQkatfX3Rlc3RfaWRfXw=="},
	{"StreamInvocationWithStreamAndNormalArgument", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{42}, StreamIDs: []string{"__test_id__"}}, "lgSAo3h5eqZtZXRob2SRKpGrX190ZXN0X2lkX18="},
	{"StreamInvocationWithNoHeadersAndIntAndStringArgs", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{42, "string"}}, "lgSAo3h5eqZtZXRob2SSKqZzdHJpbmeQ"},

	{"CancelInvocationWithNoHeaders", Message{Type: CancelInvocation, InvocationID: "xyz"}, "kwWAo3h5eg=="},
	{"CancelInvocationWithHeaders", withHeaders(Message{Type: CancelInvocation, InvocationID: "xyz"}), "kwWDo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6"},

	{"Ping", Message{Type: Ping}, "kQY="},

	{"CloseMessage", Message{Type: Close}, "kwfAwg=="},
	{"CloseMessage_HasError", Message{Type: Close, Error: "Error!"}, "kwemRXJyb3Ihwg=="},
	{"CloseMessage_HasAllowReconnect", Message{Type: Close, AllowReconnect: true}, "kwfAww=="},
	{"CloseMessage_HasErrorAndAllowReconnect", Message{Type: Close, Error: "Error!", AllowReconnect: true}, "kwemRXJyb3Ihww=="},

	{"AckMessage", Message{Type: Ack, SequenceID: 42}, "kggq"},
	{"SequenceMessage", Message{Type: Sequence, SequenceID: 146}, "kgnMkg=="},

	// TestData, which serializes objects.
	{"CompletionWithNoHeadersAndNullResult", Message{Type: Completion, InvocationID: "xyz", HasResult: true}, "lQOAo3h5egPA"},
	{"CompletionWithNoHeadersAndCustomObjectResult", Message{Type: Completion, InvocationID: "xyz", Result: pascal, HasResult: true}, "lQOAo3h5egOGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgM="},
	{"CompletionWithNoHeadersAndCustomObjectArrayResult", Message{Type: Completion, InvocationID: "xyz", Result: []customPascal{pascal, pascal}, HasResult: true}, "lQOAo3h5egOShqpTdHJpbmdQcm9wqFNpZ25hbFIhqkRvdWJsZVByb3DLQBkh+1RCzxKnSW50UHJvcCqsRGF0ZVRpbWVQcm9w1v9Y7ByAqE51bGxQcm9wwKtCeXRlQXJyUHJvcMQDAQIDhqpTdHJpbmdQcm9wqFNpZ25hbFIhqkRvdWJsZVByb3DLQBkh+1RCzxKnSW50UHJvcCqsRGF0ZVRpbWVQcm9w1v9Y7ByAqE51bGxQcm9wwKtCeXRlQXJyUHJvcMQDAQID"},
	{"CompletionWithHeadersAndCustomObjectArrayResult", withHeaders(Message{Type: Completion, InvocationID: "xyz", Result: []customPascal{pascal, pascal}, HasResult: true}), "lQODo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6A5KGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgM="},
	{"CompletionWithNoHeadersAndEnumResult", Message{Type: Completion, InvocationID: "xyz", Result: testEnum(1), HasResult: true}, "lQOAo3h5egOjT25l"},

	{"InvocationWithNoHeadersNoIdAndSingleNullArg", Message{Type: Invocation, Target: "method", Arguments: []any{nil}}, "lgGAwKZtZXRob2SRwJA="},
	{"InvocationWithNoHeadersNoIdIntAndEnumArgs", Message{Type: Invocation, Target: "method", Arguments: []any{42, testEnum(1)}}, "lgGAwKZtZXRob2SSKqNPbmWQ"},
	{"InvocationWithNoHeadersNoIdAndCustomObjectArg", Message{Type: Invocation, Target: "method", Arguments: []any{42, "string", pascal}}, "lgGAwKZtZXRob2STKqZzdHJpbmeGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOQ"},
	{"InvocationWithNoHeadersNoIdAndArrayOfCustomObjectArgs", Message{Type: Invocation, Target: "method", Arguments: []any{pascal, pascal}}, "lgGAwKZtZXRob2SShqpTdHJpbmdQcm9wqFNpZ25hbFIhqkRvdWJsZVByb3DLQBkh+1RCzxKnSW50UHJvcCqsRGF0ZVRpbWVQcm9w1v9Y7ByAqE51bGxQcm9wwKtCeXRlQXJyUHJvcMQDAQIDhqpTdHJpbmdQcm9wqFNpZ25hbFIhqkRvdWJsZVByb3DLQBkh+1RCzxKnSW50UHJvcCqsRGF0ZVRpbWVQcm9w1v9Y7ByAqE51bGxQcm9wwKtCeXRlQXJyUHJvcMQDAQIDkA=="},
	{"InvocationWithHeadersNoIdAndArrayOfCustomObjectArgs", withHeaders(Message{Type: Invocation, Target: "method", Arguments: []any{pascal, pascal}}), "lgGDo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmXApm1ldGhvZJKGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOQ"},

	{"StreamItemWithNoHeadersAndNullItem", Message{Type: StreamItem, InvocationID: "xyz"}, "lAKAo3h5esA="},
	{"StreamItemWithNoHeadersAndEnumItem", Message{Type: StreamItem, InvocationID: "xyz", Item: testEnum(1)}, "lAKAo3h5eqNPbmU="},
	{"StreamItemWithNoHeadersAndCustomObjectItem", Message{Type: StreamItem, InvocationID: "xyz", Item: pascal}, "lAKAo3h5eoaqU3RyaW5nUHJvcKhTaWduYWxSIapEb3VibGVQcm9wy0AZIftUQs8Sp0ludFByb3AqrERhdGVUaW1lUHJvcNb/WOwcgKhOdWxsUHJvcMCrQnl0ZUFyclByb3DEAwECAw=="},
	{"StreamItemWithNoHeadersAndCustomObjectArrayItem", Message{Type: StreamItem, InvocationID: "xyz", Item: []customPascal{pascal, pascal}}, "lAKAo3h5epKGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgM="},
	{"StreamItemWithHeadersAndCustomObjectArrayItem", withHeaders(Message{Type: StreamItem, InvocationID: "xyz", Item: []customPascal{pascal, pascal}}), "lAKDo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6koaqU3RyaW5nUHJvcKhTaWduYWxSIapEb3VibGVQcm9wy0AZIftUQs8Sp0ludFByb3AqrERhdGVUaW1lUHJvcNb/WOwcgKhOdWxsUHJvcMCrQnl0ZUFyclByb3DEAwECA4aqU3RyaW5nUHJvcKhTaWduYWxSIapEb3VibGVQcm9wy0AZIftUQs8Sp0ludFByb3AqrERhdGVUaW1lUHJvcNb/WOwcgKhOdWxsUHJvcMCrQnl0ZUFyclByb3DEAwECAw=="},

	{"StreamInvocationWithNoHeadersAndEnumArg", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{testEnum(1)}}, "lgSAo3h5eqZtZXRob2SRo09uZZA="},
	{"StreamInvocationWithNoHeadersAndNullArg", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{nil}}, "lgSAo3h5eqZtZXRob2SRwJA="},
	{"StreamInvocationWithNoHeadersAndIntStringAndCustomObjectArgs", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{42, "string", pascal}}, "lgSAo3h5eqZtZXRob2STKqZzdHJpbmeGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOQ"},
	{"StreamInvocationWithNoHeadersAndCustomObjectArrayArg", Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{pascal, pascal}}, "lgSAo3h5eqZtZXRob2SShqpTdHJpbmdQcm9wqFNpZ25hbFIhqkRvdWJsZVByb3DLQBkh+1RCzxKnSW50UHJvcCqsRGF0ZVRpbWVQcm9w1v9Y7ByAqE51bGxQcm9wwKtCeXRlQXJyUHJvcMQDAQIDhqpTdHJpbmdQcm9wqFNpZ25hbFIhqkRvdWJsZVByb3DLQBkh+1RCzxKnSW50UHJvcCqsRGF0ZVRpbWVQcm9w1v9Y7ByAqE51bGxQcm9wwKtCeXRlQXJyUHJvcMQDAQIDkA=="},
	{"StreamInvocationWithHeadersAndCustomObjectArrayArg", withHeaders(Message{Type: StreamInvocation, InvocationID: "xyz", Target: "method", Arguments: []any{pascal, pascal}}), "lgSDo0Zvb6NCYXKyS2V5V2l0aApOZXcNCkxpbmVzq1N0aWxsIFdvcmtzsVZhbHVlV2l0aE5ld0xpbmVzsEFsc28KV29ya3MNCkZpbmWjeHl6pm1ldGhvZJKGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOGqlN0cmluZ1Byb3CoU2lnbmFsUiGqRG91YmxlUHJvcMtAGSH7VELPEqdJbnRQcm9wKqxEYXRlVGltZVByb3DW/1jsHICoTnVsbFByb3DAq0J5dGVBcnJQcm9wxAMBAgOQ"},
}

// TestMessagePackProtocolTestData is BaseParseMessages, BaseWriteMessages,
// ParseMessages and WriteMessages.
func TestMessagePackProtocolTestData(t *testing.T) {
	for _, tt := range mpProtocolTestData {
		t.Run(tt.name, func(t *testing.T) {
			body, err := base64.StdEncoding.DecodeString(tt.binary)
			if err != nil {
				t.Fatal(err)
			}
			b, err := MessagePack.Append(nil, &tt.m)
			if err != nil || string(b) != string(mpFramed(body)) {
				t.Errorf("wrote %x (%v)\nwant %x", b, err, mpFramed(body))
			}
			var got Message
			if n, err := MessagePack.Parse(mpFramed(body), &got); err != nil || n != len(body)+len(appendVarInt(nil, len(body))) {
				t.Fatalf("Parse: %d, %v", n, err)
			}
			if err := sameParsed(MessagePack, got, tt.m); err != nil {
				t.Errorf("parsed: %v", err)
			}
		})
	}
}

// TestMessagePackExtraData is ParseMessageWithExtraData and
// ParserDoesNotConsumePartialData.
func TestMessagePackExtraData(t *testing.T) {
	body := []byte{0x98, 1, 0x80, 0xa3, 'x', 'y', 'z', 0xa6, 'm', 'e', 't', 'h', 'o', 'd', 0x90, 0x90, 0xc3, 0xa2, 'e', 'x'}
	var m Message
	if _, err := MessagePack.Parse(mpFramed(body), &m); err != nil {
		t.Fatal(err)
	}
	if err := sameParsed(MessagePack, m, Message{Type: Invocation, InvocationID: "xyz", Target: "method", Arguments: []any{}}); err != nil {
		t.Error(err)
	}
	if n, err := MessagePack.Parse([]byte{0x05, 0x01}, &m); n != 0 || err != nil {
		t.Errorf("partial data: %d, %v", n, err)
	}
}

// mpInvalidPayloads is BaseInvalidPayloads: frames that fail with these
// InvalidDataException texts.
var mpInvalidPayloads = []struct {
	name string
	body []byte
	want string
}{
	{"MessageTypeString", []byte{0x91, 0xa3, 'f', 'o', 'o'}, "Reading 'messageType' as Int32 failed."},

	{"HeadersNotAMap", []byte{0x92, 1, 0xa3, 'f', 'o', 'o'}, "Reading map length for 'headers' failed."},
	{"HeaderKeyInt", []byte{0x92, 1, 0x82, 0x2a, 0xa3, 'f', 'o', 'o'}, "Reading 'headers[0].Key' as String failed."},
	{"HeaderValueInt", []byte{0x92, 1, 0x82, 0xa3, 'f', 'o', 'o', 42}, "Reading 'headers[0].Value' as String failed."},
	{"HeaderKeyArray", []byte{0x92, 1, 0x84, 0xa3, 'f', 'o', 'o', 0xa3, 'f', 'o', 'o', 0x90, 0xa3, 'f', 'o', 'o'}, "Reading 'headers[1].Key' as String failed."},
	{"HeaderValueArray", []byte{0x92, 1, 0x84, 0xa3, 'f', 'o', 'o', 0xa3, 'f', 'o', 'o', 0xa3, 'f', 'o', 'o', 0x90}, "Reading 'headers[1].Value' as String failed."},
	{"HeaderKeyEmptyString", []byte{0x92, 1, 0x82, 0xa0, 0xa3, 'f', 'o', 'o'}, "Null or empty key in header."},
	{"HeaderValueEmptyString", []byte{0x92, 1, 0x82, 0xa3, 'f', 'o', 'o', 0xa0}, "Null or empty value in header."},

	{"InvocationMissingId", []byte{0x92, 1, 0x80}, "Reading 'invocationId' as String failed."},
	{"InvocationIdBoolean", []byte{0x91, 1, 0x80, 0xc2}, "Reading 'invocationId' as String failed."},
	{"InvocationTargetMissing", []byte{0x93, 1, 0x80, 0xa3, 'a', 'b', 'c'}, "Reading 'target' as String failed."},
	{"InvocationTargetInt", []byte{0x94, 1, 0x80, 0xa3, 'a', 'b', 'c', 42}, "Reading 'target' as String failed."},
	{"InvocationTargetEmptyString", []byte{0x94, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa0}, "Null or empty target for Invocation message."},
	{"InvocationEmptyStringStreamId", []byte{0x96, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa1, 'T', 0x91, 0xa0, 0x91, 0xa0}, "Null or empty value in streamIds received."},

	{"StreamInvocationMissingId", []byte{0x92, 4, 0x80}, "Reading 'invocationId' as String failed."},
	{"StreamInvocationEmptyStringId", []byte{0x93, 4, 0x80, 0xa0}, "Null or empty invocation ID for StreamInvocation message."},
	{"StreamInvocationIdBoolean", []byte{0x93, 4, 0x80, 0xc2}, "Reading 'invocationId' as String failed."},
	{"StreamInvocationTargetMissing", []byte{0x93, 4, 0x80, 0xa3, 'a', 'b', 'c'}, "Reading 'target' as String failed."},
	{"StreamInvocationTargetInt", []byte{0x94, 4, 0x80, 0xa3, 'a', 'b', 'c', 42}, "Reading 'target' as String failed."},
	{"StreamInvocationTargetEmptyString", []byte{0x94, 4, 0x80, 0xa3, 'a', 'b', 'c', 0xa0}, "Null or empty target for StreamInvocation message."},

	{"StreamItemMissingId", []byte{0x92, 2, 0x80}, "Reading 'invocationId' as String failed."},
	{"StreamItemEmptyStringId", []byte{0x93, 2, 0x80, 0xa0}, "Null or empty invocation ID for StreamItem message."},
	{"StreamItemInvocationIdBoolean", []byte{0x93, 2, 0x80, 0xc2}, "Reading 'invocationId' as String failed."},

	{"CompletionMissingId", []byte{0x92, 3, 0x80}, "Reading 'invocationId' as String failed."},
	{"CompletionEmptyStringId", []byte{0x93, 3, 0x80, 0xa0}, "Null or empty invocation ID for Completion message."},
	{"CompletionIdBoolean", []byte{0x93, 3, 0x80, 0xc2}, "Reading 'invocationId' as String failed."},
	{"CompletionResultKindString", []byte{0x94, 3, 0x80, 0xa3, 'x', 'y', 'z', 0xa3, 'x', 'y', 'z'}, "Reading 'resultKind' as Int32 failed."},
	{"CompletionResultKindOutOfRange", []byte{0x94, 3, 0x80, 0xa3, 'x', 'y', 'z', 42}, "Invalid invocation result kind."},
	{"CompletionErrorMissing", []byte{0x94, 3, 0x80, 0xa3, 'x', 'y', 'z', 0x01}, "Reading 'error' as String failed."},
	{"CompletionErrorInt", []byte{0x95, 3, 0x80, 0xa3, 'x', 'y', 'z', 0x01, 42}, "Reading 'error' as String failed."},

	{"CancelInvocationMissingId", []byte{0x92, 5, 0x80}, "Reading 'invocationId' as String failed."},
	{"CancelInvocationEmptyStringId", []byte{0x93, 5, 0x80, 0xa0}, "Null or empty invocation ID for CancelInvocation message."},

	{"AckSequenceIdMissing", []byte{0x91, 8}, "Reading 'sequenceId' as Int64 failed."},
	{"AckSequenceIdNull", []byte{0x91, 8, 0xc0}, "Reading 'sequenceId' as Int64 failed."},
	{"SequenceMessageSequenceIdMissing", []byte{0x91, 9}, "Reading 'sequenceId' as Int64 failed."},
	{"SequenceMessageSequenceIdNull", []byte{0x91, 9, 0xc0}, "Reading 'sequenceId' as Int64 failed."},
}

// TestMessagePackInvalidPayloads is ParserThrowsForInvalidMessages.
func TestMessagePackInvalidPayloads(t *testing.T) {
	for _, tt := range mpInvalidPayloads {
		var m Message
		_, err := MessagePack.Parse(mpFramed(tt.body), &m)
		pe, ok := err.(*Error)
		if !ok || err.Error() != tt.want || pe.Kind() != "InvalidDataException" {
			t.Errorf("%s: %v (%T), want %q", tt.name, err, err, tt.want)
		}
	}
}

// TestMessagePackArgumentBindingErrors is GettingArgumentsThrowsIfBindingFailed:
// the message parses, and binding its arguments to (string), as the test
// binder has it, fails with these texts; the first two are the protocol's,
// the rest the receiver's, which binds them.
func TestMessagePackArgumentBindingErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		body []byte
		want string
	}{
		{"InvocationArgumentArrayMissing", []byte{0x94, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z'}, "Reading array length for 'arguments' failed."},
		{"InvocationArgumentArrayNotAnArray", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 42}, "Reading array length for 'arguments' failed."},
		{"InvocationArgumentArraySizeMismatchEmpty", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x90}, "Invocation provides 0 argument(s) but target expects 1."},
		{"InvocationArgumentArraySizeMismatchTooLarge", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x92, 0xa1, 'a', 0xa1, 'b'}, "Invocation provides 2 argument(s) but target expects 1."},
		{"InvocationArgumentTypeMismatch", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x91, 42}, textBindingFailed},
		{"StreamInvocationArgumentArrayMissing", []byte{0x94, 4, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z'}, "Reading array length for 'arguments' failed."},
		{"StreamInvocationArgumentArrayNotAnArray", []byte{0x95, 4, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 42}, "Reading array length for 'arguments' failed."},
		{"StreamInvocationArgumentArraySizeMismatchEmpty", []byte{0x95, 4, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x90}, "Invocation provides 0 argument(s) but target expects 1."},
		{"StreamInvocationArgumentArraySizeMismatchTooLarge", []byte{0x95, 4, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x92, 0xa1, 'a', 0xa1, 'b'}, "Invocation provides 2 argument(s) but target expects 1."},
		{"StreamInvocationArgumentTypeMismatch", []byte{0x95, 4, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x91, 42}, textBindingFailed},
	} {
		var m Message
		if _, err := MessagePack.Parse(mpFramed(tt.body), &m); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if m.InvocationID != "abc" || m.Target != "xyz" {
			t.Errorf("%s: %+v", tt.name, m)
		}
		if got := bind(MessagePack, &m, ""); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestMessagePackDates is WriteAndParseDateTimeConvertsToUTC (for each
// DateTimeKind), WriteAndParseDateTimeOffset and
// SerializerCanSerializeTypesWithNoDefaultCtor.
func TestMessagePackDates(t *testing.T) {
	for _, when := range []time.Time{
		time.Date(2018, 4, 9, 0, 0, 0, 0, time.UTC),                           // Utc
		time.Date(2018, 4, 9, 0, 0, 0, 0, time.FixedZone("local", -7*3600)),   // Local: the instant, in UTC
		time.Date(2018, 4, 9, 0, 0, 0, 0, time.FixedZone("", 0)),              // Unspecified
		time.Date(2018, 4, 9, 0, 0, 0, 0, time.FixedZone("+10:00", 10*3600)),  // a DateTimeOffset
		time.Date(2018, 4, 9, 0, 0, 0, 123456789, time.FixedZone("", 5*3600)), // with nanoseconds
	} {
		b, err := MessagePack.Append(nil, &Message{Type: Completion, InvocationID: "xyz", Result: when, HasResult: true})
		if err != nil {
			t.Fatal(err)
		}
		var m Message
		if _, err := MessagePack.Parse(b, &m); err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := MessagePack.Decode(m.RawResult, &got); err != nil || !got.Equal(when) || got.Location() != time.UTC {
			t.Errorf("%v came back as %v (%v)", when, got, err)
		}
	}
	b, _ := MessagePack.Append(nil, &Message{Type: Completion, InvocationID: "0", Result: []int{42}, HasResult: true})
	if want := []byte{0x95, 3, 0x80, 0xa1, '0', 0x03, 0x91, 42}; string(b) != string(mpFramed(want)) {
		t.Errorf("a list of 42: %x, want %x", b, want)
	}
}

// TestMessagePackMessageSize is VerifyMessageSize: the bytes each message
// takes, length prefix included.
func TestMessagePackMessageSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    Message
		size int
	}{
		{"InvocationMessage_WithoutInvocationId", Message{Type: Invocation, Target: "Target", Arguments: []any{1}}, 15},
		{"InvocationMessage_WithInvocationId", Message{Type: Invocation, InvocationID: "1", Target: "Target", Arguments: []any{1}}, 16},
		{"InvocationMessage_WithInvocationIdAndStreamId", Message{Type: Invocation, InvocationID: "1", Target: "Target", Arguments: []any{1}, StreamIDs: []string{"2"}}, 18},
		{"CloseMessage_Empty", Message{Type: Close}, 5},
		{"CloseMessage_WithError", Message{Type: Close, Error: "error"}, 10},
		{"StreamItemMessage_WithNullItem", Message{Type: StreamItem, InvocationID: "1"}, 7},
		{"StreamItemMessage_WithItem", Message{Type: StreamItem, InvocationID: "1", Item: 1}, 7},
		{"CompletionMessage_Empty", Message{Type: Completion, InvocationID: "1"}, 7},
		{"CompletionMessage_WithResult", Message{Type: Completion, InvocationID: "1", Result: 1, HasResult: true}, 8},
		{"CompletionMessage_WithError", Message{Type: Completion, InvocationID: "1", Error: "error"}, 13},
		{"StreamInvocationMessage", Message{Type: StreamInvocation, InvocationID: "1", Target: "target", Arguments: []any{}}, 15},
		{"StreamInvocationMessage_WithStreamId", Message{Type: StreamInvocation, InvocationID: "1", Target: "target", Arguments: []any{}, StreamIDs: []string{"2"}}, 17},
		{"CancelInvocationMessage", Message{Type: CancelInvocation, InvocationID: "1"}, 6},
		{"PingMessage", Message{Type: Ping}, 3},
	} {
		b, err := MessagePack.Append(nil, &tt.m)
		if err != nil || len(b) != tt.size {
			t.Errorf("%s: %d bytes (%x), want %d", tt.name, len(b), b, tt.size)
		}
	}
}
