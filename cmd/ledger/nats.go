package main

import "github.com/nats-io/nats.go"

func natsCreds(path string) nats.Option { return nats.UserCredentials(path) }
