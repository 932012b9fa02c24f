// Conveyor's CoreDNS for the local one-node cluster (ADR 0057): only the plugins a cluster's
// Service names need. Built once from the Go module proxy by operators/local/node/dns_build.py;
// go.sum pins every module.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The order the plugins handle a query in (CoreDNS's own order, the rest left out).
var directives = []string{"bind", "ready", "errors", "cache", "kubernetes"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
