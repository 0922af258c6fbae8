package protocol

// TransferFormat is the kind of data a protocol puts on a transport.
type TransferFormat int

// Transfer formats, as negotiate names them.
const (
	Text   TransferFormat = 1
	Binary TransferFormat = 2
)

// String returns the name negotiate uses for f.
func (f TransferFormat) String() string {
	if f == Binary {
		return "Binary"
	}
	return "Text"
}

// Protocol is a hub protocol: how messages and the values in them are encoded.
// A server picks one per connection at the handshake. Implementations are safe for
// concurrent use.
type Protocol interface {
	// Name is the name a handshake request uses, such as "json".
	Name() string
	// Version is the highest protocol version supported.
	Version() int
	// Format is the transfer format the encoding needs from a transport.
	Format() TransferFormat

	// Parse parses the first message in data into m (which it resets first) and
	// returns the number of bytes it used. It returns 0 and no error when data
	// holds no complete message yet. A message of a type it does not know is
	// consumed and reported with that Type, so that the caller can ignore it.
	// Payloads in m point into data.
	Parse(data []byte, m *Message) (int, error)
	// Append appends the encoding of m, framing included, to dst.
	Append(dst []byte, m *Message) ([]byte, error)
	// Decode decodes one encoded value (an argument, item or result) into the Go
	// value v points to.
	Decode(raw Raw, v any) error
	// MessageSize returns the size of the first message in data, framing
	// included, or 0 when its end is not in data yet. It lets a caller apply a
	// size limit before parsing.
	MessageSize(data []byte) (int, error)
}
