package water_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/citadel-city/citadel/internal/physics/water"
)

const exampleNet = `[JUNCTIONS]
 J1 50 100
 J2 40 50
[RESERVOIRS]
 SRC 200
[PIPES]
 P1 SRC J1 1000 12 120
 P2 J1 J2 800 8 120
[OPTIONS]
 Units GPM
[END]
`

// Read a network, run it, change it and run the what-if.
func Example() {
	net, err := water.Parse("example.inp", strings.NewReader(exampleNet))
	if err != nil {
		fmt.Println(err)
		return
	}
	sim, err := water.NewSimulator(net)
	if err != nil {
		fmt.Println(err)
		return
	}
	base, _ := sim.Run(context.Background(), water.RunOptions{Duration: -1})
	p, _ := base.NodeSeries("J2", "pressure")
	// Hazen-Williams losses of 0.09 ft and 0.07 ft: (199.85-40)·0.4333 psi.
	fmt.Printf("J2 pressure %.1f psi\n", p[0])

	// Close the pipe feeding J2: it is cut off from the reservoir.
	what := net.Clone()
	_ = what.SetLinkStatus("P2", false)
	_ = sim.Reload(what)
	res, _ := sim.Run(context.Background(), water.RunOptions{Duration: -1})
	for _, w := range res.Summarize().Warnings {
		fmt.Println(w)
	}
	// Output:
	// J2 pressure 69.3 psi
	// 0:00:00: 1 junctions with demand are disconnected from every tank and reservoir (J2)
	// negative pressures at 1 junctions
}
