package backup

import "time"

// now is the tests' clock.
var now = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
