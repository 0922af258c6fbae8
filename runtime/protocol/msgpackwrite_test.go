package protocol

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// testUUID is a UUID type as Go libraries have it: text and binary forms.
type testUUID [16]byte

func (u testUUID) MarshalText() ([]byte, error) {
	h := hex.EncodeToString(u[:])
	return []byte(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]), nil
}

func (u testUUID) MarshalBinary() ([]byte, error) { return u[:], nil }

// ptrText has MarshalText on its pointer only.
type ptrText struct{ s string }

func (p *ptrText) MarshalText() ([]byte, error) { return []byte(p.s), nil }

var (
	uuid1   = testUUID{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0}
	uuidHex = "d924" + hex.EncodeToString([]byte("12345678-9abc-def0-1234-56789abcdef0"))
)

func TestMessagePackWriteExact(t *testing.T) {
	type V[T any] struct{ V T }
	tests := []struct {
		name string
		v    any
		want string // hex
	}{
		// MarshalText types are strings, as .NET writes a Guid.
		{"uuid", uuid1, uuidHex},
		{"uuid pointer", &uuid1, uuidHex},
		{"nil uuid pointer", (*testUUID)(nil), "c0"},
		{"uuid in struct", V[testUUID]{uuid1}, "81a156" + uuidHex},
		{"uuid pointer in struct", V[*testUUID]{&uuid1}, "81a156" + uuidHex},
		{"uuid in slice", []testUUID{uuid1}, "91" + uuidHex},
		{"uuid in map", map[string]testUUID{"k": uuid1}, "81a16b" + uuidHex},
		{"pointer MarshalText", &ptrText{"ab"}, "a26162"},
		{"pointer MarshalText in struct", V[ptrText]{ptrText{"ab"}}, "81a156a26162"},
		// Sized integers in their smallest form, as MessagePack-CSharp writes.
		{"int32 42", V[int32]{42}, "81a1562a"},
		{"int32 -1", V[int32]{-1}, "81a156ff"},
		{"int32 -32", V[int32]{-32}, "81a156e0"},
		{"int32 -33", V[int32]{-33}, "81a156d0df"},
		{"int32 -129", V[int32]{-129}, "81a156d1ff7f"},
		{"int32 200", V[int32]{200}, "81a156ccc8"},
		{"int32 70000", V[int32]{70000}, "81a156ce00011170"},
		{"int64 0", V[int64]{0}, "81a15600"},
		{"int64 -40000", V[int64]{-40000}, "81a156d2ffff63c0"},
		{"int64 -2^31-1", V[int64]{-1<<31 - 1}, "81a156d3ffffffff7fffffff"},
		{"int8 -5", V[int8]{-5}, "81a156fb"},
		{"int16 300", V[int16]{300}, "81a156cd012c"},
		{"int 127", V[int]{127}, "81a1567f"},
		{"uint8 255", V[uint8]{255}, "81a156ccff"},
		{"uint16 1", V[uint16]{1}, "81a15601"},
		{"uint32 65536", V[uint32]{65536}, "81a156ce00010000"},
		{"uint64 255", V[uint64]{255}, "81a156ccff"},
		{"uint64 2^32", V[uint64]{1 << 32}, "81a156cf0000000100000000"},
		{"int32 slice", []int32{1, -1, 300}, "9301ffcd012c"},
		{"int64 map", map[string]int64{"k": 5}, "81a16b05"},
		{"top-level int32", int32(42), "2a"},
		{"top-level int64 -129", int64(-129), "d1ff7f"},
		{"top-level uint32 200", uint32(200), "ccc8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendMsgpack(nil, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("got %x, want %s", got, tt.want)
			}
		})
	}
}

func TestMessagePackHeadersSorted(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    string // hex of the frame
	}{
		{"none", nil, "05930580" + "a131"},
		{"one", map[string]string{"a": "1"}, "099305" + "81a161a131" + "a131"},
		{"three", map[string]string{"c": "3", "a": "1", "b": "2"}, "119305" + "83a161a131a162a132a163a133" + "a131"},
		{"by bytes", map[string]string{"b": "", "B": "", "aa": "", "a": ""}, "129305" + "84a142a0a161a0a26161a0a162a0" + "a131"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 20 { // map order varies from run to run
				m := Message{Type: CancelInvocation, Headers: tt.headers, InvocationID: "1"}
				got, err := MessagePack.Append(nil, &m)
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(got) != tt.want {
					t.Fatalf("run %d: got %x, want %s", i, got, tt.want)
				}
			}
		})
	}
}

func (u *testUUID) UnmarshalText(b []byte) error {
	s := strings.ReplaceAll(string(b), "-", "")
	if len(s) != 32 {
		return fmt.Errorf("invalid UUID %q", b)
	}
	_, err := hex.Decode(u[:], []byte(s))
	return err
}

func (u *testUUID) UnmarshalBinary(b []byte) error {
	if len(b) != 16 {
		return fmt.Errorf("invalid UUID (got %d bytes)", len(b))
	}
	copy(u[:], b)
	return nil
}

// textOnly has UnmarshalText and no MarshalText.
type textOnly struct{ s string }

func (p *textOnly) UnmarshalText(b []byte) error { p.s = "text:" + string(b); return nil }

// ownDecoder decodes itself, which wins over UnmarshalText.
type ownDecoder struct{ s string }

func (p *ownDecoder) UnmarshalText(b []byte) error { p.s = "text"; return nil }
func (p *ownDecoder) DecodeMsgpack(d *msgpack.Decoder) error {
	s, err := d.DecodeString()
	p.s = "own:" + s
	return err
}

// TestMessagePackReadText checks that a string, as .NET sends a Guid, decodes
// into a type with UnmarshalText, wherever it is: the mirror of
// TestMessagePackWriteExact.
func TestMessagePackReadText(t *testing.T) {
	type V[T any] struct{ V T }
	str := mustHex(t, uuidHex)
	bin := append([]byte{0xc4, 16}, uuid1[:]...)
	inStruct := append(mustHex(t, "81a156"), str...)

	var u testUUID
	if err := MessagePack.Decode(str, &u); err != nil || u != uuid1 {
		t.Errorf("top level: %x, %v", u, err)
	}
	var pu *testUUID
	if err := MessagePack.Decode(str, &pu); err != nil || pu == nil || *pu != uuid1 {
		t.Errorf("pointer: %v, %v", pu, err)
	}
	var vs V[testUUID]
	if err := MessagePack.Decode(inStruct, &vs); err != nil || vs.V != uuid1 {
		t.Errorf("in struct: %x, %v", vs.V, err)
	}
	var vp V[*testUUID]
	if err := MessagePack.Decode(inStruct, &vp); err != nil || vp.V == nil || *vp.V != uuid1 {
		t.Errorf("pointer in struct: %v, %v", vp.V, err)
	}
	var sl []testUUID
	if err := MessagePack.Decode(append([]byte{0x92}, append(str, str...)...), &sl); err != nil || len(sl) != 2 || sl[1] != uuid1 {
		t.Errorf("in slice: %x, %v", sl, err)
	}
	var mp map[string]testUUID
	if err := MessagePack.Decode(append(mustHex(t, "81a16b"), str...), &mp); err != nil || mp["k"] != uuid1 {
		t.Errorf("in map: %x, %v", mp, err)
	}
	// bin, as a Go sender may write it, goes to UnmarshalBinary.
	var vb V[testUUID]
	if err := MessagePack.Decode(append(mustHex(t, "81a156"), bin...), &vb); err != nil || vb.V != uuid1 {
		t.Errorf("bin in struct: %x, %v", vb.V, err)
	}
	// nil is the zero value.
	vs.V, vp.V = uuid1, &uuid1
	if err := MessagePack.Decode(mustHex(t, "81a156c0"), &vs); err != nil || vs.V != (testUUID{}) {
		t.Errorf("nil in struct: %x, %v", vs.V, err)
	}
	if err := MessagePack.Decode(mustHex(t, "81a156c0"), &vp); err != nil || vp.V != nil {
		t.Errorf("nil pointer in struct: %v, %v", vp.V, err)
	}
	// A string that UnmarshalText refuses is an error.
	if err := MessagePack.Decode(mustHex(t, "81a156a3616263"), &vs); err == nil {
		t.Error("a string that is no UUID decoded")
	}
	// UnmarshalText alone is enough; a MessagePack method of its own wins.
	var to V[textOnly]
	if err := MessagePack.Decode(mustHex(t, "81a156a26162"), &to); err != nil || to.V.s != "text:ab" {
		t.Errorf("UnmarshalText only: %q, %v", to.V.s, err)
	}
	var od V[ownDecoder]
	if err := MessagePack.Decode(mustHex(t, "81a156a26162"), &od); err != nil || od.V.s != "own:ab" {
		t.Errorf("own decoder: %q, %v", od.V.s, err)
	}
	// What hubgen writes, it reads.
	b, err := appendMsgpack(nil, V[[]*testUUID]{[]*testUUID{&uuid1, nil}})
	if err != nil {
		t.Fatal(err)
	}
	var back V[[]*testUUID]
	if err := MessagePack.Decode(b, &back); err != nil || len(back.V) != 2 || *back.V[0] != uuid1 || back.V[1] != nil {
		t.Errorf("round trip of %x: %v, %v", b, back.V, err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
