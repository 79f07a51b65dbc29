package main

import (
	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/gates/alertpresence"
	"github.com/release-gate/release-gate/gates/backupfreshness"
	"github.com/release-gate/release-gate/gates/compose"
	"github.com/release-gate/release-gate/gates/deploywindow"
	"github.com/release-gate/release-gate/gates/healthendpoints"
	"github.com/release-gate/release-gate/gates/rollbackreadiness"
	"github.com/release-gate/release-gate/gates/secretscan"
	"github.com/release-gate/release-gate/gates/staginganalysis"
	"github.com/release-gate/release-gate/gates/stagingdigest"
)

// gateList is every gate release-gate knows, in report order. Adding a gate
// means adding it here and nowhere else.
func gateList() []gates.Definition {
	return []gates.Definition{
		secretscan.Definition(),
		stagingdigest.Definition(),
		staginganalysis.Definition(),
		alertpresence.Definition(),
		backupfreshness.Definition(),
		compose.Definition(),
		healthendpoints.Definition(),
		rollbackreadiness.Definition(),
		deploywindow.Definition(),
	}
}
