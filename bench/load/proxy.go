package main

import "bbcs/store/tripcount"

// countingProxy sits between one bbcs and MariaDB or Redis and counts what
// bbcs asks of them, by command, and the round trips (store/tripcount,
// which the round-trip budget tests use too). It adds a loopback hop, so
// it only serves the probe's second bbcs, never the measured one.
type countingProxy struct{ p *tripcount.Proxy }

func startProxy(target string, redis bool) (*countingProxy, error) {
	p, err := tripcount.Start(target, redis)
	if err != nil {
		return nil, err
	}
	return &countingProxy{p}, nil
}

func (p *countingProxy) addr() string                 { return p.p.Addr() }
func (p *countingProxy) close()                       { p.p.Close() }
func (p *countingProxy) snapshot() map[string]float64 { return p.p.Snapshot() }
