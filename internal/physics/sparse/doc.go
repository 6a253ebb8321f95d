// Package sparse solves sparse symmetric positive definite linear systems,
// the kind that hydraulic (EPANET's gradient method) and DC power-flow
// solvers build at every iteration with a fixed non-zero pattern.
//
// The work is split the classic way: Analyze orders the unknowns with a
// minimum-degree (or reverse Cuthill–McKee) ordering and computes the
// structure of the Cholesky factor once; a Factor then factorises and solves
// repeatedly with new values and no allocation. CSR holds a symmetric matrix
// for products and for assembling from triplets. For systems too large to
// factorise, SolvePCG runs the conjugate gradient method preconditioned by
// an incomplete Cholesky factor without fill (IC0).
package sparse
