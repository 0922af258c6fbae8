package protocol

import (
	"encoding/binary"
	"math"
)

// mpReader reads MessagePack without reflection or allocation: enough to take a
// hub message apart and to check, with a depth limit, that each payload is
// well-formed before it is kept as Raw. Every length it reads is checked
// against the bytes at hand before anything is done with it.
type mpReader struct {
	data     []byte
	pos      int
	maxDepth int
}

// errShort is data that ends inside a value, as MessagePack-CSharp's reader
// reports it.
var errShort = &Error{Msg: "Attempted to read past the end of the stream.", kind: "EndOfStreamException"}

// codeError is a value of another kind than the one expected, as
// MessagePack-CSharp's reader reports it.
func codeError(code byte) error {
	return kindErrorf("MessagePackSerializationException", "Unexpected msgpack code %d (%s) encountered.", code, formatName(code))
}

// formatName names a MessagePack format as MessagePack-CSharp's
// MessagePackCode.ToFormatName does.
func formatName(code byte) string {
	switch {
	case code <= 0x7f:
		return "positive fixint"
	case code <= 0x8f:
		return "fixmap"
	case code <= 0x9f:
		return "fixarray"
	case code <= 0xbf:
		return "fixstr"
	case code >= 0xe0:
		return "negative fixint"
	}
	return formatNames[code-0xc0]
}

var formatNames = [...]string{
	"nil", "(never used)", "false", "true", "bin 8", "bin 16", "bin 32", "ext 8",
	"ext 16", "ext 32", "float 32", "float 64", "uint 8", "uint 16", "uint 32", "uint 64",
	"int 8", "int 16", "int 32", "int 64", "fixext 1", "fixext 2", "fixext 4", "fixext 8",
	"fixext 16", "str 8", "str 16", "str 32", "array 16", "array 32", "map 16", "map 32",
}

func (r *mpReader) byte() (byte, error) {
	if r.pos >= len(r.data) {
		return 0, errShort
	}
	b := r.data[r.pos]
	r.pos++
	return b, nil
}

// take returns the next n bytes.
func (r *mpReader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.data)-r.pos) {
		return nil, errShort
	}
	b := r.data[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, nil
}

// uint reads a big-endian unsigned integer of size bytes.
func (r *mpReader) uint(size int) (uint64, error) {
	b, err := r.take(uint64(size))
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// arrayLen reads an array header. As in MessagePack-CSharp, an array longer
// than the bytes left cannot be in the data: each element takes one at least.
func (r *mpReader) arrayLen() (int, error) {
	b, err := r.byte()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case b >= 0x90 && b <= 0x9f:
		if n := int(b & 0x0f); n <= len(r.data)-r.pos {
			return n, nil
		}
		return 0, errShort
	case b == 0xdc:
		n, err = r.uint(2)
	case b == 0xdd:
		n, err = r.uint(4)
	default:
		return 0, codeError(b)
	}
	if err == nil && n > uint64(len(r.data)-r.pos) {
		err = errShort
	}
	return int(n), err
}

// mapLen reads a map header; each entry takes two bytes at least.
func (r *mpReader) mapLen() (int, error) {
	b, err := r.byte()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case b >= 0x80 && b <= 0x8f:
		if n := int(b & 0x0f); 2*n <= len(r.data)-r.pos {
			return n, nil
		}
		return 0, errShort
	case b == 0xde:
		n, err = r.uint(2)
	case b == 0xdf:
		n, err = r.uint(4)
	default:
		return 0, codeError(b)
	}
	if err == nil && 2*n > uint64(len(r.data)-r.pos) {
		err = errShort
	}
	return int(n), err
}

// errOverflow is an integer too big for the Go type it is read into.
var errOverflow = kindErrorf("OverflowException", "Value was either too large or too small.")

// int reads an integer of any width.
func (r *mpReader) int() (int64, error) {
	b, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case b <= 0x7f:
		return int64(b), nil
	case b >= 0xe0:
		return int64(int8(b)), nil
	case b >= 0xcc && b <= 0xcf:
		u, err := r.uint(1 << (b - 0xcc))
		if err == nil && u > math.MaxInt64 {
			err = errOverflow
		}
		return int64(u), err
	case b >= 0xd0 && b <= 0xd3:
		size := 1 << (b - 0xd0)
		u, err := r.uint(size)
		shift := 64 - 8*size
		return int64(u<<shift) >> shift, err
	}
	return 0, codeError(b)
}

// str reads a string, or nil as nil.
func (r *mpReader) str() ([]byte, error) {
	b, err := r.byte()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case b >= 0xa0 && b <= 0xbf:
		n = uint64(b & 0x1f)
	case b == 0xd9:
		n, err = r.uint(1)
	case b == 0xda:
		n, err = r.uint(2)
	case b == 0xdb:
		n, err = r.uint(4)
	case b == 0xc0:
		return nil, nil
	default:
		return nil, codeError(b)
	}
	if err != nil {
		return nil, err
	}
	return r.take(n)
}

// bool reads a boolean.
func (r *mpReader) bool() (bool, error) {
	b, err := r.byte()
	if err != nil {
		return false, err
	}
	switch b {
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	}
	return false, codeError(b)
}

// value checks one value of any kind and returns its bytes.
func (r *mpReader) value() (Raw, error) {
	start := r.pos
	if err := r.skip(0); err != nil {
		return nil, err
	}
	return Raw(r.data[start:r.pos]), nil
}

// skip checks one value of any kind, nested at most maxDepth deep.
func (r *mpReader) skip(depth int) error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	var n uint64 // bytes of payload to skip
	switch {
	case b <= 0x7f, b >= 0xe0, b == 0xc0, b == 0xc2, b == 0xc3:
		return nil
	case b >= 0xa0 && b <= 0xbf:
		n = uint64(b & 0x1f)
	case b >= 0x80 && b <= 0x9f, b == 0xdc, b == 0xdd, b == 0xde, b == 0xdf:
		return r.skipContainer(b, depth)
	case b >= 0xcc && b <= 0xcf:
		n = 1 << (b - 0xcc)
	case b >= 0xd0 && b <= 0xd3:
		n = 1 << (b - 0xd0)
	case b == 0xca:
		n = 4
	case b == 0xcb:
		n = 8
	case b == 0xd9, b == 0xc4:
		n, err = r.uint(1)
	case b == 0xda, b == 0xc5:
		n, err = r.uint(2)
	case b == 0xdb, b == 0xc6:
		n, err = r.uint(4)
	case b >= 0xd4 && b <= 0xd8: // fixext: a type byte and 1 to 16 bytes
		n = 1 + 1<<(b-0xd4)
	case b >= 0xc7 && b <= 0xc9: // ext 8, 16, 32: a length, a type byte, the data
		n, err = r.uint(1 << (b - 0xc7))
		n++
	default: // 0xc1 is never used
		return codeError(b)
	}
	if err != nil {
		return err
	}
	_, err = r.take(n)
	return err
}

func (r *mpReader) skipContainer(b byte, depth int) error {
	if depth >= r.maxDepth {
		return errorf("The maximum configured depth of %d has been exceeded.", r.maxDepth)
	}
	r.pos--
	var n int
	var err error
	if b >= 0x90 && b <= 0x9f || b == 0xdc || b == 0xdd {
		n, err = r.arrayLen()
	} else {
		n, err = r.mapLen()
		n *= 2
	}
	for ; err == nil && n > 0; n-- {
		err = r.skip(depth + 1)
	}
	return err
}

// appendVarInt writes a frame length: 7 bits a byte, low bits first.
func appendVarInt(dst []byte, n int) []byte {
	for n >= 0x80 {
		dst = append(dst, byte(n)|0x80)
		n >>= 7
	}
	return append(dst, byte(n))
}
