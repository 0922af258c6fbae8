package redishub

import (
	"errors"
	"fmt"

	"github.com/hubgen/hubgen/runtime/internal/mpack"
)

// What goes over Redis: every payload is one MessagePack array, as in ASP.NET
// Core's backplane. Readers take the items they know and ignore any that
// follow, so that a newer server can add items at the end; too few items is an
// error.
//
// On the all, group, user and connection channels the first item says what the
// payload is:
//
//	send:   [1, origin server, except ids, groups, {protocol name: encoded message}]
//	group:  [2, ack id, reply server, add (bool), group]
//	invoke: [3, invocation id, reply server, method, timeout ms, {protocol name: [encoded argument]}]
//
// groups lists every group of a send to several groups, so that a server that
// gets the message on several group channels delivers it once per connection;
// it is empty otherwise.
//
// On a server's own channels:
//
//	internal:ack:<server>:    [ack id, status, text]
//	internal:return:<server>: [invocation id, status, text, protocol name, result or nil]
const (
	kindSend   = 1
	kindGroup  = 2
	kindInvoke = 3
)

// Statuses of acks and returns.
const (
	statusOK           = 0 // done; a return carries the result
	statusClientError  = 1 // the client answered with an error: text is its message
	statusFailed       = 2 // the owning server could not do it: text says why
	statusNoConnection = 3 // the owning server no longer has the connection
)

// encoder appends MessagePack.
type encoder struct{ b []byte }

func (e *encoder) array(n int)   { e.b = mpack.AppendArrayLen(e.b, n) }
func (e *encoder) mapLen(n int)  { e.b = mpack.AppendMapLen(e.b, n) }
func (e *encoder) uint(v uint64) { e.b = mpack.AppendUint(e.b, v) }
func (e *encoder) bool(v bool)   { e.b = mpack.AppendBool(e.b, v) }
func (e *encoder) nil()          { e.b = mpack.AppendNil(e.b) }
func (e *encoder) str(s string)  { e.b = mpack.AppendString(e.b, s) }
func (e *encoder) bin(b []byte)  { e.b = mpack.AppendBinary(e.b, b) }

func (e *encoder) strs(list []string) {
	e.array(len(list))
	for _, s := range list {
		e.str(s)
	}
}

// decoder reads MessagePack. The first error sticks: later reads return zero
// values, and err says what went wrong.
type decoder struct {
	b   []byte
	err error
}

var errTruncated = errors.New("redishub: truncated message")

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("redishub: malformed message: "+format, args...)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errTruncated
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.err = errTruncated
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) be(size int) uint64 {
	b := d.take(uint64(size))
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// array reads an array header and checks that it has at least min items.
func (d *decoder) array(what string, min int) int {
	c := d.byte()
	var n uint64
	switch {
	case c&0xf0 == 0x90:
		n = uint64(c & 0x0f)
	case c == 0xdc:
		n = d.be(2)
	case c == 0xdd:
		n = d.be(4)
	default:
		d.fail("%s: not an array", what)
		return 0
	}
	if n < uint64(min) {
		d.fail("insufficient items in %s array: %d, want %d", what, n, min)
	}
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail("%s: %d items in %d bytes", what, n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) mapLen(what string) int {
	c := d.byte()
	var n uint64
	switch {
	case c&0xf0 == 0x80:
		n = uint64(c & 0x0f)
	case c == 0xde:
		n = d.be(2)
	case c == 0xdf:
		n = d.be(4)
	default:
		d.fail("%s: not a map", what)
		return 0
	}
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail("%s: %d entries in %d bytes", what, n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) uint(what string) uint64 {
	c := d.byte()
	switch {
	case c < 0x80:
		return uint64(c)
	case c == 0xcc:
		return d.be(1)
	case c == 0xcd:
		return d.be(2)
	case c == 0xce:
		return d.be(4)
	case c == 0xcf:
		return d.be(8)
	}
	d.fail("%s: not an unsigned integer", what)
	return 0
}

func (d *decoder) bool(what string) bool {
	switch d.byte() {
	case 0xc3:
		return true
	case 0xc2:
		return false
	}
	d.fail("%s: not a bool", what)
	return false
}

func (d *decoder) strBytes(what string) []byte {
	c := d.byte()
	switch {
	case c&0xe0 == 0xa0:
		return d.take(uint64(c & 0x1f))
	case c == 0xd9:
		return d.take(d.be(1))
	case c == 0xda:
		return d.take(d.be(2))
	case c == 0xdb:
		return d.take(d.be(4))
	}
	d.fail("%s: not a string", what)
	return nil
}

func (d *decoder) str(what string) string { return string(d.strBytes(what)) }

// bin reads binary data, or nil for a MessagePack nil. The bytes point into the
// decoder's input.
func (d *decoder) bin(what string) []byte {
	c := d.byte()
	switch c {
	case 0xc0:
		return nil
	case 0xc4:
		return d.take(d.be(1))
	case 0xc5:
		return d.take(d.be(2))
	case 0xc6:
		return d.take(d.be(4))
	}
	d.fail("%s: not binary data", what)
	return nil
}

func (d *decoder) strs(what string) []string {
	n := d.array(what, 0)
	if n == 0 {
		return nil
	}
	list := make([]string, n)
	for i := range list {
		list[i] = d.str(what)
	}
	return list
}

// sendMsg is the payload of kindSend.
type sendMsg struct {
	origin    string
	except    []string
	groups    []string
	encodings []encoded
}

// encoded is a message, or the arguments of an invocation, in one protocol.
type encoded struct {
	proto string
	b     []byte   // a message
	args  [][]byte // arguments
}

func appendSend(dst []byte, m *sendMsg) []byte {
	e := encoder{dst}
	e.array(5)
	e.uint(kindSend)
	e.str(m.origin)
	e.strs(m.except)
	e.strs(m.groups)
	e.mapLen(len(m.encodings))
	for _, enc := range m.encodings {
		e.str(enc.proto)
		e.bin(enc.b)
	}
	return e.b
}

// groupMsg is the payload of kindGroup.
type groupMsg struct {
	ack   uint64
	reply string
	add   bool
	group string
}

func appendGroup(dst []byte, m *groupMsg) []byte {
	e := encoder{dst}
	e.array(5)
	e.uint(kindGroup)
	e.uint(m.ack)
	e.str(m.reply)
	e.bool(m.add)
	e.str(m.group)
	return e.b
}

// invokeMsg is the payload of kindInvoke.
type invokeMsg struct {
	id        string
	reply     string
	method    string
	timeoutMS uint64
	args      []encoded
}

func appendInvoke(dst []byte, m *invokeMsg) []byte {
	e := encoder{dst}
	e.array(6)
	e.uint(kindInvoke)
	e.str(m.id)
	e.str(m.reply)
	e.str(m.method)
	e.uint(m.timeoutMS)
	e.mapLen(len(m.args))
	for _, enc := range m.args {
		e.str(enc.proto)
		e.array(len(enc.args))
		for _, a := range enc.args {
			e.bin(a)
		}
	}
	return e.b
}

// decodeCommand decodes a payload of the all, group, user or connection
// channels: exactly one of the results is non-nil when err is nil.
func decodeCommand(b []byte) (*sendMsg, *groupMsg, *invokeMsg, error) {
	d := decoder{b: b}
	n := d.array("command", 1)
	kind := d.uint("kind")
	if d.err != nil {
		return nil, nil, nil, d.err
	}
	switch kind {
	case kindSend:
		if n < 5 {
			d.fail("insufficient items in send array: %d, want 5", n)
			return nil, nil, nil, d.err
		}
		m := &sendMsg{origin: d.str("origin"), except: d.strs("except"), groups: d.strs("groups")}
		entries := d.mapLen("encodings")
		m.encodings = make([]encoded, 0, entries)
		for range entries {
			p := d.str("protocol")
			m.encodings = append(m.encodings, encoded{proto: p, b: d.bin("encoding")})
		}
		return m, nil, nil, d.err
	case kindGroup:
		if n < 5 {
			d.fail("insufficient items in group array: %d, want 5", n)
			return nil, nil, nil, d.err
		}
		m := &groupMsg{ack: d.uint("ack id"), reply: d.str("reply server"), add: d.bool("add"), group: d.str("group")}
		return nil, m, nil, d.err
	case kindInvoke:
		if n < 6 {
			d.fail("insufficient items in invoke array: %d, want 6", n)
			return nil, nil, nil, d.err
		}
		m := &invokeMsg{id: d.str("invocation id"), reply: d.str("reply server"), method: d.str("method"), timeoutMS: d.uint("timeout")}
		entries := d.mapLen("arguments")
		for range entries {
			enc := encoded{proto: d.str("protocol")}
			args := d.array("arguments", 0)
			for range args {
				enc.args = append(enc.args, d.bin("argument"))
			}
			m.args = append(m.args, enc)
		}
		return nil, nil, m, d.err
	}
	d.fail("unknown kind %d", kind)
	return nil, nil, nil, d.err
}

// ackMsg is what the owner of a connection answers a group command with.
type ackMsg struct {
	id     uint64
	status uint64
	text   string
}

func appendAck(dst []byte, m *ackMsg) []byte {
	e := encoder{dst}
	e.array(3)
	e.uint(m.id)
	e.uint(m.status)
	e.str(m.text)
	return e.b
}

func decodeAck(b []byte) (ackMsg, error) {
	d := decoder{b: b}
	d.array("ack", 3)
	m := ackMsg{id: d.uint("ack id"), status: d.uint("status"), text: d.str("text")}
	return m, d.err
}

// returnMsg is what the owner of a connection answers an invocation with.
type returnMsg struct {
	id     string
	status uint64
	text   string
	proto  string
	result []byte // nil: no result
}

func appendReturn(dst []byte, m *returnMsg) []byte {
	e := encoder{dst}
	e.array(5)
	e.str(m.id)
	e.uint(m.status)
	e.str(m.text)
	e.str(m.proto)
	if m.result == nil {
		e.nil()
	} else {
		e.bin(m.result)
	}
	return e.b
}

func decodeReturn(b []byte) (returnMsg, error) {
	d := decoder{b: b}
	d.array("return", 5)
	m := returnMsg{id: d.str("invocation id"), status: d.uint("status"), text: d.str("text"), proto: d.str("protocol"), result: d.bin("result")}
	return m, d.err
}
