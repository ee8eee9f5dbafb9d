//go:build !linux

package model

// copyToHugePages is Linux only (transparent huge pages).
func (m *Model) copyToHugePages() bool { return false }
