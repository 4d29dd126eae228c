//! Pure parsers for /proc and /sys. Every path comes from an explicit root, never a global.
