// Package sparselu factorises square, unsymmetric sparse matrices: a
// fill-reducing minimum-degree ordering of the pattern of A+Aᵀ, then a
// left-looking (Gilbert–Peierls) LU factorisation with threshold partial
// pivoting that prefers the diagonal, as in CSparse's cs_lu.
//
// A power-flow Jacobian keeps its sparsity pattern across Newton iterations
// and contingencies, so a factorisation can be redone numerically with
// Refactor, reusing the ordering, the pivot sequence and the patterns of L
// and U (KLU's refactor idea); Refactor reports ErrUnstable when a pivot
// became too small and the caller then factorises afresh.
package sparselu
