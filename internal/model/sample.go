package model

import (
	_ "embed"
	"fmt"
)

//go:embed sample/city.yaml
var sampleCity []byte

// SampleFile is the name under which the embedded sample city is reported.
const SampleFile = "<embedded sample city>"

// Sample returns the embedded sample city, also shipped as
// examples/sample-city.yaml.
func Sample() *City {
	c, err := Parse(SampleFile, sampleCity)
	if err != nil {
		panic(fmt.Sprintf("the embedded sample city is invalid: %v", err))
	}
	return c
}

// SampleYAML returns the text of the embedded sample city.
func SampleYAML() []byte { return sampleCity }
