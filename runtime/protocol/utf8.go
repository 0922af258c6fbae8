package protocol

import "unicode/utf8"

// appendValidUTF8 appends b with each maximal ill-formed subsequence replaced
// by U+FFFD, as the Unicode Standard recommends (chapter 3, "U+FFFD
// Substitution of Maximal Subparts") and as .NET's UTF8Encoding decodes
// strings. Go's own conversions replace each invalid byte instead.
func appendValidUTF8(dst, b []byte) []byte {
	if validUTF8(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, b[:size]...)
			b = b[size:]
			continue
		}
		dst = append(dst, "\uFFFD"...)
		b = b[maximalSubpart(b):]
	}
	return dst
}

// maximalSubpart is the length of the ill-formed sequence at the start of b:
// the longest start of a well-formed sequence there, or one byte.
func maximalSubpart(b []byte) int {
	c := b[0]
	lo, hi := byte(0x80), byte(0xbf) // range of the byte after the lead
	var trail int
	switch {
	case c >= 0xc2 && c <= 0xdf:
		trail = 1
	case c == 0xe0:
		trail, lo = 2, 0xa0
	case c == 0xed:
		trail, hi = 2, 0x9f
	case c >= 0xe1 && c <= 0xef:
		trail = 2
	case c == 0xf0:
		trail, lo = 3, 0x90
	case c == 0xf4:
		trail, hi = 3, 0x8f
	case c >= 0xf1 && c <= 0xf3:
		trail = 3
	default:
		return 1
	}
	i := 1
	for i <= trail && i < len(b) && b[i] >= lo && b[i] <= hi {
		i++
		lo, hi = 0x80, 0xbf
	}
	return i
}

// validString is b as a string, ill-formed UTF-8 replaced as appendValidUTF8
// replaces it.
func validString(b []byte) string {
	if validUTF8(b) {
		return string(b)
	}
	return string(appendValidUTF8(nil, b))
}

// validUTF8 is utf8.Valid with a fast path for the short ASCII strings that
// names and ids are, which utf8.Valid checks byte by byte below 8 bytes.
func validUTF8(b []byte) bool {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:])
		}
	}
	return true
}
