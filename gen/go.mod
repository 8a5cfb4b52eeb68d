module github.com/simdloss/simdloss/gen

go 1.26.0

replace github.com/simdloss/simdloss => ../

require (
	github.com/mmcloughlin/avo v0.6.0
	github.com/simdloss/simdloss v0.0.0-00010101000000-000000000000
	golang.org/x/arch v0.33.0
)

require (
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)
