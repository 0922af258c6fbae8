package protocol_test

import (
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// An invocation written in the JSON hub protocol, as a client sends it, then
// parsed as a server reads it: the arguments stay encoded until the receiver
// decodes each into the type it expects.
func Example() {
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	out, err := protocol.JSON.Append(nil, &protocol.Message{
		Type:         protocol.Invocation,
		InvocationID: "1",
		Target:       "Move",
		Arguments:    []any{point{3, 4}, time.Date(2026, 12, 4, 10, 15, 0, 0, time.UTC)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimSuffix(string(out), "\x1e")) // a record ends with the separator

	var m protocol.Message
	n, err := protocol.JSON.Parse(out, &m)
	if err != nil {
		log.Fatal(err)
	}
	var p point
	var at time.Time
	if err := protocol.JSON.Decode(m.RawArguments[0], &p); err != nil {
		log.Fatal(err)
	}
	if err := protocol.JSON.Decode(m.RawArguments[1], &at); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n == len(out), m.Target, m.InvocationID, p, at.Format(time.Kitchen))
	// Output:
	// {"type":1,"invocationId":"1","target":"Move","arguments":[{"x":3,"y":4},"2026-12-04T10:15:00Z"]}
	// true Move 1 {3 4} 10:15AM
}

// Parse reads one record at a time from bytes that may hold several, or only
// part of one, as a transport delivers them; 0 bytes and no error means "wait
// for more".
func ExampleJSONProtocol_Parse() {
	data := []byte("{\"type\":6}\x1e{\"type\":7,\"error\":\"bye\"}\x1e{\"type\":")
	for {
		var m protocol.Message
		n, err := protocol.JSON.Parse(data, &m)
		if err != nil {
			log.Fatal(err)
		}
		if n == 0 {
			fmt.Printf("%d bytes wait for the rest of their record\n", len(data))
			return
		}
		if m.Error != "" {
			fmt.Println(m.Type, "error:", m.Error)
		} else {
			fmt.Println(m.Type)
		}
		data = data[n:]
	}
	// Output:
	// Ping
	// Close error: bye
	// 8 bytes wait for the rest of their record
}

// An invocation in MessagePack, the binary protocol: a length prefix (0x11,
// 17 bytes) and an array of the type (1), the headers (an empty map), the
// invocation id (nil: no reply wanted), the target, the arguments and the
// upload stream ids. A []byte is bin, not base64.
func ExampleMessagePackProtocol() {
	out, err := protocol.MessagePack.Append(nil, &protocol.Message{
		Type:      protocol.Invocation,
		Target:    "Upload",
		Arguments: []any{[]byte{0xCA, 0xFE}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", out)
	var m protocol.Message
	if _, err := protocol.MessagePack.Parse(out, &m); err != nil {
		log.Fatal(err)
	}
	var b []byte
	if err := protocol.MessagePack.Decode(m.RawArguments[0], &b); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s % x\n", m.Target, b)
	// Output:
	// 11 96 01 80 c0 a6 55 70 6c 6f 61 64 91 c4 02 ca fe 90
	// Upload ca fe
}
