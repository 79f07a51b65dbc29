package staginganalysis

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// condEnv is everything a condition sees: the value of one series at one
// time. Nothing else (no environment, no clock, no files) is reachable.
type condEnv struct {
	Result float64 `expr:"result"`
}

// mathBuiltins are the only functions a condition may call.
var mathBuiltins = []string{"abs", "ceil", "floor", "round", "max", "min"}

// compileCondition compiles a success or failure condition, such as
// "result < 0.01", into a program that returns a bool.
func compileCondition(text string) (*vm.Program, error) {
	if len(text) > maxConditionLen {
		return nil, fmt.Errorf("the condition is %d characters long; at most %d", len(text), maxConditionLen)
	}
	opts := []expr.Option{expr.Env(condEnv{}), expr.AsBool(), expr.DisableAllBuiltins(), expr.MaxNodes(200)}
	for _, b := range mathBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	p, err := expr.Compile(text, opts...)
	if err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n") // the rest draws the column
		hint := "; a condition reads result, the value of one series (a number), such as 'result < 0.01'"
		if strings.Contains(text, "result[") {
			hint = "; result is one number, not a list: each series of the answer is checked on its own (write 'result >= 0.95')"
		}
		return nil, fmt.Errorf("condition %q does not compile: %s%s", text, msg, hint)
	}
	return p, nil
}

// evalCondition runs a compiled condition on one value.
func evalCondition(p *vm.Program, v float64) (bool, error) {
	out, err := expr.Run(p, condEnv{Result: v})
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("the condition gave %T, not true or false", out)
	}
	return b, nil
}
