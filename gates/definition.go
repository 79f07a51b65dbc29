package gates

import "github.com/release-gate/release-gate/config"

// Definition describes one kind of gate: its config key, the checklist line
// it proves, and how to build it from its configuration section.
type Definition struct {
	// Name is the gate's key under gates: in the configuration.
	Name string
	// Checklist is the release-checklist line the gate turns into a check.
	Checklist string
	// New decodes the gate's section (strictly; errors name file:line:col)
	// and returns a gate ready to run. It does no I/O: release-gate validate
	// calls it too.
	New func(s *config.Section) (Gate, error)
}
