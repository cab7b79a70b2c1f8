// Package version holds the version of the observe module, which every
// instrumentation scope the module creates carries.
package version

// Version is the observe module's version.
const Version = "0.2.0"
