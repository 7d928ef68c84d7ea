// Package reliability holds the ledger's end-to-end reliability tests: the
// "ledger" binary built once and run as a child process ("ledger serve"
// under load, killed with SIGKILL, restarted), the command line's audit,
// rebuild, backup and restore run against its data, a 3-node NATS cluster
// of nats-server processes (the test binary run again as one server each)
// losing the stream's leader to SIGKILL under two ledger nodes, disk and
// data faults,
// overload and security defaults. The package has no code of its own
// outside its tests.
//
// CI runs short variants:
//
//	go test ./reliability/
//
// Long variants:
//
//	go test ./reliability/ -run TestCrashLoop -cycles 20 -timeout 30m
//	go test ./reliability/ -run TestFailover -failovers 10 -v -timeout 30m
//	LEDGER_LONG=1 go test ./reliability/
package reliability
