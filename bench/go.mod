module github.com/hubgen/hubgen/bench

go 1.26.0

require (
	github.com/gorilla/websocket v1.5.3
	github.com/hubgen/hubgen v0.0.0
)

replace github.com/hubgen/hubgen => ../
