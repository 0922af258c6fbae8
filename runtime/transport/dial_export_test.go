package transport

import "encoding/json"

// EchoOffer returns the availableTransports that negotiate writes for
// transports, for the echo server of the client's tests.
func EchoOffer(transports Transports) []byte {
	b, err := json.Marshal(transports.available())
	if err != nil {
		panic(err)
	}
	return b
}
