//! Telemetry and metrics through the binary.
