package protocol

import (
	"encoding/hex"
	"testing"
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
