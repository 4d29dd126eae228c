module ingot/gocompat/oracle/jsoniter

go 1.26

// The versions Alloy v1.18.1's go.mod pins.
require github.com/json-iterator/go v1.1.12

require (
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.3-0.20250322232337-35a7c28c31ee // indirect
)
