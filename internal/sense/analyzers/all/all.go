// Package all links every protocol analyzer into the sensor: import it for
// its side effects. One line per analyzer.
package all

import (
	_ "github.com/citadel-city/citadel/internal/sense/analyzers/modbus" // Modbus/TCP on 502
)
