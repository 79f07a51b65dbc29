package gates

import "github.com/release-gate/release-gate/config"

// Definition describes one kind of gate: its config key, the checklist line
// it proves, and how to build it from its configuration section.
type Definition struct {
	// Name is the gate's key under gates: in the configuration.
	Name string
	// Checklist is the release-checklist line the gate turns into a check.
	Checklist string
	// Rules lists every rule a finding of this gate can carry (secret-scan
	// adds the IDs of the gitleaks rules it runs). docs/gates/<Name>.md
	// documents each under its Findings heading; a test holds the two, and
	// the rule names in the gate's code, together.
	Rules []string
	// New decodes the gate's section (strictly; errors name file:line:col)
	// and returns a gate ready to run. It does no I/O: release-gate validate
	// calls it too.
	New func(s *config.Section) (Gate, error)
}
