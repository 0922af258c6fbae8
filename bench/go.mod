module github.com/hubgen/hubgen/bench

go 1.26.0

require (
	github.com/gorilla/websocket v1.5.3
	github.com/hubgen/hubgen v0.0.0
)

require (
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
)

replace github.com/hubgen/hubgen => ../
