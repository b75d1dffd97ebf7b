// Package importgraph holds a test that keeps the module's import graph one-way.
package importgraph
